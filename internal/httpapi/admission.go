package httpapi

import (
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
)

// admit bounds how many API requests are served at once. Past that, a request waits a
// moment for a place and is then refused with 503 and Retry-After instead of queueing:
// an IVR waiting on a resident's call is better told at once to take its fallback route
// than answered in ten seconds, and the hub's memory stays bounded however hard it is
// pushed. Health, readiness and metrics are outside the bound, and so are live event
// streams: they stay open for hours, so counting them would soon leave no place for
// anything else; the stream broker bounds how many are open instead.
func admit(maxInFlight int, wait time.Duration) echo.MiddlewareFunc {
	if maxInFlight <= 0 {
		maxInFlight = 64 * runtime.GOMAXPROCS(0)
	}
	places := make(chan struct{}, maxInFlight)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if longLived[c.Path()] {
				return next(c)
			}
			select {
			case places <- struct{}{}:
			default:
				timer := time.NewTimer(wait)
				select {
				case places <- struct{}{}:
					timer.Stop()
				case <-timer.C:
					p := newProblem(overloaded, "the hub is serving as many requests as it can; retry after the time in Retry-After")
					p.retryAfter = time.Second
					return p
				case <-c.Request().Context().Done():
					timer.Stop()
					return c.Request().Context().Err()
				}
			}
			defer func() { <-places }()
			return next(c)
		}
	}
}
