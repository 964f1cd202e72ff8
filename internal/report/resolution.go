package report

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/store"
)

// Rates are the resolution measures of a group of contacts. Each rate is a share of
// Contacts: a contact resolved there and then, one the resident served themselves, one
// handed off to another tier or queue.
type Rates struct {
	Contacts             int
	ResolvedFirstContact int
	SelfServed           int
	HandedOff            int
	FirstContactRate     float64
	SelfServedRate       float64
	HandoffRate          float64
}

func (r *Rates) add(row rollupRow) {
	r.Contacts += row.Contacts
	r.ResolvedFirstContact += row.Resolved
	r.SelfServed += row.SelfServed
	r.HandedOff += row.HandedOff
}

func (r *Rates) finish() {
	r.FirstContactRate = ratio(r.ResolvedFirstContact, r.Contacts)
	r.SelfServedRate = ratio(r.SelfServed, r.Contacts)
	r.HandoffRate = ratio(r.HandedOff, r.Contacts)
}

// RatesPeriod is one period's rates.
type RatesPeriod struct {
	Start time.Time
	Rates
}

// RatesGroup is the rates of one channel or service.
type RatesGroup struct {
	Key, Label string
	Rates
}

// TierPair is how many hand-offs went from one tier to another.
type TierPair struct{ From, To, Handoffs int }

// KeyCount is a count under a name.
type KeyCount struct {
	Key   string
	Count int
}

// Resolution is first-contact resolution, self-service and hand-offs over a span.
type Resolution struct {
	Span   Span
	Filter Filter
	// Scope says in words what the report covers (days, grouping, filters).
	Scope     string
	Totals    Rates
	Periods   []RatesPeriod
	ByChannel []RatesGroup
	ByService []RatesGroup
	// CasesOpenedByTier is the tier mix of the cases contacts opened ("1", "2", "3").
	CasesOpenedByTier map[string]int
	// Hand-offs of cases between tiers or queues in the span, from the case's hand-off
	// record (the centre filter does not apply: a case has no centre).
	Handoffs         int
	HandoffsByReason []KeyCount
	HandoffsByTiers  []TierPair
}

// Resolution reads the daily counts of s (checked by Check) that f keeps.
func (r *Reports) Resolution(ctx context.Context, s Span, f Filter) (Resolution, error) {
	out := Resolution{Span: s, Filter: f, Scope: s.describe(f, r), CasesOpenedByTier: map[string]int{}}
	periods := s.Periods()
	idx := s.index(periods)
	for _, p := range periods {
		out.Periods = append(out.Periods, RatesPeriod{Start: p})
	}
	// Two groupings, read with the hand-offs (see together): by day and channel, which
	// follows the rollup's key (so the database sums as it walks it, with no sort) and
	// gives the periods, the totals and the channels; and by service alone, a few
	// groups. Grouping by day, channel and service would send every row here.
	var days, services []rollupRow
	err := r.together(ctx,
		func(ctx context.Context) (err error) {
			days, err = r.rollup(ctx, s.From, s.To, f, resolutionSums, "day", "channel")
			return err
		},
		func(ctx context.Context) (err error) {
			services, err = r.rollup(ctx, s.From, s.To, f, resolutionSums, "service_lgsl")
			return err
		},
		func(ctx context.Context) error { return r.handoffs(ctx, s, f, &out) })
	if err != nil {
		return Resolution{}, err
	}
	byChannel, byService := map[string]*Rates{}, map[int]*Rates{}
	for _, row := range days {
		out.Totals.add(row)
		group(byChannel, row.Channel).add(row)
		if i := idx.of(s.Period, row.Day); i >= 0 {
			out.Periods[i].add(row)
		}
		for tier, n := range []int{row.Tier1, row.Tier2, row.Tier3} {
			if n > 0 {
				out.CasesOpenedByTier[strconv.Itoa(tier+1)] += n
			}
		}
	}
	for _, row := range services {
		group(byService, row.LGSL).add(row)
	}
	out.Totals.finish()
	for i := range out.Periods {
		out.Periods[i].finish()
	}
	for _, p := range channel.All() {
		if g, ok := byChannel[string(p.Channel)]; ok {
			g.finish()
			out.ByChannel = append(out.ByChannel, RatesGroup{Key: string(p.Channel), Label: p.Label, Rates: *g})
		}
	}
	for _, lgsl := range sortedKeys(byService) {
		g := byService[lgsl]
		g.finish()
		out.ByService = append(out.ByService, RatesGroup{Key: strconv.Itoa(lgsl), Label: r.serviceName(lgsl), Rates: *g})
	}
	return out, nil
}

func group[K comparable](m map[K]*Rates, k K) *Rates {
	g := m[k]
	if g == nil {
		g = &Rates{}
		m[k] = g
	}
	return g
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// handoffs reads the span's hand-offs by reason and by tier pair from the daily counts
// casework keeps with each hand-off (handoff_daily); the service and channel filters
// are the case's.
func (r *Reports) handoffs(ctx context.Context, s Span, f Filter, out *Resolution) error {
	where, args := []string{"day >= ?", "day <= ?"}, []any{dayKey(s.From), dayKey(s.To)}
	if f.Service != 0 {
		where, args = append(where, "service_lgsl = ?"), append(args, f.Service)
	}
	if f.Channel != "" {
		where, args = append(where, "channel = ?"), append(args, string(f.Channel))
	}
	q := `SELECT reason, from_tier AS a, to_tier AS b, SUM(handoffs) AS n FROM handoff_daily WHERE ` +
		strings.Join(where, " AND ") + ` GROUP BY reason, from_tier, to_tier`
	var rows []struct {
		Reason string `db:"reason"`
		A      int    `db:"a"`
		B      int    `db:"b"`
		N      int    `db:"n"`
	}
	if err := r.db.SelectContext(ctx, &rows, r.db.Rebind(q), args...); err != nil {
		return fmt.Errorf("hand-offs: %w", store.MapError(err))
	}
	reasons, pairs := map[string]int{}, map[[2]int]int{}
	for _, row := range rows {
		out.Handoffs += row.N
		reasons[row.Reason] += row.N
		pairs[[2]int{row.A, row.B}] += row.N
	}
	out.HandoffsByReason = []KeyCount{}
	for k, n := range reasons {
		out.HandoffsByReason = append(out.HandoffsByReason, KeyCount{Key: k, Count: n})
	}
	slices.SortFunc(out.HandoffsByReason, func(a, b KeyCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Key, b.Key)
	})
	out.HandoffsByTiers = []TierPair{}
	for k, n := range pairs {
		out.HandoffsByTiers = append(out.HandoffsByTiers, TierPair{From: k[0], To: k[1], Handoffs: n})
	}
	slices.SortFunc(out.HandoffsByTiers, func(a, b TierPair) int {
		if a.From != b.From {
			return a.From - b.From
		}
		return a.To - b.To
	})
	return nil
}
