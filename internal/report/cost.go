package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/council/contacthub/internal/channel"
)

// UnitCosts is what one contact costs on each channel, in pence, and where the figures
// come from (every report that uses them says so).
type UnitCosts struct {
	Source string
	Pence  map[channel.Channel]int
}

// DefaultUnitCosts is Socitm Insight's published cost per contact (2010): face to face
// £7.40, phone £2.90, web £0.32. The web figure prices the web, the landlord portal
// and the web form; post (letter) is priced from the PwC study of 19 London and South
// East councils (£12.10), as Socitm gives none. Neither source prices email or SMS,
// so they are left unpriced (0, listed as such) until a council sets its own figures.
func DefaultUnitCosts() UnitCosts {
	return UnitCosts{
		Source: "Socitm Insight (2010): face to face £7.40, phone £2.90, web £0.32; letter £12.10 from PwC's study of 19 London and South East councils; email and SMS unpriced",
		Pence: map[channel.Channel]int{
			channel.FaceToFace: 740, channel.Phone: 290, channel.IVR: 290,
			channel.WebSelfService: 32, channel.WebForm: 32, channel.LandlordPortal: 32,
			channel.Letter: 1210,
		},
	}
}

// ParseUnitCosts reads CONTACTHUB_UNIT_COSTS: {"source": "…", "pence": {"phone": 339, …}}.
// Empty means the default. Every channel named must be a channel; a missing one is unpriced.
func ParseUnitCosts(s string) (UnitCosts, error) {
	if strings.TrimSpace(s) == "" {
		return DefaultUnitCosts(), nil
	}
	var raw struct {
		Source string         `json:"source"`
		Pence  map[string]int `json:"pence"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return UnitCosts{}, fmt.Errorf(`CONTACTHUB_UNIT_COSTS: want {"source": "…", "pence": {"<channel>": <pence>}}: %w`, err)
	}
	if strings.TrimSpace(raw.Source) == "" {
		return UnitCosts{}, fmt.Errorf("CONTACTHUB_UNIT_COSTS: source must say where the figures come from")
	}
	out := UnitCosts{Source: raw.Source, Pence: map[channel.Channel]int{}}
	for name, p := range raw.Pence {
		if !channel.Channel(name).Known() {
			return UnitCosts{}, fmt.Errorf("CONTACTHUB_UNIT_COSTS: %q is not a channel", name)
		}
		if p < 0 {
			return UnitCosts{}, fmt.Errorf("CONTACTHUB_UNIT_COSTS: %s costs less than nothing", name)
		}
		out.Pence[channel.Channel(name)] = p
	}
	return out, nil
}

// ChannelCost is one channel's contacts and what they cost, now and at the target mix.
type ChannelCost struct {
	Channel         channel.Properties
	Priced          bool
	UnitPence       int
	Contacts        int
	CostPence       int64
	TargetContacts  float64
	TargetCostPence int64
}

// CostPeriod is one period's contacts and their cost.
type CostPeriod struct {
	Start     time.Time
	Contacts  int
	CostPence int64
}

// Cost is cost to serve over a span.
type Cost struct {
	Span   Span
	Filter Filter
	// Scope says in words what the report covers (days, grouping, filters).
	Scope     string
	UnitCosts UnitCosts
	ByChannel []ChannelCost
	Periods   []CostPeriod
	Contacts  int
	CostPence int64
	// ResolvedContacts are contacts that ended resolved there and then or self-served.
	ResolvedContacts int
	// PerResolvedPence is the cost of all contacts over ResolvedContacts (0 with none).
	PerResolvedPence int64
	DigitalShare     float64
	// The same number of contacts with TargetDigitalShare of them on digital channels,
	// each group keeping its own channel proportions (even across the group when the
	// span had none of it).
	TargetDigitalShare float64
	TargetCostPence    int64
	SavingPence        int64
}

// Cost prices the daily counts of s (checked by Check) that f keeps; target is the
// digital share to compare with (0 to 1).
func (r *Reports) Cost(ctx context.Context, s Span, f Filter, target float64) (Cost, error) {
	out := Cost{Span: s, Filter: f, Scope: s.describe(f, r), UnitCosts: r.costs, TargetDigitalShare: target}
	chans := channel.All()
	slot := map[string]int{}
	for i, p := range chans {
		slot[string(p.Channel)] = i
		unit, priced := r.costs.Pence[p.Channel]
		out.ByChannel = append(out.ByChannel, ChannelCost{Channel: p, Priced: priced, UnitPence: unit})
	}
	periods := s.Periods()
	idx := s.index(periods)
	for _, p := range periods {
		out.Periods = append(out.Periods, CostPeriod{Start: p})
	}
	rows, err := r.rollup(ctx, s.From, s.To, f, costSums, "day", "channel")
	if err != nil {
		return Cost{}, err
	}
	for _, row := range rows {
		c, ok := slot[row.Channel]
		if !ok {
			continue
		}
		cost := int64(row.Contacts) * int64(out.ByChannel[c].UnitPence)
		out.ByChannel[c].Contacts += row.Contacts
		out.ByChannel[c].CostPence += cost
		out.Contacts += row.Contacts
		out.CostPence += cost
		out.ResolvedContacts += row.Resolved + row.SelfServed
		if i := idx.of(s.Period, row.Day); i >= 0 {
			out.Periods[i].Contacts += row.Contacts
			out.Periods[i].CostPence += cost
		}
	}
	if out.ResolvedContacts > 0 {
		out.PerResolvedPence = int64(math.Round(float64(out.CostPence) / float64(out.ResolvedContacts)))
	}
	counts := make([]int, len(chans))
	for i, c := range out.ByChannel {
		counts[i] = c.Contacts
	}
	_, out.DigitalShare = digital(chans, counts)
	atTarget(&out)
	return out, nil
}

// atTarget spreads the span's contacts over the channels at the target digital share.
func atTarget(out *Cost) {
	for _, isDigital := range []bool{true, false} {
		share := out.TargetDigitalShare
		if !isDigital {
			share = 1 - share
		}
		var members []int
		groupTotal := 0
		for i, c := range out.ByChannel {
			if c.Channel.Digital == isDigital {
				members = append(members, i)
				groupTotal += c.Contacts
			}
		}
		for _, i := range members {
			weight := 1 / float64(len(members))
			if groupTotal > 0 {
				weight = float64(out.ByChannel[i].Contacts) / float64(groupTotal)
			}
			c := &out.ByChannel[i]
			c.TargetContacts = float64(out.Contacts) * share * weight
			c.TargetCostPence = int64(math.Round(c.TargetContacts * float64(c.UnitPence)))
			out.TargetCostPence += c.TargetCostPence
		}
	}
	out.SavingPence = out.CostPence - out.TargetCostPence
}

// Unpriced lists the channels the unit costs in force do not price.
func (c UnitCosts) Unpriced() []channel.Channel {
	var out []channel.Channel
	for _, ch := range channel.Names() {
		if _, ok := c.Pence[ch]; !ok {
			out = append(out, ch)
		}
	}
	slices.Sort(out)
	return out
}
