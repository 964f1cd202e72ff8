package privacy

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScrubData_RemovesWhatPeopleWroteAndKeepsCodes(t *testing.T) {
	for _, tc := range []struct {
		kind, in, want string
		changed        bool
	}{
		{"case.note", `{"text":"spoke to her partner","internal":true}`, `{"text":"[erased]","internal":true}`, true},
		{"case.resolved", `{"resolutionCode":"advice_given","firstContact":false,"note":"told her the rules"}`,
			`{"resolutionCode":"advice_given","firstContact":false,"note":"[erased]"}`, true},
		{"case.reopened", `{"reason":"she rang back upset"}`, `{"reason":"[erased]"}`, true},
		// A hand-off's reason is a code the reports count; its note is free text.
		{"case.handed_off", `{"reason":"complexity","note":"her income","toTier":2}`, `{"reason":"complexity","note":"[erased]","toTier":2}`, true},
		{"survey.skipped", `{"contactId":"x","reason":"no_consent"}`, `{"contactId":"x","reason":"no_consent"}`, false},
		{"referral.made", `{"partner":"dwp","reason":"pension credit"}`, `{"partner":"dwp","reason":"[erased]"}`, true},
		{"rating.recorded", `{"score":4,"comment":"lovely"}`, `{"score":4,"comment":"[erased]"}`, true},
		{"case.opened", `{"queue":"advisors","why":"rule x matched"}`, `{"queue":"advisors","why":"rule x matched"}`, false},
		{"case.note", `{"text":"","internal":false}`, `{"text":"","internal":false}`, false},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			got, changed, err := ScrubData(tc.kind, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Fatalf("scrubbed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScrubMessage_ScrubsTheDataOfAnOutboxMessage(t *testing.T) {
	in := `{"id":"e1","type":"case.note","version":1,"caseId":"c1","actor":{"subject":"a","role":"agent"},"data":{"text":"her address","internal":false}}`
	got, changed, err := scrubMessage([]byte(in))
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	var m struct {
		ID   string         `json:"id"`
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != "e1" || m.Type != "case.note" || m.Data["text"] != Erased || m.Data["internal"] != false {
		t.Fatalf("scrubbed message = %s", got)
	}
}
