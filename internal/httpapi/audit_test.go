package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/labstack/echo/v4"

	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/timeline"
)

func TestSeen_KeepsTheStrongestActionAndOnlyRealCustomers(t *testing.T) {
	a := &access{}
	ctx := context.WithValue(context.Background(), accessKey{}, a)
	seen(ctx, audit.Export, "") // nobody: no action
	if a.action != "" || len(a.customers) != 0 {
		t.Fatalf("an empty id noted %q %v", a.action, a.customers)
	}
	seen(ctx, audit.Write, "c1")
	seen(ctx, audit.Read, "c2", "c1")
	if a.action != audit.Write || len(a.customers) != 3 {
		t.Fatalf("action %q customers %v, want write and three notes", a.action, a.customers)
	}
	seen(context.Background(), audit.Read, "c3") // outside an audited request: nothing, no panic
}

func TestOperationID_IsTheSpecsName(t *testing.T) {
	for goName, want := range map[string]string{"GetCustomer": "getCustomer", "PostIVREvent": "postIVREvent", "ExportMe": "exportMe"} {
		if got := operationID(goName); got != want {
			t.Fatalf("operationID(%q) = %q, want %q", goName, got, want)
		}
	}
}

func TestToNotes_MarksEachNoteInternalOrResident(t *testing.T) {
	evs := []timeline.Event{
		{ID: "0193a6f0-0000-7000-8000-000000000001", Kind: "case.note", Actor: timeline.Actor{Subject: "agent-alice", Role: "agent"},
			Raw: []byte(`{"text":"check the landlord","internal":true}`)},
		{ID: "0193a6f0-0000-7000-8000-000000000002", Kind: "case.status_changed", Raw: []byte(`{"from":"open","to":"resolved"}`)},
		{ID: "0193a6f0-0000-7000-8000-000000000003", Kind: "case.note", Actor: timeline.Actor{Subject: "agent-bob", Role: "agent"},
			Raw: []byte(`{"text":"We have your form.","internal":false}`)},
	}
	notes := toNotes(evs)
	if len(notes) != 2 {
		t.Fatalf("%d notes, want 2", len(notes))
	}
	if notes[0].Text != "check the landlord" || notes[0].Visibility != "internal" || notes[0].Author.Subject != "agent-alice" {
		t.Fatalf("first note %+v", notes[0])
	}
	if notes[1].Text != "We have your form." || notes[1].Visibility != "resident" || notes[1].Id.String() != evs[2].ID {
		t.Fatalf("second note %+v", notes[1])
	}
}

func TestPurposeOr_StatedFirstThenTheHeaderCutOnACharacter(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(purposeHeader, "  "+strings.Repeat("é", 150)+"  ") // 300 bytes
	got := (&access{}).purposeOr(req)
	if len(got) > maxPurpose || !utf8.ValidString(got) || got != strings.Repeat("é", 100) {
		t.Fatalf("purpose %q (%d bytes)", got, len(got))
	}
	if got := (&access{purpose: "article 17"}).purposeOr(req); got != "article 17" {
		t.Fatalf("stated purpose lost: %q", got)
	}
}

// entries is an AuditLog that keeps what is appended.
type entries struct{ got []audit.Entry }

func (l *entries) Append(_ context.Context, e audit.Entry) { l.got = append(l.got, e) }
func (l *entries) List(context.Context, audit.Query, time.Duration) (audit.Page, error) {
	return audit.Page{}, nil
}

// The middleware takes every field of an entry from the request as it came (who, the
// path, the request id, X-Purpose) without building the entry's parts before the
// handler notes anyone: an entry noted by the handler and one shown after it returned
// (a live stream) carry every field, a stated purpose replaces X-Purpose on the
// handler's own entry only, and a request that noted nobody or failed records nothing.
func TestAuditAccess_EntriesCarryEveryFieldOfTheRequest(t *testing.T) {
	type handler func(ctx context.Context) error
	principal := auth.Principal{Subject: "agent-alice", Roles: []auth.Role{auth.Agent, auth.Supervisor}, Tier: 2}
	want := func(action audit.Action, purpose string, customers ...string) audit.Entry {
		return audit.Entry{Subject: "agent-alice", Roles: []string{"agent", "supervisor"}, Action: action, Operation: "getCustomer",
			Resource: "/v1/customers/c1", CustomerIDs: customers, Purpose: purpose, RequestID: "req-1"}
	}
	for _, tc := range []struct {
		name   string
		handle handler
		want   []audit.Entry
	}{
		{"a read", func(ctx context.Context) error { seen(ctx, audit.Read, "c1"); return nil },
			[]audit.Entry{want(audit.Read, "casework", "c1")}},
		{"a stated purpose", func(ctx context.Context) error {
			seen(ctx, audit.Erase, "c1")
			statePurpose(ctx, "the resident asked")
			return nil
		}, []audit.Entry{want(audit.Erase, "the resident asked", "c1")}},
		{"shown later", func(ctx context.Context) error {
			statePurpose(ctx, "not the stream's")
			later := shownLater(ctx)
			later([]string{"c2", "c3"})
			later([]string{"c4"})
			return nil
		}, []audit.Entry{want(audit.Read, "casework", "c2", "c3"), want(audit.Read, "casework", "c4")}},
		{"nobody noted", func(context.Context) error { return nil }, nil},
		{"a failure", func(ctx context.Context) error { seen(ctx, audit.Read, "c1"); return errors.New("no") }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &entries{}
			h := auditAccess(log)(func(c echo.Context, _ any) (any, error) {
				return nil, tc.handle(c.Request().Context())
			}, "GetCustomer")
			req := httptest.NewRequest(http.MethodGet, "/v1/customers/c1?phone=07700900123", nil)
			req.Header.Set(purposeHeader, " casework ")
			req = req.WithContext(context.WithValue(req.Context(), slotKey{}, &principalSlot{principal: principal}))
			c := echo.New().NewContext(req, httptest.NewRecorder())
			c.Response().Header().Set(echo.HeaderXRequestID, "req-1")
			_, _ = h(c, nil)
			if diff := cmp.Diff(tc.want, log.got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("entries (-want +got):\n%s", diff)
			}
			if c.Request() != req {
				t.Fatal("the request was not given back as it came")
			}
		})
	}
}
