package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/council/contacthub/internal/store"
)

// rollupRow is one group of the daily rollup (contact_daily, kept by intake as contacts
// are recorded): the key columns a query groups by, and every count summed.
type rollupRow struct {
	Day        string `db:"day"`
	Channel    string `db:"channel"`
	LGSL       int    `db:"service_lgsl"`
	Contacts   int    `db:"contacts"`
	InProgress int    `db:"in_progress"`
	Resolved   int    `db:"resolved_first_contact"`
	SelfServed int    `db:"self_served"`
	HandedOff  int    `db:"handed_off"`
	Referred   int    `db:"referred"`
	Abandoned  int    `db:"abandoned"`
	// Avoidable contacts by reason, in AvoidableReasons' order.
	Repeat          int `db:"avoidable_repeat"`
	ProgressChasing int `db:"avoidable_progress_chasing"`
	ChasingResponse int `db:"avoidable_chasing_response"`
	PastSLA         int `db:"avoidable_past_sla"`
	Misdirected     int `db:"avoidable_misdirected"`
	// Cases the contacts opened, by tier.
	Tier1 int `db:"opened_tier_1"`
	Tier2 int `db:"opened_tier_2"`
	Tier3 int `db:"opened_tier_3"`
}

// avoidable is the row's avoidable contacts by reason, in AvoidableReasons' order.
func (r rollupRow) avoidable() [5]int {
	return [5]int{r.ProgressChasing, r.ChasingResponse, r.Repeat, r.PastSLA, r.Misdirected}
}

const avoidableSums = `COALESCE(SUM(contacts), 0) AS contacts,
 COALESCE(SUM(avoidable_repeat), 0) AS avoidable_repeat, COALESCE(SUM(avoidable_progress_chasing), 0) AS avoidable_progress_chasing,
 COALESCE(SUM(avoidable_chasing_response), 0) AS avoidable_chasing_response, COALESCE(SUM(avoidable_misdirected), 0) AS avoidable_misdirected,
 COALESCE(SUM(avoidable_past_sla), 0) AS avoidable_past_sla`

// Narrower sums for the reports that need fewer counts (each column summed costs time).
const (
	contactSums    = `COALESCE(SUM(contacts), 0) AS contacts`
	resolutionSums = `COALESCE(SUM(contacts), 0) AS contacts, COALESCE(SUM(resolved_first_contact), 0) AS resolved_first_contact,
 COALESCE(SUM(self_served), 0) AS self_served, COALESCE(SUM(handed_off), 0) AS handed_off, COALESCE(SUM(opened_tier_1), 0) AS opened_tier_1,
 COALESCE(SUM(opened_tier_2), 0) AS opened_tier_2, COALESCE(SUM(opened_tier_3), 0) AS opened_tier_3`
	costSums = `COALESCE(SUM(contacts), 0) AS contacts, COALESCE(SUM(resolved_first_contact), 0) AS resolved_first_contact,
 COALESCE(SUM(self_served), 0) AS self_served`
)

// rollup sums the daily counts of [from, to] (days, inclusive) that f keeps, grouped by
// the given key columns; sums is one of the constants above (never caller input).
func (r *Reports) rollup(ctx context.Context, from, to time.Time, f Filter, sums string, groupBy ...string) ([]rollupRow, error) {
	where, args := f.where([]string{"day >= ?", "day <= ?"}, []any{dayKey(from), dayKey(to)})
	cols := strings.Join(groupBy, ", ")
	sel := sums
	if cols != "" {
		sel = cols + ", " + sel
	}
	q := `SELECT ` + sel + ` FROM contact_daily WHERE ` + strings.Join(where, " AND ")
	if cols != "" {
		q += ` GROUP BY ` + cols
	}
	var rows []rollupRow
	if err := r.db.SelectContext(ctx, &rows, r.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("read daily counts: %w", store.MapError(err))
	}
	return rows, nil
}

// where adds f's conditions to a query's: the rollups and the contacts name service,
// channel and centre alike, so one filter serves both.
func (f Filter) where(where []string, args []any) ([]string, []any) {
	if f.Service != 0 {
		where, args = append(where, "service_lgsl = ?"), append(args, f.Service)
	}
	if f.Channel != "" {
		where, args = append(where, "channel = ?"), append(args, string(f.Channel))
	}
	if f.Centre != "" {
		where, args = append(where, "centre = ?"), append(args, f.Centre)
	}
	return where, args
}
