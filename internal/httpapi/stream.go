package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/stream"
	"github.com/council/contacthub/internal/timeline"
)

// The live streams (GET /v1/events/stream, GET /v1/me/events/stream) are Server-Sent
// Events whose ids are the outbox's message numbers (numbered in commit order, without
// gaps). A stream subscribes to this replica's broker first, then replays from the
// outbox what the client missed (after its Last-Event-ID, or nothing after the latest
// number when it starts afresh), then sends live messages, skipping those the replay
// already sent: no gap, no repeat. It holds no database connection
// while it waits, is outside the admission bound (the broker bounds streams itself),
// is cut off when it falls behind, and ends when the hub shuts down.

// EventStreams opens live streams of the bus's messages.
type EventStreams interface {
	Subscribe() (*stream.Subscription, error)
}

// EventReplay reads missed messages back from the outbox.
type EventReplay interface {
	Held(ctx context.Context, seq int64) (bool, error)
	Latest(ctx context.Context) (int64, error)
	After(ctx context.Context, seq int64, limit int) ([]stream.Entry, error)
}

// Streams is what the live streams need.
type Streams struct {
	Live      EventStreams
	Replay    EventReplay
	Heartbeat time.Duration // between keep-alive comments; 0: 15 s
}

// longLived are the routes of streams: outside the admission bound of ordinary requests.
var longLived = map[string]bool{"/v1/events/stream": true, "/v1/me/events/stream": true}

// streamAuditEvery is how often a stream records whom it showed: an event a desktop
// receives is a read of that customer's data, and one entry per stream per minute,
// listing each customer once, keeps the audit the size of the people shown rather than
// of the events.
const streamAuditEvery = time.Minute

// streamWriteWindow is how long one write to a stream may take before the client is
// taken to be gone (it replaces the server's WriteTimeout, which would end every stream).
const streamWriteWindow = 30 * time.Second

func (h *handlers) StreamEvents(ctx context.Context, req api.StreamEventsRequestObject) (api.StreamEventsResponseObject, error) {
	p := req.Params
	f, err := h.streamFilter(p)
	if err != nil {
		return nil, err
	}
	s, err := h.openStream(ctx, lastEventID(p.LastEventID, p.LastEventId), func(e stream.Entry) (frame, bool) {
		if !f.Match(e.Message) {
			return frame{}, false
		}
		return staffFrame(e)
	})
	if err != nil {
		return nil, err
	}
	return eventStream{s}, nil
}

func (h *handlers) StreamMyEvents(ctx context.Context, req api.StreamMyEventsRequestObject) (api.StreamMyEventsResponseObject, error) {
	me, err := h.myRecord(ctx)
	if err != nil {
		return nil, err
	}
	caseIDs, err := h.caseIDsOf(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	mine := stream.NewResident(me.ID, caseIDs)
	p := req.Params
	s, err := h.openStream(ctx, lastEventID(p.LastEventID, p.LastEventId), func(e stream.Entry) (frame, bool) {
		if !mine.Match(e.Message) {
			return frame{}, false
		}
		return residentFrame(e)
	})
	if err != nil {
		return nil, err
	}
	return myEventStream{s}, nil
}

// caseIDsOf lists the ids of a customer's cases, a page per query.
func (h *handlers) caseIDsOf(ctx context.Context, customerID string) ([]string, error) {
	var ids []string
	for after := ""; ; {
		page, err := h.cases.List(ctx, casework.Query{CustomerID: customerID, Limit: 200, After: after})
		if err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if after = page.NextCursor; after == "" {
			return ids, nil
		}
	}
}

// streamFilter reads a staff stream's filters; an unknown type or queue is refused.
func (h *handlers) streamFilter(p api.StreamEventsParams) (stream.Filter, error) {
	f := stream.Filter{Types: stream.SplitList(deref(p.Type)), Queues: stream.SplitList(deref(p.Queue)),
		CaseIDs: stream.SplitList(deref(p.CaseId)), CustomerIDs: stream.SplitList(deref(p.CustomerId))}
	var errs fault.Fields
	for _, t := range f.Types {
		if !event.Known(t) {
			errs.Add("type", fmt.Sprintf("%q is not an event type (GET /v1/event-types lists them)", t))
		}
	}
	rules := h.router.Active()
	for _, q := range f.Queues {
		if _, ok := rules.Queue(q); !ok {
			errs.Add("queue", fmt.Sprintf("%q is not a queue of the active rules", q))
		}
	}
	for field, ids := range map[string][]string{"caseId": f.CaseIDs, "customerId": f.CustomerIDs} {
		for i, id := range ids {
			u, err := uuid.Parse(id)
			if err != nil {
				errs.Add(field, "must be UUIDs")
				break
			}
			ids[i] = u.String()
		}
	}
	return f, errs.Err()
}

// lastEventID is where a stream resumes: the header, else the query parameter; "" to
// start afresh.
func lastEventID(header, query *string) string {
	switch {
	case header != nil:
		return strings.TrimSpace(*header)
	case query != nil:
		return strings.TrimSpace(*query)
	}
	return ""
}

// frame is one Server-Sent Event.
type frame struct {
	id, event string
	data      []byte // one line of JSON
}

func staffFrame(e stream.Entry) (frame, bool) {
	data, err := json.Marshal(e.Message)
	if err != nil {
		return frame{}, false
	}
	return frame{id: strconv.FormatInt(e.Seq, 10), event: e.Type, data: data}, true
}

// residentFrame is e as the resident sees it, if they see it at all.
func residentFrame(e stream.Entry) (frame, bool) {
	m := e.Message
	ev := timeline.Event{ID: m.ID, CustomerID: m.CustomerID, CaseID: m.CaseID, Kind: m.Type, Actor: m.Actor,
		Raw: m.Data, OccurredAt: m.OccurredAt}
	summary, shown := timeline.ForResident(ev, residentViews...)
	if !shown {
		return frame{}, false
	}
	data, err := json.Marshal(api.CitizenEvent{Kind: m.Type, OccurredAt: m.OccurredAt, Summary: summary})
	if err != nil {
		return frame{}, false
	}
	return frame{id: strconv.FormatInt(e.Seq, 10), event: m.Type, data: data}, true
}

// sse is one open stream, subscribed and with its first replayed page read.
type sse struct {
	sub       *stream.Subscription
	replay    EventReplay
	heartbeat time.Duration
	ctx       context.Context
	framing   func(stream.Entry) (frame, bool)
	reset     bool           // the resume id is no longer held (or not a number the hub gives)
	page      []stream.Entry // the first page of the replay
	last      int64          // the number the stream has reached
	audit     func(customers []string)
	shown     map[string]bool // customers shown since the last audit entry
	audited   time.Time       // when the last audit entry was made
}

// openStream subscribes, then reads the first page missed since lastID, so that a
// database that does not answer is refused before the stream starts.
func (h *handlers) openStream(ctx context.Context, lastID string, framing func(stream.Entry) (frame, bool)) (*sse, error) {
	if h.streams.Live == nil {
		return nil, errors.New("live streams are not wired")
	}
	sub, err := h.streams.Live.Subscribe()
	switch {
	case errors.Is(err, stream.ErrFull):
		p := newProblem(overloaded, "this replica serves as many live streams as it may; retry after the time in Retry-After")
		p.retryAfter = 5 * time.Second
		return nil, p
	case err != nil:
		p := newProblem(unavailable, "the hub is shutting down; reconnect")
		p.retryAfter = time.Second
		return nil, p
	}
	s := &sse{sub: sub, replay: h.streams.Replay, heartbeat: h.streams.Heartbeat, ctx: ctx, framing: framing,
		audit: shownLater(ctx), shown: map[string]bool{}, audited: time.Now()}
	if s.heartbeat <= 0 {
		s.heartbeat = 15 * time.Second
	}
	if err := s.start(lastID); err != nil {
		sub.Close()
		return nil, err
	}
	return s, nil
}

// start places the stream: after lastID when the outbox still holds it (reading the
// first page of what was missed), else after the latest number, with a reset when the
// client asked to resume from an id the hub cannot resume from (purged, never given,
// or an id of the hub's earlier UUID form).
func (s *sse) start(lastID string) error {
	if lastID != "" {
		seq, err := strconv.ParseInt(lastID, 10, 64)
		held := false
		if err == nil && seq > 0 {
			if held, err = s.replay.Held(s.ctx, seq); err != nil {
				return err
			}
		}
		if held {
			s.last = seq
			s.page, err = s.replay.After(s.ctx, seq, stream.Page)
			return err
		}
		s.reset = true
	}
	var err error
	s.last, err = s.replay.Latest(s.ctx)
	return err
}

type eventStream struct{ s *sse }

func (r eventStream) VisitStreamEventsResponse(w http.ResponseWriter) error { return r.s.serve(w) }

type myEventStream struct{ s *sse }

func (r myEventStream) VisitStreamMyEventsResponse(w http.ResponseWriter) error { return r.s.serve(w) }

// resetData tells a resuming client that what it missed is no longer held.
var resetData = []byte(`{"reason":"the last event id is older than the events the hub still holds (or unknown): reload what you show, then read on"}`)

// serve writes the stream until the client goes, falls behind, or the hub shuts down.
func (s *sse) serve(w http.ResponseWriter) error {
	defer s.sub.Close()
	defer s.recordShown()
	rc := http.NewResponseController(w)
	// The server's read timeout would cancel a long stream's context; it has read all
	// the request there is.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	out := &sseWriter{w: w, rc: rc}
	if err := out.flush(); err != nil {
		return nil // the client went away
	}
	if s.reset {
		out.write(frame{event: "reset", data: resetData})
	}
	if err := s.replayAll(out); err != nil {
		return err
	}
	if err := out.flush(); err != nil {
		return nil
	}
	return s.live(out)
}

// replayAll sends the missed messages, a page at a time, each page one query.
func (s *sse) replayAll(out *sseWriter) error {
	page := s.page
	s.page = nil
	for len(page) > 0 {
		s.send(out, page)
		if err := out.flush(); err != nil {
			return nil
		}
		if len(page) < stream.Page {
			return nil
		}
		var err error
		if page, err = s.replay.After(s.ctx, s.last, stream.Page); err != nil {
			return err
		}
	}
	return nil
}

// live sends what the broker hands on, skipping what the replay sent, with heartbeats.
// The broker hands numbers on in order without gaps, but may have been placed after
// the stream (a stream opened while the replica starts): a number missing before the
// next one handed on is read back from the outbox, never skipped.
func (s *sse) live(out *sseWriter) error {
	beat := time.NewTicker(s.heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return nil
		case <-s.sub.Done():
			return nil // fell behind (the client resumes) or the hub is shutting down
		case <-beat.C:
			out.comment("keep-alive")
		case e := <-s.sub.C():
			switch {
			case e.Seq <= s.last:
				continue // sent by the replay already
			case e.Seq > s.last+1:
				if err := s.readBack(out, e.Seq); err != nil {
					return nil // the client resumes from the last id it read
				}
				continue // e was read back with the rest
			}
			s.last = e.Seq
			s.show(out, e)
		}
		if err := out.flush(); err != nil {
			return nil
		}
		if time.Since(s.audited) >= streamAuditEvery {
			s.recordShown()
		}
	}
}

// send writes the events of page the stream carries and moves it past them all.
func (s *sse) send(out *sseWriter, page []stream.Entry) {
	for _, e := range page {
		if e.ID != "" {
			s.show(out, e)
		}
		s.last = e.Seq
	}
}

// show writes e if the stream carries it, noting whose event it showed.
func (s *sse) show(out *sseWriter, e stream.Entry) {
	f, ok := s.framing(e)
	if !ok {
		return
	}
	out.write(f)
	if id := e.Message.CustomerID; id != "" {
		s.shown[id] = true
	}
}

// recordShown adds an audit entry for the customers shown since the last one.
func (s *sse) recordShown() {
	s.audited = time.Now()
	if len(s.shown) == 0 {
		return
	}
	ids := make([]string, 0, len(s.shown))
	for id := range s.shown {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	clear(s.shown)
	s.audit(ids)
}

// readBack sends, from the outbox, what was numbered after the stream's last through
// through.
func (s *sse) readBack(out *sseWriter, through int64) error {
	for s.last < through {
		page, err := s.replay.After(s.ctx, s.last, stream.Page)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return errors.New("the outbox does not hold what the broker handed on")
		}
		s.send(out, page)
	}
	return nil
}

// sseWriter writes events, each write given its own deadline.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

func (o *sseWriter) write(f frame) {
	buf := make([]byte, 0, len(f.data)+len(f.id)+len(f.event)+32)
	if f.id != "" {
		buf = append(append(append(buf, "id: "...), f.id...), '\n')
	}
	buf = append(append(append(buf, "event: "...), f.event...), '\n')
	buf = append(append(append(buf, "data: "...), f.data...), "\n\n"...)
	o.send(buf)
}

func (o *sseWriter) comment(text string) { o.send([]byte(": " + text + "\n\n")) }

func (o *sseWriter) send(b []byte) {
	if o.err != nil {
		return
	}
	_ = o.rc.SetWriteDeadline(time.Now().Add(streamWriteWindow))
	_, o.err = o.w.Write(b)
}

// flush sends what was written; an error means the client is gone.
func (o *sseWriter) flush() error {
	if o.err != nil {
		return o.err
	}
	_ = o.rc.SetWriteDeadline(time.Now().Add(streamWriteWindow))
	o.err = o.rc.Flush()
	return o.err
}
