package contract

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/workcal"
)

// The calendar is configuration, not storage: one backend (SQLite) is enough here.
//
// The service level of a new benefit claim (8 business hours under the default rules),
// asked for on the Thursday before Easter 2026 at 16:00, falls due after the bank
// holidays of the configured region and the council's own closure days (issue 17).
func TestWorkingTime_ServiceLevelsSkipBankHolidaysAndClosures(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	closures := filepath.Join(t.TempDir(), "closures.txt")
	if err := os.WriteFile(closures, []byte("# staff training day\n2026-04-07 council closure: staff training\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 4, 2, 16, 0, 0, 0, london)
	for _, tc := range []struct {
		name  string
		tweak func(*config.Config)
		want  time.Time
	}{
		{"england and wales: Good Friday and Easter Monday", nil, time.Date(2026, 4, 7, 16, 0, 0, 0, london)},
		{"scotland: Good Friday only", func(c *config.Config) { c.BankHolidayRegion = workcal.Scotland }, time.Date(2026, 4, 6, 16, 0, 0, 0, london)},
		{"a closure day after Easter", func(c *config.Config) { c.ClosuresFile = closures }, time.Date(2026, 4, 8, 16, 0, 0, 0, london)},
		{"no calendar", func(c *config.Config) { c.BankHolidayRegion = "" }, time.Date(2026, 4, 3, 16, 0, 0, 0, london)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHub(t, backends(t)[0], tc.tweak)
			c := newCompliance(h)
			token := h.token(auth.Claims{Subject: "agent-w", Roles: []auth.Role{auth.Agent}, Tier: 1})
			d := c.call(t, token, "POST", "/v1/routing/decisions", js{"service": js{"lgsl": 69}, "channel": "phone", "at": at},
				http.StatusOK)["decision"].(map[string]any)
			due, err := time.Parse(time.RFC3339Nano, d["slaDueAt"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if d["rule"] != "new-benefit-claims" || !due.Equal(tc.want) {
				t.Errorf("rule %v due %v, want new-benefit-claims due %v", d["rule"], due.In(london), tc.want)
			}
		})
	}
}
