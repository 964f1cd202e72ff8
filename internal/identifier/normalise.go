package identifier

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Normalise returns raw as the canonical value of its kind, or an *InvalidError.
func (r *Rules) Normalise(kind Kind, raw string) (string, error) {
	switch kind {
	case Phone:
		return r.phone(raw)
	case Email:
		return email(raw)
	case UPRN:
		return uprn(raw)
	}
	if !kind.IsReference() {
		return "", &InvalidError{Kind: kind, Reason: "unknown identifier kind"}
	}
	return r.reference(kind, raw)
}

// phoneChars are what people put in phone numbers besides digits.
var phoneChars = regexp.MustCompile(`^\+?[0-9 ()./-]+$`)

func (r *Rules) phone(raw string) (string, error) {
	if e164, ok := r.plainUKNumber(raw); ok {
		return e164, nil
	}
	if e164, ok := r.phones.get(raw); ok {
		return e164, nil
	}
	e164, err := r.parsePhone(raw)
	if err == nil {
		r.phones.put(raw, e164)
	}
	return e164, err
}

// phoneMemo remembers recent good numbers: parsing one against the numbering plan costs
// tens of microseconds, and a call's number is normalised at each step of taking it
// (the IVR event, the contact, the match). Bounded: it starts again when full.
type phoneMemo struct {
	mu   sync.RWMutex
	seen map[string]string
}

const phoneMemoSize = 1 << 14

func (m *phoneMemo) get(raw string) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e164, ok := m.seen[raw]
	return e164, ok
}

func (m *phoneMemo) put(raw, e164 string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil || len(m.seen) >= phoneMemoSize {
		m.seen = make(map[string]string, 1024)
	}
	m.seen[raw] = e164
}

// plainUKNumber answers, without the numbering plan, for the commonest shape a UK
// hub is sent: ten digits not starting with 0, written +44dddddddddd (E.164, as IVR
// platforms and SMS providers send) or 0dddddddddd, with no separators. For GB every
// such number is of a possible length, so libphonenumber's answer is always
// +44dddddddddd; parsing it cost tens of microseconds for each caller not seen
// recently (13 % of a lookup's CPU with a million callers, BENCHMARKS.md).
// TestPlainUKNumber_AgreesWithTheNumberingPlan checks every leading four digits against
// the library, and FuzzPlainUKNumber any input the shortcut takes; anything else (other
// regions, other shapes) is parsed as before.
func (r *Rules) plainUKNumber(raw string) (string, bool) {
	if r.region != "GB" {
		return "", false
	}
	s := strings.TrimSpace(raw)
	var nsn string
	switch {
	case len(s) == 13 && s[:3] == "+44":
		nsn = s[3:]
	case len(s) == 11 && s[0] == '0':
		nsn = s[1:]
	default:
		return "", false
	}
	if nsn[0] == '0' {
		return "", false
	}
	for i := 0; i < len(nsn); i++ {
		if nsn[i] < '0' || nsn[i] > '9' {
			return "", false
		}
	}
	if s[0] == '+' {
		return s, true
	}
	return "+44" + nsn, true
}

func (r *Rules) parsePhone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if len(s) > 32 || !phoneChars.MatchString(s) {
		return "", r.invalidPhone()
	}
	num, err := phonenumbers.Parse(s, r.region)
	if err != nil || !dialable(num) {
		return "", r.invalidPhone()
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func (r *Rules) invalidPhone() error {
	return &InvalidError{Kind: Phone, Reason: "not a valid telephone number for region " + r.region}
}

// dialable accepts numbers in allocated ranges, and numbers of a possible length in
// ranges the library's metadata does not know (new allocations, and Ofcom's ranges for
// drama and testing such as 07700 900xxx), so old metadata never turns a resident away.
func dialable(num *phonenumbers.PhoneNumber) bool {
	return phonenumbers.IsValidNumber(num) ||
		phonenumbers.IsPossibleNumberWithReason(num) == phonenumbers.IS_POSSIBLE
}

// ukMobile is the shape of UK mobile numbers (07 then 1-5 or 7-9; 070 and 076 are
// personal numbers and pagers).
var ukMobile = regexp.MustCompile(`^\+447[1-57-9][0-9]{8}$`)

// IsUKMobile reports whether an E.164 number is a UK mobile (one an SMS can reach).
func IsUKMobile(e164 string) bool {
	return ukMobile.MatchString(e164)
}

func email(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	invalid := &InvalidError{Kind: Email, Reason: "not an email address like name@example.org"}
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>\"") {
		return "", invalid
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", invalid
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", invalid
	}
	return s, nil
}

func uprn(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	invalid := &InvalidError{Kind: UPRN, Reason: "a UPRN is 1 to 12 digits"}
	if s == "" || len(s) > 12 {
		return "", invalid
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", invalid
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return "", &InvalidError{Kind: UPRN, Reason: "a UPRN is a number above zero"}
	}
	return strconv.FormatUint(n, 10), nil
}

func (r *Rules) reference(kind Kind, raw string) (string, error) {
	s := strings.Join(strings.Fields(raw), "")
	if kind != MyAccountSubject {
		s = strings.ToUpper(s)
	}
	if s == "" || len(s) > 128 || !r.patterns[kind].MatchString(s) {
		return "", &InvalidError{Kind: kind, Reason: "does not match this council's format for " + strings.ReplaceAll(string(kind), "_", " ")}
	}
	return s, nil
}

// postcodeShape is a UK postcode without its space: outward code, then digit and two letters.
var postcodeShape = regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$`)

// NormalisePostcode writes a UK postcode upper-case with one space: "sw1a1aa" -> "SW1A 1AA".
func NormalisePostcode(raw string) (string, error) {
	s := strings.ToUpper(strings.Join(strings.Fields(raw), ""))
	m := postcodeShape.FindStringSubmatch(s)
	if m == nil {
		return "", &InvalidError{Kind: "postcode", Reason: "not a UK postcode like N15 4QR"}
	}
	return m[1] + " " + m[2], nil
}
