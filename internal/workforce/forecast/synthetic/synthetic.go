// Package synthetic generates a realistic, seeded history of a council phone line's
// half-hourly contacts, for tests of the forecast and of what is learnt from history. It
// is not used by the hub itself; it lives outside the test files so that the forecast's
// tests and the workforce service's tests share one generator.
package synthetic

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// London is the council's clock the history is generated on.
var London = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

// BankHolidays are England and Wales' bank holidays (GOV.UK), the 2025–26 ones as in
// shared/INTEGRATIONS.md.
var BankHolidays = []string{
	"2024-08-26", "2024-12-25", "2024-12-26",
	"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26",
	"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
}

// IsHoliday says whether local day d is a bank holiday.
func IsHoliday(d time.Time) bool { return slices.Contains(BankHolidays, d.Format("2006-01-02")) }

// Step is the width of a generated count.
const Step = 30 * time.Minute

// March is annual billing's lift on a day of the year: up to 70 %, peaking on day 72
// (13 March in a common year), most of it within a fortnight either side.
func March(yearDay int) float64 {
	return 1 + 0.7*math.Exp(-math.Pow((float64(yearDay)-72)/12, 2))
}

// Mean is the expected count of the half hour starting at t of a history starting at
// from, before the day's wobble and the noise.
func Mean(from, t time.Time) float64 {
	mu, _ := ordinary(from, t)
	if IsHoliday(t.In(London)) {
		mu *= 0.03
	}
	return mu
}

// ordinary is Mean as if no day were a bank holiday, and whether the line is open.
func ordinary(from, t time.Time) (float64, bool) {
	weekday := [7]float64{0, 1.3, 1.1, 1.0, 0.95, 0.85, 0.3} // Sunday first, as time.Weekday
	t = t.In(London)
	h := float64(t.Hour()) + float64(t.Minute())/60 + 0.25
	open := h >= 8 && h < 18
	if t.Weekday() == time.Saturday {
		open = h >= 9 && h < 13
	}
	if !open {
		return 0, false
	}
	shape := 1 + 0.6*math.Exp(-math.Pow((h-10)/1.5, 2)) + 0.5*math.Exp(-math.Pow((h-13)/0.8, 2))
	years := t.Sub(from).Hours() / (24 * 365)
	trend := 1 + 0.12*years
	return 18 * shape * weekday[t.Weekday()] * trend * March(t.YearDay()), true
}

// HalfHours generates weeks of 30-minute contact counts from `from`, from a seed: open
// 08:00–18:00 on weekdays (a mid-morning peak and a lunchtime one), Saturday mornings at a
// third, closed Sundays; Monday busiest, Friday quietest; 12 % a year growth; annual
// billing lifting March by up to 70 %; bank holidays closed (3 % of a day's calls still
// reach the line); a day-to-day level wobble of 6 % and Poisson noise.
func HalfHours(seed uint64, from time.Time, weeks int) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	n := weeks * 7 * 48
	counts := make([]float64, n)
	day, wobble := time.Time{}, 1.0
	for i := range n {
		t := from.Add(time.Duration(i) * Step).In(London)
		if d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, London); !d.Equal(day) {
			day, wobble = d, math.Exp(0.06*r.NormFloat64())
		}
		mu, open := ordinary(from, t)
		if !open {
			continue
		}
		mu *= wobble // in this order (and a draw even for a closed Sunday's 0), so a seed gives the history it always has
		if IsHoliday(t) {
			mu *= 0.03
		}
		counts[i] = float64(poisson(r, mu))
	}
	return counts
}

func poisson(r *rand.Rand, mu float64) int {
	if mu > 40 {
		return max(0, int(math.Round(mu+math.Sqrt(mu)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mu), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
