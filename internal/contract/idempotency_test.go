package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

// contactWithMarker is a contact whose summary names marker, to count its copies.
func contactWithMarker(marker string) []byte {
	return []byte(fmt.Sprintf(`{"channel":"phone","service":{"lgsl":59},"familyName":"Retry",`+
		`"identifiers":[{"kind":"phone","value":"020 7946 0018"}],"summary":%q}`, marker))
}

// copiesOf counts the contacts whose summary is marker.
func (h *hub) copiesOf(marker string) int {
	h.t.Helper()
	var n int
	if err := h.app.DB.Get(&n, h.app.DB.Rebind("SELECT count(*) FROM contacts WHERE summary = ?"), marker); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// retryUntilAnswered sends the write with its key until the hub answers it.
func (h *hub) retryUntilAnswered(tok, key string, body []byte) (int, []byte) {
	h.t.Helper()
	for range 50 {
		resp, b := h.raw("POST", "/v1/contacts", tok, "application/json", body, "Idempotency-Key", key)
		if resp.StatusCode != http.StatusConflict && resp.StatusCode < 500 {
			return resp.StatusCode, b
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("key %s never answered", key)
	return 0, nil
}

// TestIdempotencyKey_AClientThatGoesAwayDoesNotPoisonItsKey: clients that hang up at
// every moment of a write leave either the whole write with its real answer, or
// nothing; their retries get a 201 with the contact, never a stored 499, and every
// write exists exactly once.
func TestIdempotencyKey_AClientThatGoesAwayDoesNotPoisonItsKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.token(auth.Claims{Subject: "impatient-ivr", Roles: []auth.Role{auth.Integration}})
		plain := &http.Client{}
		const writes = 24
		for i := range writes {
			marker := fmt.Sprintf("hang-up-%02d", i)
			key := fmt.Sprintf("hang-up-key-%02d", i)
			// Hang up after 0–11.5 ms: before, during and after the write's transaction.
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i)*500*time.Microsecond)
			req, _ := http.NewRequestWithContext(ctx, "POST", h.url+"/v1/contacts", bytes.NewReader(contactWithMarker(marker)))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", key)
			if resp, err := plain.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			cancel()
		}
		for i := range writes {
			marker := fmt.Sprintf("hang-up-%02d", i)
			status, body := h.retryUntilAnswered(tok, fmt.Sprintf("hang-up-key-%02d", i), contactWithMarker(marker))
			var got struct {
				Contact struct {
					Summary string `json:"summary"`
				} `json:"contact"`
			}
			if status != http.StatusCreated || json.Unmarshal(body, &got) != nil || got.Contact.Summary != marker {
				t.Fatalf("retry of %s: %d %s", marker, status, body)
			}
			if n := h.copiesOf(marker); n != 1 {
				t.Fatalf("%s written %d times", marker, n)
			}
		}
	})
}

// TestIdempotencyKey_HeldInTheDatabaseNotRedis: a retry after Redis lost all its data
// (a restart without persistence) replays the first answer and writes nothing again.
func TestIdempotencyKey_HeldInTheDatabaseNotRedis(t *testing.T) {
	for _, b := range backends(t) {
		if b.RedisURL == "" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			h := startHub(t, b, nil)
			tok := h.token(auth.Claims{Subject: "ivr", Roles: []auth.Role{auth.Integration}})
			first := make([][]byte, 20)
			for i := range first {
				resp, body := h.raw("POST", "/v1/contacts", tok, "application/json", contactWithMarker(fmt.Sprintf("redis-lost-%d", i)), "Idempotency-Key", fmt.Sprintf("redis-lost-key-%d", i))
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("write %d: %d %s", i, resp.StatusCode, body)
				}
				first[i] = body
			}
			forgetRedis(t, b.RedisURL, h.cfg.RedisPrefix)
			for i := range first {
				resp, body := h.raw("POST", "/v1/contacts", tok, "application/json", contactWithMarker(fmt.Sprintf("redis-lost-%d", i)), "Idempotency-Key", fmt.Sprintf("redis-lost-key-%d", i))
				if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(body, first[i]) {
					t.Fatalf("retry %d after Redis forgot: %d replayed=%q %s", i, resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), body)
				}
				if n := h.copiesOf(fmt.Sprintf("redis-lost-%d", i)); n != 1 {
					t.Fatalf("write %d exists %d times", i, n)
				}
			}
		})
	}
}

// forgetRedis deletes every key under prefix, as a Redis restarted without data would.
func forgetRedis(t *testing.T, url, prefix string) {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		if err := rdb.Del(ctx, keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIdempotencyKey_WritesGoOnWhileRedisIsDown: with the hub's Redis unreachable,
// writes carrying keys still answer 201 and their retries replay.
func TestIdempotencyKey_WritesGoOnWhileRedisIsDown(t *testing.T) {
	for _, b := range backends(t) {
		if b.RedisURL == "" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			redisURL, cut := redisBehindProxy(t, b)
			h := startHub(t, b, func(c *config.Config) { c.RedisURL = redisURL })
			tok := h.token(auth.Claims{Subject: "ivr", Roles: []auth.Role{auth.Integration}})
			cut.cut()
			for i := range 10 {
				marker, key := fmt.Sprintf("redis-down-%d", i), fmt.Sprintf("redis-down-key-%d", i)
				resp, body := h.raw("POST", "/v1/contacts", tok, "application/json", contactWithMarker(marker), "Idempotency-Key", key)
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("write %d with Redis down: %d %s", i, resp.StatusCode, body)
				}
				again, againBody := h.raw("POST", "/v1/contacts", tok, "application/json", contactWithMarker(marker), "Idempotency-Key", key)
				if again.StatusCode != http.StatusCreated || !bytes.Equal(body, againBody) {
					t.Fatalf("retry %d with Redis down: %d %s", i, again.StatusCode, againBody)
				}
				if n := h.copiesOf(marker); n != 1 {
					t.Fatalf("write %d exists %d times", i, n)
				}
			}
		})
	}
}

// TestRedis_TheHubStartsAndServesWithoutIt: Redis holds nothing correctness depends on,
// so a hub whose Redis is down starts, reports itself degraded but ready (a load
// balancer keeps it), and takes writes.
func TestRedis_TheHubStartsAndServesWithoutIt(t *testing.T) {
	for _, b := range backends(t) {
		if b.RedisURL == "" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			redisURL, cut := redisBehindProxy(t, b)
			cut.cut()
			h := startHub(t, b, func(c *config.Config) { c.RedisURL = redisURL })
			resp, body := h.raw("GET", "/readyz", "", "", nil)
			var ready struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &ready) != nil || ready.Status != "degraded" ||
				ready.Checks["redis"] != "unavailable" || ready.Checks["database"] != "ok" {
				t.Fatalf("readyz with Redis down: %d %s", resp.StatusCode, body)
			}
			tok := h.token(auth.Claims{Subject: "ivr", Roles: []auth.Role{auth.Integration}})
			resp, body = h.raw("POST", "/v1/contacts", tok, "application/json", contactWithMarker("no-redis"), "Idempotency-Key", "no-redis-key-1")
			if resp.StatusCode != http.StatusCreated || h.copiesOf("no-redis") != 1 {
				t.Fatalf("a write with Redis down since the start: %d %s", resp.StatusCode, body)
			}
		})
	}
}
