package idempotency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/idempotency"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

const insertWork = `INSERT INTO work_done (id) VALUES (?)`

func setup(t *testing.T, b storetest.Backend) (*store.DB, *idempotency.Store, func() int) {
	t.Helper()
	db := storetest.Open(t, b)
	if _, err := db.Exec(`CREATE TABLE work_done (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM work_done`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return db, idempotency.New(db, time.Hour, 2*time.Second), count
}

func doWork(t *testing.T, db *store.DB, a *idempotency.Attempt, id string) {
	t.Helper()
	err := a.Work(func() error {
		return db.InTx(a.Ctx, func(tx *sqlx.Tx) error { return store.Append(a.Ctx, tx, insertWork, id) })
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A key exists if and only if its write committed: the work and the answer land
// together, and a retry replays the answer without doing the work again.
func TestAttempt_KeyWorkAndAnswerCommitTogether(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, keys, count := setup(t, b)
			a, err := keys.Begin(ctx, "caller\x1fkey-1", "hash-1")
			if err != nil || a.Replay != nil || a.Mismatch {
				t.Fatalf("first attempt: %+v %v", a, err)
			}
			doWork(t, db, a, "w1")
			if err := a.Complete(idempotency.Response{Status: 201, Body: []byte(`{"id":"w1"}`)}); err != nil {
				t.Fatal(err)
			}
			again, err := keys.Begin(ctx, "caller\x1fkey-1", "hash-1")
			if err != nil || again.Replay == nil || again.Replay.Status != 201 || string(again.Replay.Body) != `{"id":"w1"}` {
				t.Fatalf("retry: %+v %v", again, err)
			}
			other, err := keys.Begin(ctx, "caller\x1fkey-1", "hash-2")
			if err != nil || !other.Mismatch {
				t.Fatalf("same key, another request: %+v %v", other, err)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d rows of work, want 1", n)
			}
		})
	}
}

// A request that dies after its work but before its commit (the process killed, its
// connection gone) leaves neither its work nor its key: the retry runs afresh.
func TestAttempt_ACrashBeforeTheCommitLeavesNothing(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		if b.DatabaseURL == "" {
			continue // killing SQLite's writer means killing the process: the fault suite does
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, keys, count := setup(t, b)
			a, err := keys.Begin(ctx, "caller\x1fkey-crash", "hash")
			if err != nil {
				t.Fatal(err)
			}
			doWork(t, db, a, "lost")
			var pid int
			if err := db.GetContext(a.Ctx, &pid, `SELECT pg_backend_pid()`); err != nil {
				t.Fatal(err)
			}
			// The server side of the crash: the connection vanishes mid-transaction.
			if _, err := db.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
				t.Fatal(err)
			}
			if err := a.Complete(idempotency.Response{Status: 201}); err == nil {
				t.Fatal("a unit whose connection died committed")
			}
			if n := count(); n != 0 {
				t.Fatalf("%d rows of work survived the crash, want 0", n)
			}
			retry, err := keys.Begin(ctx, "caller\x1fkey-crash", "hash")
			if err != nil || retry.Replay != nil || retry.Mismatch {
				t.Fatalf("retry after the crash did not run afresh: %+v %v", retry, err)
			}
			doWork(t, db, retry, "lost")
			if err := retry.Complete(idempotency.Response{Status: 201}); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d rows after the retry, want 1", n)
			}
		})
	}
}

// An abandoned attempt (its request failed) leaves nothing; a request under a key
// another running request holds waits for it, and then replays its answer.
func TestAttempt_AbandonedLeavesNothingAndDuplicatesWait(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, keys, count := setup(t, b)
			a, err := keys.Begin(ctx, "caller\x1fkey-2", "hash")
			if err != nil {
				t.Fatal(err)
			}
			doWork(t, db, a, "abandoned")
			a.Abandon()
			if n := count(); n != 0 {
				t.Fatalf("abandoned work kept: %d rows", n)
			}
			first, err := keys.Begin(ctx, "caller\x1fkey-2", "hash")
			if err != nil || first.Replay != nil {
				t.Fatalf("after an abandoned attempt: %+v %v", first, err)
			}
			doWork(t, db, first, "done")
			second := make(chan *idempotency.Attempt, 1)
			go func() {
				a, err := keys.Begin(ctx, "caller\x1fkey-2", "hash")
				if err != nil {
					t.Error(err)
				}
				second <- a
			}()
			time.Sleep(100 * time.Millisecond) // the duplicate is now waiting on the key
			if err := first.Complete(idempotency.Response{Status: 201, Body: []byte("first")}); err != nil {
				t.Fatal(err)
			}
			got := <-second
			if got == nil || got.Replay == nil || string(got.Replay.Body) != "first" {
				t.Fatalf("the waiting duplicate: %+v", got)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d rows, want 1", n)
			}
		})
	}
}

// A duplicate that waits longer than the store's wait is told the key is in use. (On
// SQLite every write waits for the one writer up to the busy timeout, and a wait that
// long is the database being unavailable, not this key.)
func TestAttempt_AKeyHeldTooLongIsInUse(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		if b.DatabaseURL == "" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			keys := idempotency.New(db, time.Hour, 300*time.Millisecond)
			first, err := keys.Begin(ctx, "caller\x1fslow", "hash")
			if err != nil {
				t.Fatal(err)
			}
			defer first.Abandon()
			_, err = keys.Begin(ctx, "caller\x1fslow", "hash")
			if !errors.Is(err, idempotency.ErrInUse) {
				t.Fatalf("a duplicate of a request still running: %v, want ErrInUse", err)
			}
		})
	}
}

// BenchmarkKeyedWrite compares one small write done plainly (InTx) with the same write
// under an Idempotency-Key (a unit: the key taken, the work in a savepoint, the answer
// stored, one commit), on each backend, so the cost of the guarantee is known.
func BenchmarkKeyedWrite(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		db := storetest.Open(b, be)
		if _, err := db.Exec(`CREATE TABLE work_done (id TEXT PRIMARY KEY)`); err != nil {
			b.Fatal(err)
		}
		keys := idempotency.New(db, time.Hour, 10*time.Second)
		ctx := context.Background()
		b.Run(be.Name+"/plain", func(b *testing.B) {
			for b.Loop() {
				err := db.InTx(ctx, func(tx *sqlx.Tx) error { return store.Append(ctx, tx, insertWork, store.NewID()) })
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(be.Name+"/keyed", func(b *testing.B) {
			for b.Loop() {
				a, err := keys.Begin(ctx, "bench\x1f"+store.NewID(), "hash")
				if err != nil {
					b.Fatal(err)
				}
				err = a.Work(func() error {
					return db.InTx(a.Ctx, func(tx *sqlx.Tx) error { return store.Append(a.Ctx, tx, insertWork, store.NewID()) })
				})
				if err != nil {
					b.Fatal(err)
				}
				if err := a.Complete(idempotency.Response{Status: 201, Body: []byte(`{"id":"x"}`)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
