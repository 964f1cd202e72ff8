// Package ivr follows telephone calls through the IVR: a new call is answered, in one
// round trip, with who is calling, their open cases and where the call should go; later
// events (answered, transferred, keypad input, hung up) update the same contact.
package ivr

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/routing"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Event is one telephony event, in the common CTI vocabulary.
type Event struct {
	Kind            string // newCall | answer | transfer | dtmf | hangup
	CallID          string
	Sequence        int
	From, To        string
	Direction       string // in | out
	Queue           string
	AnsweringNumber string
	User            string
	Cause           string // on hangup
	Digits          string // on dtmf
	Attributes      map[string]string
	At              time.Time
}

// Answer is what the IVR needs on a new call.
type Answer struct {
	CallID      string
	ContactID   string
	Customer    *customer.Customer
	Candidates  []customer.Candidate
	OpenCases   []casework.Case
	Decision    routing.Decision
	Due         time.Time
	SelfService bool
	State       string
	Duplicate   bool
}

// Calls handles IVR events.
type Calls struct {
	db        *store.DB
	contacts  *intake.Intake
	cases     *casework.Cases
	customers *customer.Service
	ratings   *satisfaction.Ratings
	catalogue *catalogue.Catalogue
}

// New returns the call handler.
func New(db *store.DB, contacts *intake.Intake, cases *casework.Cases, customers *customer.Service, ratings *satisfaction.Ratings, cat *catalogue.Catalogue) *Calls {
	return &Calls{db: db, contacts: contacts, cases: cases, customers: customers, ratings: ratings, catalogue: cat}
}

// Call states.
const (
	Ringing  = "ringing"
	Answered = "answered"
	Ended    = "ended"
)

// Handle applies an event once: a repeated (call, event, sequence) changes nothing, and
// events arriving out of order never move a call backwards (a late answer after the
// hang-up reopens nothing). An event other than newCall is one transaction: its
// de-duplication row and its effects commit together or not at all, so an event that
// fails halfway is applied by the platform's retry instead of taken for a duplicate.
func (c *Calls) Handle(ctx context.Context, actor timeline.Actor, e Event) (Answer, error) {
	if e.At.IsZero() {
		e.At = store.Now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.Kind == "newCall" {
		return c.newCall(ctx, actor, e)
	}
	var out Answer
	err := c.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = c.apply(ctx, tx, actor, e)
		return err
	})
	return out, err
}

// apply de-duplicates and applies one event of a known call inside tx. The call's row
// is locked first, so events of one call apply one at a time, in a single lock order.
func (c *Calls) apply(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, e Event) (Answer, error) {
	call, err := c.load(ctx, tx, e.CallID, c.db.ForUpdate())
	if err != nil {
		return Answer{}, err
	}
	first, err := firstTime(ctx, tx, e)
	if err != nil {
		return Answer{}, err
	}
	out := Answer{CallID: e.CallID, ContactID: call.ContactID, State: call.State, Duplicate: !first}
	if !first {
		return out, nil
	}
	switch e.Kind {
	case "answer":
		err = c.answer(ctx, tx, actor, call, e)
	case "transfer":
		err = c.transfer(ctx, tx, actor, call, e)
	case "dtmf":
		err = c.dtmf(ctx, tx, actor, call, e)
	case "hangup":
		err = c.hangup(ctx, tx, actor, call, e)
	default:
		err = fault.Field("event", "one of newCall, answer, transfer, dtmf, hangup")
	}
	if err != nil {
		return Answer{}, err
	}
	call, err = c.load(ctx, tx, e.CallID, "")
	out.State = call.State
	return out, err
}

type callRow struct {
	CallID    string `db:"call_id"`
	ContactID string `db:"contact_id"`
	State     string `db:"state"`
	Agent     string `db:"agent"`
	Queue     string `db:"queue"`
}

const (
	selectCall  = `SELECT call_id, contact_id, state, agent, queue FROM ivr_calls WHERE call_id = ?`
	insertCall  = `INSERT INTO ivr_calls (call_id, contact_id, state, started_at) VALUES (?, ?, 'ringing', ?) ON CONFLICT DO NOTHING`
	insertEvent = `INSERT INTO ivr_events (call_id, event, seq, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	setAnswered = `UPDATE ivr_calls SET state = 'answered', agent = ?, answered_at = ? WHERE call_id = ? AND state = 'ringing'`
	setQueue    = `UPDATE ivr_calls SET queue = ? WHERE call_id = ?`
	setEnded    = `UPDATE ivr_calls SET state = 'ended', cause = ?, ended_at = ? WHERE call_id = ? AND state <> 'ended'`
)

func (c *Calls) load(ctx context.Context, q sqlx.QueryerContext, callID, suffix string) (callRow, error) {
	var r callRow
	if err := sqlx.GetContext(ctx, q, &r, c.db.Rebind(selectCall+suffix), callID); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return callRow{}, fault.New(fault.NotFound, "no call %s: send newCall first", callID)
		}
		return callRow{}, fmt.Errorf("read call: %w", store.MapError(err))
	}
	return r, nil
}

// firstTime records the event's de-duplication row in tx; false when it was there.
func firstTime(ctx context.Context, tx *sqlx.Tx, e Event) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(insertEvent), e.CallID, e.Kind, e.Sequence, store.Now())
	if err != nil {
		return false, fmt.Errorf("record call event: %w", store.MapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record call event: %w", err)
	}
	return n == 1, nil
}

// service is the call's service: the LGSL code the IVR names, or its menu choice.
func (c *Calls) service(attrs map[string]string) int {
	if lgsl, err := strconv.Atoi(attrs["service"]); err == nil {
		if _, ok := c.catalogue.Service(lgsl); ok {
			return lgsl
		}
	}
	if lgsl, ok := c.catalogue.IVRMenu[attrs["menu"]]; ok {
		return lgsl
	}
	return c.catalogue.IVRDefaultService
}

// newCall records the call's contact (an unknown caller too: the number waits on the
// contact to be identified) and answers with what the IVR needs. The contact and the
// call are one transaction; a repeated newCall (the IVR retrying) meets the contact's
// unique call id, rolls back, and is answered from what the first one recorded, so
// newCall needs no row in ivr_events to happen once.
func (c *Calls) newCall(ctx context.Context, actor timeline.Actor, e Event) (Answer, error) {
	if e.From == "" {
		return Answer{}, fault.Field("from", "a new call has the caller's number (or 'anonymous')")
	}
	req := intake.Request{Channel: channel.IVR, Direction: direction(e.Direction), StartedAt: e.At,
		Service: casework.Service{LGSL: c.service(e.Attributes), Category: e.Attributes["category"]},
		Intent:  e.Attributes["intent"], ExternalID: e.CallID, CreateCustomer: false,
		Also: func(ctx context.Context, tx *sqlx.Tx, contact intake.Contact) error {
			if err := store.Append(ctx, tx, insertCall, e.CallID, contact.ID, e.At); err != nil {
				return fmt.Errorf("record call: %w", store.MapError(err))
			}
			return nil
		}}
	if phone, err := c.customers.NormaliseIdentifiers("from", []customer.IdentifierInput{{Kind: identifier.Phone, Value: e.From}}); err == nil {
		req.Identifiers = phone
	}
	res, err := c.contacts.Record(ctx, actor, req)
	if fault.Is(err, fault.Conflict) { // this call was recorded before: a retry, or a race with itself
		existing, lookErr := c.contacts.ByExternalID(ctx, channel.IVR, e.CallID)
		if lookErr == nil {
			return c.repeated(ctx, e, existing)
		}
		if !fault.Is(lookErr, fault.NotFound) {
			return Answer{}, lookErr
		}
	}
	if err != nil {
		return Answer{}, err
	}
	a := Answer{CallID: e.CallID, ContactID: res.Contact.ID, State: Ringing, Candidates: res.Candidates, Customer: res.Customer}
	if res.Decision != nil {
		a.Decision, a.Due = *res.Decision, res.Due
	} else if a.Decision, a.Due, err = c.preview(ctx, res.Contact); err != nil {
		return Answer{}, err
	}
	if a.Customer != nil {
		if a.OpenCases, err = c.openCases(ctx, a.Customer.ID); err != nil {
			return Answer{}, err
		}
	}
	a.SelfService = len(a.Decision.Result.SelfService) > 0
	return a, nil
}

// repeated answers a newCall for a call already recorded, from the hub's current view.
func (c *Calls) repeated(ctx context.Context, e Event, contact intake.Contact) (Answer, error) {
	a := Answer{CallID: e.CallID, ContactID: contact.ID, State: Ringing, Duplicate: true}
	if contact.CustomerID != "" {
		cust, err := c.customers.Get(ctx, contact.CustomerID)
		if err != nil {
			return Answer{}, err
		}
		a.Customer = &cust
		if a.OpenCases, err = c.openCases(ctx, cust.ID); err != nil {
			return Answer{}, err
		}
	}
	var err error
	if a.Decision, a.Due, err = c.preview(ctx, contact); err != nil {
		return Answer{}, err
	}
	a.SelfService = len(a.Decision.Result.SelfService) > 0
	if call, err := c.load(ctx, c.db, e.CallID, ""); err == nil {
		a.State = call.State
	}
	return a, nil
}

// preview is where the router would send the contact now.
func (c *Calls) preview(ctx context.Context, contact intake.Contact) (routing.Decision, time.Time, error) {
	d, _, due, err := c.contacts.Preview(ctx, intake.Enquiry{Service: contact.Service, Channel: channel.IVR,
		Intent: contact.Intent, CustomerID: contact.CustomerID, At: contact.StartedAt}, nil)
	return d, due, err
}

// openCases are the customer's unfinished cases, newest first (at most 20 are looked at).
func (c *Calls) openCases(ctx context.Context, customerID string) ([]casework.Case, error) {
	page, err := c.cases.List(ctx, casework.Query{CustomerID: customerID, Limit: 20})
	if err != nil {
		return nil, err
	}
	var open []casework.Case
	for _, cs := range page.Items {
		if !cs.Status.Finished() {
			open = append(open, cs)
		}
	}
	return open, nil
}

func (c *Calls) answer(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, call callRow, e Event) error {
	agent := e.User
	if agent == "" {
		agent = e.AnsweringNumber
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(setAnswered), agent, e.At, call.CallID)
	if err != nil {
		return fmt.Errorf("answer call: %w", store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("answer call: %w", err)
	} else if n == 0 {
		return nil // answered already, or hung up: a late answer reopens nothing
	}
	if agent == "" {
		return nil
	}
	_, err = c.contacts.UpdateTx(ctx, tx, casework.Caller{Actor: actor, System: true}, call.ContactID, intake.AnyVersion, intake.Patch{Agent: &agent})
	return err
}

// transfer records the move to another queue as a hand-off of the call's case.
func (c *Calls) transfer(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, call callRow, e Event) error {
	if e.Queue == "" {
		return fault.Field("queue", "a transfer names the queue it goes to")
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(setQueue), e.Queue, call.CallID); err != nil {
		return fmt.Errorf("transfer call: %w", store.MapError(err))
	}
	contact, err := c.contacts.GetTx(ctx, tx, call.ContactID)
	if err != nil || contact.CaseID == "" {
		return err
	}
	// The telephony platform moves the call's case wherever it transfers the call: it
	// acts as a system, not as an agent of some tier (HandOffTx checks no tier).
	cs, err := c.cases.LoadTx(ctx, tx, contact.CaseID)
	if err != nil {
		return err
	}
	_, err = c.cases.HandOffTx(ctx, tx, actor, cs, e.Queue, "call_transfer", "transferred by the telephony system", store.Now())
	if fault.Is(err, fault.Conflict) || fault.Is(err, fault.Invalid) {
		// Already in that queue, or a telephony queue the hub does not route to: both
		// are refused before anything is written, so the transaction is still good.
		return nil
	}
	return err
}

// dtmf turns a keypad survey score into a rating; menu choices need nothing more.
func (c *Calls) dtmf(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, call callRow, e Event) error {
	if e.Attributes["purpose"] != "survey" {
		return nil
	}
	score, err := strconv.Atoi(strings.TrimSpace(e.Digits))
	if err != nil {
		return fault.Field("digits", "a survey score is a digit")
	}
	_, err = c.ratings.CheckAndRecordTx(ctx, tx, actor, satisfaction.Rating{Source: satisfaction.IVR, Score: &score, ContactID: call.ContactID})
	return err
}

// hangupOutcome is what a call's end says of it, when the IVR does not say itself.
func hangupOutcome(call callRow, e Event) intake.Outcome {
	if o := intake.Outcome(e.Attributes["outcome"]); o != "" {
		return o
	}
	if call.State != Answered {
		return intake.Abandoned
	}
	return ""
}

// hangup ends the call and its contact; ending the contact is what offers it to the
// SMS survey.
func (c *Calls) hangup(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, call callRow, e Event) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(setEnded), e.Cause, e.At, call.CallID)
	if err != nil {
		return fmt.Errorf("end call: %w", store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("end call: %w", err)
	} else if n == 0 {
		return nil // ended already
	}
	contact, err := c.contacts.GetTx(ctx, tx, call.ContactID)
	if err != nil {
		return err
	}
	ended := e.At
	if ended.Before(contact.StartedAt) {
		ended = contact.StartedAt
	}
	p := intake.Patch{EndedAt: &ended}
	if o := hangupOutcome(call, e); o != "" {
		p.Outcome = &o
	}
	_, err = c.contacts.UpdateTx(ctx, tx, casework.Caller{Actor: actor, System: true}, call.ContactID, intake.AnyVersion, p)
	return err
}

func direction(d string) string {
	if d == "out" {
		return "outbound"
	}
	return "inbound"
}
