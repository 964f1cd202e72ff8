package qa

import (
	"fmt"
	"strings"

	"github.com/council/contacthub/internal/chart"
)

// Chart draws each group's accuracy as a bar, on the reports' shared chart (titled,
// labelled axes, a legend, every bar's figure in its <title>), so a QA report pasted
// into a board paper looks like the others.
func (r Report) Chart() chart.Chart {
	scope := fmt.Sprintf("Reviews recorded %s to %s (UTC), by %s", r.From.Format("2 Jan 2006 15:04"), r.To.Format("2 Jan 2006 15:04"), r.GroupBy)
	accuracy, reviewed := chart.Series{Name: "Accuracy (share passed, with or without feedback)"}, 0
	var said []string
	c := chart.Chart{Kind: chart.GroupedBars, Title: "QA accuracy by " + string(r.GroupBy), Subtitle: scope,
		XLabel: "Grouped by " + string(r.GroupBy), YLabel: "Reviews passed (%)",
		Value: chart.Percent, Tick: func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }, Floor: 1}
	for _, g := range r.Groups {
		c.Categories = append(c.Categories, g.Key)
		accuracy.Values = append(accuracy.Values, g.Accuracy())
		reviewed += g.Reviewed
		said = append(said, fmt.Sprintf("%s %s of %d", g.Key, chart.Percent(g.Accuracy()), g.Reviewed))
	}
	c.Series = []chart.Series{accuracy}
	c.Description = fmt.Sprintf("%s. %d reviews.", scope, reviewed)
	if len(said) > 0 {
		c.Description += " " + strings.Join(said, "; ") + "."
	}
	return c
}
