package httpapi

import (
	"context"
	"strconv"
	"strings"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/ivr"
	"github.com/council/contacthub/internal/timeline"
)

// Calls is what the handlers need of the IVR.
type Calls interface {
	Handle(ctx context.Context, actor timeline.Actor, e ivr.Event) (ivr.Answer, error)
}

func (h *handlers) PostIVREvent(ctx context.Context, req api.PostIVREventRequestObject) (api.PostIVREventResponseObject, error) {
	b := req.Body
	e := ivr.Event{Kind: string(b.Event), CallID: b.CallId, Sequence: deref(b.Sequence), From: deref(b.From), To: deref(b.To),
		Queue: deref(b.Queue), AnsweringNumber: deref(b.AnsweringNumber), User: deref(b.User), Digits: deref(b.Digits)}
	if b.Direction != nil {
		e.Direction = string(*b.Direction)
	}
	if b.Cause != nil {
		e.Cause = string(*b.Cause)
	}
	if b.At != nil {
		e.At = *b.At
	}
	if b.Attributes != nil {
		e.Attributes = *b.Attributes
	} else {
		e.Attributes = map[string]string{}
	}
	a, err := h.calls.Handle(ctx, actorFrom(ctx), e)
	if err != nil {
		return nil, err
	}
	// The answer shows the caller's record and the candidates' names to the IVR.
	if a.Customer != nil {
		seen(ctx, audit.Read, a.Customer.ID)
	}
	for _, c := range a.Candidates {
		seen(ctx, audit.Read, c.Customer.ID)
	}
	var out api.PostIVREvent200JSONResponse
	if req.Params.Format != nil && *req.Params.Format == api.PostIVREventParamsFormatFlat {
		err = out.FromIVRFlatAnswer(flatAnswer(a))
	} else {
		err = out.FromIVRAnswer(toIVRAnswer(a))
	}
	return out, err
}

func toIVRAnswer(a ivr.Answer) api.IVRAnswer {
	out := api.IVRAnswer{Format: api.IVRAnswerFormatJson, CallId: a.CallID, ContactId: mustUUID(a.ContactID), State: api.IVRAnswerState(a.State), Duplicate: a.Duplicate}
	if a.Decision.Result == nil { // a later event: the state is the answer
		return out
	}
	out.Customer.SetNull()
	if c := a.Customer; c != nil {
		out.Customer.Set(api.IVRCustomer{Id: mustUUID(c.ID), DisplayName: displayName(c.GivenName, c.FamilyName), Needs: toNeeds(c.Needs)})
	}
	cands := make([]struct {
		CustomerId  openapi_types.UUID `json:"customerId"`
		DisplayName string             `json:"displayName"`
		Score       float32            `json:"score"`
	}, 0, len(a.Candidates))
	for _, c := range a.Candidates {
		cands = append(cands, struct {
			CustomerId  openapi_types.UUID `json:"customerId"`
			DisplayName string             `json:"displayName"`
			Score       float32            `json:"score"`
		}{mustUUID(c.Customer.ID), displayName(c.Customer.GivenName, c.Customer.FamilyName), float32(c.Score)})
	}
	out.Candidates = &cands
	cases := make([]api.IVRCase, 0, len(a.OpenCases))
	for _, cs := range a.OpenCases {
		cases = append(cases, api.IVRCase{Id: mustUUID(cs.ID), Service: toService(cs.Service), Status: api.CaseStatus(cs.Status),
			Tier: cs.Tier, Queue: cs.Queue, SlaDueAt: cs.SLADueAt})
	}
	out.OpenCases = &cases
	d := toDecision(a.Decision, a.Due)
	out.Routing = &d
	out.SelfServiceFits = &a.SelfService
	return out
}

// flatAnswer is the newCall answer as the flat string map contact-centre platforms take.
func flatAnswer(a ivr.Answer) api.IVRFlatAnswer {
	m := map[string]string{"callId": a.CallID, "contactId": a.ContactID, "state": a.State, "customerId": "", "customerName": "",
		"vulnerable": "false", "openCases": strconv.Itoa(len(a.OpenCases)), "selfServiceFits": strconv.FormatBool(a.SelfService)}
	if c := a.Customer; c != nil {
		m["customerId"], m["customerName"] = c.ID, displayName(c.GivenName, c.FamilyName)
		m["vulnerable"] = strconv.FormatBool(c.Needs.Vulnerable)
	}
	for i, cs := range a.OpenCases {
		n := strconv.Itoa(i + 1)
		m["case"+n+"Id"], m["case"+n+"Service"], m["case"+n+"Status"] = cs.ID, strconv.Itoa(cs.Service.LGSL), string(cs.Status)
	}
	if d := a.Decision; d.Result != nil {
		m["tier"], m["queue"], m["priority"], m["rule"] = strconv.Itoa(d.Result.Tier), d.Result.Queue, strconv.Itoa(d.Result.Priority), d.RuleID
		for i, l := range d.Result.SelfService {
			n := strconv.Itoa(i + 1)
			m["selfService"+n+"Title"], m["selfService"+n+"Url"] = l.Title, l.URL
		}
	}
	return api.IVRFlatAnswer{Format: api.IVRFlatAnswerFormatFlat, AdditionalProperties: m}
}

func displayName(given, family string) string {
	return strings.TrimSpace(given + " " + family)
}
