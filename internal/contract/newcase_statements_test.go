package contract

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/store"
)

// A contact that opens a case writes the case once: inserted already counting the
// contact, not inserted and then updated to count it. The case reads as before: one
// contact, version 2.
func TestStatements_AContactThatOpensACaseWritesTheCaseOnce(t *testing.T) {
	tr := &store.Trace{}
	h := tracedHub(t, tr)
	cust := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Adeyemi")})
	body := []byte(fmt.Sprintf(`{"channel":"phone","service":{"lgsl":58},"customerId":%q}`, cust.Id.String()))
	tr.Start()
	resp, out := h.raw("POST", "/v1/contacts", h.agentToken(), "application/json", body)
	stmts := requestOnly(tr)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("contact: %d %s", resp.StatusCode, out)
	}
	inserts, updates := 0, 0
	for _, s := range stmts {
		switch {
		case strings.HasPrefix(s.SQL, "INSERT INTO cases"):
			inserts++
		case strings.HasPrefix(s.SQL, "UPDATE cases"):
			updates++
		}
	}
	if inserts != 1 || updates != 0 {
		t.Errorf("the case was inserted %d times and updated %d, want 1 and 0:\n%s", inserts, updates, listing(stmts))
	}
	recorded := decode[struct {
		Contact map[string]any `json:"contact"`
		Case    map[string]any `json:"case"`
	}](t, out)
	contact := recorded.Contact
	caseID, _ := recorded.Case["id"].(string)
	if caseID == "" || contact["caseId"] != caseID {
		t.Fatalf("the contact opened no case: %s", out)
	}
	resp, out = h.raw("GET", "/v1/cases/"+caseID, h.agentToken(), "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("case: %d %s", resp.StatusCode, out)
	}
	c := decode[map[string]any](t, out)
	for _, got := range []map[string]any{recorded.Case, c} {
		if got["contactCount"] != 1.0 || got["version"] != 2.0 || got["openedByContactId"] != contact["id"] {
			t.Fatalf("case %v, want one contact (the one that opened it) at version 2", got)
		}
	}
}
