package privacy

import (
	"testing"
	"time"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/timeline"
)

func TestForResident_KeepsWhatTheResidentMaySeeOnly(t *testing.T) {
	four, five := 4, 5
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	x := Export{GeneratedAt: at,
		Cases: []CaseExport{{Case: casework.Case{ID: "case-1"}, Timeline: []timeline.Event{
			{Kind: "case.note", Raw: []byte(`{"text":"internal: check the landlord","internal":true}`)},
			{Kind: "case.note", Raw: []byte(`{"text":"We have your form.","internal":false}`)},
		}}},
		Contacts: []intake.Contact{{ID: "contact-1", Channel: "phone", Agent: "agent-alice", Summary: "staff words", CaseID: "case-1",
			Service: casework.Service{LGSL: 58}, StartedAt: at}},
		Ratings: []satisfaction.Rating{
			{ID: "r1", Source: satisfaction.SMS, Score: &four, Comment: "kind", Agent: "agent-alice"},
			{ID: "r2", Source: satisfaction.AgentRecorded, Score: &five, Comment: "the advisor's note"},
			{ID: "r3", Source: satisfaction.SMS, Comment: "an unscored text"},
		},
	}
	// A view that shows resident notes only, as casework's does.
	view := func(ev timeline.Event) (string, bool) {
		f := ev.Fields()
		if internal, _ := f["internal"].(bool); internal {
			return "", false
		}
		text, _ := f["text"].(string)
		return text, true
	}
	got := ForResident(x, view)
	if len(got.Cases) != 1 || len(got.Cases[0].Events) != 1 || got.Cases[0].Events[0].Summary != "We have your form." {
		t.Fatalf("cases %+v", got.Cases)
	}
	if len(got.Contacts) != 1 || got.Contacts[0] != (ResidentContact{ID: "contact-1", Channel: "phone", CaseID: "case-1", LGSL: 58, StartedAt: at}) {
		t.Fatalf("contacts %+v", got.Contacts)
	}
	if len(got.Ratings) != 1 || got.Ratings[0].ID != "r1" || got.Ratings[0].Score != 4 || got.Ratings[0].Comment != "kind" {
		t.Fatalf("ratings %+v", got.Ratings)
	}
}
