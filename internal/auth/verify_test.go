package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	iss = "https://idp.council.example"
	aud = "contacthub"
)

type signer struct {
	method jwt.SigningMethod
	priv   crypto.Signer
}

func newSigners(t testing.TB) map[string]signer {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]signer{
		"RS256": {jwt.SigningMethodRS256, rsaKey},
		"ES256": {jwt.SigningMethodES256, ecKey},
		"EdDSA": {jwt.SigningMethodEdDSA, edKey},
	}
}

func publicPEM(t testing.TB, s signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func goodClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": iss, "aud": aud, "sub": "alice", "roles": []string{"agent"}, "tier": 2,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func sign(t testing.TB, s signer, c jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	out, err := tok.SignedString(s.priv)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerify_AcceptsEachAlgorithmFromPEMKeys(t *testing.T) {
	signers := newSigners(t)
	var pems [][]byte
	for _, s := range signers {
		pems = append(pems, publicPEM(t, s))
	}
	v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: pems})
	if err != nil {
		t.Fatal(err)
	}
	for alg, s := range signers {
		p, err := v.Verify(context.Background(), sign(t, s, goodClaims(), ""))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if p.Subject != "alice" || !p.Has(Agent) || p.Tier != 2 {
			t.Fatalf("%s principal = %+v", alg, p)
		}
	}
}

func TestVerify_AcceptsKeysFromAJWKS(t *testing.T) {
	signers := newSigners(t)
	rsaKey := signers["RS256"].priv.(*rsa.PrivateKey)
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "idp-1", "use": "sig", "alg": "RS256",
		"n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes()),
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	defer srv.Close()
	v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, JWKSURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(context.Background(), sign(t, signers["RS256"], goodClaims(), "idp-1")); err != nil {
		t.Fatalf("JWKS key refused: %v", err)
	}
	if _, err := v.Verify(context.Background(), sign(t, signers["ES256"], goodClaims(), "idp-1")); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("an ES256 token naming the RSA key's kid was accepted: %v", err)
	}
}

func TestVerify_HS256OnlyWhenASecretIsConfigured(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	hs := func() string {
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims()).SignedString(secret)
		return tok
	}()
	withSecret, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, HS256Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := withSecret.Verify(context.Background(), hs); err != nil {
		t.Fatalf("HS256 with the configured secret refused: %v", err)
	}
	signers := newSigners(t)
	without, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: [][]byte{publicPEM(t, signers["RS256"])}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := without.Verify(context.Background(), hs); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("HS256 accepted without a configured secret: %v", err)
	}
	if _, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, HS256Secret: []byte("short")}); err == nil {
		t.Fatal("a short HS256 secret was accepted")
	}
}

func TestVerify_RejectsBrokenTokensWithAReason(t *testing.T) {
	signers := newSigners(t)
	rs := signers["RS256"]
	pub := publicPEM(t, rs)
	v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud,
		PublicKeyPEMs: [][]byte{pub, publicPEM(t, signers["ES256"])}})
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(jwt.MapClaims)) jwt.MapClaims { c := goodClaims(); f(c); return c }
	hsWithPublicKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims()).SignedString(pub)
	good := sign(t, rs, goodClaims(), "")
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+iss+`","aud":"`+aud+`","sub":"mallory","roles":["admin"],"exp":9999999999}`)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	rsKID, _ := thumbprint(rs.priv.Public())
	esKID, _ := thumbprint(signers["ES256"].priv.Public())
	cases := map[string]struct {
		token  string
		reason string
	}{
		"expired":                   {sign(t, rs, edit(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), ""), "token expired"},
		"not yet valid":             {sign(t, rs, edit(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }), ""), "not valid yet"},
		"wrong issuer":              {sign(t, rs, edit(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), ""), "wrong issuer"},
		"wrong audience":            {sign(t, rs, edit(func(c jwt.MapClaims) { c["aud"] = []string{"other"} }), ""), "wrong audience"},
		"missing exp":               {sign(t, rs, edit(func(c jwt.MapClaims) { delete(c, "exp") }), ""), "exp"},
		"missing sub":               {sign(t, rs, edit(func(c jwt.MapClaims) { delete(c, "sub") }), ""), "no sub"},
		"alg none":                  {none, "token"},
		"HS256 with the PEM":        {hsWithPublicKey, "algorithm not allowed"},
		"RS256 naming the EC key":   {sign(t, rs, goodClaims(), esKID), "algorithm not allowed for this key"},
		"unknown kid":               {sign(t, signers["EdDSA"], goodClaims(), "nope"), `unknown signing key (kid "nope"; this hub trusts "`},
		"tampered payload":          {tampered, "signature"},
		"garbage":                   {"garbage", "malformed"},
		"citizen without customer":  {sign(t, rs, edit(func(c jwt.MapClaims) { c["roles"] = "citizen" }), rsKID), "customer_id"},
		"landlord without landlord": {sign(t, rs, edit(func(c jwt.MapClaims) { c["roles"] = []string{"landlord"} }), ""), "landlord_id"},
		"tier 7":                    {sign(t, rs, edit(func(c jwt.MapClaims) { c["tier"] = 7 }), ""), "tier"},
	}
	for name, tc := range cases {
		_, err := v.Verify(context.Background(), tc.token)
		if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: err = %v, want ErrInvalidToken saying %q", name, err, tc.reason)
		}
	}
}

func TestVerify_RolesAsASpaceSeparatedStringAndUnknownRolesIgnored(t *testing.T) {
	rs := newSigners(t)["RS256"]
	v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: [][]byte{publicPEM(t, rs)}})
	if err != nil {
		t.Fatal(err)
	}
	c := goodClaims()
	c["roles"] = "supervisor wizard integration"
	p, err := v.Verify(context.Background(), sign(t, rs, c, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Roles) != 2 || !p.Has(Supervisor) || !p.Has(Integration) || !p.Has(Agent) || p.Has(Admin) {
		t.Fatalf("roles = %v", p.Roles)
	}
}

func TestPrincipal_StaffRolesNest(t *testing.T) {
	for _, tc := range []struct {
		held  []Role
		asked Role
		want  bool
	}{
		{[]Role{Admin}, Agent, true}, {[]Role{Admin}, Supervisor, true}, {[]Role{Supervisor}, Agent, true},
		{[]Role{Supervisor}, Admin, false}, {[]Role{Agent}, Supervisor, false}, {[]Role{Admin}, Citizen, false},
		{[]Role{Admin}, Integration, false}, {[]Role{Citizen}, Citizen, true}, {nil, Agent, false},
	} {
		if got := (Principal{Roles: tc.held}).Has(tc.asked); got != tc.want {
			t.Errorf("%v has %s = %v, want %v", tc.held, tc.asked, got, tc.want)
		}
	}
	if k := (Principal{Roles: []Role{Citizen, Agent}}).Kind(); k != "agent" {
		t.Errorf("Kind = %q", k)
	}
}

func TestDevKey_PersistsAndMintsTokensTheVerifierAccepts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dev-signing-key.pem")
	k1, err := LoadOrCreateDevKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateDevKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if k1.KID() != k2.KID() {
		t.Fatal("reloading the key gave a different key")
	}
	v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: [][]byte{k1.PublicKeyPEM()}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := k2.Mint(Claims{Subject: "resident", Roles: []Role{Citizen}, CustomerID: "0190f1d2-7a1b-7c3d-8e4f-0123456789ab", Issuer: iss, Audience: aud, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), tok)
	if err != nil || p.CustomerID != "0190f1d2-7a1b-7c3d-8e4f-0123456789ab" || !p.Has(Citizen) {
		t.Fatalf("minted token: %+v, %v", p, err)
	}
	if _, err := LoadOrCreateDevKey(filepath.Join(t.TempDir())); err == nil {
		t.Fatal("a directory was read as a key")
	}
}

// BenchmarkVerify measures the steady state: the same token again (answered from the cache).
func BenchmarkVerify(b *testing.B) {
	signers := newSigners(b)
	for _, alg := range []string{"EdDSA", "RS256", "ES256"} {
		s := signers[alg]
		v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: [][]byte{publicPEM(b, s)}})
		if err != nil {
			b.Fatal(err)
		}
		tok := sign(b, s, goodClaims(), "")
		b.Run(alg, func(b *testing.B) {
			for b.Loop() {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestVerify_ReusesAVerdictOnlyUntilTheTokenExpires(t *testing.T) {
	rs := newSigners(t)["RS256"]
	v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: [][]byte{publicPEM(t, rs)}, Leeway: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := goodClaims()
	c["exp"] = time.Now().Add(2 * time.Second).Unix()
	tok := sign(t, rs, c, "")
	for range 2 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Verify(context.Background(), tampered(tok)); !errors.Is(err, ErrInvalidToken) {
		t.Fatal("a tampered copy of a cached token was accepted")
	}
	time.Sleep(3100 * time.Millisecond)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("an expired token was answered from the cache: %v", err)
	}
}

func tampered(tok string) string {
	parts := strings.Split(tok, ".")
	return parts[0] + "." + parts[1] + "x." + parts[2]
}

// BenchmarkVerifySignature measures a first sight of a token: the signature check the
// cache saves on every later request.
func BenchmarkVerifySignature(b *testing.B) {
	signers := newSigners(b)
	for _, alg := range []string{"EdDSA", "RS256", "ES256"} {
		s := signers[alg]
		v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: [][]byte{publicPEM(b, s)}})
		if err != nil {
			b.Fatal(err)
		}
		tok := sign(b, s, goodClaims(), "")
		b.Run(alg, func(b *testing.B) {
			for b.Loop() {
				v.cache = newVerified()
				if _, err := v.Verify(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
