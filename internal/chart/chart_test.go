package chart

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestThousandsAndMoney(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Plain(0), "0"}, {Plain(999), "999"}, {Plain(1000), "1,000"}, {Plain(1234567), "1,234,567"},
		{Plain(-1234), "-1,234"}, {Pounds(123456), "£1,234.56"}, {Pounds(5), "£0.05"}, {WholePounds(250000), "£2,500"},
		{Percent(0.4567), "45.7%"}, {Percent(0), "0.0%"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestNiceMax_IsAtLeastTheValueOnARoundScale(t *testing.T) {
	for v, want := range map[float64]float64{0.37: 0.5, 1: 1, 7: 10, 163: 250, 2240: 2500, 12000: 12500} {
		if got := niceMax(v); got < v || got != want {
			t.Errorf("niceMax(%v) = %v, want %v", v, got, want)
		}
	}
}

func TestSVG_IsWellFormedAndEveryMarkSaysItsNumber(t *testing.T) {
	for _, kind := range []Kind{StackedBars, Lines, GroupedBars} {
		svg := string(SVG(Chart{Title: "Calls <& visits>", Description: "d", XLabel: "Week", YLabel: "Contacts (number)", Kind: kind,
			Categories: []string{"w/c 2 Nov", "w/c 9 Nov"},
			Series:     []Series{{Name: "Phone", Values: []float64{1200, 3}}, {Name: "Web", Values: []float64{4, 0}}}}))
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			if _, err := dec.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("kind %d: not well-formed XML: %v\n%s", kind, err, svg)
				}
				break
			}
		}
		for _, want := range []string{`<title id="chart-title">Calls &lt;&amp; visits&gt;</title>`, `Phone, w/c 2 Nov: 1,200</title>`,
			`Phone, w/c 9 Nov: 3</title>`, `Web, w/c 2 Nov: 4</title>`, `>Contacts (number)</text>`, `aria-label="Legend"`} {
			if !strings.Contains(svg, want) {
				t.Errorf("kind %d lacks %s", kind, want)
			}
		}
	}
}
