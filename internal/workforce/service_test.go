package workforce

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// Two years of evenly spread contacts: the forecast reads only its windows of them, yet
// says it had the whole of what it reads (about 400 days), keeps the level (a flat line
// stays flat: no trend, no time-of-year factor away from 1) and counts only its channel.
func TestForecast_FromTwoYearsOfContactsKeepsTheLevelAndCountsItsDays(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			db := storetest.Open(t, be)
			end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
			if err := loadContacts(db, 20_000, end.AddDate(-2, 0, 0), end); err != nil {
				t.Fatal(err)
			}
			s := New(db, london, nil, Fallbacks{})
			s.now = func() time.Time { return end.Add(time.Hour) }
			f, err := s.Forecast(context.Background(), ForecastQuery{Channel: channel.Phone, From: end, To: end.AddDate(0, 0, 28), Interval: 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if f.Method != "seasonal_profile_trend_yearly" || f.HistoryDays < 399 || len(f.Points) != 28 {
				t.Fatalf("method %s, %d days, %d points", f.Method, f.HistoryDays, len(f.Points))
			}
			perDay := 0.6 * 20_000 / end.Sub(end.AddDate(-2, 0, 0)).Hours() * 24 // phone is 3 in 5
			var sum float64
			for _, p := range f.Points {
				sum += p.Expected
			}
			if got := sum / 28; math.Abs(got/perDay-1) > 0.05 {
				t.Fatalf("%.2f a day forecast, %.2f a day recorded", got, perDay)
			}
		})
	}
}

// With too few ended contacts the handling time is the configured one for how the channel
// is handled; with enough, the measured one.
func TestHandlingTime_ConfiguredUntilMeasured(t *testing.T) {
	db := storetest.Open(t, storetest.Backend{Name: "sqlite"})
	s := New(db, london, nil, Fallbacks{Written: 11 * time.Minute})
	ctx := context.Background()
	for ch, want := range map[channel.Channel]float64{channel.Email: 660, channel.Phone: 360} {
		if got, src, err := s.HandlingTime(ctx, ch, 0); err != nil || got != want || src != "default" {
			t.Fatalf("%s: %v %s %v, want %v default", ch, got, src, err, want)
		}
	}
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := range 25 {
		at := start.Add(time.Duration(i) * time.Hour)
		if _, err := db.Exec(db.Rebind(`INSERT INTO contacts (id, channel, direction, started_at, ended_at, service_lgsl, outcome, version, created_at, updated_at)
 VALUES (?, 'phone', 'inbound', ?, ?, 58, 'resolved', 1, ?, ?)`), store.NewID(), at, at.Add(200*time.Second), at, at); err != nil {
			t.Fatal(err)
		}
	}
	if got, src, err := s.HandlingTime(ctx, channel.Phone, 0); err != nil || math.Abs(got-200) > 1e-3 || src != "measured" {
		t.Fatalf("measured: %v %s %v", got, src, err)
	}
}

// Daily intervals are the council's days: across the clocks going forward (29 March 2026,
// 23 hours) each point starts at a London midnight and the short day forecasts less.
func TestForecast_DaysFollowTheCouncilsClockAcrossAChangeOfClocks(t *testing.T) {
	db := storetest.Open(t, storetest.Backend{Name: "sqlite"})
	end := time.Date(2026, 3, 23, 0, 0, 0, 0, london)
	if err := loadContacts(db, 20_000, end.AddDate(0, 0, -70), end); err != nil {
		t.Fatal(err)
	}
	s := New(db, london, nil, Fallbacks{})
	s.now = func() time.Time { return end }
	f, err := s.Forecast(context.Background(), ForecastQuery{Channel: channel.Phone, From: end, To: end.AddDate(0, 0, 8), Interval: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Points) != 8 {
		t.Fatalf("%d days", len(f.Points))
	}
	for i, p := range f.Points {
		l := p.Start.In(london)
		if l.Hour() != 0 || l.Minute() != 0 || l.Day() != 23+i {
			t.Fatalf("day %d starts %v", i, l)
		}
	}
	short, usual := f.Points[6].Expected, f.Points[7].Expected // Sunday 29th (23 h), Monday 30th
	if !(short < usual*0.97 && short > usual*0.93) {
		t.Fatalf("the 23-hour day forecasts %.1f against %.1f for a whole one", short, usual)
	}
}

// Migration 00018 counts the contacts recorded before it with SQL (countQuarters is the
// same statement); the database's arithmetic on the stored times must put each contact
// in the quarter hour intake would (Unix seconds ÷ 900), whatever zone the time was
// written in and with fractions of a second.
func TestQuarterCounts_TheBackfillBucketsAsIntakeDoes(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			db := storetest.Open(t, be)
			times := []time.Time{
				time.Date(2026, 6, 1, 10, 14, 59, 999_000_000, london), // BST: 09:14:59.999 UTC
				time.Date(2026, 6, 1, 10, 15, 0, 0, london),
				time.Date(2026, 12, 1, 23, 59, 30, 0, time.UTC),
			}
			for _, at := range times {
				if _, err := db.Exec(db.Rebind(`INSERT INTO contacts (id, channel, direction, started_at, service_lgsl, outcome, version, created_at, updated_at)
 VALUES (?, 'phone', 'inbound', ?, 58, 'resolved', 1, ?, ?)`), store.NewID(), at, at, at); err != nil {
					t.Fatal(err)
				}
			}
			if err := countQuarters(db); err != nil {
				t.Fatal(err)
			}
			var got []int64
			if err := db.Select(&got, `SELECT quarter FROM contact_quarter ORDER BY quarter`); err != nil {
				t.Fatal(err)
			}
			want := []int64{times[0].Unix() / 900, times[1].Unix() / 900, times[2].Unix() / 900}
			if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Fatalf("quarters %v, want %v", got, want)
			}
		})
	}
}
