package forecast

import (
	"math"
	"testing"
	"time"
)

// Two independent counts: the means add, the variances add, so the band of the sum is
// narrower than the two bands laid end to end; a closed channel (zero, no spread) adds
// nothing.
func TestSum_AddsMeansAndVariances(t *testing.T) {
	at := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	a, b := Around(at, 40, 0.01, 0), Around(at, 90, 0.02, 0)
	got := Sum(at, []Point{a, b, Around(at, 0, 0, 0)})
	wantSD := math.Sqrt(40 + 0.01*40*40 + 90 + 0.02*90*90)
	if math.Abs(got.Expected-130) > 1e-9 || math.Abs(got.Upper95-(130+z95*wantSD)) > 1e-9 ||
		math.Abs(got.Lower80-(130-z80*wantSD)) > 1e-9 {
		t.Fatalf("sum %+v, want 130 with sd %.3f", got, wantSD)
	}
	if !(got.Upper95-got.Expected < (a.Upper95-a.Expected)+(b.Upper95-b.Expected)) {
		t.Fatalf("the sum's band %+v is not narrower than the bands added", got)
	}
}
