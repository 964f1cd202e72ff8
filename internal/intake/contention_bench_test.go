package intake_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkRecord_ParallelWritersOnOneRollupRow asks whether the daily rollup's one row
// per day, channel, service and centre serialises concurrent writers: every contact
// updates that row in its own transaction, so two transactions counting into the same
// row wait for each other's commit (PostgreSQL row lock; SQLite has one writer anyway).
// Writers record contacts in parallel (8 per core by default, -cpu and SetParallelism
// change it), each writer with its own customers so that no case is shared, in three
// ways: all into one rollup row (the same day), each writer into a row of its own (its
// contacts start on a day of its own), and with no rollup at all. ns/op is wall time per
// contact across all writers; if one row serialised, it would be far above the other two.
func BenchmarkRecord_ParallelWritersOnOneRollupRow(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			for _, c := range []struct {
				name   string
				rollup bool
				spread bool
			}{{"one-row", true, false}, {"row-per-writer", true, true}, {"no-rollup", false, false}} {
				b.Run(c.name, func(b *testing.B) {
					h := hubFor(b, be, c.rollup)
					var writers atomic.Int64
					today := time.Now().UTC().Truncate(24 * time.Hour).Add(9 * time.Hour)
					b.SetParallelism(8)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						w := int(writers.Add(1))
						at := today
						if c.spread {
							at = today.AddDate(0, 0, -w)
						}
						for n := 0; pb.Next(); n++ {
							req := intake.Request{Channel: channel.Phone, Service: casework.Service{LGSL: 58}, CreateCustomer: true,
								Outcome: intake.ResolvedFirstContact, StartedAt: at,
								Identifiers: []customer.IdentifierInput{{Kind: identifier.Phone, Value: fmt.Sprintf("0770%03d%04d", w, n%50)}}}
							if _, err := h.a.Contacts.Record(context.Background(), event.System, req); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}

// BenchmarkRollupUpsert_ParallelTransactions isolates the row lock: writers each run
// transactions of nothing but the rollup's upsert and a commit, all into one row or each
// into its own. The transaction that updated the row holds its lock until its commit
// is durable, so on one row the commits queue one behind another, while on separate rows
// they overlap (and PostgreSQL flushes them together). ns/op is wall time per
// transaction across all writers.
func BenchmarkRollupUpsert_ParallelTransactions(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db := storetest.Open(b, be)
			q := db.Rebind(intake.UpsertRollup)
			for _, c := range []struct {
				name   string
				spread bool
			}{{"one-row", false}, {"row-per-writer", true}} {
				b.Run(c.name, func(b *testing.B) {
					var writers atomic.Int64
					b.SetParallelism(8)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						w := int(writers.Add(1))
						day := "2026-11-30"
						if c.spread {
							day = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -w).Format(time.DateOnly)
						}
						args := []any{day, "phone", 58, ""}
						for i := 0; i < intake.RollupColumns; i++ {
							args = append(args, 1)
						}
						for pb.Next() {
							tx, err := db.Beginx()
							if err == nil {
								if _, err = tx.Exec(q, args...); err == nil {
									err = tx.Commit()
								} else {
									_ = tx.Rollback()
								}
							}
							if err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}
