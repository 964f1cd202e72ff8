package contract

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/config"
)

// Every 401 tells the client how to authenticate (RFC 6750 §3): Bearer, and
// error="invalid_token" when the token it sent is what failed.
func TestHygiene_Every401NamesBearer(t *testing.T) {
	idp := newRSAIssuer(t)
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, idp.trustedBy(t))
			expired := idp.sign(t, h, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
			for _, tc := range []struct {
				name, token, want string
			}{
				{"no token", "", "Bearer"},
				{"garbage", "garbage", `Bearer error="invalid_token"`},
				{"expired", expired, `Bearer error="invalid_token"`},
			} {
				resp, body := h.raw("GET", "/v1/customers?q=x", tc.token, "", nil)
				wantProblem(t, http.StatusUnauthorized, body, resp.StatusCode, "unauthenticated")
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, tc.want) {
					t.Errorf("%s: WWW-Authenticate = %q, want it to start %q", tc.name, got, tc.want)
				}
			}
		})
	}
}

// A validly signed token whose claims the hub cannot use is a bad token (401), not a
// request that fails later with a 500.
func TestHygiene_TokensWithMisshapenClaimsAre401(t *testing.T) {
	idp := newRSAIssuer(t)
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, idp.trustedBy(t))
			for _, tc := range []struct {
				name, path string
				edit       func(jwt.MapClaims)
			}{
				{"customer_id not a UUID", "/v1/me", func(c jwt.MapClaims) { c["roles"] = []string{"citizen"}; c["customer_id"] = "c-1" }},
				{"landlord_id not a UUID", "/v1/landlord/properties", func(c jwt.MapClaims) { c["roles"] = []string{"landlord"}; c["landlord_id"] = "LL-1" }},
				{"exp a string", "/v1/customers?q=x", func(c jwt.MapClaims) { c["exp"] = "9999999999" }},
				{"nbf a string", "/v1/customers?q=x", func(c jwt.MapClaims) { c["nbf"] = "0" }},
			} {
				resp, body := h.raw("GET", tc.path, idp.sign(t, h, tc.edit), "", nil)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401; body %s", tc.name, resp.StatusCode, body)
				}
			}
		})
	}
}

func TestHygiene_405ListsTheAllowedMethods(t *testing.T) {
	h := startHub(t, backends(t)[0], nil)
	for path, want := range map[string][]string{
		"/v1/customers":                     {"GET", "POST"},
		"/v1/customers/" + uuid.NewString(): {"GET", "PATCH"},
		"/healthz":                          {"GET"},
	} {
		resp, body := h.raw("PUT", path, h.token(agentClaims()), "application/json", []byte(`{}`))
		wantProblem(t, http.StatusMethodNotAllowed, body, resp.StatusCode, "method-not-allowed")
		var got []string
		for _, m := range strings.Split(resp.Header.Get("Allow"), ",") {
			if m = strings.TrimSpace(m); m != "" && m != "OPTIONS" && m != "HEAD" {
				got = append(got, m)
			}
		}
		slices.Sort(got)
		for _, m := range want {
			if !slices.Contains(got, m) {
				t.Errorf("PUT %s: Allow = %q, want it to list %s", path, resp.Header.Get("Allow"), m)
			}
		}
		if slices.Contains(got, "PUT") {
			t.Errorf("PUT %s: Allow = %q lists the refused method", path, resp.Header.Get("Allow"))
		}
	}
}

// Answers carry personal data: no cache keeps them, and no browser guesses their type.
func TestHygiene_APIResponsesAreNotCachedNorSniffed(t *testing.T) {
	h := startHub(t, backends(t)[0], nil)
	ag := h.agent()
	c := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
	for _, path := range []string{"/v1/customers/" + c.Id.String(), "/v1/customers/" + uuid.NewString(), "/v1/nowhere"} {
		resp, _ := h.raw("GET", path, h.token(agentClaims()), "", nil)
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s (%d): Cache-Control = %q, want no-store", path, resp.StatusCode, got)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s (%d): X-Content-Type-Options = %q, want nosniff", path, resp.StatusCode, got)
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("GET %s over a plain-http public URL: Strict-Transport-Security = %q", path, got)
		}
	}
}

func TestHygiene_HSTSWhenThePublicURLIsHTTPS(t *testing.T) {
	h := startHub(t, backends(t)[0], func(c *config.Config) { c.PublicURL = "https://contact.council.example" })
	for _, path := range []string{"/healthz", "/v1/customers?q=x"} {
		resp, _ := h.raw("GET", path, h.token(agentClaims()), "", nil)
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Errorf("GET %s: Strict-Transport-Security = %q, want max-age=…", path, got)
		}
	}
}

// A caller's X-Request-Id is kept only when it is short and plain: it lands in logs
// and problem documents, where anything else could forge or break a line.
func TestHygiene_RequestIDKeptOnlyWhenShortAndPlain(t *testing.T) {
	h := startHub(t, backends(t)[0], nil)
	for id, keep := range map[string]bool{
		"lb-7f3a.9_X":           true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"a b":                   false,
		"<script>":              false,
		`x"y`:                   false,
		"id:1;drop":             false,
		"caf\u00e9":             false,
	} {
		resp, _ := h.raw("GET", "/healthz", "", "", nil, "X-Request-Id", id)
		got := resp.Header.Get("X-Request-Id")
		if keep && got != id {
			t.Errorf("X-Request-Id %q replaced by %q", id, got)
		}
		if !keep && (got == id || got == "") {
			t.Errorf("X-Request-Id %q kept (%q), want a fresh id", id, got)
		}
	}
}
