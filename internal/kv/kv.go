// Package kv holds the small pieces of state API replicas share and can afford to lose —
// rate-limit counters — in Redis when it is configured, and otherwise in process.
// Nothing correctness depends on lives here: idempotency keys are kept with their
// writes in the database (package idempotency).
package kv

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Connect opens a Redis client from a redis:// URL and checks it answers.
func Connect(ctx context.Context, url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	return rdb, nil
}

// Limit is how many requests a key may make per minute; 0 means unlimited.
type Limit int

// Decision is the answer of a rate limiter.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
}
