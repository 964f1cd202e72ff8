package workforce

// The work-demand officer's charts, drawn by the hub's shared chart code (internal/chart):
// the same title, description, axes, Okabe–Ito palette, legend and a <title> on every
// number as the reports' charts.

import (
	"fmt"
	"math"
	"time"

	"github.com/council/contacthub/internal/chart"
)

// categories labels intervals on the council's clock: date and time (short enough that a
// turned label stays on the drawing; the subtitle gives the weekdays), or weekday and
// date for days.
func categories(starts []time.Time, daily bool, loc *time.Location) []string {
	layout := "2 Jan 15:04"
	if daily {
		layout = "Mon 2 Jan"
	}
	out := make([]string, len(starts))
	for i, t := range starts {
		out[i] = t.In(loc).Format(layout)
	}
	return out
}

func oneDecimal(v float64) string { return chart.Thousands(v, 1) }

// span says which intervals a chart covers, for its subtitle.
func span(starts []time.Time, loc *time.Location) string {
	if len(starts) == 0 {
		return "no intervals"
	}
	const layout = "Mon 2 Jan 2006 15:04"
	return starts[0].In(loc).Format(layout) + " to " + starts[len(starts)-1].In(loc).Format(layout)
}

// ForecastChart draws the forecast with its 80 % and 95 % bands against the contacts
// that arrived.
func ForecastChart(f Forecast, title string, loc *time.Location) []byte {
	n := len(f.Points)
	lo95, lo80, hi80, hi95 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	exp, act := make([]float64, n), make([]float64, n)
	starts := make([]time.Time, n)
	actuals := 0
	for i, p := range f.Points {
		starts[i] = p.Start
		lo95[i], lo80[i], hi80[i], hi95[i], exp[i] = p.Lower95, p.Lower80, p.Upper80, p.Upper95, p.Expected
		act[i] = math.NaN()
		if p.Actual != nil {
			act[i] = *p.Actual
			actuals++
		}
	}
	interval := "interval"
	for k, d := range Intervals {
		if d == f.Interval {
			interval = k
		}
	}
	c := chart.Chart{
		Title:    title,
		Subtitle: fmt.Sprintf("%s, per %s (%s)", span(starts, loc), interval, f.Method),
		Description: fmt.Sprintf("Expected contacts per %s from %s, with 80 %% and 95 %% prediction intervals, and the contacts that arrived in the %d intervals already past. Method %s from %d days of history.",
			interval, span(starts, loc), actuals, f.Method, f.HistoryDays),
		XLabel: "Interval starting (council's clock)", YLabel: "Contacts per " + interval,
		Categories: categories(starts, f.Interval == 24*time.Hour, loc),
		Series:     []chart.Series{{Name: "Expected", Values: exp}, {Name: "Arrived", Values: act}},
		Value:      oneDecimal, Tick: chart.Plain,
	}
	return chart.Banded(c, []chart.Band{
		{Name: "95 % interval", Lo: lo95, Hi: hi95},
		{Name: "80 % interval", Lo: lo80, Hi: hi80},
	})
}

// StaffingChart draws the positions each interval needs against those rostered.
func StaffingChart(p Plan, title string, loc *time.Location) []byte {
	n := len(p.Rows)
	need, rost := make([]float64, n), make([]float64, n)
	starts := make([]time.Time, n)
	for i, r := range p.Rows {
		starts[i] = r.Start
		need[i] = float64(r.Positions)
		rost[i] = math.NaN()
		if r.Rostered != nil {
			rost[i] = float64(*r.Rostered)
		}
	}
	c := chart.Chart{
		Title:    title,
		Subtitle: fmt.Sprintf("%s, per %d minutes", span(starts, loc), p.IntervalMinutes),
		Description: fmt.Sprintf("Rostered positions needed per %d-minute interval (agents after shrinkage) from %s, against the positions rostered where a roster was given.",
			p.IntervalMinutes, span(starts, loc)),
		XLabel: "Interval starting (council's clock)", YLabel: "Positions",
		Categories: categories(starts, p.IntervalMinutes == 24*60, loc),
		Series:     []chart.Series{{Name: "Positions needed", Values: need}, {Name: "Rostered", Values: rost}},
	}
	return chart.Banded(c, nil)
}
