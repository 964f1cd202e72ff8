package store

import (
	"fmt"
	"slices"
	"testing"
)

type channel string // a named string type, as domain keys are

// Held counts go after the appends, ordered by table and then by their row's key
// columns compared as values (9 before 10, named strings as strings), whatever order
// they were held in; appends keep theirs.
func TestInSendingOrder_CountsByTableThenRowAfterTheAppends(t *testing.T) {
	count := func(table string, row ...any) appendStmt {
		return appendStmt{query: table, table: table, row: row, args: append(row, 1)}
	}
	held := []appendStmt{
		count("handoff_daily", "2026-12-01", 58, channel("phone"), "tier_up", 1, 2),
		{query: "insert x"},
		count("contact_quarter", channel("phone"), int64(10), 58, ""),
		count("contact_daily", "2026-12-01", channel("web"), 58, ""),
		{query: "insert y"},
		count("contact_quarter", channel("phone"), int64(9), 58, ""),
		count("contact_daily", "2026-12-01", channel("ivr"), 58, ""),
		count("flags", true),
		count("flags", false),
	}
	var got []string
	for _, s := range inSendingOrder(held) {
		got = append(got, fmt.Sprint(s.query, s.row))
	}
	want := []string{"insert x[]", "insert y[]",
		"contact_daily[2026-12-01 ivr 58 ]", "contact_daily[2026-12-01 web 58 ]",
		"contact_quarter[phone 9 58 ]", "contact_quarter[phone 10 58 ]",
		"flags[false]", "flags[true]",
		"handoff_daily[2026-12-01 58 phone tier_up 1 2]"}
	if !slices.Equal(got, want) {
		t.Fatalf("sent\n%q\nwant\n%q", got, want)
	}
}

// Comparing two rows' keys allocates nothing (the key used to be built with
// fmt.Sprintf by every caller).
func TestCompareCounts_AllocatesNothing(t *testing.T) {
	a := appendStmt{table: "contact_daily", row: []any{"2026-12-01", channel("ivr"), 58, ""}}
	b := appendStmt{table: "contact_daily", row: []any{"2026-12-01", channel("ivr"), 58, "east"}}
	if n := testing.AllocsPerRun(100, func() {
		if compareCounts(a, b) >= 0 {
			t.Fatal("wrong order")
		}
	}); n != 0 {
		t.Fatalf("%v allocations a comparison, want 0", n)
	}
}
