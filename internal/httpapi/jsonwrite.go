package httpapi

import (
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The appenders below write the few JSON values a timeline page is made of, byte for
// byte as encoding/json writes them (HTML-safe escaping included), without its
// reflection and without re-scanning data already known to be JSON. A fifty-event page
// through encoding/json cost about a fifth of a timeline read's CPU (BENCHMARKS.md,
// issue 19); TestTimelinePage_BytesAsEncodingJSON and its fuzz test hold the sameness.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json's HTML-safe encoder does: <, > and & as
// \u003c, \u003e, \u0026; invalid UTF-8 as \ufffd; U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCompactJSON appends src, which must already be valid JSON (the caller has
// checked), as encoding/json writes a json.RawMessage: insignificant white space
// dropped (PostgreSQL's jsonb text has a space after each ':' and ','), and <, >, &,
// U+2028 and U+2029 escaped. It does not check src again; that is the saving.
func appendCompactJSON(b, src []byte) []byte {
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString && escaped:
			escaped = false
			continue
		case inString && c == '\\':
			escaped = true
			continue
		case inString && c == '"':
			inString = false
			continue
		case !inString && c == '"':
			inString = true
			continue
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			b = append(b, src[start:i]...)
			start = i + 1
			continue
		case c == '<' || c == '>' || c == '&':
			b = append(b, src[start:i]...)
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8:
			b = append(b, src[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[src[i+2]&0xF])
			i += 2
			start = i + 1
		}
	}
	return append(b, src[start:]...)
}

// appendUUID appends u quoted in its canonical form, as its MarshalText writes it.
func appendUUID(b []byte, u uuid.UUID) []byte {
	b = append(b, '"')
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0xF])
	}
	return append(b, '"')
}

var errYearOutOfRange = errors.New("json: timestamp year outside of range [0,9999]")

// appendJSONTime appends t as time.Time's MarshalJSON does (RFC 3339 with nanoseconds).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, errYearOutOfRange
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// bodyBuffers are reused response bodies: a timeline page is tens of kilobytes, which
// allocated afresh for each read kept the garbage collector busy.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// maxPooledBody keeps an unusually large body's buffer from being held for ever.
const maxPooledBody = 256 << 10
