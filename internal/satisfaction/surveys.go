package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/sms"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Survey statuses.
const (
	Scheduled = "scheduled"
	Sending   = "sending"
	Sent      = "sent"
	Failed    = "failed"
	Expired   = "expired"
	Answered  = "answered"
	Unknown   = "unknown" // a send whose outcome was lost with its process; never retried
)

// The names of the events of surveys (their types live in package event).
var (
	EventSurveyScheduled = event.SurveyScheduled.Name
	EventSurveySkipped   = event.SurveySkipped.Name
	EventSurveySent      = event.SurveySent.Name
)

// Policy is when the council surveys.
type Policy struct {
	QuietFrom, QuietTo int           // minutes after midnight: no sends from QuietFrom to QuietTo
	Delay              time.Duration // after the contact ends
	Expiry             time.Duration // after which an unsent survey is dropped
	Interval           time.Duration // at most one survey per customer in this time
	RetryBase          time.Duration // first back-off after a temporary failure, doubling
	Location           *time.Location
}

// Surveys schedules, sends and reads SMS surveys.
type Surveys struct {
	db        *store.DB
	provider  sms.Provider // nil: surveys are not sent
	policy    Policy
	ratings   *Ratings
	catalogue *catalogue.Catalogue
	consents  Consents
	log       *slog.Logger
}

// NewSurveys returns the survey service; a STOP reply withdraws consent in consents.
func NewSurveys(db *store.DB, provider sms.Provider, policy Policy, ratings *Ratings, cat *catalogue.Catalogue, consents Consents, log *slog.Logger) *Surveys {
	return &Surveys{db: db, provider: provider, policy: policy, ratings: ratings, catalogue: cat, consents: consents, log: log}
}

// Candidate is an ended contact that might be surveyed.
type Candidate struct {
	ContactID  string
	CustomerID string
	CaseID     string
	Queue      string // the case's queue, by which subscribers filter the decision
	Channel    string
	EndedAt    time.Time
	Consent    bool
	Phones     []string // the customer's phones, E.164
	LGSL       int
}

// Decision says whether a contact is surveyed and, if not, why.
type Decision struct {
	Scheduled bool
	Reason    string
	SendAfter time.Time
}

const recentSurvey = `SELECT COUNT(*) FROM surveys WHERE customer_id = ? AND created_at > ?`

// ScheduleTx decides, inside the contact's transaction, whether to survey it, and
// schedules the send (deferred past quiet hours, never dropped for them).
func (s *Surveys) ScheduleTx(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, c Candidate) (Decision, error) {
	d := s.eligible(ctx, tx, c)
	if d.Reason == "" {
		d = s.schedule(ctx, tx, c)
	}
	if d.Reason == "error" {
		return d, errors.New("schedule survey")
	}
	var what event.Payload = event.SurveySkippedData{ContactID: c.ContactID, Reason: d.Reason}
	if d.Scheduled {
		what = event.SurveyScheduledData{ContactID: c.ContactID, SendAfter: d.SendAfter}
	}
	_, err := event.Record(ctx, tx, event.Change{CustomerID: c.CustomerID, CaseID: c.CaseID, Actor: actor,
		Service: c.LGSL, Queue: c.Queue, Payload: what})
	return d, err
}

// eligible applies the council's rules; a Reason says why not.
func (s *Surveys) eligible(ctx context.Context, tx *sqlx.Tx, c Candidate) Decision {
	mobile := ""
	for _, p := range c.Phones {
		if identifier.IsUKMobile(p) {
			mobile = p
			break
		}
	}
	switch {
	case s.provider == nil:
		return Decision{Reason: "no SMS provider is configured"}
	case !channel.Channel(c.Channel).Props().SMSSurveyed:
		return Decision{Reason: "contacts on this channel are not surveyed by SMS"}
	case c.CustomerID == "":
		return Decision{Reason: "the contact has no customer"}
	case !c.Consent:
		return Decision{Reason: "no consent to SMS surveys"}
	case mobile == "":
		return Decision{Reason: "no UK mobile number"}
	}
	var recent int
	if err := tx.GetContext(ctx, &recent, tx.Rebind(recentSurvey), c.CustomerID, c.EndedAt.Add(-s.policy.Interval)); err != nil {
		s.log.Warn("read recent surveys", slog.String("error", err.Error()))
		return Decision{Reason: "error"}
	}
	if recent > 0 {
		return Decision{Reason: "surveyed recently"}
	}
	return Decision{SendAfter: s.sendTime(c.EndedAt.Add(s.policy.Delay)), Reason: "", Scheduled: false}
}

const insertSurvey = `INSERT INTO surveys (id, contact_id, customer_id, phone, service_lgsl, provider, status,
 send_after, expires_at, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, ?)`

func (s *Surveys) schedule(ctx context.Context, tx *sqlx.Tx, c Candidate) Decision {
	mobile := ""
	for _, p := range c.Phones {
		if identifier.IsUKMobile(p) {
			mobile = p
			break
		}
	}
	send := s.sendTime(c.EndedAt.Add(s.policy.Delay))
	now := store.Now()
	_, err := tx.ExecContext(ctx, tx.Rebind(insertSurvey), store.NewID(), c.ContactID, c.CustomerID, mobile, c.LGSL,
		s.provider.Name(), send, send.Add(s.policy.Expiry), send, now, now)
	if errors.Is(store.MapError(err), store.ErrConflict) {
		return Decision{Reason: "the contact is already surveyed"}
	} else if err != nil {
		s.log.Warn("schedule survey", slog.String("error", err.Error()))
		return Decision{Reason: "error"}
	}
	return Decision{Scheduled: true, SendAfter: send}
}

// sendTime moves t out of quiet hours to the next allowed moment.
func (s *Surveys) sendTime(t time.Time) time.Time {
	local := t.In(s.policy.Location)
	m := local.Hour()*60 + local.Minute()
	from, to := s.policy.QuietFrom, s.policy.QuietTo
	quiet := (from > to && (m >= from || m < to)) || (from < to && m >= from && m < to)
	if !quiet {
		return t.UTC().Truncate(time.Microsecond)
	}
	day := local
	if from > to && m >= from {
		day = local.AddDate(0, 0, 1)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), to/60, to%60, 0, 0, s.policy.Location).UTC()
}

type surveyRow struct {
	ID         string     `db:"id"`
	ContactID  string     `db:"contact_id"`
	CustomerID string     `db:"customer_id"`
	Phone      string     `db:"phone"`
	LGSL       int        `db:"service_lgsl"`
	Attempts   int        `db:"attempts"`
	ExpiresAt  time.Time  `db:"expires_at"`
	ProviderID string     `db:"provider_id"`
	SentAt     *time.Time `db:"sent_at"`
}

const (
	selectDue = `SELECT id, contact_id, customer_id, phone, service_lgsl, attempts, expires_at, provider_id, sent_at
 FROM surveys WHERE status = 'scheduled' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 20`
	markSending = `UPDATE surveys SET status = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'scheduled'`
	markSent    = `UPDATE surveys SET status = 'sent', provider_id = ?, sent_at = ?, updated_at = ? WHERE id = ?`
	markRetry   = `UPDATE surveys SET status = 'scheduled', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?`
	markFailed  = `UPDATE surveys SET status = ?, last_error = ?, updated_at = ? WHERE id = ?`
	markLost    = `UPDATE surveys SET status = 'unknown', updated_at = ? WHERE status = 'sending' AND updated_at < ?`
)

// maxAttempts bounds retries of one survey.
const maxAttempts = 6

// SendDue sends the surveys that are due, and reports how many it tried. Each is
// marked "sending" in its own committed transaction before the provider is called, so
// no survey is sent twice even if this process dies mid-send (such a survey is later
// marked "unknown", never retried). Provider 429s, 5xx and timeouts are retried with
// exponential back-off until the survey expires.
func (s *Surveys) SendDue(ctx context.Context) (int, error) {
	if s.provider == nil {
		return 0, nil
	}
	now := store.Now()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(markLost), now, now.Add(-5*time.Minute)); err != nil {
		return 0, fmt.Errorf("mark lost sends: %w", store.MapError(err))
	}
	var due []surveyRow
	if err := s.db.SelectContext(ctx, &due, s.db.Rebind(selectDue), now); err != nil {
		return 0, fmt.Errorf("read due surveys: %w", store.MapError(err))
	}
	tried := 0
	for _, sv := range due {
		if now.After(sv.ExpiresAt) {
			if _, err := s.db.ExecContext(ctx, s.db.Rebind(markFailed), Expired, "expired before it could be sent", now, sv.ID); err != nil {
				return tried, fmt.Errorf("expire survey: %w", store.MapError(err))
			}
			continue
		}
		res, err := s.db.ExecContext(ctx, s.db.Rebind(markSending), now, sv.ID)
		if err != nil {
			return tried, fmt.Errorf("lease survey: %w", store.MapError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return tried, fmt.Errorf("lease survey: %w", err)
		} else if n != 1 {
			continue // another replica took it
		}
		tried++
		s.sendOne(ctx, sv)
	}
	return tried, nil
}

func (s *Surveys) sendOne(ctx context.Context, sv surveyRow) {
	svc, _ := s.catalogue.Service(sv.LGSL)
	topic := strings.ToLower(svc.Name)
	if topic == "" {
		topic = "your enquiry"
	}
	msg := sms.Message{To: sv.Phone, Reference: sv.ID, Personalisation: map[string]string{"service": topic},
		Body: fmt.Sprintf("How satisfied were you with the council's help with %s today? Reply with a number from %d (very dissatisfied) to %d (very satisfied). Reply STOP to opt out.",
			topic, s.ratings.scale.Min, s.ratings.scale.Max)}
	sent, err := s.provider.Send(ctx, msg)
	now := store.Now()
	switch {
	case err == nil:
		err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, tx.Rebind(markSent), sent.ProviderID, now, now, sv.ID); err != nil {
				return store.MapError(err)
			}
			_, err := event.Record(ctx, tx, event.Change{CustomerID: sv.CustomerID, Actor: event.System, At: now,
				Service: sv.LGSL, Payload: event.SurveySentData{SurveyID: sv.ID, ContactID: sv.ContactID, Provider: s.provider.Name()}})
			return err
		})
	case errors.Is(err, sms.ErrRetryable) && sv.Attempts+1 < maxAttempts:
		backoff := time.Duration(1<<sv.Attempts) * s.policy.RetryBase
		_, err = s.db.ExecContext(ctx, s.db.Rebind(markRetry), now.Add(backoff), truncate(err.Error()), now, sv.ID)
	default:
		_, err = s.db.ExecContext(ctx, s.db.Rebind(markFailed), Failed, truncate(err.Error()), now, sv.ID)
	}
	if err != nil {
		s.log.Warn("record survey send", slog.String("survey", sv.ID), slog.String("error", err.Error()))
	}
}

func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// Run sends due surveys until ctx ends.
func (s *Surveys) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("send surveys", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
