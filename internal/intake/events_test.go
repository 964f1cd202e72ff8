package intake

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/event"
)

func TestChange_PlacesTheContactAndKeysAnUnlinkedOneByItself(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	agent := Actor{Subject: "agent-1", Role: "agent"}
	what := event.ContactUpdatedData{ContactID: "c1", Fields: []string{"summary"}, Outcome: "in_progress"}
	for _, tc := range []struct {
		name    string
		contact Contact
		queue   string
		want    event.Change
	}{
		{"on a case: the case orders its messages",
			Contact{ID: "c1", CustomerID: "p1", CaseID: "k1", Service: casework.Service{LGSL: 58}}, "advisors",
			event.Change{CustomerID: "p1", CaseID: "k1", Actor: agent, At: at, Payload: what, Service: 58, Queue: "advisors"}},
		{"an unknown caller: keyed by the contact, so its update follows its recording",
			Contact{ID: "c1", Service: casework.Service{LGSL: 474}}, "",
			event.Change{Key: "c1", Actor: agent, At: at, Payload: what, Service: 474}},
	} {
		if diff := cmp.Diff(tc.want, change(tc.contact, agent, at, tc.queue, what)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
