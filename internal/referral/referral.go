// Package referral sends cases to partner bodies — Citizens Advice, the DWP, housing
// associations, enforcement agents, the Valuation Office — and follows what they do,
// each step on the case's timeline.
package referral

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Status is where a referral stands.
type Status string

const (
	Sent      Status = "sent"
	Accepted  Status = "accepted"
	Declined  Status = "declined"
	Completed Status = "completed"
)

// next lists where each status may go.
var next = map[Status][]Status{Sent: {Accepted, Declined}, Accepted: {Completed}}

// CanMove reports whether a referral may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Referral is one case sent to one partner.
type Referral struct {
	ID, CaseID, Partner, Reason, ReferredBy string
	Status                                  Status
	Version                                 int
	CreatedAt, UpdatedAt                    time.Time
}

// The names of the events this package records (their types live in package event).
var (
	EventMade    = event.ReferralMade.Name
	EventUpdated = event.ReferralUpdated.Name
)

// Referrals is the referral service.
type Referrals struct {
	db        *store.DB
	cases     *casework.Cases
	catalogue *catalogue.Catalogue
}

// New returns the referral service.
func New(db *store.DB, cases *casework.Cases, cat *catalogue.Catalogue) *Referrals {
	return &Referrals{db: db, cases: cases, catalogue: cat}
}

type row struct {
	ID         string    `db:"id"`
	CaseID     string    `db:"case_id"`
	Partner    string    `db:"partner"`
	Reason     string    `db:"reason"`
	Status     string    `db:"status"`
	ReferredBy string    `db:"referred_by"`
	Version    int       `db:"version"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
}

func (r row) toReferral() Referral {
	return Referral{ID: r.ID, CaseID: r.CaseID, Partner: r.Partner, Reason: r.Reason, ReferredBy: r.ReferredBy,
		Status: Status(r.Status), Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

const (
	columns       = `id, case_id, partner, reason, status, referred_by, version, created_at, updated_at`
	insertRow     = `INSERT INTO referrals (` + columns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateStatus  = `UPDATE referrals SET status = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`
	selectOne     = `SELECT ` + columns + ` FROM referrals WHERE id = ?`
	selectForCase = `SELECT ` + columns + ` FROM referrals WHERE case_id = ? ORDER BY created_at, id`
)

// Refer sends a case to a partner.
func (s *Referrals) Refer(ctx context.Context, actor timeline.Actor, caseID, partner, reason string) (Referral, error) {
	if !s.catalogue.HasPartner(partner) {
		return Referral{}, fault.Field("partner", "not one of this council's partner bodies")
	}
	var out Referral
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := s.cases.LoadTx(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if c.Status == casework.Closed {
			return fault.New(fault.Conflict, "case %s is closed", c.ID)
		}
		now := store.Now()
		out = Referral{ID: store.NewID(), CaseID: c.ID, Partner: partner, Reason: strings.TrimSpace(reason),
			ReferredBy: actor.Subject, Status: Sent, Version: 1, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertRow), out.ID, out.CaseID, out.Partner, out.Reason,
			string(out.Status), out.ReferredBy, out.Version, out.CreatedAt, out.UpdatedAt); err != nil {
			return fmt.Errorf("insert referral: %w", store.MapError(err))
		}
		return tell(ctx, tx, actor, c, out, event.ReferralData{ReferralID: out.ID, Partner: out.Partner,
			Status: string(out.Status), Reason: out.Reason, Made: true})
	})
	return out, err
}

// Update records what the partner did.
func (s *Referrals) Update(ctx context.Context, actor timeline.Actor, id string, expected int, to Status, note string) (Referral, error) {
	var out Referral
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var r row
		if err := tx.GetContext(ctx, &r, tx.Rebind(selectOne), id); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return fault.New(fault.NotFound, "no referral %s", id)
			}
			return fmt.Errorf("read referral: %w", store.MapError(err))
		}
		ref := r.toReferral()
		if expected != 0 && expected != ref.Version {
			return fault.New(fault.PreconditionFailed, "the referral is at version %d, not %d", ref.Version, expected)
		}
		if !CanMove(ref.Status, to) {
			return fault.New(fault.Conflict, "a %s referral cannot become %s", ref.Status, to)
		}
		from := ref.Status
		ref.Status, ref.Version, ref.UpdatedAt = to, ref.Version+1, store.Now()
		res, err := tx.ExecContext(ctx, tx.Rebind(updateStatus), string(to), ref.Version, ref.UpdatedAt, ref.ID, ref.Version-1)
		if err != nil {
			return fmt.Errorf("update referral: %w", store.MapError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update referral: %w", err)
		} else if n != 1 {
			return fault.New(fault.PreconditionFailed, "the referral changed meanwhile")
		}
		c, err := s.cases.LoadTx(ctx, tx, ref.CaseID)
		if err != nil {
			return err
		}
		out = ref
		return tell(ctx, tx, actor, c, ref, event.ReferralData{ReferralID: ref.ID, Partner: ref.Partner,
			Status: string(ref.Status), From: string(from), Note: strings.TrimSpace(note)})
	})
	return out, err
}

// tell records a referral event on the case's (and its customer's) timeline and, for
// other systems, in the outbox, keyed by the case like the case's own events.
func tell(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, c casework.Case, r Referral, what event.ReferralData) error {
	_, err := event.Record(ctx, tx, event.Change{CustomerID: c.CustomerID, CaseID: c.ID, Actor: actor, At: r.UpdatedAt,
		Service: c.Service.LGSL, Queue: c.Queue, Payload: what})
	return err
}

// ForCase lists a case's referrals, oldest first.
func (s *Referrals) ForCase(ctx context.Context, caseID string) ([]Referral, error) {
	if _, err := s.cases.Get(ctx, caseID); err != nil {
		return nil, err
	}
	var rows []row
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(selectForCase), caseID); err != nil {
		return nil, fmt.Errorf("list referrals: %w", store.MapError(err))
	}
	out := make([]Referral, len(rows))
	for i, r := range rows {
		out[i] = r.toReferral()
	}
	return out, nil
}
