package chart

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// A line over bands: well-formed, one polygon per band per run of known values, the line
// broken where a value is not known (NaN, drawn as a second "M"), and every known number
// in a <title>: per point when few, per category strip when many.
func TestBanded_BreaksAtUnknownValuesAndTitlesEveryNumber(t *testing.T) {
	c := Chart{Title: "Phone <forecast>", Description: "d", Categories: []string{"a", "b", "c", "d"},
		Series: []Series{{Name: "Expected", Values: []float64{1, 2, 3, 4}}, {Name: "Arrived", Values: []float64{1, math.NaN(), 3, 5}}}}
	bands := []Band{{Name: "95 %", Lo: []float64{0, 1, 2, 3}, Hi: []float64{2, 3, 4, 6}}}
	svg := Banded(c, bands)
	elements, titles := parse(t, svg)
	if elements["polygon"] != 1 || elements["path"] != 2 || elements["desc"] != 1 {
		t.Fatalf("elements %v", elements)
	}
	if !bytes.Contains(svg, []byte("Phone &lt;forecast&gt;")) {
		t.Fatal("the title is not escaped")
	}
	if n := strings.Count(string(svg), `M`); n < 3 { // Expected's one run, Arrived's two
		t.Fatalf("%d runs of line", n)
	}
	for _, want := range []string{"Arrived, c: 3", "Arrived, d: 5", "Expected, b: 2"} {
		if !titles[want] {
			t.Errorf("no title %q in %v", want, titles)
		}
	}
	if titles["Arrived, b: NaN"] {
		t.Error("an unknown value is titled")
	}

	many := Chart{Title: "t", Categories: make([]string, 100), Series: []Series{{Name: "Expected", Values: make([]float64, 100)}}}
	for i := range many.Categories {
		many.Categories[i] = "i" + Plain(float64(i))
		many.Series[0].Values[i] = float64(i)
	}
	_, titles = parse(t, Banded(many, []Band{{Name: "80 %", Lo: many.Series[0].Values, Hi: many.Series[0].Values}}))
	if !titles["i42: Expected 42; 80 % 42–42"] {
		t.Fatal("with many categories, each has a strip titled with its numbers")
	}
}

func parse(t *testing.T, svg []byte) (map[string]int, map[string]bool) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	elements, titles := map[string]int{}, map[string]bool{}
	inTitle := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return elements, titles
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			elements[tk.Name.Local]++
			inTitle = tk.Name.Local == "title"
		case xml.CharData:
			if inTitle {
				titles[string(tk)] = true
			}
		case xml.EndElement:
			inTitle = false
		}
	}
}
