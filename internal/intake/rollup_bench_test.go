package intake_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/council/contacthub/internal/app"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkRecord_WithAndWithoutDailyRollup times recording a contact through intake
// (customer matched by phone, case joined or opened, routed, its event written) on two
// hubs side by side, one keeping the daily rollup and one not, each on a fresh database
// of the same kind with the same 500 customers already known. Each iteration records
// one contact on each, in alternating order, so that a busy machine slows both alike;
// the medians (p50) and their ratio are the figures.
func BenchmarkRecord_WithAndWithoutDailyRollup(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			with, without := hubFor(b, be, true), hubFor(b, be, false)
			if be.DatabaseURL == "" && !with.a.Contacts.RollupPrepared() { // PostgreSQL holds it for the commit
				b.Fatal("the rollup's upsert was not prepared: the figures would time compiling it")
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

type benchHub struct{ a *app.App }

const benchCustomers = 500

func benchRequest(n int) intake.Request {
	return intake.Request{Channel: channel.Phone, Service: casework.Service{LGSL: 58}, CreateCustomer: true,
		Outcome:     intake.ResolvedFirstContact,
		Identifiers: []customer.IdentifierInput{{Kind: identifier.Phone, Value: fmt.Sprintf("07700900%03d", n%benchCustomers)}}}
}

func hubFor(b *testing.B, be storetest.Backend, rollup bool) benchHub {
	if rollup {
		return hubWithout(b, be, nil)
	}
	return hubWithout(b, be, (*intake.Intake).WithoutRollup)
}

// hubWithout is a hub on a fresh database with the same known customers, off (when
// given) having turned something off in its intake first.
func hubWithout(b *testing.B, be storetest.Backend, off func(*intake.Intake)) benchHub {
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
	if off != nil {
		off(a.Contacts)
	}
	h := benchHub{a: a}
	for n := range benchCustomers {
		h.record(b, n)
	}
	return h
}

func (h benchHub) record(b *testing.B, n int) time.Duration {
	start := time.Now()
	if _, err := h.a.Contacts.Record(context.Background(), event.System, benchRequest(n)); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
