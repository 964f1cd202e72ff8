package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/council/contacthub/internal/store"
)

// Response is a stored first response to an idempotency key.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    []byte            `json:"body"`
}

// Claim is the state of an idempotency key when a request arrives with it.
type Claim struct {
	// New: this request owns the key and must Complete or Release it.
	New bool
	// Mismatch: the key was first used with a different request.
	Mismatch bool
	// Replay: the first response, to send again.
	Replay *Response
}

// pendingTTL bounds how long a crashed request can hold a key before others may retry.
const pendingTTL = time.Minute

// record is how a key is kept: the request hash, and the response once there is one.
type record struct {
	Hash     string    `json:"hash"`
	Response *Response `json:"response,omitempty"`
}

// RedisIdempotency keeps keys in Redis, shared by every replica.
type RedisIdempotency struct {
	rdb    *redis.Client
	prefix string
}

// NewRedisIdempotency stores keys in rdb under prefix.
func NewRedisIdempotency(rdb *redis.Client, prefix string) *RedisIdempotency {
	return &RedisIdempotency{rdb: rdb, prefix: prefix + "idem:"}
}

// Claim takes the key for this request, or reports how it was used before.
func (r *RedisIdempotency) Claim(ctx context.Context, key, hash string) (Claim, error) {
	pending, err := json.Marshal(record{Hash: hash})
	if err != nil {
		return Claim{}, err
	}
	ok, err := r.rdb.SetNX(ctx, r.prefix+key, pending, pendingTTL).Result()
	if err != nil {
		return Claim{}, fmt.Errorf("claim idempotency key: %w", err)
	}
	if ok {
		return Claim{New: true}, nil
	}
	raw, err := r.rdb.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return r.Claim(ctx, key, hash) // expired between the two calls
	} else if err != nil {
		return Claim{}, fmt.Errorf("read idempotency key: %w", err)
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Claim{}, fmt.Errorf("decode idempotency record: %w", err)
	}
	return decide(rec, hash)
}

// Complete stores the response for the key's lifetime.
func (r *RedisIdempotency) Complete(ctx context.Context, key, hash string, resp Response, ttl time.Duration) error {
	raw, err := json.Marshal(record{Hash: hash, Response: &resp})
	if err != nil {
		return err
	}
	if err := r.rdb.Set(ctx, r.prefix+key, raw, ttl).Err(); err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// Release frees a key whose request failed, so a retry runs afresh.
func (r *RedisIdempotency) Release(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, r.prefix+key).Err(); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// decide says what a request with hash may do with a key already recorded as rec.
func decide(rec record, hash string) (Claim, error) {
	switch {
	case rec.Hash != hash:
		return Claim{Mismatch: true}, nil
	case rec.Response == nil:
		return Claim{}, ErrKeyInUse
	default:
		return Claim{Replay: rec.Response}, nil
	}
}

// SQLIdempotency keeps keys in the hub's database when there is no Redis.
type SQLIdempotency struct {
	db *store.DB
}

// NewSQLIdempotency stores keys in db's idempotency_keys table.
func NewSQLIdempotency(db *store.DB) *SQLIdempotency { return &SQLIdempotency{db: db} }

const (
	deleteExpiredKey = `DELETE FROM idempotency_keys WHERE scope = ? AND expires_at < ?`
	insertKey        = `INSERT INTO idempotency_keys (scope, request_hash, created_at, expires_at) VALUES (?, ?, ?, ?)
 ON CONFLICT (scope) DO NOTHING`
	selectKey   = `SELECT request_hash, status, response FROM idempotency_keys WHERE scope = ?`
	completeKey = `UPDATE idempotency_keys SET status = ?, response = ?, expires_at = ? WHERE scope = ?`
	releaseKey  = `DELETE FROM idempotency_keys WHERE scope = ? AND status = 0`
	sweepKeys   = `DELETE FROM idempotency_keys WHERE expires_at < ?`
)

// Claim takes the key for this request, or reports how it was used before.
func (s *SQLIdempotency) Claim(ctx context.Context, key, hash string) (Claim, error) {
	now := store.Now()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(deleteExpiredKey), key, now); err != nil {
		return Claim{}, fmt.Errorf("expire idempotency key: %w", err)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(insertKey), key, hash, now, now.Add(pendingTTL))
	if err != nil {
		return Claim{}, fmt.Errorf("claim idempotency key: %w", store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return Claim{}, fmt.Errorf("claim idempotency key: %w", err)
	} else if n == 1 {
		return Claim{New: true}, nil
	}
	var row struct {
		Hash     string `db:"request_hash"`
		Status   int    `db:"status"`
		Response []byte `db:"response"`
	}
	if err := s.db.GetContext(ctx, &row, s.db.Rebind(selectKey), key); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return s.Claim(ctx, key, hash) // released between the two statements
		}
		return Claim{}, fmt.Errorf("read idempotency key: %w", err)
	}
	rec := record{Hash: row.Hash}
	if row.Status != 0 {
		rec.Response = &Response{}
		if err := json.Unmarshal(row.Response, rec.Response); err != nil {
			return Claim{}, fmt.Errorf("decode idempotent response: %w", err)
		}
	}
	return decide(rec, hash)
}

// Complete stores the response for the key's lifetime.
func (s *SQLIdempotency) Complete(ctx context.Context, key, _ string, resp Response, ttl time.Duration) error {
	raw, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(completeKey), resp.Status, raw, store.Now().Add(ttl), key); err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// Release frees a key whose request failed, so a retry runs afresh.
func (s *SQLIdempotency) Release(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(releaseKey), key); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// Sweep deletes expired keys; the server calls it now and then.
func (s *SQLIdempotency) Sweep(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(sweepKeys), store.Now()); err != nil {
		return fmt.Errorf("sweep idempotency keys: %w", err)
	}
	return nil
}
