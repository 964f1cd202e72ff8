package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/council/contacthub/internal/store"
)

// rollupRow is one group of the daily rollup (contact_daily, kept by intake as contacts
// are recorded); a query fills only the columns it groups by.
type rollupRow struct {
	Day        string `db:"day"`
	Channel    string `db:"channel"`
	LGSL       int    `db:"service_lgsl"`
	Outcome    string `db:"outcome"`
	Avoidable  string `db:"avoidable_reason"`
	OpenedTier int    `db:"opened_tier"`
	N          int    `db:"n"`
}

// rollup sums the daily counts of [from, to] (days, inclusive) that f keeps, grouped by
// the given columns (fixed strings from this package, never caller input).
func (r *Reports) rollup(ctx context.Context, from, to time.Time, f Filter, groupBy ...string) ([]rollupRow, error) {
	where, args := []string{"day >= ?", "day <= ?"}, []any{dayKey(from), dayKey(to)}
	if f.Service != 0 {
		where, args = append(where, "service_lgsl = ?"), append(args, f.Service)
	}
	if f.Channel != "" {
		where, args = append(where, "channel = ?"), append(args, string(f.Channel))
	}
	if f.Centre != "" {
		where, args = append(where, "centre = ?"), append(args, f.Centre)
	}
	cols := strings.Join(groupBy, ", ")
	sel := "COALESCE(SUM(contacts), 0) AS n"
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
