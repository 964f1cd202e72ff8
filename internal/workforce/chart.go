package workforce

// Charts for the work-demand officer, drawn as plain SVG. This file is the one place that
// draws them, so that when the reports (issue 15) settle on a shared way of drawing
// charts, only it changes.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"time"
)

const (
	chartW, chartH           = 960.0, 320.0
	chartLeft, chartRight    = 56.0, 16.0
	chartTop, chartBottom    = 40.0, 36.0
	chartPlotW, chartPlotH   = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	band95, band80, lineMain = "#c6dbef", "#6baed6", "#08519c"
	lineOther                = "#d94801"
)

// chart is the frame every chart shares: a title, a y scale from 0 and an x axis of n
// intervals from first to last.
type chart struct {
	buf   bytes.Buffer
	n     int
	max   float64
	title string
}

func newChart(title string, n int, max float64) *chart {
	if max <= 0 {
		max = 1
	}
	c := &chart{n: n, max: niceCeil(max), title: title}
	fmt.Fprintf(&c.buf, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" font-family="sans-serif" font-size="12">`,
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&c.buf, `<title>%s</title><rect width="100%%" height="100%%" fill="#fff"/>`, esc(title))
	fmt.Fprintf(&c.buf, `<text x="%g" y="22" font-size="15" font-weight="bold">%s</text>`, chartLeft, esc(title))
	for i := 0; i <= 4; i++ {
		v := c.max * float64(i) / 4
		y := c.y(v)
		fmt.Fprintf(&c.buf, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" text-anchor="end">%s</text>`,
			chartLeft, chartW-chartRight, y, y, chartLeft-6, y+4, trimNum(v))
	}
	return c
}

// niceCeil rounds a maximum up to 1, 2 or 5 × a power of ten, so the gridlines read well.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimNum(v float64) string { return fmt.Sprintf("%.4g", v) }

func (c *chart) x(i float64) float64 {
	if c.n <= 1 {
		return chartLeft
	}
	return chartLeft + chartPlotW*i/float64(c.n-1)
}

func (c *chart) y(v float64) float64 { return chartTop + chartPlotH*(1-v/c.max) }

// band fills between lo and hi.
func (c *chart) band(lo, hi []float64, fill string) {
	c.buf.WriteString(`<polygon fill="` + fill + `" stroke="none" points="`)
	for i := range hi {
		fmt.Fprintf(&c.buf, "%.1f,%.1f ", c.x(float64(i)), c.y(hi[i]))
	}
	for i := len(lo) - 1; i >= 0; i-- {
		fmt.Fprintf(&c.buf, "%.1f,%.1f ", c.x(float64(i)), c.y(lo[i]))
	}
	c.buf.WriteString(`"/>`)
}

// line draws vs, skipping NaN (values not known yet).
func (c *chart) line(vs []float64, stroke string, dashed bool) {
	dash := ""
	if dashed {
		dash = ` stroke-dasharray="4 3"`
	}
	c.buf.WriteString(`<path fill="none" stroke="` + stroke + `" stroke-width="1.6"` + dash + ` d="`)
	pen := "M"
	for i, v := range vs {
		if math.IsNaN(v) {
			pen = "M"
			continue
		}
		fmt.Fprintf(&c.buf, "%s%.1f,%.1f ", pen, c.x(float64(i)), c.y(v))
		pen = "L"
	}
	c.buf.WriteString(`"/>`)
}

func (c *chart) legend(items ...[2]string) {
	x := chartW - chartRight
	for i := len(items) - 1; i >= 0; i-- {
		label, colour := items[i][0], items[i][1]
		x -= 7*float64(len(label)) + 28
		fmt.Fprintf(&c.buf, `<rect x="%.0f" y="12" width="14" height="10" fill="%s"/><text x="%.0f" y="21">%s</text>`, x, colour, x+18, esc(label))
	}
}

func (c *chart) done(first, last time.Time, loc *time.Location) []byte {
	const layout = "Mon 2 Jan 15:04"
	fmt.Fprintf(&c.buf, `<text x="%g" y="%g">%s</text><text x="%g" y="%g" text-anchor="end">%s</text></svg>`,
		chartLeft, chartH-12, esc(first.In(loc).Format(layout)), chartW-chartRight, chartH-12, esc(last.In(loc).Format(layout)))
	return c.buf.Bytes()
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ForecastChart draws the forecast with its 80 % and 95 % bands against the contacts
// that arrived.
func ForecastChart(f Forecast, title string, loc *time.Location) []byte {
	n := len(f.Points)
	lo95, lo80, hi80, hi95 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	exp, act := make([]float64, n), make([]float64, n)
	peak := 0.0
	for i, p := range f.Points {
		lo95[i], lo80[i], hi80[i], hi95[i], exp[i] = p.Lower95, p.Lower80, p.Upper80, p.Upper95, p.Expected
		act[i] = math.NaN()
		if p.Actual != nil {
			act[i] = *p.Actual
			peak = math.Max(peak, act[i])
		}
		peak = math.Max(peak, p.Upper95)
	}
	c := newChart(title, n, peak)
	c.band(lo95, hi95, band95)
	c.band(lo80, hi80, band80)
	c.line(exp, lineMain, false)
	c.line(act, lineOther, false)
	c.legend([2]string{"95 %", band95}, [2]string{"80 %", band80}, [2]string{"expected", lineMain}, [2]string{"actual", lineOther})
	if n == 0 {
		return c.done(f.From, f.To, loc)
	}
	return c.done(f.Points[0].Start, f.Points[n-1].Start, loc)
}

// StaffingChart draws the positions each interval needs against those rostered.
func StaffingChart(p Plan, title string, loc *time.Location) []byte {
	n := len(p.Rows)
	need, rost := make([]float64, n), make([]float64, n)
	peak := 0.0
	for i, r := range p.Rows {
		need[i] = float64(r.Positions)
		rost[i] = math.NaN()
		if r.Rostered != nil {
			rost[i] = float64(*r.Rostered)
			peak = math.Max(peak, rost[i])
		}
		peak = math.Max(peak, need[i])
	}
	c := newChart(title, n, peak)
	c.line(need, lineMain, false)
	c.line(rost, lineOther, true)
	c.legend([2]string{"positions needed", lineMain}, [2]string{"rostered", lineOther})
	if n == 0 {
		return c.done(time.Time{}, time.Time{}, loc)
	}
	return c.done(p.Rows[0].Start, p.Rows[n-1].Start, loc)
}
