package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"testing"
	"time"

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
// database), on one hub with the audit and one without, in the same run. The two are
// measured in alternating rounds of one audit batch (256 requests), so a neighbour's
// load on this shared machine falls on both alike. Each audited round ends with a
// Flush, counted in it: the round's batch is written then (it is full, so the writer
// has begun it), and all of the writer's work falls in the audited rounds instead of
// running into the next plain one on the other core. It reports, per read, the wall
// clock and this process's CPU time (user + system; a neighbour's load moves it far
// less) without and with the audit, and their differences (b.N is the number of
// rounds). On PostgreSQL the database server's own CPU is not in the CPU figures. Each
// round runs under a pprof label hub=audited or hub=plain, so a -cpuprofile splits
// with -tagfocus.
//
//	go test -run '^$' -bench AuditCost -benchtime 24x -count 3 ./internal/app
func BenchmarkAuditCost_GetCustomer(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			plainApp, plainToken, plainPath := benchHub(b, be, false)
			auditedApp, auditedToken, auditedPath := benchHub(b, be, true)
			const round = 256 // the audit's batch
			var without, with, cpuWithout, cpuWith, dbWithout, dbWith time.Duration
			get := func(a *App, token, path, hub string, wall, cpu, db *time.Duration, then func() error) {
				h := a.handler
				pprof.Do(context.Background(), pprof.Labels("hub", hub), func(context.Context) {
					startDB := databaseCPU(b, a)
					start, startCPU := time.Now(), cputime.Self()
					for range round {
						req := httptest.NewRequest(http.MethodGet, path, nil)
						req.Header.Set("Authorization", "Bearer "+token)
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
						}
					}
					if err := then(); err != nil {
						b.Fatal(err)
					}
					*wall += time.Since(start)
					*cpu += cputime.Self() - startCPU
					*db += databaseCPU(b, a).since(startDB)
				})
			}
			nothing := func() error { return nil }
			flush := func() error { return auditedApp.Audit.Flush(context.Background()) }
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					get(plainApp, plainToken, plainPath, "plain", &without, &cpuWithout, &dbWithout, nothing)
					get(auditedApp, auditedToken, auditedPath, "audited", &with, &cpuWith, &dbWith, flush)
				} else {
					get(auditedApp, auditedToken, auditedPath, "audited", &with, &cpuWith, &dbWith, flush)
					get(plainApp, plainToken, plainPath, "plain", &without, &cpuWithout, &dbWithout, nothing)
				}
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
			reads := float64(b.N * round)
			b.ReportMetric(float64(without.Nanoseconds())/reads, "ns/read-without")
			b.ReportMetric(float64(with.Nanoseconds())/reads, "ns/read-with")
			b.ReportMetric(float64((with-without).Nanoseconds())/reads, "ns/audit")
			b.ReportMetric(float64(cpuWithout.Nanoseconds())/reads, "cpu-ns/read-without")
			b.ReportMetric(float64(cpuWith.Nanoseconds())/reads, "cpu-ns/read-with")
			b.ReportMetric(float64((cpuWith-cpuWithout).Nanoseconds())/reads, "cpu-ns/audit")
			if be.DatabaseURL != "" {
				b.ReportMetric(float64(dbWithout.Nanoseconds())/reads, "db-cpu-ns/read-without")
				b.ReportMetric(float64(dbWith.Nanoseconds())/reads, "db-cpu-ns/read-with")
				b.ReportMetric(float64((dbWith-dbWithout).Nanoseconds())/reads, "db-cpu-ns/audit")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
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
		used, err := cputime.Of(pid)
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
