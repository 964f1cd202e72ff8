package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

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
					start := processCPU(b)
					var pid int
					var startServer time.Duration
					if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
						if be.DatabaseURL != "" {
							if err := tx.Get(&pid, "SELECT pg_backend_pid()"); err != nil {
								return err
							}
							startServer = serverCPU(b, pid)
						}
						return insert(ctx, tx, batch)
					}); err != nil {
						b.Fatal(err)
					}
					cpu += processCPU(b) - start
					if pid != 0 {
						server += serverCPU(b, pid) - startServer
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

// serverCPU is the CPU time PostgreSQL's server process pid has used (it runs on this
// machine), from /proc: utime and stime, fields 14 and 15, in ticks of 10 ms.
func serverCPU(b *testing.B, pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("the database server is not on this machine, or not readable: %v", err)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, stat)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
