package customer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/timeline"
)

func TestViaOf_NamesHowTheConsentReachedUs(t *testing.T) {
	for _, tc := range []struct{ role, want string }{
		{"citizen", event.ViaMyAccount},
		{"agent", event.ViaAgent},
		{"supervisor", event.ViaAgent},
		{"integration", event.ViaIntegration},
	} {
		if got := viaOf(Actor{Subject: "x", Role: tc.role}); got != tc.want {
			t.Errorf("viaOf(%s) = %q, want %q", tc.role, got, tc.want)
		}
	}
}

func TestUpdateChanges_AConsentChangeIsToldBesideTheUpdate(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	agent := Actor{Subject: "agent-alice", Role: "agent"}
	before := Customer{ID: "c1", GivenName: "Tom"}
	renamed := Customer{ID: "c1", GivenName: "Tomasz", UpdatedAt: at}
	consented := Customer{ID: "c1", GivenName: "Tom", Consents: Consents{SMSSurveys: true}, UpdatedAt: at}
	for _, tc := range []struct {
		name   string
		after  Customer
		fields []string
		want   []event.Payload
	}{
		{"a name", renamed, []string{"givenName"}, []event.Payload{event.CustomerUpdatedData{Fields: []string{"givenName"}}}},
		{"a consent", consented, []string{"consents.smsSurveys"}, []event.Payload{
			event.CustomerUpdatedData{Fields: []string{"consents.smsSurveys"}},
			event.CustomerConsentChangedData{Consent: "smsSurveys", Given: true, Via: "agent"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := updateChanges(agent, before, tc.after, tc.fields)
			var got []event.Payload
			for _, c := range changes {
				if c.CustomerID != "c1" || c.Actor != agent || !c.At.Equal(at) {
					t.Fatalf("change placed as %+v", c)
				}
				got = append(got, c.Payload)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestForResident_ShowsOnlyTheResidentsOwnConsents(t *testing.T) {
	ev := func(kind string, data any) timeline.Event {
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		return timeline.Event{Kind: kind, Raw: raw}
	}
	for _, tc := range []struct {
		name  string
		ev    timeline.Event
		want  string
		shown bool
	}{
		{"STOP", ev(EventConsentChanged, event.CustomerConsentChangedData{Consent: "smsSurveys", Via: "sms_reply"}),
			"You replied STOP: we will not send you surveys by text", true},
		{"withdrawn in My Account", ev(EventConsentChanged, event.CustomerConsentChangedData{Consent: "smsSurveys", Via: "my_account"}),
			"You asked us not to send you surveys by text", true},
		{"given to an agent", ev(EventConsentChanged, event.CustomerConsentChangedData{Consent: "smsSurveys", Given: true, Via: "agent"}),
			"You agreed to be sent surveys by text", true},
		{"an unknown consent", ev(EventConsentChanged, event.CustomerConsentChangedData{Consent: "letters", Given: true}), "", false},
		{"given unreadable", ev(EventConsentChanged, map[string]any{"consent": "smsSurveys"}), "", false},
		{"an edit of the record", ev(EventUpdated, event.CustomerUpdatedData{Fields: []string{"givenName"}}), "", false},
		{"a merge", ev(EventMerged, event.CustomerMergedData{MergeID: "m"}), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, shown := ForResident(tc.ev)
			if got != tc.want || shown != tc.shown {
				t.Fatalf("ForResident = %q, %v; want %q, %v", got, shown, tc.want, tc.shown)
			}
		})
	}
}
