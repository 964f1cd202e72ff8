// Package satisfaction captures how residents rate the service on every channel — a
// score at the bottom of every web page, a kiosk in each centre, a keypad score at the
// end of a call, an SMS survey after it — and attaches each rating to what it rates.
package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Source is where a rating came from.
type Source string

const (
	WebPage       Source = "web_page"
	Kiosk         Source = "kiosk"
	IVR           Source = "ivr"
	AgentRecorded Source = "agent_recorded"
	SMS           Source = "sms"
	MyAccount     Source = "my_account"
)

// Scale is the scores a rating may take, and the least that counts as satisfied.
type Scale struct {
	Min, Max, Satisfied int
}

// Rating is one score (or "was this useful" answer, or comment).
type Rating struct {
	ID         string
	Source     Source
	Score      *int  // nil for an unscored comment or a yes/no answer
	Useful     *bool // the "was this page useful" form
	Comment    string
	PageURL    string
	Centre     string
	ContactID  string
	CaseID     string
	CustomerID string
	Channel    string
	Tier       int
	LGSL       int
	Agent      string
	SurveyID   string
	CreatedAt  time.Time
}

// EventRated is the name of the event of a rating (its type lives in package event).
var EventRated = event.RatingRecorded.Name

// Ratings records ratings.
type Ratings struct {
	db        *store.DB
	catalogue *catalogue.Catalogue
	scale     Scale
}

// NewRatings returns the rating service.
func NewRatings(db *store.DB, cat *catalogue.Catalogue, scale Scale) *Ratings {
	return &Ratings{db: db, catalogue: cat, scale: scale}
}

// Scale is the scale in force.
func (r *Ratings) Scale() Scale { return r.scale }

// check applies the rules of each source.
func (r *Ratings) check(in *Rating) error {
	var problems fault.Fields
	if in.Score != nil && (*in.Score < r.scale.Min || *in.Score > r.scale.Max) {
		problems.Add("score", fmt.Sprintf("must be from %d to %d", r.scale.Min, r.scale.Max))
	}
	in.Comment = strings.TrimSpace(in.Comment)
	switch in.Source {
	case WebPage:
		if u, err := url.Parse(in.PageURL); in.PageURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems.Add("pageUrl", "the http(s) address of the page rated")
		} else {
			u.RawQuery, u.Fragment = "", "" // a query string may hold personal data
			in.PageURL = u.String()
		}
		if in.Score == nil && in.Useful == nil {
			problems.Add("score", "give a score or useful")
		}
	case Kiosk:
		if !r.catalogue.HasCentre(in.Centre) {
			problems.Add("centre", "not one of this council's centres")
		}
		if in.Score == nil {
			problems.Add("score", "a kiosk rating has a score")
		}
	case IVR:
		if in.ContactID == "" {
			problems.Add("contactId", "a keypad score rates the call's contact")
		}
		if in.Score == nil {
			problems.Add("score", "a keypad rating has a score")
		}
	case MyAccount:
		if in.ContactID == "" && in.CaseID == "" {
			problems.Add("caseId", "rate one of your cases or contacts")
		}
		if in.Score == nil {
			problems.Add("score", "give a score")
		}
	case AgentRecorded:
		if in.ContactID == "" && in.CaseID == "" {
			problems.Add("contactId", "give the contact or case the customer rated")
		}
		if in.Score == nil {
			problems.Add("score", "an agent records a score")
		}
	}
	return problems.Err()
}

// Record stores a rating after attaching it to its contact (and so case, customer,
// channel, tier, service, agent, centre) when one is named.
func (r *Ratings) Record(ctx context.Context, actor timeline.Actor, in Rating) (Rating, error) {
	if err := r.check(&in); err != nil {
		return Rating{}, err
	}
	err := r.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		in, err = r.RecordTx(ctx, tx, actor, in)
		return err
	})
	return in, err
}

// CheckAndRecordTx checks a rating and stores it inside tx, for callers whose own
// writes must land with it, as an IVR keypad score's do.
func (r *Ratings) CheckAndRecordTx(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, in Rating) (Rating, error) {
	if err := r.check(&in); err != nil {
		return Rating{}, err
	}
	return r.RecordTx(ctx, tx, actor, in)
}

// RecordTx stores an already checked rating inside tx.
func (r *Ratings) RecordTx(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, in Rating) (Rating, error) {
	queue, err := attach(ctx, tx, &in)
	if err != nil {
		return Rating{}, err
	}
	in.ID, in.CreatedAt = store.NewID(), store.Now()
	if err := store.Append(ctx, tx, insertRating, in.ID, string(in.Source), in.Score, in.Useful, in.Comment,
		in.PageURL, in.Centre, nullable(in.ContactID), nullable(in.CaseID), nullable(in.CustomerID), in.Channel, in.Tier,
		in.LGSL, in.Agent, nullable(in.SurveyID), in.CreatedAt); err != nil {
		return Rating{}, fmt.Errorf("insert rating: %w", err)
	}
	_, err = event.Record(ctx, tx, event.Change{CustomerID: in.CustomerID, CaseID: in.CaseID, Actor: actor,
		At: in.CreatedAt, Service: in.LGSL, Queue: queue, Payload: rated(in)})
	return in, err
}

// rated is the event of a rating: what was given and what it rates. A rating with no
// customer (a web page's, a kiosk's) is on no timeline, only in the outbox.
func rated(in Rating) event.RatingRecordedData {
	return event.RatingRecordedData{RatingID: in.ID, Source: string(in.Source), Score: in.Score, Useful: in.Useful,
		Comment: in.Comment, ContactID: in.ContactID, Channel: in.Channel, Tier: in.Tier, Centre: in.Centre,
		Agent: in.Agent, PageURL: in.PageURL}
}

const insertRating = `INSERT INTO ratings (id, source, score, useful, comment, page_url, centre, contact_id, case_id,
 customer_id, channel, tier, service_lgsl, agent, survey_id, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const selectContactContext = `SELECT c.customer_id, c.case_id, c.channel, c.service_lgsl, c.agent, c.centre,
 COALESCE(k.tier, c.routed_tier) AS tier, COALESCE(k.queue, '') AS queue
 FROM contacts c LEFT JOIN cases k ON k.id = c.case_id WHERE c.id = ?`

const selectCaseContext = `SELECT customer_id, tier, service_lgsl, channel, assignee, queue FROM cases WHERE id = ?`

// attach fills in what the rating's contact or case knows, and says which queue the
// rated case is in ("" for none), by which subscribers filter the rating's event.
func attach(ctx context.Context, tx *sqlx.Tx, in *Rating) (string, error) {
	if in.ContactID != "" {
		var row struct {
			CustomerID *string `db:"customer_id"`
			CaseID     *string `db:"case_id"`
			Channel    string  `db:"channel"`
			LGSL       int     `db:"service_lgsl"`
			Agent      string  `db:"agent"`
			Centre     string  `db:"centre"`
			Tier       int     `db:"tier"`
			Queue      string  `db:"queue"`
		}
		if err := tx.GetContext(ctx, &row, tx.Rebind(selectContactContext), in.ContactID); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return "", fault.Field("contactId", "no such contact")
			}
			return "", fmt.Errorf("read rated contact: %w", store.MapError(err))
		}
		in.Channel, in.LGSL, in.Agent, in.Tier = row.Channel, row.LGSL, row.Agent, row.Tier
		if row.Centre != "" {
			in.Centre = row.Centre
		}
		if row.CustomerID != nil {
			in.CustomerID = *row.CustomerID
		}
		if row.CaseID != nil {
			in.CaseID = *row.CaseID
		}
		return row.Queue, nil
	}
	if in.CaseID != "" {
		var row struct {
			CustomerID string `db:"customer_id"`
			Tier       int    `db:"tier"`
			LGSL       int    `db:"service_lgsl"`
			Channel    string `db:"channel"`
			Assignee   string `db:"assignee"`
			Queue      string `db:"queue"`
		}
		if err := tx.GetContext(ctx, &row, tx.Rebind(selectCaseContext), in.CaseID); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return "", fault.Field("caseId", "no such case")
			}
			return "", fmt.Errorf("read rated case: %w", store.MapError(err))
		}
		in.CustomerID, in.Tier, in.LGSL, in.Channel, in.Agent = row.CustomerID, row.Tier, row.LGSL, row.Channel, row.Assignee
		return row.Queue, nil
	}
	switch in.Source {
	case WebPage:
		in.Channel = string(channel.WebSelfService)
	case Kiosk:
		in.Channel = string(channel.FaceToFace)
	}
	if in.Source == MyAccount {
		in.Channel = string(channel.WebSelfService)
	}
	return "", nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Actor is who records a rating.
type Actor = timeline.Actor
