package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// ErrInvalidToken wraps every verification failure; the text after it is a short
// reason fit to show the caller.
var ErrInvalidToken = errors.New("invalid token")

// Config says which keys and claims a Verifier trusts.
type Config struct {
	Issuer        string
	Audience      string
	JWKSURL       string
	PublicKeyPEMs [][]byte
	HS256Secret   []byte
	Leeway        time.Duration
	// HTTPClient fetches the JWKS (tests point it at a local server).
	HTTPClient *http.Client
}

// Verifier checks bearer tokens.
type Verifier struct {
	static map[string]pinnedKey
	byAlg  map[string]*pinnedKey // for tokens without kid: the one static key of that algorithm
	hs256  []byte
	jwks   keyfunc.Keyfunc
	parser *jwt.Parser
	stop   context.CancelFunc
	cache  *verified
}

// NewVerifier builds a Verifier; it needs at least one key source.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("issuer and audience are required")
	}
	if cfg.JWKSURL == "" && len(cfg.PublicKeyPEMs) == 0 && len(cfg.HS256Secret) == 0 {
		return nil, errors.New("no key source: configure a JWKS URL, public keys or an HS256 secret")
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	v := &Verifier{static: map[string]pinnedKey{}, byAlg: map[string]*pinnedKey{}, stop: func() {}, cache: newVerified()}
	methods := []string{"RS256", "ES256", "EdDSA"}
	if len(cfg.HS256Secret) > 0 {
		if len(cfg.HS256Secret) < 32 {
			return nil, errors.New("the HS256 secret must be at least 32 bytes")
		}
		v.hs256 = cfg.HS256Secret
		methods = append(methods, "HS256")
	}
	for i, p := range cfg.PublicKeyPEMs {
		k, err := parsePublicKeyPEM(p)
		if err != nil {
			return nil, fmt.Errorf("public key %d: %w", i+1, err)
		}
		v.static[k.kid] = k
	}
	v.byAlg = soleKeyPerAlg(v.static)
	if cfg.JWKSURL != "" {
		// The refresh goroutine lives as long as the Verifier, not the caller's context.
		refreshCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		kf, err := keyfunc.NewDefaultOverrideCtx(refreshCtx, []string{cfg.JWKSURL}, keyfunc.Override{Client: cfg.HTTPClient})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("JWKS %s: %w", cfg.JWKSURL, err)
		}
		v.jwks, v.stop = kf, cancel
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
	)
	return v, nil
}

// soleKeyPerAlg maps each algorithm to its static key when exactly one key has it, so
// a token without kid is still checked against one key only, pinned to its algorithm.
func soleKeyPerAlg(keys map[string]pinnedKey) map[string]*pinnedKey {
	count := map[string]int{}
	for _, k := range keys {
		count[k.alg]++
	}
	out := map[string]*pinnedKey{}
	for _, k := range keys {
		if count[k.alg] == 1 {
			out[k.alg] = &k
		}
	}
	return out
}

// Close stops refreshing the JWKS.
func (v *Verifier) Close() { v.stop() }

// claims are the members of a hub token.
type claims struct {
	jwt.RegisteredClaims
	Roles      roles  `json:"roles"`
	Tier       int    `json:"tier"`
	CustomerID string `json:"customer_id"`
	LandlordID string `json:"landlord_id"`
}

// UnmarshalJSON refuses a time claim that is not a JSON number: golang-jwt would take
// "exp":"9999999999" (a string) as a date, and RFC 7519 says NumericDate is a number.
func (c *claims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if v, ok := raw[name]; ok && !isJSONNumber(v) {
			return errClaim(name + " must be a number of seconds")
		}
	}
	type plain claims // without this method, so the next line does not recurse
	return json.Unmarshal(b, (*plain)(c))
}

func isJSONNumber(v json.RawMessage) bool {
	var n json.Number
	return len(v) > 0 && v[0] != '"' && json.Unmarshal(v, &n) == nil
}

// errClaim explains a claim the hub cannot use.
type errClaim string

func (e errClaim) Error() string { return string(e) }

// roles accepts a JSON array or a space-separated string, as identity providers differ.
type roles []Role

func (r *roles) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errors.New("roles must be a list or a space-separated string")
		}
		list = strings.Fields(s)
	}
	for _, name := range list {
		if role := Role(name); role.Valid() {
			*r = append(*r, role)
		}
	}
	return nil
}

// Verify checks token and returns its principal. A token verified before is answered
// from memory until it expires (at most five minutes).
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	now := time.Now()
	if p, ok := v.cache.get(token, now); ok {
		return p, nil
	}
	var c claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.keyFor(ctx)); err != nil {
		return Principal{}, fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	}
	if c.Subject == "" {
		return Principal{}, fmt.Errorf("%w: token has no sub", ErrInvalidToken)
	}
	p, err := principalOf(c)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	v.cache.put(token, p, c.ExpiresAt.Time, now)
	return p, nil
}

// principalOf checks the hub's own claims. The customer and landlord ids are record
// ids the hub looks up, so they must be UUIDs (kept in canonical form): anything else
// is a bad token, not a lookup that fails later.
func principalOf(c claims) (Principal, error) {
	p := Principal{Subject: c.Subject, Roles: c.Roles, Tier: c.Tier}
	if strings.IndexByte(p.Subject, 0) >= 0 || !utf8.ValidString(p.Subject) {
		// The subject is written to timelines and audit rows as the actor.
		return Principal{}, errClaim("sub must be UTF-8 text without NUL")
	}
	if p.Tier < 0 || p.Tier > 3 {
		return Principal{}, errClaim("tier must be 1, 2 or 3")
	}
	var err error
	if p.CustomerID, err = recordID("customer_id", c.CustomerID, p.Has(Citizen), "citizen"); err != nil {
		return Principal{}, err
	}
	if p.LandlordID, err = recordID("landlord_id", c.LandlordID, p.Has(Landlord), "landlord"); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// recordID canonicalises the id claim name; required says the role needs it.
func recordID(name, value string, required bool, role string) (string, error) {
	if value == "" {
		if required {
			return "", errClaim(role + " token without " + name)
		}
		return "", nil
	}
	id, err := uuid.Parse(value)
	if err != nil || len(value) != 36 {
		return "", errClaim(name + " must be a UUID")
	}
	return id.String(), nil
}

// unknownKey says which keys this hub would have trusted, so a token minted against
// another hub's key (another CONTACTHUB_DATA_DIR's development key, say) is recognised
// as such. Key ids are public (a JWKS publishes them); no ": " so the whole reason
// reaches the caller's problem detail.
func unknownKey(kid string, trusted map[string]pinnedKey) string {
	ids := make([]string, 0, len(trusted))
	for id := range trusted {
		ids = append(ids, strconv.Quote(id))
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		ids = []string{"no key"}
	}
	named := "the token names no kid"
	if kid != "" {
		named = "kid " + strconv.Quote(kid)
	}
	return fmt.Sprintf("unknown signing key (%s; this hub trusts %s)", named, strings.Join(ids, ", "))
}

// errKey explains why no key verifies a token.
type errKey string

func (e errKey) Error() string { return string(e) }

// keyFor picks the key for a token and refuses any algorithm that key is not pinned to.
func (v *Verifier) keyFor(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		alg := t.Method.Alg()
		if alg == "HS256" {
			if v.hs256 == nil {
				return nil, errKey("algorithm not allowed")
			}
			return v.hs256, nil
		}
		kid, _ := t.Header["kid"].(string)
		var k *pinnedKey
		if found, ok := v.static[kid]; ok {
			k = &found
		} else if kid == "" {
			k = v.byAlg[alg]
		}
		if k != nil {
			if k.alg != alg {
				return nil, errKey("algorithm not allowed for this key")
			}
			return k.key, nil
		}
		if v.jwks == nil {
			return nil, errKey(unknownKey(kid, v.static))
		}
		key, err := v.jwks.KeyfuncCtx(ctx)(t)
		if err != nil {
			return nil, errKey("unknown signing key")
		}
		if pinned, err := algFor(key); err != nil || pinned != alg {
			return nil, errKey("algorithm not allowed for this key")
		}
		return key, nil
	}
}

// reason turns a golang-jwt error into a short phrase for the caller.
func reason(err error) string {
	var ek errKey
	var ec errClaim
	switch {
	case errors.As(err, &ek):
		return string(ek)
	case errors.As(err, &ec):
		return string(ec)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token lacks a required claim (exp)"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && strings.Contains(err.Error(), "signing method"):
		// golang-jwt reports an algorithm outside WithValidMethods as a signature error.
		return "algorithm not allowed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "signature does not verify"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "algorithm not allowed"
	}
	return "token does not verify"
}
