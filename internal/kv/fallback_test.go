package kv

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// broken is a shared limiter whose Redis is down until fixed.
type broken struct {
	up    atomic.Bool
	asked atomic.Int32
}

func (b *broken) Allow(context.Context, string, Limit) (Decision, error) {
	b.asked.Add(1)
	if b.up.Load() {
		return Decision{Allowed: true}, nil
	}
	return Decision{}, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

func TestFallbackLimiter_HoldsTheLimitInProcessLogsOnceAndCounts(t *testing.T) {
	var logs bytes.Buffer
	shared := &broken{}
	reg := prometheus.NewRegistry()
	l, err := NewFallbackLimiter(shared, slog.New(slog.NewTextHandler(&logs, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	allowed := 0
	for range 20 {
		d, err := l.Allow(context.Background(), "rating-ip:192.0.2.7", 10)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		} else if d.RetryAfter <= 0 {
			t.Fatal("a refusal without Retry-After")
		}
	}
	if allowed != 10 {
		t.Fatalf("%d of 20 allowed against 10 a minute", allowed)
	}
	if n := strings.Count(logs.String(), "cannot reach Redis"); n != 1 {
		t.Fatalf("the outage was logged %d times:\n%s", n, logs.String())
	}
	if got := counted(t, reg, "contacthub_ratelimit_fallback_total"); got != 20 {
		t.Fatalf("fallback counted %v times, want 20", got)
	}
	if asked := shared.asked.Load(); asked != 1 {
		t.Fatalf("a dead Redis was asked %d times within a second, want once", asked)
	}
	// Back up: the next probe finds it, says so once, and decisions are shared again.
	shared.up.Store(true)
	l.mu.Lock()
	l.failedAt = l.failedAt.Add(-probeEvery)
	l.mu.Unlock()
	if d, err := l.Allow(context.Background(), "k", 10); err != nil || !d.Allowed {
		t.Fatalf("after recovery: %+v %v", d, err)
	}
	if !strings.Contains(logs.String(), "reaches Redis again") {
		t.Fatalf("the recovery was not logged:\n%s", logs.String())
	}
}

func TestFallbackLimiter_ACallerThatLeftIsAnErrorNotAFallback(t *testing.T) {
	l, err := NewFallbackLimiter(&broken{}, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k", 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func counted(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
