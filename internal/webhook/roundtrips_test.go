package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/webhook"
)

// On PostgreSQL an attempt that succeeded is recorded, and the next delivery of its key
// leased, in three round trips: begin, one statement, commit. The record stays whole:
// every attempt is logged, each delivery finished, the subscription's failing mark
// cleared, and the key's deliveries sent in order.
func TestSender_RecordsASuccessAndLeasesTheNextInThreeRoundTripsOnPostgres(t *testing.T) {
	ctx := context.Background()
	db, tr := tracedPostgres(t)
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get(webhook.HeaderID))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	subs := webhook.NewSubscriptions(db, catalogue.Default(), noQueues{}, true)
	sub, _, err := subs.Create(ctx, webhook.Owner{Subject: "crm"}, webhook.Input{URL: srv.URL, EventTypes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	const events = 3
	want := queueEvents(t, db, events, "busy")
	fanOutAll(t, db)
	// The endpoint failed before: a success clears the mark.
	if _, err := db.ExecContext(ctx, `UPDATE webhook_subscriptions SET failing_since = now() WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}

	s := webhook.NewSender(db, webhook.NewClient(true), slog.New(slog.NewTextHandler(io.Discard, nil)))
	tr.Start()
	n, err := s.Once(ctx)
	stmts := tr.Stop()
	if err != nil || n != events {
		t.Fatalf("sent %d (%v), want %d", n, err, events)
	}
	records := recordTransactions(stmts)
	if len(records) != events {
		t.Fatalf("%d transactions logged an attempt, want %d:\n%s", len(records), events, sqlOf(stmts))
	}
	for i, r := range records {
		if rt := store.RoundTrips(r); rt > 3 {
			t.Errorf("attempt %d recorded in %d round trips, want 3:\n%s", i+1, rt, sqlOf(r))
		}
	}

	if !slices.Equal(got, want) {
		t.Fatalf("received %v, want %v in order", got, want)
	}
	var attempts, succeeded, failing int
	if err := db.GetContext(ctx, &attempts, `SELECT count(*) FROM webhook_attempts`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &succeeded, `SELECT count(*) FROM webhook_deliveries
 WHERE status = 'succeeded' AND attempts = 1 AND last_status = 204 AND finished_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &failing, `SELECT count(*) FROM webhook_subscriptions WHERE failing_since IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if attempts != events || succeeded != events || failing != 0 {
		t.Fatalf("%d attempts logged, %d deliveries succeeded, %d subscriptions failing; want %d, %d, 0",
			attempts, succeeded, failing, events, events)
	}
}

// recordTransactions is the transactions (begin to commit, by connection) that logged
// an attempt.
func recordTransactions(stmts []store.Statement) [][]store.Statement {
	var out [][]store.Statement
	open := map[int][]store.Statement{}
	for _, s := range stmts {
		switch {
		case s.SQL == "begin":
			open[s.Conn] = []store.Statement{s}
		case s.SQL == "commit" || s.SQL == "rollback":
			tx := append(open[s.Conn], s)
			delete(open, s.Conn)
			if slices.ContainsFunc(tx, func(s store.Statement) bool { return strings.Contains(s.SQL, "INSERT INTO webhook_attempts") }) {
				out = append(out, tx)
			}
		default:
			if tx, ok := open[s.Conn]; ok {
				open[s.Conn] = append(tx, s)
			}
		}
	}
	return out
}

func sqlOf(stmts []store.Statement) string {
	var b strings.Builder
	for _, s := range stmts {
		b.WriteString(strings.Join(strings.Fields(s.SQL), " "))
		b.WriteString("\n")
	}
	return b.String()
}
