package report

import (
	"context"
	"time"

	"github.com/council/contacthub/internal/channel"
)

// ChannelShift is how many contacts came on each channel, period by period, and how
// the digital share moved against the previous span of the same length.
type ChannelShift struct {
	Span   Span
	Filter Filter
	// Scope says in words what the report covers (days, grouping, filters).
	Scope    string
	Channels []channel.Properties // every channel, in the contract's order
	Periods  []ShiftPeriod
	Total    int
	// DigitalShare is the share of contacts on channels the channel table calls digital.
	DigitalShare float64
	Previous     ShiftTotals
	// ContactsChange is (Total − Previous.Total) / Previous.Total, 0 when there were none.
	ContactsChange float64
	// DigitalShareChange is DigitalShare − Previous.DigitalShare, in share points.
	DigitalShareChange float64
	ByChannel          []ChannelCount
}

// ShiftPeriod is one period's contacts by channel (aligned with ChannelShift.Channels).
type ShiftPeriod struct {
	Start        time.Time
	Contacts     []int
	Total        int
	DigitalShare float64
}

// ShiftTotals is the previous span's totals.
type ShiftTotals struct {
	From, To     time.Time
	Total        int
	DigitalShare float64
}

// ChannelCount is one channel's contacts in the span and in the previous one.
type ChannelCount struct {
	Channel  channel.Properties
	Contacts int
	Previous int
	Change   float64 // (Contacts − Previous) / Previous, 0 when Previous is 0
}

// ChannelShift reads the daily counts of s (checked by Check) that f keeps.
func (r *Reports) ChannelShift(ctx context.Context, s Span, f Filter) (ChannelShift, error) {
	out := ChannelShift{Span: s, Filter: f, Scope: s.describe(f, r), Channels: channel.All()}
	slot := map[string]int{}
	for i, p := range out.Channels {
		slot[string(p.Channel)] = i
	}
	periods := s.Periods()
	idx := s.index(periods)
	out.Periods = make([]ShiftPeriod, len(periods))
	for i, p := range periods {
		out.Periods[i] = ShiftPeriod{Start: p, Contacts: make([]int, len(out.Channels))}
	}
	// The span and the previous one (see together), each grouped by day and channel:
	// the rollup's key begins with those two, so the database sums each group as it
	// walks the key, with no sort (grouping by channel alone had to sort).
	prev := s.Previous()
	var rows, previous []rollupRow
	err := r.together(ctx,
		func(ctx context.Context) (err error) {
			rows, err = r.rollup(ctx, s.From, s.To, f, contactSums, "day", "channel")
			return err
		},
		func(ctx context.Context) (err error) {
			previous, err = r.rollup(ctx, prev.From, prev.To, f, contactSums, "day", "channel")
			return err
		})
	if err != nil {
		return ChannelShift{}, err
	}
	now, before := make([]int, len(out.Channels)), make([]int, len(out.Channels))
	for _, row := range previous {
		if c, ok := slot[row.Channel]; ok {
			before[c] += row.Contacts
		}
	}
	for _, row := range rows {
		c, ok := slot[row.Channel]
		if !ok {
			continue
		}
		now[c] += row.Contacts
		if i := idx.of(s.Period, row.Day); i >= 0 {
			out.Periods[i].Contacts[c] += row.Contacts
		}
	}
	for i := range out.Periods {
		out.Periods[i].Total, out.Periods[i].DigitalShare = digital(out.Channels, out.Periods[i].Contacts)
	}
	out.Total, out.DigitalShare = digital(out.Channels, now)
	out.Previous = ShiftTotals{From: prev.From, To: prev.To}
	out.Previous.Total, out.Previous.DigitalShare = digital(out.Channels, before)
	out.ContactsChange = change(out.Total, out.Previous.Total)
	out.DigitalShareChange = out.DigitalShare - out.Previous.DigitalShare
	for i, p := range out.Channels {
		out.ByChannel = append(out.ByChannel, ChannelCount{Channel: p, Contacts: now[i], Previous: before[i], Change: change(now[i], before[i])})
	}
	return out, nil
}

// digital is the total of counts and the share of it on digital channels.
func digital(channels []channel.Properties, counts []int) (int, float64) {
	total, online := 0, 0
	for i, n := range counts {
		total += n
		if channels[i].Digital {
			online += n
		}
	}
	return total, ratio(online, total)
}

// change is the relative change from before to now, 0 when before is 0.
func change(now, before int) float64 {
	if before == 0 {
		return 0
	}
	return float64(now-before) / float64(before)
}
