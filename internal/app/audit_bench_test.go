package app

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/cputime"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkAuditCost_GetCustomer is what the audit of personal data costs a read: the
// same GET /v1/customers/{id} through the whole stack (validation, a real token, the
// database), on one hub with the audit and one without, in the same process. The two
// are measured in alternating rounds of one audit batch (256 requests), so a
// neighbour's load on this shared machine falls on both alike; b.N is the number of
// pairs of rounds. Each audited round ends with a Flush, counted in it: the round's
// batch is written then (it is full, so the writer has begun it), and all of the
// writer's work falls in the audited rounds instead of running into the next plain one
// on the other core.
//
// Per read it reports the wall clock and this process's CPU time (user + system)
// without and with the audit, and, on PostgreSQL, the CPU of the bench hubs' own
// server processes (found by application_name, read in nanoseconds from
// /proc/<pid>/schedstat: the 10 ms ticks of /proc/<pid>/stat were a third of a round's
// database CPU). The means of all rounds are the */read-* and */audit figures; each
// pair of rounds is also a sample of its own, and the median of the pairs' differences
// and shares with their quartiles (p25, p75) say how far one figure can be trusted:
// one pair hit by a neighbour moves the mean, not the median. Bytes allocated per read
// (B/read-*, from runtime/metrics: every allocation in the process, the writer's
// included) are not moved by a neighbour at all. Each round runs under a pprof label
// hub=audited or hub=plain, so a -cpuprofile splits with -tagfocus.
//
// A garbage collection costs milliseconds and lands in whichever round crosses the heap
// goal, plain or audited: that, more than a neighbour, is what spread the pairs. With
// -auditcost.gc-between the heap is collected before each round, outside its time, so a
// round's CPU is the requests' own work (and the collections its garbage caused, if
// any: rarely); the audit's garbage is then priced by its bytes (B/read-*), not in the
// CPU figures. Without it (the default) the figures are the whole cost, collections
// included, and spread more.
//
//	go test -run '^$' -bench AuditCost -benchtime 48x -count 3 ./internal/app [-args -auditcost.gc-between]
func BenchmarkAuditCost_GetCustomer(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			plainApp, plainToken, plainPath := benchHub(b, be, false)
			auditedApp, auditedToken, auditedPath := benchHub(b, be, true)
			const round = 256 // the audit's batch
			get := func(a *App, token, path, hub string, then func() error) (r roundCost) {
				h := a.handler
				if *gcBetweenRounds {
					runtime.GC()
				}
				pprof.Do(context.Background(), pprof.Labels("hub", hub), func(context.Context) {
					// The requests run on this goroutine (ServeHTTP is called, not served),
					// held on one thread so that the thread's CPU is theirs alone.
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					startDB, startAlloc := databaseCPU(b, a), allocated()
					start, startCPU, startThread := time.Now(), cputime.Self(), threadCPU()
					for range round {
						req := httptest.NewRequest(http.MethodGet, path, nil)
						req.Header.Set("Authorization", "Bearer "+token)
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
						}
					}
					r.request = threadCPU() - startThread
					if err := then(); err != nil {
						b.Fatal(err)
					}
					r.wall, r.cpu = time.Since(start), cputime.Self()-startCPU
					r.db, r.alloc = databaseCPU(b, a).since(startDB), allocated()-startAlloc
				})
				return r
			}
			nothing := func() error { return nil }
			flush := func() error { return auditedApp.Audit.Flush(context.Background()) }
			plain := func() roundCost { return get(plainApp, plainToken, plainPath, "plain", nothing) }
			audited := func() roundCost { return get(auditedApp, auditedToken, auditedPath, "audited", flush) }
			pairs := make([]pairCost, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				var p pairCost
				if i%2 == 0 {
					p.without = plain()
					p.with = audited()
				} else {
					p.with = audited()
					p.without = plain()
				}
				pairs = append(pairs, p)
			}
			b.StopTimer()
			// The audited reads were all written: the figures are of an audit that works.
			var written int
			if err := auditedApp.DB.Get(&written, "SELECT count(*) FROM audit_entries WHERE operation = 'getCustomer'"); err != nil {
				b.Fatal(err)
			}
			if written < b.N*round {
				b.Fatalf("%d audit entries written for %d audited reads", written, b.N*round)
			}
			reportAuditCost(b, pairs, round, be.DatabaseURL != "")
		})
	}
}

var gcBetweenRounds = flag.Bool("auditcost.gc-between", false,
	"BenchmarkAuditCost_GetCustomer: collect the heap before each round, outside its time")

// roundCost is what one round of reads cost: wall clock, this process's CPU, the
// database server's CPU (PostgreSQL) and the bytes allocated.
type roundCost struct {
	wall, cpu, db time.Duration
	request       time.Duration // the CPU of the thread that ran the requests, until the flush
	alloc         uint64
}

// pairCost is one plain round and the audited round beside it.
type pairCost struct{ without, with roundCost }

// reportAuditCost reports, per read, the means over all rounds, and the median and
// quartiles of the pairs' own differences and shares.
func reportAuditCost(b *testing.B, pairs []pairCost, round int, withDB bool) {
	var sum pairCost
	hub, db, share := make([]float64, len(pairs)), make([]float64, len(pairs)), make([]float64, len(pairs))
	request := make([]float64, len(pairs))
	for i, p := range pairs {
		sum.without.wall += p.without.wall
		sum.with.wall += p.with.wall
		sum.without.cpu += p.without.cpu
		sum.with.cpu += p.with.cpu
		sum.without.db += p.without.db
		sum.with.db += p.with.db
		sum.without.alloc += p.without.alloc
		sum.with.alloc += p.with.alloc
		sum.without.request += p.without.request
		sum.with.request += p.with.request
		hub[i] = float64(p.with.cpu-p.without.cpu) / float64(round)
		request[i] = float64(p.with.request-p.without.request) / float64(round)
		db[i] = float64(p.with.db-p.without.db) / float64(round)
		share[i] = 100 * float64(p.with.cpu+p.with.db-p.without.cpu-p.without.db) / float64(p.without.cpu+p.without.db)
	}
	reads := float64(len(pairs) * round)
	perRead := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / reads }
	b.ReportMetric(perRead(sum.without.wall), "ns/read-without")
	b.ReportMetric(perRead(sum.with.wall), "ns/read-with")
	b.ReportMetric(perRead(sum.with.wall-sum.without.wall), "ns/audit")
	b.ReportMetric(perRead(sum.without.cpu), "cpu-ns/read-without")
	b.ReportMetric(perRead(sum.with.cpu), "cpu-ns/read-with")
	b.ReportMetric(perRead(sum.with.cpu-sum.without.cpu), "cpu-ns/audit")
	b.ReportMetric(perRead(sum.without.request), "req-cpu-ns/read-without")
	b.ReportMetric(perRead(sum.with.request), "req-cpu-ns/read-with")
	b.ReportMetric(quantile(request, 0.25), "req-cpu-ns/audit-p25")
	b.ReportMetric(quantile(request, 0.5), "req-cpu-ns/audit-median")
	b.ReportMetric(quantile(request, 0.75), "req-cpu-ns/audit-p75")
	b.ReportMetric(float64(sum.without.alloc)/reads, "B/read-without")
	b.ReportMetric(float64(sum.with.alloc)/reads, "B/read-with")
	b.ReportMetric(quantile(hub, 0.25), "cpu-ns/audit-p25")
	b.ReportMetric(quantile(hub, 0.5), "cpu-ns/audit-median")
	b.ReportMetric(quantile(hub, 0.75), "cpu-ns/audit-p75")
	if withDB {
		b.ReportMetric(perRead(sum.without.db), "db-cpu-ns/read-without")
		b.ReportMetric(perRead(sum.with.db), "db-cpu-ns/read-with")
		b.ReportMetric(perRead(sum.with.db-sum.without.db), "db-cpu-ns/audit")
		b.ReportMetric(quantile(db, 0.25), "db-cpu-ns/audit-p25")
		b.ReportMetric(quantile(db, 0.5), "db-cpu-ns/audit-median")
		b.ReportMetric(quantile(db, 0.75), "db-cpu-ns/audit-p75")
	}
	b.ReportMetric(mean(share), "%share-mean")
	b.ReportMetric(standardError(share), "%share-se")
	b.ReportMetric(standardError(hub), "cpu-ns/audit-se")
	b.ReportMetric(quantile(share, 0.25), "%share-p25")
	b.ReportMetric(quantile(share, 0.5), "%share-median")
	b.ReportMetric(quantile(share, 0.75), "%share-p75")
	b.ReportMetric(0, "ns/op")
}

// quantile is the q-quantile of xs (sorted in place), by linear interpolation.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	pos := q * float64(len(xs)-1)
	lo := int(pos)
	if lo+1 >= len(xs) {
		return xs[lo]
	}
	return xs[lo] + (pos-float64(lo))*(xs[lo+1]-xs[lo])
}

// threadCPU is the CPU time the calling thread has used, to the nanosecond, 0 where it
// cannot be read. (getrusage of the thread counts a thread that has not slept since
// the last scheduler tick only up to that tick: whole milliseconds.)
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(max(len(xs), 1))
}

// standardError is the standard error of the mean of xs: how far the mean of as many
// pairs again would likely be from this one.
func standardError(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m, sq := mean(xs), 0.0
	for _, x := range xs {
		sq += (x - m) * (x - m)
	}
	return math.Sqrt(sq/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))
}

// allocated is how many bytes this process has allocated on the heap so far.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// backendsCPU is the CPU time each PostgreSQL server process of one database had used.
type backendsCPU map[int]time.Duration

// since is the CPU the backends used after earlier: a backend that started since
// counts whole; one that ended since is lost (the hub's pool keeps its connections).
func (now backendsCPU) since(earlier backendsCPU) time.Duration {
	var d time.Duration
	for pid, cpu := range now {
		d += cpu - earlier[pid]
	}
	return d
}

// databaseCPU is, on PostgreSQL on this machine, the CPU time of the server processes
// serving a (each bench hub connects under a name of its own: these are its backends,
// the audit writer's included), read from /proc; nil on SQLite, whose work is in this
// process.
// The server's shared processes (WAL writer, checkpointer) are not counted.
func databaseCPU(b *testing.B, a *App) backendsCPU {
	if a.DB.Dialect != store.Postgres {
		return nil
	}
	var pids []int
	if err := a.DB.Select(&pids, "SELECT pid FROM pg_stat_activity WHERE application_name = current_setting('application_name')"); err != nil {
		b.Fatal(err)
	}
	out := backendsCPU{}
	for _, pid := range pids {
		used, err := cputime.OnCPU(pid)
		if err != nil {
			b.Fatal(err)
		}
		out[pid] = used
	}
	return out
}

// benchHub opens a hub on a fresh database with one customer, its audit on or off.
func benchHub(b *testing.B, be storetest.Backend, audited bool) (*App, string, string) {
	return benchHubWith(b, be, audited, nil)
}

// benchHubWith is benchHub with the configuration adjusted by tweak (nil: none).
func benchHubWith(b testing.TB, be storetest.Backend, audited bool, tweak func(*config.Config)) (*App, string, string) {
	b.Helper()
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	if tweak != nil {
		tweak(&cfg)
	}
	cfg.DataDir = b.TempDir()
	cfg.DatabaseURL = storetest.FreshURL(b, be)
	if cfg.DatabaseURL != "" {
		// A name of its own, so databaseCPU finds this hub's server processes.
		cfg.DatabaseURL += "&application_name=bench_" + storetest.RandomHex(4)
	}
	cfg.RedisURL = be.RedisURL
	cfg.RedisPrefix = storetest.RedisPrefix(b, be)
	cfg.RateLimitPerMinute, cfg.RateLimitIPPerMinute = 0, 0
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	if !audited {
		a.Audit.Close()
		a.Audit = nil
	}
	if err := a.buildHandler(ctx); err != nil {
		b.Fatal(err)
	}
	c, err := a.Customers.Create(ctx, customer.Actor{Subject: "bench", Role: "agent"}, customer.NewCustomer{GivenName: "Bench",
		FamilyName: "Mark", Identifiers: []customer.IdentifierInput{{Kind: identifier.Email, Value: "bench@example.org"}}})
	if err != nil {
		b.Fatal(err)
	}
	key, err := auth.LoadOrCreateDevKey(cfg.DevKeyPath())
	if err != nil {
		b.Fatal(err)
	}
	token, err := key.Mint(auth.Claims{Subject: "agent-bench", Roles: []auth.Role{auth.Agent}, Tier: 1, Issuer: cfg.JWTIssuer,
		Audience: cfg.JWTAudience, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	return a, token, "/v1/customers/" + c.ID
}

// BenchmarkAuditCost_RequestSide is what the audit adds to the work of the request
// itself (the middleware, the handler's note, Append), resolved to a fraction of a µs:
// a plain and an audited GET /v1/customers/{id} alternate request by request, each
// timed by the CPU of the one thread that runs it, so a neighbour's load falls on both
// of a pair alike. The writer's batches run on other threads and are not in it
// (BenchmarkWrite_ABatch prices them); what the request allocates is (B/read-*), and so
// is the garbage collection the request is made to assist. It reports the mean and the
// median with quartiles of the pairs' differences (b.N is the number of pairs).
//
//	go test -run '^$' -bench AuditCost_RequestSide -benchtime 20000x ./internal/app
func BenchmarkAuditCost_RequestSide(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			plainApp, plainToken, plainPath := benchHub(b, be, false)
			auditedApp, auditedToken, auditedPath := benchHub(b, be, true)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			get := func(a *App, token, path string) (time.Duration, uint64) {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				startAlloc, start := allocated(), threadCPU()
				a.handler.ServeHTTP(rec, req)
				used, alloc := threadCPU()-start, allocated()-startAlloc
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
				}
				return used, alloc
			}
			diffs := make([]float64, 0, b.N)
			var plainCPU, auditedCPU time.Duration
			var plainAlloc, auditedAlloc uint64
			b.ResetTimer()
			for i := range b.N {
				var p, a time.Duration
				var pa, aa uint64
				if i%2 == 0 {
					p, pa = get(plainApp, plainToken, plainPath)
					a, aa = get(auditedApp, auditedToken, auditedPath)
				} else {
					a, aa = get(auditedApp, auditedToken, auditedPath)
					p, pa = get(plainApp, plainToken, plainPath)
				}
				plainCPU, auditedCPU, plainAlloc, auditedAlloc = plainCPU+p, auditedCPU+a, plainAlloc+pa, auditedAlloc+aa
				diffs = append(diffs, float64(a-p))
			}
			b.StopTimer()
			if err := auditedApp.Audit.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			n := float64(b.N)
			b.ReportMetric(float64(plainCPU.Nanoseconds())/n, "req-cpu-ns/read-without")
			b.ReportMetric(float64(auditedCPU.Nanoseconds())/n, "req-cpu-ns/read-with")
			b.ReportMetric(float64((auditedCPU-plainCPU).Nanoseconds())/n, "req-cpu-ns/audit")
			b.ReportMetric(standardError(diffs), "req-cpu-ns/audit-se")
			b.ReportMetric(quantile(diffs, 0.25), "req-cpu-ns/audit-p25")
			b.ReportMetric(quantile(diffs, 0.5), "req-cpu-ns/audit-median")
			b.ReportMetric(quantile(diffs, 0.75), "req-cpu-ns/audit-p75")
			b.ReportMetric(float64(plainAlloc)/n, "B/read-without")
			b.ReportMetric(float64(auditedAlloc)/n, "B/read-with")
			b.ReportMetric(0, "ns/op")
		})
	}
}
