package contract

import (
	"net/http"
	"testing"
	"time"

	"github.com/council/contacthub/internal/auth"
)

// Fixtures of the authorisation table's compliance rows (issue 17).

// publishQAPlan publishes a plan that samples every resolved case.
func (w *world) publishQAPlan(t *testing.T) {
	t.Helper()
	w.call(t, w.admin, "POST", "/v1/qa/plans", js{"baseRate": 1}, http.StatusCreated)
}

// pendingReview is a review of a fresh case the fixture admin resolved, awaiting its outcome.
func (w *world) pendingReview(t *testing.T) string {
	t.Helper()
	id := w.resolvedCase(t, ownResource)
	w.publishQAPlan(t)
	run := w.call(t, w.admin, "POST", "/v1/qa/runs", js{"from": time.Now().Add(-time.Minute).UTC(),
		"to": time.Now().Add(time.Minute).UTC()}, http.StatusCreated)
	for _, r := range run["reviews"].([]any) {
		if rv := r.(map[string]any); rv["caseId"] == id {
			return rv["id"].(string)
		}
	}
	t.Fatalf("the run did not sample case %s: %v", id, run)
	return ""
}

// reviewedReview is a review that already has its outcome.
func (w *world) reviewedReview(t *testing.T) string {
	t.Helper()
	id := w.pendingReview(t)
	qa := w.h.token(auth.Claims{Subject: "qa-fixture", Roles: []auth.Role{auth.QA}})
	w.call(t, qa, "POST", "/v1/qa/reviews/"+id+"/outcome", js{"outcome": "pass"}, http.StatusOK)
	return id
}
