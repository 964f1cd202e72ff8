package httpapi

import (
	"context"
	"time"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/timeline"
)

// Customers is what the handlers need of the customer record.
type Customers interface {
	Create(ctx context.Context, actor customer.Actor, in customer.NewCustomer) (customer.Customer, error)
	Get(ctx context.Context, id string) (customer.Customer, error)
	Update(ctx context.Context, actor customer.Actor, id string, expected int, p customer.Patch) (customer.Customer, error)
	AddIdentifier(ctx context.Context, actor customer.Actor, id string, in customer.IdentifierInput) (customer.Customer, error)
	RemoveIdentifier(ctx context.Context, actor customer.Actor, id, identifierID string) (customer.Customer, error)
	Search(ctx context.Context, q customer.Query) (customer.Page, error)
	Match(ctx context.Context, req customer.MatchRequest) (customer.MatchResult, error)
	Merge(ctx context.Context, actor customer.Actor, survivorID, duplicateID, reason string) (string, customer.Customer, error)
	UndoMerge(ctx context.Context, actor customer.Actor, mergeID, reason string) (customer.Customer, customer.Customer, error)
	GetMerge(ctx context.Context, id string) (customer.Merge, error)
	Timeline(ctx context.Context, customerID string, limit int, after string) (timeline.Page, error)
}

// handlers implement the generated strict server: validated request in, response out.
type handlers struct {
	customers Customers
	contacts  interface {
		Contacts
		Previews
	}
	cases     Cases
	referrals Referrals
	catalogue *catalogue.Catalogue
	router    Router
	work      Work
	reports   Reports
	streams   Streams

	ratings             Ratings
	satisfactionReports SatisfactionReports
	managerReports      ManagerReports
	limiter             RateLimiter
	ratingLimits        RatingLimits
	calls               Calls
	landlords           Landlords
	webhooks            Webhooks

	// Compliance (issue 17).
	exceptions Exceptions
	qa         QA
	// Workforce (issue 16).
	workforce Workforce
	// Privacy (issue 14).
	audit          AuditLog
	privacy        Privacy
	auditRetention time.Duration
}

var _ api.StrictServerInterface = (*handlers)(nil)

// defaultLimit is the page size when the caller does not choose one.
const defaultLimit = 50

// actorFrom is the principal as the timeline records it.
func actorFrom(ctx context.Context) customer.Actor {
	p := principalFrom(ctx)
	return timeline.Actor{Subject: p.Subject, Role: p.Kind()}
}

func (h *handlers) CreateCustomer(ctx context.Context, req api.CreateCustomerRequestObject) (api.CreateCustomerResponseObject, error) {
	c, err := h.customers.Create(ctx, actorFrom(ctx), fromCustomerCreate(*req.Body))
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.ID)
	loc := "/v1/customers/" + c.ID
	return api.CreateCustomer201JSONResponse{Body: toCustomer(c),
		Headers: api.CreateCustomer201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}

func (h *handlers) GetCustomer(ctx context.Context, req api.GetCustomerRequestObject) (api.GetCustomerResponseObject, error) {
	id := req.CustomerId.String()
	c, err := h.customers.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, c.ID)
	return api.GetCustomer200JSONResponse{Body: toCustomer(c), Headers: api.GetCustomer200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) UpdateCustomer(ctx context.Context, req api.UpdateCustomerRequestObject) (api.UpdateCustomerResponseObject, error) {
	id := req.CustomerId.String()
	version, err := requiredIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	patch, err := fromCustomerPatch(*req.Body)
	if err != nil {
		return nil, err
	}
	c, err := h.customers.Update(ctx, actorFrom(ctx), id, version, patch)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.ID)
	return api.UpdateCustomer200JSONResponse{Body: toCustomer(c), Headers: api.UpdateCustomer200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) SearchCustomers(ctx context.Context, req api.SearchCustomersRequestObject) (api.SearchCustomersResponseObject, error) {
	p := req.Params
	page, err := h.customers.Search(ctx, customer.Query{
		Q: deref(p.Q), Phone: deref(p.Phone), Email: deref(p.Email), Reference: deref(p.Reference),
		UPRN: deref(p.Uprn), Postcode: deref(p.Postcode), Limit: limitOf(p.Limit), After: deref(p.Cursor),
	})
	if err != nil {
		return nil, err
	}
	for _, c := range page.Items {
		seen(ctx, audit.Read, c.ID)
	}
	return api.SearchCustomers200JSONResponse{Items: toCustomers(page.Items), NextCursor: optString(page.NextCursor)}, nil
}

func (h *handlers) MatchCustomer(ctx context.Context, req api.MatchCustomerRequestObject) (api.MatchCustomerResponseObject, error) {
	r, err := h.customers.Match(ctx, fromMatchRequest(*req.Body))
	if err != nil {
		return nil, err
	}
	if r.Match != nil {
		seen(ctx, audit.Read, r.Match.ID)
	}
	for _, c := range r.Candidates {
		seen(ctx, audit.Read, c.Customer.ID)
	}
	return api.MatchCustomer200JSONResponse(toMatchResult(r)), nil
}

func (h *handlers) AddCustomerIdentifier(ctx context.Context, req api.AddCustomerIdentifierRequestObject) (api.AddCustomerIdentifierResponseObject, error) {
	in := fromIdentifierInputs([]api.IdentifierInput{*req.Body})[0]
	c, err := h.customers.AddIdentifier(ctx, actorFrom(ctx), req.CustomerId.String(), in)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.ID)
	return api.AddCustomerIdentifier201JSONResponse{Body: toCustomer(c), Headers: api.AddCustomerIdentifier201ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) RemoveCustomerIdentifier(ctx context.Context, req api.RemoveCustomerIdentifierRequestObject) (api.RemoveCustomerIdentifierResponseObject, error) {
	c, err := h.customers.RemoveIdentifier(ctx, actorFrom(ctx), req.CustomerId.String(), req.IdentifierId.String())
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.ID)
	return api.RemoveCustomerIdentifier200JSONResponse{Body: toCustomer(c), Headers: api.RemoveCustomerIdentifier200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) MergeCustomer(ctx context.Context, req api.MergeCustomerRequestObject) (api.MergeCustomerResponseObject, error) {
	mergeID, survivor, err := h.customers.Merge(ctx, actorFrom(ctx), req.CustomerId.String(), req.Body.DuplicateId.String(), req.Body.Reason)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, survivor.ID, req.Body.DuplicateId.String())
	return api.MergeCustomer200JSONResponse{MergeId: mustUUID(mergeID), Survivor: toCustomer(survivor)}, nil
}

func (h *handlers) GetMerge(ctx context.Context, req api.GetMergeRequestObject) (api.GetMergeResponseObject, error) {
	m, err := h.customers.GetMerge(ctx, req.MergeId.String())
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, m.SurvivorID, m.DuplicateID)
	return api.GetMerge200JSONResponse(toMerge(m)), nil
}

func (h *handlers) UndoMerge(ctx context.Context, req api.UndoMergeRequestObject) (api.UndoMergeResponseObject, error) {
	var reason string
	if req.Body != nil {
		reason = deref(req.Body.Reason)
	}
	survivor, duplicate, err := h.customers.UndoMerge(ctx, actorFrom(ctx), req.MergeId.String(), reason)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, survivor.ID, duplicate.ID)
	return api.UndoMerge200JSONResponse{MergeId: req.MergeId, Survivor: toCustomer(survivor), Duplicate: toCustomer(duplicate)}, nil
}

func (h *handlers) GetCustomerTimeline(ctx context.Context, req api.GetCustomerTimelineRequestObject) (api.GetCustomerTimelineResponseObject, error) {
	id := req.CustomerId.String()
	page, err := h.customers.Timeline(ctx, id, limitOf(req.Params.Limit), deref(req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, id)
	return toTimelineWire(page)
}

func limitOf(l *int) int {
	if l == nil {
		return defaultLimit
	}
	return *l
}
