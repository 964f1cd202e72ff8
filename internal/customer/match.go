package customer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/store"
)

// MatchRequest is what a channel knows about who is contacting it.
type MatchRequest struct {
	Identifiers                                  []IdentifierInput
	GivenName, FamilyName, DateOfBirth, Postcode string
}

// Reason is one thing that agreed between the request and a candidate.
type Reason struct {
	Field  string
	Weight float64
}

// Candidate is a customer who may be the one contacting, with why.
type Candidate struct {
	Customer Customer
	Score    float64
	Reasons  []Reason
}

// MatchResult holds the customer when the match is certain, and the candidates always.
type MatchResult struct {
	Match      *Customer
	Candidates []Candidate
}

// Weights of agreement. Strong identifiers (phone, email, references) belong to one
// person; a UPRN is shared by a household, and names and dates only support.
var (
	identifierWeight = map[identifier.Kind]float64{
		identifier.Phone: 0.45, identifier.Email: 0.45, identifier.UPRN: 0.15,
	}
	referenceWeight = 0.6
	fieldWeights    = map[string]float64{"familyName": 0.15, "givenName": 0.1, "dateOfBirth": 0.25, "postcode": 0.1}
)

const maxCandidates = 10

const selectByNameAndDetails = `SELECT ` + customerColumns + ` FROM customers
 WHERE merged_into IS NULL AND family_name_key = ? AND (date_of_birth = ? OR (postcode <> '' AND postcode = ?))
 ORDER BY id LIMIT 50`

// Match finds the customer the request describes. It never writes.
func (s *Service) Match(ctx context.Context, req MatchRequest) (MatchResult, error) {
	var problems fault.Fields
	ids := s.normaliseIdentifiers("identifiers", req.Identifiers, &problems)
	checkDateOfBirth("dateOfBirth", req.DateOfBirth, &problems)
	if req.Postcode != "" {
		pc, err := identifier.NormalisePostcode(req.Postcode)
		if err != nil {
			problems.Add("postcode", reason(err))
		}
		req.Postcode = pc
	}
	if err := problems.Err(); err != nil {
		return MatchResult{}, err
	}
	pool, strongHolders, err := s.matchPool(ctx, req, ids)
	if err != nil {
		return MatchResult{}, err
	}
	result := MatchResult{Candidates: make([]Candidate, 0, len(pool))}
	for _, c := range pool {
		if cand := score(c, req, ids); cand.Score > 0 {
			result.Candidates = append(result.Candidates, cand)
		}
	}
	slices.SortStableFunc(result.Candidates, func(a, b Candidate) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.Customer.ID, b.Customer.ID)
	})
	if len(result.Candidates) > maxCandidates {
		result.Candidates = result.Candidates[:maxCandidates]
	}
	if len(strongHolders) == 1 {
		for _, c := range pool {
			if strongHolders[c.ID] && (req.DateOfBirth == "" || c.DateOfBirth == "" || c.DateOfBirth == req.DateOfBirth) {
				c := c
				result.Match = &c
			}
		}
	}
	return result, nil
}

// matchPool gathers every customer holding one of ids, or sharing the family name and
// the date of birth or postcode; strongHolders are those holding a strong identifier.
func (s *Service) matchPool(ctx context.Context, req MatchRequest, ids []IdentifierInput) ([]Customer, map[string]bool, error) {
	pool, err := holders(ctx, s.db, ids)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	strong := map[string]bool{}
	for _, c := range pool {
		seen[c.ID] = true
		for _, held := range c.Identifiers {
			for _, id := range ids {
				if id.Kind != identifier.UPRN && held.Kind == id.Kind && held.Value == id.Value {
					strong[c.ID] = true
				}
			}
		}
	}
	if family := nameKey(req.FamilyName); family != "" && (req.DateOfBirth != "" || req.Postcode != "") {
		var rows []customerRow
		if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(selectByNameAndDetails), family, req.DateOfBirth, req.Postcode); err != nil {
			return nil, nil, fmt.Errorf("match by name: %w", store.MapError(err))
		}
		rows = slices.DeleteFunc(rows, func(r customerRow) bool { return seen[r.ID] })
		more, err := withIdentifiers(ctx, s.db, rows)
		if err != nil {
			return nil, nil, err
		}
		pool = append(pool, more...)
	}
	return pool, strong, nil
}

// holders reads, in one query, the customers holding any of ids (each identifier has at
// most one holder).
func holders(ctx context.Context, q loader, ids []IdentifierInput) ([]Customer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var conds []string
	var args []any
	for _, id := range ids {
		conds = append(conds, "(kind = ? AND value = ?)")
		args = append(args, string(id.Kind), id.Value)
	}
	return selectJoined(ctx, q, "id IN (SELECT customer_id FROM customer_identifiers WHERE "+strings.Join(conds, " OR ")+")", args, len(ids))
}

// score adds up what agrees between c and the request.
func score(c Customer, req MatchRequest, ids []IdentifierInput) Candidate {
	cand := Candidate{Customer: c}
	add := func(field string, w float64) {
		cand.Reasons = append(cand.Reasons, Reason{Field: field, Weight: w})
		cand.Score += w
	}
	for _, id := range ids {
		if !slices.ContainsFunc(c.Identifiers, func(h Identifier) bool { return h.Kind == id.Kind && h.Value == id.Value }) {
			continue
		}
		w, ok := identifierWeight[id.Kind]
		if !ok {
			w = referenceWeight
		}
		add(string(id.Kind), w)
	}
	if req.FamilyName != "" && nameKey(req.FamilyName) == nameKey(c.FamilyName) {
		add("familyName", fieldWeights["familyName"])
	}
	if req.GivenName != "" && nameKey(req.GivenName) == nameKey(c.GivenName) {
		add("givenName", fieldWeights["givenName"])
	}
	if req.DateOfBirth != "" && req.DateOfBirth == c.DateOfBirth {
		add("dateOfBirth", fieldWeights["dateOfBirth"])
	}
	if req.Postcode != "" && req.Postcode == c.Address.Postcode {
		add("postcode", fieldWeights["postcode"])
	}
	if cand.Score > 1 {
		cand.Score = 1
	}
	return cand
}
