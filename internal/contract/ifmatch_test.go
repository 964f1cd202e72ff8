package contract

import (
	"encoding/json"
	"net/http"
	"testing"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
)

// TestIfMatch_EveryUpdateThatNeedsItAnswers428WithoutIt: the contract marks If-Match
// required on the five updates that refuse to guess a version, so a client generated
// from it must send one. Sent without it (or empty) anyway, each answers 428
// precondition-required — not the validator's 400 — and the resource keeps its version.
func TestIfMatch_EveryUpdateThatNeedsItAnswers428WithoutIt(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) { // a hub that takes the test's http subscription
		agentTok := h.agentToken()
		customer := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		recorded, err := h.agent().RecordContactWithResponse(ctx, nil, contacthub.ContactCreate{
			Channel: contacthub.ChannelPhone, CustomerId: &customer.Id, Service: contacthub.Service{Lgsl: 59}})
		if err != nil || recorded.JSON201 == nil {
			t.Fatalf("record contact: %v", err)
		}
		opened, err := recorded.JSON201.Case.Get()
		if err != nil {
			t.Fatalf("the contact opened no case: %s", recorded.Body)
		}
		citizenTok := h.token(auth.Claims{Subject: "resident-1", Roles: []auth.Role{auth.Citizen}, CustomerID: customer.Id.String()})
		integrationTok := h.token(auth.Claims{Subject: "crm", Roles: []auth.Role{auth.Integration}})
		resp, body := h.raw(http.MethodPost, "/v1/webhooks", integrationTok, "application/json",
			[]byte(`{"url":"`+authzWebhookURL+`","eventTypes":["case.resolved"]}`))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create webhook: %d %s", resp.StatusCode, body)
		}
		var hook struct{ ID string }
		if err := json.Unmarshal(body, &hook); err != nil {
			t.Fatal(err)
		}

		updates := []struct{ name, path, token, body string }{
			{"updateCustomer", "/v1/customers/" + customer.Id.String(), agentTok, `{"familyName":"Nowak"}`},
			{"updateContact", "/v1/contacts/" + recorded.JSON201.Contact.Id.String(), agentTok, `{"summary":"changed"}`},
			{"updateCase", "/v1/cases/" + opened.Id.String(), agentTok, `{"priority":1}`},
			{"updateMe", "/v1/me", citizenTok, `{"preferredLanguage":"cy"}`},
			{"updateWebhook", "/v1/webhooks/" + hook.ID, integrationTok, `{"description":"changed"}`},
		}
		for _, u := range updates {
			for _, header := range [][]string{nil, {"If-Match", ""}} {
				_, before := h.raw(http.MethodGet, u.path, u.token, "", nil)
				resp, body := h.raw(http.MethodPatch, u.path, u.token, "application/json", []byte(u.body), header...)
				wantProblem(t, http.StatusPreconditionRequired, body, resp.StatusCode, "precondition-required")
				if _, after := h.raw(http.MethodGet, u.path, u.token, "", nil); versionOf(t, after) != versionOf(t, before) {
					t.Errorf("%s without If-Match (%v) changed the resource: %s", u.name, header, after)
				}
			}
		}
	})
}

func versionOf(t *testing.T, body []byte) int {
	t.Helper()
	var v struct{ Version int }
	if err := json.Unmarshal(body, &v); err != nil || v.Version == 0 {
		t.Fatalf("no version in %s (%v)", body, err)
	}
	return v.Version
}
