package qa

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/chart"
)

func TestReport_ChartIsTheSharedChartWithEachGroupsAccuracy(t *testing.T) {
	r := Report{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), GroupBy: ByOfficer,
		Groups: []Group{{Key: "officer-a", Reviewed: 4, Passed: 2, PassedWithFeedback: 1, Failed: 1},
			{Key: "officer-b", Reviewed: 5, Passed: 5}, {Key: "officer-<c>", Reviewed: 2, Failed: 2}}}
	svg := string(chart.SVG(r.Chart()))
	for _, want := range []string{`<title id="chart-title">QA accuracy by officer</title>`, "officer-a: 75.0%</title>",
		"officer-b: 100.0%</title>", "officer-&lt;c&gt;: 0.0%</title>", "officer-a 75.0% of 4", "11 reviews", "Reviews passed (%)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	if dir := os.Getenv("CONTACTHUB_CHARTS_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "qa.svg"), []byte(svg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
