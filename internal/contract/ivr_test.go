package contract

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/config"
)

const ivrToken = "ivr-shared-token-0123456789"

func ivrHub(t *testing.T, b backend) *hub {
	notify := newFakeNotify(t)
	return surveyHub(t, b, func(c *config.Config) {
		c.IVRToken = ivrToken
		c.SMSProvider, c.NotifyAPIKey, c.NotifyBaseURL, c.NotifyTemplateID = "notify", notifyKey, notify.server.URL, "t"
		c.SurveyPoll = time.Hour
	})
}

// event posts one IVR event with the static token and decodes the answer.
func event(t *testing.T, h *hub, body map[string]any, query string) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, out := h.raw("POST", "/v1/ivr/events"+query, "", "application/json", raw, "X-IVR-Token", ivrToken)
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return resp.StatusCode, m
}

func TestIVR_AFullCallLeavesOneContactHandoffRatingAndSurveyDecision(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := ivrHub(t, b)
			ag := h.agent()
			cust := createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("Amara"), FamilyName: ptr("Okafor"),
				Consents: &contacthub.Consents{SmsSurveys: ptr(true)}, Needs: &contacthub.Needs{AssistedDigital: ptr(true)},
				Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
			start := time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)
			status, ans := event(t, h, map[string]any{"event": "newCall", "callId": "call-1", "from": "447700900123", "to": "02079460000",
				"direction": "in", "at": start.Format(time.RFC3339), "attributes": map[string]string{"menu": "1"}}, "")
			if status != 200 || ans["duplicate"] != false || ans["state"] != "ringing" {
				t.Fatalf("newCall: %d %v", status, ans)
			}
			customer := ans["customer"].(map[string]any)
			routing := ans["routing"].(map[string]any)
			if customer["id"] != cust.Id.String() || customer["displayName"] != "Amara Okafor" || routing["queue"] != "advisors" || ans["selfServiceFits"] != true {
				t.Fatalf("newCall answer: %v", ans)
			}
			if open := ans["openCases"].([]any); len(open) != 1 {
				t.Fatalf("open cases: %v", open)
			}
			contactID := ans["contactId"].(string)

			written := []int{h.count("contacts"), h.count("cases"), h.count("timeline_events"), h.count("outbox"), h.count("ivr_calls"), h.count("ivr_events")}
			status, again := event(t, h, map[string]any{"event": "newCall", "callId": "call-1", "from": "447700900123"}, "?format=flat")
			if status != 200 || again["contactId"] != contactID || again["customerId"] != cust.Id.String() || again["queue"] != "advisors" || again["openCases"] != "1" {
				t.Fatalf("repeated newCall, flat: %d %v", status, again)
			}
			if after := []int{h.count("contacts"), h.count("cases"), h.count("timeline_events"), h.count("outbox"), h.count("ivr_calls"), h.count("ivr_events")}; !slices.Equal(after, written) {
				t.Fatalf("a repeated newCall wrote something: contacts, cases, timeline, outbox, calls, events %v then %v", written, after)
			}
			for k, v := range again {
				if _, ok := v.(string); !ok {
					t.Fatalf("flat answer has a non-string %s: %v", k, v)
				}
			}
			steps := []map[string]any{
				{"event": "answer", "callId": "call-1", "user": "agent-olu", "at": start.Add(time.Minute).Format(time.RFC3339)},
				{"event": "transfer", "callId": "call-1", "queue": "blt-officers", "at": start.Add(2 * time.Minute).Format(time.RFC3339)},
				{"event": "hangup", "callId": "call-1", "cause": "normalClearing", "at": start.Add(4 * time.Minute).Format(time.RFC3339)},
				{"event": "dtmf", "callId": "call-1", "digits": "4", "attributes": map[string]string{"purpose": "survey"}},
				{"event": "hangup", "callId": "call-1", "cause": "normalClearing"},                                         // a repeat
				{"event": "answer", "callId": "call-1", "user": "agent-late", "sequence": 1},                               // late, after the hang-up
				{"event": "dtmf", "callId": "call-1", "digits": "4", "attributes": map[string]string{"purpose": "survey"}}, // a repeat
			}
			for _, s := range steps {
				if status, out := event(t, h, s, ""); status != 200 {
					t.Fatalf("%v: %d %v", s, status, out)
				}
			}
			if h.count("contacts") != 1 || h.count("case_handoffs") != 1 || h.count("ratings") != 1 || h.count("surveys") != 1 {
				t.Fatalf("contacts %d hand-offs %d ratings %d surveys %d", h.count("contacts"), h.count("case_handoffs"), h.count("ratings"), h.count("surveys"))
			}
			contact, _ := ag.GetContactWithResponse(ctx, mustParse(t, contactID))
			if contact.JSON200.EndedAt == nil || *contact.JSON200.Agent != "agent-olu" || contact.JSON200.Channel != contacthub.ChannelIvr {
				t.Fatalf("contact = %+v", contact.JSON200)
			}
			var state string
			if err := h.app.DB.Get(&state, "SELECT state FROM ivr_calls"); err != nil || state != "ended" {
				t.Fatalf("call state %q %v", state, err)
			}
		})
	}
}

func TestIVR_UnknownCallersAuthAndUnknownCalls(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := ivrHub(t, b)
			status, ans := event(t, h, map[string]any{"event": "newCall", "callId": "call-x", "from": "07700900999", "attributes": map[string]string{"service": "474"}}, "")
			if status != 200 || ans["customer"] != nil || ans["routing"].(map[string]any)["rule"] != "parking" {
				t.Fatalf("unknown caller: %d %v", status, ans)
			}
			if h.count("customers") != 0 || h.count("contacts") != 1 {
				t.Fatal("an unknown caller should leave a contact and no customer")
			}
			var kept string
			if err := h.app.DB.Get(&kept, "SELECT identifiers FROM contacts"); err != nil || !strings.Contains(kept, "+447700900999") {
				t.Fatalf("the caller's number was not kept: %q", kept)
			}
			if status, out := event(t, h, map[string]any{"event": "hangup", "callId": "never-started"}, ""); status != 404 {
				t.Fatalf("unknown call: %d %v", status, out)
			}
			body := []byte(`{"event":"newCall","callId":"c2","from":"07700900998"}`)
			resp, out := h.raw("POST", "/v1/ivr/events", "", "application/json", body, "X-IVR-Token", "not-the-token-at-all")
			wantProblem(t, http.StatusUnauthorized, out, resp.StatusCode, "unauthenticated")
			resp, out = h.raw("POST", "/v1/ivr/events", "", "application/json", body)
			wantProblem(t, http.StatusUnauthorized, out, resp.StatusCode, "unauthenticated")
			resp, out = h.raw("POST", "/v1/ivr/events", h.token(agentClaims()), "application/json", body)
			wantProblem(t, http.StatusForbidden, out, resp.StatusCode, "forbidden")
			resp, out = h.raw("POST", "/v1/ivr/events", "", "application/json", []byte(`{"event":"ring","callId":"c3"}`), "X-IVR-Token", ivrToken)
			wantProblem(t, http.StatusBadRequest, out, resp.StatusCode, "validation")
			if h.count("contacts") != 1 {
				t.Fatal("a refused event wrote a contact")
			}
		})
	}
}
