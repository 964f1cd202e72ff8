package webhook

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff_FollowsTheScheduleWithFullJitterAndCoversADay(t *testing.T) {
	top := func() float64 { return 0 } // the whole base delay
	for _, tc := range []struct {
		n     int
		first time.Duration
		want  time.Duration
	}{
		{1, 5 * time.Second, 5 * time.Second},
		{2, 5 * time.Second, 30 * time.Second},
		{3, 5 * time.Second, 2 * time.Minute},
		{9, 5 * time.Second, 8 * time.Hour},
		{20, 5 * time.Second, 8 * time.Hour}, // the last step repeats
		{0, 5 * time.Second, 5 * time.Second},
		{1, 50 * time.Millisecond, 50 * time.Millisecond}, // tests scale the schedule down
		{2, 50 * time.Millisecond, 300 * time.Millisecond},
	} {
		if got := Backoff(tc.n, tc.first, top); got != tc.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tc.n, tc.first, got, tc.want)
		}
	}
	if got := Backoff(4, 5*time.Second, func() float64 { return 0.5 }); got != 5*time.Minute {
		t.Errorf("half jitter of 10m = %v", got)
	}
	for range 1000 {
		if d := Backoff(3, 5*time.Second, nil); d <= 0 || d > 2*time.Minute {
			t.Fatalf("jittered delay %v is outside (0, 2m]", d)
		}
	}
	var total time.Duration
	for n := 1; n <= 11; n++ {
		total += Backoff(n, 5*time.Second, top)
	}
	if total < 24*time.Hour {
		t.Errorf("eleven retries span %v, less than a day", total)
	}
}

func TestRetryAfter_ReadsSecondsAndDatesAndIgnoresTheRest(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 7 ", 7 * time.Second, true},
		{"0", 0, false},
		{"-5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"99999999", 8 * time.Hour, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, false},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), 8 * time.Hour, true},
	} {
		got, ok := RetryAfter(tc.h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

func TestClassify_RetriesWhatMayPassAndStopsOnRefusals(t *testing.T) {
	for status, want := range map[int]outcome{
		200: delivered, 204: delivered, 0: retry, 408: retry, 429: retry, 500: retry, 503: retry,
		400: final, 401: final, 404: final, 410: final, 301: final,
	} {
		if got := classify(status); got != want {
			t.Errorf("classify(%d) = %v, want %v", status, got, want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, h string) {
		if d, ok := RetryAfter(h, now); ok && (d <= 0 || d > maxRetryAfter) {
			t.Fatalf("RetryAfter(%q) = %v", h, d)
		}
	})
}
