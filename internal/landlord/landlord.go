// Package landlord serves the landlord portal: landlord organisations and the people
// who act for them, their properties and tenancies, invitations (whose take-up the
// council reports), and the contacts a landlord raises for its tenants.
package landlord

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Landlord is a landlord or letting agent organisation.
type Landlord struct {
	ID, Name, Reference string
	CreatedAt           time.Time
}

// Property is a property a landlord holds.
type Property struct {
	ID, LandlordID, UPRN, Line1, Postcode string
	Tenancies                             []Tenancy
}

// Tenancy links a tenant (a customer) to a property for a period.
type Tenancy struct {
	ID, PropertyID, CustomerID string
	StartsOn, EndsOn           string // YYYY-MM-DD; EndsOn "" while it runs
}

// Today is the day tenancies are judged on (YYYY-MM-DD).
func Today() string { return store.Now().Format(time.DateOnly) }

// Current reports whether the tenancy runs on day (YYYY-MM-DD).
func (t Tenancy) Current(day string) bool {
	return t.StartsOn <= day && (t.EndsOn == "" || t.EndsOn >= day)
}

// Portal is the landlord service.
type Portal struct {
	db        *store.DB
	contacts  *intake.Intake
	cases     *casework.Cases
	customers *customer.Service
	rules     *identifier.Rules
}

// New returns the landlord service.
func New(db *store.DB, contacts *intake.Intake, cases *casework.Cases, customers *customer.Service, rules *identifier.Rules) *Portal {
	return &Portal{db: db, contacts: contacts, cases: cases, customers: customers, rules: rules}
}

const insertLandlord = `INSERT INTO landlords (id, name, reference, created_at) VALUES (?, ?, ?, ?)`

// record tells a change of landlord landlordID: to other systems, in order with the
// landlord's other changes, and on the timeline of the customer it concerns, if any.
func record(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, landlordID, customerID string, at time.Time, what event.Payload) error {
	_, err := event.Record(ctx, tx, event.Change{CustomerID: customerID, Key: landlordID, Actor: actor, At: at, Payload: what})
	return err
}

// Create records a landlord organisation.
func (p *Portal) Create(ctx context.Context, actor timeline.Actor, name, reference string) (Landlord, error) {
	l := Landlord{ID: store.NewID(), Name: strings.TrimSpace(name), Reference: strings.TrimSpace(reference), CreatedAt: store.Now()}
	if l.Name == "" {
		return Landlord{}, fault.Field("name", "a landlord has a name")
	}
	err := p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertLandlord), l.ID, l.Name, l.Reference, l.CreatedAt); err != nil {
			return fmt.Errorf("insert landlord: %w", store.MapError(err))
		}
		return record(ctx, tx, actor, l.ID, "", l.CreatedAt, event.LandlordCreatedData{LandlordID: l.ID, Name: l.Name})
	})
	if err != nil {
		return Landlord{}, err
	}
	return l, nil
}

// Get reads a landlord.
func (p *Portal) Get(ctx context.Context, id string) (Landlord, error) {
	var row struct {
		ID        string    `db:"id"`
		Name      string    `db:"name"`
		Reference string    `db:"reference"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := p.db.GetContext(ctx, &row, p.db.Rebind(`SELECT id, name, reference, created_at FROM landlords WHERE id = ?`), id); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return Landlord{}, fault.New(fault.NotFound, "no landlord %s", id)
		}
		return Landlord{}, fmt.Errorf("read landlord: %w", store.MapError(err))
	}
	return Landlord{ID: row.ID, Name: row.Name, Reference: row.Reference, CreatedAt: row.CreatedAt.UTC()}, nil
}

const insertProperty = `INSERT INTO landlord_properties (id, landlord_id, uprn, line1, postcode, created_at) VALUES (?, ?, ?, ?, ?, ?)`

// AddProperty records a property the landlord holds.
func (p *Portal) AddProperty(ctx context.Context, actor timeline.Actor, landlordID, uprn, line1, postcode string) (Property, error) {
	if _, err := p.Get(ctx, landlordID); err != nil {
		return Property{}, err
	}
	var problems fault.Fields
	u, err := p.rules.Normalise(identifier.UPRN, uprn)
	if err != nil {
		problems.Add("uprn", "a UPRN is 1 to 12 digits")
	}
	if postcode != "" {
		if postcode, err = identifier.NormalisePostcode(postcode); err != nil {
			problems.Add("postcode", "not a UK postcode")
		}
	}
	if err := problems.Err(); err != nil {
		return Property{}, err
	}
	prop := Property{ID: store.NewID(), LandlordID: landlordID, UPRN: u, Line1: strings.TrimSpace(line1), Postcode: postcode}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		now := store.Now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertProperty), prop.ID, prop.LandlordID, prop.UPRN, prop.Line1, prop.Postcode, now); err != nil {
			if errors.Is(store.MapError(err), store.ErrConflict) {
				return fault.New(fault.Conflict, "the landlord already holds UPRN %s", u)
			}
			return fmt.Errorf("insert property: %w", store.MapError(err))
		}
		return record(ctx, tx, actor, landlordID, "", now, event.PropertyAddedData{LandlordID: landlordID, PropertyID: prop.ID, UPRN: prop.UPRN})
	})
	if err != nil {
		return Property{}, err
	}
	prop.Tenancies = []Tenancy{}
	return prop, nil
}

const insertTenancy = `INSERT INTO tenancies (id, property_id, customer_id, starts_on, ends_on, created_at) VALUES (?, ?, ?, ?, ?, ?)`

// AddTenancy records a tenant at one of the landlord's properties, and tells it on the
// tenant's timeline.
func (p *Portal) AddTenancy(ctx context.Context, actor timeline.Actor, landlordID, propertyID, customerID, startsOn, endsOn string) (Tenancy, error) {
	if _, err := p.property(ctx, landlordID, propertyID); fault.Is(err, fault.NotFound) {
		return Tenancy{}, fault.Field("propertyId", "not a property of this landlord")
	} else if err != nil {
		return Tenancy{}, err
	}
	if _, err := p.customers.Get(ctx, customerID); fault.Is(err, fault.NotFound) {
		return Tenancy{}, fault.Field("customerId", "no such customer")
	} else if err != nil {
		return Tenancy{}, err
	}
	if endsOn != "" && endsOn < startsOn {
		return Tenancy{}, fault.Field("endsOn", "must not be before startsOn")
	}
	t := Tenancy{ID: store.NewID(), PropertyID: propertyID, CustomerID: customerID, StartsOn: startsOn, EndsOn: endsOn}
	err := p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		now := store.Now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertTenancy), t.ID, t.PropertyID, t.CustomerID, t.StartsOn, t.EndsOn, now); err != nil {
			return fmt.Errorf("insert tenancy: %w", store.MapError(err))
		}
		return record(ctx, tx, actor, landlordID, t.CustomerID, now, event.TenancyAddedData{LandlordID: landlordID,
			PropertyID: t.PropertyID, TenancyID: t.ID, StartsOn: t.StartsOn, EndsOn: t.EndsOn})
	})
	if err != nil {
		return Tenancy{}, err
	}
	return t, nil
}

type propertyRow struct {
	ID         string `db:"id"`
	LandlordID string `db:"landlord_id"`
	UPRN       string `db:"uprn"`
	Line1      string `db:"line1"`
	Postcode   string `db:"postcode"`
}

// property reads one of the landlord's properties with its tenancies; another
// landlord's property is NotFound.
func (p *Portal) property(ctx context.Context, landlordID, propertyID string) (Property, error) {
	props, err := p.Properties(ctx, landlordID)
	if err != nil {
		return Property{}, err
	}
	for _, pr := range props {
		if pr.ID == propertyID {
			return pr, nil
		}
	}
	return Property{}, fault.New(fault.NotFound, "no property %s", propertyID)
}

// Properties lists a landlord's properties with their tenancies.
func (p *Portal) Properties(ctx context.Context, landlordID string) ([]Property, error) {
	var rows []propertyRow
	if err := p.db.SelectContext(ctx, &rows, p.db.Rebind(`SELECT id, landlord_id, uprn, line1, postcode FROM landlord_properties
 WHERE landlord_id = ? ORDER BY uprn`), landlordID); err != nil {
		return nil, fmt.Errorf("list properties: %w", store.MapError(err))
	}
	var tens []struct {
		ID         string `db:"id"`
		PropertyID string `db:"property_id"`
		CustomerID string `db:"customer_id"`
		StartsOn   string `db:"starts_on"`
		EndsOn     string `db:"ends_on"`
	}
	if err := p.db.SelectContext(ctx, &tens, p.db.Rebind(`SELECT t.id, t.property_id, t.customer_id, t.starts_on, t.ends_on
 FROM tenancies t JOIN landlord_properties lp ON lp.id = t.property_id WHERE lp.landlord_id = ? ORDER BY t.starts_on`), landlordID); err != nil {
		return nil, fmt.Errorf("list tenancies: %w", store.MapError(err))
	}
	out := make([]Property, 0, len(rows))
	for _, r := range rows {
		prop := Property{ID: r.ID, LandlordID: r.LandlordID, UPRN: r.UPRN, Line1: r.Line1, Postcode: r.Postcode, Tenancies: []Tenancy{}}
		for _, t := range tens {
			if t.PropertyID == r.ID {
				prop.Tenancies = append(prop.Tenancies, Tenancy{ID: t.ID, PropertyID: t.PropertyID, CustomerID: t.CustomerID, StartsOn: t.StartsOn, EndsOn: t.EndsOn})
			}
		}
		out = append(out, prop)
	}
	return out, nil
}

// Invitation is a single-use, expiring invitation to the portal.
type Invitation struct {
	ID, LandlordID, Email string
	Token                 string // shown once, when made; only its hash is kept
	ExpiresAt             time.Time
}

const insertInvitation = `INSERT INTO landlord_invitations (id, landlord_id, email, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`

// Invite makes an invitation for an email address, valid for ttl. Its event names the
// invitation, never its token or address.
func (p *Portal) Invite(ctx context.Context, actor timeline.Actor, landlordID, email string, ttl time.Duration) (Invitation, error) {
	if _, err := p.Get(ctx, landlordID); err != nil {
		return Invitation{}, err
	}
	e, err := p.rules.Normalise(identifier.Email, email)
	if err != nil {
		return Invitation{}, fault.Field("email", "not an email address")
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return Invitation{}, err
	}
	now := store.Now()
	inv := Invitation{ID: store.NewID(), LandlordID: landlordID, Email: e, Token: base64.RawURLEncoding.EncodeToString(raw),
		ExpiresAt: now.Add(ttl)}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertInvitation), inv.ID, inv.LandlordID, inv.Email, hash(inv.Token), inv.ExpiresAt, now); err != nil {
			return fmt.Errorf("insert invitation: %w", store.MapError(err))
		}
		return record(ctx, tx, actor, landlordID, "", now, event.InvitationData{LandlordID: landlordID, InvitationID: inv.ID})
	})
	if err != nil {
		return Invitation{}, err
	}
	return inv, nil
}

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

const (
	selectInvitation = `SELECT id, landlord_id, email, expires_at, accepted_at FROM landlord_invitations WHERE token_hash = ?`
	markAccepted     = `UPDATE landlord_invitations SET accepted_at = ?, accepted_by = ? WHERE id = ? AND accepted_at IS NULL`
	upsertUser       = `INSERT INTO landlord_users (landlord_id, subject, email, accepted_at, last_active_at) VALUES (?, ?, ?, ?, ?)
 ON CONFLICT (landlord_id, subject) DO NOTHING`
)

// Accept links the accepting person (actor, by their token's subject) to the
// invitation's landlord. An expired, used or unknown invitation, or one for another
// organisation, is refused.
func (p *Portal) Accept(ctx context.Context, actor timeline.Actor, token, landlordID string) (string, error) {
	subject := actor.Subject
	var inv struct {
		ID         string     `db:"id"`
		LandlordID string     `db:"landlord_id"`
		Email      string     `db:"email"`
		ExpiresAt  time.Time  `db:"expires_at"`
		AcceptedAt *time.Time `db:"accepted_at"`
	}
	err := p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &inv, tx.Rebind(selectInvitation), hash(token)); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return fault.New(fault.NotFound, "no such invitation")
			}
			return fmt.Errorf("read invitation: %w", store.MapError(err))
		}
		now := store.Now()
		switch {
		case inv.AcceptedAt != nil:
			return fault.New(fault.Conflict, "the invitation was already used")
		case now.After(inv.ExpiresAt):
			return fault.New(fault.Conflict, "the invitation has expired; ask the council for a new one")
		case inv.LandlordID != landlordID:
			return fault.New(fault.Forbidden, "the invitation is for another organisation than your token's")
		}
		// The read above does not stop a parallel accept that read the same open
		// invitation: only the update that still finds it open wins.
		res, err := tx.ExecContext(ctx, tx.Rebind(markAccepted), now, subject, inv.ID)
		if err != nil {
			return fmt.Errorf("accept invitation: %w", store.MapError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		} else if n == 0 {
			return fault.New(fault.Conflict, "the invitation was already used")
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(upsertUser), inv.LandlordID, subject, inv.Email, now, now); err != nil {
			return fmt.Errorf("add landlord user: %w", store.MapError(err))
		}
		return record(ctx, tx, actor, inv.LandlordID, "", now, event.InvitationData{LandlordID: inv.LandlordID, InvitationID: inv.ID,
			UserSubject: subject, Accepted: true})
	})
	return inv.LandlordID, err
}

const touchUser = `UPDATE landlord_users SET last_active_at = ? WHERE landlord_id = ? AND subject = ?`

// Admit lets a landlord user in: they must have accepted an invitation; their activity
// is noted for the take-up report.
func (p *Portal) Admit(ctx context.Context, landlordID, subject string) error {
	res, err := p.db.ExecContext(ctx, p.db.Rebind(touchUser), store.Now(), landlordID, subject)
	if err != nil {
		return fmt.Errorf("note landlord activity: %w", store.MapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("note landlord activity: %w", err)
	}
	if n == 0 {
		return fault.New(fault.Forbidden, "accept your invitation to the landlord portal first")
	}
	return nil
}

// ContactRequest is what a landlord raises for a property or tenancy.
type ContactRequest struct {
	PropertyID, TenancyID string
	Service               casework.Service
	Intent, Summary       string
}

// tenantFor is the customer a landlord contact acts for: the tenant of the tenancy
// named, or the property's only current tenant ("" when it has none). A landlord acts
// only for a tenancy that runs today: one that ended, or has not begun, is refused, so
// a former tenant's record is out of the landlord's reach.
func tenantFor(prop Property, tenancyID, today string) (string, error) {
	tenant := ""
	for _, t := range prop.Tenancies {
		switch {
		case tenancyID != "" && t.ID == tenancyID:
			if !t.Current(today) {
				return "", fault.Field("tenancyId", "the tenancy is not current (it has ended or not begun)")
			}
			return t.CustomerID, nil
		case tenancyID == "" && t.Current(today):
			if tenant != "" {
				return "", fault.Field("tenancyId", "the property has more than one current tenancy; name one")
			}
			tenant = t.CustomerID
		}
	}
	if tenancyID != "" {
		return "", fault.New(fault.NotFound, "no tenancy %s at this property", tenancyID)
	}
	return tenant, nil
}

// RaiseContact records a landlord portal contact for one of its properties, on behalf
// of the tenant named (or the property's only current tenant).
func (p *Portal) RaiseContact(ctx context.Context, actor timeline.Actor, landlordID string, r ContactRequest) (intake.Result, error) {
	prop, err := p.property(ctx, landlordID, r.PropertyID)
	if err != nil {
		return intake.Result{}, err
	}
	tenant, err := tenantFor(prop, r.TenancyID, Today())
	if err != nil {
		return intake.Result{}, err
	}
	req := intake.Request{Channel: channel.LandlordPortal, Service: r.Service, Intent: r.Intent, Summary: r.Summary,
		CustomerID: tenant, OnBehalfOf: intake.OnBehalfOf{LandlordID: landlordID, UPRN: prop.UPRN, TenantCustomerID: tenant}}
	return p.contacts.Record(ctx, actor, req)
}

// Cases lists the cases a landlord raised, and no others: never a tenant's own.
func (p *Portal) Cases(ctx context.Context, landlordID string) ([]casework.Case, error) {
	return p.cases.RaisedBy(ctx, landlordID)
}
