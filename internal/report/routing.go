// Package report computes the measures managers read: tier mix, first-contact
// resolution, hand-offs and, as they arrive, satisfaction, channel shift and demand.
package report

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Reports reads the measures from the hub's database (a read replica in production).
type Reports struct {
	db        *store.DB
	catalogue *catalogue.Catalogue
	costs     UnitCosts
}

// New returns the reports, naming services from cat and pricing contacts at costs.
func New(db *store.DB, cat *catalogue.Catalogue, costs UnitCosts) *Reports {
	return &Reports{db: db, catalogue: cat, costs: costs}
}

// Catalogue is the reference data the reports check their filters against.
func (r *Reports) Catalogue() *catalogue.Catalogue { return r.catalogue }

// serviceName is the catalogue's name for a service, or its code when it has none.
func (r *Reports) serviceName(lgsl int) string {
	if s, ok := r.catalogue.Service(lgsl); ok {
		return s.Name
	}
	return "LGSL " + strconv.Itoa(lgsl)
}

// Routing is how the router and the tiers performed over [From, To), in total and
// period by period (UTC days, Monday weeks or months, clipped to [From, To)).
type Routing struct {
	From, To                   time.Time
	Period                     Period
	ContactsByTier             map[string]int
	CasesOpened                int
	FirstContactResolutionRate float64
	HandoffRate                float64
	Handoffs                   int
	HandoffsByReason           map[string]int
	HandoffsByTiers            map[string]int
	Tier3Resolved              int
	Tier3ResolvedUntouched     float64
	Periods                    []RoutingPeriod
}

// RoutingPeriod is one period's share of the routing measures.
type RoutingPeriod struct {
	Start                      time.Time
	ContactsByTier             map[string]int
	CasesOpened                int
	FirstContactResolutionRate float64
	HandoffRate                float64
	Handoffs                   int
}

// Each per-day query is formatted with the engine's expression for its time column's
// UTC day (dayOf); the totals are the sums of the days, so the two cannot disagree.
const (
	contactsByTierDay = `SELECT %s AS d, routed_tier AS k, COUNT(*) AS n FROM contacts
 WHERE started_at >= ? AND started_at < ? AND routed_tier > 0 GROUP BY 1, 2`
	casesOpenedDay = `SELECT %s AS d, COUNT(*) AS opened,
 COALESCE(SUM(CASE WHEN resolved_at_first_contact THEN 1 ELSE 0 END), 0) AS fcr,
 COALESCE(SUM(CASE WHEN handoff_count > 0 THEN 1 ELSE 0 END), 0) AS handed
 FROM cases WHERE created_at >= ? AND created_at < ? GROUP BY 1`
	handoffsByReasonDay = `SELECT %s AS d, reason AS k, COUNT(*) AS n FROM case_handoffs WHERE handed_at >= ? AND handed_at < ? GROUP BY 1, 2`
	handoffsByTiers     = `SELECT from_tier AS a, to_tier AS b, COUNT(*) AS n FROM case_handoffs
 WHERE handed_at >= ? AND handed_at < ? GROUP BY from_tier, to_tier`
	// A tier 3 case resolved with nothing done at tier 3 — no note, referral or hand-off
	// after it arrived there — is a candidate for handling that enquiry lower down.
	tier3Resolved = `SELECT COUNT(*) AS resolved,
 COALESCE(SUM(CASE WHEN NOT EXISTS (
   SELECT 1 FROM timeline_events e WHERE e.case_id = c.id
   AND e.kind IN ('case.note', 'referral.made', 'case.handed_off')
   AND e.occurred_at > COALESCE((SELECT MAX(h.handed_at) FROM case_handoffs h WHERE h.case_id = c.id AND h.to_tier = 3), c.created_at)
 ) THEN 1 ELSE 0 END), 0) AS untouched
 FROM cases c WHERE c.tier = 3 AND c.status IN ('resolved', 'closed') AND c.resolved_at >= ? AND c.resolved_at < ?`
)

// dayOf is the engine's 'YYYY-MM-DD' of a time column's UTC day (SQLite keeps times as
// the driver writes them in UTC, which begin with the date).
func (r *Reports) dayOf(col string) string {
	if r.db.Dialect == store.Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

type dayKeyCount struct {
	D string `db:"d"`
	K string `db:"k"`
	N int    `db:"n"`
}

// CheckInstants validates a report over the instants [from, to) grouped by p, naming
// the parameter at fault (groupBy for the grouping, as the routing report calls it),
// and returns the span of UTC days it touches.
func CheckInstants(from, to time.Time, p Period) (Span, error) {
	var problems fault.Fields
	from, to = from.UTC(), to.UTC()
	switch {
	case !to.After(from):
		problems.Add("to", "must be after from")
	case to.After(from.AddDate(MaxYears, 0, 0)):
		problems.Add("to", "a report covers at most 5 years")
	}
	switch p {
	case "":
		p = Week
	case Day, Week, Month:
	default:
		problems.Add("groupBy", "one of day, week, month")
	}
	if err := problems.Err(); err != nil {
		return Span{}, err
	}
	return Span{From: midnight(from), To: midnight(to.Add(-time.Nanosecond)), Period: p}, nil
}

// Routing computes the routing measures for [from, to), grouped by p.
func (r *Reports) Routing(ctx context.Context, from, to time.Time, p Period) (Routing, error) {
	s, err := CheckInstants(from, to, p)
	if err != nil {
		return Routing{}, err
	}
	from, to = from.UTC(), to.UTC()
	out := Routing{From: from, To: to, Period: s.Period, ContactsByTier: map[string]int{}, HandoffsByReason: map[string]int{}, HandoffsByTiers: map[string]int{}}
	periods := s.Periods()
	idx := s.index(periods)
	for _, start := range periods {
		out.Periods = append(out.Periods, RoutingPeriod{Start: start, ContactsByTier: map[string]int{}})
	}
	var tiers []dayKeyCount
	if err := r.db.SelectContext(ctx, &tiers, r.db.Rebind(fmt.Sprintf(contactsByTierDay, r.dayOf("started_at"))), from, to); err != nil {
		return Routing{}, fmt.Errorf("contacts by tier: %w", store.MapError(err))
	}
	for _, t := range tiers {
		out.ContactsByTier[t.K] += t.N
		if i := idx.of(s.Period, t.D); i >= 0 {
			out.Periods[i].ContactsByTier[t.K] += t.N
		}
	}
	if err := r.routingCases(ctx, &out, s, idx, from, to); err != nil {
		return Routing{}, err
	}
	var reasons []dayKeyCount
	if err := r.db.SelectContext(ctx, &reasons, r.db.Rebind(fmt.Sprintf(handoffsByReasonDay, r.dayOf("handed_at"))), from, to); err != nil {
		return Routing{}, fmt.Errorf("hand-offs by reason: %w", store.MapError(err))
	}
	for _, k := range reasons {
		out.HandoffsByReason[k.K] += k.N
		out.Handoffs += k.N
		if i := idx.of(s.Period, k.D); i >= 0 {
			out.Periods[i].Handoffs += k.N
		}
	}
	var moves []struct {
		A int `db:"a"`
		B int `db:"b"`
		N int `db:"n"`
	}
	if err := r.db.SelectContext(ctx, &moves, r.db.Rebind(handoffsByTiers), from, to); err != nil {
		return Routing{}, fmt.Errorf("hand-offs by tiers: %w", store.MapError(err))
	}
	for _, m := range moves {
		out.HandoffsByTiers[strconv.Itoa(m.A)+"→"+strconv.Itoa(m.B)] = m.N
	}
	var t3 struct {
		Resolved  int `db:"resolved"`
		Untouched int `db:"untouched"`
	}
	if err := r.db.GetContext(ctx, &t3, r.db.Rebind(tier3Resolved), from, to); err != nil {
		return Routing{}, fmt.Errorf("tier 3 resolutions: %w", store.MapError(err))
	}
	out.Tier3Resolved = t3.Resolved
	out.Tier3ResolvedUntouched = ratio(t3.Untouched, t3.Resolved)
	return out, nil
}

// routingCases counts the cases opened in [from, to), resolved at first contact and
// handed off, in total and by period.
func (r *Reports) routingCases(ctx context.Context, out *Routing, s Span, idx periodIndex, from, to time.Time) error {
	var days []struct {
		D      string `db:"d"`
		Opened int    `db:"opened"`
		FCR    int    `db:"fcr"`
		Handed int    `db:"handed"`
	}
	if err := r.db.SelectContext(ctx, &days, r.db.Rebind(fmt.Sprintf(casesOpenedDay, r.dayOf("created_at"))), from, to); err != nil {
		return fmt.Errorf("cases opened: %w", store.MapError(err))
	}
	fcr, handed := make([]int, len(out.Periods)), make([]int, len(out.Periods))
	var allFCR, allHanded int
	for _, d := range days {
		out.CasesOpened += d.Opened
		allFCR, allHanded = allFCR+d.FCR, allHanded+d.Handed
		if i := idx.of(s.Period, d.D); i >= 0 {
			out.Periods[i].CasesOpened += d.Opened
			fcr[i], handed[i] = fcr[i]+d.FCR, handed[i]+d.Handed
		}
	}
	out.FirstContactResolutionRate = ratio(allFCR, out.CasesOpened)
	out.HandoffRate = ratio(allHanded, out.CasesOpened)
	for i := range out.Periods {
		out.Periods[i].FirstContactResolutionRate = ratio(fcr[i], out.Periods[i].CasesOpened)
		out.Periods[i].HandoffRate = ratio(handed[i], out.Periods[i].CasesOpened)
	}
	return nil
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
