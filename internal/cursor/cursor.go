// Package cursor encodes the opaque position a client sends back to get the next page of
// a list. A cursor holds the sort keys of the last item seen (for example its time and
// id), so pages stay stable while rows are added, unlike offsets.
package cursor

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is returned for a cursor this server did not make.
var ErrInvalid = errors.New("cursor is not valid")

// maxLen bounds what a client may send; the spec allows 512 characters.
const maxLen = 512

// version prefixes every cursor so the format can change without misreading old ones.
const version = "1"

// Encode joins the keys into a URL-safe opaque string.
func Encode(keys ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(version + "\x1f" + strings.Join(keys, "\x1f")))
}

// Decode returns the n (at least one) keys held by c, or ErrInvalid.
func Decode(c string, n int) ([]string, error) {
	if n < 1 || c == "" || len(c) > maxLen {
		return nil, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !utf8.Valid(raw) {
		return nil, ErrInvalid
	}
	parts := strings.Split(string(raw), "\x1f")
	if len(parts) != n+1 || parts[0] != version {
		return nil, ErrInvalid
	}
	for _, p := range parts[1:] {
		if p == "" {
			return nil, ErrInvalid
		}
	}
	return parts[1:], nil
}
