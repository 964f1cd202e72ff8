// Package event is the one way the hub records a change: a typed payload, appended in
// the caller's transaction to the timelines it belongs on and, as one message, to the
// outbox that webhooks, live streams and other replicas read. A change that commits has
// its event; one that rolls back has none; no event exists without its change.
//
// Every type is named (`case.resolved`), versioned, and described by a schema in
// openapi.yaml (`components/schemas/<Schema>`); Types lists them for the catalogue
// (`GET /v1/event-types`).
package event

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Type is a kind of event other systems may hear of.
type Type struct {
	Name    string // "case.resolved"
	Version int    // raised when the payload changes in a way a receiver would notice
	Schema  string // the payload's schema in openapi.yaml's components
	About   string // one line, for the catalogue
	// OutboxOnly: a change of the hub's own set-up (a rule set activated), told to other
	// systems but on no customer's or case's timeline.
	OutboxOnly bool
}

// Payload is what happened, typed: each payload knows its type.
type Payload interface {
	EventType() Type
}

// Actor is who caused a change.
type Actor = timeline.Actor

// System is the actor of changes the hub makes by itself (sending a survey).
var System = Actor{Subject: "contacthub", Role: "system"}

// Change is one thing that happened, and where it is told.
type Change struct {
	// CustomerID and CaseID place the event on the customer's and the case's timelines
	// (either may be empty: a contact from an unknown caller has no customer).
	CustomerID string
	CaseID     string
	// Key orders messages: a receiver sees the messages of one key in the order they
	// happened. Empty: the case, else the customer.
	Key     string
	Actor   Actor
	At      time.Time // zero: now
	Payload Payload
	// Service (LGSL) and Queue let subscribers filter without reading the payload.
	Service int
	Queue   string
}

// Message is the outbox message of a change: what other systems receive.
type Message struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Version    int             `json:"version"`
	OccurredAt time.Time       `json:"occurredAt"`
	CustomerID string          `json:"customerId,omitempty"`
	CaseID     string          `json:"caseId,omitempty"`
	Service    int             `json:"service,omitempty"`
	Queue      string          `json:"queue,omitempty"`
	Actor      Actor           `json:"actor"`
	Data       json.RawMessage `json:"data"`
}

// Record appends each change's timeline event and outbox message in tx, so they commit
// or roll back with the change they tell. It returns the timeline events written, in
// order (a note's caller answers with its event).
func Record(ctx context.Context, tx *sqlx.Tx, changes ...Change) ([]timeline.Event, error) {
	out := make([]timeline.Event, 0, len(changes))
	for _, c := range changes {
		ev, err := record(ctx, tx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func record(ctx context.Context, tx *sqlx.Tx, c Change) (timeline.Event, error) {
	t := c.Payload.EventType()
	at := c.At
	if at.IsZero() {
		at = store.Now()
	}
	data, err := json.Marshal(c.Payload)
	if err != nil {
		return timeline.Event{}, fmt.Errorf("encode %s: %w", t.Name, err)
	}
	ev := timeline.Event{ID: store.NewID(), CustomerID: c.CustomerID, CaseID: c.CaseID, Kind: t.Name,
		Actor: c.Actor, OccurredAt: at, Raw: data}
	if !t.OutboxOnly && (c.CustomerID != "" || c.CaseID != "") {
		if err := timeline.Append(ctx, tx, ev); err != nil {
			return timeline.Event{}, err
		}
	}
	msg := Message{ID: ev.ID, Type: t.Name, Version: t.Version, OccurredAt: at, CustomerID: c.CustomerID,
		CaseID: c.CaseID, Service: c.Service, Queue: c.Queue, Actor: c.Actor, Data: data}
	if err := outbox.AddWithID(ctx, tx, ev.ID, t.Name, keyOf(c, ev.ID), msg); err != nil {
		return timeline.Event{}, err
	}
	return ev, nil
}

// keyOf is the ordering key of a change's message.
func keyOf(c Change, id string) string {
	switch {
	case c.Key != "":
		return c.Key
	case c.CaseID != "":
		return c.CaseID
	case c.CustomerID != "":
		return c.CustomerID
	}
	return id
}
