package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/landlord"
	"github.com/council/contacthub/internal/report"
	"github.com/council/contacthub/internal/timeline"
)

// Landlords is what the handlers need of the landlord portal.
type Landlords interface {
	Create(ctx context.Context, actor timeline.Actor, name, reference string) (landlord.Landlord, error)
	AddProperty(ctx context.Context, actor timeline.Actor, landlordID, uprn, line1, postcode string) (landlord.Property, error)
	AddTenancy(ctx context.Context, actor timeline.Actor, landlordID, propertyID, customerID, startsOn, endsOn string) (landlord.Tenancy, error)
	Invite(ctx context.Context, actor timeline.Actor, landlordID, email string, ttl time.Duration) (landlord.Invitation, error)
	Accept(ctx context.Context, actor timeline.Actor, token, landlordID string) (string, error)
	Admit(ctx context.Context, landlordID, subject string) error
	Properties(ctx context.Context, landlordID string) ([]landlord.Property, error)
	RaiseContact(ctx context.Context, actor timeline.Actor, landlordID string, r landlord.ContactRequest) (intake.Result, error)
	Cases(ctx context.Context, landlordID string) ([]casework.Case, error)
}

// invitationTTL is how long an invitation stays open.
const invitationTTL = 14 * 24 * time.Hour

func (h *handlers) CreateLandlord(ctx context.Context, req api.CreateLandlordRequestObject) (api.CreateLandlordResponseObject, error) {
	l, err := h.landlords.Create(ctx, actorFrom(ctx), req.Body.Name, deref(req.Body.Reference))
	if err != nil {
		return nil, err
	}
	return api.CreateLandlord201JSONResponse{Id: uuid.MustParse(l.ID), Name: l.Name, Reference: optString(l.Reference), CreatedAt: l.CreatedAt}, nil
}

func (h *handlers) AddLandlordProperty(ctx context.Context, req api.AddLandlordPropertyRequestObject) (api.AddLandlordPropertyResponseObject, error) {
	p, err := h.landlords.AddProperty(ctx, actorFrom(ctx), req.LandlordId.String(), req.Body.Uprn, deref(req.Body.Line1), deref(req.Body.Postcode))
	if err != nil {
		return nil, err
	}
	return api.AddLandlordProperty201JSONResponse(toProperty(p)), nil
}

func (h *handlers) AddTenancy(ctx context.Context, req api.AddTenancyRequestObject) (api.AddTenancyResponseObject, error) {
	b := req.Body
	t, err := h.landlords.AddTenancy(ctx, actorFrom(ctx), req.LandlordId.String(), b.PropertyId.String(), b.CustomerId.String(),
		b.StartsOn.Format(time.DateOnly), dateString(b.EndsOn))
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, b.CustomerId.String()) // where a person lives, and whose tenant they are
	return api.AddTenancy201JSONResponse(toTenancy(t)), nil
}

func (h *handlers) InviteLandlordUser(ctx context.Context, req api.InviteLandlordUserRequestObject) (api.InviteLandlordUserResponseObject, error) {
	inv, err := h.landlords.Invite(ctx, actorFrom(ctx), req.LandlordId.String(), req.Body.Email, invitationTTL)
	if err != nil {
		return nil, err
	}
	return api.InviteLandlordUser201JSONResponse{Id: uuid.MustParse(inv.ID), LandlordId: uuid.MustParse(inv.LandlordID), Email: inv.Email,
		Token: inv.Token, ExpiresAt: inv.ExpiresAt}, nil
}

func (h *handlers) AcceptInvitation(ctx context.Context, req api.AcceptInvitationRequestObject) (api.AcceptInvitationResponseObject, error) {
	id, err := h.landlords.Accept(ctx, actorFrom(ctx), req.Token, principalFrom(ctx).LandlordID)
	if err != nil {
		return nil, err
	}
	return api.AcceptInvitation200JSONResponse{LandlordId: uuid.MustParse(id)}, nil
}

// myLandlord is the calling landlord user's organisation, once they have accepted an invitation.
func (h *handlers) myLandlord(ctx context.Context) (string, error) {
	p := principalFrom(ctx)
	return p.LandlordID, h.landlords.Admit(ctx, p.LandlordID, p.Subject)
}

func (h *handlers) ListMyProperties(ctx context.Context, _ api.ListMyPropertiesRequestObject) (api.ListMyPropertiesResponseObject, error) {
	id, err := h.myLandlord(ctx)
	if err != nil {
		return nil, err
	}
	props, err := h.landlords.Properties(ctx, id)
	if err != nil {
		return nil, err
	}
	out := api.ListMyProperties200JSONResponse{Items: make([]api.MyProperty, 0, len(props))}
	today := landlord.Today()
	for _, p := range props {
		out.Items = append(out.Items, toMyProperty(p, today))
	}
	return out, nil
}

func (h *handlers) LandlordContact(ctx context.Context, req api.LandlordContactRequestObject) (api.LandlordContactResponseObject, error) {
	id, err := h.myLandlord(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	res, err := h.landlords.RaiseContact(ctx, actorFrom(ctx), id, landlord.ContactRequest{PropertyID: b.PropertyId.String(),
		TenancyID: uuidString(b.TenancyId), Service: fromService(b.Service), Intent: deref(b.Intent), Summary: deref(b.Summary)})
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, res.Contact.CustomerID)
	out := api.LandlordContact201JSONResponse{ContactId: uuid.MustParse(res.Contact.ID)}
	out.Case.SetNull()
	if res.Case != nil {
		out.Case.Set(h.toCitizenCase(*res.Case))
	}
	return out, nil
}

func (h *handlers) ListLandlordCases(ctx context.Context, _ api.ListLandlordCasesRequestObject) (api.ListLandlordCasesResponseObject, error) {
	id, err := h.myLandlord(ctx)
	if err != nil {
		return nil, err
	}
	cases, err := h.landlords.Cases(ctx, id)
	if err != nil {
		return nil, err
	}
	out := api.ListLandlordCases200JSONResponse{Items: make([]api.CitizenCase, 0, len(cases))}
	for _, c := range cases {
		out.Items = append(out.Items, h.toCitizenCase(c))
		seen(ctx, audit.Read, c.CustomerID)
	}
	return out, nil
}

func (h *handlers) GetLandlordTakeUp(ctx context.Context, req api.GetLandlordTakeUpRequestObject) (api.GetLandlordTakeUpResponseObject, error) {
	s, err := takeUpSpan(req.Params, time.Now())
	if err != nil {
		return nil, err
	}
	t, err := h.reports.LandlordTakeUp(ctx, s)
	if err != nil {
		return nil, err
	}
	switch formOf(ctx) {
	case formCSV:
		body, n := csvBody(t.CSV())
		return api.GetLandlordTakeUp200TextcsvResponse{Body: body, ContentLength: n}, nil
	case formSVG:
		body, n := svgBody(t.Chart())
		return api.GetLandlordTakeUp200ImagesvgXmlResponse{Body: body, ContentLength: n}, nil
	}
	return api.GetLandlordTakeUp200JSONResponse(toTakeUp(t)), nil
}

// takeUpSpan is the take-up report's days: as asked, or the 12 weeks to today.
func takeUpSpan(p api.GetLandlordTakeUpParams, now time.Time) (report.Span, error) {
	s := report.Span{To: now.UTC(), Period: report.Week}
	if p.To != nil {
		s.To = p.To.Time
	}
	s.From = s.To.AddDate(0, 0, -83)
	if p.From != nil {
		s.From = p.From.Time
	}
	if p.GroupBy != nil {
		s.Period = report.Period(*p.GroupBy)
	}
	return report.Check(s, report.Filter{}, nil)
}

func toTakeUp(t report.LandlordTakeUp) api.LandlordTakeUp {
	out := api.LandlordTakeUp{Landlords: t.Landlords, Invited: t.Invited, Accepted: t.Accepted, ActiveLast30Days: t.ActiveLast30Days,
		From: apiDate(t.Span.From), To: apiDate(t.Span.To), GroupBy: api.ReportPeriod(t.Span.Period),
		Periods: make([]api.LandlordTakeUpPeriod, 0, len(t.Periods))}
	for _, p := range t.Periods {
		out.Periods = append(out.Periods, api.LandlordTakeUpPeriod{Start: apiDate(p.Start), LandlordsAdded: p.LandlordsAdded,
			Invited: p.Invited, Accepted: p.Accepted, PortalContacts: p.PortalContacts})
	}
	return out
}

func toTenancy(t landlord.Tenancy) api.Tenancy {
	out := api.Tenancy{Id: uuid.MustParse(t.ID), PropertyId: uuid.MustParse(t.PropertyID), CustomerId: uuid.MustParse(t.CustomerID),
		StartsOn: openapi_types.Date{Time: dateOf(t.StartsOn)}}
	if t.EndsOn != "" {
		out.EndsOn = &openapi_types.Date{Time: dateOf(t.EndsOn)}
	}
	return out
}

func toProperty(p landlord.Property) api.Property {
	out := api.Property{Id: uuid.MustParse(p.ID), Uprn: p.UPRN, Line1: optString(p.Line1), Postcode: optString(p.Postcode),
		Tenancies: make([]api.Tenancy, 0, len(p.Tenancies))}
	for _, t := range p.Tenancies {
		out.Tenancies = append(out.Tenancies, toTenancy(t))
	}
	return out
}

// toMyProperty is a property as its landlord sees it: the type has no field for who
// holds a tenancy, so no tenant's record id reaches the portal.
func toMyProperty(p landlord.Property, today string) api.MyProperty {
	out := api.MyProperty{Id: uuid.MustParse(p.ID), Uprn: p.UPRN, Line1: optString(p.Line1), Postcode: optString(p.Postcode),
		Tenancies: make([]api.MyTenancy, 0, len(p.Tenancies))}
	for _, t := range p.Tenancies {
		mine := api.MyTenancy{Id: uuid.MustParse(t.ID), StartsOn: openapi_types.Date{Time: dateOf(t.StartsOn)}, Current: t.Current(today)}
		if t.EndsOn != "" {
			mine.EndsOn = &openapi_types.Date{Time: dateOf(t.EndsOn)}
		}
		out.Tenancies = append(out.Tenancies, mine)
	}
	return out
}

// dateOf reads a stored YYYY-MM-DD (always valid: it was written from a validated date).
func dateOf(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}
