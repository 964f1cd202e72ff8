package intake_test

import (
	"testing"
	"time"

	"github.com/council/contacthub/internal/cputime"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkRecord_WithAndWithoutBothCounts times what the two counts together (the
// daily rollup, rollup.go, and the quarter-hour count, quarter.go) add to recording a
// contact: two hubs side by side, one keeping both counts and one keeping neither,
// recording in alternating order, as BenchmarkRecord_WithAndWithoutDailyRollup does for
// the rollup alone. Besides the medians it reports the process's CPU time per contact on
// each side (user + system; on SQLite the database runs in the process, so that is the
// whole cost; on PostgreSQL it is the hub's share only).
func BenchmarkRecord_WithAndWithoutBothCounts(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			with := hubFor(b, be, true)
			without := hubWithout(b, be, func(in *intake.Intake) { in.WithoutRollup(); in.WithoutQuarterCount() })
			if be.DatabaseURL == "" && (!with.a.Contacts.RollupPrepared() || !with.a.Contacts.QuarterCountPrepared()) { // SQLite only
				b.Fatal("the counts' upserts were not prepared: the figures would time compiling them")
			}
			compareRecording(b, with, without)
		})
	}
}

// compareRecording records one contact on each hub per iteration, in alternating order,
// and reports both medians, how much slower with is, and the CPU per contact of each.
func compareRecording(b *testing.B, with, without benchHub) {
	var tookWith, tookWithout []time.Duration
	var cpuWith, cpuWithout time.Duration
	i := 0
	for b.Loop() {
		first, second := with, without
		if i%2 == 1 {
			first, second = without, with
		}
		c0 := cputime.Self()
		d1 := first.record(b, i)
		c1 := cputime.Self()
		d2 := second.record(b, i)
		c2 := cputime.Self()
		cpu1, cpu2 := c1-c0, c2-c1
		if i%2 == 1 {
			d1, d2, cpu1, cpu2 = d2, d1, cpu2, cpu1
		}
		tookWith, tookWithout = append(tookWith, d1), append(tookWithout, d2)
		cpuWith, cpuWithout = cpuWith+cpu1, cpuWithout+cpu2
		i++
	}
	pw, pwo := median(tookWith), median(tookWithout)
	b.ReportMetric(float64(pw.Microseconds()), "p50-with-µs")
	b.ReportMetric(float64(pwo.Microseconds()), "p50-without-µs")
	b.ReportMetric(100*(float64(pw)/float64(pwo)-1), "%-slower")
	if i > 0 {
		b.ReportMetric(float64(cpuWith.Microseconds())/float64(i), "cpu-µs-with")
		b.ReportMetric(float64(cpuWithout.Microseconds())/float64(i), "cpu-µs-without")
		b.ReportMetric(100*(float64(cpuWith)/float64(cpuWithout)-1), "%-more-cpu")
	}
}
