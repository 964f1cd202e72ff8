package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/outbox"
)

// busMessage is message number i (from 1) as the bus carries it.
func busMessage(t *testing.T, i int) outbox.Message {
	t.Helper()
	raw, err := json.Marshal(event.Message{ID: fmt.Sprintf("id-%05d", i), Type: "case.opened"})
	if err != nil {
		t.Fatal(err)
	}
	return outbox.Message{ID: fmt.Sprint(i), Topic: "case.opened", Payload: raw, Seq: int64(i)}
}

// held is an outbox for the broker to read back from: messages 1..n, or failing.
type held struct {
	mu    sync.Mutex
	n     int
	down  bool
	reads int
}

func (h *held) Latest(context.Context) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return 0, errors.New("database down")
	}
	return int64(h.n), nil
}

func (h *held) After(_ context.Context, seq int64, limit int) ([]Entry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads++
	if h.down {
		return nil, errors.New("database down")
	}
	var out []Entry
	for i := int(seq) + 1; i <= h.n && len(out) < limit; i++ {
		out = append(out, Entry{Seq: int64(i), Message: event.Message{ID: fmt.Sprintf("id-%05d", i), Type: "case.opened"}})
	}
	return out, nil
}

func (h *held) commit(n int) { h.mu.Lock(); h.n = n; h.mu.Unlock() }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newBroker is a broker over an empty outbox.
func newBroker(max int) (*Broker, *held) {
	h := &held{}
	return NewBroker(max, h, quiet), h
}

// run starts b on a bus of its own and returns the bus and a stop.
func run(b *Broker) (chan outbox.Message, context.CancelFunc, chan struct{}) {
	bus := make(chan outbox.Message)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() { b.Run(ctx, bus); close(ended) }()
	<-b.placed
	return bus, cancel, ended
}

func TestBroker_ASlowStreamIsCutOffAndTheOthersCarryOn(t *testing.T) {
	b, _ := newBroker(10)
	bus, stop, _ := run(b)
	defer stop()
	slow, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	fast, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= Buffer+10; i++ {
		bus <- busMessage(t, i)
		select { // the stream that keeps up reads each message as it comes
		case m := <-fast.C():
			if want := fmt.Sprintf("id-%05d", i); m.ID != want {
				t.Fatalf("fast stream read %s, want %s", m.ID, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the stream that kept up did not get message %d (%v)", i, fast.Err())
		}
	}
	select {
	case <-slow.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a stream that read nothing was not cut off")
	}
	if !errors.Is(slow.Err(), ErrSlow) {
		t.Fatalf("slow stream ended with %v, want ErrSlow", slow.Err())
	}
	if len(slow.C()) > Buffer {
		t.Fatalf("slow stream holds %d messages, more than %d", len(slow.C()), Buffer)
	}
	if fast.Err() != nil {
		t.Fatalf("the stream that kept up ended: %v", fast.Err())
	}
	if b.Open() != 1 {
		t.Fatalf("%d streams open, want 1", b.Open())
	}
}

func TestBroker_StreamsEndWhenTheHubStops(t *testing.T) {
	b, _ := newBroker(10)
	_, stop, ended := run(b)
	s, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	stop()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a stream outlived the hub")
	}
	<-ended
	if !errors.Is(s.Err(), ErrStopped) {
		t.Fatalf("ended with %v, want ErrStopped", s.Err())
	}
	if _, err := b.Subscribe(); !errors.Is(err, ErrStopped) {
		t.Fatalf("subscribe after stop: %v, want ErrStopped", err)
	}
}

func TestBroker_OpensNoMoreStreamsThanItsBound(t *testing.T) {
	b, _ := newBroker(2)
	first, _ := b.Subscribe()
	if _, err := b.Subscribe(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(); !errors.Is(err, ErrFull) {
		t.Fatalf("third stream: %v, want ErrFull", err)
	}
	first.Close()
	first.Close() // closing twice is harmless
	if _, err := b.Subscribe(); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}

// read takes n entries from s, failing after a wait.
func read(t *testing.T, s *Subscription, n int) []int64 {
	t.Helper()
	var got []int64
	for range n {
		select {
		case e := <-s.C():
			got = append(got, e.Seq)
		case <-time.After(5 * time.Second):
			t.Fatalf("read %v, then nothing (%v)", got, s.Err())
		}
	}
	return got
}

func seqs(from, to int) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, int64(i))
	}
	return out
}

// The bus may lose messages (Redis pub/sub while reconnecting, a full buffer) and
// deliver two replicas' batches out of order; streams still get every number once, in
// order: the broker reads what it did not hear back from the outbox and drops what it
// heard late.
func TestBroker_HandsOnEveryNumberInOrderWhateverTheBusLosesOrReorders(t *testing.T) {
	b, outbox := newBroker(10)
	outbox.commit(12)
	bus, stop, _ := run(b)
	defer stop()
	s, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	outbox.commit(20)
	// Heard: 13, then 17 (14–16 lost), then 15 and 16 late (another replica's batch),
	// then 18, 20 (19 lost), 19 late.
	for _, i := range []int{13, 17, 15, 16, 18, 20, 19} {
		bus <- busMessage(t, i)
	}
	if got := read(t, s, 8); !slices.Equal(got, seqs(13, 20)) {
		t.Fatalf("stream read %v, want 13–20 once each in order", got)
	}
	select {
	case e := <-s.C():
		t.Fatalf("stream read %d more", e.Seq)
	case <-time.After(50 * time.Millisecond):
	}
}

// A loss with nothing published after it (the last messages before a quiet spell) is
// caught by the broker's periodic look at the outbox's latest number.
func TestBroker_CatchesUpALossThatNothingFollows(t *testing.T) {
	b, outbox := newBroker(10)
	b.catchUp = 20 * time.Millisecond
	_, stop, _ := run(b)
	defer stop()
	s, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	outbox.commit(3) // committed and numbered; the bus carried none of it
	if got := read(t, s, 3); !slices.Equal(got, seqs(1, 3)) {
		t.Fatalf("stream read %v, want 1–3", got)
	}
}

// When what was missed cannot be read back, streams end with ErrGap (their clients
// resume from their last ids) rather than carry on with a hole.
func TestBroker_EndsStreamsWithErrGapWhenTheOutboxCannotAnswer(t *testing.T) {
	b, outbox := newBroker(10)
	bus, stop, _ := run(b)
	defer stop()
	s, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	outbox.mu.Lock()
	outbox.down = true
	outbox.mu.Unlock()
	bus <- busMessage(t, 5) // 1–4 missed
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the stream was not ended")
	}
	if !errors.Is(s.Err(), ErrGap) {
		t.Fatalf("ended with %v, want ErrGap", s.Err())
	}
	later, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	bus <- busMessage(t, 6) // the broker carries on after the gap it gave up on
	if got := read(t, later, 1); got[0] != 6 {
		t.Fatalf("after the gap, read %v", got)
	}
}

func TestFilter_MatchesEveryMemberGiven(t *testing.T) {
	m := event.Message{Type: "case.opened", Queue: "advisors", CaseID: "c1", CustomerID: "p1"}
	for _, tc := range []struct {
		name string
		f    Filter
		want bool
	}{
		{"empty", Filter{}, true},
		{"type", Filter{Types: []string{"case.resolved", "case.opened"}}, true},
		{"other type", Filter{Types: []string{"case.resolved"}}, false},
		{"queue and case", Filter{Queues: []string{"advisors"}, CaseIDs: []string{"c1"}}, true},
		{"queue but other case", Filter{Queues: []string{"advisors"}, CaseIDs: []string{"c2"}}, false},
		{"other customer", Filter{CustomerIDs: []string{"p2"}}, false},
	} {
		if got := tc.f.Match(m); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSplitList_ReadsRepeatsAndCommaLists(t *testing.T) {
	got := SplitList([]string{"a,b", " c ", "", "d,,"})
	if fmt.Sprint(got) != "[a b c d]" {
		t.Fatalf("%v", got)
	}
}

func TestResident_HearsTheirRecordAndCasesOnly(t *testing.T) {
	r := NewResident("me", []string{"old-case"})
	for _, tc := range []struct {
		name string
		m    event.Message
		want bool
	}{
		{"their record", event.Message{CustomerID: "me"}, true},
		{"their old case", event.Message{CaseID: "old-case"}, true},
		{"someone else's case", event.Message{CustomerID: "you", CaseID: "your-case"}, false},
		{"someone else's record", event.Message{CustomerID: "you"}, false},
		{"a case opened for them", event.Message{CustomerID: "me", CaseID: "new-case"}, true},
		{"that case, later, without the customer", event.Message{CaseID: "new-case"}, true},
		{"no customer, no case", event.Message{}, false},
	} {
		if got := r.Match(tc.m); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
