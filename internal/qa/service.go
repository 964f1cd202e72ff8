package qa

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Actor is who acts.
type Actor = event.Actor

// Cases is what quality assurance needs of casework: a failed review hands the case
// back to its officer in the review's own transaction.
type Cases interface {
	LoadTx(ctx context.Context, tx *sqlx.Tx, id string) (casework.Case, error)
	HandBackTx(ctx context.Context, tx *sqlx.Tx, actor casework.Actor, c casework.Case, officer, reason string, now time.Time) (casework.Case, error)
}

// Catalogue is what quality assurance needs of the council's catalogue.
type Catalogue interface {
	Services
	ErrorCategories() []string
}

// Service is quality assurance over the hub's database.
type Service struct {
	db        *store.DB
	cases     Cases
	catalogue Catalogue
	loc       *time.Location
}

// New returns the QA service; loc is the council's time zone (weeks of the weekly
// minimum and of the report).
func New(db *store.DB, cases Cases, cat Catalogue, loc *time.Location) *Service {
	return &Service{db: db, cases: cases, catalogue: cat, loc: loc}
}

const (
	insertPlan   = `INSERT INTO qa_plans (version, document, published_by, published_at) VALUES (?, ?, ?, ?)`
	selectMaxQA  = `SELECT COALESCE(MAX(version), 0) FROM qa_plans`
	selectLatest = `SELECT version, document, published_by, published_at FROM qa_plans ORDER BY version DESC LIMIT 1`
	// An officer is known to the hub by the cases they have resolved.
	selectResolver = `SELECT COUNT(*) FROM timeline_events WHERE kind = 'case.resolved' AND actor_subject = ?`
)

// Publish checks a plan and stores it as the next version.
func (s *Service) Publish(ctx context.Context, by Actor, p Plan) (Plan, error) {
	var errs fault.Fields
	for _, pr := range p.Check(s.catalogue) {
		errs.Add(pr.Field, pr.Message)
	}
	for _, officer := range sortedKeys(p.OfficerRates) {
		var n int
		if err := s.db.GetContext(ctx, &n, s.db.Rebind(selectResolver), officer); err != nil {
			return Plan{}, fmt.Errorf("check officer: %w", store.MapError(err))
		}
		if n == 0 {
			errs.Add("officerRates."+officer, "no case was ever resolved by this officer")
		}
	}
	if err := errs.Err(); err != nil {
		return Plan{}, err
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return Plan{}, fmt.Errorf("encode plan: %w", err)
	}
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var last int
		if err := tx.GetContext(ctx, &last, selectMaxQA); err != nil {
			return fmt.Errorf("next plan version: %w", store.MapError(err))
		}
		p.Version, p.PublishedBy, p.PublishedAt = last+1, by.Subject, store.Now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertPlan), p.Version, string(doc), p.PublishedBy, p.PublishedAt); err != nil {
			return fmt.Errorf("publish plan: %w", store.MapError(err))
		}
		_, err := event.Record(ctx, tx, event.Change{Key: "qa-plans", Actor: by, At: p.PublishedAt,
			Payload: event.QAPlanPublishedData{Version: p.Version}})
		return err
	})
	return p, err
}

type planRow struct {
	Version     int       `db:"version"`
	Document    string    `db:"document"`
	PublishedBy string    `db:"published_by"`
	PublishedAt time.Time `db:"published_at"`
}

// latest is the plan in force, read in tx; a Conflict when none has been published.
func latest(ctx context.Context, tx *sqlx.Tx) (Plan, error) {
	var r planRow
	if err := tx.GetContext(ctx, &r, selectLatest); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return Plan{}, fault.New(fault.Conflict, "no sampling plan has been published; POST /v1/qa/plans first")
		}
		return Plan{}, fmt.Errorf("read plan: %w", store.MapError(err))
	}
	return r.toPlan()
}

// PlanPage is one page of plan versions, newest first.
type PlanPage struct {
	Items      []Plan
	NextCursor string
}

const selectPlans = `SELECT version, document, published_by, published_at FROM qa_plans`

// Plans lists the plan's versions, newest (the one in force) first.
func (s *Service) Plans(ctx context.Context, limit int, after string) (PlanPage, error) {
	query, args := selectPlans, []any{}
	if after != "" {
		keys, err := cursor.Decode(after, 1)
		v, convErr := 0, error(nil)
		if err == nil {
			v, convErr = strconv.Atoi(keys[0])
		}
		if err != nil || convErr != nil {
			return PlanPage{}, fault.Field("cursor", "not a cursor this server gave out")
		}
		query += ` WHERE version < ?`
		args = append(args, v)
	}
	if limit <= 0 {
		limit = 50
	}
	query += ` ORDER BY version DESC LIMIT ?`
	args = append(args, limit+1)
	var rows []planRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return PlanPage{}, fmt.Errorf("list plans: %w", store.MapError(err))
	}
	var page PlanPage
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = cursor.Encode(strconv.Itoa(rows[len(rows)-1].Version))
	}
	for _, r := range rows {
		p, err := r.toPlan()
		if err != nil {
			return PlanPage{}, err
		}
		page.Items = append(page.Items, p)
	}
	return page, nil
}

func (r planRow) toPlan() (Plan, error) {
	var p Plan
	if err := json.Unmarshal([]byte(r.Document), &p); err != nil {
		return Plan{}, fmt.Errorf("stored plan %d: %w", r.Version, err)
	}
	p.Version, p.PublishedBy, p.PublishedAt = r.Version, r.PublishedBy, r.PublishedAt.UTC()
	return p, nil
}

// RunInput asks for a sampling run.
type RunInput struct {
	From, To time.Time
	Seed     int64 // 0: the hub picks one
	DryRun   bool
}

// Run is a sampling run and its reviews.
type Run struct {
	ID          string // "" on a dry run
	PlanVersion int
	From, To    time.Time
	Seed        int64
	DryRun      bool
	Considered  int
	Strata      []Stratum
	Reviews     []Review
}

// The hub's candidates: cases resolved in the period and never sampled, each with the
// officer who resolved it last and its first reopening.
const selectCandidates = `SELECT c.id AS case_id, c.service_lgsl AS service, c.tier AS tier, c.resolved_at AS resolved_at,
 c.created_at AS opened_at,
 COALESCE((SELECT e.actor_subject FROM timeline_events e WHERE e.case_id = c.id AND e.kind = 'case.resolved'
   ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1), '') AS officer,
 (SELECT MIN(e.occurred_at) FROM timeline_events e WHERE e.case_id = c.id AND e.kind = 'case.reopened') AS reopened_at
 FROM cases c
 WHERE c.status IN ('resolved', 'closed') AND c.resolved_at >= ? AND c.resolved_at < ?
 AND NOT EXISTS (SELECT 1 FROM qa_reviews r WHERE r.case_id = c.id)`

type candidateRow struct {
	CaseID     string         `db:"case_id"`
	Service    int            `db:"service"`
	Tier       int            `db:"tier"`
	ResolvedAt store.NullTime `db:"resolved_at"`
	OpenedAt   time.Time      `db:"opened_at"`
	Officer    string         `db:"officer"`
	ReopenedAt store.NullTime `db:"reopened_at"`
}

const (
	insertRun = `INSERT INTO qa_runs (id, plan_version, period_from, period_to, seed, considered, sampled, requested_by, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertReview = `INSERT INTO qa_reviews (id, run_id, case_id, officer, service_lgsl, tier, why, assignee, status, seed, sampled_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`
)

// selectFirstResolutions is when each officer resolved their first case.
const selectFirstResolutions = `SELECT actor_subject AS officer, MIN(occurred_at) AS since FROM timeline_events
 WHERE kind = 'case.resolved' GROUP BY actor_subject`

// officersSince fills in when each candidate's officer resolved their first case.
func officersSince(ctx context.Context, tx *sqlx.Tx, cands []Candidate) error {
	var rows []struct {
		Officer string         `db:"officer"`
		Since   store.NullTime `db:"since"`
	}
	if err := tx.SelectContext(ctx, &rows, selectFirstResolutions); err != nil {
		return fmt.Errorf("read officers' first cases: %w", store.MapError(err))
	}
	since := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		since[r.Officer] = r.Since.Time
	}
	for i := range cands {
		cands[i].OfficerSince = since[cands[i].Officer]
	}
	return nil
}

// maxPeriod bounds a run, so one request cannot read years of cases.
const maxPeriod = 93 * 24 * time.Hour

// StartRun samples the cases resolved in [from, to) under the latest plan. A dry run
// writes nothing.
func (s *Service) StartRun(ctx context.Context, by Actor, in RunInput) (Run, error) {
	switch {
	case !in.To.After(in.From):
		return Run{}, fault.Field("to", "must be after from")
	case in.To.Sub(in.From) > maxPeriod:
		return Run{}, fault.Field("to", "a run covers at most 93 days")
	}
	if in.Seed == 0 {
		in.Seed = newSeed()
	}
	run := Run{From: in.From.UTC(), To: in.To.UTC(), Seed: in.Seed, DryRun: in.DryRun}
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		plan, err := latest(ctx, tx)
		if err != nil {
			return err
		}
		run.PlanVersion = plan.Version
		var rows []candidateRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(selectCandidates), run.From, run.To); err != nil {
			return fmt.Errorf("read candidates: %w", store.MapError(err))
		}
		cands := make([]Candidate, len(rows))
		for i, r := range rows {
			cands[i] = Candidate{CaseID: r.CaseID, Officer: r.Officer, Service: r.Service, Tier: r.Tier,
				ResolvedAt: r.ResolvedAt.Time, OpenedAt: r.OpenedAt.UTC(), ReopenedAt: r.ReopenedAt.Time}
		}
		if plan.NewOfficers != nil {
			if err := officersSince(ctx, tx, cands); err != nil {
				return err
			}
		}
		run.Considered = len(cands)
		draw := Sample(plan, cands, run.Seed, s.loc)
		run.Strata = draw.Strata
		now := store.Now()
		if !in.DryRun {
			run.ID = store.NewID()
		}
		for _, p := range draw.Picks {
			rv := Review{RunID: run.ID, CaseID: p.CaseID, Officer: p.Officer, Service: p.Service, Tier: p.Tier, Why: p.Why,
				Assignee: p.Reviewer, Status: Pending, Seed: run.Seed, SampledAt: now}
			if !in.DryRun {
				rv.ID = store.NewID()
			}
			run.Reviews = append(run.Reviews, rv)
		}
		if in.DryRun {
			return nil
		}
		return s.saveRun(ctx, tx, by, run, now)
	})
	return run, err
}

func (s *Service) saveRun(ctx context.Context, tx *sqlx.Tx, by Actor, run Run, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(insertRun), run.ID, run.PlanVersion, run.From, run.To, run.Seed, run.Considered,
		len(run.Reviews), by.Subject, now); err != nil {
		return fmt.Errorf("record run: %w", store.MapError(err))
	}
	for _, rv := range run.Reviews {
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertReview), rv.ID, rv.RunID, rv.CaseID, rv.Officer, rv.Service, rv.Tier,
			rv.Why, rv.Assignee, rv.Seed, rv.SampledAt); err != nil {
			return fmt.Errorf("record review: %w", store.MapError(err))
		}
	}
	_, err := event.Record(ctx, tx, event.Change{Key: "qa-runs", Actor: by, At: now, Payload: event.QASampleDrawnData{
		RunID: run.ID, PlanVersion: run.PlanVersion, Seed: run.Seed, From: run.From, To: run.To,
		Considered: run.Considered, Sampled: len(run.Reviews)}})
	return err
}

// newSeed is a positive random seed.
func newSeed() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return time.Now().UnixNano() & (1<<62 - 1)
	}
	return int64(binary.BigEndian.Uint64(b[:])>>2) + 1
}
