package intake

import (
	"testing"
	"time"

	"github.com/council/contacthub/internal/casework"
)

func TestAvoidable_ReasonsAndTheWindowEdge(t *testing.T) {
	window := 7 * 24 * time.Hour
	last := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	open := casework.Case{ID: "c", Status: casework.Open, LastContactAt: last, SLADueAt: last.Add(30 * 24 * time.Hour)}
	for _, tc := range []struct {
		name   string
		intent string
		joined casework.Case
		at     time.Time
		want   string
	}{
		{"new case", "", casework.Case{}, last, ""},
		{"progress chasing on a new case", ProgressChasing, casework.Case{}, last, ProgressChasing},
		{"misdirected", Misdirected, open, last, Misdirected},
		{"repeat within the window", "", open, last.Add(window - time.Microsecond), Repeat},
		{"repeat exactly at the window", "", open, last.Add(window), Repeat},
		{"just past the window", "", open, last.Add(window + time.Microsecond), ""},
		{"a contact on a case past its SLA", "", open, open.SLADueAt.Add(time.Minute), PastSLA},
		{"chasing a reply on a case past its SLA says so", ChasingResponse, open, open.SLADueAt.Add(time.Minute), ChasingResponse},
		{"past SLA wins over repeat", "", casework.Case{ID: "c", Status: casework.Open, SLADueAt: last.Add(time.Minute), LastContactAt: last}, last.Add(time.Hour), PastSLA},
		{"intent wins over repeat", ChasingResponse, open, last.Add(time.Hour), ChasingResponse},
		{"first contact on a case opened directly", "", casework.Case{ID: "c", Status: casework.Open, SLADueAt: last.Add(time.Hour)}, last, ""},
	} {
		if got := avoidable(tc.intent, tc.joined, tc.at, window); got != tc.want {
			t.Errorf("%s: avoidable = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestContactTally_CountsTheContactItsOutcomeReasonAndOpenedTier(t *testing.T) {
	c := Contact{Outcome: HandedOff, AvoidableReason: Repeat}
	got := contactTally(c, 2)
	want := map[string]int{"contacts": 1, "handed_off": 1, "avoidable_repeat": 1, "opened_tier_2": 1}
	for i, col := range rollupColumns {
		if got[i] != want[col] {
			t.Errorf("%s = %d, want %d", col, got[i], want[col])
		}
	}
	var moved tally
	moved.add(string(InProgress), -1)
	moved.add(string(ResolvedFirstContact), 1)
	moved.add("not_a_column", 1)
	if moved[rollupColumn["in_progress"]] != -1 || moved[rollupColumn["resolved_first_contact"]] != 1 || moved[rollupColumn["contacts"]] != 0 {
		t.Fatalf("moved = %v", moved)
	}
	// Every outcome and avoidable reason intake records has a column.
	for _, o := range []Outcome{InProgress, ResolvedFirstContact, SelfServed, HandedOff, Referred, Abandoned} {
		if _, ok := rollupColumn[string(o)]; !ok {
			t.Errorf("outcome %s has no column", o)
		}
	}
	for _, r := range []string{Repeat, ProgressChasing, ChasingResponse, PastSLA, Misdirected} {
		if _, ok := rollupColumn["avoidable_"+r]; !ok {
			t.Errorf("reason %s has no column", r)
		}
	}
}
