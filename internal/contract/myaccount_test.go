package contract

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
)

func citizen(h *hub, customerID uuid.UUID) *contacthub.ClientWithResponses {
	return h.client(h.token(auth.Claims{Subject: "resident-" + customerID.String()[:8], Roles: []auth.Role{auth.Citizen}, CustomerID: customerID.String()}))
}

func TestMyAccount_AResidentSeesTheirOwnStoryWithoutInternals(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		amara := createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("Amara"), FamilyName: ptr("Okafor")})
		me := citizen(h, amara.Id)

		got, _ := me.GetMeWithResponse(ctx)
		if got.JSON200 == nil || got.JSON200.Id != amara.Id {
			t.Fatalf("me: %s", got.Body)
		}
		patch := contacthub.MePatch{PreferredLanguage: ptr("cy"), Consents: &contacthub.Consents{SmsSurveys: ptr(true)}}
		patch.Address.Set(contacthub.Address{Line1: ptr("1 New Road"), Postcode: ptr("n15 4qr")})
		upd, _ := me.UpdateMeWithResponse(ctx, &contacthub.UpdateMeParams{IfMatch: `"1"`}, patch)
		if upd.JSON200 == nil || *upd.JSON200.Preferences.PreferredLanguage != "cy" || *upd.JSON200.Address.Postcode != "N15 4QR" || !*upd.JSON200.Consents.SmsSurveys {
			t.Fatalf("update me: %s", upd.Body)
		}
		resp, body := h.raw("PATCH", "/v1/me", h.token(auth.Claims{Roles: []auth.Role{auth.Citizen}, CustomerID: amara.Id.String()}), "application/json",
			[]byte(`{"needs":{"vulnerable":false}}`), "If-Match", "*")
		wantProblem(t, http.StatusBadRequest, body, resp.StatusCode, "validation")

		raised, err := me.ContactFromMyAccountWithResponse(ctx, nil, contacthub.MyContactCreate{Service: contacthub.Service{Lgsl: 59}, Summary: ptr("I live alone now")})
		if err != nil || raised.JSON201 == nil || raised.JSON201.Case.Status != contacthub.CaseStatusOpen || raised.JSON201.SelfService == nil {
			t.Fatalf("raise: %v %s", err, raised.Body)
		}
		caseID := raised.JSON201.Case.Id
		ag.AddCaseNoteWithResponse(ctx, caseID, nil, contacthub.NoteCreate{Text: "INTERNAL: check for fraud markers"})
		ag.AddCaseNoteWithResponse(ctx, caseID, nil, contacthub.NoteCreate{Text: "Please send a copy of your tenancy agreement.", Internal: ptr(false)})
		to := contacthub.CasePatchStatusAwaitingCustomer
		ag.UpdateCaseWithResponse(ctx, caseID, &contacthub.UpdateCaseParams{IfMatch: "*"}, contacthub.CasePatch{Status: &to})

		detail, _ := me.GetMyCaseWithResponse(ctx, caseID)
		if detail.JSON200 == nil {
			t.Fatalf("my case: %s", detail.Body)
		}
		text := string(detail.Body)
		for _, secret := range []string{"INTERNAL", "fraud", "agent-alice", "queue", "tier", "assignee"} {
			if strings.Contains(text, secret) {
				t.Fatalf("a citizen's view leaks %q: %s", secret, text)
			}
		}
		var summaries []string
		for _, ev := range detail.JSON200.Events {
			summaries = append(summaries, ev.Summary)
		}
		want := []string{"We are waiting for information from you", "Message from the council: Please send a copy of your tenancy agreement.",
			"You contacted us online", "We opened your enquiry"}
		if strings.Join(summaries, "|") != strings.Join(want, "|") {
			t.Fatalf("events = %q", summaries)
		}
		list, _ := me.ListMyCasesWithResponse(ctx, nil)
		if list.JSON200 == nil || len(list.JSON200.Items) != 1 || *list.JSON200.Items[0].ServiceName != "Council tax discount" {
			t.Fatalf("my cases: %s", list.Body)
		}
		rated, _ := me.RateFromMyAccountWithResponse(ctx, contacthub.RateFromMyAccountJSONRequestBody{Score: 5, CaseId: &caseID})
		if rated.JSON201 == nil || *rated.JSON201.CaseId != caseID {
			t.Fatalf("rate: %s", rated.Body)
		}
	})
}

func TestMyAccount_AuthorisationMatrix(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		a := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("A")})
		b := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("B")})
		bCase, _ := ag.OpenCaseWithResponse(ctx, nil, contacthub.CaseCreate{CustomerId: b.Id, Service: contacthub.Service{Lgsl: 58}})
		other := bCase.JSON201.Id.String()
		tokens := map[string]string{
			"citizen":     h.token(auth.Claims{Subject: "res-a", Roles: []auth.Role{auth.Citizen}, CustomerID: a.Id.String()}),
			"landlord":    h.token(auth.Claims{Subject: "ll", Roles: []auth.Role{auth.Landlord}, LandlordID: uuid.NewString()}),
			"agent":       h.token(agentClaims()),
			"integration": h.token(auth.Claims{Subject: "sys", Roles: []auth.Role{auth.Integration}}),
			"no token":    "",
		}
		ops := []struct{ method, path, body string }{
			{"GET", "/v1/me", ""},
			{"PATCH", "/v1/me", `{"preferredLanguage":"pl"}`},
			{"GET", "/v1/me/cases", ""},
			{"GET", "/v1/me/cases/" + other, ""},
			{"POST", "/v1/me/contacts", `{"service":{"lgsl":58},"caseId":"` + other + `"}`},
			{"POST", "/v1/me/ratings", `{"score":1,"caseId":"` + other + `"}`},
		}
		for who, tok := range tokens {
			for _, op := range ops {
				ct := ""
				if op.body != "" {
					ct = "application/json"
				}
				resp, body := h.raw(op.method, op.path, tok, ct, []byte(op.body), "If-Match", "*")
				switch who {
				case "no token":
					wantProblem(t, http.StatusUnauthorized, body, resp.StatusCode, "unauthenticated")
				case "citizen":
					// Their own record works; someone else's case does not exist for them.
					if strings.Contains(op.path+op.body, other) {
						wantProblem(t, http.StatusNotFound, body, resp.StatusCode, "not-found")
					} else if resp.StatusCode >= 300 {
						t.Errorf("citizen %s %s: %d %s", op.method, op.path, resp.StatusCode, body)
					}
				default:
					wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
				}
			}
		}
		if n := h.count("ratings"); n != 0 {
			t.Fatalf("%d ratings written through refused requests", n)
		}
		var contactsOnB int
		if err := h.app.DB.Get(&contactsOnB, h.app.DB.Rebind("SELECT count(*) FROM contacts WHERE customer_id = ?"), b.Id.String()); err != nil || contactsOnB != 0 {
			t.Fatalf("a contact was written on B's record: %d %v", contactsOnB, err)
		}
	})
}
