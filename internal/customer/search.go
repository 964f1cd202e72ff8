package customer

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
)

// Query filters a search; every filter given must hold.
type Query struct {
	Q, Phone, Email, Reference, UPRN, Postcode string
	Limit                                      int
	After                                      string // cursor
}

// Page is one page of customers and the cursor of the next ("" on the last).
type Page struct {
	Items      []Customer
	NextCursor string
}

// maxNameWords bounds how many words of q become conditions.
const maxNameWords = 5

// Search finds live customers by name prefix, identifiers and postcode, in id order.
func (s *Service) Search(ctx context.Context, q Query) (Page, error) {
	where, args, err := s.searchConditions(q)
	if err != nil {
		return Page{}, err
	}
	items, err := selectJoined(ctx, s.db, strings.Join(where, " AND "), args, q.Limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("search customers: %w", err)
	}
	var page Page
	if len(items) > q.Limit {
		items = items[:q.Limit]
		page.NextCursor = cursor.Encode(items[len(items)-1].ID)
	}
	page.Items = items
	return page, err
}

const holdsIdentifier = `id IN (SELECT customer_id FROM customer_identifiers WHERE kind = ? AND value = ?)`

// searchConditions turns q into SQL conditions (fixed fragments, values as arguments).
func (s *Service) searchConditions(q Query) ([]string, []any, error) {
	var problems fault.Fields
	where := []string{"merged_into IS NULL"}
	var args []any
	filters := 0
	for i, word := range strings.Fields(strings.ToLower(q.Q)) {
		if i == maxNameWords {
			break
		}
		filters++
		where = append(where, `(given_name_key LIKE ? ESCAPE '\' OR family_name_key LIKE ? ESCAPE '\')`)
		args = append(args, likePrefix(word), likePrefix(word))
	}
	for _, f := range []struct {
		name  string
		kind  identifier.Kind
		value string
	}{{"phone", identifier.Phone, q.Phone}, {"email", identifier.Email, q.Email}, {"uprn", identifier.UPRN, q.UPRN}} {
		if f.value == "" {
			continue
		}
		filters++
		v, err := s.rules.Normalise(f.kind, f.value)
		if err != nil {
			problems.Add(f.name, reason(err))
			continue
		}
		where = append(where, holdsIdentifier)
		args = append(args, string(f.kind), v)
	}
	if ref := strings.TrimSpace(q.Reference); ref != "" {
		filters++
		cond, refArgs := referenceCondition(ref)
		where = append(where, cond)
		args = append(args, refArgs...)
	}
	if q.Postcode != "" {
		filters++
		pc, err := identifier.NormalisePostcode(q.Postcode)
		if err != nil {
			problems.Add("postcode", reason(err))
		}
		where = append(where, "postcode = ?")
		args = append(args, pc)
	}
	if filters == 0 {
		problems.Add("q", "give at least one of q, phone, email, reference, uprn or postcode")
	}
	if q.After != "" {
		keys, err := cursor.Decode(q.After, 1)
		if err != nil || uuid.Validate(keys[0]) != nil {
			problems.Add("cursor", "not a cursor this server gave out")
		} else {
			where = append(where, "id > ?")
			args = append(args, keys[0])
		}
	}
	return where, args, problems.Err()
}

// referenceCondition matches a reference of any kind, as typed or in the upper-case,
// space-free form references are stored in.
func referenceCondition(ref string) (string, []any) {
	var kinds []string
	for _, k := range identifier.Kinds() {
		if k.IsReference() {
			kinds = append(kinds, string(k))
		}
	}
	compact := strings.ToUpper(strings.Join(strings.Fields(ref), ""))
	cond, args, _ := sqlx.In(`id IN (SELECT customer_id FROM customer_identifiers WHERE kind IN (?) AND value IN (?, ?))`, kinds, ref, compact)
	return cond, args
}

// likePrefix escapes LIKE's wildcards in s and appends one.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
