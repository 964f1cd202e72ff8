package httpapi

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/chart"
	"github.com/council/contacthub/internal/report"
)

// ManagerReports is what the handlers need of channel shift, resolution, avoidable
// contacts and cost to serve.
type ManagerReports interface {
	ChannelShift(ctx context.Context, s report.Span, f report.Filter) (report.ChannelShift, error)
	Resolution(ctx context.Context, s report.Span, f report.Filter) (report.Resolution, error)
	Avoidable(ctx context.Context, s report.Span, f report.Filter, minContacts, withinDays int) (report.Avoidable, error)
	Cost(ctx context.Context, s report.Span, f report.Filter, targetDigitalShare float64) (report.Cost, error)
	Catalogue() *catalogue.Catalogue
}

// form is which of a report's three forms the caller asked for.
type form int

const (
	formJSON form = iota
	formCSV
	formSVG
)

// formOf reads the Accept header: the first of JSON, CSV or SVG it names wins; JSON
// when it names none of them (a browser opening the URL, a client sending */*).
func formOf(ctx context.Context) form {
	accept := accepts(ctx)
	best, at := formJSON, len(accept)+1
	for f, media := range map[form]string{formJSON: "application/json", formCSV: "text/csv", formSVG: "image/svg+xml"} {
		if i := strings.Index(accept, media); i >= 0 && i < at {
			best, at = f, i
		}
	}
	return best
}

// reportScope turns the common query parameters into a checked span and filter.
func (h *handlers) reportScope(from, to openapi_types.Date, period *string, service *int, ch *api.Channel, centre *string) (report.Span, report.Filter, error) {
	s := report.Span{From: from.Time, To: to.Time, Period: report.Week}
	if period != nil {
		s.Period = report.Period(*period)
	}
	var f report.Filter
	if service != nil {
		f.Service = *service
	}
	if ch != nil {
		f.Channel = channel.Channel(*ch)
	}
	if centre != nil {
		f.Centre = *centre
	}
	s, err := report.Check(s, f, h.managerReports.Catalogue())
	return s, f, err
}

func svgBody(c chart.Chart) (io.Reader, int64) {
	b := chart.SVG(c)
	return bytes.NewReader(b), int64(len(b))
}

func csvBody(b []byte) (io.Reader, int64) { return bytes.NewReader(b), int64(len(b)) }

func (h *handlers) GetChannelShiftReport(ctx context.Context, req api.GetChannelShiftReportRequestObject) (api.GetChannelShiftReportResponseObject, error) {
	p := req.Params
	s, f, err := h.reportScope(p.From, p.To, (*string)(p.Period), p.Service, p.Channel, p.Centre)
	if err != nil {
		return nil, err
	}
	r, err := h.managerReports.ChannelShift(ctx, s, f)
	if err != nil {
		return nil, err
	}
	switch formOf(ctx) {
	case formCSV:
		body, n := csvBody(r.CSV())
		return api.GetChannelShiftReport200TextcsvResponse{Body: body, ContentLength: n}, nil
	case formSVG:
		body, n := svgBody(r.Chart())
		return api.GetChannelShiftReport200ImagesvgXmlResponse{Body: body, ContentLength: n}, nil
	}
	return api.GetChannelShiftReport200JSONResponse(toChannelShift(r)), nil
}

func (h *handlers) GetResolutionReport(ctx context.Context, req api.GetResolutionReportRequestObject) (api.GetResolutionReportResponseObject, error) {
	p := req.Params
	s, f, err := h.reportScope(p.From, p.To, (*string)(p.Period), p.Service, p.Channel, p.Centre)
	if err != nil {
		return nil, err
	}
	r, err := h.managerReports.Resolution(ctx, s, f)
	if err != nil {
		return nil, err
	}
	switch formOf(ctx) {
	case formCSV:
		body, n := csvBody(r.CSV())
		return api.GetResolutionReport200TextcsvResponse{Body: body, ContentLength: n}, nil
	case formSVG:
		body, n := svgBody(r.Chart())
		return api.GetResolutionReport200ImagesvgXmlResponse{Body: body, ContentLength: n}, nil
	}
	return api.GetResolutionReport200JSONResponse(toResolution(r)), nil
}

func (h *handlers) GetAvoidableReport(ctx context.Context, req api.GetAvoidableReportRequestObject) (api.GetAvoidableReportResponseObject, error) {
	p := req.Params
	s, f, err := h.reportScope(p.From, p.To, (*string)(p.Period), p.Service, p.Channel, p.Centre)
	if err != nil {
		return nil, err
	}
	minContacts, days := 3, 28
	if p.RepeatContacts != nil {
		minContacts = *p.RepeatContacts
	}
	if p.RepeatDays != nil {
		days = *p.RepeatDays
	}
	r, err := h.managerReports.Avoidable(ctx, s, f, minContacts, days)
	if err != nil {
		return nil, err
	}
	switch formOf(ctx) {
	case formCSV:
		body, n := csvBody(r.CSV())
		return api.GetAvoidableReport200TextcsvResponse{Body: body, ContentLength: n}, nil
	case formSVG:
		body, n := svgBody(r.Chart())
		return api.GetAvoidableReport200ImagesvgXmlResponse{Body: body, ContentLength: n}, nil
	}
	return api.GetAvoidableReport200JSONResponse(toAvoidable(r)), nil
}

func (h *handlers) GetCostToServeReport(ctx context.Context, req api.GetCostToServeReportRequestObject) (api.GetCostToServeReportResponseObject, error) {
	p := req.Params
	s, f, err := h.reportScope(p.From, p.To, (*string)(p.Period), p.Service, p.Channel, p.Centre)
	if err != nil {
		return nil, err
	}
	target := 0.8
	if p.TargetDigitalShare != nil {
		target = float64(*p.TargetDigitalShare)
	}
	r, err := h.managerReports.Cost(ctx, s, f, target)
	if err != nil {
		return nil, err
	}
	switch formOf(ctx) {
	case formCSV:
		body, n := csvBody(r.CSV())
		return api.GetCostToServeReport200TextcsvResponse{Body: body, ContentLength: n}, nil
	case formSVG:
		body, n := svgBody(r.Chart())
		return api.GetCostToServeReport200ImagesvgXmlResponse{Body: body, ContentLength: n}, nil
	}
	return api.GetCostToServeReport200JSONResponse(toCost(r)), nil
}

func apiDate(t time.Time) openapi_types.Date { return openapi_types.Date{Time: t} }

func toFilter(f report.Filter) api.ReportFilter {
	var out api.ReportFilter
	if f.Service != 0 {
		out.Service = &f.Service
	}
	if f.Channel != "" {
		c := api.Channel(f.Channel)
		out.Channel = &c
	}
	out.Centre = optString(f.Centre)
	return out
}

func toChannelShift(r report.ChannelShift) api.ChannelShiftReport {
	out := api.ChannelShiftReport{From: apiDate(r.Span.From), To: apiDate(r.Span.To), Period: api.ReportPeriod(r.Span.Period),
		Filter: toFilter(r.Filter), Total: r.Total, DigitalShare: float32(r.DigitalShare),
		Previous: api.ChannelShiftPrevious{From: apiDate(r.Previous.From), To: apiDate(r.Previous.To), Total: r.Previous.Total,
			DigitalShare: float32(r.Previous.DigitalShare)},
		ContactsChange: float32(r.ContactsChange), DigitalShareChange: float32(r.DigitalShareChange),
		Channels: []api.ChannelShiftChannel{}, Periods: []api.ChannelShiftPeriod{}}
	for _, c := range r.ByChannel {
		out.Channels = append(out.Channels, api.ChannelShiftChannel{Channel: api.Channel(c.Channel.Channel), Label: c.Channel.Label,
			Digital: c.Channel.Digital, Contacts: c.Contacts, PreviousContacts: c.Previous, Change: float32(c.Change)})
	}
	for _, p := range r.Periods {
		counts := map[string]int{}
		for i, ch := range r.Channels {
			counts[string(ch.Channel)] = p.Contacts[i]
		}
		out.Periods = append(out.Periods, api.ChannelShiftPeriod{Start: apiDate(p.Start), Contacts: counts, Total: p.Total,
			DigitalShare: float32(p.DigitalShare)})
	}
	return out
}

func toRates(r report.Rates) api.ResolutionRates {
	return api.ResolutionRates{Contacts: r.Contacts, ResolvedFirstContact: r.ResolvedFirstContact, SelfServed: r.SelfServed,
		HandedOff: r.HandedOff, FirstContactResolutionRate: float32(r.FirstContactRate), SelfServedRate: float32(r.SelfServedRate),
		HandoffRate: float32(r.HandoffRate)}
}

func toRatesGroups(gs []report.RatesGroup) []api.ResolutionGroup {
	out := []api.ResolutionGroup{}
	for _, g := range gs {
		out = append(out, api.ResolutionGroup{Key: g.Key, Label: g.Label, Rates: toRates(g.Rates)})
	}
	return out
}

func toResolution(r report.Resolution) api.ResolutionReport {
	out := api.ResolutionReport{From: apiDate(r.Span.From), To: apiDate(r.Span.To), Period: api.ReportPeriod(r.Span.Period),
		Filter: toFilter(r.Filter), Totals: toRates(r.Totals), Periods: []api.ResolutionPeriod{},
		ByChannel: toRatesGroups(r.ByChannel), ByService: toRatesGroups(r.ByService), CasesOpenedByTier: r.CasesOpenedByTier,
		Handoffs: r.Handoffs, HandoffsByReason: []api.HandoffReasonCount{}, HandoffsByTiers: []api.HandoffTierPair{}}
	for _, p := range r.Periods {
		out.Periods = append(out.Periods, api.ResolutionPeriod{Start: apiDate(p.Start), Rates: toRates(p.Rates)})
	}
	for _, k := range r.HandoffsByReason {
		out.HandoffsByReason = append(out.HandoffsByReason, api.HandoffReasonCount{Reason: k.Key, Count: k.Count})
	}
	for _, t := range r.HandoffsByTiers {
		out.HandoffsByTiers = append(out.HandoffsByTiers, api.HandoffTierPair{FromTier: t.From, ToTier: t.To, Handoffs: t.Handoffs})
	}
	return out
}

func toAvoidable(r report.Avoidable) api.AvoidableReport {
	out := api.AvoidableReport{From: apiDate(r.Span.From), To: apiDate(r.Span.To), Period: api.ReportPeriod(r.Span.Period),
		Filter: toFilter(r.Filter), Contacts: r.Contacts, Avoidable: r.Avoidable, Rate: float32(r.Rate),
		ByReason: []api.AvoidableReasonCount{}, Periods: []api.AvoidablePeriod{}, Services: []api.AvoidableService{},
		RepeatCustomers: api.RepeatCustomers{MinContacts: r.Repeat.MinContacts, WithinDays: r.Repeat.WithinDays,
			From: r.Repeat.From, To: r.Repeat.To, Customers: r.Repeat.Customers}}
	for _, c := range r.ByReason {
		out.ByReason = append(out.ByReason, api.AvoidableReasonCount{Reason: api.AvoidableReason(c.Reason), Label: c.Label,
			Count: c.Count, Rate: float32(c.Rate)})
	}
	for _, p := range r.Periods {
		by := map[string]int{}
		for i, reason := range report.AvoidableReasons {
			by[reason.Key] = p.ByReason[i]
		}
		out.Periods = append(out.Periods, api.AvoidablePeriod{Start: apiDate(p.Start), Contacts: p.Contacts, Avoidable: p.Avoidable,
			Rate: float32(p.Rate), ByReason: by})
	}
	for _, s := range r.Services {
		out.Services = append(out.Services, api.AvoidableService{Service: s.LGSL, Name: s.Name, Contacts: s.Contacts,
			Avoidable: s.Avoidable, Rate: float32(s.Rate)})
	}
	return out
}

func toCost(r report.Cost) api.CostToServeReport {
	out := api.CostToServeReport{From: apiDate(r.Span.From), To: apiDate(r.Span.To), Period: api.ReportPeriod(r.Span.Period),
		Filter: toFilter(r.Filter), Contacts: r.Contacts, CostPence: r.CostPence, ResolvedContacts: r.ResolvedContacts,
		CostPerResolvedPence: r.PerResolvedPence, DigitalShare: float32(r.DigitalShare), TargetDigitalShare: float32(r.TargetDigitalShare),
		TargetCostPence: r.TargetCostPence, SavingPence: r.SavingPence, Channels: []api.CostChannel{}, Periods: []api.CostPeriod{},
		UnitCosts: api.UnitCosts{Source: r.UnitCosts.Source, Pence: map[string]int{}, Unpriced: []api.Channel{}}}
	for ch, p := range r.UnitCosts.Pence {
		out.UnitCosts.Pence[string(ch)] = p
	}
	for _, ch := range r.UnitCosts.Unpriced() {
		out.UnitCosts.Unpriced = append(out.UnitCosts.Unpriced, api.Channel(ch))
	}
	for _, c := range r.ByChannel {
		out.Channels = append(out.Channels, api.CostChannel{Channel: api.Channel(c.Channel.Channel), Label: c.Channel.Label,
			Digital: c.Channel.Digital, Priced: c.Priced, UnitCostPence: c.UnitPence, Contacts: c.Contacts, CostPence: c.CostPence,
			TargetContacts: float32(c.TargetContacts), TargetCostPence: c.TargetCostPence})
	}
	for _, p := range r.Periods {
		out.Periods = append(out.Periods, api.CostPeriod{Start: apiDate(p.Start), Contacts: p.Contacts, CostPence: p.CostPence})
	}
	return out
}
