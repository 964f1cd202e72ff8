package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/webhook"
)

type noQueues struct{}

func (noQueues) QueueTier(string) (int, bool) { return 0, false }

// Two senders (two replicas) drain one backlog: every event arrives once, and the events
// of each key in the order they were written.
func TestSender_TwoSendersSendEachDeliveryOnceInOrderPerKey(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			var mu sync.Mutex
			seen := map[string]int{}
			order := map[string][]string{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var msg struct {
					Data event.Message `json:"data"`
				}
				if err := json.Unmarshal(body, &msg); err != nil {
					t.Errorf("body: %v", err)
				}
				mu.Lock()
				seen[r.Header.Get(webhook.HeaderID)]++
				order[msg.Data.CaseID] = append(order[msg.Data.CaseID], msg.Data.ID)
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}))
			defer srv.Close()

			subs := webhook.NewSubscriptions(db, catalogue.Default(), noQueues{}, true)
			if _, _, err := subs.Create(ctx, webhook.Owner{Subject: "crm"}, webhook.Input{URL: srv.URL, EventTypes: []string{"*"}}); err != nil {
				t.Fatal(err)
			}
			const keys, perKey = 5, 12
			var want []string
			for i := range perKey {
				for k := range keys {
					id, key := store.NewID(), string(rune('a'+k))
					want = append(want, id)
					msg := event.Message{ID: id, Type: "case.updated", Version: 1, OccurredAt: store.Now(), CaseID: key,
						Actor: event.System, Data: json.RawMessage(`{"fields":["n` + string(rune('0'+i%10)) + `"]}`)}
					if err := db.InTx(ctx, func(tx *sqlx.Tx) error { return outbox.Add(ctx, tx, msg.Type, key, msg) }); err != nil {
						t.Fatal(err)
					}
				}
			}
			fanOutAll(t, db)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			var wg sync.WaitGroup
			for range 2 {
				s := webhook.NewSender(db, webhook.NewClient(true), quiet)
				s.Batch = 3
				wg.Add(1)
				go func() {
					defer wg.Done()
					deadline := time.Now().Add(20 * time.Second)
					for time.Now().Before(deadline) {
						if _, err := s.Once(ctx); err != nil {
							t.Error(err)
							return
						}
						var pending int
						if err := db.GetContext(ctx, &pending, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"); err != nil {
							t.Error(err)
							return
						}
						if pending == 0 {
							return
						}
					}
					t.Error("the backlog was not sent in 20 s")
				}()
			}
			wg.Wait()
			for _, id := range want {
				if seen[id] != 1 {
					t.Errorf("%s delivered %d times", id, seen[id])
				}
			}
			for key, ids := range order {
				for i := 1; i < len(ids); i++ {
					if ids[i] <= ids[i-1] {
						t.Errorf("key %s: %s after %s", key, ids[i], ids[i-1])
					}
				}
			}
		})
	}
}

// A busy case is not held to one delivery per poll: after each success the worker
// sends the next of the same key at once, in order, up to FollowOn in a row.
func TestSender_ABusyCaseIsSentInOneRoundInOrder(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			var mu sync.Mutex
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.Header.Get(webhook.HeaderID))
				mu.Unlock()
			}))
			defer srv.Close()
			subs := webhook.NewSubscriptions(db, catalogue.Default(), noQueues{}, true)
			if _, _, err := subs.Create(ctx, webhook.Owner{Subject: "crm"}, webhook.Input{URL: srv.URL, EventTypes: []string{"*"}}); err != nil {
				t.Fatal(err)
			}
			const events = 30
			want := queueEvents(t, db, events, "busy")
			fanOutAll(t, db)
			s := webhook.NewSender(db, webhook.NewClient(true), slog.New(slog.NewTextHandler(io.Discard, nil)))
			s.FollowOn = 25
			n, err := s.Once(ctx)
			if err != nil || n != 25 {
				t.Fatalf("one round tried %d (%v), want 25: the key's first and 24 following on", n, err)
			}
			if n, err = s.Once(ctx); err != nil || n != 5 {
				t.Fatalf("the next round tried %d (%v), want the other 5", n, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("received %d in this order %v, want %v", len(got), got, want)
			}
		})
	}
}

// Run leases again as soon as a worker frees up while work is waiting, whatever the
// poll interval: a backlog of many cases drains without waiting for a tick.
func TestSenderRun_KeepsItsWorkersBusyWithoutWaitingForThePoll(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := storetest.Open(t, b)
			var got atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(10 * time.Millisecond)
				got.Add(1)
			}))
			defer srv.Close()
			subs := webhook.NewSubscriptions(db, catalogue.Default(), noQueues{}, true)
			if _, _, err := subs.Create(ctx, webhook.Owner{Subject: "crm"}, webhook.Input{URL: srv.URL, EventTypes: []string{"*"}}); err != nil {
				t.Fatal(err)
			}
			const cases = 40
			for i := range cases {
				queueEvent(t, db, store.NewID(), fmt.Sprintf("case-%d", i))
			}
			fanOutAll(t, db)
			s := webhook.NewSender(db, webhook.NewClient(true), slog.New(slog.NewTextHandler(io.Discard, nil)))
			s.Parallel = 3
			go s.Run(ctx, time.Hour) // only its first look is on the clock
			deadline := time.Now().Add(10 * time.Second)
			for got.Load() < cases && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got.Load() != cases {
				t.Fatalf("%d of %d delivered in 10 s with an hour's poll: Run waited for the poll", got.Load(), cases)
			}
		})
	}
}

// queueEvent writes a case.updated event of case key into the outbox under id.
func queueEvent(t *testing.T, db *store.DB, id, key string) {
	t.Helper()
	ctx := context.Background()
	msg := event.Message{ID: id, Type: "case.updated", Version: 1, OccurredAt: store.Now(), CaseID: key,
		Actor: event.System, Data: json.RawMessage(`{"fields":["status"]}`)}
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error { return outbox.AddWithID(ctx, tx, id, msg.Type, key, msg) }); err != nil {
		t.Fatal(err)
	}
}

// queueEvents writes n events of one key and answers their ids, in order.
func queueEvents(t *testing.T, db *store.DB, n int, key string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = store.NewID()
		queueEvent(t, db, ids[i], key)
	}
	return ids
}

// fanOutAll turns every outbox message into its deliveries.
func fanOutAll(t *testing.T, db *store.DB) {
	t.Helper()
	for {
		n, err := webhook.NewFanOut(db).Once(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestMatches_TypesAndFilters(t *testing.T) {
	svc, queue := 57, "advisors"
	msg := event.Message{Type: "case.resolved", Service: 57, Queue: "advisors"}
	for _, tc := range []struct {
		types []string
		f     webhook.Filter
		want  bool
	}{
		{[]string{"*"}, webhook.Filter{}, true},
		{[]string{"case.resolved"}, webhook.Filter{}, true},
		{[]string{"case.opened"}, webhook.Filter{}, false},
		{[]string{"*"}, webhook.Filter{Service: &svc}, true},
		{[]string{"*"}, webhook.Filter{Service: ptr(58)}, false},
		{[]string{"*"}, webhook.Filter{Queue: &queue}, true},
		{[]string{"*"}, webhook.Filter{Queue: ptr("fraud")}, false},
		{[]string{"case.resolved"}, webhook.Filter{Service: &svc, Queue: ptr("fraud")}, false},
	} {
		if got := webhook.Matches(tc.types, tc.f, msg); got != tc.want {
			t.Errorf("Matches(%v, %+v) = %v, want %v", tc.types, tc.f, got, tc.want)
		}
	}
	if webhook.Matches([]string{"*"}, webhook.Filter{Service: &svc}, event.Message{Type: "routing.rules_activated"}) {
		t.Error("a service filter matched an event without a service")
	}
}

func TestPurge_KeepsTheLogOfAMonthAndWhatIsPending(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			subs := webhook.NewSubscriptions(db, catalogue.Default(), noQueues{}, true)
			sub, _, err := subs.Create(ctx, webhook.Owner{Subject: "crm"}, webhook.Input{URL: "http://127.0.0.1:9/", EventTypes: []string{"*"}})
			if err != nil {
				t.Fatal(err)
			}
			old, recent := store.Now().Add(-webhook.LogRetention-time.Hour), store.Now().Add(-time.Hour)
			for _, d := range []struct {
				status   string
				finished any
			}{{"succeeded", old}, {"dead", old}, {"failed", recent}, {"pending", nil}} {
				id := store.NewID()
				if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type,
 msg_key, body, status, attempts, retry_from, next_attempt_at, created_at, finished_at) VALUES (?, ?, ?, 'case.resolved', 'k', '{}', ?, 1, ?, ?, ?, ?)`),
					id, sub.ID, store.NewID(), d.status, old, old, old, d.finished); err != nil {
					t.Fatal(err)
				}
				if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO webhook_attempts (delivery_id, attempt, at, latency_ms) VALUES (?, 1, ?, 5)`), id, old); err != nil {
					t.Fatal(err)
				}
			}
			if err := webhook.NewSender(db, webhook.NewClient(true), nil).Purge(ctx); err != nil {
				t.Fatal(err)
			}
			var deliveries, attempts int
			if err := db.GetContext(ctx, &deliveries, "SELECT count(*) FROM webhook_deliveries"); err != nil {
				t.Fatal(err)
			}
			if err := db.GetContext(ctx, &attempts, "SELECT count(*) FROM webhook_attempts"); err != nil {
				t.Fatal(err)
			}
			if deliveries != 2 || attempts != 2 {
				t.Errorf("left %d deliveries and %d attempts, want the recent and the pending one's 2 and 2", deliveries, attempts)
			}
		})
	}
}

func TestConcerns_NewsOfASubscriptionGoesOnlyToItsOwner(t *testing.T) {
	disabled := event.Message{Type: event.WebhookEndpointDisabled.Name, Data: json.RawMessage(`{"subscriptionId":"x","owner":"crm"}`)}
	if !webhook.Concerns("crm", disabled) || webhook.Concerns("housing", disabled) {
		t.Error("webhook.endpoint_disabled reached the wrong owner")
	}
	if !webhook.Concerns("housing", event.Message{Type: "case.resolved"}) {
		t.Error("a case's event did not reach a subscriber")
	}
}

func ptr[T any](v T) *T { return &v }
