package contract

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/auth"
	events "github.com/council/contacthub/internal/event"
)

// Every change is one typed event, recorded in its transaction (issue 13): this walks
// every write operation of openapi.yaml (POST, PUT, PATCH, DELETE), makes one successful
// request of each, and fails unless the outbox gained a message of the catalogue —
// topic a type's name, body an EventMessage of that type whose data is that type's
// payload — and nothing else (no message outside the catalogue or in an older shape). A write that legitimately records nothing is listed in recordsNothing, with
// why; a write neither exercised nor listed fails too, so a new route cannot ship
// without its event or its reason.

// recordsNothing are the write operations that commit no event, and why.
var recordsNothing = map[string]string{
	// Read-only POSTs: their bodies are questions, not changes.
	"matchCustomer":   "scores candidate records for the details given; writes nothing",
	"decideRouting":   "where an enquiry would go, and why; writes nothing",
	"simulateRouting": "what candidate rules would do to past contacts; writes nothing",
	"planStaffing":    "the staff the figures given (or the forecast) need; writes nothing",
	// Delivery receipts change a survey's delivery status, the hub's own bookkeeping of a
	// send, which the catalogue does not tell (the send itself is survey.sent).
	"notifyDeliveryStatus": "a delivery receipt: bookkeeping of a send, not an event of the catalogue",
	"twilioMessageStatus":  "a delivery receipt: bookkeeping of a send, not an event of the catalogue",
	// Webhook subscriptions are the hub's own set-up for one integration, not a change
	// to residents' records; an event would also risk carrying a secret.
	"createWebhook":        "a webhook subscription: set-up of a receiver, not an event of the catalogue",
	"updateWebhook":        "a webhook subscription: set-up of a receiver, not an event of the catalogue",
	"deleteWebhook":        "a webhook subscription: set-up of a receiver, not an event of the catalogue",
	"rotateWebhookSecret":  "a new signing secret: never told in an event",
	"retryWebhookDelivery": "sends an event again: bookkeeping of a delivery, not a new event",
	"replayWebhook":        "sends events again: bookkeeping of deliveries, not new events",
}

// eventTries are requests of write operations whose authorisation try changes nothing
// when it succeeds (a survey reply from an unknown number, a claim on a queue that may
// be empty): here each makes a change that has an event.
func eventTries() map[string]func(t *testing.T, w *world) (role, cellReq) {
	return map[string]func(t *testing.T, w *world) (role, cellReq){
		// STOP from a consenting customer's mobile withdraws their consent.
		"notifyReceivedText": func(t *testing.T, w *world) (role, cellReq) {
			r := post("/v1/callbacks/notify/received-text", js{"id": fmt.Sprint("events-", w.unique()), "source_number": w.consentingMobile(t), "message": "STOP"})
			r.token = ptr(authzNotifyToken)
			return anonymous, r
		},
		"twilioInboundSMS": func(t *testing.T, w *world) (role, cellReq) {
			return anonymous, twilio("/v1/callbacks/twilio/sms", url.Values{"MessageSid": {fmt.Sprint("SM-events-", w.unique())},
				"From": {w.consentingMobile(t)}, "Body": {"STOP"}}, true)
		},
		// A contact opens a routed case, which waits in its queue: claim it.
		"claimNextCase": func(t *testing.T, w *world) (role, cellReq) {
			c := w.call(t, w.admin, "POST", "/v1/contacts", js{"channel": "phone", "service": js{"lgsl": 58},
				"customerId": w.newCustomer(t, "Claimable")}, http.StatusCreated)
			queue, _ := c["case"].(map[string]any)["queue"].(string)
			return adminRole, post("/v1/queues/"+queue+"/claim", nil)
		},
		// Compliance (issue 17): the authorisation try is a dry run; this one samples a
		// freshly resolved case.
		"startQARun": func(t *testing.T, w *world) (role, cellReq) {
			w.resolvedCase(t, ownResource)
			w.publishQAPlan(t)
			return qaRole, post("/v1/qa/runs", js{"from": time.Now().Add(-time.Minute).UTC(), "to": time.Now().Add(time.Minute).UTC()})
		},
	}
}

// consentingMobile is the mobile number of a new customer who consents to SMS surveys.
func (w *world) consentingMobile(t *testing.T) string {
	t.Helper()
	phone := fmt.Sprintf("+4477009%05d", w.unique())
	w.call(t, w.admin, "POST", "/v1/customers", js{"familyName": "Consenting", "consents": js{"smsSurveys": true},
		"identifiers": []js{{"kind": "phone", "value": phone}}}, http.StatusCreated)
	return phone
}

func TestEvents_EveryWriteOperationRecordsATypedEvent(t *testing.T) {
	everyOperationTried(t, writeOperations(t), recordsNothing, "recordsNothing",
		"write operations do not record their change as typed events", (*world).recordsEvent)
}

// everyOperationTried tries each operation of ops not excused (with why) in excused, as
// its own try or the first successful cell of the authorisation table, on every backend,
// and fails listing each one check finds wrong (check answers "" when nothing is).
func everyOperationTried(t *testing.T, ops map[string]bool, excused map[string]string, excusedName, wrong string,
	check func(w *world, t *testing.T, r role, req cellReq) string) {
	t.Helper()
	for op := range excused {
		if !ops[op] {
			t.Errorf("%s lists %s, which is not one of the operations this test walks", excusedName, op)
		}
	}
	table := parsePolicy(t)
	overrides := eventTries()
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := authzWorld(t, b)
			var missing []string
			for _, op := range slices.Sorted(maps.Keys(ops)) {
				if _, ok := excused[op]; ok {
					continue
				}
				r, req, ok := eventTry(t, w, table, overrides, op)
				if !ok {
					missing = append(missing, op+": not exercised (no try succeeds) and not in "+excusedName)
					continue
				}
				if why := check(w, t, r, req); why != "" {
					missing = append(missing, op+": "+why)
				}
			}
			if len(missing) > 0 {
				t.Errorf("%d %s:\n  %s", len(missing), wrong, strings.Join(missing, "\n  "))
			}
		})
	}
}

// writeOperations are the operationIds of openapi.yaml's POST, PUT, PATCH and DELETE.
func writeOperations(t *testing.T) map[string]bool {
	t.Helper()
	doc := loadedSpec(t)
	out := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			switch method {
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
				out[op.OperationID] = true
			}
		}
	}
	return out
}

// eventTry is one request of op that should succeed: its own try, else the first cell
// of the authorisation table that answers 2xx (on the caller's own record).
func eventTry(t *testing.T, w *world, table []authzRow, overrides map[string]func(*testing.T, *world) (role, cellReq), op string) (role, cellReq, bool) {
	t.Helper()
	if try, ok := overrides[op]; ok {
		r, req := try(t, w)
		return r, req, true
	}
	for _, row := range table {
		if base, _, _ := strings.Cut(row.op, "+"); base != op {
			continue
		}
		res := row.resources()[0]
		for r, cells := range row.expand() {
			if e := cells[0]; !e.skip && strings.HasPrefix(e.status, "2") {
				return role(r), row.req(t, w, role(r), res), true
			}
		}
	}
	return 0, cellReq{}, false
}

// recordsEvent sends req as r and says what is wrong ("" when nothing is): the answer is
// not a success, the outbox gained no typed event, or it gained a message that is not one.
func (w *world) recordsEvent(t *testing.T, r role, req cellReq) string {
	t.Helper()
	before := w.outboxIDs(t)
	resp, body := w.do(t, r, req)
	if resp.StatusCode/100 != 2 {
		return fmt.Sprintf("not exercised: %s %s answered %d %s", req.method, req.path, resp.StatusCode, body)
	}
	var rows []struct {
		ID      string `db:"id"`
		Topic   string `db:"topic"`
		Payload string `db:"payload"`
	}
	if err := w.h.app.DB.Select(&rows, "SELECT id, topic, payload FROM outbox"); err != nil {
		t.Fatal(err)
	}
	var untyped []string
	typed := 0
	for _, row := range rows {
		if before[row.ID] {
			continue
		}
		if err := w.typedEvent(row.Topic, row.Payload); err != nil {
			untyped = append(untyped, row.Topic+" ("+err.Error()+")")
			continue
		}
		typed++
	}
	sort.Strings(untyped)
	switch {
	case typed == 0 && len(untyped) == 0:
		return "the outbox gained nothing"
	case typed == 0:
		return "no typed event; the outbox gained only " + strings.Join(untyped, "; ")
	case len(untyped) > 0:
		return fmt.Sprintf("%d typed event(s), but also %s", typed, strings.Join(untyped, "; "))
	}
	return ""
}

// typedEvent checks one outbox message: its topic is a type of the catalogue and its
// body an EventMessage of that type, whose data is that type's payload.
func (w *world) typedEvent(topic, payload string) error {
	i := slices.IndexFunc(events.Types(), func(ty events.Type) bool { return ty.Name == topic })
	if i < 0 {
		return fmt.Errorf("not a type of the catalogue")
	}
	ty := events.Types()[i]
	var msg map[string]any
	if err := json.Unmarshal([]byte(payload), &msg); err != nil {
		return fmt.Errorf("not JSON")
	}
	if msg["type"] != ty.Name || msg["version"] != float64(ty.Version) {
		return fmt.Errorf("not an event message of %s v%d", ty.Name, ty.Version)
	}
	opts := []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation(), openapi3.MultiErrors()}
	if err := w.h.spec.Components.Schemas["EventMessage"].Value.VisitJSON(msg, opts...); err != nil {
		return fmt.Errorf("breaks EventMessage: %s", firstLine(err))
	}
	if err := w.h.spec.Components.Schemas[ty.Schema].Value.VisitJSON(msg["data"], opts...); err != nil {
		return fmt.Errorf("its data breaks %s: %s", ty.Schema, firstLine(err))
	}
	return nil
}

func (w *world) outboxIDs(t *testing.T) map[string]bool {
	t.Helper()
	var ids []string
	if err := w.h.app.DB.Select(&ids, "SELECT id FROM outbox"); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func loadedSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// The catalogue answers every type of event.Types, in its order, and each schema
// reference resolves in the contract the hub serves.
func TestEventTypes_ListsTheCatalogueWithSchemasInTheServedContract(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		integration := h.token(auth.Claims{Subject: "webhook-setup", Roles: []auth.Role{auth.Integration}})
		resp, err := h.client(integration).ListEventTypesWithResponse(t.Context())
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("list event types: %v %s", err, resp.Body)
		}
		_, served := h.raw("GET", "/openapi.yaml", "", "", nil)
		doc, err := openapi3.NewLoader().LoadFromData(served)
		if err != nil {
			t.Fatal(err)
		}
		want := events.Types()
		if len(resp.JSON200.Items) != len(want) {
			t.Fatalf("%d types listed, want %d", len(resp.JSON200.Items), len(want))
		}
		for i, got := range resp.JSON200.Items {
			w := want[i]
			if got.Name != w.Name || got.Version != w.Version || got.About != w.About || got.OutboxOnly != w.OutboxOnly {
				t.Errorf("item %d = %+v, want %+v", i, got, w)
			}
			name, ok := strings.CutPrefix(got.Schema, "/openapi.yaml#/components/schemas/")
			if !ok || doc.Components.Schemas[name] == nil || name != w.Schema {
				t.Errorf("%s: schema %q does not point at %s in the served /openapi.yaml", got.Name, got.Schema, w.Schema)
			}
		}
	})
}
