package contract

import (
	"fmt"
	"testing"
	"time"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/store"
)

// An IVR event is de-duplicated and applied in one transaction: when applying it
// fails, nothing of it stays (not even the de-duplication row), so the platform's
// retry is applied rather than taken for a duplicate and lost.
func TestIVR_AnEventThatFailsHalfwayIsAppliedOnRetry(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := ivrHub(t, b)
			ag := h.agent()
			createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"),
				Consents: &contacthub.Consents{SmsSurveys: ptr(true)}, Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
			start := time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)
			status, ans := event(t, h, map[string]any{"event": "newCall", "callId": "call-9", "from": "447700900123",
				"at": start.Format(time.RFC3339)}, "")
			if status != 200 {
				t.Fatalf("newCall: %d %v", status, ans)
			}
			contactID := ans["contactId"].(string)
			if status, ans := event(t, h, map[string]any{"event": "answer", "callId": "call-9", "user": "agent-olu"}, ""); status != 200 {
				t.Fatalf("answer: %d %v", status, ans)
			}

			hangup := map[string]any{"event": "hangup", "callId": "call-9", "cause": "normalClearing", "at": start.Add(3 * time.Minute).Format(time.RFC3339)}
			h.failWrites("UPDATE", "contacts")
			events := h.count("ivr_events")
			if status, ans := event(t, h, hangup, ""); status < 500 {
				t.Fatalf("hang-up with the contact update failing: %d %v", status, ans)
			}
			if h.count("ivr_events") != events {
				t.Fatal("a failed hang-up left its de-duplication row")
			}
			var state string
			if err := h.app.DB.Get(&state, "SELECT state FROM ivr_calls"); err != nil || state != "answered" {
				t.Fatalf("a failed hang-up left the call %q (%v)", state, err)
			}
			h.mendWrites("contacts")
			status, ans = event(t, h, hangup, "")
			if status != 200 || ans["duplicate"] != false || ans["state"] != "ended" {
				t.Fatalf("the retried hang-up: %d %v", status, ans)
			}
			contact, _ := ag.GetContactWithResponse(ctx, mustParse(t, contactID))
			if contact.JSON200 == nil || contact.JSON200.EndedAt == nil {
				t.Fatalf("the retried hang-up did not end the contact: %s", contact.Body)
			}

			score := map[string]any{"event": "dtmf", "callId": "call-9", "digits": "4", "attributes": map[string]string{"purpose": "survey"}}
			h.failWrites("INSERT", "ratings")
			if status, ans := event(t, h, score, ""); status < 500 {
				t.Fatalf("keypad score with ratings failing: %d %v", status, ans)
			}
			h.mendWrites("ratings")
			if status, ans := event(t, h, score, ""); status != 200 || ans["duplicate"] != false {
				t.Fatalf("the retried keypad score: %d %v", status, ans)
			}
			if h.count("ratings") != 1 {
				t.Fatalf("%d ratings after the retried keypad score, want 1", h.count("ratings"))
			}
		})
	}
}

// failWrites makes every op ("INSERT", "UPDATE") on table fail, as a database fault
// would, until mendWrites.
func (h *hub) failWrites(op, table string) {
	h.t.Helper()
	stmts := []string{fmt.Sprintf(`CREATE TRIGGER injected_failure_%[2]s BEFORE %[1]s ON %[2]s
 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`, op, table)}
	if h.app.DB.Dialect == store.Postgres {
		stmts = []string{
			`CREATE OR REPLACE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
			fmt.Sprintf(`CREATE TRIGGER injected_failure_%[2]s BEFORE %[1]s ON %[2]s FOR EACH ROW EXECUTE FUNCTION injected_failure()`, op, table),
		}
	}
	for _, s := range stmts {
		if _, err := h.app.DB.Exec(s); err != nil {
			h.t.Fatalf("inject a failure on %s: %v", table, err)
		}
	}
}

func (h *hub) mendWrites(table string) {
	h.t.Helper()
	s := "DROP TRIGGER injected_failure_" + table
	if h.app.DB.Dialect == store.Postgres {
		s += " ON " + table
	}
	if _, err := h.app.DB.Exec(s); err != nil {
		h.t.Fatal(err)
	}
}
