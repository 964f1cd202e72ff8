package httpapi

import (
	"context"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/referral"
	"github.com/council/contacthub/internal/timeline"
)

// Contacts is what the handlers need of the front door.
type Contacts interface {
	Record(ctx context.Context, actor intake.Actor, req intake.Request) (intake.Result, error)
	Get(ctx context.Context, id string) (intake.Contact, error)
	Update(ctx context.Context, who casework.Caller, id string, expected int, p intake.Patch) (intake.Contact, error)
	List(ctx context.Context, q intake.Query) (intake.Page, error)
}

// Cases is what the handlers need of casework.
type Cases interface {
	Open(ctx context.Context, actor casework.Actor, in casework.NewCase) (casework.Case, error)
	Get(ctx context.Context, id string) (casework.Case, error)
	Update(ctx context.Context, who casework.Caller, id string, expected int, p casework.Patch) (casework.Case, error)
	AddNote(ctx context.Context, who casework.Caller, id, text string, internal bool) (timeline.Event, error)
	Resolve(ctx context.Context, who casework.Caller, id string, expected int, code, note string) (casework.Case, error)
	Reopen(ctx context.Context, who casework.Caller, id string, expected int, reason string) (casework.Case, error)
	List(ctx context.Context, q casework.Query) (casework.Page, error)
	Timeline(ctx context.Context, id string, limit int, after string) (timeline.Page, error)
}

// Referrals is what the handlers need of referrals.
type Referrals interface {
	Refer(ctx context.Context, actor timeline.Actor, caseID, partner, reason string) (referral.Referral, error)
	Update(ctx context.Context, actor timeline.Actor, id string, expected int, to referral.Status, note string) (referral.Referral, error)
	ForCase(ctx context.Context, caseID string) ([]referral.Referral, error)
}

// callerFrom is the principal as casework's tier rules see them. A token that is both
// staff and integration is held to the staff rules.
func callerFrom(ctx context.Context) casework.Caller {
	p := principalFrom(ctx)
	return casework.Caller{Actor: actorFrom(ctx), Tier: p.Tier, Supervisor: p.Has(auth.Supervisor),
		System: p.Has(auth.Integration) && !p.IsStaff()}
}

func (h *handlers) RecordContact(ctx context.Context, req api.RecordContactRequestObject) (api.RecordContactResponseObject, error) {
	in := fromContactCreate(*req.Body)
	if in.Agent == "" && principalFrom(ctx).IsStaff() {
		in.Agent = principalFrom(ctx).Subject
	}
	res, err := h.contacts.Record(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, res.Contact.CustomerID)
	loc := "/v1/contacts/" + res.Contact.ID
	return api.RecordContact201JSONResponse{Body: toContactRecorded(res), Headers: api.RecordContact201ResponseHeaders{Location: &loc}}, nil
}

func (h *handlers) GetContact(ctx context.Context, req api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	c, err := h.contacts.Get(ctx, req.ContactId.String())
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, c.CustomerID)
	return api.GetContact200JSONResponse{Body: toContact(c), Headers: api.GetContact200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) UpdateContact(ctx context.Context, req api.UpdateContactRequestObject) (api.UpdateContactResponseObject, error) {
	version, err := requiredIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	p := intake.Patch{EndedAt: b.EndedAt, ResolutionCode: b.ResolutionCode, Summary: b.Summary}
	if b.Outcome != nil {
		o := intake.Outcome(*b.Outcome)
		p.Outcome = &o
	}
	c, err := h.contacts.Update(ctx, callerFrom(ctx), req.ContactId.String(), version, p)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	return api.UpdateContact200JSONResponse{Body: toContact(c), Headers: api.UpdateContact200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) ListContacts(ctx context.Context, req api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	p := req.Params
	q := intake.Query{CustomerID: uuidString(p.CustomerId), CaseID: uuidString(p.CaseId), Limit: limitOf(p.Limit), After: deref(p.Cursor)}
	if p.Channel != nil {
		q.Channel = channel.Channel(*p.Channel)
	}
	page, err := h.contacts.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := api.ListContacts200JSONResponse{Items: make([]api.Contact, 0, len(page.Items)), NextCursor: optString(page.NextCursor)}
	for _, c := range page.Items {
		out.Items = append(out.Items, toContact(c))
		seen(ctx, audit.Read, c.CustomerID)
	}
	return out, nil
}

func (h *handlers) OpenCase(ctx context.Context, req api.OpenCaseRequestObject) (api.OpenCaseResponseObject, error) {
	b := req.Body
	in := casework.NewCase{CustomerID: b.CustomerId.String(), Service: fromService(b.Service), Summary: deref(b.Summary), Priority: deref(b.Priority)}
	if b.Channel != nil {
		in.Channel = string(*b.Channel)
	}
	c, err := h.cases.Open(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	loc := "/v1/cases/" + c.ID
	return api.OpenCase201JSONResponse{Body: toCase(c), Headers: api.OpenCase201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}

func (h *handlers) GetCase(ctx context.Context, req api.GetCaseRequestObject) (api.GetCaseResponseObject, error) {
	c, err := h.cases.Get(ctx, req.CaseId.String())
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, c.CustomerID)
	return api.GetCase200JSONResponse{Body: toCase(c), Headers: api.GetCase200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) UpdateCase(ctx context.Context, req api.UpdateCaseRequestObject) (api.UpdateCaseResponseObject, error) {
	version, err := requiredIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	p, err := fromCasePatch(*req.Body)
	if err != nil {
		return nil, err
	}
	c, err := h.cases.Update(ctx, callerFrom(ctx), req.CaseId.String(), version, p)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	return api.UpdateCase200JSONResponse{Body: toCase(c), Headers: api.UpdateCase200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) AddCaseNote(ctx context.Context, req api.AddCaseNoteRequestObject) (api.AddCaseNoteResponseObject, error) {
	internal := true
	if req.Body.Internal != nil {
		internal = *req.Body.Internal
	}
	ev, err := h.cases.AddNote(ctx, callerFrom(ctx), req.CaseId.String(), req.Body.Text, internal)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, ev.CustomerID)
	return api.AddCaseNote201JSONResponse(toEvent(ev)), nil
}

func (h *handlers) ResolveCase(ctx context.Context, req api.ResolveCaseRequestObject) (api.ResolveCaseResponseObject, error) {
	version, err := optionalIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	c, err := h.cases.Resolve(ctx, callerFrom(ctx), req.CaseId.String(), version, req.Body.ResolutionCode, deref(req.Body.Note))
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	return api.ResolveCase200JSONResponse{Body: toCase(c), Headers: api.ResolveCase200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) ReopenCase(ctx context.Context, req api.ReopenCaseRequestObject) (api.ReopenCaseResponseObject, error) {
	version, err := optionalIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	c, err := h.cases.Reopen(ctx, callerFrom(ctx), req.CaseId.String(), version, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	return api.ReopenCase200JSONResponse{Body: toCase(c), Headers: api.ReopenCase200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) ListCases(ctx context.Context, req api.ListCasesRequestObject) (api.ListCasesResponseObject, error) {
	p := req.Params
	q := casework.Query{CustomerID: uuidString(p.CustomerId), Queue: deref(p.Queue), Assignee: deref(p.Assignee),
		Tier: deref(p.Tier), LGSL: deref(p.Service), Overdue: p.Overdue, Limit: limitOf(p.Limit), After: deref(p.Cursor)}
	if p.Status != nil {
		q.Status = casework.Status(*p.Status)
	}
	page, err := h.cases.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := api.ListCases200JSONResponse{Items: make([]api.Case, 0, len(page.Items)), NextCursor: optString(page.NextCursor)}
	for _, c := range page.Items {
		out.Items = append(out.Items, toCase(c))
		seen(ctx, audit.Read, c.CustomerID)
	}
	return out, nil
}

func (h *handlers) GetCaseTimeline(ctx context.Context, req api.GetCaseTimelineRequestObject) (api.GetCaseTimelineResponseObject, error) {
	page, err := h.cases.Timeline(ctx, req.CaseId.String(), limitOf(req.Params.Limit), deref(req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	for _, ev := range page.Items {
		seen(ctx, audit.Read, ev.CustomerID)
	}
	return toTimelineWire(page)
}

func (h *handlers) ReferCase(ctx context.Context, req api.ReferCaseRequestObject) (api.ReferCaseResponseObject, error) {
	c, err := h.cases.Get(ctx, req.CaseId.String()) // whose case, for the audit (read first: a 404 stays a 404)
	if err != nil {
		return nil, err
	}
	r, err := h.referrals.Refer(ctx, actorFrom(ctx), c.ID, req.Body.Partner, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	return api.ReferCase201JSONResponse{Body: toReferral(r), Headers: api.ReferCase201ResponseHeaders{ETag: etag(r.Version)}}, nil
}

func (h *handlers) ListCaseReferrals(ctx context.Context, req api.ListCaseReferralsRequestObject) (api.ListCaseReferralsResponseObject, error) {
	c, err := h.cases.Get(ctx, req.CaseId.String()) // whose case, for the audit
	if err != nil {
		return nil, err
	}
	rs, err := h.referrals.ForCase(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, c.CustomerID)
	out := api.ListCaseReferrals200JSONResponse{Items: make([]api.Referral, 0, len(rs))}
	for _, r := range rs {
		out.Items = append(out.Items, toReferral(r))
	}
	return out, nil
}

func (h *handlers) UpdateReferral(ctx context.Context, req api.UpdateReferralRequestObject) (api.UpdateReferralResponseObject, error) {
	version, err := optionalIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	r, err := h.referrals.Update(ctx, actorFrom(ctx), req.ReferralId.String(), version, referral.Status(req.Body.Status), deref(req.Body.Note))
	if err != nil {
		return nil, err
	}
	// The referral names no customer: its case does, for the audit.
	if c, err := h.cases.Get(ctx, r.CaseID); err == nil {
		seen(ctx, audit.Write, c.CustomerID)
	}
	return api.UpdateReferral200JSONResponse{Body: toReferral(r), Headers: api.UpdateReferral200ResponseHeaders{ETag: etag(r.Version)}}, nil
}

func (h *handlers) GetCatalogue(ctx context.Context, _ api.GetCatalogueRequestObject) (api.GetCatalogueResponseObject, error) {
	return api.GetCatalogue200JSONResponse(toCatalogue(h.catalogue)), nil
}

// requiredIfMatch reads an If-Match header an update must carry. The contract marks it
// required, so the validator answers 428 when it is absent; an empty one gets 428 here.
func requiredIfMatch(h string) (int, error) {
	if h == "" {
		return 0, fault.New(fault.PreconditionRequired, "send If-Match with the ETag you read, or * to overwrite")
	}
	return optionalIfMatch(&h)
}

// optionalIfMatch reads an If-Match header that may be absent (any version).
func optionalIfMatch(h *string) (int, error) {
	if h == nil {
		return 0, nil
	}
	v, ok := parseIfMatch(*h)
	if !ok {
		return 0, fault.Field("If-Match", `must be an ETag like "3" or *`)
	}
	return v, nil
}

func toCatalogue(c *catalogue.Catalogue) api.Catalogue {
	out := api.Catalogue{AvoidableWindowDays: c.AvoidableWindowDays, HandoffReasons: append([]string{}, c.HandoffReasons...)}
	for _, s := range c.Services {
		out.Services = append(out.Services, api.CatalogueService{Lgsl: s.LGSL, Name: s.Name, SlaDays: s.SLADays})
	}
	for _, e := range c.Centres {
		out.Centres = append(out.Centres, api.CatalogueEntry{Id: e.ID, Name: e.Name})
	}
	for _, e := range c.Partners {
		out.Partners = append(out.Partners, api.CatalogueEntry{Id: e.ID, Name: e.Name})
	}
	return out
}
