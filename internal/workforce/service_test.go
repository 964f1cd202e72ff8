package workforce

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/council/contacthub/internal/channel"
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
			s := New(db, london, nil)
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
