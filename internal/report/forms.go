package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/council/contacthub/internal/chart"
)

// Each report is also a CSV (one row per period and group, headers in plain English,
// numbers written as numbers) and a chart.

func (s Span) label(t time.Time) string {
	switch s.Period {
	case Week:
		return "w/c " + t.Format("2 Jan 2006")
	case Month:
		return t.Format("Jan 2006")
	}
	return t.Format("2 Jan 2006")
}

// describe says what a report covers: its days, its grouping and its filters.
func (s Span) describe(f Filter, r *Reports) string {
	parts := []string{fmt.Sprintf("%s to %s, by %s", s.From.Format("2 Jan 2006"), s.To.Format("2 Jan 2006"), s.Period)}
	if f.Service != 0 {
		parts = append(parts, r.serviceName(f.Service))
	}
	if f.Channel != "" {
		parts = append(parts, f.Channel.Props().Label)
	}
	if f.Centre != "" {
		parts = append(parts, "centre "+f.Centre)
	}
	return strings.Join(parts, "; ")
}

func num(n int) string       { return strconv.Itoa(n) }
func rate(v float64) string  { return strconv.FormatFloat(v, 'f', 4, 64) }
func money(p int64) string   { return strconv.FormatFloat(float64(p)/100, 'f', 2, 64) }
func day(t time.Time) string { return t.Format(time.DateOnly) }

func writeCSV(rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows) // a bytes.Buffer does not fail; WriteAll flushes
	return buf.Bytes()
}

// CSV is one row per period and channel.
func (c ChannelShift) CSV() []byte {
	rows := [][]string{{"Period start", "Channel", "Digital", "Contacts", "Share of period"}}
	for _, p := range c.Periods {
		for i, ch := range c.Channels {
			rows = append(rows, []string{day(p.Start), ch.Label, strconv.FormatBool(ch.Digital), num(p.Contacts[i]), rate(ratio(p.Contacts[i], p.Total))})
		}
	}
	return writeCSV(rows)
}

// Chart stacks each period's contacts by channel.
func (c ChannelShift) Chart() chart.Chart {
	ch := chart.Chart{Kind: chart.StackedBars, Title: "Contacts by channel",
		Subtitle: c.Scope,
		Description: fmt.Sprintf("%s. %s contacts, %s digital (%+.1f points on the previous %d days).",
			c.Scope, chart.Plain(float64(c.Total)), chart.Percent(c.DigitalShare), c.DigitalShareChange*100, c.Span.days()),
		XLabel: "Period (" + string(c.Span.Period) + " starting)", YLabel: "Contacts (number)", Value: chart.Plain}
	for _, p := range c.Periods {
		ch.Categories = append(ch.Categories, c.Span.label(p.Start))
	}
	for i, p := range c.Channels {
		s := chart.Series{Name: p.Label}
		for _, period := range c.Periods {
			s.Values = append(s.Values, float64(period.Contacts[i]))
		}
		ch.Series = append(ch.Series, s)
	}
	return ch
}

// CSV is one row per period, then one per channel and per service for the whole span.
func (r Resolution) CSV() []byte {
	rows := [][]string{{"Period start", "Group", "Contacts", "Resolved at first contact", "Self-served", "Handed off",
		"First-contact resolution rate", "Self-served rate", "Hand-off rate"}}
	line := func(period, group string, x Rates) []string {
		return []string{period, group, num(x.Contacts), num(x.ResolvedFirstContact), num(x.SelfServed), num(x.HandedOff),
			rate(x.FirstContactRate), rate(x.SelfServedRate), rate(x.HandoffRate)}
	}
	for _, p := range r.Periods {
		rows = append(rows, line(day(p.Start), "All contacts", p.Rates))
	}
	for _, g := range r.ByChannel {
		rows = append(rows, line("", "Channel: "+g.Label, g.Rates))
	}
	for _, g := range r.ByService {
		rows = append(rows, line("", "Service: "+g.Label, g.Rates))
	}
	return writeCSV(rows)
}

// Chart draws the three rates as lines over the periods.
func (r Resolution) Chart() chart.Chart {
	ch := chart.Chart{Kind: chart.Lines, Title: "Resolution at first contact, self-service and hand-offs",
		Subtitle: r.Scope,
		Description: fmt.Sprintf("%s. Of %s contacts: %s resolved at first contact, %s self-served, %s handed off.",
			r.Scope, chart.Plain(float64(r.Totals.Contacts)), chart.Percent(r.Totals.FirstContactRate),
			chart.Percent(r.Totals.SelfServedRate), chart.Percent(r.Totals.HandoffRate)),
		XLabel: "Period (" + string(r.Span.Period) + " starting)", YLabel: "Share of contacts (%)", Value: chart.Percent, Floor: 0.1}
	fcr, self, hand := chart.Series{Name: "Resolved at first contact"}, chart.Series{Name: "Self-served"}, chart.Series{Name: "Handed off"}
	for _, p := range r.Periods {
		ch.Categories = append(ch.Categories, r.Span.label(p.Start))
		fcr.Values = append(fcr.Values, p.FirstContactRate)
		self.Values = append(self.Values, p.SelfServedRate)
		hand.Values = append(hand.Values, p.HandoffRate)
	}
	ch.Series = []chart.Series{fcr, self, hand}
	return ch
}

// CSV is one row per period and reason, then one per service.
func (a Avoidable) CSV() []byte {
	rows := [][]string{{"Period start", "Group", "Contacts", "Avoidable contacts", "Avoidable rate"}}
	for _, p := range a.Periods {
		rows = append(rows, []string{day(p.Start), "All reasons", num(p.Contacts), num(p.Avoidable), rate(p.Rate)})
		for i, reason := range AvoidableReasons {
			rows = append(rows, []string{day(p.Start), reason.Label, num(p.Contacts), num(p.ByReason[i]), rate(ratio(p.ByReason[i], p.Contacts))})
		}
	}
	for _, s := range a.Services {
		rows = append(rows, []string{"", "Service: " + s.Name, num(s.Contacts), num(s.Avoidable), rate(s.Rate)})
	}
	return writeCSV(rows)
}

// Chart draws the avoidable rate, and each reason's, as lines over the periods.
func (a Avoidable) Chart() chart.Chart {
	ch := chart.Chart{Kind: chart.Lines, Title: "Avoidable contacts",
		Subtitle: a.Scope,
		Description: fmt.Sprintf("%s. %s of %s contacts avoidable (%s); %s customers with %d or more contacts in the last %d days.",
			a.Scope, chart.Plain(float64(a.Avoidable)), chart.Plain(float64(a.Contacts)), chart.Percent(a.Rate),
			chart.Plain(float64(a.Repeat.Customers)), a.Repeat.MinContacts, a.Repeat.WithinDays),
		XLabel: "Period (" + string(a.Span.Period) + " starting)", YLabel: "Share of contacts (%)", Value: chart.Percent, Floor: 0.1}
	all := chart.Series{Name: "All avoidable"}
	by := make([]chart.Series, len(AvoidableReasons))
	for i, reason := range AvoidableReasons {
		by[i].Name = reason.Label
	}
	for _, p := range a.Periods {
		ch.Categories = append(ch.Categories, a.Span.label(p.Start))
		all.Values = append(all.Values, p.Rate)
		for i := range AvoidableReasons {
			by[i].Values = append(by[i].Values, ratio(p.ByReason[i], p.Contacts))
		}
	}
	ch.Series = append([]chart.Series{all}, by...)
	return ch
}

// CSV is one row per channel, then one per period.
func (c Cost) CSV() []byte {
	rows := [][]string{{"Period start", "Channel", "Contacts", "Unit cost (£)", "Cost (£)", "Contacts at target mix", "Cost at target mix (£)"}}
	for _, ch := range c.ByChannel {
		rows = append(rows, []string{"", ch.Channel.Label, num(ch.Contacts), money(int64(ch.UnitPence)), money(ch.CostPence),
			strconv.FormatFloat(ch.TargetContacts, 'f', 1, 64), money(ch.TargetCostPence)})
	}
	for _, p := range c.Periods {
		rows = append(rows, []string{day(p.Start), "All channels", num(p.Contacts), "", money(p.CostPence), "", ""})
	}
	return writeCSV(rows)
}

// Chart puts each channel's cost now beside its cost at the target mix.
func (c Cost) Chart() chart.Chart {
	ch := chart.Chart{Kind: chart.GroupedBars, Title: "Cost to serve by channel", Subtitle: c.Scope,
		Description: fmt.Sprintf("%s. %s for %s contacts; %s at %s digital. Unit costs: %s.",
			c.Scope, chart.Pounds(float64(c.CostPence)), chart.Plain(float64(c.Contacts)),
			chart.Pounds(float64(c.TargetCostPence)), chart.Percent(c.TargetDigitalShare), c.UnitCosts.Source),
		XLabel: "Channel", YLabel: "Cost (£)", Value: chart.Pounds, Tick: chart.WholePounds}
	now := chart.Series{Name: fmt.Sprintf("Actual (%s digital)", chart.Percent(c.DigitalShare))}
	target := chart.Series{Name: fmt.Sprintf("Same demand at %s digital", chart.Percent(c.TargetDigitalShare))}
	for _, x := range c.ByChannel {
		label := x.Channel.Label
		if !x.Priced {
			label += " (no unit cost)"
		}
		ch.Categories = append(ch.Categories, label)
		now.Values = append(now.Values, float64(x.CostPence))
		target.Values = append(target.Values, float64(x.TargetCostPence))
	}
	ch.Series = []chart.Series{now, target}
	return ch
}

// scopeOf says in words what a routing or take-up report covers.
func (s Span) scopeOf(from, to time.Time) string {
	return fmt.Sprintf("%s to %s (UTC), by %s", from.Format("2 Jan 2006 15:04"), to.Format("2 Jan 2006 15:04"), s.Period)
}

// CSV is one row per period: contacts routed to each tier, cases opened, their
// first-contact resolution and hand-off rates, and hand-offs made in the period.
func (r Routing) CSV() []byte {
	rows := [][]string{{"Period start", "Contacts routed to tier 1", "Contacts routed to tier 2", "Contacts routed to tier 3",
		"Cases opened", "First-contact resolution rate", "Hand-off rate", "Hand-offs"}}
	for _, p := range r.Periods {
		rows = append(rows, []string{day(p.Start), num(p.ContactsByTier["1"]), num(p.ContactsByTier["2"]), num(p.ContactsByTier["3"]),
			num(p.CasesOpened), rate(p.FirstContactResolutionRate), rate(p.HandoffRate), num(p.Handoffs)})
	}
	return writeCSV(rows)
}

// Chart stacks each period's contacts by the tier the router sent them to (the tier
// mix); the cases' rates are in the description, the JSON and the CSV.
func (r Routing) Chart() chart.Chart {
	s := Span{From: midnight(r.From), Period: r.Period}
	scope := s.scopeOf(r.From, r.To)
	ch := chart.Chart{Kind: chart.StackedBars, Title: "Contacts by the tier they were routed to",
		Subtitle: scope,
		Description: fmt.Sprintf("%s. Of %s cases opened: %s resolved at first contact, %s handed off at least once; %s hand-offs.",
			scope, chart.Plain(float64(r.CasesOpened)), chart.Percent(r.FirstContactResolutionRate), chart.Percent(r.HandoffRate),
			chart.Plain(float64(r.Handoffs))),
		XLabel: "Period (" + string(r.Period) + " starting)", YLabel: "Contacts (number)", Value: chart.Plain}
	tiers := []chart.Series{{Name: "Tier 1"}, {Name: "Tier 2"}, {Name: "Tier 3"}}
	for _, p := range r.Periods {
		ch.Categories = append(ch.Categories, s.label(p.Start))
		for i := range tiers {
			tiers[i].Values = append(tiers[i].Values, float64(p.ContactsByTier[strconv.Itoa(i+1)]))
		}
	}
	ch.Series = tiers
	return ch
}

// CSV is one row per period of the portal's take-up.
func (t LandlordTakeUp) CSV() []byte {
	rows := [][]string{{"Period start", "Landlords added", "Invitations sent", "Invitations accepted", "Contacts through the portal"}}
	for _, p := range t.Periods {
		rows = append(rows, []string{day(p.Start), num(p.LandlordsAdded), num(p.Invited), num(p.Accepted), num(p.PortalContacts)})
	}
	return writeCSV(rows)
}

// Chart puts each period's invitations, acceptances and portal contacts side by side.
func (t LandlordTakeUp) Chart() chart.Chart {
	scope := fmt.Sprintf("%s to %s, by %s", t.Span.From.Format("2 Jan 2006"), t.Span.To.Format("2 Jan 2006"), t.Span.Period)
	ch := chart.Chart{Kind: chart.GroupedBars, Title: "Landlord portal take-up",
		Subtitle: scope,
		Description: fmt.Sprintf("%s. %s landlords, %s invited, %s accepted, %s active in the last 30 days.",
			scope, chart.Plain(float64(t.Landlords)), chart.Plain(float64(t.Invited)), chart.Plain(float64(t.Accepted)),
			chart.Plain(float64(t.ActiveLast30Days))),
		XLabel: "Period (" + string(t.Span.Period) + " starting)", YLabel: "Number", Value: chart.Plain, Floor: 1}
	invited, accepted, contacts := chart.Series{Name: "Invitations sent"}, chart.Series{Name: "Invitations accepted"},
		chart.Series{Name: "Contacts through the portal"}
	for _, p := range t.Periods {
		ch.Categories = append(ch.Categories, t.Span.label(p.Start))
		invited.Values = append(invited.Values, float64(p.Invited))
		accepted.Values = append(accepted.Values, float64(p.Accepted))
		contacts.Values = append(contacts.Values, float64(p.PortalContacts))
	}
	ch.Series = []chart.Series{invited, accepted, contacts}
	return ch
}
