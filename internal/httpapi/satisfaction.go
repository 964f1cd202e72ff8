package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"

	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/kv"
	"github.com/council/contacthub/internal/report"
	"github.com/council/contacthub/internal/satisfaction"
)

// Ratings is what the handlers need of satisfaction capture.
type Ratings interface {
	Record(ctx context.Context, actor satisfaction.Actor, in satisfaction.Rating) (satisfaction.Rating, error)
	Scale() satisfaction.Scale
}

// SatisfactionReports is what the handlers need of the satisfaction report.
type SatisfactionReports interface {
	Satisfaction(ctx context.Context, from, to time.Time, by report.GroupBy, satisfied int) (report.Satisfaction, error)
}

// RatingLimits bound anonymous web ratings, so a script cannot flood a page's score.
type RatingLimits struct {
	PerIPPerMinute   int
	PerPagePerMinute int
}

func (h *handlers) RecordRating(ctx context.Context, req api.RecordRatingRequestObject) (api.RecordRatingResponseObject, error) {
	b := req.Body
	p := principalFrom(ctx)
	in := satisfaction.Rating{Source: satisfaction.Source(b.Source), Score: b.Score, Useful: b.Useful, Comment: deref(b.Comment),
		PageURL: deref(b.PageUrl), Centre: deref(b.Centre), ContactID: uuidString(b.ContactId), CaseID: uuidString(b.CaseId)}
	rater := satisfaction.Rater{SignedIn: p.Subject != "", Staff: p.IsStaff(), System: p.Has(auth.Integration)}
	if err := satisfaction.Permit(rater, in); err != nil {
		return nil, err
	}
	if in.Source == satisfaction.WebPage && !rater.SignedIn {
		if dropped, err := h.limitAnonymousRating(ctx, in.PageURL); err != nil || dropped != nil {
			return dropped, err
		}
	}
	actor := actorFrom(ctx)
	if actor.Subject == "" {
		actor.Subject, actor.Role = "anonymous", "public"
	}
	r, err := h.ratings.Record(ctx, actor, in)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Write, r.CustomerID) // a rating of a contact or case is the person's; a page's is nobody's
	var out api.RecordRating201JSONResponse
	if rater.SeesAttachment() {
		err = out.FromRating(toRating(r))
	} else {
		err = out.FromRatingReceipt(toRatingReceipt(r))
	}
	return out, err
}

// limitAnonymousRating spends the caller's per-IP budget (429 when spent) and the
// page's per-minute cap (a 202 that keeps nothing when reached, so the page never sees
// an error).
func (h *handlers) limitAnonymousRating(ctx context.Context, page string) (api.RecordRatingResponseObject, error) {
	d, err := h.limiter.Allow(ctx, "rating-ip:"+clientIP(ctx), kv.Limit(h.ratingLimits.PerIPPerMinute))
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		p := newProblem(rateLimited, "too many ratings from your address; try again later")
		p.retryAfter = d.RetryAfter
		return nil, p
	}
	sum := sha256.Sum256([]byte(page))
	d, err = h.limiter.Allow(ctx, "rating-page:"+hex.EncodeToString(sum[:8]), kv.Limit(h.ratingLimits.PerPagePerMinute))
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return api.RecordRating202JSONResponse{Kind: api.Dropped, Recorded: false, Reason: "this page's ratings are capped for the minute"}, nil
	}
	return nil, nil
}

func (h *handlers) GetSatisfactionReport(ctx context.Context, req api.GetSatisfactionReportRequestObject) (api.GetSatisfactionReportResponseObject, error) {
	by := report.GroupBy("channel")
	if req.Params.GroupBy != nil {
		by = report.GroupBy(*req.Params.GroupBy)
	}
	r, err := h.satisfactionReports.Satisfaction(ctx, req.Params.From, req.Params.To, by, h.ratings.Scale().Satisfied)
	if err != nil {
		return nil, err
	}
	if strings.Contains(accepts(ctx), "text/csv") {
		body := satisfactionCSV(r, h.ratings.Scale())
		return api.GetSatisfactionReport200TextcsvResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
	}
	out := api.GetSatisfactionReport200JSONResponse{From: r.From, To: r.To, GroupBy: string(r.GroupBy), Groups: []api.SatisfactionGroup{}}
	for _, g := range r.Groups {
		dist := map[string]int{}
		for score, n := range g.Distribution {
			dist[strconv.Itoa(score)] = n
		}
		out.Groups = append(out.Groups, api.SatisfactionGroup{Key: g.Key, Count: g.Count, Mean: float32(g.Mean), Csat: float32(g.CSAT), Distribution: dist})
	}
	out.Surveys.Sent, out.Surveys.Delivered, out.Surveys.Answered = r.Surveys.Sent, r.Surveys.Delivered, r.Surveys.Answered
	out.Surveys.ResponseRate = float32(r.Surveys.ResponseRate)
	return out, nil
}

// satisfactionCSV writes one row per group: key, count, mean, CSAT and a column per score.
func satisfactionCSV(r report.Satisfaction, scale satisfaction.Scale) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{string(r.GroupBy), "count", "mean", "csat"}
	for s := scale.Min; s <= scale.Max; s++ {
		head = append(head, "score_"+strconv.Itoa(s))
	}
	_ = w.Write(head)
	for _, g := range r.Groups {
		row := []string{g.Key, strconv.Itoa(g.Count), fmt.Sprintf("%.2f", g.Mean), fmt.Sprintf("%.3f", g.CSAT)}
		for s := scale.Min; s <= scale.Max; s++ {
			row = append(row, strconv.Itoa(g.Distribution[s]))
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

func toRating(r satisfaction.Rating) api.Rating {
	out := api.Rating{Kind: api.RatingKindRating, Id: uuid.MustParse(r.ID), Source: api.RatingSource(r.Source), Score: r.Score, Useful: r.Useful,
		Comment: optString(r.Comment), PageUrl: optString(r.PageURL), Centre: optString(r.Centre),
		ContactId: optUUID(r.ContactID), CaseId: optUUID(r.CaseID), Channel: optString(r.Channel), Agent: optString(r.Agent),
		CreatedAt: r.CreatedAt}
	if r.Tier != 0 {
		out.Tier = &r.Tier
	}
	if r.LGSL != 0 {
		out.Service = &r.LGSL
	}
	return out
}

// toRatingReceipt is what a page rater who is not staff gets back: what they sent, and
// nothing of the contact, case, agent, channel, tier or service it might concern.
func toRatingReceipt(r satisfaction.Rating) api.RatingReceipt {
	return api.RatingReceipt{Kind: api.Receipt, Id: uuid.MustParse(r.ID), Source: api.RatingReceiptSource(r.Source), Score: r.Score, Useful: r.Useful,
		Comment: optString(r.Comment), PageUrl: optString(r.PageURL), CreatedAt: r.CreatedAt}
}
