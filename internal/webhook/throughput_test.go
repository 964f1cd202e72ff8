package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/cputime"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/webhook"
)

// recordContact records a contact on a case as the hub does: its event (timeline and
// outbox) in a transaction of its own.
func recordContact(ctx context.Context, db *store.DB, caseID string) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := event.Record(ctx, tx, event.Change{CustomerID: store.NewID(), CaseID: caseID, Actor: event.System,
			Service: 57, Payload: event.ContactRecordedData{ContactID: store.NewID(), Channel: "phone", Service: 57, Outcome: "resolved"}})
		return err
	})
}

// receiver answers 204 to every POST and counts them.
func receiver(b *testing.B, received *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		received.Add(1)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkRecord_WhileDelivering times recording a contact's event while the fan-out
// and the sender run (polling every 10 ms), with 0 and with 5 subscriptions taking every
// event. Delivery is asynchronous: the write itself does no subscription work, but the
// sender's writes share the database and the cores with it. "flat-out" records as fast
// as one writer can; "100 per s" records 100 contacts a second (500 deliveries a second with
// 5 subscriptions), and its p50 and p99 are the figures to compare.
func BenchmarkRecord_WhileDelivering(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		for _, rate := range []int{0, 100} {
			for _, n := range []int{0, 5} {
				pace := "flat-out"
				if rate > 0 {
					pace = fmt.Sprintf("%d per s", rate)
				}
				b.Run(fmt.Sprintf("%s/%s/subscriptions=%d", be.Name, pace, n), func(b *testing.B) {
					benchRecord(b, be, rate, n)
				})
			}
		}
	}
}

func benchRecord(b *testing.B, be storetest.Backend, rate, subscriptions int) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var received atomic.Int64
	srv := receiver(b, &received)
	db := storetest.Open(b, be)
	subscribe(b, db, srv.URL, subscriptions)
	cases := make([]string, 100)
	for k := range cases {
		cases[k] = store.NewID()
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go webhook.NewFanOut(db).Run(runCtx, 10*time.Millisecond, quiet)
	go webhook.NewSender(db, webhook.NewClient(true), quiet).Run(runCtx, 10*time.Millisecond)
	var took []time.Duration
	next := time.Now()
	for b.Loop() {
		if rate > 0 {
			time.Sleep(time.Until(next))
			next = next.Add(time.Second / time.Duration(rate))
		}
		start := time.Now()
		if err := recordContact(ctx, db, cases[len(took)%len(cases)]); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(received.Load())/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkDelivery_ToALocalReceiver measures how fast the fan-out and the sender, run
// as the hub runs them (FanOut.Run and Sender.Run, default batch and parallelism), drain
// a backlog of events to one subscription whose receiver answers 204 at once. The
// events are spread over 100 keys (cases), so ordering per key does not serialise them,
// or all on one busy case (keys=1), where each waits for the one before it to succeed.
// The clock runs from the start of the fan-out until the receiver has every event.
func BenchmarkDelivery_ToALocalReceiver(b *testing.B) {
	const events = 2000
	const poll = 10 * time.Millisecond
	for _, be := range storetest.Backends(b) {
		for _, keys := range []int{100, 1} {
			benchmarkDelivery(b, be, events, keys, poll)
		}
	}
}

func benchmarkDelivery(b *testing.B, be storetest.Backend, events, keys int, poll time.Duration) {
	{
		b.Run(fmt.Sprintf("%s/keys=%d", be.Name, keys), func(b *testing.B) {
			ctx := context.Background()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			var received atomic.Int64
			done := make(chan struct{}, 1)
			target := atomic.Int64{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusNoContent)
				if received.Add(1) == target.Load() {
					done <- struct{}{}
				}
			}))
			defer srv.Close()
			var total, cpu, dbCPU time.Duration
			for range b.N {
				b.StopTimer()
				db := storetest.Open(b, be)
				subscribe(b, db, srv.URL, 1)
				received.Store(0)
				target.Store(int64(events))
				cases := make([]string, keys)
				for k := range cases {
					cases[k] = store.NewID()
				}
				for i := range events {
					if err := recordContact(ctx, db, cases[i%keys]); err != nil {
						b.Fatal(err)
					}
				}
				runCtx, cancel := context.WithCancel(ctx)
				fan := webhook.NewFanOut(db)
				sender := webhook.NewSender(db, webhook.NewClient(true), quiet)
				b.StartTimer()
				start, startCPU, startDB := time.Now(), cputime.Self(), serverCPU(b, db)
				go fan.Run(runCtx, poll, quiet)
				go sender.Run(runCtx, poll)
				select {
				case <-done:
				case <-time.After(5 * time.Minute):
					cancel()
					b.Fatalf("the receiver had %d of %d events after 5 minutes", received.Load(), events)
				}
				elapsed := time.Since(start)
				cpu += cputime.Self() - startCPU
				b.StopTimer()
				dbCPU += serverCPU(b, db) - startDB
				total += elapsed
				// The last attempts may still be being recorded.
				var succeeded int
				for wait := time.Now().Add(10 * time.Second); time.Now().Before(wait); time.Sleep(10 * time.Millisecond) {
					if err := db.GetContext(ctx, &succeeded, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"); err != nil {
						b.Fatal(err)
					}
					if succeeded >= events {
						break
					}
				}
				cancel()
				if succeeded != events || received.Load() != int64(events) {
					b.Errorf("%d succeeded and %d received, want %d", succeeded, received.Load(), events)
				}
			}
			b.ReportMetric(float64(events*b.N)/total.Seconds(), "deliveries/s")
			// The fan-out's, the sender's and the receiver's CPU (all in this process).
			b.ReportMetric(float64(cpu.Microseconds())/float64(events*b.N), "cpu-µs/delivery")
			if be.DatabaseURL != "" {
				// PostgreSQL's, for the same deliveries (in its own processes).
				b.ReportMetric(float64(dbCPU.Microseconds())/float64(events*b.N), "db-cpu-µs/delivery")
			}
		})
	}
}

// serverCPU is the CPU the PostgreSQL backends serving db's database have used so far
// (0 on SQLite, whose work is in this process): the database's share of a delivery,
// which this process's CPU leaves out. Other databases' backends on the same server are
// not counted, so other work on the machine does not creep in. The pool keeps its
// connections, so its backends live through a run.
func serverCPU(b *testing.B, db *store.DB) time.Duration {
	if db.Dialect != store.Postgres {
		return 0
	}
	var pids []int
	if err := db.SelectContext(context.Background(), &pids,
		`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		b.Fatal(err)
	}
	var t time.Duration
	for _, pid := range pids {
		if d, err := cputime.OnCPU(pid); err == nil {
			t += d
		}
	}
	return t
}
