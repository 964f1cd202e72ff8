package httpapi

import (
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/referral"
)

func fromService(s api.Service) casework.Service {
	return casework.Service{LGSL: s.Lgsl, Category: deref(s.Category)}
}

func toService(s casework.Service) api.Service {
	return api.Service{Lgsl: s.LGSL, Category: optString(s.Category)}
}

func fromContactCreate(in api.ContactCreate) intake.Request {
	out := intake.Request{
		Channel: channel.Channel(in.Channel), Service: fromService(in.Service),
		Intent: deref(in.Intent), Summary: deref(in.Summary), CustomerID: uuidString(in.CustomerId),
		GivenName: deref(in.GivenName), FamilyName: deref(in.FamilyName), CreateCustomer: true,
		CaseID: uuidString(in.CaseId), Centre: deref(in.Centre), AssistedDigital: deref(in.AssistedDigital),
		Agent: deref(in.Agent), ExternalID: deref(in.ExternalId), ResolutionCode: deref(in.ResolutionCode),
		EvidenceRequired: deref(in.EvidenceRequired), Amount: in.Amount,
	}
	if in.Direction != nil {
		out.Direction = string(*in.Direction)
	}
	if in.StartedAt != nil {
		out.StartedAt = *in.StartedAt
	}
	if in.EndedAt != nil {
		out.EndedAt = *in.EndedAt
	}
	if in.CreateCustomer != nil {
		out.CreateCustomer = *in.CreateCustomer
	}
	if in.Identifiers != nil {
		out.Identifiers = fromIdentifierInputs(*in.Identifiers)
	}
	if in.OnBehalfOf != nil {
		out.OnBehalfOf = intake.OnBehalfOf{LandlordID: deref(in.OnBehalfOf.LandlordId), UPRN: deref(in.OnBehalfOf.Uprn),
			TenantCustomerID: uuidString(in.OnBehalfOf.TenantCustomerId)}
	}
	if in.Outcome != nil {
		out.Outcome = intake.Outcome(*in.Outcome)
	}
	return out
}

func toContact(c intake.Contact) api.Contact {
	out := api.Contact{
		Id: uuid.MustParse(c.ID), CustomerId: optUUID(c.CustomerID), CaseId: optUUID(c.CaseID),
		Channel: api.Channel(c.Channel), Direction: api.ContactDirection(c.Direction), StartedAt: c.StartedAt,
		Service: toService(c.Service), Intent: optString(c.Intent), Summary: optString(c.Summary),
		Centre: optString(c.Centre), AssistedDigital: c.AssistedDigital, Agent: optString(c.Agent),
		ExternalId: optString(c.ExternalID), Outcome: api.Outcome(c.Outcome), Version: c.Version, CreatedAt: c.CreatedAt,
		Avoidable: nullable.NewNullNullable[api.Avoidable](),
	}
	if !c.EndedAt.IsZero() {
		out.EndedAt = &c.EndedAt
	}
	if c.AvoidableReason != "" {
		out.Avoidable = nullable.NewNullableWithValue(api.Avoidable{Reason: api.AvoidableReason(c.AvoidableReason)})
	}
	if !c.OnBehalfOf.IsZero() {
		out.OnBehalfOf = &api.OnBehalfOf{LandlordId: optString(c.OnBehalfOf.LandlordID), Uprn: optString(c.OnBehalfOf.UPRN),
			TenantCustomerId: optUUID(c.OnBehalfOf.TenantCustomerID)}
	}
	return out
}

func toContactRecorded(r intake.Result) api.ContactRecorded {
	out := api.ContactRecorded{
		Contact: toContact(r.Contact), CustomerCreated: r.CustomerCreated, CaseCreated: r.CaseCreated,
		Customer: nullable.NewNullNullable[api.Customer](), Case: nullable.NewNullNullable[api.Case](),
		Candidates: toCandidates(r.Candidates),
	}
	if r.Customer != nil {
		out.Customer = nullable.NewNullableWithValue(toCustomer(*r.Customer))
	}
	if r.Case != nil {
		out.Case = nullable.NewNullableWithValue(toCase(*r.Case))
	}
	if r.Decision != nil {
		d := toDecision(*r.Decision, r.Due)
		out.Routing = &d
	}
	return out
}

func toCase(c casework.Case) api.Case {
	out := api.Case{
		Id: uuid.MustParse(c.ID), CustomerId: uuid.MustParse(c.CustomerID), Service: toService(c.Service),
		Status: api.CaseStatus(c.Status), Tier: c.Tier, Queue: c.Queue, Assignee: optString(c.Assignee),
		Priority: c.Priority, SlaDueAt: c.SLADueAt, Channel: api.Channel(c.Channel),
		OpenedByContactId: optUUID(c.OpenedByContactID), ResolvedAtFirstContact: c.ResolvedAtFirstContact,
		ResolutionCode: optString(c.ResolutionCode), Summary: optString(c.Summary), ContactCount: c.ContactCount,
		Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, HandoffCount: c.HandoffCount,
		ClaimedAt: optTime(c.ClaimedAt),
		Routing: api.CaseRouting{RulesetVersion: c.Routing.RulesetVersion, Rule: c.Routing.Rule, Summary: c.Routing.Summary,
			Skills: append([]string{}, c.Routing.Skills...)},
	}
	if !c.ResolvedAt.IsZero() {
		out.ResolvedAt = &c.ResolvedAt
	}
	return out
}

func fromCasePatch(in api.CasePatch) (casework.Patch, error) {
	p := casework.Patch{Priority: in.Priority, SLADueAt: in.SlaDueAt, Summary: in.Summary}
	if in.Status != nil {
		s := casework.Status(*in.Status)
		p.Status = &s
	}
	assignee, err := nullableField(in.Assignee, func(s string) string { return s })
	if err != nil {
		return p, err
	}
	if assignee.Set {
		p.Assignee = &assignee.Value
	}
	return p, nil
}

func toReferral(r referral.Referral) api.Referral {
	return api.Referral{Id: uuid.MustParse(r.ID), CaseId: uuid.MustParse(r.CaseID), Partner: r.Partner, Reason: r.Reason,
		Status: api.ReferralStatus(r.Status), ReferredBy: r.ReferredBy, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func optUUID(s string) *openapi_types.UUID {
	if s == "" {
		return nil
	}
	u := uuid.MustParse(s)
	return &u
}

func uuidString(u *openapi_types.UUID) string {
	if u == nil {
		return ""
	}
	return u.String()
}
