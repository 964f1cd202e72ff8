package auth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A validly signed token can still carry claims the hub cannot use: those are refused
// as invalid tokens (401), never passed on to fail later as a 500.
func TestVerify_RefusesClaimsOfTheWrongShape(t *testing.T) {
	rs := newSigners(t)["RS256"]
	v, err := NewVerifier(context.Background(), Config{Issuer: iss, Audience: aud, PublicKeyPEMs: [][]byte{publicPEM(t, rs)}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	edit := func(f func(jwt.MapClaims)) jwt.MapClaims { c := goodClaims(); f(c); return c }
	cases := map[string]struct {
		claims jwt.MapClaims
		reason string
	}{
		"customer_id not a UUID": {edit(func(c jwt.MapClaims) { c["roles"] = "citizen"; c["customer_id"] = "c-1" }), "customer_id"},
		"customer_id with SQL":   {edit(func(c jwt.MapClaims) { c["roles"] = "citizen"; c["customer_id"] = "' OR 1=1 --" }), "customer_id"},
		"landlord_id not a UUID": {edit(func(c jwt.MapClaims) { c["roles"] = "landlord"; c["landlord_id"] = "LL-1" }), "landlord_id"},
		"exp as a string":        {edit(func(c jwt.MapClaims) { c["exp"] = "9999999999" }), "exp"},
		"nbf as a string":        {edit(func(c jwt.MapClaims) { c["nbf"] = "0" }), "nbf"},
		"exp as an object":       {edit(func(c jwt.MapClaims) { c["exp"] = map[string]any{"n": now.Unix()} }), "token"},
		"iat as a string":        {edit(func(c jwt.MapClaims) { c["iat"] = "0" }), "iat"},
		"sub with a NUL":         {edit(func(c jwt.MapClaims) { c["sub"] = "alice\x00" }), "sub"},
	}
	for name, tc := range cases {
		_, err := v.Verify(context.Background(), sign(t, rs, tc.claims, ""))
		if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: err = %v, want ErrInvalidToken saying %q", name, err, tc.reason)
		}
	}
	ok := edit(func(c jwt.MapClaims) {
		c["roles"] = "citizen landlord"
		c["customer_id"] = "0190f1d2-7a1b-7c3d-8e4f-0123456789ab"
		c["landlord_id"] = "0190F1D2-7A1B-7C3D-8E4F-0123456789AC"
	})
	p, err := v.Verify(context.Background(), sign(t, rs, ok, ""))
	if err != nil {
		t.Fatalf("well-formed ids refused: %v", err)
	}
	if p.LandlordID != "0190f1d2-7a1b-7c3d-8e4f-0123456789ac" {
		t.Errorf("landlord id = %q, want it in the canonical lower-case form", p.LandlordID)
	}
}

// FuzzClaims_TimesAreNumbersOrRefused: whatever the payload, decoding never panics, and
// a payload it accepts had its time claims as JSON numbers.
func FuzzClaims_TimesAreNumbersOrRefused(f *testing.F) {
	for _, seed := range []string{`{"exp":1}`, `{"exp":"1"}`, `{"nbf":null}`, `{"iat":1.5e9,"roles":"agent"}`, `[]`, `{"exp":{}}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		var c claims
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			return
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal([]byte(payload), &raw) != nil {
			return
		}
		for _, name := range []string{"exp", "nbf", "iat"} {
			if v, ok := raw[name]; ok && !isJSONNumber(v) {
				t.Fatalf("%s = %s accepted", name, v)
			}
		}
	})
}
