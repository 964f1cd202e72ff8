package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/timeline"
)

func TestSeen_KeepsTheStrongestActionAndOnlyRealCustomers(t *testing.T) {
	a := &access{}
	ctx := context.WithValue(context.Background(), accessKey{}, a)
	seen(ctx, audit.Export, "") // nobody: no action
	if a.action != "" || len(a.customers) != 0 {
		t.Fatalf("an empty id noted %q %v", a.action, a.customers)
	}
	seen(ctx, audit.Write, "c1")
	seen(ctx, audit.Read, "c2", "c1")
	if a.action != audit.Write || len(a.customers) != 3 {
		t.Fatalf("action %q customers %v, want write and three notes", a.action, a.customers)
	}
	seen(context.Background(), audit.Read, "c3") // outside an audited request: nothing, no panic
}

func TestOperationID_IsTheSpecsName(t *testing.T) {
	for goName, want := range map[string]string{"GetCustomer": "getCustomer", "PostIVREvent": "postIVREvent", "ExportMe": "exportMe"} {
		if got := operationID(goName); got != want {
			t.Fatalf("operationID(%q) = %q, want %q", goName, got, want)
		}
	}
}

func TestToNotes_MarksEachNoteInternalOrResident(t *testing.T) {
	evs := []timeline.Event{
		{ID: "0193a6f0-0000-7000-8000-000000000001", Kind: "case.note", Actor: timeline.Actor{Subject: "agent-alice", Role: "agent"},
			Raw: []byte(`{"text":"check the landlord","internal":true}`)},
		{ID: "0193a6f0-0000-7000-8000-000000000002", Kind: "case.status_changed", Raw: []byte(`{"from":"open","to":"resolved"}`)},
		{ID: "0193a6f0-0000-7000-8000-000000000003", Kind: "case.note", Actor: timeline.Actor{Subject: "agent-bob", Role: "agent"},
			Raw: []byte(`{"text":"We have your form.","internal":false}`)},
	}
	notes := toNotes(evs)
	if len(notes) != 2 {
		t.Fatalf("%d notes, want 2", len(notes))
	}
	if notes[0].Text != "check the landlord" || notes[0].Visibility != "internal" || notes[0].Author.Subject != "agent-alice" {
		t.Fatalf("first note %+v", notes[0])
	}
	if notes[1].Text != "We have your form." || notes[1].Visibility != "resident" || notes[1].Id.String() != evs[2].ID {
		t.Fatalf("second note %+v", notes[1])
	}
}

func TestPurposeOr_StatedFirstThenTheHeaderCutOnACharacter(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(purposeHeader, "  "+strings.Repeat("é", 150)+"  ") // 300 bytes
	got := (&access{}).purposeOr(req)
	if len(got) > maxPurpose || !utf8.ValidString(got) || got != strings.Repeat("é", 100) {
		t.Fatalf("purpose %q (%d bytes)", got, len(got))
	}
	if got := (&access{purpose: "article 17"}).purposeOr(req); got != "article 17" {
		t.Fatalf("stated purpose lost: %q", got)
	}
}
