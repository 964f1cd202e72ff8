package exceptions

import (
	"fmt"
	"strings"
	"time"
)

// The columns every kind's query returns, in this order: row_id, case_id, customer_id,
// status, queue, assignee, service, at, n, note, other_at.
const caseColumns = `c.id AS row_id, c.id AS case_id, c.customer_id AS customer_id, c.status AS status,
 c.queue AS queue, c.assignee AS assignee, c.service_lgsl AS service`

// unfinished is the SQL test of a case that still needs work.
const unfinished = `c.status NOT IN ('resolved', 'closed')`

// failedDelivery lists the delivery receipts that mean a text never arrived (GOV.UK
// Notify's and Twilio's words).
const failedDelivery = `'permanent-failure', 'temporary-failure', 'technical-failure', 'failed', 'undelivered'`

var specs = map[Kind]spec{
	// Cases past their service level: open ones, and ones resolved after it fell due
	// (resolved within the last days).
	SLABreaches: {uses: []string{"days"}, defaults: Params{Days: 30},
		query: func(_ *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT ` + caseColumns + `, c.sla_due_at AS at, 0 AS n, '' AS note, c.resolved_at AS other_at
 FROM cases c WHERE (` + unfinished + ` AND c.sla_due_at < ?)
 OR (c.resolved_at IS NOT NULL AND c.resolved_at > c.sla_due_at AND c.resolved_at >= ?)`, []any{now, since(now, p.Days)}
		},
		reason: func(r *Reports, _ Params, x rawRow, now time.Time) string {
			if x.Other.Valid {
				return fmt.Sprintf("resolved %s, %s after its service level fell due (%s)", r.stamp(x.Other.Time),
					late(x.Other.Time.Sub(x.At.Time)), r.stamp(x.At.Time))
			}
			return fmt.Sprintf("%s and past its service level, which fell due %s (%d working days ago)", x.Status,
				r.stamp(x.At.Time), r.cal.WorkingDaysBetween(x.At.Time, now))
		}},

	// Open cases with no event on their timeline for days working days.
	IdleCases: {uses: []string{"days"}, defaults: Params{Days: 5},
		query: func(r *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT * FROM (SELECT ` + caseColumns + `,
 COALESCE((SELECT MAX(e.occurred_at) FROM timeline_events e WHERE e.case_id = c.id), c.created_at) AS at,
 0 AS n, '' AS note, NULL AS other_at
 FROM cases c WHERE ` + unfinished + `) i WHERE i.at < ?`, []any{r.cal.BackWorkingDays(now, p.Days)}
		},
		reason: func(r *Reports, _ Params, x rawRow, now time.Time) string {
			return fmt.Sprintf("%s with nothing on its timeline since %s: %d working days idle", x.Status, r.stamp(x.At.Time),
				r.cal.WorkingDaysBetween(x.At.Time, now))
		}},

	// Cases claimed more than hours ago on which nothing has happened since the claim.
	StaleClaims: {uses: []string{"hours"}, defaults: Params{Hours: 4},
		query: func(_ *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT ` + caseColumns + `, c.claimed_at AS at, 0 AS n, '' AS note, NULL AS other_at
 FROM cases c WHERE ` + unfinished + ` AND c.assignee <> '' AND c.claimed_at IS NOT NULL AND c.claimed_at < ?
 AND NOT EXISTS (SELECT 1 FROM timeline_events e WHERE e.case_id = c.id AND e.occurred_at > c.claimed_at AND e.kind <> 'case.claimed')`,
				[]any{now.Add(-time.Duration(p.Hours) * time.Hour)}
		},
		reason: func(r *Reports, _ Params, x rawRow, now time.Time) string {
			return fmt.Sprintf("claimed by %s at %s, %s ago, with nothing done since", x.Assignee, r.stamp(x.At.Time),
				late(now.Sub(x.At.Time)))
		}},

	// Customers with atLeast contacts in the last days.
	RepeatCustomers: {uses: []string{"days", "atLeast"}, defaults: Params{Days: 28, AtLeast: 3},
		query: func(_ *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT ct.customer_id AS row_id, NULL AS case_id, ct.customer_id AS customer_id, '' AS status, '' AS queue,
 '' AS assignee, 0 AS service, MAX(ct.started_at) AS at, COUNT(*) AS n, '' AS note, MIN(ct.started_at) AS other_at
 FROM contacts ct WHERE ct.customer_id IS NOT NULL AND ct.started_at >= ?
 GROUP BY ct.customer_id HAVING COUNT(*) >= ?`, []any{since(now, p.Days), p.AtLeast}
		},
		reason: func(r *Reports, p Params, x rawRow, _ time.Time) string {
			return fmt.Sprintf("%d contacts in the last %d days (at least %d), the first %s and the latest %s", x.N, p.Days,
				p.AtLeast, r.stamp(x.Other.Time), r.stamp(x.At.Time))
		}},

	// Cases reopened in the last days: one row per reopening.
	ReopenedCases: {uses: []string{"days"}, defaults: Params{Days: 28},
		query: func(_ *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT e.id AS row_id, c.id AS case_id, c.customer_id AS customer_id, c.status AS status, c.queue AS queue,
 c.assignee AS assignee, c.service_lgsl AS service, e.occurred_at AS at, 0 AS n, e.data AS note, NULL AS other_at
 FROM timeline_events e JOIN cases c ON c.id = e.case_id WHERE e.kind = 'case.reopened' AND e.occurred_at >= ?`,
				[]any{since(now, p.Days)}
		},
		reason: func(r *Reports, _ Params, x rawRow, _ time.Time) string {
			why := reopenReason(x.Note)
			if why == "" {
				why = "no reason given"
			}
			return fmt.Sprintf("reopened %s: %s", r.stamp(x.At.Time), why)
		}},

	// Cases handed off atLeast times, the last hand-off within days.
	PingPong: {uses: []string{"days", "atLeast"}, defaults: Params{Days: 28, AtLeast: 3},
		query: func(_ *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT * FROM (SELECT ` + caseColumns + `,
 (SELECT MAX(h.handed_at) FROM case_handoffs h WHERE h.case_id = c.id) AS at,
 (SELECT COUNT(*) FROM case_handoffs h WHERE h.case_id = c.id) AS n, '' AS note, NULL AS other_at
 FROM cases c WHERE c.handoff_count >= ?) i WHERE i.n >= ? AND i.at >= ?`, []any{p.AtLeast, p.AtLeast, since(now, p.Days)}
		},
		reason: func(r *Reports, p Params, x rawRow, _ time.Time) string {
			return fmt.Sprintf("handed off %d times (at least %d), the last %s; now in queue %s", x.N, p.AtLeast, r.stamp(x.At.Time), x.Queue)
		}},

	// SMS surveys that failed, expired unsent, were lost with their process, or were
	// reported undelivered, in the last days.
	FailingSurveys: {uses: []string{"days"}, defaults: Params{Days: 7},
		query: func(_ *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT s.id AS row_id, ct.case_id AS case_id, s.customer_id AS customer_id, s.status AS status, '' AS queue,
 '' AS assignee, s.service_lgsl AS service, s.updated_at AS at, s.attempts AS n,
 s.delivery_status || '|' || s.last_error AS note, NULL AS other_at
 FROM surveys s LEFT JOIN contacts ct ON ct.id = s.contact_id
 WHERE (s.status IN ('failed', 'expired', 'unknown') OR s.delivery_status IN (` + failedDelivery + `)) AND s.updated_at >= ?`,
				[]any{since(now, p.Days)}
		},
		reason: func(r *Reports, _ Params, x rawRow, _ time.Time) string {
			delivery, lastErr, _ := strings.Cut(x.Note, "|")
			switch {
			case delivery != "" && x.Status == "sent":
				return fmt.Sprintf("sent, but the provider reported %s (%s)", delivery, r.stamp(x.At.Time))
			case x.Status == "expired":
				return fmt.Sprintf("expired before it could be sent (%s)", r.stamp(x.At.Time))
			case x.Status == "unknown":
				return fmt.Sprintf("the send's outcome was lost with its process after %d attempts (%s)", x.N, r.stamp(x.At.Time))
			case lastErr != "":
				return fmt.Sprintf("%s after %d attempts: %s", x.Status, x.N, lastErr)
			}
			return fmt.Sprintf("%s after %d attempts (%s)", x.Status, x.N, r.stamp(x.At.Time))
		}},

	// Resolved or closed cases without a resolution code (imported, or resolved before
	// codes were required), resolved within the last days.
	MissingResolutionCodes: {uses: []string{"days"}, defaults: Params{Days: 3660},
		query: func(_ *Reports, p Params, now time.Time) (string, []any) {
			return `SELECT ` + caseColumns + `, COALESCE(c.resolved_at, c.updated_at) AS at, 0 AS n, '' AS note, NULL AS other_at
 FROM cases c WHERE c.status IN ('resolved', 'closed') AND c.resolution_code = ''
 AND COALESCE(c.resolved_at, c.updated_at) >= ?`, []any{since(now, p.Days)}
		},
		reason: func(r *Reports, _ Params, x rawRow, _ time.Time) string {
			return fmt.Sprintf("%s %s without a resolution code", x.Status, r.stamp(x.At.Time))
		}},
}

// since is days before now.
func since(now time.Time, days int) time.Time { return now.AddDate(0, 0, -days) }

// stamp writes a moment in the council's time, to the minute.
func (r *Reports) stamp(t time.Time) string { return t.In(r.cal.Location()).Format("2 Jan 2006 15:04") }

// late writes a duration in days and hours, or hours and minutes.
func late(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d >= 24*time.Hour {
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
	return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
}
