package contract

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/store"
)

// A client that hangs up while its write waits on the database does not turn the write
// into an error: the write runs to its end once the database lets it (finished or rolled
// back, never half), and is counted as what it was, a 201.
func TestClientGone_AnAbandonedWriteStillFinishes(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		release := h.holdWriteLock()
		abandon(t, h, "POST", "/v1/customers", []byte(`{"familyName":"Okafor"}`))
		release()
		h.waitCounted("POST", "/v1/customers", "201")
		if n := h.count("customers"); n != 1 {
			t.Fatalf("%d customers after one abandoned write, want 1", n)
		}
	})
}

// A client that hangs up while its read waits on the database is counted as 499
// (client closed request), never as a 500 of the hub's own, and its query is
// cancelled in the database. (PostgreSQL only: SQLite's
// readers never wait for its writer.)
func TestClientGone_AReadAbandonedMidQueryIs499(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		if h.app.DB.Dialect != store.Postgres {
			t.Skip("SQLite readers do not wait on a writer")
		}
		created := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		release := h.holdWriteLock()
		abandon(t, h, "GET", "/v1/customers/"+created.Id.String(), nil)
		h.waitCounted("GET", "/v1/customers/:customerId", "499")
		// The request's context reached the database: its query was cancelled there
		// while the lock it waited on is still held, so the client that left costs
		// nothing more (no backend stays queued behind the lock for it).
		deadline := time.Now().Add(5 * time.Second)
		for {
			var waiting int
			if err := h.app.DB.GetContext(context.Background(), &waiting, `SELECT count(*) FROM pg_stat_activity
			 WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM customers%'`); err != nil {
				t.Fatal(err)
			}
			if waiting == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d queries still wait on the lock after their client left", waiting)
			}
			time.Sleep(20 * time.Millisecond)
		}
		release()
	})
}

// abandon sends a request and hangs up on it after 300 ms.
func abandon(t *testing.T, h *hub, method, path string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token(agentClaims()))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("%s %s answered %d while the database was locked", method, path, resp.StatusCode)
	}
}

// waitCounted waits until /metrics counts a request to route with status, failing on
// a 500 for it.
func (h *hub) waitCounted(method, route, status string) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, metrics := h.raw("GET", "/metrics", "", "", nil)
		counted := func(status string) bool {
			return strings.Contains(string(metrics), `contacthub_http_requests_total{method="`+method+`",route="`+route+`",status="`+status+`"}`)
		}
		if counted("500") {
			h.t.Fatalf("%s %s was counted as a 500", method, route)
		}
		if counted(status) {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s %s was never counted as %s", method, route, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holdWriteLock keeps every writer of the hub's database waiting until released.
func (h *hub) holdWriteLock() (release func()) {
	h.t.Helper()
	conn, err := h.app.DB.Conn(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	lock := "BEGIN IMMEDIATE"
	if h.app.DB.Dialect == store.Postgres {
		lock = "BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"
	}
	if _, err := conn.ExecContext(context.Background(), lock); err != nil {
		h.t.Fatal(err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		_ = conn.Close()
	}
	h.t.Cleanup(release)
	return release
}
