package report

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/council/contacthub/internal/store"
)

// AvoidableReasons are why intake calls a contact avoidable, in the order reports show
// them, with a manager's name for each.
var AvoidableReasons = []struct{ Key, Label string }{
	{"progress_chasing", "Progress chasing"},
	{"chasing_response", "Chasing a reply"},
	{"repeat", "Repeat within the window"},
	{"past_sla", "Past its service level"},
	{"misdirected", "Misdirected"},
}

// AvoidablePeriod is one period's avoidable contacts, by reason (aligned with
// AvoidableReasons).
type AvoidablePeriod struct {
	Start     time.Time
	Contacts  int
	Avoidable int
	Rate      float64
	ByReason  []int
}

// ReasonCount is the span's avoidable contacts for one reason.
type ReasonCount struct {
	Reason, Label string
	Count         int
	Rate          float64 // share of all contacts
}

// ServiceDemand is one service's avoidable demand.
type ServiceDemand struct {
	LGSL      int
	Name      string
	Contacts  int
	Avoidable int
	Rate      float64
}

// RepeatCustomers counts customers with at least MinContacts contacts in the WithinDays
// days that end with the span's last day. Contacts are counted by the customer they now
// belong to, so a merged customer counts once and an undone merge splits them again.
type RepeatCustomers struct {
	MinContacts, WithinDays int
	From, To                time.Time // the window, To exclusive
	Customers               int
}

// Avoidable is the avoidable and repeat contacts of a span.
type Avoidable struct {
	Span   Span
	Filter Filter
	// Scope says in words what the report covers (days, grouping, filters).
	Scope     string
	Contacts  int
	Avoidable int
	Rate      float64
	ByReason  []ReasonCount
	Periods   []AvoidablePeriod
	// Services is every service with avoidable contacts, most avoidable demand first.
	Services []ServiceDemand
	Repeat   RepeatCustomers
}

// Avoidable reads the daily counts of s (checked by Check) that f keeps, and counts
// customers with minContacts or more contacts in the last withinDays days of s.
func (r *Reports) Avoidable(ctx context.Context, s Span, f Filter, minContacts, withinDays int) (Avoidable, error) {
	out := Avoidable{Span: s, Filter: f, Scope: s.describe(f, r)}
	periods := s.Periods()
	idx := s.index(periods)
	for _, p := range periods {
		out.Periods = append(out.Periods, AvoidablePeriod{Start: p, ByReason: make([]int, len(AvoidableReasons))})
	}
	// Three reads (see together): the days, in the rollup's key order so the database
	// sums as it walks the key; the services, a few groups but a sort of the span's rows;
	// and the repeat customers, from the contacts. One read grouped by day and service
	// cost about as much as the first two together, and cannot be split across cores.
	var days, services []rollupRow
	err := r.together(ctx,
		func(ctx context.Context) (err error) {
			days, err = r.rollup(ctx, s.From, s.To, f, avoidableSums, "day")
			return err
		},
		func(ctx context.Context) (err error) {
			services, err = r.rollup(ctx, s.From, s.To, f, avoidableSums, "service_lgsl")
			return err
		},
		func(ctx context.Context) (err error) {
			out.Repeat, err = r.repeatCustomers(ctx, s, f, minContacts, withinDays)
			return err
		})
	if err != nil {
		return Avoidable{}, err
	}
	reasons := make([]int, len(AvoidableReasons))
	for _, row := range days {
		out.Contacts += row.Contacts
		i := idx.of(s.Period, row.Day)
		if i >= 0 {
			out.Periods[i].Contacts += row.Contacts
		}
		for k, n := range row.avoidable() {
			out.Avoidable += n
			reasons[k] += n
			if i >= 0 {
				out.Periods[i].Avoidable += n
				out.Periods[i].ByReason[k] += n
			}
		}
	}
	out.Services = []ServiceDemand{}
	for _, row := range services {
		svc := ServiceDemand{LGSL: row.LGSL, Name: r.serviceName(row.LGSL), Contacts: row.Contacts}
		for _, n := range row.avoidable() {
			svc.Avoidable += n
		}
		if svc.Avoidable > 0 {
			svc.Rate = ratio(svc.Avoidable, svc.Contacts)
			out.Services = append(out.Services, svc)
		}
	}
	out.Rate = ratio(out.Avoidable, out.Contacts)
	for i := range out.Periods {
		out.Periods[i].Rate = ratio(out.Periods[i].Avoidable, out.Periods[i].Contacts)
	}
	for i, reason := range AvoidableReasons {
		out.ByReason = append(out.ByReason, ReasonCount{Reason: reason.Key, Label: reason.Label, Count: reasons[i], Rate: ratio(reasons[i], out.Contacts)})
	}
	slices.SortFunc(out.Services, func(a, b ServiceDemand) int {
		if a.Avoidable != b.Avoidable {
			return b.Avoidable - a.Avoidable
		}
		return a.LGSL - b.LGSL
	})
	return out, nil
}

// repeatCustomers counts, from the contacts themselves, the customers with at least n
// contacts in the days days before the end of s. The window is bounded (a year at
// most), and contacts_started (started_at, customer_id) makes it an index-only read
// when no filter asks for more.
func (r *Reports) repeatCustomers(ctx context.Context, s Span, f Filter, n, days int) (RepeatCustomers, error) {
	out := RepeatCustomers{MinContacts: n, WithinDays: days, To: s.end()}
	out.From = out.To.AddDate(0, 0, -days)
	where, args := f.where([]string{"started_at >= ?", "started_at < ?", "customer_id IS NOT NULL"}, []any{out.From, out.To})
	q := `SELECT COUNT(*) FROM (SELECT customer_id FROM contacts WHERE ` + strings.Join(where, " AND ") +
		` GROUP BY customer_id HAVING COUNT(*) >= ?) repeaters`
	args = append(args, n)
	if err := r.db.GetContext(ctx, &out.Customers, r.db.Rebind(q), args...); err != nil {
		return RepeatCustomers{}, fmt.Errorf("repeat customers: %w", store.MapError(err))
	}
	return out, nil
}
