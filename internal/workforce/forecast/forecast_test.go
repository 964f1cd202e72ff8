package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

// England and Wales bank holidays (GOV.UK), the 2025–26 ones as in shared/INTEGRATIONS.md.
var bankHolidays = []string{
	"2024-08-26", "2024-12-25", "2024-12-26",
	"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26",
	"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
}

func holidayEvents() []Event {
	var out []Event
	for _, d := range bankHolidays {
		t, _ := time.ParseInLocation("2006-01-02", d, london)
		out = append(out, Event{From: t, To: t, Uplift: -0.97})
	}
	return out
}

func isHoliday(d time.Time) bool {
	s := d.Format("2006-01-02")
	for _, h := range bankHolidays {
		if h == s {
			return true
		}
	}
	return false
}

// synthetic generates two years of 30-minute contact counts for a council phone line, from
// a seed: open 08:00–18:00 on weekdays (a mid-morning peak and a lunchtime one), Saturday
// mornings at a third, closed Sundays; Monday busiest, Friday quietest; 12 % a year growth;
// annual billing lifting March by up to 70 %; bank holidays closed (3 % of a day's calls
// still reach the line); a day-to-day level wobble of 6 % and Poisson noise.
func synthetic(seed uint64, from time.Time, weeks int) Series {
	r := rand.New(rand.NewPCG(seed, 1))
	weekday := [7]float64{0, 1.3, 1.1, 1.0, 0.95, 0.85, 0.3} // Sunday first, as time.Weekday
	s := Series{Start: from, Step: 30 * time.Minute}
	n := weeks * 7 * 48
	s.Counts = make([]float64, n)
	day, wobble := time.Time{}, 1.0
	for i := range n {
		t := s.At(i).In(london)
		if d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, london); !d.Equal(day) {
			day, wobble = d, math.Exp(0.06*r.NormFloat64())
		}
		h := float64(t.Hour()) + float64(t.Minute())/60 + 0.25
		open := h >= 8 && h < 18
		if t.Weekday() == time.Saturday {
			open = h >= 9 && h < 13
		}
		if !open {
			continue
		}
		shape := 1 + 0.6*math.Exp(-math.Pow((h-10)/1.5, 2)) + 0.5*math.Exp(-math.Pow((h-13)/0.8, 2))
		years := t.Sub(from).Hours() / (24 * 365)
		trend := 1 + 0.12*years
		march := 1 + 0.7*math.Exp(-math.Pow((float64(t.YearDay())-72)/12, 2))
		mu := 18 * shape * weekday[t.Weekday()] * trend * march * wobble
		if isHoliday(t) {
			mu *= 0.03
		}
		s.Counts[i] = float64(poisson(r, mu))
	}
	return s
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

// The method must beat the seasonal-naive baseline on a realistic history, and the test
// says by how much: 26 weekly origins over January–June 2026 (the March billing peak, Easter
// and both May bank holidays), each forecasting the week ahead from the history before it.
func TestBacktest_BeatsSeasonalNaiveOnTwoYearsOfSyntheticHalfHours(t *testing.T) {
	from := time.Date(2024, 7, 1, 0, 0, 0, 0, london) // a Monday
	all := synthetic(20261130, from, 104)
	acc := Backtest(all, 26, 7*24*time.Hour, holidayEvents(), Default(london))
	if acc.Origins != 26 || acc.Intervals != 26*336 {
		t.Fatalf("origins %d intervals %d, want 26 and %d", acc.Origins, acc.Intervals, 26*336)
	}
	better := 1 - acc.WAPE/acc.NaiveWAPE
	t.Logf("WAPE %.3f (bias %+.3f) vs seasonal naive %.3f (bias %+.3f): %.0f %% lower error; 80 %% band covers %.0f %%",
		acc.WAPE, acc.Bias, acc.NaiveWAPE, acc.NaiveBias, 100*better, 100*acc.Coverage80)
	if better < 0.2 {
		t.Fatalf("the method's WAPE %.3f is not at least 20 %% under the baseline's %.3f", acc.WAPE, acc.NaiveWAPE)
	}
	if math.Abs(acc.Bias) > 0.05 {
		t.Fatalf("bias %.3f: more than 5 %% off on the whole", acc.Bias)
	}
	if acc.Coverage80 < 0.7 || acc.Coverage80 > 0.92 {
		t.Fatalf("the 80 %% band holds %.2f of actuals: badly calibrated", acc.Coverage80)
	}
}

// The yearly factor learns the March peak from last year: forecasting the second week of
// March 2026 from the history before it expects clearly more than the February weeks the
// profile is drawn from, where the seasonal average alone would expect February's level.
func TestForecast_LearnsTheMarchPeakFromLastYear(t *testing.T) {
	from := time.Date(2024, 7, 1, 0, 0, 0, 0, london)
	all := synthetic(7, from, 104)
	origin := time.Date(2026, 3, 9, 0, 0, 0, 0, london)
	o := int(origin.Sub(from) / all.Step)
	hist := Series{Start: all.Start, Step: all.Step, Counts: all.Counts[:o]}
	res := Forecast(hist, 336, holidayEvents(), Default(london))
	if res.Method != ProfileTrendYearly || res.HistoryDays < 600 {
		t.Fatalf("method %s history %d days", res.Method, res.HistoryDays)
	}
	var want, got, feb float64
	for i, p := range res.Points {
		got += p.Expected
		want += all.Counts[o+i]
		feb += all.Counts[o+i-4*336]
	}
	if got < 1.25*feb {
		t.Fatalf("forecast %.0f for the billing week is not well above February's %.0f", got, feb)
	}
	if math.Abs(got/want-1) > 0.1 {
		t.Fatalf("forecast %.0f vs actual %.0f: more than 10 %% off", got, want)
	}
}

// Under two weeks of history answers the seasonal averages it has, and says so.
func TestForecast_TooLittleHistoryAnswersSeasonalAveragesAndSaysSo(t *testing.T) {
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, london)
	all := synthetic(3, from, 2)
	hist := Series{Start: from, Step: all.Step, Counts: all.Counts[:10*48]} // 10 days
	res := Forecast(hist, 96, nil, Default(london))
	if res.Method != SeasonalAverage || res.HistoryDays != 10 || len(res.Points) != 96 {
		t.Fatalf("method %s, %d days, %d points", res.Method, res.HistoryDays, len(res.Points))
	}
	// Thursday 12 November 10:00 is the mean of the one Thursday 10:00 in history (5 Nov).
	p := res.Points[20]
	if !p.Start.Equal(time.Date(2026, 11, 12, 10, 0, 0, 0, london)) || p.Expected != all.Counts[3*48+20] {
		t.Fatalf("point %v = %.1f, want 5 Nov 10:00's %.0f", p.Start, p.Expected, all.Counts[3*48+20])
	}
	if !(p.Lower95 <= p.Lower80 && p.Lower80 <= p.Expected && p.Expected <= p.Upper80 && p.Upper80 <= p.Upper95) {
		t.Fatalf("bands out of order: %+v", p)
	}
	// Three days: the same interval of the day, averaged.
	res = Forecast(Series{Start: from, Step: all.Step, Counts: all.Counts[:3*48]}, 48, nil, Default(london))
	want := (all.Counts[20] + all.Counts[48+20] + all.Counts[96+20]) / 3
	if res.Method != SeasonalAverage || math.Abs(res.Points[20].Expected-want) > 1e-9 {
		t.Fatalf("3 days: %s %.2f, want %.2f", res.Method, res.Points[20].Expected, want)
	}
	// None at all: zeros, never an error.
	res = Forecast(Series{Start: from, Step: all.Step}, 48, nil, Default(london))
	if res.HistoryDays != 0 || res.Points[20].Expected != 0 {
		t.Fatalf("no history: %+v", res.Points[20])
	}
}

// A supervisor's event multiplies the days it covers: a letter run with +50 %.
func TestForecast_EventUpliftMultipliesItsDays(t *testing.T) {
	from := time.Date(2025, 9, 1, 0, 0, 0, 0, london)
	all := synthetic(11, from, 8)
	day := all.End().In(london).AddDate(0, 0, 1) // the Tuesday after the history
	plain := Forecast(all, 336, nil, Default(london))
	lifted := Forecast(all, 336, []Event{{From: day, To: day, Uplift: 0.5}}, Default(london))
	for i := range plain.Points {
		ratio := lifted.Points[i].Expected / plain.Points[i].Expected
		onDay := plain.Points[i].Start.In(london).YearDay() == day.YearDay()
		if plain.Points[i].Expected > 0 && onDay && math.Abs(ratio-1.5) > 1e-9 {
			t.Fatalf("%v: ratio %.3f on the event day, want 1.5", plain.Points[i].Start, ratio)
		}
		if plain.Points[i].Expected > 0 && !onDay && math.Abs(ratio-1) > 1e-9 {
			t.Fatalf("%v: ratio %.3f off the event day, want 1", plain.Points[i].Start, ratio)
		}
	}
}

func BenchmarkForecast_FourWeeksFromTwoYears(b *testing.B) {
	from := time.Date(2024, 7, 1, 0, 0, 0, 0, london)
	all := synthetic(1, from, 104)
	ev := holidayEvents()
	for b.Loop() {
		Forecast(all, 4*336, ev, Default(london))
	}
}
