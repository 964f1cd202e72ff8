// Package forecast predicts contact arrivals per interval from their history. It is pure:
// counts in, expected counts and prediction intervals out.
//
// The method is a seasonal profile × level × time of year, chosen from the literature on
// intraday call-centre arrivals: Taylor (2008, "A comparison of univariate time series
// methods for forecasting intraday arrivals at a call center", Management Science 54(2))
// found that for lead times beyond a day or two — the weeks ahead a rota is planned for —
// the simple seasonal average of the same half hour of the week over recent weeks is as
// good as double-seasonal Holt–Winters and better than ARIMA, which shine only minutes to
// hours ahead. A seasonal average alone misses three things a council sees, so we adjust it:
//   - trend: the level of deseasonalised daily totals over the last 12 weeks, fitted by a
//     straight line and extrapolated (clamped, so a short run cannot run away);
//   - the time of year (annual billing in March, the uprating in April): how much busier the
//     target day was last year than the weeks the profile is drawn from were last year —
//     learnt from the same days last year (364 days back, so weekdays line up);
//   - known events (bank holidays, letter runs): supervisor entries with an expected uplift
//     multiply the days they cover, and days with an event are left out of every average,
//     so a bank holiday last week does not hollow out next week's forecast.
//
// Prediction intervals treat counts as over-dispersed Poisson (variance μ + κμ²), κ
// estimated from how the same interval of the week varied over the profile's weeks, and
// widen a little with lead time; quantiles by the normal approximation, floored at zero.
// Under two weeks of history the method is the seasonal average alone, and says so.
package forecast

import (
	"math"
	"time"
)

// Method names how a forecast was made.
type Method string

const (
	// SeasonalAverage: the mean of the same interval of the week (or of the day, with
	// under a week of history) — the fallback with under two weeks of history.
	SeasonalAverage Method = "seasonal_average"
	// ProfileTrendYearly: the seasonal average adjusted for trend, time of year and events.
	ProfileTrendYearly Method = "seasonal_profile_trend_yearly"
)

// Series is counts per interval, in order, from Start, each Step long, with no gaps.
type Series struct {
	Start  time.Time
	Step   time.Duration
	Counts []float64
}

// At answers the start of the i-th interval.
func (s Series) At(i int) time.Time { return s.Start.Add(time.Duration(i) * s.Step) }

// End is the start of the interval after the last.
func (s Series) End() time.Time { return s.At(len(s.Counts)) }

// Event is a known day or run of days that changes demand: Uplift 0.4 is 40 % more
// contacts, −1 a closure.
type Event struct {
	From, To time.Time // local dates, To inclusive
	Uplift   float64
}

// Point is one interval's forecast.
type Point struct {
	Start                              time.Time
	Expected                           float64
	Lower80, Upper80, Lower95, Upper95 float64
}

// Result is a forecast and how it was made.
type Result struct {
	Method      Method
	HistoryDays int
	Points      []Point
	// Dispersion is κ of the counts' variance μ + κμ², for bands of sums of points.
	Dispersion float64
}

// Config tunes the method; Default is what the hub uses.
type Config struct {
	ProfileWeeks int // weeks averaged for the seasonal profile
	TrendWeeks   int // weeks of daily totals the trend is fitted to
	// MaxTrend bounds the trend's multiplier at any lead time (e.g. 0.25: ×0.75 to ×1.25).
	MaxTrend float64
	// Location is the council's clock: the week and the day turn at its midnight.
	Location *time.Location
}

// Default is the configuration the hub runs with.
func Default(loc *time.Location) Config {
	return Config{ProfileWeeks: 6, TrendWeeks: 12, MaxTrend: 0.25, Location: loc}
}

const (
	z80 = 1.2815515655446004
	z95 = 1.959963984540054
)

// Forecast predicts n intervals after history's end.
func Forecast(history Series, n int, events []Event, cfg Config) Result {
	m := newModel(history, events, cfg)
	res := Result{Method: m.method, HistoryDays: m.historyDays, Points: make([]Point, n), Dispersion: m.kappa}
	for i := range n {
		at := history.At(len(history.Counts) + i)
		mu := m.expected(at)
		res.Points[i] = m.point(at, mu, i)
	}
	return res
}

// model is what Forecast learns from a history before predicting.
type model struct {
	cfg          Config
	h            Series
	events       []Event
	method       Method
	historyDays  int
	perDay       int       // intervals per day
	perWeek      int       // intervals per week
	profile      []float64 // mean count per interval of the week (or of the day)
	profileOfDay bool
	kappa        float64 // over-dispersion
	// trend: deseasonalised daily total = a + b·day, day counted from the history's start.
	a, b       float64
	baseCentre float64 // mean day of the profile's weeks
	dayFactor  [7]float64
	days       []dayTotal
	origin     time.Time
	eventDays  map[int]float64
}

type dayTotal struct {
	date  time.Time // local midnight
	total float64   // sum of counts, NaN if the day had an event or is incomplete
}

func newModel(h Series, events []Event, cfg Config) *model {
	m := &model{cfg: cfg, h: h, events: events, origin: h.End()}
	m.perDay = int(24 * time.Hour / h.Step)
	if m.perDay < 1 {
		m.perDay = 1
	}
	m.perWeek = 7 * m.perDay
	m.indexEvents()
	span := h.Step * time.Duration(len(h.Counts))
	m.historyDays = int(span / (24 * time.Hour))
	m.days = m.dailyTotals()
	m.fitProfile()
	if m.historyDays < 14 {
		m.method = SeasonalAverage
		return m
	}
	m.method = ProfileTrendYearly
	m.fitDayFactors()
	m.fitTrend()
	return m
}

// slot is the interval of the week (or of the day) a time falls in, on the council's clock.
func (m *model) slot(t time.Time) int {
	l := t.In(m.cfg.Location)
	minute := l.Hour()*60 + l.Minute()
	inDay := minute * m.perDay / (24 * 60)
	if m.profileOfDay {
		return inDay
	}
	return (int(l.Weekday())+6)%7*m.perDay + inDay // Monday first
}

func (m *model) localDate(t time.Time) time.Time {
	l := t.In(m.cfg.Location)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, m.cfg.Location)
}

// uplift is the product of the events covering t's day (1 when none), and whether any do.
func (m *model) uplift(t time.Time) (float64, bool) {
	if f, ok := m.eventDays[dayKey(t.In(m.cfg.Location))]; ok {
		return f, true
	}
	return 1, false
}

func dayKey(l time.Time) int { return l.Year()*10000 + int(l.Month())*100 + l.Day() }

// indexEvents turns the events into a day → multiplier table, once per forecast.
func (m *model) indexEvents() {
	m.eventDays = map[int]float64{}
	for _, e := range m.events {
		to := m.localDate(e.To)
		for d := m.localDate(e.From); !d.After(to); d = d.AddDate(0, 0, 1) {
			k := dayKey(d)
			f, ok := m.eventDays[k]
			if !ok {
				f = 1
			}
			m.eventDays[k] = math.Max(0, f*(1+e.Uplift))
		}
	}
}

// fitProfile averages each interval of the week over the last ProfileWeeks weeks, leaving
// out event days; under a week of history, each interval of the day instead.
func (m *model) fitProfile() {
	size := m.perWeek
	if m.historyDays < 7 {
		m.profileOfDay, size = true, m.perDay
	}
	sum, sq := make([]float64, size), make([]float64, size)
	cnt := make([]int, size)
	first := max(0, len(m.h.Counts)-m.cfg.ProfileWeeks*m.perWeek)
	for i := first; i < len(m.h.Counts); i++ {
		at := m.h.At(i)
		if _, ev := m.uplift(at); ev {
			continue
		}
		s := m.slot(at)
		y := m.h.Counts[i]
		sum[s] += y
		sq[s] += y * y
		cnt[s]++
	}
	m.profile = make([]float64, size)
	var excess, scale float64
	for s := range size {
		if cnt[s] == 0 {
			continue
		}
		mean := sum[s] / float64(cnt[s])
		m.profile[s] = mean
		if cnt[s] > 1 && mean > 0 {
			v := (sq[s] - float64(cnt[s])*mean*mean) / float64(cnt[s]-1)
			excess += v - mean
			scale += mean * mean
		}
	}
	if scale > 0 {
		m.kappa = math.Max(0, excess/scale)
	}
	// Fewer than two weeks cannot tell noise from shape: allow a wide band.
	if m.historyDays < 14 {
		m.kappa = math.Max(m.kappa, 0.1)
	}
	var centre float64
	n := 0
	for i := first; i < len(m.h.Counts); i += m.perDay {
		centre += m.dayIndex(m.h.At(i))
		n++
	}
	if n > 0 {
		m.baseCentre = centre / float64(n)
	}
}

func (m *model) dayIndex(t time.Time) float64 {
	return math.Round(m.localDate(t).Sub(m.localDate(m.h.Start)).Hours() / 24)
}

// dailyTotals sums whole local days; an event day or a day the history only partly covers
// is NaN, so every average below leaves it out.
func (m *model) dailyTotals() []dayTotal {
	var out []dayTotal
	seen := map[time.Time]int{}
	for i, y := range m.h.Counts {
		at := m.h.At(i)
		d := m.localDate(at)
		k, ok := seen[d]
		if !ok {
			k = len(out)
			seen[d] = k
			out = append(out, dayTotal{date: d})
		}
		out[k].total += y
		if _, ev := m.uplift(at); ev {
			out[k].total = math.NaN()
		}
	}
	// The first and last days may be cut by the history's edges.
	if len(out) > 0 && !m.localDate(m.h.Start).Equal(m.h.Start.In(m.cfg.Location)) {
		out[0].total = math.NaN()
	}
	if len(out) > 0 && !m.localDate(m.h.End()).Equal(m.h.End().In(m.cfg.Location)) {
		out[len(out)-1].total = math.NaN()
	}
	return out
}

// fitDayFactors is each weekday's share of a mean day over the profile's weeks.
func (m *model) fitDayFactors() {
	var sum [7]float64
	var cnt [7]int
	from := m.origin.AddDate(0, 0, -7*m.cfg.ProfileWeeks)
	for _, d := range m.days {
		if d.date.Before(from) || math.IsNaN(d.total) {
			continue
		}
		w := (int(d.date.Weekday()) + 6) % 7
		sum[w] += d.total
		cnt[w]++
	}
	var all float64
	for w := range 7 {
		if cnt[w] > 0 {
			m.dayFactor[w] = sum[w] / float64(cnt[w])
		}
		all += m.dayFactor[w]
	}
	for w := range 7 {
		if all > 0 {
			m.dayFactor[w] /= all / 7
		}
	}
}

// deseasonalised is a day's total over its weekday's factor; NaN when it cannot be told
// (an event, a partial day, or a weekday with no contacts, such as a closed Sunday).
func (m *model) deseasonalised(d dayTotal) float64 {
	f := m.dayFactor[(int(d.date.Weekday())+6)%7]
	if math.IsNaN(d.total) || f < 0.05 {
		return math.NaN()
	}
	return d.total / f
}

// fitTrend fits a straight line to the deseasonalised daily totals of the last TrendWeeks.
func (m *model) fitTrend() {
	from := m.origin.AddDate(0, 0, -7*m.cfg.TrendWeeks)
	var sx, sy, sxx, sxy, n float64
	for _, d := range m.days {
		if d.date.Before(from) {
			continue
		}
		y := m.deseasonalised(d)
		if math.IsNaN(y) {
			continue
		}
		x := m.dayIndex(d.date)
		sx, sy, sxx, sxy, n = sx+x, sy+y, sxx+x*x, sxy+x*y, n+1
	}
	if n < 2 || n*sxx-sx*sx == 0 {
		m.a, m.b = sy/math.Max(n, 1), 0
		return
	}
	m.b = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	m.a = (sy - m.b*sx) / n
}

// trend is the level at t's day relative to the level the profile was drawn at.
func (m *model) trend(t time.Time) float64 {
	base := m.a + m.b*m.baseCentre
	if base <= 0 {
		return 1
	}
	f := (m.a + m.b*m.dayIndex(t)) / base
	return math.Min(math.Max(f, 1-m.cfg.MaxTrend), 1+m.cfg.MaxTrend)
}

// yearly is how much busier t's week was last year than the profile's weeks were last
// year: 1 without a year and a profile's weeks of history.
func (m *model) yearly(t time.Time) float64 {
	then := m.localDate(t).AddDate(0, 0, -364)
	around := m.meanDeseasonalised(then.AddDate(0, 0, -3), then.AddDate(0, 0, 4))
	baseTo := m.localDate(m.origin).AddDate(0, 0, -364)
	base := m.meanDeseasonalised(baseTo.AddDate(0, 0, -7*m.cfg.ProfileWeeks), baseTo)
	if math.IsNaN(around) || math.IsNaN(base) || base <= 0 {
		return 1
	}
	return around / base
}

// meanDeseasonalised averages the deseasonalised totals of the days in [from, to).
func (m *model) meanDeseasonalised(from, to time.Time) float64 {
	if len(m.days) == 0 || from.Before(m.days[0].date) {
		return math.NaN()
	}
	i := int(math.Round(from.Sub(m.days[0].date).Hours() / 24))
	var sum float64
	n := 0
	for ; i < len(m.days) && m.days[i].date.Before(to); i++ {
		if y := m.deseasonalised(m.days[i]); !math.IsNaN(y) {
			sum += y
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

func (m *model) expected(t time.Time) float64 {
	mu := m.profile[m.slot(t)]
	if m.method == ProfileTrendYearly {
		mu *= m.trend(t) * m.yearly(t)
	}
	up, _ := m.uplift(t)
	return mu * up
}

// point puts the prediction intervals round mu; lead is the interval's distance from the
// origin, widening the band by 1 % of the mean per week ahead for the level's uncertainty.
func (m *model) point(at time.Time, mu float64, lead int) Point {
	return Around(at, mu, m.kappa, float64(lead)/float64(m.perWeek))
}

// Around is the point at `at` with mean mu: bands from the variance μ + (κ + (0.01·w)²)μ²,
// w the weeks ahead of the origin.
func Around(at time.Time, mu, kappa, weeksAhead float64) Point {
	rel := kappa + math.Pow(0.01*weeksAhead, 2)
	sd := math.Sqrt(mu + rel*mu*mu)
	lo := func(z float64) float64 { return math.Max(0, mu-z*sd) }
	return Point{Start: at, Expected: mu, Lower80: lo(z80), Upper80: mu + z80*sd, Lower95: lo(z95), Upper95: mu + z95*sd}
}
