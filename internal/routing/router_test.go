package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestActivates_OnlyAnActivationOfAnotherVersionReloads(t *testing.T) {
	r := &Router{}
	r.active.Store(defaultSet(t)) // version 1
	envelope := func(version int) json.RawMessage {
		raw, err := json.Marshal(event.Message{Type: event.RulesActivated.Name, Version: event.RulesActivated.Version,
			Data: json.RawMessage(fmt.Sprintf(`{"version":%d}`, version))})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, tc := range []struct {
		name string
		m    outbox.Message
		want bool
	}{
		{"another version", outbox.Message{Topic: event.RulesActivated.Name, Payload: envelope(2)}, true},
		{"a later version", outbox.Message{Topic: event.RulesActivated.Name, Payload: envelope(3)}, true},
		{"the version in use", outbox.Message{Topic: event.RulesActivated.Name, Payload: envelope(1)}, false},
		{"another topic", outbox.Message{Topic: event.CaseOpened.Name, Payload: envelope(2)}, false},
		{"the old topic", outbox.Message{Topic: "routing.activated", Payload: json.RawMessage(`{"version":2}`)}, false},
		{"an unreadable payload reloads", outbox.Message{Topic: event.RulesActivated.Name, Payload: json.RawMessage(`not json`)}, true},
		{"a payload without data reloads", outbox.Message{Topic: event.RulesActivated.Name, Payload: json.RawMessage(`{"version":1}`)}, true},
	} {
		if got := r.activates(tc.m); got != tc.want {
			t.Errorf("%s: activates = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// One replica activates a rule set; the other, polling hourly, hears it on the bus as
// the outbox dispatcher publishes it, and decides with it.
func TestWatch_AnActivationOnAnotherReplicaReloadsItsRules(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := storetest.Open(t, b)
			first, second := NewRouter(db, plainWeek, quiet), NewRouter(db, plainWeek, quiet)
			if err := first.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if err := second.Load(ctx); err != nil {
				t.Fatal(err)
			}
			bus := outbox.NewMemoryBus()
			go second.Watch(ctx, bus.Subscribe(ctx), time.Hour)
			supervisor := Actor{Subject: "sup-1", Role: "supervisor"}
			v, _, err := first.Publish(ctx, supervisor, DefaultJSON, true)
			if err != nil || v.Number != 2 || v.PublishedBy != "sup-1" {
				t.Fatalf("publish: %+v %v", v, err)
			}
			if _, err := outbox.NewDispatcher(db, bus, quiet).DispatchOnce(ctx); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for second.Active().Version != 2 {
				if time.Now().After(deadline) {
					t.Fatalf("the second replica still decides with version %d", second.Active().Version)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
