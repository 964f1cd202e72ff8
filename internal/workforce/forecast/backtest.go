package forecast

import "time"

// Accuracy is how a method did over a backtest, in the measures planners use: WAPE
// (Σ|actual − forecast| ÷ Σ actual) and bias (Σ(forecast − actual) ÷ Σ actual: positive
// over-forecasts), against the seasonal-naive baseline (the same interval last week).
type Accuracy struct {
	Origins    int
	Intervals  int
	Actual     float64 // contacts over the tested intervals
	WAPE, Bias float64
	// NaiveWAPE and NaiveBias are the seasonal-naive baseline's.
	NaiveWAPE, NaiveBias float64
	// Coverage80 is the share of tested open intervals (not both zero) whose actual fell inside the 80 % band:
	// near 0.8 means the bands can be trusted.
	Coverage80 float64
}

// Backtest runs a rolling-origin evaluation (Tashman 2000): at each origin — one a week
// for the last `origins` weeks that leave at least two weeks of history behind — the method
// sees only the history before it and forecasts the next `horizon`, which is compared with
// what happened. Events are known in advance (they are on the calendar), so each forecast
// sees them; the baseline, being naive, does not.
func Backtest(all Series, origins int, horizon time.Duration, events []Event, cfg Config) Accuracy {
	perWeek := int(7 * 24 * time.Hour / all.Step)
	h := int(horizon / all.Step)
	var acc Accuracy
	var absErr, err, nAbs, nErr, inside, banded float64
	for k := origins; k >= 1; k-- {
		o := len(all.Counts) - (k-1)*perWeek - h // the origin's index
		if o < 2*perWeek || o+h > len(all.Counts) {
			continue
		}
		hist := Series{Start: all.Start, Step: all.Step, Counts: all.Counts[:o]}
		res := Forecast(hist, h, events, cfg)
		for i, p := range res.Points {
			y := all.Counts[o+i]
			naive := all.Counts[o+i-perWeek]
			if i >= perWeek {
				// Beyond a week the baseline repeats the last week it saw.
				naive = all.Counts[o+i%perWeek-perWeek]
			}
			acc.Actual += y
			absErr += abs(p.Expected - y)
			err += p.Expected - y
			nAbs += abs(naive - y)
			nErr += naive - y
			acc.Intervals++
			if y == 0 && p.Expected == 0 {
				continue // a closed interval says nothing about the band
			}
			banded++
			if y >= p.Lower80 && y <= p.Upper80 {
				inside++
			}
		}
		acc.Origins++
	}
	if acc.Actual > 0 {
		acc.WAPE, acc.Bias = absErr/acc.Actual, err/acc.Actual
		acc.NaiveWAPE, acc.NaiveBias = nAbs/acc.Actual, nErr/acc.Actual
	}
	if banded > 0 {
		acc.Coverage80 = inside / banded
	}
	return acc
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
