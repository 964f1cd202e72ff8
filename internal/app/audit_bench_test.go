package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkAuditCost_GetCustomer is what the audit of personal data costs a read: the
// same GET /v1/customers/{id} through the whole stack (validation, a real token, the
// database), on one hub with the audit and one without, in the same run. The two are
// measured in alternating rounds of 20 requests, so a neighbour's load on this shared
// machine falls on both alike; the audited hub's writer inserts its batches meanwhile,
// so its cost is in the figures. It reports ns per read without and with the audit and
// their difference (b.N is the number of rounds).
//
//	go test -run '^$' -bench AuditCost -benchtime 300x -count 3 ./internal/app
func BenchmarkAuditCost_GetCustomer(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			plainApp, plainToken, plainPath := benchHub(b, be, false)
			auditedApp, auditedToken, auditedPath := benchHub(b, be, true)
			plain, audited := plainApp.handler, auditedApp.handler
			const round = 20
			var without, with time.Duration
			get := func(h http.Handler, token, path string) time.Duration {
				start := time.Now()
				for range round {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					req.Header.Set("Authorization", "Bearer "+token)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
					}
				}
				return time.Since(start)
			}
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					without += get(plain, plainToken, plainPath)
					with += get(audited, auditedToken, auditedPath)
				} else {
					with += get(audited, auditedToken, auditedPath)
					without += get(plain, plainToken, plainPath)
				}
			}
			b.StopTimer()
			// The audited reads were all written: the figures are of an audit that works.
			if err := auditedApp.Audit.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
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
			b.ReportMetric(0, "ns/op")
		})
	}
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
