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
// database), on one hub with the audit and one without, in the same run. The audited
// hub's writer inserts its batches meanwhile, so its cost is in the figures.
//
//	go test -run '^$' -bench AuditCost -benchtime 3s ./internal/app
func BenchmarkAuditCost_GetCustomer(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		for _, audited := range []bool{false, true} {
			name := be.Name + "/without-audit"
			if audited {
				name = be.Name + "/with-audit"
			}
			b.Run(name, func(b *testing.B) {
				handler, token, path := benchHub(b, be, audited)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req := httptest.NewRequest(http.MethodGet, path, nil)
						req.Header.Set("Authorization", "Bearer "+token)
						rec := httptest.NewRecorder()
						handler.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Errorf("GET %s: %d %s", path, rec.Code, rec.Body)
							return
						}
					}
				})
			})
		}
	}
}

// benchHub opens a hub on a fresh database with one customer, its audit on or off.
func benchHub(b *testing.B, be storetest.Backend, audited bool) (http.Handler, string, string) {
	b.Helper()
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
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
	return a.handler, token, "/v1/customers/" + c.ID
}
