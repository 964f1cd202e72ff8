package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/report"
	"github.com/council/contacthub/internal/routing"
	"github.com/council/contacthub/internal/workcal"
)

// Router is what the handlers need of the rule sets.
type Router interface {
	Active() *routing.Compiled
	Location() *time.Location
	Calendar() *workcal.Calendar
	Versions(ctx context.Context) ([]routing.Version, error)
	Get(ctx context.Context, version int) (routing.Version, error)
	Publish(ctx context.Context, by routing.Actor, doc []byte, activate bool) (routing.Version, []routing.Problem, error)
	Activate(ctx context.Context, by routing.Actor, version int) (routing.Version, error)
}

// Work is what the handlers need of queues and hand-offs.
type Work interface {
	HandOff(ctx context.Context, who casework.Caller, id string, expected int, toQueue, reason, note string) (casework.Case, error)
	Claim(ctx context.Context, who casework.Claimant, queue string) (casework.Case, bool, error)
	Release(ctx context.Context, who casework.Caller, id string) (casework.Case, error)
	Queues(ctx context.Context) ([]casework.QueueStats, error)
}

// Previews is what the handlers need to decide and simulate without writing.
type Previews interface {
	Preview(ctx context.Context, e intake.Enquiry, rules *routing.Compiled) (routing.Decision, []routing.Step, time.Time, error)
	Simulate(ctx context.Context, rules *routing.Compiled, from, to time.Time) (intake.Simulation, error)
}

// Reports is what the handlers need of the reports.
type Reports interface {
	Routing(ctx context.Context, from, to time.Time, by report.Period) (report.Routing, error)
	LandlordTakeUp(ctx context.Context, s report.Span) (report.LandlordTakeUp, error)
}

func (h *handlers) ListRuleSets(ctx context.Context, _ api.ListRuleSetsRequestObject) (api.ListRuleSetsResponseObject, error) {
	vs, err := h.router.Versions(ctx)
	if err != nil {
		return nil, err
	}
	out := api.ListRuleSets200JSONResponse{Versions: make([]api.RuleSetSummary, 0, len(vs))}
	for _, v := range vs {
		out.Versions = append(out.Versions, api.RuleSetSummary{Version: v.Number, PublishedBy: v.PublishedBy,
			PublishedAt: v.PublishedAt, Active: v.Active, ActivatedAt: optTime(v.ActivatedAt)})
		if v.Active {
			if out.Active, err = toRuleSetVersion(v); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (h *handlers) PublishRuleSet(ctx context.Context, req api.PublishRuleSetRequestObject) (api.PublishRuleSetResponseObject, error) {
	doc, err := json.Marshal(req.Body)
	if err != nil {
		return nil, err
	}
	activate := req.Params.Activate == nil || *req.Params.Activate
	v, _, err := h.router.Publish(ctx, actorFrom(ctx), doc, activate)
	if err != nil {
		return nil, err
	}
	out, err := toRuleSetVersion(v)
	return api.PublishRuleSet201JSONResponse(out), err
}

func (h *handlers) GetRuleSet(ctx context.Context, req api.GetRuleSetRequestObject) (api.GetRuleSetResponseObject, error) {
	v, err := h.router.Get(ctx, req.Version)
	if err != nil {
		return nil, err
	}
	out, err := toRuleSetVersion(v)
	return api.GetRuleSet200JSONResponse(out), err
}

func (h *handlers) ActivateRuleSet(ctx context.Context, req api.ActivateRuleSetRequestObject) (api.ActivateRuleSetResponseObject, error) {
	v, err := h.router.Activate(ctx, actorFrom(ctx), req.Version)
	if err != nil {
		return nil, err
	}
	out, err := toRuleSetVersion(v)
	return api.ActivateRuleSet200JSONResponse(out), err
}

// candidate compiles rules sent with a request (version 0), or returns nil for the active ones.
func (h *handlers) candidate(rs *api.RuleSet) (*routing.Compiled, error) {
	if rs == nil {
		return nil, nil
	}
	doc, err := json.Marshal(rs)
	if err != nil {
		return nil, err
	}
	set, _, err := routing.Check(doc)
	if err != nil {
		return nil, prefixFields(err, "rules.")
	}
	return routing.Compile(0, set, h.router.Calendar())
}

func (h *handlers) DecideRouting(ctx context.Context, req api.DecideRoutingRequestObject) (api.DecideRoutingResponseObject, error) {
	b := req.Body
	rules, err := h.candidate(b.Rules)
	if err != nil {
		return nil, err
	}
	e := intake.Enquiry{Service: fromService(b.Service), Channel: channel.Channel(b.Channel), Intent: deref(b.Intent),
		CustomerID: uuidString(b.CustomerId), EvidenceRequired: deref(b.EvidenceRequired), Amount: b.Amount,
		CaseAge: time.Duration(deref(b.CaseAgeDays)) * 24 * time.Hour}
	if b.At != nil {
		e.At = *b.At
	}
	if b.Needs != nil {
		e.Needs = &customer.Needs{Vulnerable: deref(b.Needs.Vulnerable), AssistedDigital: deref(b.Needs.AssistedDigital),
			PreferredLanguage: deref(b.Needs.PreferredLanguage)}
	}
	d, steps, due, err := h.contacts.Preview(ctx, e, rules)
	if err != nil {
		return nil, err
	}
	out := api.DecideRouting200JSONResponse{Decision: toDecision(d, due), Explanation: make([]api.ExplanationStep, 0, len(steps))}
	for _, s := range steps {
		out.Explanation = append(out.Explanation, api.ExplanationStep{Rule: s.Rule, Matched: s.Matched, Reason: s.Reason})
	}
	return out, nil
}

func (h *handlers) SimulateRouting(ctx context.Context, req api.SimulateRoutingRequestObject) (api.SimulateRoutingResponseObject, error) {
	rules, err := h.candidate(&req.Body.Rules)
	if err != nil {
		return nil, err
	}
	sim, err := h.contacts.Simulate(ctx, rules, req.Body.From, req.Body.To)
	if err != nil {
		return nil, err
	}
	return api.SimulateRouting200JSONResponse{Contacts: sim.Contacts, Changed: sim.Changed,
		Candidate: api.Mix{Tiers: sim.Candidate.Tiers, Queues: sim.Candidate.Queues},
		Recorded:  api.Mix{Tiers: sim.Recorded.Tiers, Queues: sim.Recorded.Queues}}, nil
}

func (h *handlers) HandOffCase(ctx context.Context, req api.HandOffCaseRequestObject) (api.HandOffCaseResponseObject, error) {
	version, err := optionalIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	c, err := h.work.HandOff(ctx, callerFrom(ctx), req.CaseId.String(), version, req.Body.Queue, req.Body.Reason, deref(req.Body.Note))
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	return api.HandOffCase201JSONResponse{Body: toCase(c), Headers: api.HandOffCase201ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) ReleaseCase(ctx context.Context, req api.ReleaseCaseRequestObject) (api.ReleaseCaseResponseObject, error) {
	c, err := h.work.Release(ctx, callerFrom(ctx), req.CaseId.String())
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, c.CustomerID)
	return api.ReleaseCase200JSONResponse{Body: toCase(c), Headers: api.ReleaseCase200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) ListQueues(ctx context.Context, _ api.ListQueuesRequestObject) (api.ListQueuesResponseObject, error) {
	qs, err := h.work.Queues(ctx)
	if err != nil {
		return nil, err
	}
	out := api.ListQueues200JSONResponse{Items: make([]api.QueueStats, 0, len(qs))}
	for _, q := range qs {
		out.Items = append(out.Items, api.QueueStats{Name: q.Name, Tier: q.Tier, Waiting: q.Waiting, Claimed: q.Claimed,
			OldestWaitSeconds: int(q.OldestWait.Seconds()), PastSla: q.PastSLA})
	}
	return out, nil
}

func (h *handlers) ClaimNextCase(ctx context.Context, req api.ClaimNextCaseRequestObject) (api.ClaimNextCaseResponseObject, error) {
	c, found, err := h.work.Claim(ctx, callerFrom(ctx), req.Queue)
	if err != nil {
		return nil, err
	}
	if !found {
		return api.ClaimNextCase204Response{}, nil
	}
	seen(ctx, audit.Read, c.CustomerID)
	return api.ClaimNextCase200JSONResponse{Body: toCase(c), Headers: api.ClaimNextCase200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

func (h *handlers) GetRoutingReport(ctx context.Context, req api.GetRoutingReportRequestObject) (api.GetRoutingReportResponseObject, error) {
	var by report.Period
	if req.Params.GroupBy != nil {
		by = report.Period(*req.Params.GroupBy)
	}
	r, err := h.reports.Routing(ctx, req.Params.From, req.Params.To, by)
	if err != nil {
		return nil, err
	}
	switch formOf(ctx) {
	case formCSV:
		body, n := csvBody(r.CSV())
		return api.GetRoutingReport200TextcsvResponse{Body: body, ContentLength: n}, nil
	case formSVG:
		body, n := svgBody(r.Chart())
		return api.GetRoutingReport200ImagesvgXmlResponse{Body: body, ContentLength: n}, nil
	}
	return api.GetRoutingReport200JSONResponse(toRouting(r)), nil
}

func toRouting(r report.Routing) api.RoutingReport {
	out := api.RoutingReport{From: r.From, To: r.To, ContactsByTier: r.ContactsByTier, CasesOpened: r.CasesOpened,
		FirstContactResolutionRate: float32(r.FirstContactResolutionRate), HandoffRate: float32(r.HandoffRate),
		Handoffs: r.Handoffs, HandoffsByReason: r.HandoffsByReason, HandoffsByTiers: r.HandoffsByTiers,
		Tier3Resolved: r.Tier3Resolved, Tier3ResolvedWithoutSpecialistAction: float32(r.Tier3ResolvedUntouched),
		GroupBy: api.ReportPeriod(r.Period), Periods: make([]api.RoutingPeriod, 0, len(r.Periods))}
	for _, p := range r.Periods {
		out.Periods = append(out.Periods, api.RoutingPeriod{Start: apiDate(p.Start), ContactsByTier: p.ContactsByTier,
			CasesOpened: p.CasesOpened, FirstContactResolutionRate: float32(p.FirstContactResolutionRate),
			HandoffRate: float32(p.HandoffRate), Handoffs: p.Handoffs})
	}
	return out
}

func toRuleSetVersion(v routing.Version) (api.RuleSetVersion, error) {
	out := api.RuleSetVersion{Version: v.Number, PublishedBy: v.PublishedBy, PublishedAt: v.PublishedAt, Active: v.Active,
		ActivatedAt: optTime(v.ActivatedAt)}
	if err := json.Unmarshal(v.Doc, &out.Rules); err != nil {
		return api.RuleSetVersion{}, fmt.Errorf("decode rule set %d: %w", v.Number, err)
	}
	return out, nil
}

func toDecision(d routing.Decision, due time.Time) api.RoutingDecision {
	out := api.RoutingDecision{RulesetVersion: d.Version, Rule: d.RuleID, Tier: d.Result.Tier, Queue: d.Result.Queue,
		Priority: d.Result.Priority, SlaDueAt: due, Summary: d.Summary, SelfService: []api.SelfServiceLink{}}
	if len(d.Result.Skills) > 0 {
		skills := append([]string(nil), d.Result.Skills...)
		out.Skills = &skills
	}
	for _, l := range d.Result.SelfService {
		out.SelfService = append(out.SelfService, api.SelfServiceLink{Title: l.Title, Url: l.URL})
	}
	return out
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
