// Package identifier normalises and checks the identifiers a customer record holds —
// phone numbers, emails, UPRNs, postcodes and the council's references — so the same
// identifier written two ways is stored, and found, one way.
package identifier

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Kind is a kind of identifier.
type Kind string

const (
	Phone                Kind = "phone"
	Email                Kind = "email"
	UPRN                 Kind = "uprn"
	CouncilTaxAccount    Kind = "council_tax_account"
	BenefitClaim         Kind = "benefit_claim"
	BusinessRatesAccount Kind = "business_rates_account"
	ParkingReference     Kind = "parking_reference"
	MyAccountSubject     Kind = "my_account_subject"
	LandlordReference    Kind = "landlord_reference"
)

var kinds = []Kind{Phone, Email, UPRN, CouncilTaxAccount, BenefitClaim, BusinessRatesAccount,
	ParkingReference, MyAccountSubject, LandlordReference}

// Kinds lists every kind.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, known := range kinds {
		if k == known {
			return true
		}
	}
	return false
}

// IsReference reports whether k is one of the council's own reference kinds, whose
// format each council configures.
func (k Kind) IsReference() bool { return k.Valid() && k != Phone && k != Email && k != UPRN }

// InvalidError says why a value is not an identifier of its kind. Reason never repeats
// the value, so it is safe to log and to send back.
type InvalidError struct {
	Kind   Kind
	Reason string
}

func (e *InvalidError) Error() string { return string(e.Kind) + ": " + e.Reason }

// DefaultPatterns are formats loose enough for any English council's references; a
// council tightens them with CONTACTHUB_REFERENCE_PATTERNS. They apply after trimming,
// removing spaces and (except for My Account subjects) upper-casing.
func DefaultPatterns() map[Kind]string {
	return map[Kind]string{
		CouncilTaxAccount:    `[0-9A-Z]{6,12}`,
		BenefitClaim:         `[0-9A-Z]{5,12}`,
		BusinessRatesAccount: `[0-9A-Z]{6,12}`,
		ParkingReference:     `[A-Z]{0,3}[0-9]{6,12}`,
		MyAccountSubject:     `[A-Za-z0-9._:@|+-]{1,128}`,
		LandlordReference:    `[0-9A-Z-]{2,24}`,
	}
}

// ParsePatterns reads a JSON object of reference kind to regular expression.
func ParsePatterns(jsonText string) (map[Kind]string, error) {
	out := map[Kind]string{}
	if strings.TrimSpace(jsonText) == "" {
		return out, nil
	}
	var raw map[string]string
	if err := json.Unmarshal([]byte(jsonText), &raw); err != nil {
		return nil, fmt.Errorf("must be a JSON object of kind to pattern: %w", err)
	}
	for k, p := range raw {
		kind := Kind(k)
		if !kind.IsReference() {
			return nil, fmt.Errorf("%q is not a reference kind", k)
		}
		if _, err := regexp.Compile(p); err != nil {
			return nil, fmt.Errorf("pattern for %s: %w", k, err)
		}
		out[kind] = p
	}
	return out, nil
}

// Rules are one council's settings: the phone region and a pattern per reference kind.
type Rules struct {
	region   string
	patterns map[Kind]*regexp.Regexp
	phones   phoneMemo
}

// NewRules overlays overrides on DefaultPatterns and compiles them, anchored.
func NewRules(region string, overrides map[Kind]string) (*Rules, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	if phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return nil, fmt.Errorf("%q is not a region with telephone numbers", region)
	}
	r := &Rules{region: region, patterns: map[Kind]*regexp.Regexp{}}
	all := DefaultPatterns()
	for k, p := range overrides {
		all[k] = p
	}
	for k, p := range all {
		if !k.IsReference() {
			return nil, fmt.Errorf("%q is not a reference kind", k)
		}
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			return nil, fmt.Errorf("pattern for %s: %w", k, err)
		}
		r.patterns[k] = re
	}
	return r, nil
}

// Region is the default region for phone numbers.
func (r *Rules) Region() string { return r.region }
