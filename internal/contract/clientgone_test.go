package contract

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/store"
)

// A client that hangs up while its write waits on the database is counted as 499
// (client closed request), never as a 500 of the hub's own.
func TestClientGone_AWriteAbandonedMidQueryIs499(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		release := h.holdWriteLock()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "POST", h.url+"/v1/customers", bytes.NewReader([]byte(`{"familyName":"Okafor"}`)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+h.token(agentClaims()))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("the write answered %d while the database was locked", resp.StatusCode)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			_, metrics := h.raw("GET", "/metrics", "", "", nil)
			counted := func(status string) bool {
				return strings.Contains(string(metrics), `contacthub_http_requests_total{method="POST",route="/v1/customers",status="`+status+`"}`)
			}
			if counted("500") {
				t.Fatal("the abandoned write was counted as a 500")
			}
			if counted("499") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the abandoned write was never counted as 499")
			}
			time.Sleep(50 * time.Millisecond)
		}
		release()
	})
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
