package customer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/store"
)

// customerRow is a customers table row; wire types are never reused as rows.
type customerRow struct {
	ID                string    `db:"id"`
	GivenName         string    `db:"given_name"`
	FamilyName        string    `db:"family_name"`
	DateOfBirth       string    `db:"date_of_birth"`
	AddressLine1      string    `db:"address_line1"`
	AddressLine2      string    `db:"address_line2"`
	AddressTown       string    `db:"address_town"`
	Postcode          string    `db:"postcode"`
	Vulnerable        bool      `db:"vulnerable"`
	AssistedDigital   bool      `db:"assisted_digital"`
	PreferredLanguage string    `db:"preferred_language"`
	Accessibility     string    `db:"accessibility"`
	SMSSurveys        bool      `db:"sms_surveys"`
	MergedInto        *string   `db:"merged_into"`
	Version           int       `db:"version"`
	CreatedAt         time.Time `db:"created_at"`
	UpdatedAt         time.Time `db:"updated_at"`
}

type identifierRow struct {
	ID         string    `db:"id"`
	CustomerID string    `db:"customer_id"`
	Kind       string    `db:"kind"`
	Value      string    `db:"value"`
	AddedAt    time.Time `db:"added_at"`
}

const customerColumns = `id, given_name, family_name, date_of_birth, address_line1, address_line2,
 address_town, postcode, vulnerable, assisted_digital, preferred_language, accessibility,
 sms_surveys, merged_into, version, created_at, updated_at`

func (r customerRow) toCustomer() (Customer, error) {
	c := Customer{
		ID:          r.ID,
		GivenName:   r.GivenName,
		FamilyName:  r.FamilyName,
		DateOfBirth: r.DateOfBirth,
		Address:     Address{Line1: r.AddressLine1, Line2: r.AddressLine2, Town: r.AddressTown, Postcode: r.Postcode},
		Needs: Needs{
			Vulnerable:        r.Vulnerable,
			AssistedDigital:   r.AssistedDigital,
			PreferredLanguage: r.PreferredLanguage,
		},
		Consents:  Consents{SMSSurveys: r.SMSSurveys},
		Version:   r.Version,
		CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.MergedInto != nil {
		c.MergedInto = *r.MergedInto
	}
	if err := json.Unmarshal([]byte(r.Accessibility), &c.Needs.Accessibility); err != nil {
		return Customer{}, fmt.Errorf("decode accessibility needs of %s: %w", r.ID, err)
	}
	if len(c.Needs.Accessibility) == 0 {
		c.Needs.Accessibility = nil
	}
	return c, nil
}

func fromCustomer(c Customer) (customerRow, error) {
	access := c.Needs.Accessibility
	if access == nil {
		access = []string{}
	}
	accessJSON, err := json.Marshal(access)
	if err != nil {
		return customerRow{}, fmt.Errorf("encode accessibility needs: %w", err)
	}
	r := customerRow{
		ID: c.ID, GivenName: c.GivenName, FamilyName: c.FamilyName, DateOfBirth: c.DateOfBirth,
		AddressLine1: c.Address.Line1, AddressLine2: c.Address.Line2, AddressTown: c.Address.Town,
		Postcode: c.Address.Postcode, Vulnerable: c.Needs.Vulnerable, AssistedDigital: c.Needs.AssistedDigital,
		PreferredLanguage: c.Needs.PreferredLanguage, Accessibility: string(accessJSON),
		SMSSurveys: c.Consents.SMSSurveys, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.MergedInto != "" {
		r.MergedInto = &c.MergedInto
	}
	return r, nil
}

// nameKey is the lower-cased form names are searched by.
func nameKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

const insertCustomer = `INSERT INTO customers (` + customerColumns + `, given_name_key, family_name_key)
 VALUES (:id, :given_name, :family_name, :date_of_birth, :address_line1, :address_line2,
 :address_town, :postcode, :vulnerable, :assisted_digital, :preferred_language, :accessibility,
 :sms_surveys, :merged_into, :version, :created_at, :updated_at, :given_name_key, :family_name_key)`

// writableRow adds the derived search keys to a row.
type writableRow struct {
	customerRow
	GivenNameKey  string `db:"given_name_key"`
	FamilyNameKey string `db:"family_name_key"`
}

func insertCustomerRow(ctx context.Context, tx *sqlx.Tx, c Customer) error {
	row, err := fromCustomer(c)
	if err != nil {
		return err
	}
	w := writableRow{customerRow: row, GivenNameKey: nameKey(c.GivenName), FamilyNameKey: nameKey(c.FamilyName)}
	if _, err := tx.NamedExecContext(ctx, insertCustomer, w); err != nil {
		return fmt.Errorf("insert customer: %w", store.MapError(err))
	}
	return nil
}

// updateCustomer writes every field of c, as version c.Version, over the row whose
// version is c.Version-1; false when another writer got there first.
const updateCustomer = `UPDATE customers SET given_name = :given_name, family_name = :family_name,
 given_name_key = :given_name_key, family_name_key = :family_name_key, date_of_birth = :date_of_birth,
 address_line1 = :address_line1, address_line2 = :address_line2, address_town = :address_town,
 postcode = :postcode, vulnerable = :vulnerable, assisted_digital = :assisted_digital,
 preferred_language = :preferred_language, accessibility = :accessibility, sms_surveys = :sms_surveys,
 merged_into = :merged_into, version = :version, updated_at = :updated_at
 WHERE id = :id AND version = :version - 1`

func updateCustomerRow(ctx context.Context, tx *sqlx.Tx, c Customer) (bool, error) {
	row, err := fromCustomer(c)
	if err != nil {
		return false, err
	}
	w := writableRow{customerRow: row, GivenNameKey: nameKey(c.GivenName), FamilyNameKey: nameKey(c.FamilyName)}
	res, err := tx.NamedExecContext(ctx, updateCustomer, w)
	if err != nil {
		return false, fmt.Errorf("update customer: %w", store.MapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update customer: %w", err)
	}
	return n == 1, nil
}

const insertIdentifier = `INSERT INTO customer_identifiers (id, customer_id, kind, value, added_at) VALUES (?, ?, ?, ?, ?)`

func insertIdentifierRow(ctx context.Context, tx *sqlx.Tx, customerID string, id Identifier) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(insertIdentifier), id.ID, customerID, string(id.Kind), id.Value, id.AddedAt)
	if err != nil {
		return fmt.Errorf("insert identifier: %w", store.MapError(err))
	}
	return nil
}

// loader is what reading needs: the database or a transaction.
type loader interface {
	sqlx.QueryerContext
	Rebind(string) string
}

const selectCustomer = `SELECT ` + customerColumns + ` FROM customers WHERE id = ?`

// load reads one customer with its identifiers; fault NotFound when absent.
func load(ctx context.Context, q loader, id, suffix string) (Customer, error) {
	var row customerRow
	if err := sqlx.GetContext(ctx, q, &row, q.Rebind(selectCustomer+suffix), id); err != nil {
		err = store.MapError(err)
		if isNotFound(err) {
			return Customer{}, fault.New(fault.NotFound, "no customer %s", id)
		}
		return Customer{}, fmt.Errorf("read customer: %w", err)
	}
	cs, err := withIdentifiers(ctx, q, []customerRow{row})
	if err != nil {
		return Customer{}, err
	}
	return cs[0], nil
}

const selectIdentifiers = `SELECT id, customer_id, kind, value, added_at FROM customer_identifiers
 WHERE customer_id IN (?) ORDER BY added_at, id`

// withIdentifiers converts rows and attaches their identifiers in one query (no N+1).
func withIdentifiers(ctx context.Context, q loader, rows []customerRow) ([]Customer, error) {
	if len(rows) == 0 {
		return []Customer{}, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	query, args, err := sqlx.In(selectIdentifiers, ids)
	if err != nil {
		return nil, fmt.Errorf("read identifiers: %w", err)
	}
	var idRows []identifierRow
	if err := sqlx.SelectContext(ctx, q, &idRows, q.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("read identifiers: %w", store.MapError(err))
	}
	byCustomer := make(map[string][]Identifier, len(rows))
	for _, r := range idRows {
		byCustomer[r.CustomerID] = append(byCustomer[r.CustomerID],
			Identifier{ID: r.ID, Kind: identifier.Kind(r.Kind), Value: r.Value, AddedAt: r.AddedAt.UTC()})
	}
	out := make([]Customer, len(rows))
	for i, r := range rows {
		c, err := r.toCustomer()
		if err != nil {
			return nil, err
		}
		c.Identifiers = byCustomer[r.ID]
		if c.Identifiers == nil {
			c.Identifiers = []Identifier{}
		}
		out[i] = c
	}
	return out, nil
}

// customerWithIdentifier is one row of a customer joined to one of its identifiers (the
// identifier columns are NULL for a customer without any), in joinedColumns' order
// (scanJoined relies on it).
type customerWithIdentifier struct {
	customerRow
	IdentID      *string        `db:"ident_id"`
	IdentKind    *string        `db:"ident_kind"`
	IdentValue   *string        `db:"ident_value"`
	IdentAddedAt store.NullTime `db:"ident_added_at"`
}

// joinedColumns are customerColumns qualified by c, then the identifier's columns.
var joinedColumns = "c." + strings.ReplaceAll(strings.Join(strings.Fields(customerColumns), " "), ", ", ", c.") +
	", i.id AS ident_id, i.kind AS ident_kind, i.value AS ident_value, i.added_at AS ident_added_at"

// selectJoined reads the customers a condition picks, each with its identifiers, in one
// query: a hot path (lookup by phone, the IVR's match) is one index walk and one round
// trip, however many identifiers a customer has.
func selectJoined(ctx context.Context, q loader, where string, args []any, limit int) ([]Customer, error) {
	query := `SELECT ` + joinedColumns + ` FROM (SELECT ` + customerColumns + ` FROM customers WHERE ` + where +
		` ORDER BY id LIMIT ?) c LEFT JOIN customer_identifiers i ON i.customer_id = c.id ORDER BY c.id, i.added_at, i.id`
	rows, err := scanJoined(ctx, q, q.Rebind(query), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", store.MapError(err))
	}
	out := []Customer{}
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			c, err := r.toCustomer()
			if err != nil {
				return nil, err
			}
			c.Identifiers = []Identifier{}
			out = append(out, c)
		}
		if r.IdentID != nil {
			last := &out[len(out)-1]
			last.Identifiers = append(last.Identifiers, Identifier{ID: *r.IdentID, Kind: identifier.Kind(*r.IdentKind),
				Value: *r.IdentValue, AddedAt: r.IdentAddedAt.Time})
		}
	}
	return out, nil
}

// scanJoined reads rows of joinedColumns field by field into the destinations sqlx
// would pick by reflection (so the drivers convert exactly as before), without sqlx's
// per-row reflection: a lookup by phone is one of the hub's hottest reads.
func scanJoined(ctx context.Context, q loader, query string, args ...any) ([]customerWithIdentifier, error) {
	rs, err := q.QueryxContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var rows []customerWithIdentifier
	for rs.Next() {
		var r customerWithIdentifier
		c := &r.customerRow
		if err := rs.Scan(&c.ID, &c.GivenName, &c.FamilyName, &c.DateOfBirth, &c.AddressLine1, &c.AddressLine2,
			&c.AddressTown, &c.Postcode, &c.Vulnerable, &c.AssistedDigital, &c.PreferredLanguage, &c.Accessibility,
			&c.SMSSurveys, &c.MergedInto, &c.Version, &c.CreatedAt, &c.UpdatedAt,
			&r.IdentID, &r.IdentKind, &r.IdentValue, &r.IdentAddedAt); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return rows, rs.Close()
}

// get reads one customer with its identifiers in one query; fault NotFound when absent.
func get(ctx context.Context, q loader, id string) (Customer, error) {
	cs, err := selectJoined(ctx, q, "id = ?", []any{id}, 1)
	if err != nil {
		return Customer{}, err
	}
	if len(cs) == 0 {
		return Customer{}, fault.New(fault.NotFound, "no customer %s", id)
	}
	return cs[0], nil
}

const selectHolder = `SELECT customer_id FROM customer_identifiers WHERE kind = ? AND value = ?`

// holder returns the id of the customer holding kind/value, or "" when nobody does.
func holder(ctx context.Context, q loader, kind identifier.Kind, value string) (string, error) {
	var id string
	err := sqlx.GetContext(ctx, q, &id, q.Rebind(selectHolder), string(kind), value)
	if err != nil {
		err = store.MapError(err)
		if isNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("look up identifier holder: %w", err)
	}
	return id, nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
