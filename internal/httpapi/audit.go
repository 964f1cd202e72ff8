package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
)

// AuditLog is where the audit of personal data goes.
type AuditLog interface {
	Append(ctx context.Context, e audit.Entry)
	List(ctx context.Context, q audit.Query, retention time.Duration) (audit.Page, error)
}

// access is what a request did with personal data, as its handler noted it. It is
// also the handler's context: its parent's values and itself under accessKey, so that
// an audited request allocates one thing for both, not a context and an access.
type access struct {
	context.Context

	mu        sync.Mutex
	action    audit.Action
	customers []string
	purpose   string // stated by the handler (an erasure's reason), over X-Purpose

	// What shownLater needs, kept rather than built into a closure on every request:
	// few requests show anything after their handler returns. log is nil where nothing
	// is audited.
	log       AuditLog
	operation string
	req       *http.Request // as it came, before this context was put on it
	requestID string
}

// Value is a's own value under accessKey, its parent's otherwise.
func (a *access) Value(key any) any {
	if _, ok := key.(accessKey); ok {
		return a
	}
	return a.Context.Value(key)
}

type accessKey struct{}

// seen notes, in a handler, that the request read or changed the personal data of
// customers; the audit middleware records one entry for the request once it has been
// answered. The strongest action noted wins (an export that also reads is an export).
func seen(ctx context.Context, action audit.Action, customerIDs ...string) {
	a, ok := ctx.Value(accessKey{}).(*access)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range customerIDs {
		if id == "" { // a contact from an unknown caller: nobody's data was shown
			continue
		}
		a.customers = append(a.customers, id)
		if weight[action] > weight[a.action] {
			a.action = action
		}
	}
}

var weight = map[audit.Action]int{audit.Read: 1, audit.Write: 2, audit.Export: 3, audit.Erase: 4}

// purposeHeader is why the caller reads or changes the data (declared in openapi.yaml).
const purposeHeader = "X-Purpose"

// maxPurpose bounds what is kept of a stated purpose.
const maxPurpose = 200

// auditAccess records an audit entry for each operation whose handler noted personal
// data (see seen): who from the token, what from the operation and the noted customers,
// why from X-Purpose, and the request id. It wraps the handler inside the strict
// server, so the entry is in the audit's buffer before the answer is written: a client
// that has its answer can count on its entry being written within the flush interval.
// Appending does not wait for the database.
func auditAccess(log AuditLog) api.StrictMiddlewareFunc {
	return func(next api.StrictHandlerFunc, operation string) api.StrictHandlerFunc {
		operation = operationID(operation)
		return func(c echo.Context, request any) (any, error) {
			req := c.Request()
			a := &access{Context: req.Context(), log: log, operation: operation, req: req,
				requestID: c.Response().Header().Get(echo.HeaderXRequestID)}
			c.SetRequest(req.WithContext(a))
			defer c.SetRequest(req)
			resp, err := next(c, request)
			a.mu.Lock()
			defer a.mu.Unlock()
			if err != nil || a.action == "" || log == nil {
				return resp, err
			}
			log.Append(context.WithoutCancel(a), a.entry(a.action, a.customers, a.purposeOr(req)))
			return resp, nil
		}
	}
}

// entry is the audit entry of this request: who from the token, the operation, the
// path, and the request id as they were when the request reached the middleware.
func (a *access) entry(action audit.Action, customers []string, purpose string) audit.Entry {
	p := principalFrom(a)
	return audit.Entry{Subject: p.Subject, Roles: principalRoles(p), Action: action, Operation: a.operation,
		Resource: a.req.URL.Path, CustomerIDs: customers, Purpose: purpose, RequestID: a.requestID}
}

// later records a read of customers, shown after the handler returned, as one entry
// of this request. Its purpose is the request's X-Purpose: a purpose the handler
// states is for the entry of the handler's own work.
func (a *access) later(customers []string) {
	a.log.Append(context.WithoutCancel(a), a.entry(audit.Read, customers, headerPurpose(a.req)))
}

// operationID is the spec's operationId of a generated Go operation name
// ("GetCustomer" -> "getCustomer", "PostIVREvent" -> "postIVREvent").
func operationID(goName string) string {
	if goName == "" {
		return ""
	}
	return strings.ToLower(goName[:1]) + goName[1:]
}

func principalRoles(p auth.Principal) []string {
	out := make([]string, 0, len(p.Roles))
	for _, r := range p.Roles {
		out = append(out, string(r))
	}
	return out
}

// purposeOr is the purpose the handler stated, else the request's X-Purpose, cut to
// maxPurpose bytes on a character boundary.
func (a *access) purposeOr(req *http.Request) string {
	if a.purpose != "" {
		return a.purpose
	}
	return headerPurpose(req)
}

// headerPurpose is the request's X-Purpose, cut to maxPurpose bytes on a character
// boundary.
func headerPurpose(req *http.Request) string {
	purpose := strings.TrimSpace(req.Header.Get(purposeHeader))
	if len(purpose) > maxPurpose {
		purpose = purpose[:maxPurpose]
		for !utf8.ValidString(purpose) {
			purpose = purpose[:len(purpose)-1]
		}
	}
	return purpose
}

// shownLater is, for a handler whose answer goes on after it returns (a live stream),
// how to record the customers it shows from then on: each call adds one entry, as
// this request. It does nothing outside an audited request.
func shownLater(ctx context.Context) func(customers []string) {
	if a, ok := ctx.Value(accessKey{}).(*access); ok && a.log != nil {
		return a.later
	}
	return func([]string) {}
}

// statePurpose makes purpose the audit entry's purpose instead of X-Purpose.
func statePurpose(ctx context.Context, purpose string) {
	if a, ok := ctx.Value(accessKey{}).(*access); ok {
		a.mu.Lock()
		a.purpose = purpose
		a.mu.Unlock()
	}
}
