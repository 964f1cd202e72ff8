package intake_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/council/contacthub/internal/app"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkRecord_WithAndWithoutQuarterCount times what the quarter-hour count (the
// workforce forecast's, quarter.go) adds to recording a contact, as
// BenchmarkRecord_WithAndWithoutDailyRollup does for the daily rollup: two hubs side by
// side, both keeping the daily rollup, one also counting by quarter hour and one not,
// recording in alternating order; the medians and their ratio are the figures.
func BenchmarkRecord_WithAndWithoutQuarterCount(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			with, without := quarterHub(b, be, true), quarterHub(b, be, false)
			if be.DatabaseURL == "" && !with.a.Contacts.QuarterCountPrepared() { // SQLite only
				b.Fatal("the quarter-hour upsert was not prepared: the figures would time compiling it")
			}
			var tookWith, tookWithout []time.Duration
			i := 0
			for b.Loop() {
				first, second := with, without
				if i%2 == 1 {
					first, second = without, with
				}
				d1, d2 := first.record(b, i), second.record(b, i)
				if i%2 == 1 {
					d1, d2 = d2, d1
				}
				tookWith, tookWithout = append(tookWith, d1), append(tookWithout, d2)
				i++
			}
			pw, pwo := median(tookWith), median(tookWithout)
			b.ReportMetric(float64(pw.Microseconds()), "p50-with-µs")
			b.ReportMetric(float64(pwo.Microseconds()), "p50-without-µs")
			b.ReportMetric(100*(float64(pw)/float64(pwo)-1), "%-slower")
		})
	}
}

func quarterHub(b *testing.B, be storetest.Backend, count bool) benchHub {
	ctx := context.Background()
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	cfg.DataDir = b.TempDir()
	cfg.DatabaseURL = storetest.FreshURL(b, be)
	cfg.RedisURL, cfg.RedisPrefix = be.RedisURL, storetest.RedisPrefix(b, be)
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	if !count {
		a.Contacts.WithoutQuarterCount()
	}
	h := benchHub{a: a}
	for n := range benchCustomers {
		h.record(b, n)
	}
	return h
}
