package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Merge is the record of one merge: who, when, why, and whether it was undone.
type Merge struct {
	ID, SurvivorID, DuplicateID, Reason, MergedBy string
	MergedAt                                      time.Time
	UndoneBy, UndoReason                          string
	UndoneAt                                      time.Time
}

// snapshot is what undo needs to restore both records exactly: both as they were, and
// which survivor fields the merge filled from the duplicate.
type snapshot struct {
	Survivor  Customer            `json:"survivor"`
	Duplicate Customer            `json:"duplicate"`
	Filled    []string            `json:"filled"`
	Moved     map[string][]string `json:"moved,omitempty"` // ids of dependents, by kind
}

// Dependent is a kind of record that belongs to a customer (contacts, cases) and so
// follows it into the survivor on a merge, and back on undo.
type Dependent interface {
	MoveToSurvivor(ctx context.Context, tx *sqlx.Tx, from, to string) ([]string, error)
	ReturnTo(ctx context.Context, tx *sqlx.Tx, ids []string, to string) error
}

// Follow makes records of kind name move with their customer in merges.
func (s *Service) Follow(name string, d Dependent) {
	if s.dependents == nil {
		s.dependents = map[string]Dependent{}
	}
	s.dependents[name] = d
}

// mergeable are the survivor fields a merge fills from the duplicate when the survivor
// lacks them. Consents are not among them: consent is given by a person, not copied.
var mergeable = []struct {
	name  string
	empty func(Customer) bool
	same  func(a, b Customer) bool
	copy  func(dst *Customer, src Customer)
}{
	{"givenName", func(c Customer) bool { return c.GivenName == "" },
		func(a, b Customer) bool { return a.GivenName == b.GivenName }, func(d *Customer, s Customer) { d.GivenName = s.GivenName }},
	{"familyName", func(c Customer) bool { return c.FamilyName == "" },
		func(a, b Customer) bool { return a.FamilyName == b.FamilyName }, func(d *Customer, s Customer) { d.FamilyName = s.FamilyName }},
	{"dateOfBirth", func(c Customer) bool { return c.DateOfBirth == "" },
		func(a, b Customer) bool { return a.DateOfBirth == b.DateOfBirth }, func(d *Customer, s Customer) { d.DateOfBirth = s.DateOfBirth }},
	{"address", func(c Customer) bool { return c.Address.IsZero() },
		func(a, b Customer) bool { return a.Address == b.Address }, func(d *Customer, s Customer) { d.Address = s.Address }},
	{"needs.vulnerable", func(c Customer) bool { return !c.Needs.Vulnerable },
		func(a, b Customer) bool { return a.Needs.Vulnerable == b.Needs.Vulnerable }, func(d *Customer, s Customer) { d.Needs.Vulnerable = s.Needs.Vulnerable }},
	{"needs.assistedDigital", func(c Customer) bool { return !c.Needs.AssistedDigital },
		func(a, b Customer) bool { return a.Needs.AssistedDigital == b.Needs.AssistedDigital },
		func(d *Customer, s Customer) { d.Needs.AssistedDigital = s.Needs.AssistedDigital }},
	{"needs.preferredLanguage", func(c Customer) bool { return c.Needs.PreferredLanguage == "" },
		func(a, b Customer) bool { return a.Needs.PreferredLanguage == b.Needs.PreferredLanguage },
		func(d *Customer, s Customer) { d.Needs.PreferredLanguage = s.Needs.PreferredLanguage }},
	{"needs.accessibility", func(c Customer) bool { return len(c.Needs.Accessibility) == 0 },
		func(a, b Customer) bool { return slices.Equal(a.Needs.Accessibility, b.Needs.Accessibility) },
		func(d *Customer, s Customer) { d.Needs.Accessibility = slices.Clone(s.Needs.Accessibility) }},
}

const (
	moveIdentifiers = `UPDATE customer_identifiers SET customer_id = ? WHERE customer_id = ?`
	insertMerge     = `INSERT INTO customer_merges (id, survivor_id, duplicate_id, reason, merged_by, merged_at, snapshot)
 VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// Merge folds the duplicate into the survivor: the survivor gains the duplicate's
// identifiers and any fields it lacks; the duplicate stays as a tombstone pointing to
// the survivor. It returns the merge id and the survivor as it now is.
func (s *Service) Merge(ctx context.Context, actor Actor, survivorID, duplicateID, why string) (string, Customer, error) {
	if survivorID == duplicateID {
		return "", Customer{}, fault.Field("duplicateId", "must be a different customer from the survivor")
	}
	mergeID := store.NewID()
	var out Customer
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		survivor, duplicate, err := s.loadPair(ctx, tx, survivorID, duplicateID)
		if err != nil {
			return err
		}
		now := store.Now()
		next := survivor
		var filled []string
		for _, f := range mergeable {
			if f.empty(survivor) && !f.empty(duplicate) {
				f.copy(&next, duplicate)
				filled = append(filled, f.name)
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(moveIdentifiers), survivor.ID, duplicate.ID); err != nil {
			return fmt.Errorf("move identifiers: %w", store.MapError(err))
		}
		moved := map[string][]string{}
		for name, d := range s.dependents {
			ids, err := d.MoveToSurvivor(ctx, tx, duplicate.ID, survivor.ID)
			if err != nil {
				return err
			}
			moved[name] = orEmpty(ids)
		}
		snap, err := json.Marshal(snapshot{Survivor: survivor, Duplicate: duplicate, Filled: filled, Moved: moved})
		if err != nil {
			return fmt.Errorf("encode merge snapshot: %w", err)
		}
		next.Identifiers = append(slices.Clone(survivor.Identifiers), duplicate.Identifiers...)
		if out, err = bumpVersion(ctx, tx, next, now); err != nil {
			return err
		}
		tomb := duplicate
		tomb.MergedInto = survivor.ID
		if _, err := bumpVersion(ctx, tx, tomb, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertMerge), mergeID, survivor.ID, duplicate.ID, why, actor.Subject, now, string(snap)); err != nil {
			return fmt.Errorf("record merge: %w", store.MapError(err))
		}
		_, err = event.Record(ctx, tx,
			event.Change{CustomerID: survivor.ID, Actor: actor, At: now, Payload: event.CustomerMergedData{
				MergeID: mergeID, DuplicateID: duplicate.ID, Filled: orEmpty(filled), Moved: moved}},
			event.Change{CustomerID: duplicate.ID, Actor: actor, At: now, Payload: event.CustomerMergedIntoData{
				MergeID: mergeID, SurvivorID: survivor.ID}})
		return err
	})
	if err != nil {
		return "", Customer{}, err
	}
	return mergeID, out, nil
}

// lockPair locks both customers of a merge or undo in one statement, in id order.
// Locked one after the other in request order, A←B and B←A at once (or A←B, B←C,
// C←A) each held one record and waited for the other: a deadlock. In one order, the
// later merge waits, then finds the record merged and answers 409. SQLite needs no
// row locks: its immediate transactions already run one writer at a time.
func (s *Service) lockPair(ctx context.Context, tx *sqlx.Tx, a, b string) error {
	if s.db.Dialect != store.Postgres {
		return nil
	}
	var locked []string
	if err := sqlx.SelectContext(ctx, tx, &locked, tx.Rebind(lockCustomers), a, b); err != nil {
		return fmt.Errorf("lock customers: %w", store.MapError(err))
	}
	return nil
}

const lockCustomers = `SELECT id FROM customers WHERE id IN (?, ?) ORDER BY id FOR UPDATE`

// loadPair locks and reads both records of a merge; both must exist and be live.
func (s *Service) loadPair(ctx context.Context, tx *sqlx.Tx, survivorID, duplicateID string) (Customer, Customer, error) {
	if err := s.lockPair(ctx, tx, survivorID, duplicateID); err != nil {
		return Customer{}, Customer{}, err
	}
	survivor, err := load(ctx, tx, survivorID, s.db.ForUpdate())
	if err != nil {
		return Customer{}, Customer{}, err
	}
	duplicate, err := load(ctx, tx, duplicateID, s.db.ForUpdate())
	if fault.Is(err, fault.NotFound) {
		return Customer{}, Customer{}, fault.Field("duplicateId", "no such customer")
	} else if err != nil {
		return Customer{}, Customer{}, err
	}
	for _, c := range []Customer{survivor, duplicate} {
		if c.MergedInto != "" {
			return Customer{}, Customer{}, fault.New(fault.Conflict, "customer %s was already merged into %s", c.ID, c.MergedInto)
		}
	}
	return survivor, duplicate, nil
}

const (
	selectMerge = `SELECT id, survivor_id, duplicate_id, reason, merged_by, merged_at, snapshot,
 undone_by, undone_at, undo_reason FROM customer_merges WHERE id = ?`
	markUndone      = `UPDATE customer_merges SET undone_by = ?, undone_at = ?, undo_reason = ? WHERE id = ? AND undone_at IS NULL`
	moveIdentifier  = `UPDATE customer_identifiers SET customer_id = ? WHERE id = ? AND customer_id = ?`
	identifierOwner = `SELECT customer_id FROM customer_identifiers WHERE id = ?`
)

type mergeRow struct {
	ID          string     `db:"id"`
	SurvivorID  string     `db:"survivor_id"`
	DuplicateID string     `db:"duplicate_id"`
	Reason      string     `db:"reason"`
	MergedBy    string     `db:"merged_by"`
	MergedAt    time.Time  `db:"merged_at"`
	Snapshot    []byte     `db:"snapshot"`
	UndoneBy    *string    `db:"undone_by"`
	UndoneAt    *time.Time `db:"undone_at"`
	UndoReason  *string    `db:"undo_reason"`
}

func (r mergeRow) toMerge() Merge {
	m := Merge{ID: r.ID, SurvivorID: r.SurvivorID, DuplicateID: r.DuplicateID, Reason: r.Reason,
		MergedBy: r.MergedBy, MergedAt: r.MergedAt.UTC()}
	if r.UndoneAt != nil {
		m.UndoneAt = r.UndoneAt.UTC()
	}
	if r.UndoneBy != nil {
		m.UndoneBy = *r.UndoneBy
	}
	if r.UndoReason != nil {
		m.UndoReason = *r.UndoReason
	}
	return m
}

func loadMerge(ctx context.Context, q loader, id string) (mergeRow, error) {
	var row mergeRow
	if err := sqlx.GetContext(ctx, q, &row, q.Rebind(selectMerge), id); err != nil {
		if err = store.MapError(err); isNotFound(err) {
			return mergeRow{}, fault.New(fault.NotFound, "no merge %s", id)
		}
		return mergeRow{}, fmt.Errorf("read merge: %w", err)
	}
	return row, nil
}

// GetMerge reads the record of a merge.
func (s *Service) GetMerge(ctx context.Context, id string) (Merge, error) {
	row, err := loadMerge(ctx, s.db, id)
	return row.toMerge(), err
}

// lockMerge locks the two customers of a merge (in id order, as merges do) and then
// reads the merge afresh: an undo that waited for the locks sees what the one before
// it did, rather than the merge as it was before the wait.
func (s *Service) lockMerge(ctx context.Context, tx *sqlx.Tx, mergeID string) (mergeRow, error) {
	row, err := loadMerge(ctx, tx, mergeID)
	if err != nil {
		return mergeRow{}, err
	}
	if err := s.lockPair(ctx, tx, row.SurvivorID, row.DuplicateID); err != nil {
		return mergeRow{}, err
	}
	return loadMerge(ctx, tx, mergeID)
}

// UndoMerge restores both records of a merge: the duplicate gets back its fields and
// identifiers; the survivor gives back fields the merge filled, unless changed since.
func (s *Service) UndoMerge(ctx context.Context, actor Actor, mergeID, why string) (survivor, duplicate Customer, err error) {
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		row, err := s.lockMerge(ctx, tx, mergeID)
		if err != nil {
			return err
		}
		if row.UndoneAt != nil {
			return fault.New(fault.Conflict, "merge %s was already undone", mergeID)
		}
		var snap snapshot
		if err := json.Unmarshal(row.Snapshot, &snap); err != nil {
			return fmt.Errorf("decode merge snapshot: %w", err)
		}
		if snap.Duplicate.ID == "" {
			// An erasure blanked the snapshot: undoing would bring back empty records
			// and leave the moved contacts and cases with the survivor.
			return fault.New(fault.Conflict, "merge %s cannot be undone: the person was erased since, and the erasure kept no copy to restore", mergeID)
		}
		sur, err := load(ctx, tx, row.SurvivorID, s.db.ForUpdate())
		if err != nil {
			return err
		}
		dup, err := load(ctx, tx, row.DuplicateID, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if sur.MergedInto != "" {
			return fault.New(fault.Conflict, "the survivor was merged into %s since; undo that merge first", sur.MergedInto)
		}
		now := store.Now()
		if err := s.returnIdentifiers(ctx, tx, snap.Duplicate, sur.ID); err != nil {
			return err
		}
		for name, ids := range snap.Moved {
			if d, ok := s.dependents[name]; ok {
				if err := d.ReturnTo(ctx, tx, ids, dup.ID); err != nil {
					return err
				}
			}
		}
		if survivor, err = bumpVersion(ctx, tx, restoreSurvivor(sur, snap), now); err != nil {
			return err
		}
		restored := snap.Duplicate
		restored.Version = dup.Version
		restored.CreatedAt = dup.CreatedAt
		if duplicate, err = bumpVersion(ctx, tx, restored, now); err != nil {
			return err
		}
		if survivor, err = load(ctx, tx, sur.ID, ""); err != nil {
			return err
		}
		if duplicate, err = load(ctx, tx, dup.ID, ""); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(markUndone), actor.Subject, now, why, mergeID)
		if err != nil {
			return fmt.Errorf("mark merge undone: %w", store.MapError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("mark merge undone: %w", err)
		} else if n != 1 {
			return fault.New(fault.Conflict, "merge %s was already undone", mergeID)
		}
		undone := event.CustomerUnmergedData{MergeID: mergeID, SurvivorID: sur.ID, DuplicateID: dup.ID}
		_, err = event.Record(ctx, tx,
			event.Change{CustomerID: sur.ID, Actor: actor, At: now, Payload: undone},
			event.Change{CustomerID: dup.ID, Actor: actor, At: now, Payload: undone})
		return err
	})
	return survivor, duplicate, err
}

// returnIdentifiers moves the duplicate's identifiers back from the survivor, and
// re-creates any removed since, unless another customer now holds it.
func (s *Service) returnIdentifiers(ctx context.Context, tx *sqlx.Tx, dup Customer, survivorID string) error {
	for _, id := range dup.Identifiers {
		var owner string
		err := sqlx.GetContext(ctx, tx, &owner, tx.Rebind(identifierOwner), id.ID)
		switch err = store.MapError(err); {
		case err == nil && owner == survivorID:
			if _, err := tx.ExecContext(ctx, tx.Rebind(moveIdentifier), dup.ID, id.ID, survivorID); err != nil {
				return fmt.Errorf("return identifier: %w", store.MapError(err))
			}
		case err == nil:
			return fault.New(fault.Conflict, "an identifier of the duplicate now belongs to customer %s", owner)
		case isNotFound(err):
			if err := s.checkFree(ctx, tx, dup.ID, []IdentifierInput{{id.Kind, id.Value}}); err != nil {
				return err
			}
			if err := insertIdentifierRow(ctx, tx, dup.ID, id); err != nil {
				return err
			}
		default:
			return fmt.Errorf("find identifier: %w", err)
		}
	}
	return nil
}

// restoreSurvivor puts back the survivor's own value of each field the merge filled,
// where the field still holds what the merge put there.
func restoreSurvivor(current Customer, snap snapshot) Customer {
	out := current
	for _, f := range mergeable {
		if slices.Contains(snap.Filled, f.name) && f.same(current, snap.Duplicate) {
			f.copy(&out, snap.Survivor)
		}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
