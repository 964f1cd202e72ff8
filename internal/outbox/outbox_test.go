package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/kv"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/timeline"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, "SELECT count(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// A change (here: a timeline event) and its outbox message commit or roll back together.
func TestAdd_CommitsAndRollsBackWithTheChange(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			ctx := context.Background()
			boom := errors.New("failure injected after the write")
			err := db.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := timeline.Append(ctx, tx, timeline.Event{CaseID: store.NewID(), Kind: "case.opened", Actor: timeline.Actor{Subject: "t", Role: "agent"}}); err != nil {
					return err
				}
				if err := outbox.Add(ctx, tx, "case.opened", "k", map[string]string{"a": "b"}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			if count(t, db, "timeline_events") != 0 || count(t, db, "outbox") != 0 {
				t.Fatal("a rolled-back change left rows behind")
			}
			err = db.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := timeline.Append(ctx, tx, timeline.Event{CaseID: store.NewID(), Kind: "case.opened", Actor: timeline.Actor{Subject: "t", Role: "agent"}}); err != nil {
					return err
				}
				return outbox.Add(ctx, tx, "case.opened", "k", map[string]string{"a": "b"})
			})
			if err != nil || count(t, db, "timeline_events") != 1 || count(t, db, "outbox") != 1 {
				t.Fatalf("commit: %v", err)
			}
		})
	}
}

// recorder is a publisher that remembers every message id it was given.
type recorder struct {
	mu   sync.Mutex
	seen map[string]int
	seqs map[int64]string
	fail bool
}

func (r *recorder) Publish(_ context.Context, msgs []outbox.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("bus down")
	}
	for _, m := range msgs {
		r.seen[m.ID]++
		if r.seqs != nil {
			r.seqs[m.Seq] = m.ID
		}
	}
	return nil
}

func addMessages(t *testing.T, db *store.DB, n int) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *sqlx.Tx) error {
		for i := range n {
			if err := outbox.Add(context.Background(), tx, "contact.recorded", "k", map[string]int{"i": i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two dispatchers (two replicas) draining one outbox publish every message exactly once,
// numbered 1, 2, 3… without a gap or a repeat, each number as the outbox holds it.
func TestDispatcher_TwoDispatchersPublishEachMessageOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			const total = 1000
			addMessages(t, db, total)
			rec := &recorder{seen: map[string]int{}, seqs: map[int64]string{}}
			ctx := context.Background()
			var wg sync.WaitGroup
			for range 2 {
				d := outbox.NewDispatcher(db, rec, quiet)
				d.Batch = 37
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n, err := d.DispatchOnce(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						if n == 0 {
							return
						}
					}
				}()
			}
			wg.Wait()
			if len(rec.seen) != total {
				t.Fatalf("published %d distinct messages, want %d", len(rec.seen), total)
			}
			for id, n := range rec.seen {
				if n != 1 {
					t.Fatalf("message %s published %d times", id, n)
				}
			}
			var pending int
			if err := db.Get(&pending, "SELECT count(*) FROM outbox WHERE published_at IS NULL"); err != nil || pending != 0 {
				t.Fatalf("%d left pending (%v)", pending, err)
			}
			held := numbered(t, db)
			for seq := int64(1); seq <= total; seq++ {
				if rec.seqs[seq] == "" || held[seq] != rec.seqs[seq] {
					t.Fatalf("number %d: published as %q, held as %q", seq, rec.seqs[seq], held[seq])
				}
			}
		})
	}
}

// numbered reads the outbox's numbers: number → message id.
func numbered(t *testing.T, db *store.DB) map[int64]string {
	t.Helper()
	var rows []struct {
		ID  string `db:"id"`
		Seq int64  `db:"seq"`
	}
	if err := db.Select(&rows, "SELECT id, seq FROM outbox WHERE seq IS NOT NULL"); err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, r := range rows {
		out[r.Seq] = r.ID
	}
	return out
}

// A message whose id was made first but whose transaction committed last is numbered
// after the one that committed first: numbers follow commits, not ids, so a stream
// resuming after the later-made message cannot skip the earlier-made one.
func TestDispatcher_NumbersFollowCommitsNotIDs(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			ctx := context.Background()
			early := store.NewID()
			late := store.NewID()
			add := func(id string) {
				t.Helper()
				if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
					return outbox.AddWithID(ctx, tx, id, "case.note", "k", map[string]string{"id": id})
				}); err != nil {
					t.Fatal(err)
				}
			}
			rec := &recorder{seen: map[string]int{}, seqs: map[int64]string{}}
			d := outbox.NewDispatcher(db, rec, quiet)
			add(late)
			if n, err := d.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("dispatch: %d %v", n, err)
			}
			add(early) // its id is lower: made first, committed last
			if n, err := d.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("dispatch: %d %v", n, err)
			}
			if rec.seqs[1] != late || rec.seqs[2] != early || early >= late {
				t.Fatalf("numbers %v; want 1 = %s (committed first), 2 = %s (lower id, committed later)", rec.seqs, late, early)
			}
		})
	}
}

// A failed publish is reported, and loses nothing: the messages were numbered in the
// transaction that committed before the publish, so the outbox holds them under their
// numbers for streams to read back, and the next batch's numbers carry on after them
// (the gap a stream sees on the bus is what tells it to read back).
func TestDispatcher_AFailedPublishLeavesTheMessagesNumberedInTheOutbox(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			addMessages(t, db, 5)
			rec := &recorder{seen: map[string]int{}, seqs: map[int64]string{}, fail: true}
			d := outbox.NewDispatcher(db, rec, quiet)
			if n, err := d.DispatchOnce(context.Background()); err == nil || n != 5 {
				t.Fatalf("a failed publish: %d, %v; want 5 and the error", n, err)
			}
			if held := numbered(t, db); len(held) != 5 || held[1] == "" || held[5] == "" {
				t.Fatalf("after the failed publish the outbox numbers %v, want 1–5", held)
			}
			rec.fail = false
			addMessages(t, db, 1)
			if n, err := d.DispatchOnce(context.Background()); err != nil || n != 1 || rec.seqs[6] == "" {
				t.Fatalf("next batch: %d (%v), numbers %v; want the new message as 6", n, err, rec.seqs)
			}
		})
	}
}

// Messages reach subscribers through the bus: in process, or through Redis to every replica.
func TestBus_DeliversPublishedMessagesToSubscribers(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			var bus interface {
				outbox.Publisher
				Subscribe(context.Context) <-chan outbox.Message
			} = outbox.NewMemoryBus()
			if b.RedisURL != "" {
				rdb, down, err := kv.Connect(context.Background(), b.RedisURL)
				if err != nil || down != nil {
					t.Fatal(err, down)
				}
				defer rdb.Close()
				bus = outbox.NewRedisBus(rdb, storetest.RedisPrefix(t, b))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sub := bus.Subscribe(ctx)
			want := outbox.Message{ID: store.NewID(), Topic: "case.opened", Key: "c1", Payload: []byte(`{"x":1}`), CreatedAt: store.Now()}
			if err := bus.Publish(ctx, []outbox.Message{want}); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-sub:
				if got.ID != want.ID || got.Topic != want.Topic || string(got.Payload) != `{"x":1}` {
					t.Fatalf("got %+v", got)
				}
			case <-ctx.Done():
				t.Fatal("nothing delivered")
			}
		})
	}
}

// Published messages are kept for a week, then purged; pending ones, and ones not yet
// fanned out to webhooks, never are.
func TestPurge_DropsOnlyLongPublishedMessages(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			addMessages(t, db, 3)
			d := outbox.NewDispatcher(db, &recorder{seen: map[string]int{}}, quiet)
			if n, err := d.DispatchOnce(context.Background()); err != nil || n != 3 {
				t.Fatalf("dispatch: %d %v", n, err)
			}
			addMessages(t, db, 2) // still pending
			old := store.Now().Add(-outbox.Retention - time.Hour)
			if _, err := db.Exec(db.Rebind("UPDATE outbox SET published_at = ? WHERE published_at IS NOT NULL"), old); err != nil {
				t.Fatal(err)
			}
			// Webhooks fanned out all but one of the published: that one stays too.
			if _, err := db.Exec(db.Rebind(`UPDATE outbox SET fanned_out_at = ? WHERE published_at IS NOT NULL
 AND id <> (SELECT id FROM outbox WHERE published_at IS NOT NULL ORDER BY id DESC LIMIT 1)`), old); err != nil {
				t.Fatal(err)
			}
			if err := d.Purge(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "outbox"); n != 3 {
				t.Fatalf("%d messages left, want the 2 pending and the one not fanned out to webhooks", n)
			}
		})
	}
}

// Work done with the numbers (the dispatcher's Also: webhook fan-out) is in the numbering
// transaction: when it fails, nothing is numbered, marked or published, and the next
// round numbers the same messages from where the sequence stood.
func TestDispatcher_WhenItsAlsoFailsNothingIsNumbered(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			addMessages(t, db, 3)
			rec := &recorder{seen: map[string]int{}, seqs: map[int64]string{}}
			d := outbox.NewDispatcher(db, rec, quiet)
			var given []outbox.Message
			d.Also = func(_ context.Context, _ *sqlx.Tx, msgs []outbox.Message) error {
				given = msgs
				return errors.New("fan-out failed")
			}
			if _, err := d.DispatchOnce(context.Background()); err == nil {
				t.Fatal("a failing Also: no error")
			}
			if len(given) != 3 || given[0].Seq != 1 || given[2].Seq != 3 {
				t.Fatalf("Also was given %+v, want the 3 messages numbered 1–3", given)
			}
			if held := numbered(t, db); len(held) != 0 || len(rec.seen) != 0 || count(t, db, "outbox WHERE fanned_out_at IS NOT NULL") != 0 {
				t.Fatalf("after a failing Also: numbers %v, published %v; want none", held, rec.seen)
			}
			d.Also = func(context.Context, *sqlx.Tx, []outbox.Message) error { return nil }
			if n, err := d.DispatchOnce(context.Background()); err != nil || n != 3 || rec.seqs[1] == "" || rec.seqs[3] == "" {
				t.Fatalf("next round: %d (%v), numbers %v; want 3 numbered 1–3", n, err, rec.seqs)
			}
			if count(t, db, "outbox WHERE fanned_out_at = published_at") != 3 {
				t.Fatal("a dispatcher with an Also did not mark its batch fanned out with its number")
			}
		})
	}
}
