package casework

import (
	"encoding/json"
	"testing"

	"github.com/council/contacthub/internal/timeline"
)

func TestForResident_InternalWorkIsNeverShown(t *testing.T) {
	for _, tc := range []struct {
		kind, data string
		want       string
		shown      bool
	}{
		{EventNote, `{"text":"check for fraud","internal":true}`, "", false},
		{EventNote, `{"text":"no flag: treat as internal"}`, "", false},
		{EventNote, `{"text":"Please send your tenancy agreement.","internal":false}`, "Message from the council: Please send your tenancy agreement.", true},
		{EventClaimed, `{"queue":"fraud","assignee":"agent-alice"}`, "", false},
		{EventAssigned, `{"from":"","to":"agent-alice"}`, "", false},
		{EventReleased, `{"queue":"fraud","from":"agent-alice"}`, "", false},
		{EventUpdated, `{"fields":["priority"]}`, "", false},
		{EventContactLinked, `{"contactId":"x"}`, "", false},
		{EventStatusChanged, `{"from":"open","to":"awaiting_customer"}`, "We are waiting for information from you", true},
		{EventHandedOff, `{"toQueue":"fraud","reason":"complexity"}`, "Your enquiry was passed to the team that can resolve it", true},
		{"something.new", `{}`, "", false},
	} {
		t.Run(tc.kind+" "+tc.data, func(t *testing.T) {
			got, shown := ForResident(timeline.Event{Kind: tc.kind, Raw: json.RawMessage(tc.data)})
			if got != tc.want || shown != tc.shown {
				t.Fatalf("ForResident = %q, %v; want %q, %v", got, shown, tc.want, tc.shown)
			}
		})
	}
}
