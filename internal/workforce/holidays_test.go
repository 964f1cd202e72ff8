package workforce

import (
	"testing"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/workcal"
)

// Christmas 2026 in England and Wales: Christmas Day on the Friday, Boxing Day on the
// Saturday moved to Monday 28 December (GOV.UK's published dates). A phone forecast
// expects nobody on those two days; web forms keep arriving, and a forecast of every
// channel together is left alone.
func TestClosures_ShutLiveChannelsOnBankHolidaysOnly(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workcal.New(london, workcal.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Closures{Calendar: cal}
	from, to := time.Date(2026, 12, 20, 0, 0, 0, 0, london), time.Date(2026, 12, 31, 0, 0, 0, 0, london)
	got := c.Events(channel.Phone, from, to)
	var days []string
	for _, e := range got {
		if e.Uplift != -1 || !e.From.Equal(e.To) {
			t.Fatalf("event %+v: want one closed day with uplift -1", e)
		}
		days = append(days, e.From.Format(dateLayout))
	}
	if len(days) != 2 || days[0] != "2026-12-25" || days[1] != "2026-12-28" {
		t.Fatalf("phone closed on %v, want 2026-12-25 and 2026-12-28", days)
	}
	if ev := c.Events(channel.WebForm, from, to); len(ev) != 0 {
		t.Fatalf("web forms closed on %v", ev)
	}
	if ev := c.Events("", from, to); len(ev) != 0 {
		t.Fatalf("all channels together got %v", ev)
	}
}
