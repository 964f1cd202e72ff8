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

// Connect opens a Redis client from a redis:// URL. A URL that cannot be used is an
// error; a Redis that does not answer yet is reported as down, with a usable client
// that keeps trying. Unless the URL says otherwise, dials and replies time out quickly:
// callers fall back when Redis is slow, so waiting long on it only slows every request.
func Connect(ctx context.Context, url string) (rdb *redis.Client, down error, err error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = time.Second
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 500 * time.Millisecond
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = 500 * time.Millisecond
	}
	rdb = redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		return rdb, fmt.Errorf("connect to redis: %w", err), nil
	}
	return rdb, nil, nil
}

// Limit is how many requests a key may make per minute; 0 means unlimited.
type Limit int

// Decision is the answer of a rate limiter.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
}
