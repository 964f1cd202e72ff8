package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/internal/timeline"
)

// encodingJSON is what the timeline answer was before it was written by hand.
func encodingJSON(t testing.TB, p timelinePage) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pageOf(t testing.TB, kind, subject, role, cursor string, data []byte, at time.Time) timelinePage {
	t.Helper()
	wire, err := toTimelineWire(timeline.Page{NextCursor: cursor, Items: []timeline.Event{
		{ID: uuid.NewString(), CaseID: uuid.NewString(), Kind: kind, Actor: timeline.Actor{Subject: subject, Role: role}, Raw: data, OccurredAt: at},
		{ID: uuid.NewString(), CustomerID: uuid.NewString(), Kind: kind, Raw: data, OccurredAt: at.Add(-time.Nanosecond)},
		{ID: uuid.NewString(), Kind: kind, Data: map[string]any{"k": subject}, OccurredAt: at.Add(-time.Hour)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

func TestTimelinePage_BytesAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 30, 0, 5000, time.UTC)
	for name, tc := range map[string]struct {
		kind, subject, cursor string
		data                  string
	}{
		"plain":                         {"case.note", "agent-1", "", `{"text":"called back","n":3.5}`},
		"as PostgreSQL's jsonb text":    {"case.note", "agent-1", "abc", `{"n": 3.5, "list": [1, 2, {"a": "x y"}], "t": true}`},
		"white space in strings kept":   {"k", "s", "", "{\"a\" :\t\"  two  spaces \",\n\r \"b\": \"\\\" \\\\\" }"},
		"markup escaped":                {"<b>&", "a<b>c&d", "<x>", `{"html": "<script>&amp;</script>", "<k>": 1}`},
		"line and paragraph separators": {"k\u2028", "s\u2029", "", "{\"a\": \"x\u2028y\u2029z\"}"},
		"control characters":            {"k\x00\x01\x1f", "a\b\f\n\r\t\"\\b", "c\x7f", `{"a": "\n\u0000\t"}`},
		"invalid UTF-8 in strings":      {"k\xff", "a\xc3(", "\xed\xa0\x80", `{}`},
		"non-ASCII":                     {"ünïcödé", "日本語", "🙂", `{"a": "ü日🙂"}`},
		"empty data, empty strings":     {"", "", "", `{}`},
		"array and scalars":             {"k", "s", "", `[1, "two", null, false, -0.5e10]`},
	} {
		t.Run(name, func(t *testing.T) {
			p := pageOf(t, tc.kind, tc.subject, "agent", tc.cursor, []byte(tc.data), at)
			got, err := p.appendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := encodingJSON(t, p); !bytes.Equal(got, want) {
				t.Errorf("not the bytes encoding/json writes:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestTimelinePage_AYearPastEncodingJSONsRangeIsAnError(t *testing.T) {
	p := pageOf(t, "k", "s", "r", "", []byte(`{}`), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, err := p.appendJSON(nil); err == nil {
		t.Fatal("a year encoding/json refuses was written")
	}
}

func FuzzTimelinePage_BytesAsEncodingJSON(f *testing.F) {
	f.Add("case.note", "agent-1", "cursor", `{"a": [1, "x y", {"b": null}]}`, int64(0))
	f.Add("<k>", "s\u2028", "\xff", "{\"a\":\"<&>\u2029\"}", int64(1e18))
	f.Add("k", "\x00", "", `"just a string"`, int64(-5))
	f.Fuzz(func(t *testing.T, kind, subject, cursor, data string, nanos int64) {
		if !json.Valid([]byte(data)) {
			t.Skip() // toPage refuses stored data that is not JSON
		}
		at := time.Unix(0, nanos).UTC()
		p := pageOf(t, kind, subject, "agent", cursor, []byte(data), at)
		got, err := p.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, p); !bytes.Equal(got, want) {
			t.Errorf("not the bytes encoding/json writes:\n got %q\nwant %q", got, want)
		}
	})
}

func BenchmarkTimelinePage(b *testing.B) {
	events := make([]timeline.Event, 50)
	for i := range events {
		events[i] = timeline.Event{ID: uuid.NewString(), CaseID: uuid.NewString(), CustomerID: uuid.NewString(), Kind: "contact.recorded",
			Actor: timeline.Actor{Subject: "agent-7", Role: "agent"}, OccurredAt: time.Now().UTC(),
			Raw: []byte(`{"channel": "phone", "service": {"lgsl": 58, "name": "Council tax"}, "contactId": "0193a0c4-7d2e-7b7a-9c1e-5f7d3c2b1a09", "avoidable": false}`)}
	}
	p, err := toTimelineWire(timeline.Page{Items: events, NextCursor: "next"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			_ = json.NewEncoder(&buf).Encode(p)
		}
	})
	b.Run("by hand", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = p.appendJSON(buf[:0])
		}
	})
}

func TestTimelinePage_SentWithItsLengthInOneWrite(t *testing.T) {
	events := make([]timeline.Event, 50)
	for i := range events {
		events[i] = timeline.Event{ID: uuid.NewString(), CaseID: uuid.NewString(), Kind: "contact.recorded",
			Raw: []byte(`{"channel": "phone", "service": {"lgsl": 58}}`), OccurredAt: time.Now().UTC()}
	}
	p, err := toTimelineWire(timeline.Page{Items: events})
	if err != nil {
		t.Fatal(err)
	}
	rec := &countingRecorder{ResponseRecorder: httptest.NewRecorder()}
	if err := p.VisitGetCaseTimelineResponse(rec); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.Bytes()
	if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(len(body)); got != want {
		t.Errorf("Content-Length %q for a body of %s bytes (without it a page over 2 KB goes out chunked)", got, want)
	}
	if rec.writes != 1 {
		t.Errorf("the page was written in %d writes, not one", rec.writes)
	}
	if !bytes.Equal(body, encodingJSON(t, p)) {
		t.Error("the body is not the page's JSON")
	}
}

type countingRecorder struct {
	*httptest.ResponseRecorder
	writes int
}

func (c *countingRecorder) Write(b []byte) (int, error) {
	c.writes++
	return c.ResponseRecorder.Write(b)
}
