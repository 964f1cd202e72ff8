// Package stream carries the hub's events live to agents' desktops and residents'
// browsers: one Broker per replica listens to the bus (every replica's committed outbox
// messages) and hands each message to the open streams, each through a bounded buffer.
// A stream that falls behind is cut off rather than allowed to grow; its client resumes
// from the last id it read, replayed from the outbox (Replay).
package stream

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/outbox"
)

// Buffer is how many messages one stream may have waiting before it is cut off.
const Buffer = 256

var (
	// ErrFull: the replica serves as many streams as it may.
	ErrFull = errors.New("too many streams open on this replica")
	// ErrSlow: the stream's client fell more than Buffer messages behind.
	ErrSlow = errors.New("the client fell behind")
	// ErrStopped: the hub is shutting down.
	ErrStopped = errors.New("the hub is shutting down")
)

// Broker fans the bus's messages out to the open streams of this replica.
type Broker struct {
	max     int
	buffer  int
	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	stopped bool
}

// NewBroker serves at most max streams at once (0: 1000).
func NewBroker(max int) *Broker {
	if max <= 0 {
		max = 1000
	}
	return &Broker{max: max, buffer: Buffer, subs: map[*Subscription]struct{}{}}
}

// Run hands every message from the bus to the open streams until ctx ends or the bus
// closes, then ends every stream (so a graceful shutdown does not wait on them).
func (b *Broker) Run(ctx context.Context, bus <-chan outbox.Message) {
	defer b.stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-bus:
			if !ok {
				return
			}
			var msg event.Message
			if json.Unmarshal(m.Payload, &msg) != nil || msg.ID == "" {
				continue // not an event message: nothing a stream carries
			}
			b.publish(msg)
		}
	}
}

// publish offers msg to every stream; one whose buffer is full is cut off.
func (b *Broker) publish(msg event.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.c <- msg:
		default:
			b.endLocked(s, ErrSlow)
		}
	}
}

func (b *Broker) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	for s := range b.subs {
		b.endLocked(s, ErrStopped)
	}
}

func (b *Broker) endLocked(s *Subscription, err error) {
	delete(b.subs, s)
	s.err = err
	close(s.done)
}

// Subscribe opens a stream: from now on it receives every message the bus carries.
func (b *Broker) Subscribe() (*Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.stopped:
		return nil, ErrStopped
	case len(b.subs) >= b.max:
		return nil, ErrFull
	}
	s := &Subscription{b: b, c: make(chan event.Message, b.buffer), done: make(chan struct{})}
	b.subs[s] = struct{}{}
	return s, nil
}

// Open reports how many streams are open.
func (b *Broker) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Subscription is one open stream's messages.
type Subscription struct {
	b    *Broker
	c    chan event.Message
	done chan struct{}
	err  error // set before done closes
}

// C delivers the messages, in the order the bus carried them.
func (s *Subscription) C() <-chan event.Message { return s.c }

// Done is closed when the stream is cut off (Err says why).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is why the stream was cut off: ErrSlow or ErrStopped; nil while it is open.
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the stream (its client went away).
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if _, open := s.b.subs[s]; open {
		s.b.endLocked(s, nil)
	}
}
