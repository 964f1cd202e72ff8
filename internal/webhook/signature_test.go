package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The vector published with the Standard Webhooks reference libraries: reproducing it
// is what says a receiver's library will accept what the hub sends.
func TestSign_ReproducesTheStandardWebhooksVector(t *testing.T) {
	got, err := Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`),
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

func TestVerify_AcceptsEitherSecretOfARotationAndRefusesTampering(t *testing.T) {
	old, _ := NewSecret()
	next, _ := NewSecret()
	other, _ := NewSecret()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"case.resolved","timestamp":"2027-01-15T08:00:00Z","data":{}}`)
	sig, err := Sign("01a2-msg", now, body, old, next)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(sig)); n != 2 {
		t.Fatalf("a rotation signs twice, got %q", sig)
	}
	headers := func(id string, at time.Time, sig string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		h.Set("webhook-signature", sig)
		return h
	}
	for name, tc := range map[string]struct {
		secret Secret
		h      http.Header
		body   []byte
		at     time.Time
		ok     bool
	}{
		"old secret":          {old, headers("01a2-msg", now, sig), body, now, true},
		"new secret":          {next, headers("01a2-msg", now, sig), body, now, true},
		"another secret":      {other, headers("01a2-msg", now, sig), body, now, false},
		"body changed":        {old, headers("01a2-msg", now, sig), append([]byte(" "), body...), now, false},
		"id changed":          {old, headers("01a2-msh", now, sig), body, now, false},
		"timestamp changed":   {old, headers("01a2-msg", now.Add(time.Second), sig), body, now, false},
		"replayed much later": {old, headers("01a2-msg", now, sig), body, now.Add(Tolerance + time.Second), false},
		"from the future":     {old, headers("01a2-msg", now, sig), body, now.Add(-Tolerance - time.Second), false},
		"no signature":        {old, headers("01a2-msg", now, ""), body, now, false},
		"unknown scheme only": {old, headers("01a2-msg", now, "v9,"+strings.TrimPrefix(strings.Fields(sig)[0], "v1,")), body, now, false},
	} {
		err := Verify(tc.secret, tc.h, tc.body, tc.at)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v is not ErrBadSignature", name, err)
		}
	}
}

func TestSecret_NewSecretsAreWellFormedAndBadOnesRefused(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(s), "whsec_") {
		t.Fatalf("secret %q", s)
	}
	if key, err := s.key(); err != nil || len(key) != secretBytes {
		t.Fatalf("key of a new secret: %d bytes, %v", len(key), err)
	}
	again, _ := NewSecret()
	if again == s {
		t.Fatal("two new secrets are the same")
	}
	for _, bad := range []Secret{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="} {
		if _, err := Sign("id", time.Now(), nil, bad); err == nil {
			t.Errorf("signed with %q", bad)
		}
	}
}
