package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/council/contacthub/internal/cputime"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/webhook"
)

// BenchmarkFanOut_FiveSubscriptions is what the fan-out costs per delivery it creates:
// 1,000 contacts' events on 100 cases, 5 subscriptions taking every event, and
// FanOut.Once called until all 5,000 deliveries are in (the hub's batch of 200
// messages). It reports the wall clock and this process's CPU per delivery (on
// PostgreSQL the server's CPU is not in it; its work shows in the wall clock, the
// fan-out running alone).
//
//	go test -run '^$' -bench FanOut_Five -benchtime 3x -count 3 ./internal/webhook/
func BenchmarkFanOut_FiveSubscriptions(b *testing.B) {
	const events, subscriptions, keys = 1000, 5, 100
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			var wall, cpu time.Duration
			for range b.N {
				b.StopTimer()
				db := storetest.Open(b, be)
				subscribe(b, db, "https://receiver.example.org/hook", subscriptions)
				cases := make([]string, keys)
				for k := range cases {
					cases[k] = store.NewID()
				}
				for i := range events {
					if err := recordContact(ctx, db, cases[i%keys]); err != nil {
						b.Fatal(err)
					}
				}
				fan := webhook.NewFanOut(db)
				b.StartTimer()
				start, startCPU := time.Now(), cputime.Self()
				for fanned := 0; fanned < events; {
					n, err := fan.Once(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if n == 0 {
						b.Fatalf("the fan-out stopped at %d of %d messages", fanned, events)
					}
					fanned += n
				}
				cpu += cputime.Self() - startCPU
				wall += time.Since(start)
				b.StopTimer()
				var made int
				if err := db.GetContext(ctx, &made, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"); err != nil {
					b.Fatal(err)
				}
				if made != events*subscriptions {
					b.Fatalf("%d deliveries, want %d", made, events*subscriptions)
				}
			}
			deliveries := float64(b.N * events * subscriptions)
			b.ReportMetric(float64(wall.Nanoseconds())/deliveries, "ns/delivery")
			b.ReportMetric(float64(cpu.Nanoseconds())/deliveries, "cpu-ns/delivery")
			b.ReportMetric(0, "ns/op")
		})
	}
}
