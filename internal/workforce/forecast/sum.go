package forecast

import (
	"math"
	"time"
)

// Sum is the forecast of the total of points of one interval forecast apart (each
// channel's, say): the expected counts add, and so do the variances, the channels'
// arrivals being taken as independent. Each point's spread is read back from its upper
// 80 % bound, which (unlike the lower) is never cut at zero.
func Sum(at time.Time, ps []Point) Point {
	var mu, v float64
	for _, p := range ps {
		mu += p.Expected
		sd := (p.Upper80 - p.Expected) / z80
		v += sd * sd
	}
	sd := math.Sqrt(v)
	lo := func(z float64) float64 { return math.Max(0, mu-z*sd) }
	return Point{Start: at, Expected: mu, Lower80: lo(z80), Upper80: mu + z80*sd, Lower95: lo(z95), Upper95: mu + z95*sd}
}
