package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/council/contacthub/internal/cputime"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/webhook"
)

// BenchmarkFanOut_WhatItAddsToAWrite prices the fan-out a write sets off, apart from the
// sending: a batch of contacts' events is recorded and the outbox's dispatcher numbers it,
// fanning it out as the hub does (Also), on two databases side by side, one with no
// subscription and one with five taking every event, in alternating rounds. Each side's
// CPU a write is this process's and, on PostgreSQL, its own database's backends'; the
// difference between the sides is what five subscriptions add to a write before anything
// is sent. The sender does not run: its cost is BenchmarkDelivery_ToALocalReceiver's.
func BenchmarkFanOut_WhatItAddsToAWrite(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			sides := []*fanSide{openFanSide(b, be, 0), openFanSide(b, be, 5)}
			const batch = 200 // the dispatcher's batch
			b.ResetTimer()
			for range b.N {
				for _, s := range sides {
					s.round(b, batch)
				}
			}
			writes := float64(b.N * batch)
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / writes }
			none, five := sides[0], sides[1]
			b.ReportMetric(per(none.hub), "hub-ns/write-0subs")
			b.ReportMetric(per(five.hub), "hub-ns/write-5subs")
			b.ReportMetric(per(none.dbCPU), "db-ns/write-0subs")
			b.ReportMetric(per(five.dbCPU), "db-ns/write-5subs")
			b.ReportMetric(per(five.hub+five.dbCPU-none.hub-none.dbCPU), "fanout-ns/write")
		})
	}
}

// fanSide is one database of the comparison and the CPU its rounds have used.
type fanSide struct {
	db         *store.DB
	d          *outbox.Dispatcher
	hub, dbCPU time.Duration
}

func openFanSide(b *testing.B, be storetest.Backend, subscriptions int) *fanSide {
	db := storetest.Open(b, be)
	subscribe(b, db, "https://receiver.example.org/hook", subscriptions)
	fan := webhook.NewFanOut(db)
	fan.CatchUpOnly = true
	d := outbox.NewDispatcher(db, outbox.NewMemoryBus(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	d.Also = fan.Numbered
	return &fanSide{db: db, d: d}
}

// round records n contacts, each on a case of its own, and dispatches until the outbox is
// numbered and fanned out, adding the CPU it took.
func (s *fanSide) round(b *testing.B, n int) {
	ctx := context.Background()
	startHub, startDB := cputime.Self(), serverCPU(b, s.db)
	for range n {
		if err := recordContact(ctx, s.db, store.NewID()); err != nil {
			b.Fatal(err)
		}
	}
	for {
		got, err := s.d.DispatchOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got == 0 {
			break
		}
	}
	s.hub += cputime.Self() - startHub
	s.dbCPU += serverCPU(b, s.db) - startDB
}
