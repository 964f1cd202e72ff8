package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/cputime"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkWrite_ABatch is what the writer spends on one batch of 256 read entries
// (one customer each), per entry: the wall clock of its transaction, this process's
// CPU and, on PostgreSQL, the CPU of the server process that ran it. On
// PostgreSQL it runs both shapes of insert, so they compare in one run:
//
//	go test -run '^$' -bench Write_ABatch -benchtime 40x -count 3 ./internal/audit
func BenchmarkWrite_ABatch(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		shapes := map[string]func(context.Context, *sqlx.Tx, []Entry) error{"values": insertRows}
		if be.DatabaseURL != "" {
			shapes["arrays"] = insertArrays
		}
		for _, name := range []string{"values", "arrays"} {
			insert, ok := shapes[name]
			if !ok {
				continue
			}
			b.Run(be.Name+"/"+name, func(b *testing.B) {
				db := storetest.Open(b, be)
				ctx := context.Background()
				batch := make([]Entry, 256)
				var cpu, server time.Duration
				b.ResetTimer()
				for i := range b.N {
					for j := range batch {
						batch[j] = Entry{ID: store.NewID(), At: store.Now(), Subject: "agent-bench", Roles: []string{"agent"}, Action: Read,
							Operation: "getCustomer", Resource: "/v1/customers/x", CustomerIDs: []string{fmt.Sprintf("c-%d", (i*256+j)%5000)},
							RequestID: store.NewID()}
					}
					start := cputime.Self()
					var pid int
					var startServer time.Duration
					if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
						if be.DatabaseURL != "" {
							if err := tx.Get(&pid, "SELECT pg_backend_pid()"); err != nil {
								return err
							}
							startServer = mustCPUOf(b, pid)
						}
						return insert(ctx, tx, batch)
					}); err != nil {
						b.Fatal(err)
					}
					cpu += cputime.Self() - start
					if pid != 0 {
						server += mustCPUOf(b, pid) - startServer
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/entry")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*256), "cpu-ns/entry")
				if be.DatabaseURL != "" {
					b.ReportMetric(float64(server.Nanoseconds())/float64(b.N*256), "db-cpu-ns/entry")
				}
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// mustCPUOf is the CPU time PostgreSQL's server process pid has used; it runs on this
// machine, or the benchmark cannot price the server's work.
func mustCPUOf(b *testing.B, pid int) time.Duration {
	used, err := cputime.Of(pid)
	if err != nil {
		b.Fatal(err)
	}
	return used
}
