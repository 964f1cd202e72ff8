package report

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// GroupBy names what satisfaction is broken down by.
type GroupBy string

// groupColumns are the fixed SQL expressions each grouping reads (never caller input).
var groupColumns = map[GroupBy]map[store.Dialect]string{
	"channel": {store.SQLite: "channel", store.Postgres: "channel"},
	"tier":    {store.SQLite: "CAST(tier AS TEXT)", store.Postgres: "tier::text"},
	"service": {store.SQLite: "CAST(service_lgsl AS TEXT)", store.Postgres: "service_lgsl::text"},
	"centre":  {store.SQLite: "centre", store.Postgres: "centre"},
	"agent":   {store.SQLite: "agent", store.Postgres: "agent"},
	"source":  {store.SQLite: "source", store.Postgres: "source"},
	"day":     {store.SQLite: "substr(created_at, 1, 10)", store.Postgres: "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"},
	// The Monday that starts the UTC week, and the first of the UTC month, as the
	// manager reports name their periods.
	"week": {store.SQLite: "date(substr(created_at, 1, 10), 'weekday 0', '-6 days')",
		store.Postgres: "to_char(date_trunc('week', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"},
	"month": {store.SQLite: "substr(created_at, 1, 7) || '-01'",
		store.Postgres: "to_char(date_trunc('month', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"},
}

// SatisfactionGroup is the satisfaction measures of one group.
type SatisfactionGroup struct {
	Key          string
	Count        int
	Mean         float64
	CSAT         float64 // share of scores at or above the satisfied threshold
	Distribution map[int]int
}

// SurveyRates is how SMS surveys fared.
type SurveyRates struct {
	Sent, Delivered, Answered int
	ResponseRate              float64 // answered / sent
}

// Satisfaction is the report.
type Satisfaction struct {
	From, To time.Time
	GroupBy  GroupBy
	Groups   []SatisfactionGroup
	Surveys  SurveyRates
}

// Satisfaction computes scores over [from, to), grouped; satisfied is the least score
// that counts towards CSAT (4 on a 1–5 scale).
func (r *Reports) Satisfaction(ctx context.Context, from, to time.Time, by GroupBy, satisfied int) (Satisfaction, error) {
	if !to.After(from) {
		return Satisfaction{}, fault.Field("to", "must be after from")
	}
	col, ok := groupColumns[by][r.db.Dialect]
	if !ok {
		return Satisfaction{}, fault.Field("groupBy", "one of channel, tier, service, centre, agent, source, day, week, month")
	}
	from, to = from.UTC(), to.UTC()
	var rows []struct {
		K string `db:"k"`
		S int    `db:"s"`
		N int    `db:"n"`
	}
	q := `SELECT ` + col + ` AS k, score AS s, COUNT(*) AS n FROM ratings
 WHERE created_at >= ? AND created_at < ? AND score IS NOT NULL GROUP BY ` + col + `, score`
	if err := r.db.SelectContext(ctx, &rows, r.db.Rebind(q), from, to); err != nil {
		return Satisfaction{}, fmt.Errorf("satisfaction: %w", store.MapError(err))
	}
	groups := map[string]*SatisfactionGroup{}
	for _, row := range rows {
		g := groups[row.K]
		if g == nil {
			g = &SatisfactionGroup{Key: row.K, Distribution: map[int]int{}}
			groups[row.K] = g
		}
		g.Count += row.N
		g.Distribution[row.S] += row.N
		g.Mean += float64(row.S * row.N)
		if row.S >= satisfied {
			g.CSAT += float64(row.N)
		}
	}
	out := Satisfaction{From: from, To: to, GroupBy: by}
	for _, g := range groups {
		g.Mean /= float64(g.Count)
		g.CSAT /= float64(g.Count)
		out.Groups = append(out.Groups, *g)
	}
	slices.SortFunc(out.Groups, func(a, b SatisfactionGroup) int {
		if ai, err1 := strconv.Atoi(a.Key); err1 == nil {
			if bi, err2 := strconv.Atoi(b.Key); err2 == nil {
				return ai - bi
			}
		}
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	var rates struct {
		Sent      int `db:"sent"`
		Delivered int `db:"delivered"`
		Answered  int `db:"answered"`
	}
	if err := r.db.GetContext(ctx, &rates, r.db.Rebind(surveyRates), from, to); err != nil {
		return Satisfaction{}, fmt.Errorf("survey rates: %w", store.MapError(err))
	}
	out.Surveys = SurveyRates{Sent: rates.Sent, Delivered: rates.Delivered, Answered: rates.Answered, ResponseRate: ratio(rates.Answered, rates.Sent)}
	return out, nil
}

const surveyRates = `SELECT COUNT(*) AS sent,
 COALESCE(SUM(CASE WHEN delivery_status = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered,
 COALESCE(SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END), 0) AS answered
 FROM surveys WHERE sent_at >= ? AND sent_at < ?`
