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

// access is what a request did with personal data, as its handler noted it.
type access struct {
	mu        sync.Mutex
	action    audit.Action
	customers []string
	purpose   string // stated by the handler (an erasure's reason), over X-Purpose
	// later records an entry, as this request, for customers shown after the handler
	// returned (a live stream); nil where nothing is audited.
	later func(customers []string)
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
			a := &access{}
			req := c.Request()
			ctx := context.WithValue(req.Context(), accessKey{}, a)
			if log != nil {
				p, rid, why := principalFrom(ctx), c.Response().Header().Get(echo.HeaderXRequestID), a.purposeOr(req)
				a.later = func(customers []string) {
					log.Append(context.WithoutCancel(ctx), audit.Entry{Subject: p.Subject, Roles: principalRoles(p), Action: audit.Read,
						Operation: operation, Resource: req.URL.Path, CustomerIDs: customers, Purpose: why, RequestID: rid})
				}
			}
			c.SetRequest(req.WithContext(ctx))
			defer c.SetRequest(req)
			resp, err := next(c, request)
			a.mu.Lock()
			defer a.mu.Unlock()
			if err != nil || a.action == "" || log == nil {
				return resp, err
			}
			p := principalFrom(ctx)
			log.Append(context.WithoutCancel(ctx), audit.Entry{Subject: p.Subject, Roles: principalRoles(p), Action: a.action,
				Operation: operation, Resource: req.URL.Path, CustomerIDs: a.customers, Purpose: a.purposeOr(req),
				RequestID: c.Response().Header().Get(echo.HeaderXRequestID)})
			return resp, nil
		}
	}
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
	if a, ok := ctx.Value(accessKey{}).(*access); ok && a.later != nil {
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
