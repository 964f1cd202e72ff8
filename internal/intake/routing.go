package intake

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/routing"
	"github.com/council/contacthub/internal/store"
)

// Enquiry is what a routing preview knows: a contact that has not happened.
type Enquiry struct {
	Service          casework.Service
	Channel          channel.Channel
	Intent           string
	CustomerID       string
	Needs            *customer.Needs // overrides the customer's
	EvidenceRequired bool
	CaseAge          time.Duration
	Amount           *int64
	At               time.Time
}

// Preview decides where an enquiry would go under rules (the active ones when nil),
// explaining every rule tried. Nothing is written.
func (in *Intake) Preview(ctx context.Context, e Enquiry, rules *routing.Compiled) (routing.Decision, []routing.Step, time.Time, error) {
	if rules == nil {
		rules = in.rules.Active()
	}
	if e.At.IsZero() {
		e.At = store.Now()
	}
	f := routing.Facts{LGSL: e.Service.LGSL, Category: e.Service.Category, Intent: e.Intent, Channel: string(e.Channel),
		EvidenceRequired: e.EvidenceRequired, CaseAge: e.CaseAge, At: e.At}
	if e.Amount != nil {
		f.HasAmount, f.Amount = true, *e.Amount
	}
	if e.CustomerID != "" {
		c, err := in.live(ctx, e.CustomerID)
		if err != nil {
			return routing.Decision{}, nil, time.Time{}, err
		}
		f.Vulnerable, f.AssistedDigital, f.Language = c.Needs.Vulnerable, c.Needs.AssistedDigital, c.Needs.PreferredLanguage
		if f.PreviousContacts, err = in.previousContacts(ctx, in.db, c.ID, e.Service.LGSL, e.At, rules.MaxContactDays()); err != nil {
			return routing.Decision{}, nil, time.Time{}, err
		}
	}
	if n := e.Needs; n != nil {
		f.Vulnerable, f.AssistedDigital, f.Language = n.Vulnerable, n.AssistedDigital, n.PreferredLanguage
	}
	d, steps := rules.Explain(&f)
	return d, steps, rules.Due(d.Result, e.At), nil
}

// previousContacts lists the customer's contacts about a service in the days before at
// (as many days as the rules look back), read through q (the database or a transaction).
func (in *Intake) previousContacts(ctx context.Context, q querier, customerID string, lgsl int, at time.Time, days int) ([]time.Time, error) {
	if days == 0 {
		return nil, nil
	}
	var times []store.NullTime
	since := at.Add(-time.Duration(days) * 24 * time.Hour)
	if err := sqlx.SelectContext(ctx, q, &times, q.Rebind(selectPreviousContacts), customerID, lgsl, since); err != nil {
		return nil, fmt.Errorf("read previous contacts: %w", store.MapError(err))
	}
	out := make([]time.Time, 0, len(times))
	for _, t := range times {
		if t.Time.Before(at) {
			out = append(out, t.Time)
		}
	}
	return out, nil
}

// Mix is how many contacts go to each tier and queue.
type Mix struct {
	Tiers  map[string]int
	Queues map[string]int
}

func newMix() Mix { return Mix{Tiers: map[string]int{}, Queues: map[string]int{}} }

func (m Mix) add(tier int, queue string) {
	m.Tiers[strconv.Itoa(tier)]++
	m.Queues[queue]++
}

// Simulation compares a candidate rule set with what was recorded.
type Simulation struct {
	Contacts  int
	Changed   int
	Candidate Mix
	Recorded  Mix
}

type replayRow struct {
	CustomerID      string    `db:"customer_id"`
	StartedAt       time.Time `db:"started_at"`
	Channel         string    `db:"channel"`
	ServiceLGSL     int       `db:"service_lgsl"`
	ServiceCategory string    `db:"service_category"`
	Intent          string    `db:"intent"`
	RoutedTier      int       `db:"routed_tier"`
	RoutedQueue     string    `db:"routed_queue"`
	Vulnerable      bool      `db:"vulnerable"`
	AssistedDigital bool      `db:"assisted_digital"`
	Language        string    `db:"preferred_language"`
}

const selectReplay = `SELECT c.customer_id, c.started_at, c.channel, c.service_lgsl, c.service_category, c.intent,
 c.routed_tier, c.routed_queue, k.vulnerable, k.assisted_digital, k.preferred_language
 FROM contacts c JOIN customers k ON k.id = c.customer_id
 WHERE c.started_at >= ? AND c.started_at < ? AND c.routed_tier > 0
 ORDER BY c.started_at LIMIT ?`

// maxReplay bounds one simulation; a longer period is refused rather than truncated.
const maxReplay = 200000

// Simulate replays the routed contacts of [from, to) under rules. Each contact is
// decided with the facts known today about its customer (needs) and the contact history
// before it; evidence and amounts are not stored on contacts, so rules on them see
// "no evidence required" and "no amount".
func (in *Intake) Simulate(ctx context.Context, rules *routing.Compiled, from, to time.Time) (Simulation, error) {
	if !to.After(from) {
		return Simulation{}, fault.Field("to", "must be after from")
	}
	var rows []replayRow
	if err := in.db.SelectContext(ctx, &rows, in.db.Rebind(selectReplay), from.UTC(), to.UTC(), maxReplay+1); err != nil {
		return Simulation{}, fmt.Errorf("read contacts to replay: %w", store.MapError(err))
	}
	if len(rows) > maxReplay {
		return Simulation{}, fault.Field("to", fmt.Sprintf("the period holds more than %d contacts; simulate a shorter one", maxReplay))
	}
	sim := Simulation{Candidate: newMix(), Recorded: newMix()}
	window := time.Duration(rules.MaxContactDays()) * 24 * time.Hour
	history := map[[2]any][]time.Time{} // (customer, service) -> contacts so far, oldest first
	for _, r := range rows {
		key := [2]any{r.CustomerID, r.ServiceLGSL}
		f := routing.Facts{LGSL: r.ServiceLGSL, Category: r.ServiceCategory, Intent: r.Intent, Channel: r.Channel,
			Vulnerable: r.Vulnerable, AssistedDigital: r.AssistedDigital, Language: r.Language, At: r.StartedAt.UTC()}
		for _, t := range history[key] {
			if window > 0 && f.At.Sub(t) <= window {
				f.PreviousContacts = append(f.PreviousContacts, t)
			}
		}
		history[key] = append(history[key], f.At)
		d := rules.Decide(&f)
		sim.Contacts++
		sim.Candidate.add(d.Result.Tier, d.Result.Queue)
		sim.Recorded.add(r.RoutedTier, r.RoutedQueue)
		if d.Result.Queue != r.RoutedQueue {
			sim.Changed++
		}
	}
	return sim, nil
}
