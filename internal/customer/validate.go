package customer

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
)

// normaliseIdentifiers checks and normalises inputs, dropping repeats of the same
// kind and value; problems are named by their position under field.
func (s *Service) normaliseIdentifiers(field string, in []IdentifierInput, problems *fault.Fields) []IdentifierInput {
	out := make([]IdentifierInput, 0, len(in))
	seen := make(map[IdentifierInput]bool, len(in))
	for i, id := range in {
		value, err := s.rules.Normalise(id.Kind, id.Value)
		if err != nil {
			problems.Add(fmt.Sprintf("%s[%d].value", field, i), reason(err))
			continue
		}
		n := IdentifierInput{Kind: id.Kind, Value: value}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// NormaliseIdentifiers checks and normalises identifiers as the record stores them;
// problems are named by position under field.
func (s *Service) NormaliseIdentifiers(field string, in []IdentifierInput) ([]IdentifierInput, error) {
	var problems fault.Fields
	out := s.normaliseIdentifiers(field, in, &problems)
	return out, problems.Err()
}

// reason is the caller-safe sentence of a normalisation error.
func reason(err error) string {
	if inv, ok := err.(*identifier.InvalidError); ok {
		return inv.Reason
	}
	return "is not valid"
}

// checkDateOfBirth accepts a real calendar date between 1900 and today.
func checkDateOfBirth(field, dob string, problems *fault.Fields) {
	if dob == "" {
		return
	}
	d, err := time.Parse(time.DateOnly, dob)
	switch {
	case err != nil:
		problems.Add(field, "must be a date like 1980-04-30")
	case d.Year() < 1900:
		problems.Add(field, "must be after 1900")
	case d.After(time.Now().UTC()):
		problems.Add(field, "must not be in the future")
	}
}

// normaliseAddress trims the lines and normalises the postcode.
func normaliseAddress(field string, a Address, problems *fault.Fields) Address {
	a = Address{
		Line1: strings.TrimSpace(a.Line1), Line2: strings.TrimSpace(a.Line2),
		Town: strings.TrimSpace(a.Town), Postcode: strings.TrimSpace(a.Postcode),
	}
	if a.Postcode != "" {
		pc, err := identifier.NormalisePostcode(a.Postcode)
		if err != nil {
			problems.Add(field+".postcode", reason(err))
		}
		a.Postcode = pc
	}
	return a
}

// normaliseNeeds trims free text and checks the language tag.
func normaliseNeeds(field string, n Needs, problems *fault.Fields) Needs {
	n.PreferredLanguage = strings.TrimSpace(n.PreferredLanguage)
	if n.PreferredLanguage != "" {
		tag, err := language.Parse(n.PreferredLanguage)
		if err != nil {
			problems.Add(field+".preferredLanguage", "must be a language tag like en, cy or pl")
		} else {
			n.PreferredLanguage = tag.String()
		}
	}
	var access []string
	for _, a := range n.Accessibility {
		if a = strings.TrimSpace(a); a != "" {
			access = append(access, a)
		}
	}
	n.Accessibility = access
	return n
}
