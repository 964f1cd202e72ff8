package httpapi

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/referral"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/timeline"
)

// The /v1/me operations are My Account's: a citizen reaches only their own record,
// cases and contacts, through response shapes that never carry internal notes, queues,
// tiers or staff names.

// myRecord reads the signed-in citizen's record, following a merge to the one in use.
func (h *handlers) myRecord(ctx context.Context) (customer.Customer, error) {
	id := principalFrom(ctx).CustomerID
	for range 10 {
		c, err := h.customers.Get(ctx, id)
		if err != nil || c.MergedInto == "" {
			return c, err
		}
		id = c.MergedInto
	}
	return customer.Customer{}, fault.New(fault.NotFound, "no customer record")
}

func (h *handlers) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	c, err := h.myRecord(ctx)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, c.ID)
	return api.GetMe200JSONResponse{Body: toMyRecord(c), Headers: api.GetMe200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) UpdateMe(ctx context.Context, req api.UpdateMeRequestObject) (api.UpdateMeResponseObject, error) {
	version, err := requiredIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	me, err := h.myRecord(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	p := customer.Patch{}
	if p.Address, err = nullableField(b.Address, fromAddress); err != nil {
		return nil, err
	}
	if b.PreferredLanguage != nil || b.Accessibility != nil {
		p.Needs = &customer.NeedsPatch{PreferredLanguage: b.PreferredLanguage, Accessibility: b.Accessibility}
	}
	if b.Consents != nil {
		p.Consents = &customer.ConsentsPatch{SMSSurveys: b.Consents.SmsSurveys}
	}
	c, err := h.customers.Update(ctx, actorFrom(ctx), me.ID, version, p)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.ID)
	return api.UpdateMe200JSONResponse{Body: toMyRecord(c), Headers: api.UpdateMe200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) ListMyCases(ctx context.Context, req api.ListMyCasesRequestObject) (api.ListMyCasesResponseObject, error) {
	me, err := h.myRecord(ctx)
	if err != nil {
		return nil, err
	}
	page, err := h.cases.List(ctx, casework.Query{CustomerID: me.ID, Limit: limitOf(req.Params.Limit), After: deref(req.Params.Cursor)})
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, me.ID)
	out := api.ListMyCases200JSONResponse{Items: make([]api.CitizenCase, 0, len(page.Items)), NextCursor: optString(page.NextCursor)}
	for _, c := range page.Items {
		out.Items = append(out.Items, h.toCitizenCase(c))
	}
	return out, nil
}

// myCase reads a case of the signed-in citizen; anyone else's answers NotFound.
func (h *handlers) myCase(ctx context.Context, id string) (casework.Case, error) {
	me, err := h.myRecord(ctx)
	if err != nil {
		return casework.Case{}, err
	}
	c, err := h.cases.Get(ctx, id)
	if err != nil && !fault.Is(err, fault.NotFound) {
		return casework.Case{}, err
	}
	if err != nil || c.CustomerID != me.ID {
		return casework.Case{}, fault.New(fault.NotFound, "no case %s", id)
	}
	return c, nil
}

func (h *handlers) GetMyCase(ctx context.Context, req api.GetMyCaseRequestObject) (api.GetMyCaseResponseObject, error) {
	c, err := h.myCase(ctx, req.CaseId.String())
	if err != nil {
		return nil, err
	}
	page, err := h.cases.Timeline(ctx, c.ID, 200, "")
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, c.CustomerID)
	out := api.GetMyCase200JSONResponse{Case: h.toCitizenCase(c), Events: []api.CitizenEvent{}}
	for _, ev := range page.Items {
		if summary, ok := timeline.ForResident(ev, residentViews...); ok {
			out.Events = append(out.Events, api.CitizenEvent{Kind: ev.Kind, OccurredAt: ev.OccurredAt, Summary: summary})
		}
	}
	return out, nil
}

func (h *handlers) ContactFromMyAccount(ctx context.Context, req api.ContactFromMyAccountRequestObject) (api.ContactFromMyAccountResponseObject, error) {
	me, err := h.myRecord(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := intake.Request{Channel: channel.WebForm, Service: fromService(b.Service), Intent: deref(b.Intent), Summary: deref(b.Summary),
		CustomerID: me.ID}
	if b.Channel != nil {
		in.Channel = channel.Channel(*b.Channel)
	}
	if b.Outcome != nil {
		in.Outcome = intake.Outcome(*b.Outcome)
	}
	if b.CaseId != nil {
		if _, err := h.myCase(ctx, b.CaseId.String()); err != nil {
			return nil, err
		}
		in.CaseID = b.CaseId.String()
	}
	res, err := h.contacts.Record(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	if res.Case == nil {
		return nil, fmt.Errorf("a My Account contact for %s opened no case", me.ID)
	}
	seen(ctx, audit.Write, me.ID)
	out := api.ContactFromMyAccount201JSONResponse{ContactId: uuid.MustParse(res.Contact.ID), Case: h.toCitizenCase(*res.Case)}
	if res.Decision != nil && len(res.Decision.Result.SelfService) > 0 {
		links := toDecision(*res.Decision, res.Due).SelfService
		out.SelfService = &links
	}
	return out, nil
}

func (h *handlers) RateFromMyAccount(ctx context.Context, req api.RateFromMyAccountRequestObject) (api.RateFromMyAccountResponseObject, error) {
	b := req.Body
	r := satisfaction.Rating{Source: satisfaction.MyAccount, Score: &b.Score, Comment: deref(b.Comment),
		CaseID: uuidString(b.CaseId), ContactID: uuidString(b.ContactId)}
	if r.CaseID != "" {
		if _, err := h.myCase(ctx, r.CaseID); err != nil {
			return nil, err
		}
	}
	if r.ContactID != "" {
		me, err := h.myRecord(ctx)
		if err != nil {
			return nil, err
		}
		c, err := h.contacts.Get(ctx, r.ContactID)
		if err != nil && !fault.Is(err, fault.NotFound) {
			return nil, err
		}
		if err != nil || c.CustomerID != me.ID {
			return nil, fault.New(fault.NotFound, "no contact %s", r.ContactID)
		}
	}
	saved, err := h.ratings.Record(ctx, actorFrom(ctx), r)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, saved.CustomerID)
	return api.RateFromMyAccount201JSONResponse(toMyRating(saved)), nil
}

// toMyRating is a resident's rating as they see it: never the agent, channel, tier or
// service it was attached to.
func toMyRating(r satisfaction.Rating) api.MyRating {
	return api.MyRating{Id: uuid.MustParse(r.ID), Score: deref(r.Score), Comment: optString(r.Comment),
		CaseId: optUUID(r.CaseID), ContactId: optUUID(r.ContactID), CreatedAt: r.CreatedAt}
}

func (h *handlers) toCitizenCase(c casework.Case) api.CitizenCase {
	out := api.CitizenCase{Id: uuid.MustParse(c.ID), Service: toService(c.Service), Status: api.CaseStatus(c.Status),
		OpenedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ResolvedAt: optTime(c.ResolvedAt)}
	if svc, ok := h.catalogue.Service(c.Service.LGSL); ok {
		out.ServiceName = &svc.Name
	}
	if !c.Status.Finished() {
		out.DueBy = &c.SLADueAt
	}
	return out
}

// residentViews are the packages whose events a resident may see, each answering for
// its own kinds of event.
var residentViews = []timeline.ResidentView{intake.ForResident, casework.ForResident, satisfaction.ForResident, referral.ForResident,
	customer.ForResident}
