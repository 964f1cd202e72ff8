package workforce

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

const dateLayout = "2006-01-02"

// CalendarEntry is a run of days a supervisor expects to change demand: a bank holiday
// (uplift −0.9), annual billing (+0.6), a letter run (+0.3). Days are local dates,
// To inclusive; an empty Channel is every channel.
type CalendarEntry struct {
	ID      string          `db:"id"`
	Name    string          `db:"name"`
	Channel channel.Channel `db:"channel"`
	From    string          `db:"starts_on"`
	To      string          `db:"ends_on"`
	Uplift  float64         `db:"uplift"`
	// UpliftSource says where Uplift came from: the supervisor, or learnt from the same
	// days last year (LearntFrom to LearntTo, 364 days before, so the weekdays match).
	UpliftSource UpliftSource `db:"uplift_source"`
	LearntFrom   string       `db:"learnt_from"`
	LearntTo     string       `db:"learnt_to"`
	CreatedBy    string       `db:"created_by"`
	CreatedAt    time.Time    `db:"created_at"`
	// Learn asks for the uplift to be learnt rather than taken from Uplift.
	Learn bool `db:"-"`
}

// UpliftSource is where an entry's uplift came from.
type UpliftSource string

const (
	FromSupervisor UpliftSource = "supervisor"
	FromLastYear   UpliftSource = "last_year"
)

func (e CalendarEntry) check() error {
	var fs fault.Fields
	if e.Name == "" {
		fs.Add("name", "is required")
	}
	if e.Channel != "" && !e.Channel.Known() {
		fs.Add("channel", "is not a channel")
	}
	from, errFrom := time.Parse(dateLayout, e.From)
	to, errTo := time.Parse(dateLayout, e.To)
	if errFrom != nil {
		fs.Add("from", "must be a date, YYYY-MM-DD")
	}
	if errTo != nil {
		fs.Add("to", "must be a date, YYYY-MM-DD")
	}
	if errFrom == nil && errTo == nil {
		switch {
		case to.Before(from):
			fs.Add("to", "must be on or after from")
		case to.Sub(from) > 92*24*time.Hour:
			fs.Add("to", "an entry covers at most 93 days")
		}
	}
	if !e.Learn && !(e.Uplift >= -1 && e.Uplift <= 10) {
		fs.Add("uplift", "must be from -1 (closed) to 10 (eleven times the usual)")
	}
	return fs.Err()
}

const (
	insertEntry = `INSERT INTO workforce_calendar (id, name, channel, starts_on, ends_on, uplift, uplift_source, learnt_from, learnt_to,
 created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	entryColumns  = `id, name, channel, starts_on, ends_on, uplift, uplift_source, learnt_from, learnt_to, created_by, created_at`
	selectEntries = `SELECT ` + entryColumns + ` FROM workforce_calendar WHERE ends_on >= ? AND starts_on <= ? ORDER BY starts_on, id`
	selectEntry   = `SELECT ` + entryColumns + ` FROM workforce_calendar WHERE id = ?`
	deleteEntry   = `DELETE FROM workforce_calendar WHERE id = ?`
)

// AddCalendarEntry records an entry, and its event, in one transaction.
func (s *Service) AddCalendarEntry(ctx context.Context, e CalendarEntry, actor event.Actor) (CalendarEntry, error) {
	if err := e.check(); err != nil {
		return CalendarEntry{}, err
	}
	e.UpliftSource, e.LearntFrom, e.LearntTo = FromSupervisor, "", ""
	if e.Learn {
		if err := s.learnUplift(ctx, &e); err != nil {
			return CalendarEntry{}, err
		}
	}
	e.ID, e.CreatedBy, e.CreatedAt = store.NewID(), actor.Subject, store.Now()
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertEntry), e.ID, e.Name, string(e.Channel), e.From, e.To, e.Uplift,
			string(e.UpliftSource), e.LearntFrom, e.LearntTo, e.CreatedBy, e.CreatedAt); err != nil {
			return fmt.Errorf("insert calendar entry: %w", store.MapError(err))
		}
		_, err := event.Record(ctx, tx, event.Change{Key: e.ID, Actor: actor, At: e.CreatedAt, Payload: entryEvent(e, false)})
		return err
	})
	if err != nil {
		return CalendarEntry{}, err
	}
	return e, nil
}

// CalendarEntries lists the entries touching the local days [from, to] (YYYY-MM-DD).
func (s *Service) CalendarEntries(ctx context.Context, from, to string) ([]CalendarEntry, error) {
	out := []CalendarEntry{}
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(selectEntries), from, to); err != nil {
		return nil, fmt.Errorf("calendar entries: %w", store.MapError(err))
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// RemoveCalendarEntry deletes an entry, and records that, in one transaction.
func (s *Service) RemoveCalendarEntry(ctx context.Context, id string, actor event.Actor) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var e CalendarEntry
		if err := tx.GetContext(ctx, &e, tx.Rebind(selectEntry), id); err != nil {
			if err = store.MapError(err); errors.Is(err, store.ErrNotFound) {
				return fault.New(fault.NotFound, "no such calendar entry")
			}
			return fmt.Errorf("calendar entry: %w", err)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(deleteEntry), id)
		if err != nil {
			return fmt.Errorf("delete calendar entry: %w", store.MapError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete calendar entry: %w", err)
		} else if n != 1 {
			return fault.New(fault.NotFound, "no such calendar entry")
		}
		_, err = event.Record(ctx, tx, event.Change{Key: id, Actor: actor, Payload: entryEvent(e, true)})
		return err
	})
}

func entryEvent(e CalendarEntry, removed bool) event.Payload {
	d := event.CalendarEntryData{EntryID: e.ID, Name: e.Name, Channel: string(e.Channel), From: e.From, To: e.To, Uplift: e.Uplift}
	if removed {
		return event.CalendarEntryRemovedData(d)
	}
	return d
}
