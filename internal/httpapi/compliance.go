package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/exceptions"
	"github.com/council/contacthub/internal/qa"
)

// Exceptions is what the handlers need of the exception reports.
type Exceptions interface {
	Run(ctx context.Context, kind exceptions.Kind, p exceptions.Params) (exceptions.Page, error)
}

// QA is what the handlers need of quality assurance.
type QA interface {
	Publish(ctx context.Context, by qa.Actor, p qa.Plan) (qa.Plan, error)
	Plans(ctx context.Context, limit int, after string) (qa.PlanPage, error)
	StartRun(ctx context.Context, by qa.Actor, in qa.RunInput) (qa.Run, error)
	Reviews(ctx context.Context, who qa.Viewer, q qa.ReviewQuery) (qa.ReviewPage, error)
	RecordOutcome(ctx context.Context, by qa.Actor, id string, o qa.Outcome) (qa.Review, error)
	Report(ctx context.Context, from, to time.Time, by qa.GroupBy) (qa.Report, error)
}

func (h *handlers) ListExceptions(ctx context.Context, req api.ListExceptionsRequestObject) (api.ListExceptionsResponseObject, error) {
	p := req.Params
	page, err := h.exceptions.Run(ctx, exceptions.Kind(req.Kind), exceptions.Params{Days: deref(p.Days), Hours: deref(p.Hours),
		AtLeast: deref(p.AtLeast), Limit: limitOf(p.Limit), After: deref(p.Cursor)})
	if err != nil {
		return nil, err
	}
	var people []string // rows that name a customer (repeat customers) show who they are
	for _, r := range page.Items {
		if r.CustomerID != "" {
			people = append(people, r.CustomerID)
		}
	}
	seen(ctx, audit.Read, people...)
	if strings.Contains(accepts(ctx), "text/csv") {
		body := exceptionsCSV(page)
		return api.ListExceptions200TextcsvResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
	}
	return api.ListExceptions200JSONResponse(toExceptionPage(page)), nil
}

func toExceptionPage(page exceptions.Page) api.ExceptionPage {
	out := api.ExceptionPage{Kind: string(page.Kind), Items: make([]api.ExceptionRow, 0, len(page.Items)),
		NextCursor: optString(page.NextCursor), Days: optInt(page.Params.Days), Hours: optInt(page.Params.Hours),
		AtLeast: optInt(page.Params.AtLeast)}
	for _, r := range page.Items {
		out.Items = append(out.Items, toExceptionRow(page.Kind, r))
	}
	return out
}

func toExceptionRow(kind exceptions.Kind, r exceptions.Row) api.ExceptionRow {
	row := api.ExceptionRow{CaseId: optUUID(r.CaseID), CustomerId: optUUID(r.CustomerID), Status: optString(r.Status),
		Queue: optString(r.Queue), Assignee: optString(r.Assignee), Service: optInt(r.Service), At: r.At, Count: optInt(r.Count),
		Reason: r.Reason}
	if kind == exceptions.FailingSurveys {
		row.SurveyId = optUUID(r.Key)
	}
	return row
}

// exceptionsCSV writes one line per row, the same columns for every kind.
func exceptionsCSV(page exceptions.Page) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"kind", "case_id", "customer_id", "survey_id", "status", "queue", "assignee", "service", "at", "count", "reason"})
	for _, r := range page.Items {
		survey := ""
		if page.Kind == exceptions.FailingSurveys {
			survey = r.Key
		}
		_ = w.Write([]string{string(page.Kind), r.CaseID, r.CustomerID, survey, r.Status, r.Queue, r.Assignee, itoaOrEmpty(r.Service),
			r.At.UTC().Format(time.RFC3339), itoaOrEmpty(r.Count), r.Reason})
	}
	w.Flush()
	return buf.Bytes()
}

func (h *handlers) PublishQAPlan(ctx context.Context, req api.PublishQAPlanRequestObject) (api.PublishQAPlanResponseObject, error) {
	p, err := h.qa.Publish(ctx, actorFrom(ctx), fromQAPlan(*req.Body))
	if err != nil {
		return nil, err
	}
	return api.PublishQAPlan201JSONResponse(toQAPlan(p)), nil
}

func (h *handlers) ListQAPlans(ctx context.Context, req api.ListQAPlansRequestObject) (api.ListQAPlansResponseObject, error) {
	page, err := h.qa.Plans(ctx, limitOf(req.Params.Limit), deref(req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.ListQAPlans200JSONResponse{Items: make([]api.QAPlan, 0, len(page.Items)), NextCursor: optString(page.NextCursor)}
	for _, p := range page.Items {
		out.Items = append(out.Items, toQAPlan(p))
	}
	return out, nil
}

func fromQAPlan(in api.QAPlanInput) qa.Plan {
	p := qa.Plan{BaseRate: widen(in.BaseRate), ServiceRates: rates(in.ServiceRates), TierRates: rates(in.TierRates),
		OfficerRates: rates(in.OfficerRates), MinPerOfficerPerWeek: deref(in.MinPerOfficerPerWeek), Reviewers: deref(in.Reviewers)}
	if n := in.NewOfficers; n != nil {
		p.NewOfficers = &qa.NewOfficers{Rate: widen(n.Rate), Weeks: n.Weeks}
	}
	for _, r := range deref(in.Rules) {
		p.Rules = append(p.Rules, qa.TargetRule{ID: r.Id, Tier: deref(r.Tier), Service: deref(r.Service), ReopenedWithinDays: deref(r.ReopenedWithinDays)})
	}
	return p
}

func toQAPlan(p qa.Plan) api.QAPlan {
	out := api.QAPlan{Version: p.Version, BaseRate: float32(p.BaseRate), ServiceRates: wireRates(p.ServiceRates),
		TierRates: wireRates(p.TierRates), OfficerRates: wireRates(p.OfficerRates), MinPerOfficerPerWeek: optInt(p.MinPerOfficerPerWeek),
		PublishedBy: p.PublishedBy, PublishedAt: p.PublishedAt}
	if len(p.Reviewers) > 0 {
		out.Reviewers = &p.Reviewers
	}
	if n := p.NewOfficers; n != nil {
		out.NewOfficers = &api.QANewOfficers{Rate: float32(n.Rate), Weeks: n.Weeks}
	}
	if len(p.Rules) > 0 {
		rules := make([]api.QATargetRule, len(p.Rules))
		for i, r := range p.Rules {
			rules[i] = api.QATargetRule{Id: r.ID, Tier: optInt(r.Tier), Service: optInt(r.Service), ReopenedWithinDays: optInt(r.ReopenedWithinDays)}
		}
		out.Rules = &rules
	}
	return out
}

func rates(m *map[string]float32) map[string]float64 {
	if m == nil {
		return nil
	}
	out := make(map[string]float64, len(*m))
	for k, v := range *m {
		out[k] = widen(v)
	}
	return out
}

// widen turns the wire's float32 rate into the float64 it was written as (0.2, not
// 0.20000000298...).
func widen(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}

func wireRates(m map[string]float64) *map[string]float32 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]float32, len(m))
	for k, v := range m {
		out[k] = float32(v)
	}
	return &out
}

func (h *handlers) StartQARun(ctx context.Context, req api.StartQARunRequestObject) (api.StartQARunResponseObject, error) {
	b := req.Body
	run, err := h.qa.StartRun(ctx, actorFrom(ctx), qa.RunInput{From: b.From, To: b.To, Seed: deref(b.Seed), DryRun: deref(b.DryRun)})
	if err != nil {
		return nil, err
	}
	out := api.StartQARun201JSONResponse{PlanVersion: run.PlanVersion, From: run.From, To: run.To, Seed: run.Seed, DryRun: run.DryRun,
		Considered: run.Considered, Sampled: len(run.Reviews), Id: optUUID(run.ID), Strata: make([]api.QAStratum, 0, len(run.Strata)),
		Reviews: make([]api.QAReview, 0, len(run.Reviews))}
	for _, s := range run.Strata {
		out.Strata = append(out.Strata, api.QAStratum{Officer: s.Officer, Service: s.Service, Resolved: s.Resolved, Sampled: s.Sampled, Rate: float32(s.Rate)})
	}
	for _, rv := range run.Reviews {
		out.Reviews = append(out.Reviews, toQAReview(rv))
	}
	return out, nil
}

func toQAReview(rv qa.Review) api.QAReview {
	out := api.QAReview{Id: optUUID(rv.ID), RunId: optUUID(rv.RunID), CaseId: uuid.MustParse(rv.CaseID), Officer: rv.Officer,
		Service: rv.Service, Tier: rv.Tier, Why: rv.Why, Assignee: optString(rv.Assignee), Status: api.QAReviewStatus(rv.Status),
		Seed: rv.Seed, SampledAt: rv.SampledAt, Notes: optString(rv.Notes), ReviewedBy: optString(rv.ReviewedBy),
		FinancialImpactPence: rv.FinancialImpactPence}
	if rv.Outcome != "" {
		o := api.QAReviewOutcome(rv.Outcome)
		out.Outcome = &o
		cats := rv.ErrorCategories
		out.ErrorCategories = &cats
		out.Reopened = &rv.Reopened
	}
	if !rv.ReviewedAt.IsZero() {
		out.ReviewedAt = &rv.ReviewedAt
	}
	return out
}

func (h *handlers) ListQAReviews(ctx context.Context, req api.ListQAReviewsRequestObject) (api.ListQAReviewsResponseObject, error) {
	p := principalFrom(ctx)
	q := req.Params
	page, err := h.qa.Reviews(ctx, qa.Viewer{Subject: p.Subject, All: p.HasAny(auth.QA, auth.Supervisor)},
		qa.ReviewQuery{Status: string(deref(q.Status)), Assignee: deref(q.Assignee), Officer: deref(q.Officer),
			Limit: limitOf(q.Limit), After: deref(q.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListQAReviews200JSONResponse{Items: make([]api.QAReview, 0, len(page.Items)), NextCursor: optString(page.NextCursor)}
	for _, rv := range page.Items {
		out.Items = append(out.Items, toQAReview(rv))
	}
	return out, nil
}

func (h *handlers) RecordQAOutcome(ctx context.Context, req api.RecordQAOutcomeRequestObject) (api.RecordQAOutcomeResponseObject, error) {
	b := req.Body
	rv, err := h.qa.RecordOutcome(ctx, actorFrom(ctx), req.ReviewId.String(), qa.Outcome{Outcome: string(b.Outcome),
		ErrorCategories: deref(b.ErrorCategories), FinancialImpactPence: b.FinancialImpactPence, Notes: deref(b.Notes),
		Reopen: deref(b.Reopen)})
	if err != nil {
		return nil, err
	}
	if rv.Reopened { // the case changed: a write of its customer's data
		if c, err := h.cases.Get(ctx, rv.CaseID); err == nil {
			seen(ctx, audit.Write, c.CustomerID)
		}
	}
	return api.RecordQAOutcome200JSONResponse(toQAReview(rv)), nil
}

func (h *handlers) GetQAReport(ctx context.Context, req api.GetQAReportRequestObject) (api.GetQAReportResponseObject, error) {
	by := qa.ByOfficer
	if req.Params.GroupBy != nil {
		by = qa.GroupBy(*req.Params.GroupBy)
	}
	r, err := h.qa.Report(ctx, req.Params.From, req.Params.To, by)
	if err != nil {
		return nil, err
	}
	switch accept := accepts(ctx); {
	case strings.Contains(accept, "text/csv"):
		body := qaReportCSV(r)
		return api.GetQAReport200TextcsvResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
	case strings.Contains(accept, "image/svg+xml"):
		body, n := svgBody(r.Chart())
		return api.GetQAReport200ImagesvgXmlResponse{Body: body, ContentLength: n}, nil
	}
	out := api.GetQAReport200JSONResponse{From: r.From, To: r.To, GroupBy: string(r.GroupBy), Groups: make([]api.QAReportGroup, 0, len(r.Groups))}
	for _, g := range r.Groups {
		out.Groups = append(out.Groups, api.QAReportGroup{Key: g.Key, Reviewed: g.Reviewed, Passed: g.Passed,
			PassedWithFeedback: g.PassedWithFeedback, Failed: g.Failed, Accuracy: float32(g.Accuracy()),
			FinancialImpactPence: g.FinancialImpactPence})
	}
	return out, nil
}

// qaReportCSV writes one line per group.
func qaReportCSV(r qa.Report) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{string(r.GroupBy), "reviewed", "passed", "passed_with_feedback", "failed", "accuracy", "financial_impact_pence"})
	for _, g := range r.Groups {
		_ = w.Write([]string{g.Key, strconv.Itoa(g.Reviewed), strconv.Itoa(g.Passed), strconv.Itoa(g.PassedWithFeedback),
			strconv.Itoa(g.Failed), fmt.Sprintf("%.3f", g.Accuracy()), strconv.Itoa(g.FinancialImpactPence)})
	}
	w.Flush()
	return buf.Bytes()
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
