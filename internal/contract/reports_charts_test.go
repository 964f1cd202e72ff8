package contract

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	hubevent "github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/intake"
)

// chartQueries are the charts the browser test (test/browser) opens and the README shows.
var chartQueries = map[string]string{
	"channel-shift":   "/v1/reports/channel-shift?from=2026-09-07&to=2026-11-29&period=week",
	"resolution":      "/v1/reports/resolution?from=2026-09-07&to=2026-11-29&period=week",
	"avoidable":       "/v1/reports/avoidable?from=2026-09-07&to=2026-11-29&period=week",
	"cost-to-serve":   "/v1/reports/cost-to-serve?from=2026-09-07&to=2026-11-29&period=week",
	"routing":         "/v1/reports/routing?from=2026-09-07T00:00:00Z&to=2026-11-30T00:00:00Z&groupBy=week",
	"landlord-takeup": "/v1/reports/landlord-takeup?from=2026-09-07&to=2026-11-29&groupBy=week",
}

// TestReports_WriteChartsForTheBrowser writes each report's chart, over twelve weeks of
// made-up contacts shifting from the phone to the web, into CONTACTHUB_CHARTS_DIR for
// the browser test to open in Chromium (make test-browser). Skipped when it is unset.
func TestReports_WriteChartsForTheBrowser(t *testing.T) {
	dir := os.Getenv("CONTACTHUB_CHARTS_DIR")
	if dir == "" {
		t.Skip("CONTACTHUB_CHARTS_DIR is not set: make test-browser sets it")
	}
	h := startHub(t, backends(t)[0], nil)
	seedTwelveWeeks(t, h)
	token := h.token(auth.Claims{Subject: "sup", Roles: []auth.Role{auth.Supervisor}})
	for name, path := range chartQueries {
		resp, body := h.raw("GET", path, token, "", nil, "Accept", "image/svg+xml")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".svg"), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// seedTwelveWeeks records about 1,800 contacts from 7 September to 29 November 2026:
// the phone's share falls from about a half to a third as the web's grows.
func seedTwelveWeeks(t *testing.T, h *hub) {
	t.Helper()
	rng := rand.New(rand.NewPCG(15, 2026))
	start := dateOf("2026-09-07")
	services := []int{57, 58, 59, 60, 63, 64, 70, 474, 471}
	outcomes := []intake.Outcome{intake.ResolvedFirstContact, intake.ResolvedFirstContact, intake.SelfServed, intake.HandedOff, intake.InProgress}
	intents := []string{"", "", "", "", "", "", "", intake.ProgressChasing, intake.ChasingResponse, intake.Misdirected}
	for week := range 12 {
		shift := float64(week) / 11
		weights := map[channel.Channel]float64{
			channel.Phone: 45 - 15*shift, channel.IVR: 8, channel.FaceToFace: 14 - 4*shift, channel.WebSelfService: 12 + 14*shift,
			channel.WebForm: 9 + 4*shift, channel.Email: 6, channel.LandlordPortal: 2 + 2*shift, channel.SMS: 2, channel.Letter: 2 - shift,
		}
		for range 140 + rng.IntN(30) {
			ch := pick(rng, weights)
			req := intake.Request{Channel: ch, Service: casework.Service{LGSL: services[rng.IntN(len(services))]},
				StartedAt: start.AddDate(0, 0, week*7+rng.IntN(7)).Add(time.Duration(8+rng.IntN(9)) * time.Hour),
				Outcome:   outcomes[rng.IntN(len(outcomes))], Intent: intents[rng.IntN(len(intents))]}
			if ch == channel.WebSelfService && rng.IntN(3) > 0 {
				req.Outcome = intake.SelfServed
			}
			if ch == channel.FaceToFace {
				req.Centre = "civic-centre"
			}
			// 400 residents (numbers from Ofcom's range for drama), so that contacts join
			// open cases and some come back within the avoidable window.
			req.Identifiers = []customer.IdentifierInput{{Kind: identifier.Phone, Value: fmt.Sprintf("07700900%03d", rng.IntN(400))}}
			req.CreateCustomer = true
			if _, err := h.app.Contacts.Record(ctx, hubevent.System, req); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func pick(rng *rand.Rand, weights map[channel.Channel]float64) channel.Channel {
	total := 0.0
	for _, ch := range channel.Names() {
		total += weights[ch]
	}
	x := rng.Float64() * total
	for _, ch := range channel.Names() {
		if x -= weights[ch]; x < 0 {
			return ch
		}
	}
	return channel.Phone
}
