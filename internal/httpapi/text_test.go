package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBadJSONText_NamesEachFieldHoldingNULOrInvalidUTF8(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []fieldError
	}{
		"clean":              {`{"a":"b","c":["d"]}`, nil},
		"literal backslash":  {`{"a":"\\u0000"}`, nil},
		"NUL at the top":     {`{"a":"x\u0000"}`, []fieldError{{"a", hasNUL}}},
		"NUL in a list":      {`{"a":{"b":["ok","\u0000"]}}`, []fieldError{{"a.b[1]", hasNUL}}},
		"NUL in a key":       {`{"a\u0000":1}`, []fieldError{{"a\x00", hasNUL}}},
		"invalid UTF-8":      {"{\"a\":\"ok\",\"b\":\"\xff\"}", []fieldError{{"b", notUTF8}}},
		"invalid UTF-8 only": {"{\"\xff\":1}", []fieldError{{"\ufffd", notUTF8}}},
		"not JSON":           {"{\"a\":\x00}", nil},
	} {
		got := badJSONText("application/json; charset=utf-8", []byte(tc.body))
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(fieldError{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func FuzzBadJSONText(f *testing.F) {
	for _, seed := range []string{`{"a":"b"}`, `{"a":"\u0000"}`, "{\"a\":\"\xff\"}", `[1,{"x":["\u0000"]}]`, ``} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, fe := range badJSONText("application/json", []byte(body)) {
			if fe.Message == "" {
				t.Fatalf("an error without a message for %q", body)
			}
		}
	})
}

// A body is read from the client once: the idempotency fingerprint and the validator get
// the same bytes, and whoever reads next (the handler) still gets the whole body.
func TestRawBody_ReadsOnceAndHandsTheBodyOn(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/v1/contacts", strings.NewReader(`{"channel":"phone"}`))
	first, err := rawBody(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(req.Body) // as the validator would
	second, err := rawBody(req)
	if err != nil || string(second) != string(first) || &second[0] != &first[0] {
		t.Fatalf("second read: %q %v (not the bytes held)", second, err)
	}
	if rest, _ := io.ReadAll(req.Body); string(rest) != `{"channel":"phone"}` {
		t.Fatalf("the handler would read %q", rest)
	}
}
