package workforce

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/workforce/forecast/synthetic"
)

// loadSynthetic writes the seeded synthetic phone line (two years of half hours) into the
// quarter-hour counts, as intake would have counted its contacts.
func loadSynthetic(t *testing.T, db *store.DB, from time.Time, weeks int) {
	t.Helper()
	counts := synthetic.HalfHours(20261130, from, weeks)
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range counts {
		if n == 0 {
			continue
		}
		q := from.Add(time.Duration(i)*synthetic.Step).Unix() / quarterSeconds
		if _, err := tx.Exec(tx.Rebind(`INSERT INTO contact_quarter (channel, quarter, service_lgsl, centre, contacts) VALUES ('phone', ?, 58, '', ?)`), q, int(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// dayMean is the synthetic line's expected contacts on local day d, before noise.
func dayMean(from, d time.Time) float64 {
	var sum float64
	for at := d; at.Before(d.AddDate(0, 0, 1)); at = at.Add(synthetic.Step) {
		sum += synthetic.Mean(from, at)
	}
	return sum
}

// Annual billing next March, entered without an uplift, learns it from the same week of
// last March in the seeded synthetic history (whose billing lift peaks on 13 March): the
// answer says the uplift came from last year and which days, and it is the lift the
// generator put into that week over the four weeks before it, within the noise. An entry
// with an uplift keeps it; an entry with no history a year back is refused naming
// `uplift`; and the forecast lists the learnt entry it applied.
func TestCalendar_LearnsAnUpliftFromTheSameWeekLastYear(t *testing.T) {
	db := storetest.Open(t, storetest.Backend{Name: "sqlite"})
	from := time.Date(2024, 7, 1, 0, 0, 0, 0, london) // a Monday; 104 weeks to 29 June 2026
	loadSynthetic(t, db, from, 104)
	s := New(db, london, nil, Fallbacks{})
	s.now = func() time.Time { return time.Date(2026, 6, 29, 0, 0, 0, 0, london) }
	ctx := context.Background()
	actor := event.Actor{Subject: "sup-wfm"}

	e, err := s.AddCalendarEntry(ctx, CalendarEntry{Name: "Annual billing", Channel: channel.Phone, From: "2027-03-08", To: "2027-03-14", Learn: true}, actor)
	if err != nil {
		t.Fatal(err)
	}
	if e.UpliftSource != FromLastYear || e.LearntFrom != "2026-03-09" || e.LearntTo != "2026-03-15" {
		t.Fatalf("entry %+v: want learnt from 2026-03-09 to 2026-03-15", e)
	}
	var event, usual float64
	for d := time.Date(2026, 3, 9, 0, 0, 0, 0, london); d.Day() <= 15; d = d.AddDate(0, 0, 1) {
		event += dayMean(from, d)
		var base float64
		for w := 1; w <= 4; w++ {
			base += dayMean(from, d.AddDate(0, 0, -7*w))
		}
		usual += base / 4
	}
	truth := event/usual - 1
	t.Logf("learnt uplift %.3f; the generator's lift of that week over the 4 before it %.3f", e.Uplift, truth)
	if math.Abs(e.Uplift-truth) > 0.08 || e.Uplift < 0.2 {
		t.Fatalf("learnt %.3f, the generator put in %.3f", e.Uplift, truth)
	}

	given, err := s.AddCalendarEntry(ctx, CalendarEntry{Name: "Letter run", Channel: channel.Phone, From: "2026-07-06", To: "2026-07-06", Uplift: 0.3}, actor)
	if err != nil || given.UpliftSource != FromSupervisor || given.Uplift != 0.3 || given.LearntFrom != "" {
		t.Fatalf("given uplift: %+v %v", given, err)
	}

	_, err = s.AddCalendarEntry(ctx, CalendarEntry{Name: "Uprating", Channel: channel.Phone, From: "2025-04-07", To: "2025-04-11", Learn: true}, actor)
	if fe, ok := err.(*fault.Error); !ok || len(fe.Fields) != 1 || fe.Fields[0].Field != "uplift" {
		t.Fatalf("no history a year back: %v, want a 422 naming uplift", err)
	}

	f, err := s.Forecast(ctx, ForecastQuery{Channel: channel.Phone, From: time.Date(2027, 3, 8, 0, 0, 0, 0, london),
		To: time.Date(2027, 3, 15, 0, 0, 0, 0, london), Interval: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Events) != 1 || f.Events[0].ID != e.ID || f.Events[0].UpliftSource != FromLastYear || f.Events[0].LearntFrom != "2026-03-09" {
		t.Fatalf("forecast events %+v", f.Events)
	}
}
