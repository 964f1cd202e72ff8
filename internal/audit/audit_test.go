package audit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func TestLog_CloseWritesEverythingBuffered(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			// A flush interval far longer than the test: only Close can write these.
			l := Open(db, quiet(), Settings{FlushEvery: time.Hour, BatchSize: 1000})
			for i := range 700 {
				l.Append(context.Background(), Entry{Subject: "agent-alice", Roles: []string{"agent"}, Action: Read,
					Operation: "getCustomer", Resource: "/v1/customers/x", CustomerIDs: []string{fmt.Sprintf("c-%d", i%7)}})
			}
			l.Close()
			var n int
			if err := db.Get(&n, "SELECT count(*) FROM audit_entries"); err != nil {
				t.Fatal(err)
			}
			if n != 700 || l.written.Load() != 700 || l.lostN.Load() != 0 {
				t.Fatalf("after Close: %d entries written (counted %d, lost %d), want 700", n, l.written.Load(), l.lostN.Load())
			}
			// Appends after Close are written at once rather than lost.
			l.Append(context.Background(), Entry{Subject: "late", Action: Read, Operation: "getCustomer", Resource: "/"})
			if err := db.Get(&n, "SELECT count(*) FROM audit_entries"); err != nil || n != 701 {
				t.Fatalf("after a late append: %d entries (%v), want 701", n, err)
			}
		})
	}
}

func TestLog_ListFiltersByCustomerAndSubjectAndPages(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			l := Open(db, quiet(), Settings{FlushEvery: time.Hour, BatchSize: 2})
			defer l.Close()
			ctx := context.Background()
			base := store.Now().Add(-time.Hour)
			for i := range 5 {
				l.Append(ctx, Entry{At: base.Add(time.Duration(i) * time.Minute), Subject: "agent-alice", Roles: []string{"agent"},
					Action: Read, Operation: "searchCustomers", Resource: "/v1/customers", CustomerIDs: []string{"a", "b", "a"}})
			}
			l.Append(ctx, Entry{At: base.Add(10 * time.Minute), Subject: "agent-bob", Action: Write, Operation: "updateCustomer",
				Resource: "/v1/customers/c", CustomerIDs: []string{"c"}, Purpose: "council tax enquiry", RequestID: "r-1"})
			if err := l.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			page, err := l.List(ctx, Query{CustomerIDs: []string{"b"}, Limit: 3}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 3 || page.NextCursor == "" {
				t.Fatalf("first page: %d items, cursor %q; want 3 and a cursor", len(page.Items), page.NextCursor)
			}
			if got := page.Items[0].CustomerIDs; len(got) != 2 || got[0] != "a" || got[1] != "b" {
				t.Fatalf("customers of an entry = %v, want [a b] (each once)", got)
			}
			next, err := l.List(ctx, Query{CustomerIDs: []string{"b"}, Limit: 3, After: page.NextCursor}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(next.Items) != 2 || next.NextCursor != "" {
				t.Fatalf("second page: %d items, cursor %q; want 2 and none", len(next.Items), next.NextCursor)
			}
			if !next.Items[0].At.Before(page.Items[2].At) {
				t.Fatalf("pages overlap or are out of order")
			}
			bob, err := l.List(ctx, Query{Subject: "agent-bob"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(bob.Items) != 1 || bob.Items[0].Purpose != "council tax enquiry" || bob.Items[0].RequestID != "r-1" || bob.Items[0].Action != Write {
				t.Fatalf("bob's entries = %+v", bob.Items)
			}
		})
	}
}

func TestLog_PurgeDropsOnlyWhatIsOlderThanTheRetention(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			l := Open(db, quiet(), Settings{})
			defer l.Close()
			ctx := context.Background()
			now := store.Now()
			// Each age has an entry of each shape: one customer (on the entry) and two (link rows).
			for _, e := range []Entry{
				{At: now.Add(-48 * time.Hour), Subject: "old", CustomerIDs: []string{"x"}},
				{At: now.Add(-48 * time.Hour), Subject: "old", CustomerIDs: []string{"x", "y"}},
				{At: now.Add(-time.Hour), Subject: "new", CustomerIDs: []string{"x"}},
				{At: now.Add(-time.Hour), Subject: "new", CustomerIDs: []string{"x", "y"}},
			} {
				e.Action, e.Operation, e.Resource = Read, "getCustomer", "/"
				l.Append(ctx, e)
			}
			if err := l.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			n, err := l.Purge(ctx, 24*time.Hour)
			if err != nil || n != 2 {
				t.Fatalf("purged %d (%v), want 2", n, err)
			}
			page, err := l.List(ctx, Query{CustomerIDs: []string{"x"}}, 0)
			if err != nil || len(page.Items) != 2 || page.Items[0].Subject != "new" || page.Items[1].Subject != "new" {
				t.Fatalf("left %+v (%v), want only the two new entries", page.Items, err)
			}
			var links int
			if err := db.Get(&links, "SELECT count(*) FROM audit_entry_customers"); err != nil || links != 2 {
				t.Fatalf("customer links left: %d (%v), want the new two-customer entry's 2", links, err)
			}
		})
	}
}

func TestCheckPeriod(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	year := 365 * 24 * time.Hour
	for _, tc := range []struct {
		name  string
		q     Query
		field string
	}{
		{"no period", Query{}, ""},
		{"within retention", Query{From: now.Add(-year), To: now}, ""},
		{"over retention", Query{From: now.Add(-7 * year)}, "from"},
		{"to before from", Query{From: now.Add(-time.Hour), To: now.Add(-2 * time.Hour)}, "to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkPeriod(tc.q, 6*year, now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Invalid || len(fe.Fields) != 1 || fe.Fields[0].Field != tc.field {
				t.Fatalf("err = %v, want Invalid naming %s", err, tc.field)
			}
		})
	}
}

func TestRows(t *testing.T) {
	if got := rows(2, 3); got != "(?, ?, ?), (?, ?, ?)" {
		t.Fatalf("rows(2, 3) = %q", got)
	}
}

func TestLog_AnUnwritableBatchIsCountedAsLostNotHidden(t *testing.T) {
	db := storetest.Open(t, storetest.Backends(t)[0])
	l := Open(db, quiet(), Settings{FlushEvery: time.Hour})
	defer l.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	l.Append(context.Background(), Entry{Subject: "a", Action: Read, Operation: "getCustomer", Resource: "/", CustomerIDs: []string{"x"}})
	if err := l.Flush(context.Background()); err == nil {
		t.Fatal("a flush to a closed database reported success")
	}
	if l.lostN.Load() != 1 || l.written.Load() != 0 {
		t.Fatalf("lost %d, written %d; want 1 and 0", l.lostN.Load(), l.written.Load())
	}
}

func TestLog_AFullBatchIsWrittenWithoutWaitingForTheTick(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			// Only a full batch can wake the writer within the test.
			l := Open(db, quiet(), Settings{FlushEvery: time.Hour, BatchSize: 5})
			defer l.Close()
			for range 5 {
				l.Append(context.Background(), Entry{Subject: "a", Action: Read, Operation: "getCustomer", Resource: "/", CustomerIDs: []string{"x"}})
			}
			deadline := time.Now().Add(5 * time.Second)
			for l.written.Load() < 5 {
				if time.Now().After(deadline) {
					t.Fatalf("a full batch of 5 was not written within 5 s (written %d)", l.written.Load())
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

func TestLog_AFullBufferMakesAppendWaitRatherThanDrop(t *testing.T) {
	db := storetest.Open(t, storetest.Backends(t)[0])
	// SQLite's one writer connection, held: the audit's writer cannot begin.
	held, err := db.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l := Open(db, quiet(), Settings{FlushEvery: time.Hour, BatchSize: 2, BufferSize: 4})
	defer l.Close()
	entry := Entry{Subject: "a", Action: Read, Operation: "getCustomer", Resource: "/", CustomerIDs: []string{"x"}}
	// 2 are taken by the stuck writer and 4 wait: the 7th append must wait for room.
	for range 6 {
		l.Append(context.Background(), entry)
	}
	appended := make(chan struct{})
	go func() {
		l.Append(context.Background(), entry)
		close(appended)
	}()
	select {
	case <-appended:
		t.Fatalf("an append went through with the buffer full (%d waiting)", l.waiting())
	case <-time.After(200 * time.Millisecond):
	}
	if n := l.waiting(); n != 4 {
		t.Fatalf("%d entries waiting, want the buffer's 4", n)
	}
	if err := held.Rollback(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-appended:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting append did not go through once the writer could write")
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l.written.Load() != 7 || l.lostN.Load() != 0 {
		t.Fatalf("written %d, lost %d; want 7 and 0", l.written.Load(), l.lostN.Load())
	}
}

func TestLog_AppendsRacingCloseAreAllWritten(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			l := Open(db, quiet(), Settings{FlushEvery: time.Millisecond, BatchSize: 7, BufferSize: 16})
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 50 {
						l.Append(context.Background(), Entry{Subject: fmt.Sprintf("g%d", g), Action: Read, Operation: "getCustomer",
							Resource: "/", CustomerIDs: []string{fmt.Sprintf("c-%d", i)}})
					}
				}()
			}
			time.Sleep(time.Millisecond)
			l.Close() // some appends land after it: they write themselves
			wg.Wait()
			var n int
			if err := db.Get(&n, "SELECT count(*) FROM audit_entries"); err != nil {
				t.Fatal(err)
			}
			if n != 400 || l.lostN.Load() != 0 {
				t.Fatalf("%d entries written (lost %d), want all 400", n, l.lostN.Load())
			}
		})
	}
}
