// Package chart draws the reports' charts as SVG a manager can open in a browser or
// paste into a board paper: a title and a description a screen reader announces, axes
// labelled with their units, a legend, the Okabe–Ito palette (distinguishable with the
// common colour-vision deficiencies) with lines also told apart by dash and marker, and
// every number in a <title> element so hovering or a screen reader gives it exactly.
// It is written by hand rather than with a plotting library because those libraries'
// SVG back ends emit unlabelled paths (no <title> per bar or point, no role or
// description), which is the accessibility this package exists for.
package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Kind is how a chart draws its series.
type Kind int

const (
	// StackedBars stacks each category's values in one bar (contacts by channel over time).
	StackedBars Kind = iota
	// Lines draws one line per series across the categories (rates over time).
	Lines
	// GroupedBars puts each series' bar side by side in a category (cost by channel).
	GroupedBars
)

// Series is one named row of values, one per category.
type Series struct {
	Name   string
	Values []float64
}

// Chart is what to draw.
type Chart struct {
	Title string
	// Subtitle is shown under the title; Description is read out (<desc>) and may say more.
	Subtitle, Description string
	XLabel, YLabel        string // the axes, with their units: "Contacts", "Cost (£)"
	Categories            []string
	Series                []Series
	Kind                  Kind
	// Value writes a value for the <title> of a bar or point ("1,234", "45.0%",
	// "£1,234.50"); plain numbers when nil. Tick writes the axis's values (Value when nil).
	Value, Tick func(float64) string
	// Floor is the least top the value axis may have, so that an empty or flat chart
	// still has a sensible scale (1 for shares, which run 0 to 1).
	Floor float64
}

// Size is the drawing's size in CSS pixels (it scales to its container through viewBox).
const (
	Width  = 800
	Height = 450
)

// Palette is Okabe and Ito's colour-blind-safe set, black last but one, then grey.
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"}

var dashes = []string{"", "8 4", "2 4", "10 4 2 4", "4 4", "1 3", "12 3", "6 2 2 2", "3 6"}

const (
	font     = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"`
	left     = 84.0
	right    = 24.0
	top      = 72.0
	charW    = 6.6 // average width of a character at 12px, for layout estimates
	legendH  = 22.0
	maxTicks = 12
)

// SVG draws c.
func SVG(c Chart) []byte {
	if c.Value == nil {
		c.Value = Plain
	}
	if c.Tick == nil {
		c.Tick = c.Value
	}
	if c.Floor <= 0 {
		c.Floor = 5
	}
	legend := legendRows(c.Series)
	labels, drop := xLabels(c.Categories)
	bottom := 44.0 + float64(len(legend))*legendH + drop
	p := plot{x0: left, x1: Width - right, y0: top, y1: Height - bottom, c: c, drop: drop}
	p.max = niceMax(math.Max(p.highest(), c.Floor))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" style="max-width:100%%;height:auto" %s>`+"\n",
		Width, Height, Width, Height, font)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title>`+"\n<desc id=\"chart-desc\">%s</desc>\n", esc(c.Title), esc(c.Description))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", Width, Height)
	fmt.Fprintf(&b, `<text x="%g" y="30" font-size="20" font-weight="bold" fill="#1a1a1a">%s</text>`+"\n", left-60, esc(c.Title))
	subtitle := c.Subtitle
	if subtitle == "" {
		subtitle = c.Description
	}
	fmt.Fprintf(&b, `<text x="%g" y="52" font-size="13" fill="#444444">%s</text>`+"\n", left-60, esc(subtitle))
	p.axes(&b, labels)
	switch c.Kind {
	case StackedBars:
		p.stacked(&b)
	case GroupedBars:
		p.grouped(&b)
	default:
		p.lines(&b)
	}
	drawLegend(&b, c, legend, Height-float64(len(legend))*legendH-8)
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

type plot struct {
	x0, x1, y0, y1, max float64
	drop                float64 // the height the x labels take below the axis
	c                   Chart
}

func (p plot) band() float64 { return (p.x1 - p.x0) / math.Max(1, float64(len(p.c.Categories))) }

func (p plot) y(v float64) float64 { return p.y1 - (p.y1-p.y0)*v/p.max }

// highest is the tallest thing drawn: a stack's total, or a single value.
func (p plot) highest() float64 {
	high := 0.0
	for i := range p.c.Categories {
		sum := 0.0
		for _, s := range p.c.Series {
			v := at(s, i)
			sum += v
			high = math.Max(high, v)
		}
		if p.c.Kind == StackedBars {
			high = math.Max(high, sum)
		}
	}
	return high
}

func at(s Series, i int) float64 {
	if i < len(s.Values) {
		return s.Values[i]
	}
	return 0
}

// axes draws the grid, the tick labels and the axis titles.
func (p plot) axes(b *strings.Builder, labels []string) {
	rotate := p.drop > 20
	step := p.max / 5
	for k := 0; k <= 5; k++ {
		v := step * float64(k)
		y := p.y(v)
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#d9d9d9" stroke-width="1"/>`+"\n", p.x0, y, p.x1, y)
		fmt.Fprintf(b, `<text x="%g" y="%.1f" font-size="12" fill="#333333" text-anchor="end">%s</text>`+"\n", p.x0-8, y+4, esc(p.c.Tick(v)))
	}
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333333" stroke-width="1.5"/>`+"\n", p.x0, p.y1, p.x1, p.y1)
	band := p.band()
	for i, l := range labels {
		if l == "" {
			continue
		}
		x := p.x0 + band*(float64(i)+0.5)
		if rotate {
			fmt.Fprintf(b, `<text x="%.1f" y="%g" font-size="12" fill="#333333" text-anchor="end" transform="rotate(-35 %.1f %g)">%s</text>`+"\n", x, p.y1+16, x, p.y1+16, esc(l))
		} else {
			fmt.Fprintf(b, `<text x="%.1f" y="%g" font-size="12" fill="#333333" text-anchor="middle">%s</text>`+"\n", x, p.y1+18, esc(l))
		}
	}
	xTitle := p.y1 + p.drop + 22
	fmt.Fprintf(b, `<text x="%g" y="%g" font-size="13" fill="#1a1a1a" text-anchor="middle">%s</text>`+"\n", (p.x0+p.x1)/2, xTitle, esc(p.c.XLabel))
	mid := (p.y0 + p.y1) / 2
	fmt.Fprintf(b, `<text x="18" y="%g" font-size="13" fill="#1a1a1a" text-anchor="middle" transform="rotate(-90 18 %g)">%s</text>`+"\n", mid, mid, esc(p.c.YLabel))
}

func (p plot) stacked(b *strings.Builder) {
	band := p.band()
	w := band * 0.72
	for i, cat := range p.c.Categories {
		x := p.x0 + band*float64(i) + (band-w)/2
		base := 0.0
		b.WriteString("<g>")
		for k, s := range p.c.Series {
			v := at(s, i)
			if v <= 0 {
				continue
			}
			y0, y1 := p.y(base+v), p.y(base)
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#ffffff" stroke-width="0.8"><title>%s, %s: %s</title></rect>`,
				x, y0, w, y1-y0, Palette[k%len(Palette)], esc(s.Name), esc(cat), esc(p.c.Value(v)))
			base += v
		}
		b.WriteString("</g>\n")
	}
}

func (p plot) grouped(b *strings.Builder) {
	band := p.band()
	n := float64(max(1, len(p.c.Series)))
	w := band * 0.8 / n
	for i, cat := range p.c.Categories {
		for k, s := range p.c.Series {
			v := at(s, i)
			x := p.x0 + band*float64(i) + band*0.1 + w*float64(k)
			y := p.y(math.Max(v, 0))
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#ffffff" stroke-width="0.8"><title>%s, %s: %s</title></rect>`+"\n",
				x, y, w, p.y1-y, Palette[k%len(Palette)], esc(s.Name), esc(cat), esc(p.c.Value(v)))
		}
	}
}

func (p plot) lines(b *strings.Builder) {
	band := p.band()
	for k, s := range p.c.Series {
		colour := Palette[k%len(Palette)]
		var pts []string
		for i := range p.c.Categories {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x0+band*(float64(i)+0.5), p.y(at(s, i))))
		}
		dash := ""
		if d := dashes[k%len(dashes)]; d != "" {
			dash = ` stroke-dasharray="` + d + `"`
		}
		fmt.Fprintf(b, `<g><polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>`+"\n", strings.Join(pts, " "), colour, dash)
		for i, cat := range p.c.Categories {
			x, y := p.x0+band*(float64(i)+0.5), p.y(at(s, i))
			fmt.Fprintf(b, `%s<title>%s, %s: %s</title>%s`+"\n", marker(k, x, y, colour, true), esc(s.Name), esc(cat), esc(p.c.Value(at(s, i))), marker(k, x, y, colour, false))
		}
		b.WriteString("</g>\n")
	}
}

// marker opens (open true) or closes the k'th series' point marker: circle, square,
// diamond or triangle, so that lines differ by shape as well as colour.
func marker(k int, x, y float64, colour string, open bool) string {
	shapes := []string{"circle", "rect", "diamond", "triangle"}
	shape := shapes[k%len(shapes)]
	if !open {
		if shape == "circle" || shape == "rect" {
			return "</" + shape + ">"
		}
		return "</polygon>"
	}
	r := 4.5
	switch shape {
	case "circle":
		return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="%g" fill="%s" stroke="#ffffff" stroke-width="1">`, x, y, r, colour)
	case "rect":
		return fmt.Sprintf(`<rect x="%.1f" y="%.1f" width="%g" height="%g" fill="%s" stroke="#ffffff" stroke-width="1">`, x-r, y-r, 2*r, 2*r, colour)
	case "diamond":
		return fmt.Sprintf(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="#ffffff" stroke-width="1">`, x, y-r-1, x+r+1, y, x, y+r+1, x-r-1, y, colour)
	}
	return fmt.Sprintf(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="#ffffff" stroke-width="1">`, x, y-r-1, x+r+1, y+r, x-r-1, y+r, colour)
}

// legendRows lays the legend's entries out in rows that fit the width.
func legendRows(series []Series) [][]int {
	var rows [][]int
	var row []int
	width := 0.0
	for k, s := range series {
		w := 30 + charW*float64(len([]rune(s.Name))) + 18
		if len(row) > 0 && left-60+width+w > Width-right {
			rows, row, width = append(rows, row), nil, 0
		}
		row, width = append(row, k), width+w
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

func drawLegend(b *strings.Builder, c Chart, rows [][]int, y float64) {
	b.WriteString(`<g aria-label="Legend">` + "\n")
	for r, row := range rows {
		x := left - 60
		yy := y + float64(r)*legendH
		for _, k := range row {
			colour := Palette[k%len(Palette)]
			if c.Kind == Lines {
				dash := ""
				if d := dashes[k%len(dashes)]; d != "" {
					dash = ` stroke-dasharray="` + d + `"`
				}
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`, x, yy, x+24, yy, colour, dash)
				fmt.Fprintf(b, `%s%s`, marker(k, x+12, yy, colour, true), marker(k, x+12, yy, colour, false))
			} else {
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="18" height="14" fill="%s"/>`, x+3, yy-7, colour)
			}
			name := c.Series[k].Name
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="12" fill="#1a1a1a">%s</text>`+"\n", x+30, yy+4, esc(name))
			x += 30 + charW*float64(len([]rune(name))) + 18
		}
	}
	b.WriteString("</g>\n")
}

// xLabels thins the category labels to at most maxTicks and says how far below the
// axis they reach: turned 35 degrees when they do not fit side by side.
func xLabels(cats []string) ([]string, float64) {
	every := int(math.Ceil(float64(len(cats)) / maxTicks))
	every = max(every, 1)
	out := make([]string, len(cats))
	longest := 0
	for i, c := range cats {
		if i%every == 0 {
			out[i] = c
			longest = max(longest, len([]rune(c)))
		}
	}
	room := (Width - left - right) / math.Max(1, float64(len(cats))) * float64(every)
	if width := charW * float64(longest); width+8 > room {
		return out, 16 + width*math.Sin(35*math.Pi/180) + 6
	}
	return out, 20
}

// niceMax rounds v (above 0) up to 5 ticks of 1, 2, 2.5 or 5 × a power of ten.
func niceMax(v float64) float64 {
	raw := v / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			return m * mag * 5
		}
	}
	return 10 * mag * 5
}

func esc(s string) string { return html.EscapeString(s) }

// Plain writes a number with thousands separators and up to two decimals.
func Plain(v float64) string { return Thousands(v, 0) }

// Thousands writes v with the given decimals and commas between thousands.
func Thousands(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, math.Abs(v))
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && s != fmt.Sprintf("%.*f", decimals, 0.0) {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// Percent writes a share (0 to 1) as a percentage with one decimal.
func Percent(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }

// Pounds writes pence as pounds: £1,234.50.
func Pounds(pence float64) string { return "£" + Thousands(pence/100, 2) }

// WholePounds writes pence as whole pounds, for an axis: £1,235.
func WholePounds(pence float64) string { return "£" + Thousands(pence/100, 0) }
