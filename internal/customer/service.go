package customer

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
	"github.com/council/contacthub/internal/timeline"
)

// NewCustomer is what creating a record takes.
type NewCustomer struct {
	GivenName, FamilyName, DateOfBirth string
	Address                            Address
	Needs                              Needs
	Consents                           Consents
	Identifiers                        []IdentifierInput
}

// Create records a new customer. An identifier another customer holds is an
// IdentifierTaken fault naming that customer; nothing is written then.
func (s *Service) Create(ctx context.Context, actor Actor, in NewCustomer) (Customer, error) {
	var c Customer
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		c, err = s.CreateTx(ctx, tx, actor, in, store.Now())
		return err
	})
	return c, err
}

// CreateTx records a new customer at now inside tx (the intake flow creates customers
// and their first contact in one transaction, at one time).
func (s *Service) CreateTx(ctx context.Context, tx *sqlx.Tx, actor Actor, in NewCustomer, now time.Time) (Customer, error) {
	var problems fault.Fields
	ids := s.normaliseIdentifiers("identifiers", in.Identifiers, &problems)
	checkDateOfBirth("dateOfBirth", in.DateOfBirth, &problems)
	c := Customer{
		ID:          store.NewID(),
		GivenName:   strings.TrimSpace(in.GivenName),
		FamilyName:  strings.TrimSpace(in.FamilyName),
		DateOfBirth: in.DateOfBirth,
		Address:     normaliseAddress("address", in.Address, &problems),
		Needs:       normaliseNeeds("needs", in.Needs, &problems),
		Consents:    in.Consents,
		Identifiers: []Identifier{},
		Version:     1,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if err := problems.Err(); err != nil {
		return Customer{}, err
	}
	err := func() error {
		if err := s.checkFree(ctx, tx, "", ids); err != nil {
			return err
		}
		if err := insertCustomerRow(ctx, tx, c); err != nil {
			return err
		}
		for _, in := range ids {
			id := Identifier{ID: store.NewID(), Kind: in.Kind, Value: in.Value, AddedAt: now}
			if err := insertIdentifierRow(ctx, tx, c.ID, id); err != nil {
				return err
			}
			c.Identifiers = append(c.Identifiers, id)
		}
		_, err := event.Record(ctx, tx, event.Change{CustomerID: c.ID, Actor: actor, At: now,
			Payload: event.CustomerCreatedData{IdentifierKinds: kindsOf(ids)}})
		return err
	}()
	if err != nil {
		return Customer{}, s.explainConflict(ctx, err, ids)
	}
	return c, nil
}

// checkFree fails with IdentifierTaken when a customer other than owner holds one of ids.
func (s *Service) checkFree(ctx context.Context, q loader, owner string, ids []IdentifierInput) error {
	for _, id := range ids {
		h, err := holder(ctx, q, id.Kind, id.Value)
		if err != nil {
			return err
		}
		if h != "" && h != owner {
			return &fault.Error{Kind: fault.IdentifierTaken, CustomerID: h,
				Detail: fmt.Sprintf("another customer already holds this %s", id.Kind)}
		}
	}
	return nil
}

// explainConflict turns a unique-constraint race (two writers adding the same identifier
// at once, after both checked it was free) into the same IdentifierTaken fault.
func (s *Service) explainConflict(ctx context.Context, err error, ids []IdentifierInput) error {
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	if ferr := s.checkFree(ctx, s.db, "", ids); ferr != nil {
		return ferr
	}
	return fault.New(fault.Conflict, "a concurrent change conflicted; try again")
}

// Get reads a customer, including a merged-away record (with MergedInto set).
func (s *Service) Get(ctx context.Context, id string) (Customer, error) {
	return get(ctx, s.db, id)
}

// GetTx reads a customer inside tx, so a caller deciding on the record (a survey on its
// consent) sees it as its own transaction does, on its own connection.
func (s *Service) GetTx(ctx context.Context, tx *sqlx.Tx, id string) (Customer, error) {
	return get(ctx, tx, id)
}

// Field is one member of a merge patch: Set when the caller sent it (null sends the zero value).
type Field[T any] struct {
	Set   bool
	Value T
}

// Patch is a merge patch of a customer: what is not Set is unchanged.
type Patch struct {
	GivenName, FamilyName, DateOfBirth Field[string]
	Address                            Field[Address]
	Needs                              *NeedsPatch
	Consents                           *ConsentsPatch
}

// NeedsPatch changes the needs that are not nil.
type NeedsPatch struct {
	Vulnerable, AssistedDigital *bool
	PreferredLanguage           *string
	Accessibility               *[]string
}

// ConsentsPatch changes the consents that are not nil.
type ConsentsPatch struct {
	SMSSurveys *bool
}

// AnyVersion is the expected version that matches whatever is stored (If-Match: *).
const AnyVersion = 0

// Update applies patch to the customer at version expected (or AnyVersion). A stale
// version is PreconditionFailed; a merged-away record is a Conflict.
func (s *Service) Update(ctx context.Context, actor Actor, id string, expected int, p Patch) (Customer, error) {
	var out Customer
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := load(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := checkWritable(c, expected); err != nil {
			return err
		}
		next, changed, err := applyPatch(c, p)
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			out = c
			return nil
		}
		next.Version = c.Version + 1
		next.UpdatedAt = store.Now()
		if ok, err := updateCustomerRow(ctx, tx, next); err != nil {
			return err
		} else if !ok {
			return fault.New(fault.PreconditionFailed, "the customer changed since version %d; read it again", c.Version)
		}
		out = next
		_, err = event.Record(ctx, tx, updateChanges(actor, c, next, changed)...)
		return err
	})
	return out, err
}

// updateChanges are the events of an update: the fields it changed and, when a consent
// is among them, the consent given or withdrawn (a change receivers act on by itself).
func updateChanges(actor Actor, before, after Customer, fields []string) []event.Change {
	changes := []event.Change{{CustomerID: after.ID, Actor: actor, At: after.UpdatedAt,
		Payload: event.CustomerUpdatedData{Fields: fields}}}
	if before.Consents.SMSSurveys != after.Consents.SMSSurveys {
		changes = append(changes, event.Change{CustomerID: after.ID, Actor: actor, At: after.UpdatedAt,
			Payload: event.CustomerConsentChangedData{Consent: event.ConsentSMSSurveys, Given: after.Consents.SMSSurveys, Via: viaOf(actor)}})
	}
	return changes
}

// checkWritable refuses changes to merged-away records and to stale versions.
func checkWritable(c Customer, expected int) error {
	if c.MergedInto != "" {
		return fault.New(fault.Conflict, "this customer was merged into %s; change that record instead", c.MergedInto)
	}
	if expected != AnyVersion && expected != c.Version {
		return fault.New(fault.PreconditionFailed, "the customer is at version %d, not %d; read it again", c.Version, expected)
	}
	return nil
}

// applyPatch returns c changed by p and the names of the fields that really changed.
func applyPatch(c Customer, p Patch) (Customer, []string, error) {
	var problems fault.Fields
	next := c
	var changed []string
	setString := func(name string, f Field[string], dst *string) {
		if v := strings.TrimSpace(f.Value); f.Set && v != *dst {
			*dst = v
			changed = append(changed, name)
		}
	}
	setString("givenName", p.GivenName, &next.GivenName)
	setString("familyName", p.FamilyName, &next.FamilyName)
	if p.DateOfBirth.Set {
		checkDateOfBirth("dateOfBirth", p.DateOfBirth.Value, &problems)
	}
	setString("dateOfBirth", p.DateOfBirth, &next.DateOfBirth)
	if p.Address.Set {
		if a := normaliseAddress("address", p.Address.Value, &problems); a != c.Address {
			next.Address = a
			changed = append(changed, "address")
		}
	}
	if p.Needs != nil {
		changed = append(changed, patchNeeds(&next.Needs, *p.Needs, &problems)...)
	}
	if p.Consents != nil && p.Consents.SMSSurveys != nil && *p.Consents.SMSSurveys != c.Consents.SMSSurveys {
		next.Consents.SMSSurveys = *p.Consents.SMSSurveys
		changed = append(changed, "consents.smsSurveys")
	}
	if err := problems.Err(); err != nil {
		return Customer{}, nil, err
	}
	return next, changed, nil
}

func patchNeeds(n *Needs, p NeedsPatch, problems *fault.Fields) []string {
	var changed []string
	if p.Vulnerable != nil && *p.Vulnerable != n.Vulnerable {
		n.Vulnerable = *p.Vulnerable
		changed = append(changed, "needs.vulnerable")
	}
	if p.AssistedDigital != nil && *p.AssistedDigital != n.AssistedDigital {
		n.AssistedDigital = *p.AssistedDigital
		changed = append(changed, "needs.assistedDigital")
	}
	if p.PreferredLanguage != nil {
		lang := normaliseNeeds("needs", Needs{PreferredLanguage: *p.PreferredLanguage}, problems).PreferredLanguage
		if lang != n.PreferredLanguage {
			n.PreferredLanguage = lang
			changed = append(changed, "needs.preferredLanguage")
		}
	}
	if p.Accessibility != nil {
		access := normaliseNeeds("needs", Needs{Accessibility: *p.Accessibility}, problems).Accessibility
		if !slices.Equal(access, n.Accessibility) {
			n.Accessibility = access
			changed = append(changed, "needs.accessibility")
		}
	}
	return changed
}

// AddIdentifier gives the customer one more identifier. Adding one it already holds
// changes nothing; one another customer holds is IdentifierTaken.
func (s *Service) AddIdentifier(ctx context.Context, actor Actor, customerID string, in IdentifierInput) (Customer, error) {
	var problems fault.Fields
	ids := s.normaliseIdentifiers("identifier", []IdentifierInput{in}, &problems)
	if len(problems) > 0 {
		problems[0].Field = "value"
		return Customer{}, problems.Err()
	}
	var out Customer
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := load(ctx, tx, customerID, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := checkWritable(c, AnyVersion); err != nil {
			return err
		}
		if err := s.checkFree(ctx, tx, c.ID, ids); err != nil {
			return err
		}
		if slices.ContainsFunc(c.Identifiers, func(h Identifier) bool { return h.Kind == ids[0].Kind && h.Value == ids[0].Value }) {
			out = c
			return nil
		}
		now := store.Now()
		id := Identifier{ID: store.NewID(), Kind: ids[0].Kind, Value: ids[0].Value, AddedAt: now}
		if err := insertIdentifierRow(ctx, tx, c.ID, id); err != nil {
			return err
		}
		if out, err = bumpVersion(ctx, tx, c, now); err != nil {
			return err
		}
		out.Identifiers = append(out.Identifiers, id)
		_, err = event.Record(ctx, tx, event.Change{CustomerID: c.ID, Actor: actor, At: now,
			Payload: event.CustomerIdentifierData{IdentifierID: id.ID, Kind: string(id.Kind)}})
		return err
	})
	if err != nil {
		return Customer{}, s.explainConflict(ctx, err, ids)
	}
	return out, nil
}

const deleteIdentifier = `DELETE FROM customer_identifiers WHERE id = ? AND customer_id = ?`

// RemoveIdentifier takes an identifier off the customer.
func (s *Service) RemoveIdentifier(ctx context.Context, actor Actor, customerID, identifierID string) (Customer, error) {
	var out Customer
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := load(ctx, tx, customerID, s.db.ForUpdate())
		if err != nil {
			return err
		}
		i := slices.IndexFunc(c.Identifiers, func(h Identifier) bool { return h.ID == identifierID })
		if i < 0 {
			return fault.New(fault.NotFound, "customer %s has no identifier %s", customerID, identifierID)
		}
		removed := c.Identifiers[i]
		if _, err := tx.ExecContext(ctx, tx.Rebind(deleteIdentifier), identifierID, customerID); err != nil {
			return fmt.Errorf("delete identifier: %w", store.MapError(err))
		}
		now := store.Now()
		if out, err = bumpVersion(ctx, tx, c, now); err != nil {
			return err
		}
		out.Identifiers = slices.Delete(slices.Clone(c.Identifiers), i, i+1)
		_, err = event.Record(ctx, tx, event.Change{CustomerID: c.ID, Actor: actor, At: now,
			Payload: event.CustomerIdentifierData{IdentifierID: removed.ID, Kind: string(removed.Kind), Removed: true}})
		return err
	})
	return out, err
}

// bumpVersion records that c changed (its identifiers, say) so ETags move on.
func bumpVersion(ctx context.Context, tx *sqlx.Tx, c Customer, now time.Time) (Customer, error) {
	c.Version++
	c.UpdatedAt = now
	ok, err := updateCustomerRow(ctx, tx, c)
	if err != nil {
		return Customer{}, err
	}
	if !ok {
		return Customer{}, fault.New(fault.PreconditionFailed, "the customer changed meanwhile; try again")
	}
	return c, nil
}

func kindsOf(ids []IdentifierInput) []string {
	kinds := make([]string, 0, len(ids))
	for _, id := range ids {
		kinds = append(kinds, string(id.Kind))
	}
	return kinds
}

// Timeline reads one page of the customer's events, newest first.
func (s *Service) Timeline(ctx context.Context, customerID string, limit int, after string) (timeline.Page, error) {
	if _, err := get(ctx, s.db, customerID); err != nil {
		return timeline.Page{}, err
	}
	ids, err := s.mergedInto(ctx, customerID)
	if err != nil {
		return timeline.Page{}, err
	}
	return timeline.ForCustomer(ctx, s.db, ids, limit, after)
}

const selectMergedIn = `SELECT duplicate_id FROM customer_merges WHERE survivor_id = ? AND undone_at IS NULL`

// mergedInto lists id and every record merged into it, directly or through others.
func (s *Service) mergedInto(ctx context.Context, id string) ([]string, error) {
	ids := []string{id}
	for i := 0; i < len(ids) && i < 100; i++ {
		var dups []string
		if err := s.db.SelectContext(ctx, &dups, s.db.Rebind(selectMergedIn), ids[i]); err != nil {
			return nil, fmt.Errorf("read merges: %w", store.MapError(err))
		}
		ids = append(ids, dups...)
	}
	return ids, nil
}
