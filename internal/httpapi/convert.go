package httpapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/timeline"
)

// Explicit conversions between wire types (api) and domain types; wire types never
// reach the domain and domain types never reach the wire.

func toCustomer(c customer.Customer) api.Customer {
	out := api.Customer{
		Id:          uuid.MustParse(c.ID),
		GivenName:   optString(c.GivenName),
		FamilyName:  optString(c.FamilyName),
		DateOfBirth: optDate(c.DateOfBirth),
		Address:     toAddress(c.Address),
		Identifiers: toIdentifiers(c.Identifiers),
		Needs:       toNeeds(c.Needs),
		Consents:    api.Consents{SmsSurveys: &c.Consents.SMSSurveys},
		Version:     c.Version,
		CreatedAt:   c.CreatedAt,
		UpdatedAt:   c.UpdatedAt,
	}
	if c.MergedInto != "" {
		m := uuid.MustParse(c.MergedInto)
		out.MergedInto = &m
	}
	return out
}

// toMyRecord is a resident's own record for My Account: the type has no field for the
// council's assessments (vulnerable, assisted digital) or merges, so none can leak.
func toMyRecord(c customer.Customer) api.MyRecord {
	out := api.MyRecord{
		Id:          uuid.MustParse(c.ID),
		GivenName:   optString(c.GivenName),
		FamilyName:  optString(c.FamilyName),
		DateOfBirth: optDate(c.DateOfBirth),
		Address:     toAddress(c.Address),
		Identifiers: toIdentifiers(c.Identifiers),
		Consents:    api.Consents{SmsSurveys: &c.Consents.SMSSurveys},
		Version:     c.Version,
		CreatedAt:   c.CreatedAt,
		UpdatedAt:   c.UpdatedAt,
	}
	out.Preferences.PreferredLanguage = optString(c.Needs.PreferredLanguage)
	if len(c.Needs.Accessibility) > 0 {
		out.Preferences.Accessibility = &c.Needs.Accessibility
	}
	return out
}

func toAddress(a customer.Address) *api.Address {
	if a.IsZero() {
		return nil
	}
	return &api.Address{Line1: optString(a.Line1), Line2: optString(a.Line2),
		Town: optString(a.Town), Postcode: optString(a.Postcode)}
}

func toIdentifiers(ids []customer.Identifier) []api.Identifier {
	out := make([]api.Identifier, 0, len(ids))
	for _, id := range ids {
		out = append(out, api.Identifier{
			Id: uuid.MustParse(id.ID), Kind: api.IdentifierKind(id.Kind), Value: id.Value, AddedAt: id.AddedAt})
	}
	return out
}

func toNeeds(n customer.Needs) api.Needs {
	out := api.Needs{
		Vulnerable:        &n.Vulnerable,
		AssistedDigital:   &n.AssistedDigital,
		PreferredLanguage: optString(n.PreferredLanguage),
	}
	if len(n.Accessibility) > 0 {
		a := append([]string(nil), n.Accessibility...)
		out.Accessibility = &a
	}
	return out
}

func toCustomers(cs []customer.Customer) []api.Customer {
	out := make([]api.Customer, len(cs))
	for i, c := range cs {
		out[i] = toCustomer(c)
	}
	return out
}

func fromCustomerCreate(in api.CustomerCreate) customer.NewCustomer {
	out := customer.NewCustomer{
		GivenName:   deref(in.GivenName),
		FamilyName:  deref(in.FamilyName),
		DateOfBirth: dateString(in.DateOfBirth),
	}
	if in.Address != nil {
		out.Address = fromAddress(*in.Address)
	}
	if in.Needs != nil {
		out.Needs = customer.Needs{
			Vulnerable:        deref(in.Needs.Vulnerable),
			AssistedDigital:   deref(in.Needs.AssistedDigital),
			PreferredLanguage: deref(in.Needs.PreferredLanguage),
		}
		if in.Needs.Accessibility != nil {
			out.Needs.Accessibility = *in.Needs.Accessibility
		}
	}
	if in.Consents != nil {
		out.Consents.SMSSurveys = deref(in.Consents.SmsSurveys)
	}
	if in.Identifiers != nil {
		out.Identifiers = fromIdentifierInputs(*in.Identifiers)
	}
	return out
}

func fromAddress(a api.Address) customer.Address {
	return customer.Address{Line1: deref(a.Line1), Line2: deref(a.Line2), Town: deref(a.Town), Postcode: deref(a.Postcode)}
}

func fromIdentifierInputs(in []api.IdentifierInput) []customer.IdentifierInput {
	out := make([]customer.IdentifierInput, len(in))
	for i, id := range in {
		out[i] = customer.IdentifierInput{Kind: identifier.Kind(id.Kind), Value: id.Value}
	}
	return out
}

func fromCustomerPatch(in api.CustomerPatch) (customer.Patch, error) {
	var p customer.Patch
	var err error
	if p.GivenName, err = nullableField(in.GivenName, func(s string) string { return s }); err != nil {
		return p, err
	}
	if p.FamilyName, err = nullableField(in.FamilyName, func(s string) string { return s }); err != nil {
		return p, err
	}
	if p.DateOfBirth, err = nullableField(in.DateOfBirth, func(d openapi_types.Date) string { return d.Format(time.DateOnly) }); err != nil {
		return p, err
	}
	if p.Address, err = nullableField(in.Address, fromAddress); err != nil {
		return p, err
	}
	if in.Needs != nil {
		p.Needs = &customer.NeedsPatch{Vulnerable: in.Needs.Vulnerable, AssistedDigital: in.Needs.AssistedDigital,
			PreferredLanguage: in.Needs.PreferredLanguage, Accessibility: in.Needs.Accessibility}
	}
	if in.Consents != nil {
		p.Consents = &customer.ConsentsPatch{SMSSurveys: in.Consents.SmsSurveys}
	}
	return p, nil
}

// nullableMember is the part of nullable.Nullable a merge patch needs.
type nullableMember[T any] interface {
	IsSpecified() bool
	IsNull() bool
	Get() (T, error)
}

// nullableField reads one merge-patch member: absent is unchanged, null clears.
func nullableField[T, U any](n nullableMember[T], conv func(T) U) (customer.Field[U], error) {
	if !n.IsSpecified() {
		return customer.Field[U]{}, nil
	}
	if n.IsNull() {
		return customer.Field[U]{Set: true}, nil
	}
	v, err := n.Get()
	if err != nil {
		return customer.Field[U]{}, fmt.Errorf("read patch member: %w", err)
	}
	return customer.Field[U]{Set: true, Value: conv(v)}, nil
}

func fromMatchRequest(in api.MatchRequest) customer.MatchRequest {
	out := customer.MatchRequest{
		GivenName:   deref(in.GivenName),
		FamilyName:  deref(in.FamilyName),
		DateOfBirth: dateString(in.DateOfBirth),
		Postcode:    deref(in.Postcode),
	}
	if in.Identifiers != nil {
		out.Identifiers = fromIdentifierInputs(*in.Identifiers)
	}
	return out
}

func toMatchResult(r customer.MatchResult) api.MatchResult {
	out := api.MatchResult{Candidates: toCandidates(r.Candidates)}
	if r.Match != nil {
		m := toCustomer(*r.Match)
		out.Match = &m
	}
	return out
}

func toCandidates(cs []customer.Candidate) []api.MatchCandidate {
	out := make([]api.MatchCandidate, 0, len(cs))
	for _, c := range cs {
		reasons := make([]api.MatchReason, 0, len(c.Reasons))
		for _, rs := range c.Reasons {
			reasons = append(reasons, api.MatchReason{Field: rs.Field, Weight: float32(rs.Weight)})
		}
		out = append(out, api.MatchCandidate{Customer: toCustomer(c.Customer), Score: float32(c.Score), Reasons: reasons})
	}
	return out
}

func mustUUID(s string) uuid.UUID { return uuid.MustParse(s) }

func toMerge(m customer.Merge) api.Merge {
	out := api.Merge{Id: uuid.MustParse(m.ID), SurvivorId: uuid.MustParse(m.SurvivorID), DuplicateId: uuid.MustParse(m.DuplicateID),
		Reason: m.Reason, MergedBy: m.MergedBy, MergedAt: m.MergedAt}
	if !m.UndoneAt.IsZero() {
		out.UndoneAt = &m.UndoneAt
		out.UndoneBy = optString(m.UndoneBy)
		out.UndoReason = optString(m.UndoReason)
	}
	return out
}

func toEvent(ev timeline.Event) api.TimelineEvent {
	out := toEventHead(ev)
	out.Data = ev.Fields()
	return out
}

// toEventHead is an event without its data.
func toEventHead(ev timeline.Event) api.TimelineEvent {
	return api.TimelineEvent{
		Id: uuid.MustParse(ev.ID), Kind: ev.Kind, OccurredAt: ev.OccurredAt,
		CustomerId: optUUID(ev.CustomerID), CaseId: optUUID(ev.CaseID),
		Actor: api.Actor{Subject: ev.Actor.Subject, Role: ev.Actor.Role},
	}
}

// etag is a record version as a strong entity tag.
func etag(version int) *string {
	s := `"` + strconv.Itoa(version) + `"`
	return &s
}

// parseIfMatch reads If-Match: "*" is any version; otherwise one strong tag.
func parseIfMatch(h string) (int, bool) {
	h = strings.TrimSpace(h)
	if h == "*" {
		return customer.AnyVersion, true
	}
	if len(h) < 3 || h[0] != '"' || h[len(h)-1] != '"' {
		return 0, false
	}
	v, err := strconv.Atoi(h[1 : len(h)-1])
	if err != nil || v < 1 {
		return 0, false
	}
	return v, true
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optDate(s string) *openapi_types.Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &openapi_types.Date{Time: t}
}

func dateString(d *openapi_types.Date) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
