package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/workcal"
)

// TopicActivated is the outbox topic (the event type's name) that tells every replica
// to load another version.
var TopicActivated = event.RulesActivated.Name

// Actor is who publishes or activates a rule set.
type Actor = event.Actor

// Version is one published rule set.
type Version struct {
	Number      int
	Set         RuleSet
	Doc         []byte // the document as published (JSON)
	PublishedBy string
	PublishedAt time.Time
	Active      bool
	ActivatedAt time.Time
}

// Router holds the active rule set compiled in memory, so deciding costs no I/O, and
// keeps it in step with the database on every replica.
type Router struct {
	db     *store.DB
	cal    *workcal.Calendar
	log    *slog.Logger
	active atomic.Pointer[Compiled]
}

// NewRouter returns a router deciding by the council's working calendar; Load must run
// before it decides.
func NewRouter(db *store.DB, cal *workcal.Calendar, log *slog.Logger) *Router {
	return &Router{db: db, cal: cal, log: log}
}

// Location is the council's time zone, in which rules read clocks.
func (r *Router) Location() *time.Location { return r.cal.Location() }

// Calendar is the council's working calendar, by which service levels are counted.
func (r *Router) Calendar() *workcal.Calendar { return r.cal }

// Active is the rule set in force.
func (r *Router) Active() *Compiled { return r.active.Load() }

type versionRow struct {
	Version     int        `db:"version"`
	Document    []byte     `db:"document"`
	PublishedBy string     `db:"published_by"`
	PublishedAt time.Time  `db:"published_at"`
	Active      bool       `db:"active"`
	ActivatedAt *time.Time `db:"activated_at"`
}

func (v versionRow) toVersion() (Version, error) {
	rs, err := Parse(v.Document)
	if err != nil {
		return Version{}, fmt.Errorf("stored rule set %d: %w", v.Version, err)
	}
	out := Version{Number: v.Version, Set: rs, Doc: v.Document, PublishedBy: v.PublishedBy, PublishedAt: v.PublishedAt.UTC(), Active: v.Active}
	if v.ActivatedAt != nil {
		out.ActivatedAt = v.ActivatedAt.UTC()
	}
	return out, nil
}

const (
	versionColumns = `version, document, published_by, published_at, active, activated_at`
	selectActive   = `SELECT ` + versionColumns + ` FROM routing_rulesets WHERE active`
	selectVersions = `SELECT ` + versionColumns + ` FROM routing_rulesets ORDER BY version DESC`
	selectVersion  = `SELECT ` + versionColumns + ` FROM routing_rulesets WHERE version = ?`
	selectMax      = `SELECT COALESCE(MAX(version), 0) FROM routing_rulesets`
	insertVersion  = `INSERT INTO routing_rulesets (version, document, published_by, published_at, active) VALUES (?, ?, ?, ?, false)`
	deactivateAll  = `UPDATE routing_rulesets SET active = false WHERE active`
	activateOne    = `UPDATE routing_rulesets SET active = true, activated_at = ? WHERE version = ?`
)

// Load reads the active rule set, publishing the built-in default as version 1 on a
// new hub.
func (r *Router) Load(ctx context.Context) error {
	var row versionRow
	err := r.db.GetContext(ctx, &row, r.db.Rebind(selectActive))
	if errors.Is(store.MapError(err), store.ErrNotFound) {
		_, _, perr := r.Publish(ctx, event.System, DefaultJSON, true)
		if perr != nil && !errors.Is(perr, store.ErrConflict) && !fault.Is(perr, fault.Conflict) {
			return fmt.Errorf("publish the default rule set: %w", perr)
		}
		err = r.db.GetContext(ctx, &row, r.db.Rebind(selectActive))
	}
	if err != nil {
		return fmt.Errorf("read the active rule set: %w", store.MapError(err))
	}
	if cur := r.active.Load(); cur != nil && cur.Version == row.Version {
		return nil
	}
	v, err := row.toVersion()
	if err != nil {
		return err
	}
	c, err := Compile(v.Number, v.Set, r.cal)
	if err != nil {
		return err
	}
	r.active.Store(c)
	return nil
}

// Publish checks a rule set document and stores it as the next version, active when
// activate is set. Problems come back as an Invalid fault listing each with its path.
func (r *Router) Publish(ctx context.Context, by Actor, doc []byte, activate bool) (Version, []Problem, error) {
	rs, ps, err := Check(doc)
	if err != nil {
		return Version{}, ps, err
	}
	var out Version
	err = r.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var last int
		if err := tx.GetContext(ctx, &last, selectMax); err != nil {
			return fmt.Errorf("next rule set version: %w", store.MapError(err))
		}
		now := store.Now()
		out = Version{Number: last + 1, Set: rs, Doc: doc, PublishedBy: by.Subject, PublishedAt: now}
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertVersion), out.Number, string(doc), by.Subject, now); err != nil {
			if err = store.MapError(err); errors.Is(err, store.ErrConflict) {
				return fault.New(fault.Conflict, "another rule set was published at the same moment; try again")
			}
			return fmt.Errorf("store rule set: %w", err)
		}
		if _, err := event.Record(ctx, tx, event.Change{Key: activationKey, Actor: by, At: now,
			Payload: event.RulesPublishedData{Version: out.Number}}); err != nil {
			return err
		}
		if !activate {
			return nil
		}
		out.Active, out.ActivatedAt = true, now
		return activateTx(ctx, tx, by, out.Number, now)
	})
	if err != nil {
		return Version{}, nil, err
	}
	if activate {
		return out, nil, r.Load(ctx)
	}
	return out, nil, nil
}

// Check parses and validates a document; problems come back as an Invalid fault
// naming each path.
func Check(doc []byte) (RuleSet, []Problem, error) {
	rs, err := Parse(doc)
	if err != nil {
		return RuleSet{}, nil, fault.Field("rules", err.Error())
	}
	ps := Validate(rs)
	if len(ps) == 0 {
		return rs, nil, nil
	}
	var fields fault.Fields
	for _, p := range ps {
		fields.Add(p.Path, p.Message)
	}
	return RuleSet{}, ps, fields.Err()
}

// activateTx makes version the active one and tells every replica (and any other
// system listening), in tx.
func activateTx(ctx context.Context, tx *sqlx.Tx, by Actor, version int, now time.Time) error {
	if _, err := tx.ExecContext(ctx, deactivateAll); err != nil {
		return fmt.Errorf("deactivate rule sets: %w", store.MapError(err))
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(activateOne), now, version)
	if err != nil {
		return fmt.Errorf("activate rule set: %w", store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("activate rule set: %w", err)
	} else if n != 1 {
		return fault.New(fault.NotFound, "no rule set version %d", version)
	}
	_, err = event.Record(ctx, tx, event.Change{Key: activationKey, Actor: by, At: now,
		Payload: event.RulesActivatedData{Version: version}})
	return err
}

// activationKey orders activations: a receiver hears them in the order they happened.
const activationKey = "routing.rules"

// Activate rolls back or forward to a published version.
func (r *Router) Activate(ctx context.Context, by Actor, version int) (Version, error) {
	err := r.db.InTx(ctx, func(tx *sqlx.Tx) error { return activateTx(ctx, tx, by, version, store.Now()) })
	if err != nil {
		return Version{}, err
	}
	if err := r.Load(ctx); err != nil {
		return Version{}, err
	}
	return r.Get(ctx, version)
}

// Get reads a published version.
func (r *Router) Get(ctx context.Context, version int) (Version, error) {
	var row versionRow
	if err := r.db.GetContext(ctx, &row, r.db.Rebind(selectVersion), version); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return Version{}, fault.New(fault.NotFound, "no rule set version %d", version)
		}
		return Version{}, fmt.Errorf("read rule set: %w", store.MapError(err))
	}
	return row.toVersion()
}

// Versions lists every published version, newest first.
func (r *Router) Versions(ctx context.Context) ([]Version, error) {
	var rows []versionRow
	if err := r.db.SelectContext(ctx, &rows, selectVersions); err != nil {
		return nil, fmt.Errorf("list rule sets: %w", store.MapError(err))
	}
	out := make([]Version, 0, len(rows))
	for _, row := range rows {
		v, err := row.toVersion()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Watch reloads the active rule set when any replica activates one (a message on the
// bus) and, as a safety net for a missed message, every poll.
func (r *Router) Watch(ctx context.Context, msgs <-chan outbox.Message, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			if !r.activates(m) {
				continue
			}
		case <-t.C:
		}
		if err := r.Load(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("reload routing rules", slog.String("error", err.Error()))
		}
	}
}

// activates reports whether a bus message asks this replica to load the active rule
// set again: an activation of a version other than the one it decides with. A message
// whose payload cannot be read still reloads (reloading is always safe).
func (r *Router) activates(m outbox.Message) bool {
	if m.Topic != TopicActivated {
		return false
	}
	var msg struct {
		Data event.RulesActivatedData `json:"data"`
	}
	if err := json.Unmarshal(m.Payload, &msg); err != nil || msg.Data.Version == 0 {
		return true
	}
	cur := r.Active()
	return cur == nil || cur.Version != msg.Data.Version
}

// QueueTier is the tier of a queue of the active rule set.
func (r *Router) QueueTier(name string) (int, bool) {
	q, ok := r.Active().Queue(name)
	return q.Tier, ok
}

// QueueNames lists the queues of the active rule set, in its order.
func (r *Router) QueueNames() []string {
	qs := r.Active().Set.Queues
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Name
	}
	return out
}
