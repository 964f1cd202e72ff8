package forecast

import (
	"math"
	"testing"
	"time"

	"github.com/council/contacthub/internal/workforce/forecast/synthetic"
)

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

func holidayEvents() []Event {
	var out []Event
	for _, d := range synthetic.BankHolidays {
		t, _ := time.ParseInLocation("2006-01-02", d, london)
		out = append(out, Event{From: t, To: t, Uplift: -0.97})
	}
	return out
}

// generated is the seeded synthetic phone line (package synthetic) as a Series.
func generated(seed uint64, from time.Time, weeks int) Series {
	return Series{Start: from, Step: synthetic.Step, Counts: synthetic.HalfHours(seed, from, weeks)}
}

// The method must beat the seasonal-naive baseline on a realistic history, and the test
// says by how much: 26 weekly origins over January–June 2026 (the March billing peak, Easter
// and both May bank holidays), each forecasting the week ahead from the history before it.
func TestBacktest_BeatsSeasonalNaiveOnTwoYearsOfSyntheticHalfHours(t *testing.T) {
	from := time.Date(2024, 7, 1, 0, 0, 0, 0, london) // a Monday
	all := generated(20261130, from, 104)
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
	all := generated(7, from, 104)
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
	all := generated(3, from, 2)
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
	all := generated(11, from, 8)
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
	all := generated(1, from, 104)
	ev := holidayEvents()
	for b.Loop() {
		Forecast(all, 4*336, ev, Default(london))
	}
}
