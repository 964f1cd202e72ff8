package contract

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

// rsaIssuer is an identity provider whose public key the hub is configured to trust,
// so tests can sign every kind of broken token.
type rsaIssuer struct {
	key    *rsa.PrivateKey
	pubPEM []byte
}

func newRSAIssuer(t *testing.T) *rsaIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &rsaIssuer{key: key, pubPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}

// trustedBy configures a hub to trust this issuer beside the development key.
func (i *rsaIssuer) trustedBy(t *testing.T) func(*config.Config) {
	path := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(path, i.pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) {
		c.JWTPublicKeyFiles = []string{path}
		c.DevSigningKey = "on"
	}
}

func (i *rsaIssuer) sign(t *testing.T, h *hub, edit func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{"iss": h.cfg.JWTIssuer, "aud": h.cfg.JWTAudience, "sub": "idp-user",
		"roles": []string{"agent"}, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if edit != nil {
		edit(claims)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(i.key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthentication_BadTokensAre401AndWriteNothing(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			idp := newRSAIssuer(t)
			h := startHub(t, b, idp.trustedBy(t))
			good := idp.sign(t, h, nil)
			none := unsignedToken(t, h)
			hsWithPublicKey, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
				"iss": h.cfg.JWTIssuer, "aud": h.cfg.JWTAudience, "sub": "mallory", "roles": []string{"admin"},
				"exp": time.Now().Add(time.Hour).Unix()}).SignedString(idp.pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			otherKey := newRSAIssuer(t).sign(t, h, nil)
			cases := map[string]string{
				"no token":                  "",
				"garbage":                   "not.a.token",
				"expired":                   idp.sign(t, h, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
				"not yet valid":             idp.sign(t, h, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }),
				"wrong audience":            idp.sign(t, h, func(c jwt.MapClaims) { c["aud"] = "someone-else" }),
				"wrong issuer":              idp.sign(t, h, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }),
				"no expiry":                 idp.sign(t, h, func(c jwt.MapClaims) { delete(c, "exp") }),
				"alg none":                  none,
				"HS256 with the public key": hsWithPublicKey,
				"unknown signing key":       otherKey,
				"tampered payload":          tamper(good),
			}
			body := []byte(`{"familyName":"Intruder"}`)
			for name, tok := range cases {
				resp, got := h.raw(http.MethodPost, "/v1/customers", tok, "application/json", body)
				p := wantProblem(t, http.StatusUnauthorized, got, resp.StatusCode, "unauthenticated")
				if p.Detail == nil || *p.Detail == "" {
					t.Errorf("%s: problem does not say why: %s", name, got)
				}
			}
			if n := h.count("customers"); n != 0 {
				t.Fatalf("%d customers written with bad tokens", n)
			}
			resp, got := h.raw(http.MethodPost, "/v1/customers", good, "application/json", body)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("the good RS256 token was refused: %d %s", resp.StatusCode, got)
			}
		})
	}
}

// unsignedToken builds an alg:none token by hand, as an attacker would.
func unsignedToken(t *testing.T, h *hub) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload := enc.EncodeToString([]byte(`{"iss":"` + h.cfg.JWTIssuer + `","aud":"` + h.cfg.JWTAudience +
		`","sub":"mallory","roles":["admin"],"exp":` + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + `}`))
	return header + "." + payload + "."
}

// tamper changes the payload of a signed token, keeping its signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"agent"`, `"admin"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func TestAuthorisation_CitizensReachOnlyTheirOwnRecord(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		a := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("A")})
		b := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("B")})
		citizenA := h.client(h.token(auth.Claims{Subject: "resident-a", Roles: []auth.Role{auth.Citizen}, CustomerID: a.Id.String()}))

		// Citizens reach their own record through /v1/me; the staff routes refuse them,
		// their own record included (issue 12, item 2).
		own, _ := citizenA.GetCustomerWithResponse(ctx, a.Id)
		wantProblem(t, http.StatusForbidden, own.Body, own.StatusCode(), "forbidden")
		other, _ := citizenA.GetCustomerWithResponse(ctx, b.Id)
		wantProblem(t, http.StatusForbidden, other.Body, other.StatusCode(), "forbidden")

		patch := contacthub.CustomerPatch{}
		patch.FamilyName.Set("Hijacked")
		upd, _ := citizenA.UpdateCustomerWithResponse(ctx, b.Id, &contacthub.UpdateCustomerParams{IfMatch: "*"}, patch)
		wantProblem(t, http.StatusForbidden, upd.Body, upd.StatusCode(), "forbidden")
		tl, _ := citizenA.GetCustomerTimelineWithResponse(ctx, b.Id, nil)
		wantProblem(t, http.StatusForbidden, tl.Body, tl.StatusCode(), "forbidden")

		search, _ := citizenA.SearchCustomersWithResponse(ctx, &contacthub.SearchCustomersParams{Q: ptr("b")})
		wantProblem(t, http.StatusForbidden, search.Body, search.StatusCode(), "forbidden")
		create, _ := citizenA.CreateCustomerWithResponse(ctx, nil, contacthub.CustomerCreate{FamilyName: ptr("C")})
		wantProblem(t, http.StatusForbidden, create.Body, create.StatusCode(), "forbidden")
		landlord := h.client(h.token(auth.Claims{Roles: []auth.Role{auth.Landlord}, LandlordID: uuid.NewString()}))
		ll, _ := landlord.GetCustomerWithResponse(ctx, a.Id)
		wantProblem(t, http.StatusForbidden, ll.Body, ll.StatusCode(), "forbidden")
		integ := h.client(h.token(auth.Claims{Roles: []auth.Role{auth.Integration}}))
		merge, _ := integ.MergeCustomerWithResponse(ctx, a.Id, nil, contacthub.MergeRequest{DuplicateId: b.Id, Reason: "x"})
		wantProblem(t, http.StatusForbidden, merge.Body, merge.StatusCode(), "forbidden")

		got, _ := ag.GetCustomerWithResponse(ctx, b.Id)
		if *got.JSON200.FamilyName != "B" || got.JSON200.Version != 1 {
			t.Fatalf("B changed: %+v", got.JSON200)
		}
		if n := h.count("customers"); n != 2 {
			t.Fatalf("%d customers, want 2", n)
		}
	})
}

func TestBadInput_RejectedWithProblemsNamingTheField(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.token(auth.Claims{Roles: []auth.Role{auth.Agent}})
		cases := []struct {
			name, method, path, contentType, body string
			status                                int
			typ, field                            string
		}{
			{"malformed JSON", "POST", "/v1/customers", "application/json", `{"familyName": `, 400, "bad-request", ""},
			{"unknown field", "POST", "/v1/customers", "application/json", `{"familyName":"X","shoeSize":9}`, 400, "validation", "shoeSize"},
			{"unknown nested field", "POST", "/v1/customers", "application/json", `{"needs":{"vulnerable":true,"mood":"ok"}}`, 400, "validation", "needs.mood"},
			{"wrong type", "POST", "/v1/customers", "application/json", `{"familyName":42}`, 400, "validation", "familyName"},
			{"bad enum", "POST", "/v1/customers", "application/json", `{"identifiers":[{"kind":"shoe","value":"9"}]}`, 400, "validation", "identifiers[0].kind"},
			{"missing required", "POST", "/v1/customers", "application/json", `{"identifiers":[{"kind":"phone"}]}`, 400, "validation", "identifiers[0].value"},
			{"bad date", "POST", "/v1/customers", "application/json", `{"dateOfBirth":"12/03/1984"}`, 400, "validation", "dateOfBirth"},
			{"future date", "POST", "/v1/customers", "application/json", `{"dateOfBirth":"2999-01-01"}`, 422, "invalid-value", "dateOfBirth"},
			{"wrong content type", "POST", "/v1/customers", "text/plain", `familyName=X`, 415, "unsupported-media-type", ""},
			{"empty body", "POST", "/v1/customers", "application/json", ``, 400, "validation", ""},
			{"bad path id", "GET", "/v1/customers/not-a-uuid", "", ``, 400, "validation", "customerId"},
			{"limit too big", "GET", "/v1/customers?q=a&limit=1000", "", ``, 400, "validation", "limit"},
			{"unknown route", "GET", "/v1/nothing-here", "", ``, 404, "not-found", ""},
			{"wrong method", "PUT", "/v1/customers", "application/json", `{}`, 405, "method-not-allowed", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := h.raw(tc.method, tc.path, tok, tc.contentType, []byte(tc.body))
				p := wantProblem(t, tc.status, body, resp.StatusCode, tc.typ)
				if tc.field != "" && !contains(fieldsOf(p), tc.field) {
					t.Fatalf("problem names %v, want %s: %s", fieldsOf(p), tc.field, body)
				}
			})
		}
		big := `{"familyName":"` + strings.Repeat("x", int(h.cfg.MaxBodyBytes)) + `"}`
		resp, body := h.raw("POST", "/v1/customers", tok, "application/json", []byte(big))
		wantProblem(t, http.StatusRequestEntityTooLarge, body, resp.StatusCode, "payload-too-large")
		if n := h.count("customers"); n != 0 {
			t.Fatalf("%d customers written by rejected requests", n)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
