package workforce

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/workcal"
	"github.com/council/contacthub/internal/workforce/forecast"
)

// Holidays is the seam for a working-time calendar (bank holidays, closures): the days
// from..to the council expects a channel's demand changed, as forecast events. The hub's
// supervisor-entered calendar entries are always used; this adds what the working
// calendar knows (Closures).
type Holidays interface {
	Events(ch channel.Channel, from, to time.Time) []forecast.Event
}

// Service forecasts demand from recorded contacts and staffs it.
type Service struct {
	db       *store.DB
	loc      *time.Location
	holidays Holidays
	fallback map[channel.Handling]float64 // handling seconds assumed until measured
	now      func() time.Time
}

// Fallbacks are the handling times assumed for a channel until enough of its contacts
// have ended to measure one; zero keeps DefaultHandlingSeconds.
type Fallbacks struct{ Live, Written time.Duration }

// New returns the service; loc is the council's clock (days and weeks turn at its
// midnight); holidays may be nil.
func New(db *store.DB, loc *time.Location, holidays Holidays, fb Fallbacks) *Service {
	fallback := maps.Clone(DefaultHandlingSeconds)
	if fb.Live > 0 {
		fallback[channel.Live] = fb.Live.Seconds()
	}
	if fb.Written > 0 {
		fallback[channel.Written] = fb.Written.Seconds()
	}
	return &Service{db: db, loc: loc, holidays: holidays, fallback: fallback, now: func() time.Time { return time.Now().UTC() }}
}

// Location is the council's clock.
func (s *Service) Location() *time.Location { return s.loc }

// WorkingTime is the council's working calendar, when the holidays seam is one
// (Closures); written work's SLA counts its working hours.
func (s *Service) WorkingTime() *workcal.Calendar {
	if c, ok := s.holidays.(Closures); ok {
		return c.Calendar
	}
	return nil
}

// historySpan is how far back a forecast reads: a year for the time-of-year factor plus
// the weeks its profile is drawn from a year ago, and a margin.
const historySpan = 400 * 24 * time.Hour

// maxRange is the longest forecast (or plan) asked for at once.
const maxRange = 366 * 24 * time.Hour

// Intervals the forecast answers in.
var Intervals = map[string]time.Duration{"15m": 15 * time.Minute, "30m": 30 * time.Minute, "60m": time.Hour, "1d": 24 * time.Hour}

// ForecastQuery asks for the demand of [From, To) in intervals; an empty Channel, zero
// Service or empty Centre is all of them.
type ForecastQuery struct {
	Channel  channel.Channel
	Service  int
	Centre   string
	From, To time.Time
	Interval time.Duration
}

// ForecastPoint is an interval's forecast and, once it has passed, what happened.
type ForecastPoint struct {
	forecast.Point
	Actual *float64
}

// Forecast is the answer.
type Forecast struct {
	ForecastQuery
	Method      forecast.Method
	HistoryDays int
	Points      []ForecastPoint
	Events      []CalendarEntry // the calendar entries the forecast applied
}

func (q ForecastQuery) check(prefix string, fs *fault.Fields) {
	if q.Channel != "" && !q.Channel.Known() {
		fs.Add(prefix+"channel", "is not a channel")
	}
	switch {
	case !q.To.After(q.From):
		fs.Add(prefix+"to", "must be after from")
	case q.To.Sub(q.From) > maxRange:
		fs.Add(prefix+"to", "at most a year after from")
	}
	if q.Interval <= 0 || (24*time.Hour)%q.Interval != 0 {
		fs.Add(prefix+"interval", "must divide a day")
	}
}

// Forecast predicts [From, To) from the contacts recorded before From (or before now,
// when From is ahead), and reports the actual counts of the intervals already past.
func (s *Service) Forecast(ctx context.Context, q ForecastQuery) (Forecast, error) {
	var fs fault.Fields
	q.check("", &fs)
	if err := fs.Err(); err != nil {
		return Forecast{}, err
	}
	q.From, q.To = q.From.UTC(), q.To.UTC()
	if q.Channel == "" {
		return s.forecastEveryChannel(ctx, q)
	}
	return s.forecastChannel(ctx, q)
}

func (s *Service) forecastChannel(ctx context.Context, q ForecastQuery) (Forecast, error) {
	if q.Interval == 24*time.Hour {
		return s.forecastDays(ctx, q)
	}
	f, err := s.forecastOn(ctx, q)
	return f.Forecast, err
}

// forecastEveryChannel forecasts each channel with contacts on its own and adds them up.
// The channels differ in what shapes them — a phone line shuts on a bank holiday and a
// web form does not; written work has no lunchtime peak — so a forecast of their total
// would apply a closure to all or none. Adding per-channel forecasts keeps each right;
// the bands add as independent variances (forecast.Sum).
func (s *Service) forecastEveryChannel(ctx context.Context, q ForecastQuery) (Forecast, error) {
	histTo := q.From
	if now := s.now(); histTo.After(now) {
		histTo = now
	}
	var parts []Forecast
	for _, ch := range channel.Names() {
		one := q
		one.Channel = ch
		first, err := s.firstContact(ctx, one, histTo.Add(-historySpan), histTo)
		if err != nil {
			return Forecast{}, err
		}
		if !first.Valid {
			continue
		}
		f, err := s.forecastChannel(ctx, one)
		if err != nil {
			return Forecast{}, err
		}
		parts = append(parts, f)
	}
	if len(parts) == 0 {
		return s.forecastChannel(ctx, q) // nothing recorded: the seasonal average of nothing
	}
	return summed(q, parts), nil
}

// summed adds forecasts of the same intervals: points by forecast.Sum, actuals when every
// part has one, the weakest method, the longest history and every calendar entry once.
func summed(q ForecastQuery, parts []Forecast) Forecast {
	out := Forecast{ForecastQuery: q, Method: forecast.ProfileTrendYearly, Events: []CalendarEntry{}}
	seen := map[string]bool{}
	for _, p := range parts {
		if p.Method != forecast.ProfileTrendYearly {
			out.Method = p.Method
		}
		out.HistoryDays = max(out.HistoryDays, p.HistoryDays)
		for _, e := range p.Events {
			if !seen[e.ID] {
				seen[e.ID] = true
				out.Events = append(out.Events, e)
			}
		}
	}
	slices.SortFunc(out.Events, func(a, b CalendarEntry) int { return strings.Compare(a.From+a.ID, b.From+b.ID) })
	out.Points = make([]ForecastPoint, len(parts[0].Points))
	for i := range out.Points {
		ps := make([]forecast.Point, len(parts))
		actual, complete := 0.0, true
		for j, p := range parts {
			ps[j] = p.Points[i].Point
			if a := p.Points[i].Actual; a != nil {
				actual += *a
			} else {
				complete = false
			}
		}
		out.Points[i] = ForecastPoint{Point: forecast.Sum(parts[0].Points[i].Start, ps)}
		if complete {
			out.Points[i].Actual = &actual
		}
	}
	return out
}

// modelled is a forecast with what sums of its points need.
type modelled struct {
	Forecast
	dispersion float64
	origin     time.Time
}

// forecastOn forecasts q on its own grid of intervals.
func (s *Service) forecastOn(ctx context.Context, q ForecastQuery) (modelled, error) {
	now := s.now()
	// The history ends at From, or at the last interval boundary (on From's grid) before now.
	origin := q.From
	if origin.After(now) {
		origin = q.From.Add(-time.Duration(math.Ceil(float64(q.From.Sub(now))/float64(q.Interval))) * q.Interval)
	}
	steps := int(historySpan / q.Interval)
	histStart := origin.Add(-time.Duration(steps) * q.Interval)
	actualTo := q.To
	if actualTo.After(now) {
		actualTo = now
	}
	countsTo := origin
	if actualTo.After(countsTo) {
		countsTo = actualTo
	}
	series, err := s.windows(ctx, q, histStart, origin, countsTo)
	if err != nil {
		return modelled{}, err
	}
	history := s.trimmed(forecast.Series{Start: histStart, Step: q.Interval, Counts: series.Counts[:steps]})
	entries, events, err := s.events(ctx, q.Channel, histStart, q.To)
	if err != nil {
		return modelled{}, err
	}
	n := int(q.To.Sub(origin) / q.Interval)
	res := forecast.Forecast(history, n, events, forecast.Default(s.loc))
	out := Forecast{ForecastQuery: q, Method: res.Method, HistoryDays: res.HistoryDays, Events: inRange(entries, q.From, q.To, s.loc)}
	// The model reads only some windows of the history; the days the hub has held are
	// counted from the first contact it can see, up to what a forecast reads.
	if res.Method == forecast.ProfileTrendYearly {
		first, err := s.firstContact(ctx, q, histStart, origin)
		if err != nil {
			return modelled{}, err
		}
		if first.Valid {
			out.HistoryDays = max(out.HistoryDays, int(origin.Sub(first.Time)/(24*time.Hour)))
		}
	}
	for _, p := range res.Points {
		if p.Start.Before(q.From) {
			continue
		}
		fp := ForecastPoint{Point: p}
		if end := p.Start.Add(q.Interval); !end.After(actualTo) {
			i := int(p.Start.Sub(histStart) / q.Interval)
			v := series.Counts[i]
			fp.Actual = &v
		}
		out.Points = append(out.Points, fp)
	}
	return modelled{Forecast: out, dispersion: res.Dispersion, origin: origin}, nil
}

// forecastDays forecasts by the hour and sums the hours of each local day: a day on the
// council's clock is 23 or 25 hours when the clocks change, which a fixed 24-hour step
// would cut an hour off. A day's band treats its total as over-dispersed like its hours;
// its actual is given once the whole day has passed.
func (s *Service) forecastDays(ctx context.Context, q ForecastQuery) (Forecast, error) {
	hourly := q
	hourly.Interval = time.Hour
	h, err := s.forecastOn(ctx, hourly)
	if err != nil {
		return Forecast{}, err
	}
	out := h.Forecast
	out.Interval = q.Interval
	out.Points = nil
	for i := 0; i < len(h.Points); {
		first := h.Points[i]
		day := dayKeyOf(first.Start.In(s.loc))
		var mu, actual float64
		complete := true
		j := i
		for ; j < len(h.Points) && dayKeyOf(h.Points[j].Start.In(s.loc)) == day; j++ {
			mu += h.Points[j].Expected
			if h.Points[j].Actual == nil {
				complete = false
			} else {
				actual += *h.Points[j].Actual
			}
		}
		p := ForecastPoint{Point: forecast.Around(first.Start, mu, h.dispersion, first.Start.Sub(h.origin).Hours()/(7*24))}
		if complete {
			p.Actual = &actual
		}
		out.Points = append(out.Points, p)
		i = j
	}
	return out, nil
}

func dayKeyOf(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// recentSpan is the history the forecast reads in full before its origin: the 12 weeks its
// trend is fitted to (and the 6 of its profile), and a margin.
const recentSpan = 13 * 7 * 24 * time.Hour

// windows counts [histStart, countsTo) where the model looks and leaves the rest unknown
// (NaN, which every average skips): the recent weeks in full, and the same stretch a year
// before — the weeks the profile was drawn from and the weeks forecast, less 364 days, for
// the time-of-year factor. Reading only those (about 165 days for a 4-week forecast rather
// than 400) is what keeps a forecast from two years of a busy line quick.
func (s *Service) windows(ctx context.Context, q ForecastQuery, histStart, origin, countsTo time.Time) (forecast.Series, error) {
	recent := origin.Add(-recentSpan)
	const day = 24 * time.Hour
	profile := time.Duration(forecast.Default(s.loc).ProfileWeeks) * 7 * day
	yearAgo, yearAgoEnd := origin.Add(-364*day-profile-day), q.To.Add(-360*day+day)
	if yearAgoEnd.After(recent) {
		yearAgoEnd = recent
	}
	return s.counted(ctx, q, histStart, countsTo, [][2]time.Time{{yearAgo, yearAgoEnd}, {recent, countsTo}})
}

// counted counts the contacts matching q per interval over [histStart, countsTo), in the
// given windows only; the intervals outside them are unknown (NaN).
func (s *Service) counted(ctx context.Context, q ForecastQuery, histStart, countsTo time.Time, windows [][2]time.Time) (forecast.Series, error) {
	n := int(countsTo.Sub(histStart)/q.Interval) + 1
	out := forecast.Series{Start: histStart, Step: q.Interval, Counts: make([]float64, n)}
	for i := range out.Counts {
		out.Counts[i] = math.NaN()
	}
	var chunks [][2]time.Time
	for _, w := range windows {
		from, to := w[0], w[1]
		if from.Before(histStart) {
			from = histStart
		}
		// Start on the interval grid, so the counts land in whole intervals.
		from = histStart.Add(from.Sub(histStart).Truncate(q.Interval))
		for ; to.After(from); from = from.Add(countChunk) {
			chunks = append(chunks, [2]time.Time{from, minTime(from.Add(countChunk), to)})
		}
	}
	// The chunks are counted two at a time: each is one index range scan, and two keep
	// both of a small server's cores busy. Each fills its own stretch of out.
	errs := make([]error, len(chunks))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			part, err := s.series(ctx, q, c[0], c[1])
			if err != nil {
				errs[i] = err
				return
			}
			at := int(c[0].Sub(histStart) / q.Interval)
			copy(out.Counts[at:min(n, at+len(part.Counts)-1)], part.Counts)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return forecast.Series{}, err
	}
	return out, nil
}

// countChunk is the stretch of history one counting query reads: 16 weeks of one
// channel's quarter hours is about 11,000 rows of contact_quarter. (Over the contacts
// themselves it was 4 weeks, to split the index scans between cores; over the counts
// fewer, larger reads are quicker, most of all on PostgreSQL, where the accuracy
// backtest's 51 four-week reads took 1.1 s and its 15 sixteen-week ones 0.3 s.)
const countChunk = 16 * 7 * 24 * time.Hour

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// firstContact is the start of the earliest quarter hour with a contact matching q in
// [from, to).
func (s *Service) firstContact(ctx context.Context, q ForecastQuery, from, to time.Time) (store.NullTime, error) {
	sql := `SELECT MIN(quarter) FROM contact_quarter WHERE quarter >= ? AND quarter < ?`
	args := []any{quarterFrom(from), quarterFrom(to)}
	sql, args = filtered(sql, args, q)
	var first *int64
	if err := s.db.GetContext(ctx, &first, s.db.Rebind(sql), args...); err != nil {
		return store.NullTime{}, fmt.Errorf("first contact: %w", store.MapError(err))
	}
	if first == nil {
		return store.NullTime{}, nil
	}
	return store.NullTime{Time: time.Unix(*first*quarterSeconds, 0).UTC(), Valid: true}, nil
}

// quarterSeconds is the width of intake's counts (contact_quarter): a quarter hour.
const quarterSeconds = 900

// quarterFrom is the first quarter hour starting at or after t.
func quarterFrom(t time.Time) int64 {
	s := t.Unix()
	q := s / quarterSeconds
	if s > 0 && s%quarterSeconds != 0 {
		q++
	}
	return q
}

// filtered adds q's channel, service and centre to a query of the quarter-hour counts.
// Without a channel it names them all: the count's key starts with the channel, so each
// is one range of the key rather than a scan of every row.
func filtered(sql string, args []any, q ForecastQuery) (string, []any) {
	if q.Channel != "" {
		sql += ` AND channel = ?`
		args = append(args, string(q.Channel))
	} else {
		names := channel.Names()
		sql += ` AND channel IN (?` + strings.Repeat(", ?", len(names)-1) + `)`
		for _, n := range names {
			args = append(args, string(n))
		}
	}
	if q.Service != 0 {
		sql += ` AND service_lgsl = ?`
		args = append(args, q.Service)
	}
	if q.Centre != "" {
		sql += ` AND centre = ?`
		args = append(args, q.Centre)
	}
	return sql, args
}

// trimmed drops the history before the local day of its first contact: the weeks before
// the hub held any are not weeks without demand, and must not be averaged in as zeros.
func (s *Service) trimmed(h forecast.Series) forecast.Series {
	first := slices.IndexFunc(h.Counts, func(n float64) bool { return n > 0 })
	if first < 0 {
		return forecast.Series{Start: h.End(), Step: h.Step}
	}
	at := h.At(first).In(s.loc)
	midnight := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, s.loc)
	back := int(math.Ceil(float64(at.Sub(midnight)) / float64(h.Step)))
	first = max(0, first-back)
	return forecast.Series{Start: h.At(first), Step: h.Step, Counts: h.Counts[first:]}
}

// series counts the contacts matching q in [from, to) per q.Interval from `from`, from
// the quarter-hour counts intake keeps (contact_quarter); the quarters are summed into
// intervals here.
func (s *Service) series(ctx context.Context, q ForecastQuery, from, to time.Time) (forecast.Series, error) {
	sql, args := filtered(`SELECT quarter AS b, SUM(contacts) AS n FROM contact_quarter WHERE quarter >= ? AND quarter < ?`,
		[]any{quarterFrom(from), quarterFrom(to)}, q)
	sql += ` GROUP BY quarter`
	var rows []struct {
		B int64 `db:"b"`
		N int   `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(sql), args...); err != nil {
		return forecast.Series{}, fmt.Errorf("count contacts by interval: %w", store.MapError(err))
	}
	out := forecast.Series{Start: from, Step: q.Interval, Counts: make([]float64, int(to.Sub(from)/q.Interval)+1)}
	for _, r := range rows {
		at := time.Unix(r.B*quarterSeconds, 0)
		i := int(at.Sub(from) / q.Interval)
		if i >= 0 && i < len(out.Counts) {
			out.Counts[i] += float64(r.N)
		}
	}
	return out, nil
}

// events gathers the calendar entries for a channel (and those for all channels) and the
// holidays the seam knows, as forecast events.
func (s *Service) events(ctx context.Context, ch channel.Channel, from, to time.Time) ([]CalendarEntry, []forecast.Event, error) {
	entries, err := s.CalendarEntries(ctx, from.In(s.loc).Format(dateLayout), to.In(s.loc).Format(dateLayout))
	if err != nil {
		return nil, nil, err
	}
	var mine []CalendarEntry
	var out []forecast.Event
	for _, e := range entries {
		if e.Channel != "" && ch != "" && e.Channel != ch {
			continue
		}
		mine = append(mine, e)
		f, _ := time.ParseInLocation(dateLayout, e.From, s.loc)
		t, _ := time.ParseInLocation(dateLayout, e.To, s.loc)
		out = append(out, forecast.Event{From: f, To: t, Uplift: e.Uplift})
		// The days an uplift was learnt from were the same event: left out of the averages
		// and the time-of-year factor like it, or last year's peak would count twice.
		if e.UpliftSource == FromLastYear {
			lf, errF := time.ParseInLocation(dateLayout, e.LearntFrom, s.loc)
			lt, errT := time.ParseInLocation(dateLayout, e.LearntTo, s.loc)
			if errF == nil && errT == nil {
				out = append(out, forecast.Event{From: lf, To: lt, Uplift: e.Uplift})
			}
		}
	}
	if s.holidays != nil {
		out = append(out, s.holidays.Events(ch, from, to)...)
	}
	return mine, out, nil
}

func inRange(entries []CalendarEntry, from, to time.Time, loc *time.Location) []CalendarEntry {
	f, t := from.In(loc).Format(dateLayout), to.In(loc).Format(dateLayout)
	out := []CalendarEntry{}
	for _, e := range entries {
		if e.To >= f && e.From <= t {
			out = append(out, e)
		}
	}
	return out
}

// Handling times: measured from the latest contacts with an end, trimmed; below a
// sample worth the name, a default by how the channel is handled.
const (
	ahtSample    = 5000
	ahtMinSample = 20
)

// DefaultHandlingSeconds is the handling time assumed when too few contacts have an end
// and none is configured (CONTACTHUB_WORKFORCE_LIVE_AHT, _WRITTEN_AHT): six minutes for a
// conversation, eight for a piece of written work — stand-ins until the data is there.
var DefaultHandlingSeconds = map[channel.Handling]float64{channel.Live: 360, channel.Written: 480}

// HandlingTime answers the average handling time of a channel (and service, when not 0):
// the mean of endedAt − startedAt over the latest contacts, leaving out the shortest and
// longest 5 % (hang-ups and contacts left open), and where it came from.
func (s *Service) HandlingTime(ctx context.Context, ch channel.Channel, service int) (float64, string, error) {
	var sql string
	if s.db.Dialect == store.Postgres {
		sql = `SELECT CAST(EXTRACT(EPOCH FROM (ended_at - started_at)) AS DOUBLE PRECISION) AS s FROM contacts WHERE channel = ? AND ended_at IS NOT NULL`
	} else {
		sql = `SELECT (julianday(ended_at) - julianday(started_at)) * 86400.0 AS s FROM contacts WHERE channel = ? AND ended_at IS NOT NULL`
	}
	args := []any{string(ch)}
	if service != 0 {
		sql += ` AND service_lgsl = ?`
		args = append(args, service)
	}
	sql += fmt.Sprintf(` ORDER BY started_at DESC LIMIT %d`, ahtSample)
	var secs []float64
	if err := s.db.SelectContext(ctx, &secs, s.db.Rebind(sql), args...); err != nil {
		return 0, "", fmt.Errorf("handling times: %w", store.MapError(err))
	}
	if m, ok := TrimmedMean(secs, 0.05); ok && len(secs) >= ahtMinSample {
		return m, "measured", nil
	}
	return s.fallback[ch.Props().Handling], "default", nil
}

// TrimmedMean is the mean of the positive durations under four hours, less the share
// `trim` at each end.
func TrimmedMean(secs []float64, trim float64) (float64, bool) {
	var kept []float64
	for _, s := range secs {
		if s > 0 && s < 4*3600 {
			kept = append(kept, s)
		}
	}
	if len(kept) == 0 {
		return 0, false
	}
	slices.Sort(kept)
	cut := int(float64(len(kept)) * trim)
	kept = kept[cut : len(kept)-cut]
	var sum float64
	for _, s := range kept {
		sum += s
	}
	return sum / float64(len(kept)), true
}

// ChannelAccuracy is one channel's backtest.
type ChannelAccuracy struct {
	Channel channel.Channel
	forecast.Accuracy
}

// Accuracy backtests the forecast on the hub's own history: for each channel with
// contacts, `weeks` weekly origins, each forecasting the week after it.
func (s *Service) Accuracy(ctx context.Context, weeks int, interval time.Duration) ([]ChannelAccuracy, error) {
	var fs fault.Fields
	if weeks < 1 || weeks > 52 {
		fs.Add("weeks", "must be 1 to 52")
	}
	if interval <= 0 || (24*time.Hour)%interval != 0 {
		fs.Add("interval", "must divide a day")
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	from := end.Add(-historySpan - time.Duration(weeks)*7*24*time.Hour)
	out := []ChannelAccuracy{}
	for _, ch := range channel.Names() {
		q := ForecastQuery{Channel: ch, Interval: interval}
		series, err := s.counted(ctx, q, from, end, [][2]time.Time{{from, end}})
		if err != nil {
			return nil, err
		}
		series.Counts = series.Counts[:len(series.Counts)-1]
		if total(series.Counts) == 0 {
			continue
		}
		series = s.trimmed(series)
		_, events, err := s.events(ctx, ch, from, end)
		if err != nil {
			return nil, err
		}
		acc := forecast.Backtest(series, weeks, 7*24*time.Hour, events, forecast.Default(s.loc))
		out = append(out, ChannelAccuracy{Channel: ch, Accuracy: acc})
	}
	return out, nil
}

func total(xs []float64) float64 {
	var t float64
	for _, x := range xs {
		t += x
	}
	return t
}

// ForecastPlanInput staffs a forecast instead of given intervals.
type ForecastPlanInput struct {
	PlanInput
	Query ForecastQuery
	// Rostered positions by interval start, for the gap.
	Rostered map[time.Time]int
}

// PlanFromForecast forecasts the query's intervals and staffs their expected volumes, with
// the handling time asked for, else measured from the channel's contacts, else the default.
func (s *Service) PlanFromForecast(ctx context.Context, in ForecastPlanInput) (Plan, string, error) {
	var fs fault.Fields
	if in.Query.Channel == "" {
		fs.Add("forecast.channel", "name the channel to staff")
	}
	in.Query.Interval = time.Duration(in.IntervalMinutes) * time.Minute
	in.Query.check("forecast.", &fs)
	CheckTarget(in.Target, &fs)
	CheckIntervalMinutes("intervalMinutes", in.IntervalMinutes, &fs)
	if err := fs.Err(); err != nil {
		return Plan{}, "", err
	}
	source := "request"
	if in.HandlingSeconds <= 0 {
		aht, src, err := s.HandlingTime(ctx, in.Query.Channel, in.Query.Service)
		if err != nil {
			return Plan{}, "", err
		}
		in.HandlingSeconds, source = aht, src
	}
	f, err := s.Forecast(ctx, in.Query)
	if err != nil {
		return Plan{}, "", prefixed(err)
	}
	in.Channel = in.Query.Channel
	if in.WorkingTime == nil {
		in.WorkingTime = s.WorkingTime()
	}
	in.Intervals = make([]Demand, len(f.Points))
	for i, p := range f.Points {
		in.Intervals[i] = Demand{Start: p.Start, Volume: p.Expected}
		if r, ok := in.Rostered[p.Start.UTC()]; ok {
			in.Intervals[i].Rostered = &r
		}
	}
	p, err := StaffPlan(in.PlanInput, s.loc)
	return p, source, err
}

// prefixed names a forecast's field errors as fields of the plan's `forecast`.
func prefixed(err error) error {
	var fe *fault.Error
	if e, ok := err.(*fault.Error); ok {
		fe = e
	}
	if fe == nil {
		return err
	}
	out := *fe
	out.Fields = nil
	for _, f := range fe.Fields {
		if !strings.HasPrefix(f.Field, "forecast.") {
			f.Field = "forecast." + f.Field
		}
		out.Fields = append(out.Fields, f)
	}
	return &out
}
