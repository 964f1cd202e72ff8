package cursor

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode_RoundTripsWhatEncodeMade(t *testing.T) {
	keys := []string{"2026-11-23T10:00:00.123456Z", "0193a1b2-0000-7000-8000-000000000001"}
	got, err := Decode(Encode(keys...), 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keys, got); diff != "" {
		t.Fatalf("keys differ (-want +got):\n%s", diff)
	}
}

func TestDecode_RejectsWhatItDidNotMake(t *testing.T) {
	for name, c := range map[string]string{
		"empty":         "",
		"not base64":    "!!!",
		"wrong count":   Encode("a"),
		"empty key":     Encode("a", ""),
		"old version":   "MAphAGI",
		"too long":      string(make([]byte, 600)),
		"plain padding": "YQ==",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(c, 2); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%q) = %v, want ErrInvalid", c, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode("2026-01-01T00:00:00Z", "id"), 2)
	f.Add("", 1)
	f.Add("MQ", 0)
	f.Add("%%%", 3)
	f.Fuzz(func(t *testing.T, c string, n int) {
		if n < 0 || n > 8 {
			return
		}
		keys, err := Decode(c, n)
		if err != nil {
			return
		}
		if len(keys) != n {
			t.Fatalf("got %d keys, want %d", len(keys), n)
		}
		again, err := Decode(Encode(keys...), n)
		if err != nil || !cmp.Equal(keys, again) {
			t.Fatalf("re-encoding %q does not round-trip: %v", keys, err)
		}
	})
}
