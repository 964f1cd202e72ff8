package kv

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Limiter spends one request of a key's per-minute budget.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (Decision, error)
}

// FallbackLimiter asks a shared limiter (Redis) and, when it cannot answer, decides
// with a limit kept in this process instead of letting everything through: a replica
// then allows at most its own budget per key, which is more than the shared budget
// across replicas but never unlimited. The first failure of an outage is logged, and
// every decision taken in process is counted, so the fallback is seen, not silent.
type FallbackLimiter struct {
	shared   Limiter
	local    *MemoryLimiter
	log      *slog.Logger
	fellBack prometheus.Counter

	// down: the shared limiter failed and has not answered since. Read without the lock
	// on every request, so the healthy path takes no lock at all.
	down     atomic.Bool
	mu       sync.Mutex
	failedAt time.Time // its last failure (or the last probe's start)
}

// probeEvery is how often, during an outage, a request tries the shared limiter again;
// the others go straight to the local one rather than each waiting on a dead Redis.
const probeEvery = time.Second

// NewFallbackLimiter wraps shared; the fallback counter is registered in reg as
// contacthub_ratelimit_fallback_total.
func NewFallbackLimiter(shared Limiter, log *slog.Logger, reg prometheus.Registerer) (*FallbackLimiter, error) {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "contacthub_ratelimit_fallback_total",
		Help: "Rate-limit decisions taken in process because the shared limiter (Redis) could not answer.",
	})
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return &FallbackLimiter{shared: shared, local: NewMemoryLimiter(), log: log, fellBack: c}, nil
}

// Allow asks the shared limiter, or the local one when the shared one cannot answer.
// It fails only when the caller's own context has ended.
func (l *FallbackLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if l.tryShared(time.Now()) {
		d, err := l.shared.Allow(ctx, key, limit)
		if err == nil {
			l.recovered()
			return d, nil
		}
		if ctx.Err() != nil {
			return Decision{}, ctx.Err()
		}
		l.failed(err)
	}
	l.fellBack.Inc()
	return l.local.Allow(ctx, key, limit)
}

// tryShared says whether to ask the shared limiter: always while it works, and once
// per probeEvery while it is down.
func (l *FallbackLimiter) tryShared(now time.Time) bool {
	if !l.down.Load() {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.failedAt) >= probeEvery {
		l.failedAt = now // the probe's slot is taken; a failure below renews it
		return true
	}
	return false
}

func (l *FallbackLimiter) failed(err error) {
	l.mu.Lock()
	l.failedAt = time.Now()
	l.mu.Unlock()
	first := l.down.CompareAndSwap(false, true)
	if first {
		l.log.Warn("rate limiter cannot reach Redis; limiting in process until it answers",
			slog.String("error", err.Error()))
	}
}

func (l *FallbackLimiter) recovered() {
	if l.down.CompareAndSwap(true, false) {
		l.log.Info("rate limiter reaches Redis again")
	}
}
