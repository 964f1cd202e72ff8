package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/stream"
)

func TestResidentFrame_ShowsWhatTheResidentSeesAndNothingInternal(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	staff := event.Actor{Subject: "agent-alice", Role: "agent"}
	for _, tc := range []struct {
		name, typ, data string
		want            string // the summary; "" when nothing is sent
	}{
		{"opened", "case.opened", `{"service":58,"queue":"fraud","tier":3}`, "We opened your enquiry"},
		{"note for them", "case.note", `{"text":"Please send your tenancy agreement.","internal":false}`,
			"Message from the council: Please send your tenancy agreement."},
		{"internal note", "case.note", `{"text":"INTERNAL: fraud markers","internal":true}`, ""},
		{"note without its flag", "case.note", `{"text":"who knows"}`, ""},
		{"claimed", "case.claimed", `{"queue":"fraud"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := event.Message{ID: "0193a6f0-5c1e-7b2a-9d4e-2f1c3b8a7e10", Type: tc.typ, OccurredAt: at, CustomerID: "c", CaseID: "k",
				Queue: "fraud", Actor: staff, Data: json.RawMessage(tc.data)}
			f, shown := residentFrame(stream.Entry{Seq: 7, Message: m})
			if shown != (tc.want != "") {
				t.Fatalf("shown = %v, want %v", shown, tc.want != "")
			}
			if !shown {
				return
			}
			var got map[string]any
			if err := json.Unmarshal(f.data, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"kind": tc.typ, "occurredAt": "2026-11-30T10:00:00Z", "summary": tc.want}
			if d := cmp.Diff(want, got); d != "" || f.id != "7" || f.event != tc.typ {
				t.Fatalf("frame %s %s (-want +got):\n%s", f.id, f.event, d)
			}
		})
	}
}

func TestSSEWriter_WritesOneEventPerBlankLineWithOneLineOfData(t *testing.T) {
	m := event.Message{ID: "id-1", Type: "case.opened", Data: json.RawMessage("{\n  \"a\": 1\n}")}
	f, ok := staffFrame(stream.Entry{Seq: 41, Message: m})
	if !ok {
		t.Fatal("not framed")
	}
	rec := httptest.NewRecorder()
	out := &sseWriter{w: rec, rc: http.NewResponseController(rec)}
	out.write(f)
	out.write(frame{event: "reset", data: resetData})
	out.comment("keep-alive")
	if err := out.flush(); err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(rec.Body.String(), "\n\n")
	if len(blocks) != 4 || blocks[3] != "" {
		t.Fatalf("want three blocks each ended by a blank line: %q", rec.Body.String())
	}
	lines := strings.Split(blocks[0], "\n")
	if len(lines) != 3 || lines[0] != "id: 41" || lines[1] != "event: case.opened" ||
		!strings.HasPrefix(lines[2], `data: {"id":"id-1","type":"case.opened"`) || !strings.HasSuffix(lines[2], `"data":{"a":1}}`) {
		t.Fatalf("event block %q", blocks[0])
	}
	if !strings.HasPrefix(blocks[1], "event: reset\ndata: {") || strings.Contains(blocks[1], "id:") {
		t.Fatalf("reset block %q", blocks[1])
	}
	if blocks[2] != ": keep-alive" {
		t.Fatalf("heartbeat %q", blocks[2])
	}
}

// outboxOf holds messages 1..n for a stream or a broker to read back.
type outboxOf struct{ n int64 }

func (o outboxOf) Held(_ context.Context, seq int64) (bool, error) {
	return seq >= 1 && seq <= o.n, nil
}
func (o outboxOf) Latest(context.Context) (int64, error) { return o.n, nil }
func (o outboxOf) After(_ context.Context, seq int64, limit int) ([]stream.Entry, error) {
	var out []stream.Entry
	for i := seq + 1; i <= o.n && len(out) < limit; i++ {
		out = append(out, stream.Entry{Seq: i, Message: event.Message{ID: fmt.Sprintf("ev-%d", i), Type: "case.note"}})
	}
	return out, nil
}

// A stream placed before its replica's broker (opened while the replica starts) can be
// handed a number with others missing before it: it reads those back from the outbox
// and sends every number once, in order, rather than skip them.
func TestLive_ReadsBackWhatTheBrokerWasPlacedAfter(t *testing.T) {
	broker := stream.NewBroker(10, outboxOf{n: 4}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bus := make(chan outbox.Message)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go broker.Run(ctx, bus)
	sub, err := broker.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	streamCtx, stop := context.WithCancel(ctx)
	fifth := make(chan struct{})
	s := &sse{sub: sub, replay: outboxOf{n: 5}, heartbeat: time.Hour, ctx: streamCtx, last: 2,
		framing: func(e stream.Entry) (frame, bool) {
			if e.Seq == 5 {
				close(fifth)
			}
			return staffFrame(e)
		}}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { _ = s.live(&sseWriter{w: rec, rc: http.NewResponseController(rec)}); close(done) }()
	raw, _ := json.Marshal(event.Message{ID: "ev-5", Type: "case.note"})
	bus <- outbox.Message{ID: "ev-5", Payload: raw, Seq: 5} // the broker was placed at 4
	select {
	case <-fifth:
	case <-time.After(5 * time.Second):
		t.Error("message 5 was never sent")
	}
	stop()
	<-done
	var ids []string
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			ids = append(ids, id)
		}
	}
	if strings.Join(ids, ",") != "3,4,5" {
		t.Fatalf("stream sent ids %v, want 3,4,5", ids)
	}
}
