package httpapi

import (
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
