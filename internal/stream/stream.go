// Package stream carries the hub's events live to agents' desktops and residents'
// browsers: one Broker per replica listens to the bus (every replica's committed outbox
// messages) and hands each message to the open streams, each through a bounded buffer.
// A stream that falls behind is cut off rather than allowed to grow; its client resumes
// from the last id it read, replayed from the outbox (Outbox).
//
// The bus is allowed to lose and reorder: Redis pub/sub drops what is published while a
// subscriber reconnects, a full buffer drops, and two replicas' dispatchers publish in
// whatever order their goroutines run. The broker does not trust it. Messages are
// numbered without gaps in the order they committed (outbox.Message.Seq); the broker
// hands streams the numbers in order, one after another, reading any it did not hear
// back from the outbox, drops what it already handed on, and every few seconds asks
// the outbox for the latest number so that a loss with nothing after it is caught too.
package stream

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

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
	// ErrGap: messages were missed and could not be read back (the database did not
	// answer); the client resumes from its last id once it can.
	ErrGap = errors.New("messages were missed and could not be read back")
)

// Missed reads back, from the outbox, what the bus did not carry.
type Missed interface {
	Latest(ctx context.Context) (int64, error)
	After(ctx context.Context, seq int64, limit int) ([]Entry, error)
}

// CatchUp is how often an idle broker asks the outbox whether it missed something.
const CatchUp = 5 * time.Second

// Broker fans the bus's messages out to the open streams of this replica, in number
// order without gaps.
type Broker struct {
	max     int
	buffer  int
	missed  Missed
	log     *slog.Logger
	catchUp time.Duration
	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	stopped bool
	last    int64         // the number of the last message handed on; only Run's goroutine moves it
	placed  chan struct{} // closed once Run has read where to start
}

// NewBroker serves at most max streams at once (0: 1000), reading what the bus loses
// back from missed.
func NewBroker(max int, missed Missed, log *slog.Logger) *Broker {
	if max <= 0 {
		max = 1000
	}
	return &Broker{max: max, buffer: Buffer, missed: missed, log: log, catchUp: CatchUp,
		subs: map[*Subscription]struct{}{}, placed: make(chan struct{})}
}

// Run hands every message from the bus to the open streams until ctx ends or the bus
// closes, then ends every stream (so a graceful shutdown does not wait on them). It
// starts after the latest number the outbox has given: streams opened before that read
// what they missed from the outbox themselves.
func (b *Broker) Run(ctx context.Context, bus <-chan outbox.Message) {
	defer b.stop()
	if last, err := b.missed.Latest(ctx); err == nil {
		b.last = last
	} else if ctx.Err() == nil {
		b.log.Warn("live streams: read the outbox's latest number", slog.String("error", err.Error()))
	}
	close(b.placed)
	tick := time.NewTicker(b.catchUp)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			b.readBack(ctx, 0)
		case m, ok := <-bus:
			if !ok {
				return
			}
			switch {
			case m.Seq <= b.last:
				continue // handed on already (read back, or heard twice)
			case m.Seq > b.last+1:
				b.readBack(ctx, m.Seq) // reads m too: it committed before it was published
				continue
			}
			var msg event.Message
			_ = json.Unmarshal(m.Payload, &msg) // not an event: holds its number, nothing to send
			b.publish(Entry{Seq: m.Seq, Message: msg})
		}
	}
}

// readBack hands on, from the outbox, the messages after the last handed on: up to
// through when it is given (a number heard on the bus after a gap), else up to the
// outbox's latest. When the outbox does not answer, every stream is ended with ErrGap
// (its client resumes from its own last id) and the broker carries on from through.
func (b *Broker) readBack(ctx context.Context, through int64) {
	if through == 0 {
		latest, err := b.missed.Latest(ctx)
		if err != nil || latest <= b.last {
			return // nothing missed, or nothing known: the next tick asks again
		}
		through = latest
	}
	for b.last < through {
		page, err := b.missed.After(ctx, b.last, Page)
		if err != nil || len(page) == 0 {
			if ctx.Err() == nil {
				b.log.Warn("live streams: read back missed messages", slog.Int64("after", b.last),
					slog.Int64("through", through), slog.Any("error", err))
			}
			b.endAll(ErrGap)
			b.last = through
			return
		}
		for _, e := range page {
			b.publish(e)
		}
	}
}

// publish offers e to every stream and moves the broker on to its number; a stream
// whose buffer is full is cut off. A message that is not an event only moves it on.
func (b *Broker) publish(e Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = e.Seq
	if e.ID == "" {
		return
	}
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			b.endLocked(s, ErrSlow)
		}
	}
}

func (b *Broker) endAll(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		b.endLocked(s, err)
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
	s := &Subscription{b: b, c: make(chan Entry, b.buffer), done: make(chan struct{})}
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
	c    chan Entry
	done chan struct{}
	err  error // set before done closes
}

// C delivers the messages in number order, without gaps (messages that are not events
// aside), from the first after the broker's position when the stream subscribed.
func (s *Subscription) C() <-chan Entry { return s.c }

// Done is closed when the stream is cut off (Err says why).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is why the stream was cut off: ErrSlow, ErrGap or ErrStopped; nil while it is open.
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
