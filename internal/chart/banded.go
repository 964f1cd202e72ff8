package chart

// Lines over shaded bands: a forecast with its prediction intervals against what
// happened, or the staff needed against those rostered. Kept in its own file, beside SVG,
// so that it adds to the package without changing how the other charts are drawn; it
// shares their frame (title, description, axes, palette, dashes and markers).

import (
	"fmt"
	"math"
	"strings"
)

// Band is a shaded range, such as a prediction interval: Lo to Hi per category.
type Band struct {
	Name   string
	Lo, Hi []float64
	Fill   string // a light tint; the lines are drawn over it
}

// BandFills are tints of the palette's first blue for nested bands, widest first.
var BandFills = []string{"#CFE3F1", "#8DBBDD"}

// markEvery is the most categories whose points are marked one by one; above it the
// lines are plain and each category instead gets one hover strip carrying its numbers.
const markEvery = 60

// Banded draws c's series as lines (Kind is ignored) over the bands. A NaN value is not
// known (an interval still to come has no actual): the line breaks there. Every number
// is in a <title>: each point's, or with many categories, one per category listing the
// bands and the series at it.
func Banded(c Chart, bands []Band) []byte {
	if c.Value == nil {
		c.Value = Plain
	}
	if c.Tick == nil {
		c.Tick = c.Value
	}
	if c.Floor <= 0 {
		c.Floor = 5
	}
	c.Kind = Lines
	names := make([]Series, 0, len(bands)+len(c.Series))
	for _, bd := range bands {
		names = append(names, Series{Name: bd.Name})
	}
	names = append(names, c.Series...)
	legend := legendRows(names)
	labels, drop := xLabels(c.Categories)
	bottom := 44.0 + float64(len(legend))*legendH + drop
	p := plot{x0: left, x1: Width - right, y0: top, y1: Height - bottom, c: c, drop: drop}
	p.max = niceMax(math.Max(highestKnown(c.Series, bands), c.Floor))
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
	for k, bd := range bands {
		p.shade(&b, bd, bandFill(bd, k))
	}
	marked := len(c.Categories) <= markEvery
	for k, s := range c.Series {
		p.gappedLine(&b, k, s, marked)
	}
	if !marked {
		p.strips(&b, bands)
	}
	drawBandedLegend(&b, c, bands, legend, Height-float64(len(legend))*legendH-8, marked)
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func bandFill(bd Band, k int) string {
	if bd.Fill != "" {
		return bd.Fill
	}
	return BandFills[k%len(BandFills)]
}

// highestKnown is the tallest value or band top, NaN left out.
func highestKnown(series []Series, bands []Band) float64 {
	high := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				high = math.Max(high, v)
			}
		}
	}
	for _, bd := range bands {
		for _, v := range bd.Hi {
			if !math.IsNaN(v) {
				high = math.Max(high, v)
			}
		}
	}
	return high
}

func (p plot) x(i int) float64 { return p.x0 + p.band()*(float64(i)+0.5) }

// shade fills between a band's Lo and Hi, a polygon per run of known values.
func (p plot) shade(b *strings.Builder, bd Band, fill string) {
	n := min(len(bd.Lo), len(bd.Hi), len(p.c.Categories))
	for i := 0; i < n; {
		if math.IsNaN(bd.Lo[i]) || math.IsNaN(bd.Hi[i]) {
			i++
			continue
		}
		j := i
		for j < n && !math.IsNaN(bd.Lo[j]) && !math.IsNaN(bd.Hi[j]) {
			j++
		}
		var pts []string
		for k := i; k < j; k++ {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(k), p.y(bd.Hi[k])))
		}
		for k := j - 1; k >= i; k-- {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(k), p.y(bd.Lo[k])))
		}
		fmt.Fprintf(b, `<polygon points="%s" fill="%s" stroke="none"><title>%s</title></polygon>`+"\n", strings.Join(pts, " "), fill, esc(bd.Name))
		i = j
	}
}

// gappedLine draws series k as a path broken at NaN, with its markers when marked.
func (p plot) gappedLine(b *strings.Builder, k int, s Series, marked bool) {
	colour := Palette[k%len(Palette)]
	dash := ""
	if d := dashes[k%len(dashes)]; d != "" {
		dash = ` stroke-dasharray="` + d + `"`
	}
	var d strings.Builder
	pen := "M"
	for i := range p.c.Categories {
		if i >= len(s.Values) || math.IsNaN(s.Values[i]) {
			pen = "M"
			continue
		}
		fmt.Fprintf(&d, "%s%.1f,%.1f ", pen, p.x(i), p.y(s.Values[i]))
		pen = "L"
	}
	fmt.Fprintf(b, `<g><path d="%s" fill="none" stroke="%s" stroke-width="2"%s><title>%s</title></path>`+"\n", strings.TrimSpace(d.String()), colour, dash, esc(s.Name))
	if marked {
		for i, cat := range p.c.Categories {
			if i >= len(s.Values) || math.IsNaN(s.Values[i]) {
				continue
			}
			x, y := p.x(i), p.y(s.Values[i])
			fmt.Fprintf(b, `%s<title>%s, %s: %s</title>%s`+"\n", marker(k, x, y, colour, true), esc(s.Name), esc(cat), esc(p.c.Value(s.Values[i])), marker(k, x, y, colour, false))
		}
	}
	b.WriteString("</g>\n")
}

// strips lays a transparent column over each category carrying its numbers, so hovering
// anywhere over an interval (or a screen reader) gives them when points are not marked.
func (p plot) strips(b *strings.Builder, bands []Band) {
	w := p.band()
	b.WriteString(`<g fill="#000000" fill-opacity="0">` + "\n")
	for i, cat := range p.c.Categories {
		var parts []string
		for _, s := range p.c.Series {
			if i < len(s.Values) && !math.IsNaN(s.Values[i]) {
				parts = append(parts, s.Name+" "+p.c.Value(s.Values[i]))
			}
		}
		for _, bd := range bands {
			if i < len(bd.Lo) && i < len(bd.Hi) && !math.IsNaN(bd.Lo[i]) {
				parts = append(parts, bd.Name+" "+p.c.Value(bd.Lo[i])+"–"+p.c.Value(bd.Hi[i]))
			}
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%g" width="%.2f" height="%g"><title>%s: %s</title></rect>`+"\n",
			p.x0+w*float64(i), p.y0, w, p.y1-p.y0, esc(cat), esc(strings.Join(parts, "; ")))
	}
	b.WriteString("</g>\n")
}

// drawBandedLegend shows the bands as swatches and the series as lines, with their
// markers when the points are marked.
func drawBandedLegend(b *strings.Builder, c Chart, bands []Band, rows [][]int, y float64, marked bool) {
	b.WriteString(`<g aria-label="Legend">` + "\n")
	for r, row := range rows {
		x := left - 60
		yy := y + float64(r)*legendH
		for _, k := range row {
			var name string
			if k < len(bands) {
				name = bands[k].Name
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="24" height="14" fill="%s"/>`, x, yy-7, bandFill(bands[k], k))
			} else {
				s := k - len(bands)
				name = c.Series[s].Name
				colour := Palette[s%len(Palette)]
				dash := ""
				if d := dashes[s%len(dashes)]; d != "" {
					dash = ` stroke-dasharray="` + d + `"`
				}
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`, x, yy, x+24, yy, colour, dash)
				if marked {
					fmt.Fprintf(b, `%s%s`, marker(s, x+12, yy, colour, true), marker(s, x+12, yy, colour, false))
				}
			}
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="12" fill="#1a1a1a">%s</text>`+"\n", x+30, yy+4, esc(name))
			x += 30 + charW*float64(len([]rune(name))) + 18
		}
	}
	b.WriteString("</g>\n")
}
