package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Handoff is one move of a case between tiers or queues.
type Handoff struct {
	ID, CaseID, FromQueue, ToQueue, Reason, Note, By string
	FromTier, ToTier                                 int
	At                                               time.Time
}

// ReasonRouting is the hand-off reason when the rules move a case on a new contact.
const ReasonRouting = "routing_rules"

const insertHandoff = `INSERT INTO case_handoffs (id, case_id, from_tier, to_tier, from_queue, to_queue, reason, note, handed_by, handed_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// countHandoff adds the hand-off to the daily counts the reports read (handoff_daily),
// in the hand-off's transaction; one upsert in both engines.
const countHandoff = `INSERT INTO handoff_daily (day, service_lgsl, channel, reason, from_tier, to_tier, handoffs)
 VALUES (?, ?, ?, ?, ?, ?, 1)
 ON CONFLICT (day, service_lgsl, channel, reason, from_tier, to_tier) DO UPDATE SET handoffs = handoff_daily.handoffs + 1`

// HandOff moves a case to another queue (and so, perhaps, tier) for a reason from the
// catalogue's list. Escalation and de-escalation are both allowed; the case leaves its
// assignee, to be claimed from the new queue.
func (s *Cases) HandOff(ctx context.Context, who Caller, id string, expected int, toQueue, reason, note string) (Case, error) {
	if _, err := s.handOffTarget(toQueue, reason); err != nil {
		return Case{}, err
	}
	return s.change(ctx, who, id, expected, func(tx *sqlx.Tx, c Case, now time.Time) (Case, error) {
		return s.HandOffTx(ctx, tx, who.Actor, c, toQueue, reason, note, now)
	})
}

// HandOffTx hands off c, read and locked in tx (LoadTx), for callers whose own writes
// must land with the hand-off, as an IVR transfer's do. It checks no tier: its callers
// are systems (see MayChange), and HandOff checks people before it.
func (s *Cases) HandOffTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, toQueue, reason, note string, now time.Time) (Case, error) {
	tier, err := s.handOffTarget(toQueue, reason)
	if err != nil {
		return Case{}, err
	}
	if c.Status.Finished() {
		return Case{}, fault.New(fault.Conflict, "a %s case cannot be handed off", c.Status)
	}
	if c.Queue == toQueue {
		return Case{}, fault.New(fault.Conflict, "the case is already in queue %s", toQueue)
	}
	return s.handOffTx(ctx, tx, actor, c, tier, toQueue, reason, note, now)
}

// handOffTarget checks a hand-off's reason and returns its queue's tier.
func (s *Cases) handOffTarget(toQueue, reason string) (int, error) {
	if !slices.Contains(s.catalogue.HandoffReasons, reason) {
		return 0, fault.Field("reason", "one of "+strings.Join(s.catalogue.HandoffReasons, ", "))
	}
	tier, ok := s.queues.QueueTier(toQueue)
	if !ok {
		return 0, fault.Field("queue", "not a queue of the active routing rules")
	}
	return tier, nil
}

// EscalateTx moves a case up to the tier and queue the rules now choose for it, when
// that is a higher tier; the rules never move work down by themselves. It records the
// hand-off but leaves the case's row to LinkContactTx, which the contact the rules
// re-routed the case for always calls next in the same transaction: one UPDATE of the
// case for both, where there were two.
func (s *Cases) EscalateTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, r Route, now time.Time) (Case, error) {
	if r.Tier <= c.Tier || c.Status.Finished() {
		return c, nil
	}
	c.Routing = r.Routing
	if r.Priority < c.Priority {
		c.Priority = r.Priority
	}
	if r.Due.Before(c.SLADueAt) {
		c.SLADueAt = r.Due.UTC().Truncate(time.Microsecond)
	}
	return s.moveTx(ctx, tx, actor, c, r.Tier, r.Queue, ReasonRouting, r.Summary, now)
}

// handOffTx moves c to queue (at tier) for reason and saves it.
func (s *Cases) handOffTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, tier int, queue, reason, note string, now time.Time) (Case, error) {
	c, err := s.moveTx(ctx, tx, actor, c, tier, queue, reason, note, now)
	if err != nil {
		return Case{}, err
	}
	return save(ctx, tx, c, now)
}

// moveTx records c's hand-off to queue (at tier) for reason, its count and its event,
// and answers c moved; saving c is the caller's.
func (s *Cases) moveTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, tier int, queue, reason, note string, now time.Time) (Case, error) {
	h := Handoff{ID: store.NewID(), CaseID: c.ID, FromTier: c.Tier, ToTier: tier, FromQueue: c.Queue, ToQueue: queue,
		Reason: reason, Note: strings.TrimSpace(note), By: actor.Subject, At: now}
	// Nothing in the transaction reads the hand-off back: it goes with the commit.
	if err := store.Append(ctx, tx, insertHandoff, h.ID, h.CaseID, h.FromTier, h.ToTier, h.FromQueue, h.ToQueue,
		h.Reason, h.Note, h.By, h.At); err != nil {
		return Case{}, fmt.Errorf("record hand-off: %w", err)
	}
	// The day's count of hand-offs is a row concurrent hand-offs share: on PostgreSQL it
	// goes with the commit, after the appends, as the contact counts do.
	day := h.At.UTC().Format(time.DateOnly)
	args := []any{day, c.Service.LGSL, c.Channel, h.Reason, h.FromTier, h.ToTier}
	if !store.HoldCount(tx, "handoff_daily", len(args), countHandoff, args...) {
		if _, err := tx.ExecContext(ctx, tx.Rebind(countHandoff), args...); err != nil {
			return Case{}, fmt.Errorf("count hand-off: %w", store.MapError(err))
		}
	}
	c.Tier, c.Queue, c.Assignee, c.ClaimedAt = tier, queue, "", time.Time{}
	c.HandoffCount++
	if c.Status == AwaitingBackOffice && tier == 3 {
		c.Status = Open
	}
	return c, record(ctx, tx, actor, c, now, event.CaseHandedOffData{HandoffID: h.ID, FromTier: h.FromTier, ToTier: h.ToTier,
		FromQueue: h.FromQueue, ToQueue: h.ToQueue, Reason: h.Reason, Note: h.Note})
}

const claimNext = `SELECT ` + caseColumns + ` FROM cases WHERE queue = ? AND status = 'open' AND assignee = ''
 ORDER BY priority, sla_due_at, id LIMIT 1`

// Claim gives the agent the next case of a queue: the most urgent priority, then the
// earliest SLA, among open cases nobody holds. On PostgreSQL the row is taken with
// SKIP LOCKED, so agents (and replicas) claiming at once never get the same case; on
// SQLite the database's single writer does the same. found is false on an empty queue.
func (s *Cases) Claim(ctx context.Context, who Claimant, queue string) (c Case, found bool, err error) {
	tier, ok := s.queues.QueueTier(queue)
	if !ok {
		return Case{}, false, fault.New(fault.NotFound, "no queue %s", queue)
	}
	if agentTier := who.tier(); tier > agentTier && !who.Supervisor {
		return Case{}, false, fault.New(fault.Forbidden, "queue %s is tier %d; your token is tier %d", queue, tier, agentTier)
	}
	query := claimNext
	if s.db.Dialect == store.Postgres {
		query += " FOR UPDATE SKIP LOCKED"
	}
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var r caseRow
		if err := tx.GetContext(ctx, &r, tx.Rebind(query), queue); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return nil
			}
			return fmt.Errorf("claim: %w", store.MapError(err))
		}
		next, err := r.toCase()
		if err != nil {
			return err
		}
		now := store.Now()
		next.Assignee, next.ClaimedAt = who.Subject, now
		if c, err = save(ctx, tx, next, now); err != nil {
			return err
		}
		found = true
		return record(ctx, tx, who.Actor, c, now, event.CaseClaimedData{Queue: queue, Assignee: who.Subject})
	})
	return c, found, err
}

// Release puts a claimed case back in its queue. Only its assignee or a supervisor may.
func (s *Cases) Release(ctx context.Context, who Caller, id string) (Case, error) {
	actor := who.Actor
	return s.change(ctx, who, id, AnyVersion, func(tx *sqlx.Tx, c Case, now time.Time) (Case, error) {
		if c.Assignee == "" {
			return Case{}, fault.New(fault.Conflict, "the case is not claimed")
		}
		if c.Assignee != actor.Subject && !who.Supervisor {
			return Case{}, fault.New(fault.Forbidden, "only its assignee or a supervisor can release a case")
		}
		from := c.Assignee
		c.Assignee, c.ClaimedAt = "", time.Time{}
		c, err := save(ctx, tx, c, now)
		if err != nil {
			return Case{}, err
		}
		return c, record(ctx, tx, actor, c, now, event.CaseReleasedData{Queue: c.Queue, From: from})
	})
}

// QueueStats is the state of one queue.
type QueueStats struct {
	Name       string
	Tier       int
	Waiting    int           // open and unclaimed
	Claimed    int           // being worked
	OldestWait time.Duration // age of the oldest waiting case
	PastSLA    int           // waiting cases past their SLA
}

type queueRow struct {
	Queue   string         `db:"queue"`
	Waiting int            `db:"waiting"`
	Claimed int            `db:"claimed"`
	Oldest  store.NullTime `db:"oldest"`
	PastSLA int            `db:"past_sla"`
}

const selectQueueStats = `SELECT queue,
 SUM(CASE WHEN status = 'open' AND assignee = '' THEN 1 ELSE 0 END) AS waiting,
 SUM(CASE WHEN assignee <> '' THEN 1 ELSE 0 END) AS claimed,
 MIN(CASE WHEN status = 'open' AND assignee = '' THEN created_at END) AS oldest,
 SUM(CASE WHEN status = 'open' AND assignee = '' AND sla_due_at < ? THEN 1 ELSE 0 END) AS past_sla
 FROM cases WHERE status NOT IN ('resolved', 'closed') GROUP BY queue`

// Queues reports every queue of the active rules (and any other still holding cases).
func (s *Cases) Queues(ctx context.Context) ([]QueueStats, error) {
	now := store.Now()
	var rows []queueRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(selectQueueStats), now); err != nil {
		return nil, fmt.Errorf("queue stats: %w", store.MapError(err))
	}
	byName := map[string]queueRow{}
	for _, r := range rows {
		byName[r.Queue] = r
	}
	names := s.queues.QueueNames()
	for _, r := range rows {
		if !slices.Contains(names, r.Queue) {
			names = append(names, r.Queue)
		}
	}
	out := make([]QueueStats, 0, len(names))
	for _, name := range names {
		r := byName[name]
		tier, _ := s.queues.QueueTier(name)
		q := QueueStats{Name: name, Tier: tier, Waiting: r.Waiting, Claimed: r.Claimed, PastSLA: r.PastSLA}
		if r.Oldest.Valid {
			q.OldestWait = now.Sub(r.Oldest.Time)
		}
		out = append(out, q)
	}
	return out, nil
}
