package httpapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/event"
)

func TestToEventTypes_CarriesEveryFieldAndPointsIntoTheServedContract(t *testing.T) {
	in := []event.Type{
		{Name: "case.resolved", Version: 2, Schema: "CaseResolvedEvent", About: "a case was resolved"},
		{Name: "routing.rules_activated", Version: 1, Schema: "RulesActivatedEvent", About: "rules", OutboxOnly: true},
	}
	want := api.EventTypeList{Items: []api.EventType{
		{Name: "case.resolved", Version: 2, Schema: "/openapi.yaml#/components/schemas/CaseResolvedEvent", About: "a case was resolved"},
		{Name: "routing.rules_activated", Version: 1, Schema: "/openapi.yaml#/components/schemas/RulesActivatedEvent", About: "rules", OutboxOnly: true},
	}}
	if diff := cmp.Diff(want, toEventTypes(in)); diff != "" {
		t.Errorf("toEventTypes (-want +got):\n%s", diff)
	}
	if got := toEventTypes(nil); got.Items == nil {
		t.Errorf("no types must answer an empty list, not null")
	}
}
