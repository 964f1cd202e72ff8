package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// schedule is the base delay before each retry, at the default first delay of 5 s; the
// last repeats. With RetryWindow of 24 h a failing delivery is tried about a dozen times.
var schedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
}

// defaultFirst is the first delay schedule is written for.
const defaultFirst = 5 * time.Second

// Backoff is the delay before retry n (1 = the first retry), with full jitter: uniform
// in (0, base], base being the schedule scaled so that its first step is first. jitter
// returns a number in [0, 1) (rand.Float64 outside tests).
func Backoff(n int, first time.Duration, jitter func() float64) time.Duration {
	if n < 1 {
		n = 1
	}
	base := schedule[min(n, len(schedule))-1]
	if first > 0 && first != defaultFirst {
		base = time.Duration(float64(base) * float64(first) / float64(defaultFirst))
	}
	if jitter == nil {
		jitter = rand.Float64
	}
	d := time.Duration((1 - jitter()) * float64(base)) // (0, base]
	return max(d, time.Millisecond)
}

// maxRetryAfter bounds how long a receiver's Retry-After may hold a delivery back.
const maxRetryAfter = 8 * time.Hour

// RetryAfter reads a Retry-After header (seconds or an HTTP date) as a delay from now;
// false when absent, unreadable or in the past.
func RetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(h); err == nil {
		d = at.Sub(now)
	} else {
		return 0, false
	}
	if d <= 0 {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// outcome is what one attempt's answer means for the delivery.
type outcome int

const (
	delivered outcome = iota + 1
	retry             // timeouts, network errors, 408, 429, 5xx
	final             // any other answer: the receiver refused this delivery for good
)

// classify says what an attempt that got status (0: no answer) means.
func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return delivered
	case status == 0, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		return retry
	}
	return final
}
