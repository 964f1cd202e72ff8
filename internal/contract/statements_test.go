package contract

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// tracedHub starts a hub on PostgreSQL whose every statement t records (skipping when
// the run has no PostgreSQL: SQLite's statements are not the ones production sends).
func tracedHub(t *testing.T, tr *store.Trace) *hub {
	t.Helper()
	for _, b := range backends(t) {
		if b.Name == "sqlite" {
			continue
		}
		cfg, err := config.FromEnv(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		cfg.DataDir = t.TempDir()
		cfg.RateLimitPerMinute, cfg.RateLimitIPPerMinute = 0, 0
		cfg.DatabaseURL = storetest.FreshURL(t, b)
		cfg.RedisURL, cfg.RedisPrefix = b.RedisURL, storetest.RedisPrefix(t, b)
		cfg.IVRToken = ivrToken
		return startHubIn(store.WithTrace(context.Background(), tr), t, b, cfg, false)
	}
	t.Skip("counting statements needs PostgreSQL")
	return nil
}

// hotPaths runs, on h, one IVR newCall from a known caller with an open case about the
// service, and one keyed contact write about another customer's open case, the two
// database-backed writes the bench drives; each answers the statements it sent.
func hotPaths(t *testing.T, h *hub, tr *store.Trace) (newCall, contactWrite []store.Statement, writer string) {
	t.Helper()
	createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Okafor"),
		Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
	call := func(id string) {
		if status, ans := event(t, h, map[string]any{"event": "newCall", "callId": id, "from": "447700900123",
			"attributes": map[string]string{"menu": "1"}}, ""); status != http.StatusOK {
			t.Fatalf("newCall: %d %v", status, ans)
		}
	}
	call("call-opens-the-case")
	tr.Start()
	call("call-joins-the-case")
	newCall = requestOnly(tr)

	// The write is about another customer's open case, opened by one contact before:
	// like the bench's seeded customers, nobody here has called often enough lately for
	// the router to hand the case on.
	other := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Mensah")})
	body := []byte(fmt.Sprintf(`{"channel":"phone","service":{"lgsl":58},"customerId":%q}`, other.Id.String()))
	if resp, out := h.raw("POST", "/v1/contacts", h.agentToken(), "application/json", body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("contact that opens the case: %d %s", resp.StatusCode, out)
	}
	tr.Start()
	resp, out := h.raw("POST", "/v1/contacts", h.agentToken(), "application/json", body, "Idempotency-Key", "contact-write-1")
	contactWrite = requestOnly(tr)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("contact write: %d %s", resp.StatusCode, out)
	}
	return newCall, contactWrite, other.Id.String()
}

// The statements and round trips of the two hot writes are pinned: one more cannot
// come in unnoticed (BENCHMARKS.md prices each at about 0.1 ms of hub and database CPU
// on this project's machine). Fewer is welcome: lower the pin with the change.
func TestStatements_TheHotWritesSendNoMoreThanPinned(t *testing.T) {
	tr := &store.Trace{}
	h := tracedHub(t, tr)
	newCall, write, _ := hotPaths(t, h, tr)
	for _, c := range []struct {
		name              string
		got               []store.Statement
		stmts, roundTrips int
	}{
		// The daily rollup's and the quarter hour's counts go last in the appends'
		// pipeline (store.HoldCount): two round trips fewer each (issue 19). The
		// commit ends that pipeline; begin goes with the first exec (newCall's first
		// statement is a query: begin goes alone before it); a unit's savepoint
		// statements go with the next round trip, and its answer with the commit.
		{"IVR newCall", newCall, 15, 7},
		{"POST /v1/contacts with an Idempotency-Key", write, 21, 9},
	} {
		if len(c.got) != c.stmts || store.RoundTrips(c.got) != c.roundTrips {
			t.Errorf("%s sent %d statements in %d round trips, pinned at %d in %d:\n%s", c.name, len(c.got), store.RoundTrips(c.got),
				c.stmts, c.roundTrips, listing(c.got))
		}
	}
}

func listing(stmts []store.Statement) string {
	var b strings.Builder
	for i, s := range stmts {
		fmt.Fprintf(&b, "%2d [batch %d] %s\n     %v\n", i+1, s.Batch, strings.Join(strings.Fields(s.SQL), " "), s.Args)
	}
	return b.String()
}

// requestOnly is what tr recorded less the audit's own batches: the audit log writes
// its entries in the background, many requests' in one transaction (its cost is
// measured beside the bench's scenarios, not pinned here).
func requestOnly(tr *store.Trace) []store.Statement {
	return store.Without(tr.Stop(), "audit_entr")
}
