package audit

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// TestLog_EveryShapeOfEntryAnswersEveryQuery writes entries about one customer (kept on
// the entry), several (link rows), nobody, one named twice, and one as written before
// migration 00019 (no customer of its own, one link row), and asks every question the
// audit answers: by customer, by subject, by period, in pages after a cursor, each
// entry with its customers, and again after the purge by age.
func TestLog_EveryShapeOfEntryAnswersEveryQuery(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			l := Open(db, quiet(), Settings{FlushEvery: time.Hour})
			defer l.Close()
			ctx := context.Background()
			now := store.Now()
			old, recent := now.Add(-48*time.Hour), now.Add(-time.Hour)
			at := map[string]time.Time{}
			names := map[string]string{} // entry id -> name, for readable failures
			add := func(name, subject string, when time.Time, customers ...string) {
				e := Entry{ID: store.NewID(), At: when, Subject: subject, Roles: []string{"agent"}, Action: Read,
					Operation: "getCustomer", Resource: "/v1/customers/x", CustomerIDs: customers}
				at[name], names[e.ID] = when, name
				l.Append(ctx, e)
			}
			add("one-a", "alice", old.Add(1*time.Minute), "a")
			add("two-ab", "bob", old.Add(2*time.Minute), "a", "b")
			add("one-b", "alice", old.Add(3*time.Minute), "b")
			add("nobody", "bob", old.Add(4*time.Minute))
			add("a-twice", "carol", recent.Add(5*time.Minute), "a", "a")
			add("three-cab", "erin", recent.Add(7*time.Minute), "c", "a", "b")
			if err := l.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			legacy := store.NewID()
			at["legacy-a"], names[legacy] = recent.Add(6*time.Minute), "legacy-a"
			writeAsBefore00019(t, db, legacy, at["legacy-a"], "dave", "a")

			// Where each entry keeps its customers: the shape the write cost depends on.
			wantLinks := map[string]int{"one-a": 0, "two-ab": 2, "one-b": 0, "nobody": 0, "a-twice": 0, "three-cab": 3, "legacy-a": 1}
			wantOwn := map[string]string{"one-a": "a", "one-b": "b", "a-twice": "a"}
			for id, name := range names {
				var links int
				var own *string
				if err := db.Get(&links, db.Rebind(`SELECT count(*) FROM audit_entry_customers WHERE entry_id = ?`), id); err != nil {
					t.Fatal(err)
				}
				if err := db.Get(&own, db.Rebind(`SELECT customer_id FROM audit_entries WHERE id = ?`), id); err != nil {
					t.Fatal(err)
				}
				if links != wantLinks[name] || deref(own) != wantOwn[name] || (own != nil && *own == "") {
					t.Errorf("%s: %d link rows and customer_id %v; want %d and %q", name, links, own, wantLinks[name], wantOwn[name])
				}
			}

			customers := map[string][]string{"one-a": {"a"}, "two-ab": {"a", "b"}, "one-b": {"b"}, "nobody": {},
				"a-twice": {"a"}, "three-cab": {"a", "b", "c"}, "legacy-a": {"a"}}
			check := func(label string, q Query, want ...string) {
				t.Helper()
				got := listAll(t, l, q, names, customers)
				if diff := cmp.Diff(append([]string{}, want...), got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", label, diff)
				}
			}
			all := []string{"three-cab", "legacy-a", "a-twice", "nobody", "one-b", "two-ab", "one-a"}
			check("everything", Query{}, all...)
			check("customer a", Query{CustomerIDs: []string{"a"}}, "three-cab", "legacy-a", "a-twice", "two-ab", "one-a")
			check("customer b", Query{CustomerIDs: []string{"b"}}, "three-cab", "one-b", "two-ab")
			check("customer c", Query{CustomerIDs: []string{"c"}}, "three-cab")
			check("customers a or b, each entry once", Query{CustomerIDs: []string{"a", "b"}},
				"three-cab", "legacy-a", "a-twice", "one-b", "two-ab", "one-a")
			check("nobody's customer", Query{CustomerIDs: []string{"z"}})
			check("subject alice", Query{Subject: "alice"}, "one-b", "one-a")
			check("subject bob", Query{Subject: "bob"}, "nobody", "two-ab")
			check("period", Query{From: at["two-ab"], To: at["a-twice"]}, "nobody", "one-b", "two-ab")
			check("customer a in a period", Query{CustomerIDs: []string{"a"}, From: at["two-ab"], To: at["legacy-a"]}, "a-twice", "two-ab")
			check("customer a and subject dave", Query{CustomerIDs: []string{"a"}, Subject: "dave"}, "legacy-a")
			check("customer b and subject alice", Query{CustomerIDs: []string{"b"}, Subject: "alice"}, "one-b")

			n, err := l.Purge(ctx, 24*time.Hour)
			if err != nil || n != 4 {
				t.Fatalf("purged %d (%v), want the 4 old entries", n, err)
			}
			check("everything after the purge", Query{}, "three-cab", "legacy-a", "a-twice")
			check("customer a after the purge", Query{CustomerIDs: []string{"a"}}, "three-cab", "legacy-a", "a-twice")
			check("customer b after the purge", Query{CustomerIDs: []string{"b"}}, "three-cab")
			check("subject alice after the purge", Query{Subject: "alice"})
			var links int
			if err := db.Get(&links, "SELECT count(*) FROM audit_entry_customers"); err != nil || links != 4 {
				t.Fatalf("link rows after the purge: %d (%v), want 4 (three-cab's 3, legacy-a's 1)", links, err)
			}
		})
	}
}

// listAll reads every page of q, two entries a page so the cursor is crossed, and
// returns the entries' names in order, checking each one's customers on the way.
func listAll(t *testing.T, l *Log, q Query, names map[string]string, customers map[string][]string) []string {
	t.Helper()
	got := []string{}
	q.Limit = 2
	for range 10 {
		page, err := l.List(context.Background(), q, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			name := names[e.ID]
			if diff := cmp.Diff(customers[name], e.CustomerIDs); diff != "" {
				t.Errorf("customers of %s (-want +got):\n%s", name, diff)
			}
			if e.Subject == "" || e.Operation != "getCustomer" || len(e.Roles) != 1 || e.At.IsZero() {
				t.Errorf("%s read back as %+v", name, e)
			}
			got = append(got, name)
		}
		if page.NextCursor == "" {
			return got
		}
		q.After = page.NextCursor
	}
	t.Fatal("more than 10 pages")
	return nil
}

// writeAsBefore00019 stores an entry the way the writer did before migration 00019:
// every customer a link row, none on the entry.
func writeAsBefore00019(t *testing.T, db *store.DB, id string, at time.Time, subject string, customers ...string) {
	t.Helper()
	if _, err := db.Exec(db.Rebind(`INSERT INTO audit_entries (id, at, subject, roles, action, operation, resource, purpose, request_id)
 VALUES (?, ?, ?, 'agent', 'read', 'getCustomer', '/v1/customers/x', '', '')`), id, at, subject); err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		if _, err := db.Exec(db.Rebind(`INSERT INTO audit_entry_customers (entry_id, customer_id, at) VALUES (?, ?, ?)`), id, c, at); err != nil {
			t.Fatal(err)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// unique answers alike whether it scans or takes a map: no "", no repeats, first order.
func TestUnique_DropsEmptyAndRepeatsInFirstOrder(t *testing.T) {
	many := make([]string, 0, 3*uniqueByScan)
	wantMany := make([]string, 0, uniqueByScan+1)
	for i := range uniqueByScan + 1 {
		id := fmt.Sprintf("c%d", i)
		many = append(many, id, "", id)
		wantMany = append(wantMany, id)
	}
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{""}, []string{}},
		{[]string{"a"}, []string{"a"}},
		{[]string{"a", "a"}, []string{"a"}},
		{[]string{"", "a"}, []string{"a"}},
		{[]string{"b", "a", "b", "", "c", "a"}, []string{"b", "a", "c"}},
		{many, wantMany},
	} {
		if got := unique(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("unique(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
