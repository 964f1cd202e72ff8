package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// AllTypes in a subscription's event types asks for every event.
const AllTypes = "*"

// DefaultOverlap is how long a rotated-out secret keeps signing.
const DefaultOverlap = 24 * time.Hour

// maxOverlap bounds a rotation's overlap.
const maxOverlap = 7 * 24 * time.Hour

// Owner is who manages subscriptions: an admin manages any, an integration its own.
type Owner struct {
	Subject string
	Admin   bool
}

// Filter narrows a subscription to one service (LGSL) and/or one queue.
type Filter struct {
	Service *int
	Queue   *string
}

// Subscription is one receiver's wish to hear events. The secret is never read back.
type Subscription struct {
	ID             string
	OwnerSubject   string
	URL            string
	EventTypes     []string
	Filter         Filter
	Description    string
	Enabled        bool
	DisabledReason string
	FailingSince   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int
}

// Input is what a subscription is created from.
type Input struct {
	URL         string
	EventTypes  []string
	Filter      Filter
	Description string
	Enabled     *bool
}

// Patch changes a subscription: nil members are unchanged. SetFilter replaces the
// filter with Filter (nil members clear).
type Patch struct {
	URL         *string
	EventTypes  *[]string
	SetFilter   bool
	Filter      Filter
	Description *string
	Enabled     *bool
}

// Queues says which queues exist (those of the active routing rules).
type Queues interface {
	QueueTier(name string) (int, bool)
}

// Subscriptions owns the webhook subscriptions.
type Subscriptions struct {
	db           *store.DB
	catalogue    *catalogue.Catalogue
	queues       Queues
	allowPrivate bool
}

// NewSubscriptions manages subscriptions in db; allowPrivate lets destinations be on
// private networks and plain http (tests, closed networks).
func NewSubscriptions(db *store.DB, cat *catalogue.Catalogue, queues Queues, allowPrivate bool) *Subscriptions {
	return &Subscriptions{db: db, catalogue: cat, queues: queues, allowPrivate: allowPrivate}
}

type subRow struct {
	ID                  string         `db:"id"`
	OwnerSubject        string         `db:"owner_subject"`
	URL                 string         `db:"url"`
	EventTypes          string         `db:"event_types"`
	FilterService       *int           `db:"filter_service"`
	FilterQueue         *string        `db:"filter_queue"`
	Description         string         `db:"description"`
	Enabled             bool           `db:"enabled"`
	Secret              string         `db:"secret"`
	PreviousSecret      *string        `db:"previous_secret"`
	PreviousSecretUntil store.NullTime `db:"previous_secret_until"`
	DisabledReason      string         `db:"disabled_reason"`
	FailingSince        store.NullTime `db:"failing_since"`
	CreatedAt           time.Time      `db:"created_at"`
	UpdatedAt           time.Time      `db:"updated_at"`
	Version             int            `db:"version"`
}

func (r subRow) toSubscription() (Subscription, error) {
	var types []string
	if err := json.Unmarshal([]byte(r.EventTypes), &types); err != nil {
		return Subscription{}, fmt.Errorf("read subscription %s event types: %w", r.ID, err)
	}
	s := Subscription{ID: r.ID, OwnerSubject: r.OwnerSubject, URL: r.URL, EventTypes: types,
		Filter: Filter{Service: r.FilterService, Queue: r.FilterQueue}, Description: r.Description,
		Enabled: r.Enabled, DisabledReason: r.DisabledReason, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Version: r.Version}
	if r.FailingSince.Valid {
		t := r.FailingSince.Time
		s.FailingSince = &t
	}
	return s, nil
}

// secrets are the secrets that sign at now: the current one, and the previous one
// during a rotation's overlap.
func (r subRow) secrets(now time.Time) []Secret {
	out := []Secret{Secret(r.Secret)}
	if r.PreviousSecret != nil && r.PreviousSecretUntil.Valid && now.Before(r.PreviousSecretUntil.Time) {
		out = append(out, Secret(*r.PreviousSecret))
	}
	return out
}

const (
	subColumns = `id, owner_subject, url, event_types, filter_service, filter_queue, description, enabled, secret,
 previous_secret, previous_secret_until, disabled_reason, failing_since, created_at, updated_at, version`
	insertSub = `INSERT INTO webhook_subscriptions (` + subColumns + `)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	selectSub      = `SELECT ` + subColumns + ` FROM webhook_subscriptions WHERE id = ?`
	selectSubsAll  = `SELECT ` + subColumns + ` FROM webhook_subscriptions WHERE id > ? ORDER BY id LIMIT ?`
	selectSubsMine = `SELECT ` + subColumns + ` FROM webhook_subscriptions WHERE owner_subject = ? AND id > ? ORDER BY id LIMIT ?`
	updateSub      = `UPDATE webhook_subscriptions SET url = ?, event_types = ?, filter_service = ?, filter_queue = ?,
 description = ?, enabled = ?, disabled_reason = ?, failing_since = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`
	rotateSub = `UPDATE webhook_subscriptions SET secret = ?, previous_secret = ?, previous_secret_until = ?,
 updated_at = ?, version = ? WHERE id = ? AND version = ?`
	deleteSub = `DELETE FROM webhook_subscriptions WHERE id = ?`
)

// Create adds a subscription owned by who and returns it with its secret, which is
// shown this once.
func (s *Subscriptions) Create(ctx context.Context, who Owner, in Input) (Subscription, Secret, error) {
	if err := s.check(ctx, in.URL, in.EventTypes, in.Filter, "").Err(); err != nil {
		return Subscription{}, "", err
	}
	secret, err := NewSecret()
	if err != nil {
		return Subscription{}, "", err
	}
	now := store.Now()
	sub := Subscription{ID: store.NewID(), OwnerSubject: who.Subject, URL: in.URL, EventTypes: normaliseTypes(in.EventTypes),
		Filter: in.Filter, Description: strings.TrimSpace(in.Description), Enabled: in.Enabled == nil || *in.Enabled,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	types, err := json.Marshal(sub.EventTypes)
	if err != nil {
		return Subscription{}, "", err
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(insertSub), sub.ID, sub.OwnerSubject, sub.URL, string(types),
		sub.Filter.Service, sub.Filter.Queue, sub.Description, sub.Enabled, string(secret), nil, nil, "", nil,
		sub.CreatedAt, sub.UpdatedAt, sub.Version); err != nil {
		return Subscription{}, "", fmt.Errorf("insert webhook subscription: %w", store.MapError(err))
	}
	return sub, secret, nil
}

// Get reads a subscription who may see; another owner's answers NotFound.
func (s *Subscriptions) Get(ctx context.Context, who Owner, id string) (Subscription, error) {
	r, err := s.load(ctx, s.db, who, id, "")
	if err != nil {
		return Subscription{}, err
	}
	return r.toSubscription()
}

// List pages through the subscriptions who may see, in id order.
func (s *Subscriptions) List(ctx context.Context, who Owner, after string, limit int) ([]Subscription, string, error) {
	last, err := afterID(after)
	if err != nil {
		return nil, "", err
	}
	var rows []subRow
	if who.Admin {
		err = s.db.SelectContext(ctx, &rows, s.db.Rebind(selectSubsAll), last, limit+1)
	} else {
		err = s.db.SelectContext(ctx, &rows, s.db.Rebind(selectSubsMine), who.Subject, last, limit+1)
	}
	if err != nil {
		return nil, "", fmt.Errorf("list webhook subscriptions: %w", store.MapError(err))
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = cursor.Encode(rows[limit-1].ID)
	}
	out := make([]Subscription, 0, len(rows))
	for _, r := range rows {
		sub, err := r.toSubscription()
		if err != nil {
			return nil, "", err
		}
		out = append(out, sub)
	}
	return out, next, nil
}

// Update applies p when the subscription is at version expected (0: any). Enabling a
// subscription clears why it was disabled and its failing streak.
func (s *Subscriptions) Update(ctx context.Context, who Owner, id string, expected int, p Patch) (Subscription, error) {
	var out Subscription
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.load(ctx, tx, who, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		sub, err := r.toSubscription()
		if err != nil {
			return err
		}
		if expected != 0 && expected != sub.Version {
			return fault.New(fault.PreconditionFailed, "the subscription is at version %d, not %d", sub.Version, expected)
		}
		if p.URL != nil {
			sub.URL = *p.URL
		}
		if p.EventTypes != nil {
			sub.EventTypes = *p.EventTypes
		}
		if p.SetFilter {
			sub.Filter = p.Filter
		}
		if p.Description != nil {
			sub.Description = strings.TrimSpace(*p.Description)
		}
		if p.Enabled != nil {
			if *p.Enabled && !sub.Enabled {
				sub.DisabledReason, sub.FailingSince = "", nil
			}
			sub.Enabled = *p.Enabled
		}
		if err := s.check(ctx, sub.URL, sub.EventTypes, sub.Filter, "").Err(); err != nil {
			return err
		}
		sub.EventTypes = normaliseTypes(sub.EventTypes)
		types, err := json.Marshal(sub.EventTypes)
		if err != nil {
			return err
		}
		sub.UpdatedAt, sub.Version = store.Now(), sub.Version+1
		var failing any
		if sub.FailingSince != nil {
			failing = *sub.FailingSince
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(updateSub), sub.URL, string(types), sub.Filter.Service, sub.Filter.Queue,
			sub.Description, sub.Enabled, sub.DisabledReason, failing, sub.UpdatedAt, sub.Version, sub.ID, sub.Version-1)
		if err := oneRow(res, err, "update webhook subscription"); err != nil {
			return err
		}
		out = sub
		return nil
	})
	return out, err
}

// Delete removes a subscription with its delivery log and anything still pending.
func (s *Subscriptions) Delete(ctx context.Context, who Owner, id string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.load(ctx, tx, who, id, s.db.ForUpdate()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(deleteSub), id); err != nil {
			return fmt.Errorf("delete webhook subscription: %w", store.MapError(err))
		}
		return nil
	})
}

// RotateSecret gives the subscription a new secret, shown this once; the old one keeps
// signing for overlap (DefaultOverlap unless the caller says; 0 stops it at once) so the
// receiver can switch without a gap.
func (s *Subscriptions) RotateSecret(ctx context.Context, who Owner, id string, overlap time.Duration) (Subscription, Secret, error) {
	if overlap < 0 || overlap > maxOverlap {
		return Subscription{}, "", fault.Field("overlapSeconds", "must be between 0 and 604800 (7 days)")
	}
	secret, err := NewSecret()
	if err != nil {
		return Subscription{}, "", err
	}
	var out Subscription
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.load(ctx, tx, who, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if out, err = r.toSubscription(); err != nil {
			return err
		}
		out.UpdatedAt, out.Version = store.Now(), out.Version+1
		res, err := tx.ExecContext(ctx, tx.Rebind(rotateSub), string(secret), r.Secret, out.UpdatedAt.Add(overlap),
			out.UpdatedAt, out.Version, out.ID, r.Version)
		return oneRow(res, err, "rotate webhook secret")
	})
	if err != nil {
		return Subscription{}, "", err
	}
	return out, secret, nil
}

type getter interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	Rebind(query string) string
}

// load reads a subscription who may see (suffix: a lock); another's is NotFound.
func (s *Subscriptions) load(ctx context.Context, q getter, who Owner, id, suffix string) (subRow, error) {
	var r subRow
	if err := q.GetContext(ctx, &r, q.Rebind(selectSub+suffix), id); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return subRow{}, fault.New(fault.NotFound, "no webhook subscription %s", id)
		}
		return subRow{}, fmt.Errorf("read webhook subscription: %w", store.MapError(err))
	}
	if !who.Admin && r.OwnerSubject != who.Subject {
		return subRow{}, fault.New(fault.NotFound, "no webhook subscription %s", id)
	}
	return r, nil
}

func oneRow(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, store.MapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n != 1 {
		return fault.New(fault.PreconditionFailed, "the subscription changed meanwhile")
	}
	return nil
}

// check collects what is wrong with a subscription's destination, types and filter.
func (s *Subscriptions) check(ctx context.Context, rawURL string, types []string, f Filter, prefix string) fault.Fields {
	var errs fault.Fields
	if _, err := CheckDestination(ctx, rawURL, s.allowPrivate); err != nil {
		errs.Add(prefix+"url", strings.TrimPrefix(err.Error(), ErrDestination.Error()+": "))
	} else if len(rawURL) > 2048 {
		errs.Add(prefix+"url", "must be at most 2048 characters")
	}
	if len(types) == 0 {
		errs.Add(prefix+"eventTypes", `name at least one event type, or "*" for all`)
	}
	for i, t := range types {
		if t != AllTypes && !event.Known(t) {
			errs.Add(fmt.Sprintf("%seventTypes[%d]", prefix, i), fmt.Sprintf("%q is not an event type (see /v1/event-types)", t))
		}
	}
	if f.Service != nil {
		if _, ok := s.catalogue.Service(*f.Service); !ok {
			errs.Add(prefix+"filter.service", fmt.Sprintf("LGSL %d is not a service of the catalogue", *f.Service))
		}
	}
	if f.Queue != nil {
		if _, ok := s.queues.QueueTier(*f.Queue); !ok {
			errs.Add(prefix+"filter.queue", fmt.Sprintf("%q is not a queue of the active routing rules", *f.Queue))
		}
	}
	return errs
}

// normaliseTypes sorts and de-duplicates types; "*" alone stands for all.
func normaliseTypes(types []string) []string {
	if slices.Contains(types, AllTypes) {
		return []string{AllTypes}
	}
	out := slices.Clone(types)
	slices.Sort(out)
	return slices.Compact(out)
}

// Host is the host of a destination, for logs (never the path or query, which may
// carry a receiver's token).
func Host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// firstID sorts before every id, on both engines.
const firstID = "00000000-0000-0000-0000-000000000000"

// afterID is the id a list cursor holds (firstID for none).
func afterID(after string) (string, error) {
	if after == "" {
		return firstID, nil
	}
	keys, err := cursor.Decode(after, 1)
	if err == nil {
		_, err = uuid.Parse(keys[0])
	}
	if err != nil {
		return "", fault.Field("cursor", "not a cursor this list gave")
	}
	return keys[0], nil
}
