package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/workcal"
	"github.com/council/contacthub/internal/workforce"
)

// Workforce is what the handlers need of demand forecasting and staffing.
type Workforce interface {
	Location() *time.Location
	Forecast(ctx context.Context, q workforce.ForecastQuery) (workforce.Forecast, error)
	Accuracy(ctx context.Context, weeks int, interval time.Duration) ([]workforce.ChannelAccuracy, error)
	PlanFromForecast(ctx context.Context, in workforce.ForecastPlanInput) (workforce.Plan, string, error)
	WorkingTime() *workcal.Calendar
	AddCalendarEntry(ctx context.Context, e workforce.CalendarEntry, actor event.Actor) (workforce.CalendarEntry, error)
	CalendarEntries(ctx context.Context, from, to string) ([]workforce.CalendarEntry, error)
	RemoveCalendarEntry(ctx context.Context, id string, actor event.Actor) error
}

func (h *handlers) GetWorkforceForecast(ctx context.Context, req api.GetWorkforceForecastRequestObject) (api.GetWorkforceForecastResponseObject, error) {
	p := req.Params
	interval := "30m"
	if p.Interval != nil {
		interval = string(*p.Interval)
	}
	q := workforce.ForecastQuery{From: p.From, To: p.To, Interval: workforce.Intervals[interval]}
	if p.Channel != nil {
		q.Channel = channel.Channel(*p.Channel)
	}
	if p.Service != nil {
		q.Service = *p.Service
	}
	if p.Centre != nil {
		q.Centre = *p.Centre
	}
	f, err := h.workforce.Forecast(ctx, q)
	if err != nil {
		return nil, err
	}
	if wantsSVG(ctx) {
		body := workforce.ForecastChart(f, forecastTitle(f), h.workforce.Location())
		return api.GetWorkforceForecast200ImagesvgXmlResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
	}
	if wantsCSV(ctx) {
		body := forecastCSV(f)
		return api.GetWorkforceForecast200TextcsvResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
	}
	return api.GetWorkforceForecast200JSONResponse(toForecast(f, interval, h.workforce.Location())), nil
}

func wantsCSV(ctx context.Context) bool { return strings.Contains(accepts(ctx), "text/csv") }

func wantsSVG(ctx context.Context) bool { return strings.Contains(accepts(ctx), "image/svg+xml") }

// forecastTitle names what was forecast, in staff's words.
func forecastTitle(f workforce.Forecast) string {
	what := "All contacts"
	if f.Channel != "" {
		what = f.Channel.Props().Label
	}
	if f.Service != 0 {
		what += ", service " + strconv.Itoa(f.Service)
	}
	if f.Centre != "" {
		what += ", " + f.Centre
	}
	return what + ": forecast contacts per interval"
}

func toForecast(f workforce.Forecast, interval string, loc *time.Location) api.WorkforceForecast {
	out := api.WorkforceForecast{From: f.From, To: f.To, Interval: api.WorkforceForecastInterval(interval),
		Method: api.WorkforceForecastMethod(f.Method), HistoryDays: f.HistoryDays, Points: []api.ForecastPoint{}, Events: []api.CalendarEntry{}}
	if f.Channel != "" {
		ch := api.Channel(f.Channel)
		out.Channel = &ch
	}
	if f.Service != 0 {
		out.Service = &f.Service
	}
	if f.Centre != "" {
		out.Centre = &f.Centre
	}
	for _, p := range f.Points {
		out.Points = append(out.Points, api.ForecastPoint{Start: p.Start.UTC(), Expected: p.Expected, Lower80: p.Lower80,
			Upper80: p.Upper80, Lower95: p.Lower95, Upper95: p.Upper95, Actual: p.Actual})
	}
	for _, e := range f.Events {
		out.Events = append(out.Events, toCalendarEntry(e, loc))
	}
	return out
}

// forecastCSV writes one row per interval; `actual` is empty for intervals not yet past.
func forecastCSV(f workforce.Forecast) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"start", "expected", "lower80", "upper80", "lower95", "upper95", "actual"})
	for _, p := range f.Points {
		actual := ""
		if p.Actual != nil {
			actual = num(*p.Actual)
		}
		_ = w.Write([]string{p.Start.UTC().Format(time.RFC3339), num(p.Expected), num(p.Lower80), num(p.Upper80),
			num(p.Lower95), num(p.Upper95), actual})
	}
	w.Flush()
	return buf.Bytes()
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func (h *handlers) GetForecastAccuracy(ctx context.Context, req api.GetForecastAccuracyRequestObject) (api.GetForecastAccuracyResponseObject, error) {
	weeks, interval := 8, "30m"
	if req.Params.Weeks != nil {
		weeks = *req.Params.Weeks
	}
	if req.Params.Interval != nil {
		interval = string(*req.Params.Interval)
	}
	rows, err := h.workforce.Accuracy(ctx, weeks, workforce.Intervals[interval])
	if err != nil {
		return nil, err
	}
	out := api.ForecastAccuracy{Interval: api.ForecastAccuracyInterval(interval), Weeks: weeks, Channels: []api.ChannelAccuracy{}}
	for _, r := range rows {
		improvement := 0.0
		if r.NaiveWAPE > 0 {
			improvement = 1 - r.WAPE/r.NaiveWAPE
		}
		out.Channels = append(out.Channels, api.ChannelAccuracy{Channel: api.Channel(r.Channel), Origins: r.Origins,
			Intervals: r.Intervals, Actual: r.Actual, Wape: r.WAPE, Bias: r.Bias, NaiveWape: r.NaiveWAPE, NaiveBias: r.NaiveBias,
			Improvement: improvement, Coverage80: r.Coverage80})
	}
	if wantsCSV(ctx) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"channel", "origins", "intervals", "actual", "wape", "bias", "naiveWape", "naiveBias", "improvement", "coverage80"})
		for _, c := range out.Channels {
			_ = w.Write([]string{string(c.Channel), strconv.Itoa(c.Origins), strconv.Itoa(c.Intervals), num(c.Actual), num(c.Wape),
				num(c.Bias), num(c.NaiveWape), num(c.NaiveBias), num(c.Improvement), num(c.Coverage80)})
		}
		w.Flush()
		return api.GetForecastAccuracy200TextcsvResponse{Body: bytes.NewReader(buf.Bytes()), ContentLength: int64(buf.Len())}, nil
	}
	return api.GetForecastAccuracy200JSONResponse(out), nil
}

func (h *handlers) PlanStaffing(ctx context.Context, req api.PlanStaffingRequestObject) (api.PlanStaffingResponseObject, error) {
	in, fq, roster, err := fromStaffingRequest(*req.Body)
	if err != nil {
		return nil, err
	}
	var plan workforce.Plan
	source := "request"
	if fq != nil {
		plan, source, err = h.workforce.PlanFromForecast(ctx, workforce.ForecastPlanInput{PlanInput: in, Query: *fq, Rostered: roster})
	} else {
		in.WorkingTime = h.workforce.WorkingTime()
		plan, err = workforce.StaffPlan(in, h.workforce.Location())
	}
	if err != nil {
		return nil, err
	}
	if wantsSVG(ctx) {
		body := workforce.StaffingChart(plan, plan.Channel.Props().Label+": positions needed and rostered", h.workforce.Location())
		return api.PlanStaffing200ImagesvgXmlResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
	}
	if wantsCSV(ctx) {
		body := staffingCSV(plan)
		return api.PlanStaffing200TextcsvResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
	}
	return api.PlanStaffing200JSONResponse(toStaffingPlan(plan, source)), nil
}

// fromStaffingRequest turns the body into the plan's input and, when it asks for one, the
// forecast to staff and its roster.
func fromStaffingRequest(b api.StaffingRequest) (workforce.PlanInput, *workforce.ForecastQuery, map[time.Time]int, error) {
	in := workforce.PlanInput{IntervalMinutes: b.IntervalMinutes, Target: workforce.Target{
		ServiceLevel: b.ServiceLevel.Target, AnswerWithinSeconds: b.ServiceLevel.AnswerWithinSeconds}}
	if b.Channel != nil {
		in.Channel = channel.Channel(*b.Channel)
	}
	if b.HandlingTimeSeconds != nil {
		in.HandlingSeconds = *b.HandlingTimeSeconds
		if in.HandlingSeconds <= 0 {
			return in, nil, nil, fault.Field("handlingTimeSeconds", "must be above 0")
		}
	}
	if b.Shrinkage != nil {
		in.Target.Shrinkage = *b.Shrinkage
	}
	if b.MaxOccupancy != nil {
		in.Target.MaxOccupancy = *b.MaxOccupancy
		if in.Target.MaxOccupancy == 0 {
			return in, nil, nil, fault.Field("maxOccupancy", "must be above 0 and at most 1")
		}
	}
	if b.PatienceSeconds != nil {
		in.Target.PatienceSeconds = *b.PatienceSeconds
		if in.Target.PatienceSeconds <= 0 {
			return in, nil, nil, fault.Field("patienceSeconds", "must be above 0 (leave it out for Erlang C)")
		}
	}
	if b.WrittenWithinHours != nil {
		in.WrittenWithin = time.Duration(*b.WrittenWithinHours * float64(time.Hour))
		if in.WrittenWithin <= 0 {
			return in, nil, nil, fault.Field("writtenWithinHours", "must be above 0")
		}
	}
	switch {
	case (b.Intervals == nil) == (b.Forecast == nil):
		return in, nil, nil, fault.Field("intervals", "give intervals or a forecast, not both or neither")
	case b.Forecast != nil:
		f := b.Forecast
		q := &workforce.ForecastQuery{Channel: channel.Channel(f.Channel), From: f.From, To: f.To}
		if f.Service != nil {
			q.Service = *f.Service
		}
		if f.Centre != nil {
			q.Centre = *f.Centre
		}
		roster := map[time.Time]int{}
		if b.Roster != nil {
			for i, r := range *b.Roster {
				if r.Rostered < 0 {
					return in, nil, nil, fault.Field("roster["+strconv.Itoa(i)+"].rostered", "must be 0 or more")
				}
				roster[r.Start.UTC()] = r.Rostered
			}
		}
		return in, q, roster, nil
	}
	if b.Roster != nil {
		return in, nil, nil, fault.Field("roster", "goes with a forecast; give intervals their own rostered")
	}
	for _, iv := range *b.Intervals {
		d := workforce.Demand{Start: iv.Start.UTC(), Volume: iv.Volume, Rostered: iv.Rostered}
		if iv.HandlingTimeSeconds != nil {
			d.HandlingSeconds = *iv.HandlingTimeSeconds
			if d.HandlingSeconds == 0 {
				d.HandlingSeconds = -1 // given as 0: refused by the plan, naming the interval
			}
		}
		in.Intervals = append(in.Intervals, d)
	}
	return in, nil, nil, nil
}

func toStaffingPlan(p workforce.Plan, source string) api.StaffingPlan {
	out := api.StaffingPlan{Channel: api.Channel(p.Channel), IntervalMinutes: p.IntervalMinutes,
		HandlingTimeSource: api.StaffingPlanHandlingTimeSource(source), Rows: make([]api.StaffingRow, len(p.Rows)),
		Days: toTotals(p.Days), Weeks: toTotals(p.Weeks)}
	for i, r := range p.Rows {
		row := api.StaffingRow{Start: r.Start.UTC(), Volume: r.Volume, HandlingTimeSeconds: r.HandlingSeconds, Traffic: r.Traffic,
			Agents: r.Agents, Positions: r.Positions, ServiceLevel: r.ServiceLevel, AverageSpeedOfAnswerSeconds: r.ASASeconds,
			ProbabilityOfWaiting: r.ProbabilityOfWait, Occupancy: r.Occupancy, Model: api.StaffingRowModel(r.Model),
			Rostered: r.Rostered, Gap: r.Gap}
		if r.Model == workforce.ErlangA {
			pab := r.ProbabilityAbandon
			row.ProbabilityOfAbandoning = &pab
		}
		out.Rows[i] = row
	}
	return out
}

func toTotals(ts []workforce.Total) []api.StaffingTotal {
	out := make([]api.StaffingTotal, len(ts))
	for i, t := range ts {
		out[i] = api.StaffingTotal{Start: openapi_types.Date{Time: t.Start}, Volume: t.Volume, AgentHours: t.AgentHours,
			PositionHours: t.PositionHours, RosteredHours: t.RosteredHours, IntervalsUnder: t.IntervalsUnder, IntervalsOver: t.IntervalsOver}
	}
	return out
}

// staffingCSV writes one row per interval.
func staffingCSV(p workforce.Plan) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"start", "volume", "handlingTimeSeconds", "traffic", "agents", "positions", "serviceLevel",
		"averageSpeedOfAnswerSeconds", "probabilityOfWaiting", "occupancy", "model", "rostered", "gap"})
	for _, r := range p.Rows {
		rostered, gap := "", ""
		if r.Rostered != nil {
			rostered, gap = strconv.Itoa(*r.Rostered), strconv.Itoa(*r.Gap)
		}
		_ = w.Write([]string{r.Start.UTC().Format(time.RFC3339), num(r.Volume), num(r.HandlingSeconds), num(r.Traffic),
			strconv.Itoa(r.Agents), strconv.Itoa(r.Positions), num(r.ServiceLevel), num(r.ASASeconds), num(r.ProbabilityOfWait),
			num(r.Occupancy), string(r.Model), rostered, gap})
	}
	w.Flush()
	return buf.Bytes()
}

func (h *handlers) CreateCalendarEntry(ctx context.Context, req api.CreateCalendarEntryRequestObject) (api.CreateCalendarEntryResponseObject, error) {
	b := req.Body
	e := workforce.CalendarEntry{Name: b.Name, From: b.From.Format("2006-01-02"), To: b.To.Format("2006-01-02")}
	if b.Uplift != nil {
		e.Uplift = *b.Uplift
	} else {
		e.Learn = true // from the same days last year
	}
	if b.Channel != nil {
		e.Channel = channel.Channel(*b.Channel)
	}
	e, err := h.workforce.AddCalendarEntry(ctx, e, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	return api.CreateCalendarEntry201JSONResponse(toCalendarEntry(e, h.workforce.Location())), nil
}

func (h *handlers) ListCalendarEntries(ctx context.Context, req api.ListCalendarEntriesRequestObject) (api.ListCalendarEntriesResponseObject, error) {
	es, err := h.workforce.CalendarEntries(ctx, req.Params.From.Format("2006-01-02"), req.Params.To.Format("2006-01-02"))
	if err != nil {
		return nil, err
	}
	out := api.CalendarEntryList{Items: make([]api.CalendarEntry, len(es))}
	for i, e := range es {
		out.Items[i] = toCalendarEntry(e, h.workforce.Location())
	}
	return api.ListCalendarEntries200JSONResponse(out), nil
}

func (h *handlers) DeleteCalendarEntry(ctx context.Context, req api.DeleteCalendarEntryRequestObject) (api.DeleteCalendarEntryResponseObject, error) {
	if err := h.workforce.RemoveCalendarEntry(ctx, req.EntryId.String(), actorFrom(ctx)); err != nil {
		return nil, err
	}
	return api.DeleteCalendarEntry204Response{}, nil
}

func toCalendarEntry(e workforce.CalendarEntry, loc *time.Location) api.CalendarEntry {
	from, _ := time.ParseInLocation("2006-01-02", e.From, loc)
	to, _ := time.ParseInLocation("2006-01-02", e.To, loc)
	out := api.CalendarEntry{Id: mustUUID(e.ID), Name: e.Name, From: openapi_types.Date{Time: from}, To: openapi_types.Date{Time: to},
		Uplift: e.Uplift, UpliftSource: api.CalendarEntryUpliftSource(e.UpliftSource), CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt.UTC()}
	if e.UpliftSource == "" {
		out.UpliftSource = api.Supervisor
	}
	if e.LearntFrom != "" {
		lf, _ := time.ParseInLocation("2006-01-02", e.LearntFrom, loc)
		lt, _ := time.ParseInLocation("2006-01-02", e.LearntTo, loc)
		out.LearntFrom, out.LearntTo = &openapi_types.Date{Time: lf}, &openapi_types.Date{Time: lt}
	}
	if e.Channel != "" {
		ch := api.Channel(e.Channel)
		out.Channel = &ch
	}
	return out
}
