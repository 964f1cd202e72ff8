package qa

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// GroupBy is what the accuracy report is grouped by.
type GroupBy string

const (
	ByOfficer  GroupBy = "officer"
	ByService  GroupBy = "service"
	ByTier     GroupBy = "tier"
	ByCategory GroupBy = "category"
	ByWeek     GroupBy = "week"
)

// Group is one line of the report.
type Group struct {
	Key                                  string
	Reviewed, Passed, PassedWithFeedback int
	Failed                               int
	FinancialImpactPence                 int
}

// Accuracy is the share passed, with or without feedback (0 with nothing reviewed).
func (g Group) Accuracy() float64 {
	if g.Reviewed == 0 {
		return 0
	}
	return float64(g.Passed+g.PassedWithFeedback) / float64(g.Reviewed)
}

// Report is accuracy over reviews recorded in [From, To).
type Report struct {
	From, To time.Time
	GroupBy  GroupBy
	Groups   []Group
}

const selectDone = `SELECT ` + reviewColumns + ` FROM qa_reviews
 WHERE status = 'done' AND reviewed_at >= ? AND reviewed_at < ? ORDER BY id`

// maxReportPeriod bounds a report's period.
const maxReportPeriod = 400 * 24 * time.Hour

// Report counts the outcomes of reviews recorded in [from, to), grouped by.
func (s *Service) Report(ctx context.Context, from, to time.Time, by GroupBy) (Report, error) {
	switch {
	case !to.After(from):
		return Report{}, fault.Field("to", "must be after from")
	case to.Sub(from) > maxReportPeriod:
		return Report{}, fault.Field("to", "a report covers at most 400 days")
	}
	var rows []reviewRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(selectDone), from.UTC(), to.UTC()); err != nil {
		return Report{}, fmt.Errorf("qa report: %w", store.MapError(err))
	}
	groups := map[string]*Group{}
	for _, r := range rows {
		rv, err := r.toReview()
		if err != nil {
			return Report{}, err
		}
		for _, key := range s.keysOf(rv, by) {
			g, ok := groups[key]
			if !ok {
				g = &Group{Key: key}
				groups[key] = g
			}
			g.add(rv)
		}
	}
	out := Report{From: from.UTC(), To: to.UTC(), GroupBy: by}
	for _, g := range groups {
		out.Groups = append(out.Groups, *g)
	}
	sort.Slice(out.Groups, func(i, j int) bool { return out.Groups[i].Key < out.Groups[j].Key })
	return out, nil
}

func (g *Group) add(rv Review) {
	g.Reviewed++
	switch rv.Outcome {
	case Pass:
		g.Passed++
	case PassWithFeedback:
		g.PassedWithFeedback++
	case Fail:
		g.Failed++
	}
	if rv.FinancialImpactPence != nil {
		g.FinancialImpactPence += *rv.FinancialImpactPence
	}
}

// keysOf is the groups a review counts in: one, or (by category) each of its error
// categories, "none" when it has none.
func (s *Service) keysOf(rv Review, by GroupBy) []string {
	switch by {
	case ByService:
		return []string{strconv.Itoa(rv.Service)}
	case ByTier:
		return []string{strconv.Itoa(rv.Tier)}
	case ByCategory:
		if len(rv.ErrorCategories) == 0 {
			return []string{"none"}
		}
		return rv.ErrorCategories
	case ByWeek:
		y, w := rv.ReviewedAt.In(s.loc).ISOWeek()
		return []string{fmt.Sprintf("%d-W%02d", y, w)}
	}
	return []string{rv.Officer}
}
