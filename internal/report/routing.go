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

// Routing is how the router and the tiers performed over a period.
type Routing struct {
	From, To                   time.Time
	ContactsByTier             map[string]int
	CasesOpened                int
	FirstContactResolutionRate float64
	HandoffRate                float64
	Handoffs                   int
	HandoffsByReason           map[string]int
	HandoffsByTiers            map[string]int
	Tier3Resolved              int
	Tier3ResolvedUntouched     float64
}

const (
	contactsByTier = `SELECT routed_tier AS k, COUNT(*) AS n FROM contacts
 WHERE started_at >= ? AND started_at < ? AND routed_tier > 0 GROUP BY routed_tier`
	casesOpened = `SELECT COUNT(*) AS opened,
 COALESCE(SUM(CASE WHEN resolved_at_first_contact THEN 1 ELSE 0 END), 0) AS fcr,
 COALESCE(SUM(CASE WHEN handoff_count > 0 THEN 1 ELSE 0 END), 0) AS handed
 FROM cases WHERE created_at >= ? AND created_at < ?`
	handoffsByReason = `SELECT reason AS k, COUNT(*) AS n FROM case_handoffs WHERE handed_at >= ? AND handed_at < ? GROUP BY reason`
	handoffsByTiers  = `SELECT from_tier AS a, to_tier AS b, COUNT(*) AS n FROM case_handoffs
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

type keyCount struct {
	K string `db:"k"`
	N int    `db:"n"`
}

// Routing computes the routing measures for [from, to).
func (r *Reports) Routing(ctx context.Context, from, to time.Time) (Routing, error) {
	if !to.After(from) {
		return Routing{}, fault.Field("to", "must be after from")
	}
	from, to = from.UTC(), to.UTC()
	out := Routing{From: from, To: to, ContactsByTier: map[string]int{}, HandoffsByReason: map[string]int{}, HandoffsByTiers: map[string]int{}}
	var tiers []keyCount
	if err := r.db.SelectContext(ctx, &tiers, r.db.Rebind(contactsByTier), from, to); err != nil {
		return Routing{}, fmt.Errorf("contacts by tier: %w", store.MapError(err))
	}
	for _, t := range tiers {
		out.ContactsByTier[t.K] = t.N
	}
	var opened struct {
		Opened int `db:"opened"`
		FCR    int `db:"fcr"`
		Handed int `db:"handed"`
	}
	if err := r.db.GetContext(ctx, &opened, r.db.Rebind(casesOpened), from, to); err != nil {
		return Routing{}, fmt.Errorf("cases opened: %w", store.MapError(err))
	}
	out.CasesOpened = opened.Opened
	out.FirstContactResolutionRate = ratio(opened.FCR, opened.Opened)
	out.HandoffRate = ratio(opened.Handed, opened.Opened)
	var reasons []keyCount
	if err := r.db.SelectContext(ctx, &reasons, r.db.Rebind(handoffsByReason), from, to); err != nil {
		return Routing{}, fmt.Errorf("hand-offs by reason: %w", store.MapError(err))
	}
	for _, k := range reasons {
		out.HandoffsByReason[k.K] = k.N
		out.Handoffs += k.N
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

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
