package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/privacy"
	"github.com/council/contacthub/internal/timeline"
)

// Privacy is what the handlers need for subject access and erasure.
type Privacy interface {
	Person(ctx context.Context, id string) ([]string, error)
	Export(ctx context.Context, id string, retention time.Duration) (privacy.Export, error)
	Erase(ctx context.Context, actor timeline.Actor, id string, req privacy.ErasureRequest) (privacy.Erasure, error)
}

func (h *handlers) ListAudit(ctx context.Context, req api.ListAuditRequestObject) (api.ListAuditResponseObject, error) {
	p := req.Params
	q := audit.Query{Subject: deref(p.Subject), Limit: limitOf(p.Limit), After: deref(p.Cursor)}
	if p.From != nil {
		q.From = *p.From
	}
	if p.To != nil {
		q.To = *p.To
	}
	if p.CustomerId != nil {
		ids, err := h.privacy.Person(ctx, p.CustomerId.String())
		if fault.Is(err, fault.NotFound) {
			return nil, fault.Field("customerId", "is not a customer of this hub")
		}
		if err != nil {
			return nil, err
		}
		q.CustomerIDs = ids
	}
	page, err := h.audit.List(ctx, q, h.auditRetention)
	if err != nil {
		return nil, err
	}
	out := api.ListAudit200JSONResponse{Items: make([]api.AuditEntry, 0, len(page.Items)), NextCursor: optString(page.NextCursor)}
	for _, e := range page.Items {
		out.Items = append(out.Items, toAuditEntry(e))
	}
	return out, nil
}

func toAuditEntry(e audit.Entry) api.AuditEntry {
	roles := e.Roles
	if roles == nil {
		roles = []string{}
	}
	return api.AuditEntry{Id: uuid.MustParse(e.ID), At: e.At, Subject: e.Subject, Roles: roles, Action: api.AuditEntryAction(e.Action),
		Operation: e.Operation, Resource: e.Resource, CustomerIds: e.CustomerIDs, Purpose: optString(e.Purpose),
		RequestId: optString(e.RequestID)}
}

func (h *handlers) ExportCustomer(ctx context.Context, req api.ExportCustomerRequestObject) (api.ExportCustomerResponseObject, error) {
	x, err := h.privacy.Export(ctx, req.CustomerId.String(), h.auditRetention)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Export, x.CustomerIDs()...)
	doc := toSubjectAccessExport(x)
	if acceptsZip(accepts(ctx)) {
		body, err := exportZip(doc)
		if err != nil {
			return nil, err
		}
		return api.ExportCustomer200ApplicationzipResponse{Body: bytesReader(body), ContentLength: int64(len(body))}, nil
	}
	return api.ExportCustomer200JSONResponse(doc), nil
}

func (h *handlers) EraseCustomer(ctx context.Context, req api.EraseCustomerRequestObject) (api.EraseCustomerResponseObject, error) {
	in := privacy.ErasureRequest{}
	if req.Body != nil {
		in.Reason, in.Override = deref(req.Body.Reason), deref(req.Body.Override)
	}
	e, err := h.privacy.Erase(ctx, actorFrom(ctx), req.CustomerId.String(), in)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Erase, e.Records...)
	statePurpose(ctx, in.Reason)
	out := api.EraseCustomer200JSONResponse{CustomerId: uuid.MustParse(e.CustomerID), Records: toUUIDs(e.Records),
		Cases: toUUIDs(e.Cases), ErasedAt: e.ErasedAt, Overrode: e.Overrode}
	if out.Overrode == nil {
		out.Overrode = []string{}
	}
	return out, nil
}

func (h *handlers) ExportMe(ctx context.Context, _ api.ExportMeRequestObject) (api.ExportMeResponseObject, error) {
	me, err := h.myRecord(ctx)
	if err != nil {
		return nil, err
	}
	x, err := h.privacy.Export(ctx, me.ID, h.auditRetention)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Export, x.CustomerIDs()...)
	mine := privacy.ForResident(x, residentViews...)
	out := api.ExportMe200JSONResponse{GeneratedAt: mine.GeneratedAt, Record: toMyRecord(me), Cases: []api.MyExportCase{},
		Contacts: []api.MyExportContact{}, Ratings: []api.MyRating{}}
	for _, c := range mine.Cases {
		mc := api.MyExportCase{Case: h.toCitizenCase(c.Case), Events: []api.CitizenEvent{}}
		for _, ev := range c.Events {
			mc.Events = append(mc.Events, api.CitizenEvent{Kind: ev.Kind, OccurredAt: ev.OccurredAt, Summary: ev.Summary})
		}
		out.Cases = append(out.Cases, mc)
	}
	for _, c := range mine.Contacts {
		out.Contacts = append(out.Contacts, api.MyExportContact{Id: uuid.MustParse(c.ID), Channel: c.Channel,
			StartedAt: c.StartedAt, Service: c.LGSL, CaseId: optUUID(c.CaseID)})
	}
	for _, r := range mine.Ratings {
		out.Ratings = append(out.Ratings, api.MyRating{Id: uuid.MustParse(r.ID), Score: r.Score, Comment: optString(r.Comment),
			CaseId: optUUID(r.CaseID), ContactId: optUUID(r.ContactID), CreatedAt: r.CreatedAt})
	}
	return out, nil
}

func toUUIDs(ids []string) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		out = append(out, uuid.MustParse(id))
	}
	return out
}
