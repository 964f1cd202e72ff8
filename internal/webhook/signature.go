// Package webhook delivers the hub's events to other systems' HTTP endpoints, signed as
// Standard Webhooks 1.0 describes: `webhook-id`, `webhook-timestamp` and
// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, with secrets
// written `whsec_<base64>`. Receivers can check a delivery with any Standard Webhooks
// library, or in a few lines (see Verify).
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a signing secret in the Standard Webhooks format.
const secretPrefix = "whsec_"

// secretBytes is how much randomness a new secret holds (the format asks for 24 to 64).
const secretBytes = 32

// Secret is an endpoint's signing key, as shown to its owner: whsec_ and base64.
type Secret string

// NewSecret makes a signing secret from the system's random source.
func NewSecret() (Secret, error) {
	key := make([]byte, secretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("make webhook secret: %w", err)
	}
	return Secret(secretPrefix + base64.StdEncoding.EncodeToString(key)), nil
}

// key is the HMAC key the secret stands for.
func (s Secret) key() ([]byte, error) {
	raw, ok := strings.CutPrefix(string(s), secretPrefix)
	if !ok {
		return nil, errors.New("a webhook secret starts with " + secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, errors.New("a webhook secret is " + secretPrefix + " and the base64 of 24 to 64 bytes")
	}
	return key, nil
}

// Sign is the webhook-signature header of body sent as message id at ts, signed with
// every secret given: during a rotation the old and the new secret both sign, so a
// receiver holding either accepts the delivery.
func Sign(id string, ts time.Time, body []byte, secrets ...Secret) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("no secret to sign with")
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := s.key()
		if err != nil {
			return "", err
		}
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac(key, id, ts.Unix(), body)))
	}
	return strings.Join(sigs, " "), nil
}

func mac(key []byte, id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(unix, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Tolerance is how far a delivery's timestamp may be from the receiver's clock before
// Verify refuses it as a replay.
const Tolerance = 5 * time.Minute

// ErrBadSignature: no signature of the delivery matches the secret, or its timestamp is
// outside the tolerance.
var ErrBadSignature = errors.New("webhook signature does not verify")

// Verify checks a delivery as a receiver would: the three headers are present, the
// timestamp is within Tolerance of now, and one v1 signature matches (compared in
// constant time). The hub's own tests receive deliveries with it; README shows it.
func Verify(secret Secret, h http.Header, body []byte, now time.Time) error {
	id, stamp, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || stamp == "" || sigs == "" {
		return fmt.Errorf("%w: a webhook-id, webhook-timestamp or webhook-signature header is missing", ErrBadSignature)
	}
	unix, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp is not Unix seconds", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: webhook-timestamp is %s from now", ErrBadSignature, d.Round(time.Second))
	}
	key, err := secret.key()
	if err != nil {
		return err
	}
	want := mac(key, id, unix, body)
	for _, sig := range strings.Fields(sigs) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue // other schemes may be added; this receiver knows v1
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// The headers of a delivery (Standard Webhooks 1.0).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)
