package report

import (
	"context"
	"fmt"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/store"
)

// LandlordTakeUp is the landlord portal's take-up, as the council's committee asked to
// see it: the standing totals (landlords, invitations, acceptances, users active in the
// last 30 days) and, period by period over a span of days, what happened in each.
type LandlordTakeUp struct {
	Landlords, Invited, Accepted, ActiveLast30Days int
	Span                                           Span
	Periods                                        []TakeUpPeriod
}

// TakeUpPeriod is one period of the portal's take-up. Users active in a period cannot
// be counted: a user keeps only the last time it was active.
type TakeUpPeriod struct {
	Start time.Time
	// LandlordsAdded were registered, Invited were sent an invitation, Accepted accepted
	// one, and PortalContacts were contacts landlords made through the portal.
	LandlordsAdded, Invited, Accepted, PortalContacts int
}

const (
	takeUpTotals = `SELECT
 (SELECT COUNT(*) FROM landlords) AS landlords,
 (SELECT COUNT(*) FROM landlord_invitations) AS invited,
 (SELECT COUNT(*) FROM landlord_invitations WHERE accepted_at IS NOT NULL) AS accepted,
 (SELECT COUNT(*) FROM landlord_users WHERE last_active_at > ?) AS active`
	// Each branch names its measure in k; %[1]s… are the engine's days of each column.
	takeUpDays = `SELECT %[1]s AS d, 'landlords' AS k, COUNT(*) AS n FROM landlords WHERE created_at >= ? AND created_at < ? GROUP BY 1
 UNION ALL SELECT %[2]s, 'invited', COUNT(*) FROM landlord_invitations WHERE created_at >= ? AND created_at < ? GROUP BY 1
 UNION ALL SELECT %[3]s, 'accepted', COUNT(*) FROM landlord_invitations WHERE accepted_at >= ? AND accepted_at < ? GROUP BY 1
 UNION ALL SELECT day, 'contacts', SUM(contacts) FROM contact_daily WHERE channel = ? AND day >= ? AND day <= ? GROUP BY day`
)

// LandlordTakeUp counts the portal's standing totals and the take-up of s (checked by
// Check) period by period; portal contacts come from the daily rollup.
func (r *Reports) LandlordTakeUp(ctx context.Context, s Span) (LandlordTakeUp, error) {
	out := LandlordTakeUp{Span: s}
	var totals struct {
		Landlords int `db:"landlords"`
		Invited   int `db:"invited"`
		Accepted  int `db:"accepted"`
		Active    int `db:"active"`
	}
	if err := r.db.GetContext(ctx, &totals, r.db.Rebind(takeUpTotals), store.Now().Add(-30*24*time.Hour)); err != nil {
		return LandlordTakeUp{}, fmt.Errorf("take-up: %w", store.MapError(err))
	}
	out.Landlords, out.Invited, out.Accepted, out.ActiveLast30Days = totals.Landlords, totals.Invited, totals.Accepted, totals.Active
	periods := s.Periods()
	idx := s.index(periods)
	for _, p := range periods {
		out.Periods = append(out.Periods, TakeUpPeriod{Start: p})
	}
	q := fmt.Sprintf(takeUpDays, r.dayOf("created_at"), r.dayOf("created_at"), r.dayOf("accepted_at"))
	from, end := s.From, s.end()
	var days []dayKeyCount
	if err := r.db.SelectContext(ctx, &days, r.db.Rebind(q), from, end, from, end, from, end,
		string(channel.LandlordPortal), dayKey(s.From), dayKey(s.To)); err != nil {
		return LandlordTakeUp{}, fmt.Errorf("take-up by period: %w", store.MapError(err))
	}
	for _, d := range days {
		i := idx.of(s.Period, d.D)
		if i < 0 {
			continue
		}
		p := &out.Periods[i]
		switch d.K {
		case "landlords":
			p.LandlordsAdded += d.N
		case "invited":
			p.Invited += d.N
		case "accepted":
			p.Accepted += d.N
		case "contacts":
			p.PortalContacts += d.N
		}
	}
	return out, nil
}
