package kv

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// RedisLimiter counts requests in Redis (GCRA), so every replica sees the same budget.
type RedisLimiter struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// NewRedisLimiter limits with rdb; prefix namespaces the keys.
func NewRedisLimiter(rdb *redis.Client, prefix string) *RedisLimiter {
	return &RedisLimiter{limiter: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow spends one request of key's per-minute budget.
func (l *RedisLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if limit <= 0 {
		return Decision{Allowed: true}, nil
	}
	res, err := l.limiter.Allow(ctx, l.prefix+"rl:"+key, redis_rate.PerMinute(int(limit)))
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit: %w", err)
	}
	return Decision{Allowed: res.Allowed > 0, RetryAfter: res.RetryAfter}, nil
}

// MemoryLimiter is the in-process limiter for a single hub without Redis.
type MemoryLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

// NewMemoryLimiter returns an empty in-process limiter.
func NewMemoryLimiter() *MemoryLimiter {
	return &MemoryLimiter{buckets: map[string]*bucket{}, swept: time.Now()}
}

// idleAfter is how long an unused bucket is kept; a full bucket forgets nothing by then.
const idleAfter = 2 * time.Minute

// Allow spends one request of key's per-minute budget (a token bucket whose burst is
// the whole minute's budget, as the Redis limiter's).
func (l *MemoryLimiter) Allow(_ context.Context, key string, limit Limit) (Decision, error) {
	if limit <= 0 {
		return Decision{Allowed: true}, nil
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok || b.limiter.Burst() != int(limit) {
		b = &bucket{limiter: rate.NewLimiter(rate.Limit(float64(limit)/60), int(limit))}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.limiter.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return Decision{Allowed: false, RetryAfter: delay}, nil
	}
	return Decision{Allowed: true}, nil
}

// sweep drops idle buckets now and then so memory stays bounded by active callers.
func (l *MemoryLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < idleAfter {
		return
	}
	for k, b := range l.buckets {
		if now.Sub(b.seen) > idleAfter {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}
