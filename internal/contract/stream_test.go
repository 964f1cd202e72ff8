package contract

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/app"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/store/storetest"
)

// sseEvent is one Server-Sent Event as a client reads it; a comment is an event with
// comment set.
type sseEvent struct {
	id, event, data, comment string
}

// liveStream is an open stream read line by line by a plain net/http client.
type liveStream struct {
	t      *testing.T
	resp   *http.Response
	cancel context.CancelFunc
	events chan sseEvent
}

// openStream connects to path with token and extra headers; it fails unless the hub
// answers 200 with text/event-stream.
func (h *hub) openStream(t *testing.T, path, token string, headers ...string) *liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", h.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &liveStream{t: t, resp: resp, cancel: cancel, events: make(chan sseEvent, 1024)}
	go s.read()
	t.Cleanup(s.close)
	return s
}

func (s *liveStream) read() {
	defer close(s.events)
	sc := bufio.NewScanner(s.resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				s.events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(strings.TrimPrefix(line, ":"))
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
}

func (s *liveStream) close() {
	s.cancel()
	_ = s.resp.Body.Close()
}

// next is the next event (comments skipped), failing after wait.
func (s *liveStream) next(wait time.Duration) sseEvent {
	s.t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatal("the stream ended")
			}
			if ev.comment != "" {
				continue
			}
			return ev
		case <-timer.C:
			s.t.Fatalf("no event within %s", wait)
		}
	}
}

// until reads events until one of type typ arrives, and returns all read.
func (s *liveStream) until(typ string) []sseEvent {
	s.t.Helper()
	var out []sseEvent
	for {
		ev := s.next(10 * time.Second)
		out = append(out, ev)
		if ev.event == typ {
			return out
		}
	}
}

// quiet fails if an event (not a comment) arrives within wait.
func (s *liveStream) quiet(wait time.Duration) {
	s.t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			if ev.comment == "" {
				s.t.Fatalf("unexpected event %s %s", ev.event, ev.data)
			}
		case <-timer.C:
			return
		}
	}
}

func typesOf(evs []sseEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.event
	}
	return out
}

func (h *hub) agentToken() string {
	return h.token(auth.Claims{Subject: "agent-alice", Roles: []auth.Role{auth.Agent}, Tier: 1})
}

// contactFor records a phone contact about council tax for a new customer, returning
// the customer's and the case's ids.
func contactFor(t *testing.T, h *hub, family string) (customerID, caseID string) {
	t.Helper()
	ag := h.agent()
	c := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr(family)})
	got := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &c.Id})
	cs, err := got.Case.Get()
	if err != nil {
		t.Fatal("no case")
	}
	return c.Id.String(), cs.Id.String()
}

func TestStream_AChangeMadeAfterConnectingArrivesWithItsId(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		s := h.openStream(t, "/v1/events/stream", h.agentToken())
		customerID, caseID := contactFor(t, h, "Okafor")
		got := s.until("case.opened")
		if !slices.Contains(typesOf(got), "contact.recorded") && s.until("contact.recorded") == nil {
			t.Fatal("no contact.recorded")
		}
		ev := got[len(got)-1]
		var msg struct {
			ID, Type, CustomerID, CaseID string
		}
		if err := json.Unmarshal([]byte(ev.data), &msg); err != nil {
			t.Fatal(err)
		}
		if msg.Type != "case.opened" || msg.CaseID != caseID || msg.CustomerID != customerID {
			t.Fatalf("case.opened = %+v, want the case %s of %s", msg, caseID, customerID)
		}
		if _, err := uuid.Parse(msg.ID); err != nil {
			t.Fatalf("event id %q: %v", msg.ID, err)
		}
		// The stream's id is the outbox's number for the message: resuming from it names
		// a place in commit order, and every event of an unfiltered stream is numbered
		// one after another.
		var held string
		if err := h.app.DB.Get(&held, h.app.DB.Rebind("SELECT id FROM outbox WHERE seq = ?"), ev.id); err != nil || held != msg.ID {
			t.Fatalf("stream id %q: the outbox numbers %q so (%v), want %s", ev.id, held, err, msg.ID)
		}
		for i := 1; i < len(got); i++ {
			if seqOf(t, got[i]) != seqOf(t, got[i-1])+1 {
				t.Fatalf("unfiltered stream ids %v are not consecutive", idsOf(got))
			}
		}
	})
}

func seqOf(t *testing.T, ev sseEvent) int64 {
	t.Helper()
	n, err := strconv.ParseInt(ev.id, 10, 64)
	if err != nil {
		t.Fatalf("stream id %q is not a number: %v", ev.id, err)
	}
	return n
}

func idsOf(evs []sseEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.id
	}
	return out
}

// eventID is the event's own id, from a staff stream event's data.
func eventID(t *testing.T, ev sseEvent) string {
	t.Helper()
	var m struct{ ID string }
	if err := json.Unmarshal([]byte(ev.data), &m); err != nil || m.ID == "" {
		t.Fatalf("event %s carries no id: %v %s", ev.event, err, ev.data)
	}
	return m.ID
}

func TestStream_FiltersSendOnlyWhatTheyName(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.agentToken()
		byType := h.openStream(t, "/v1/events/stream?type=case.opened,case.resolved", tok)
		_, firstCase := contactFor(t, h, "First")
		if ev := byType.next(10 * time.Second); ev.event != "case.opened" || !strings.Contains(ev.data, firstCase) {
			t.Fatalf("type filter sent %s %s, want case.opened of %s", ev.event, ev.data, firstCase)
		}
		// The first case's events are out; the stream of that case hears none of the second's.
		byCase := h.openStream(t, "/v1/events/stream?caseId="+firstCase, tok)
		_, secondCase := contactFor(t, h, "Second")
		if ev := byType.next(10 * time.Second); ev.event != "case.opened" || !strings.Contains(ev.data, secondCase) {
			t.Fatalf("type filter sent %s %s, want case.opened of %s", ev.event, ev.data, secondCase)
		}
		byCase.quiet(500 * time.Millisecond)
		ag := h.agent()
		ag.AddCaseNoteWithResponse(ctx, uuid.MustParse(firstCase), nil, contacthub.NoteCreate{Text: "called back"})
		if ev := byCase.next(10 * time.Second); ev.event != "case.note" || !strings.Contains(ev.data, firstCase) {
			t.Fatalf("case filter sent %s %s, want the first case's note", ev.event, ev.data)
		}

		for _, bad := range []struct{ query, field string }{
			{"type=case.opened&type=case.exploded", "type"}, {"queue=advisors,nowhere", "queue"}, {"caseId=42", "caseId"}, {"customerId=42", "customerId"},
		} {
			resp, body := h.raw("GET", "/v1/events/stream?"+bad.query, tok, "", nil)
			p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value")
			if !slices.Contains(fieldsOf(p), bad.field) {
				t.Fatalf("%s: problem names %v, want %s", bad.query, fieldsOf(p), bad.field)
			}
		}
	})
}

func TestStream_ResumingWithLastEventIDSendsExactlyWhatWasMissed(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.agentToken()
		s := h.openStream(t, "/v1/events/stream", tok)
		contactFor(t, h, "Before")
		seen := s.until("case.opened")
		last := seen[len(seen)-1].id
		s.close()

		contactFor(t, h, "Missed")
		contactFor(t, h, "AlsoMissed")
		// What was missed: every event the outbox numbered after last (the first
		// contact's later events too), once the dispatcher has numbered the second
		// contact's case.opened.
		want := numberedAfter(t, h, seqOf(t, seen[len(seen)-1]), 2)

		for _, how := range []string{"header", "query"} {
			var again *liveStream
			if how == "header" {
				again = h.openStream(t, "/v1/events/stream", tok, "Last-Event-ID", last)
			} else {
				again = h.openStream(t, "/v1/events/stream?lastEventId="+last, tok)
			}
			var got []string
			for range want {
				got = append(got, eventID(t, again.next(10*time.Second)))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: resumed with %v, want %v", how, got, want)
			}
			_, liveCase := contactFor(t, h, "Live"+how)
			ev := again.next(10 * time.Second)
			if slices.Contains(want, eventID(t, ev)) {
				t.Fatalf("%s: after the replay came %s again", how, eventID(t, ev))
			}
			after := append([]sseEvent{ev}, again.until("case.opened")...)
			if !strings.Contains(after[len(after)-1].data, liveCase) {
				t.Fatalf("%s: live after the replay: %v", how, typesOf(after))
			}
			// The next way resumes from the same id: it misses these too.
			want = numberedAfter(t, h, seqOf(t, seen[len(seen)-1]), 3)
			again.close()
		}
	})
}

// numberedAfter waits until the outbox has numbered cases case.opened messages after
// seq, then lists the event ids of every message numbered after seq, in number order.
func numberedAfter(t *testing.T, h *hub, seq int64, cases int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var rows []struct {
			ID    string `db:"id"`
			Topic string `db:"topic"`
		}
		if err := h.app.DB.Select(&rows, h.app.DB.Rebind("SELECT id, topic FROM outbox WHERE seq > ? ORDER BY seq"), seq); err != nil {
			t.Fatal(err)
		}
		opened := 0
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			if r.Topic == "case.opened" {
				opened++
			}
		}
		if opened >= cases {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox numbered %d case.opened after %d, want %d", opened, seq, cases)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStream_AnIDNoLongerHeldStartsWithReset(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		// A number the hub never gave (as if purged), and an id of the hub's earlier
		// UUID form: both start with a reset, then the stream reads on live.
		for _, old := range []string{"999999999", uuid.Must(uuid.NewV7()).String()} {
			s := h.openStream(t, "/v1/events/stream", h.agentToken(), "Last-Event-ID", old)
			ev := s.next(10 * time.Second)
			if ev.event != "reset" || ev.id != "" || !strings.Contains(ev.data, "reason") {
				t.Fatalf("%s: first event %+v, want reset", old, ev)
			}
			contactFor(t, h, "AfterReset")
			s.until("case.opened")
			s.close()
		}
	})
}

func TestStream_HeartbeatsKeepAnIdleStreamOpen(t *testing.T) {
	for _, b := range backends(t)[:1] {
		h := startHub(t, b, func(c *config.Config) { c.StreamHeartbeat = 50 * time.Millisecond })
		s := h.openStream(t, "/v1/events/stream", h.agentToken())
		beats := 0
		deadline := time.After(5 * time.Second)
		for beats < 3 {
			select {
			case ev := <-s.events:
				if ev.comment == "keep-alive" { // a fresh hub's own events (its first rules) may come too
					beats++
				}
			case <-deadline:
				t.Fatalf("%d heartbeats in 5 s", beats)
			}
		}
	}
}

func TestStream_AResidentHearsOnlyTheirOwnCasesInTheirWords(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		amara := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		s := h.openStream(t, "/v1/me/events/stream",
			h.token(auth.Claims{Subject: "res-a", Roles: []auth.Role{auth.Citizen}, CustomerID: amara.Id.String()}))

		contactFor(t, h, "SomeoneElse")
		raised, err := citizen(h, amara.Id).ContactFromMyAccountWithResponse(ctx, nil,
			contacthub.MyContactCreate{Service: contacthub.Service{Lgsl: 59}, Summary: ptr("I live alone now")})
		if err != nil || raised.JSON201 == nil {
			t.Fatalf("raise: %v %s", err, raised.Body)
		}
		caseID := raised.JSON201.Case.Id
		ag.AddCaseNoteWithResponse(ctx, caseID, nil, contacthub.NoteCreate{Text: "INTERNAL: check for fraud markers"})
		ag.AddCaseNoteWithResponse(ctx, caseID, nil, contacthub.NoteCreate{Text: "Please send a copy of your tenancy agreement.", Internal: ptr(false)})

		var summaries []string
		for len(summaries) < 3 {
			ev := s.next(10 * time.Second)
			for _, secret := range []string{"INTERNAL", "fraud", "agent-alice", "queue", "tier", "SomeoneElse", "actor"} {
				if strings.Contains(ev.data, secret) {
					t.Fatalf("a resident's stream leaks %q: %s", secret, ev.data)
				}
			}
			var got contacthub.CitizenEvent
			if err := json.Unmarshal([]byte(ev.data), &got); err != nil || got.Kind != ev.event || ev.id == "" {
				t.Fatalf("event %+v: %v", ev, err)
			}
			summaries = append(summaries, got.Summary)
		}
		want := []string{"We opened your enquiry", "You contacted us online", "Message from the council: Please send a copy of your tenancy agreement."}
		slices.Sort(summaries)
		slices.Sort(want)
		if !slices.Equal(summaries, want) {
			t.Fatalf("summaries %q, want %q", summaries, want)
		}
		s.quiet(300 * time.Millisecond)
	})
}

func TestStream_AChangeOnAnotherReplicaReachesTheStream(t *testing.T) {
	for _, b := range backends(t) {
		if b.RedisURL == "" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			other := startHub(t, b, nil)
			a := listeningReplica(t, other.cfg)
			s := a.openStream(t, "/v1/events/stream", a.agentToken())
			_, caseID := contactFor(t, other, "OnReplicaB")
			got := s.until("case.opened")
			if !strings.Contains(got[len(got)-1].data, caseID) {
				t.Fatalf("replica A's stream heard %v, not the case %s made on B", typesOf(got), caseID)
			}
		})
	}
}

func TestStream_GracefulShutdownEndsOpenStreams(t *testing.T) {
	b := backends(t)[0]
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = storetest.FreshURL(t, b)
	cfg.RedisURL, cfg.RedisPrefix = b.RedisURL, storetest.RedisPrefix(t, b)
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.StreamHeartbeat = 50 * time.Millisecond
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = l.Addr().String()
	l.Close()
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	h := &hub{t: t, url: "http://" + cfg.Addr, app: a, cfg: cfg}
	if h.key, err = auth.LoadOrCreateDevKey(cfg.DevKeyPath()); err != nil {
		t.Fatal(err)
	}
	var s *liveStream
	for range 50 { // until it listens
		if c, err := net.Dial("tcp", cfg.Addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s = h.openStream(t, "/v1/events/stream", h.agentToken())
	for ev := range s.events { // until the stream is surely being served
		if ev.comment == "keep-alive" {
			break
		}
	}
	began := time.Now()
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(cfg.ShutdownTimeout + time.Second):
		t.Fatal("the shutdown waited on an open stream")
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("shutdown took %s with a stream open", took)
	}
	for range s.events { // the stream has ended: its reader sees the end
	}
}

// listeningReplica is a replica of cfg's hub that publishes nothing itself (no outbox
// dispatcher): what its streams hear came over the bus from another replica.
func listeningReplica(t *testing.T, cfg config.Config) *hub {
	t.Helper()
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	go a.Streams.Run(ctx, a.Bus.Subscribe(ctx))
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { stop(); srv.Close(); a.Close() })
	h := &hub{t: t, url: srv.URL, app: a, cfg: cfg}
	if h.key, err = auth.LoadOrCreateDevKey(cfg.DevKeyPath()); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStream_OutlivesTheServersReadAndWriteTimeouts(t *testing.T) {
	h := startHub(t, backends(t)[0], func(c *config.Config) { c.StreamHeartbeat = 50 * time.Millisecond })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// As app.Serve sets them, shortened: a stream must not end with them.
	srv := &http.Server{Handler: h.app.Handler(), ReadHeaderTimeout: time.Second, ReadTimeout: 200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	direct := *h
	direct.url = "http://" + l.Addr().String()
	s := direct.openStream(t, "/v1/events/stream", h.agentToken())
	until := time.Now().Add(time.Second)
	for time.Now().Before(until) {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("the stream ended with the server's timeouts")
			}
			_ = ev // heartbeats, and perhaps the fresh hub's first rules
		case <-time.After(time.Second):
			t.Fatal("the stream went quiet")
		}
	}
	contactFor(t, h, "AfterTimeouts")
	s.until("case.opened")
}

// An event a desktop receives is a read of that customer's data: when a stream ends (and
// once a minute while it runs) it adds one audit entry naming each customer it showed,
// as the request that opened it (subject, purpose, request id). A stream filtered away
// from someone records nothing about them.
func TestStream_WhomAStreamShowedIsAudited(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := newPrivacyWorld(h)
		all := h.openStream(t, "/v1/events/stream?type=case.opened", h.agentToken(), "X-Purpose", "duty desk")
		elsewhere := h.openStream(t, "/v1/events/stream?customerId=0193a6f0-0000-7000-8000-00000000beef", h.agentToken())
		customerID, _ := contactFor(t, h, "Streamed")
		all.until("case.opened")
		elsewhere.quiet(300 * time.Millisecond)
		all.close()
		elsewhere.close()

		var entries []map[string]any
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if entries = streamEntries(w.auditOf(t, "customerId="+customerID)); len(entries) > 0 {
				break
			}
		}
		if len(entries) != 1 {
			t.Fatalf("audit entries of the stream about the customer: %v, want one (the filtered stream showed them nothing)", entries)
		}
		e := entries[0]
		if e["subject"] != "agent-alice" || e["action"] != "read" || e["purpose"] != "duty desk" ||
			e["resource"] != "/v1/events/stream" || e["requestId"] == "" {
			t.Fatalf("stream audit entry %v: want agent-alice reading /v1/events/stream for the duty desk, with the request id", e)
		}
		if ids, _ := e["customerIds"].([]any); len(ids) != 1 || ids[0] != customerID {
			t.Fatalf("customerIds %v, want only %s", e["customerIds"], customerID)
		}
	})
}

func streamEntries(entries []map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range entries {
		if e["operation"] == "streamEvents" {
			out = append(out, e)
		}
	}
	return out
}
