package qa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Review statuses.
const (
	Pending = "pending"
	Done    = "done"
)

// Outcomes of a review.
const (
	Pass             = "pass"
	PassWithFeedback = "pass_with_feedback"
	Fail             = "fail"
)

// Review is the check of one sampled case.
type Review struct {
	ID, RunID, CaseID    string
	Officer              string // who resolved the case
	Service, Tier        int
	Why                  string
	Assignee             string // the reviewer; "" for any compliance officer but the officer
	Status               string
	Seed                 int64
	SampledAt            time.Time
	Outcome              string
	ErrorCategories      []string
	FinancialImpactPence *int
	Notes                string
	ReviewedBy           string
	ReviewedAt           time.Time
	Reopened             bool
}

const reviewColumns = `id, run_id, case_id, officer, service_lgsl, tier, why, assignee, status, seed, sampled_at, outcome,
 error_categories, financial_impact_pence, notes, reviewed_by, reviewed_at, reopened`

type reviewRow struct {
	ID              string         `db:"id"`
	RunID           string         `db:"run_id"`
	CaseID          string         `db:"case_id"`
	Officer         string         `db:"officer"`
	Service         int            `db:"service_lgsl"`
	Tier            int            `db:"tier"`
	Why             string         `db:"why"`
	Assignee        string         `db:"assignee"`
	Status          string         `db:"status"`
	Seed            int64          `db:"seed"`
	SampledAt       time.Time      `db:"sampled_at"`
	Outcome         string         `db:"outcome"`
	ErrorCategories string         `db:"error_categories"`
	Impact          *int           `db:"financial_impact_pence"`
	Notes           string         `db:"notes"`
	ReviewedBy      string         `db:"reviewed_by"`
	ReviewedAt      store.NullTime `db:"reviewed_at"`
	Reopened        bool           `db:"reopened"`
}

func (r reviewRow) toReview() (Review, error) {
	out := Review{ID: r.ID, RunID: r.RunID, CaseID: r.CaseID, Officer: r.Officer, Service: r.Service, Tier: r.Tier, Why: r.Why,
		Assignee: r.Assignee, Status: r.Status, Seed: r.Seed, SampledAt: r.SampledAt.UTC(), Outcome: r.Outcome,
		FinancialImpactPence: r.Impact, Notes: r.Notes, ReviewedBy: r.ReviewedBy, ReviewedAt: r.ReviewedAt.Time, Reopened: r.Reopened}
	if err := json.Unmarshal([]byte(r.ErrorCategories), &out.ErrorCategories); err != nil {
		return Review{}, fmt.Errorf("review %s: error categories: %w", r.ID, err)
	}
	return out, nil
}

// Viewer is who reads reviews: the compliance team and supervisors read all of them;
// any other officer only those of the cases they resolved.
type Viewer struct {
	Subject string
	All     bool
}

// ReviewQuery filters the list of reviews.
type ReviewQuery struct {
	Status, Assignee, Officer string
	Limit                     int
	After                     string
}

// ReviewPage is one page of reviews, newest first.
type ReviewPage struct {
	Items      []Review
	NextCursor string
}

// Reviews lists reviews the viewer may read.
func (s *Service) Reviews(ctx context.Context, who Viewer, q ReviewQuery) (ReviewPage, error) {
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if !who.All {
		if q.Officer != "" && q.Officer != who.Subject {
			return ReviewPage{}, fault.New(fault.Forbidden, "an officer reads the reviews of their own work only")
		}
		q.Officer = who.Subject
	}
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.Assignee != "" {
		add("assignee = ?", q.Assignee)
	}
	if q.Officer != "" {
		add("officer = ?", q.Officer)
	}
	if q.After != "" {
		keys, err := cursor.Decode(q.After, 1)
		if err != nil || uuid.Validate(keys[0]) != nil {
			return ReviewPage{}, fault.Field("cursor", "not a cursor this server gave out")
		}
		add("id < ?", keys[0])
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	args = append(args, q.Limit+1)
	var rows []reviewRow
	query := `SELECT ` + reviewColumns + ` FROM qa_reviews WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ?`
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return ReviewPage{}, fmt.Errorf("list reviews: %w", store.MapError(err))
	}
	var page ReviewPage
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		page.NextCursor = cursor.Encode(rows[len(rows)-1].ID)
	}
	for _, r := range rows {
		rv, err := r.toReview()
		if err != nil {
			return ReviewPage{}, err
		}
		page.Items = append(page.Items, rv)
	}
	return page, nil
}

// Outcome is what a reviewer found.
type Outcome struct {
	Outcome              string
	ErrorCategories      []string
	FinancialImpactPence *int
	Notes                string
	Reopen               bool // on a failure: reopen the case and give it back to its officer
}

// check refuses an outcome that does not hang together.
func (o Outcome) check(categories []string) error {
	var errs fault.Fields
	for i, c := range o.ErrorCategories {
		if !slices.Contains(categories, c) {
			errs.Add(fmt.Sprintf("errorCategories[%d]", i), "one of "+strings.Join(categories, ", "))
		}
	}
	switch {
	case o.Outcome == Fail && len(o.ErrorCategories) == 0:
		errs.Add("errorCategories", "a failed review names at least one error category")
	case o.Outcome == Pass && len(o.ErrorCategories) > 0:
		errs.Add("errorCategories", "a pass has no errors; use pass_with_feedback")
	}
	if o.Reopen && o.Outcome != Fail {
		errs.Add("reopen", "only a failed review reopens the case")
	}
	return errs.Err()
}

const (
	selectReviewLocked = `SELECT ` + reviewColumns + ` FROM qa_reviews WHERE id = ?`
	updateOutcome      = `UPDATE qa_reviews SET status = 'done', outcome = ?, error_categories = ?, financial_impact_pence = ?,
 notes = ?, reviewed_by = ?, reviewed_at = ?, reopened = ? WHERE id = ? AND status = 'pending'`
)

// RecordOutcome records a reviewer's outcome on a pending review. The officer who
// resolved the case may not review it, nor anyone but its assignee when it has one.
func (s *Service) RecordOutcome(ctx context.Context, by Actor, id string, o Outcome) (Review, error) {
	if err := o.check(s.catalogue.ErrorCategories()); err != nil {
		return Review{}, err
	}
	o.Notes = strings.TrimSpace(o.Notes)
	var out Review
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var r reviewRow
		if err := tx.GetContext(ctx, &r, tx.Rebind(selectReviewLocked+s.db.ForUpdate()), id); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return fault.New(fault.NotFound, "no review %s", id)
			}
			return fmt.Errorf("read review: %w", store.MapError(err))
		}
		rv, err := r.toReview()
		if err != nil {
			return err
		}
		switch {
		case rv.Status != Pending:
			return fault.New(fault.Conflict, "review %s already has its outcome (%s)", id, rv.Outcome)
		case rv.Officer == by.Subject:
			return fault.New(fault.Forbidden, "you resolved this case; another compliance officer reviews it")
		case rv.Assignee != "" && rv.Assignee != by.Subject:
			return fault.New(fault.Forbidden, "review %s is assigned to %s", id, rv.Assignee)
		}
		c, err := s.cases.LoadTx(ctx, tx, rv.CaseID)
		if err != nil {
			return err
		}
		now := store.Now()
		rv.Status, rv.Outcome, rv.ErrorCategories, rv.FinancialImpactPence = Done, o.Outcome, o.ErrorCategories, o.FinancialImpactPence
		rv.Notes, rv.ReviewedBy, rv.ReviewedAt, rv.Reopened = o.Notes, by.Subject, now, o.Reopen
		if rv.ErrorCategories == nil {
			rv.ErrorCategories = []string{}
		}
		cats, _ := json.Marshal(rv.ErrorCategories)
		res, err := tx.ExecContext(ctx, tx.Rebind(updateOutcome), rv.Outcome, string(cats), rv.FinancialImpactPence, rv.Notes,
			rv.ReviewedBy, rv.ReviewedAt, rv.Reopened, rv.ID)
		if err != nil {
			return fmt.Errorf("record outcome: %w", store.MapError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("record outcome: %w", err)
		} else if n != 1 {
			return fault.New(fault.Conflict, "review %s got its outcome meanwhile", id)
		}
		if _, err := event.Record(ctx, tx, event.Change{CustomerID: c.CustomerID, CaseID: c.ID, Actor: by, At: now,
			Service: c.Service.LGSL, Queue: c.Queue, Payload: event.QAReviewRecordedData{ReviewID: rv.ID, Outcome: rv.Outcome,
				Officer: rv.Officer, ErrorCategories: rv.ErrorCategories, FinancialImpactPence: rv.FinancialImpactPence,
				Reopened: rv.Reopened}}); err != nil {
			return err
		}
		if o.Reopen {
			if _, err := s.cases.HandBackTx(ctx, tx, by, c, rv.Officer, casework.ReasonQAFailed, now); err != nil {
				return err
			}
		}
		out = rv
		return nil
	})
	return out, err
}
