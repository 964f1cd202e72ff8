package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// MemoryBus fans messages out to subscribers in this process (a hub without Redis).
type MemoryBus struct {
	mu   sync.Mutex
	subs map[chan Message]struct{}
}

// NewMemoryBus returns a bus with no subscribers.
func NewMemoryBus() *MemoryBus { return &MemoryBus{subs: map[chan Message]struct{}{}} }

// Publish hands each message to every subscriber; a subscriber that cannot keep up
// misses messages rather than stalling the hub.
func (b *MemoryBus) Publish(_ context.Context, msgs []Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		for _, m := range msgs {
			select {
			case ch <- m:
			default:
			}
		}
	}
	return nil
}

// Subscribe receives messages until ctx ends.
func (b *MemoryBus) Subscribe(ctx context.Context) <-chan Message {
	ch := make(chan Message, 256)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}

// RedisBus publishes to a Redis channel every replica subscribes to.
type RedisBus struct {
	rdb     *redis.Client
	channel string
}

// NewRedisBus publishes on prefix+"events".
func NewRedisBus(rdb *redis.Client, prefix string) *RedisBus {
	return &RedisBus{rdb: rdb, channel: prefix + "events"}
}

// Publish sends each message in one pipeline.
func (b *RedisBus) Publish(ctx context.Context, msgs []Message) error {
	pipe := b.rdb.Pipeline()
	for _, m := range msgs {
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		pipe.Publish(ctx, b.channel, raw)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("publish to redis: %w", err)
	}
	return nil
}

// Subscribe receives every replica's messages until ctx ends.
func (b *RedisBus) Subscribe(ctx context.Context) <-chan Message {
	sub := b.rdb.Subscribe(ctx, b.channel)
	// Wait for Redis to confirm, so nothing published after Subscribe returns is missed.
	_, _ = sub.Receive(ctx)
	out := make(chan Message, 256)
	go func() {
		defer close(out)
		defer sub.Close()
		in := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case raw, ok := <-in:
				if !ok {
					return
				}
				var m Message
				if json.Unmarshal([]byte(raw.Payload), &m) == nil {
					select {
					case out <- m:
					default:
					}
				}
			}
		}
	}()
	return out
}
