package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/outbox"
)

func busMessage(t *testing.T, i int) outbox.Message {
	t.Helper()
	raw, err := json.Marshal(event.Message{ID: fmt.Sprintf("id-%05d", i), Type: "case.opened"})
	if err != nil {
		t.Fatal(err)
	}
	return outbox.Message{ID: fmt.Sprint(i), Topic: "case.opened", Payload: raw}
}

// run starts b on a bus of its own and returns the bus and a stop.
func run(b *Broker) (chan outbox.Message, context.CancelFunc, chan struct{}) {
	bus := make(chan outbox.Message)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() { b.Run(ctx, bus); close(ended) }()
	return bus, cancel, ended
}

func TestBroker_ASlowStreamIsCutOffAndTheOthersCarryOn(t *testing.T) {
	b := NewBroker(10)
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
	for i := range Buffer + 10 {
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
	b := NewBroker(10)
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
	b := NewBroker(2)
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
