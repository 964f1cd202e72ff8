package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// TestClose_WritesTheAuditEntriesStillBuffered: with a flush interval far longer than the
// test, only a clean stop can write the entry of a read; after Close it is there.
func TestClose_WritesTheAuditEntriesStillBuffered(t *testing.T) {
	be := storetest.Backends(t)[0]
	a, token, path := benchHubWith(t, be, true, func(c *config.Config) { c.AuditFlush = time.Hour })
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, rec.Code)
	}
	var before int
	if err := a.DB.Get(&before, "SELECT count(*) FROM audit_entries WHERE operation = 'getCustomer'"); err != nil {
		t.Fatal(err)
	}
	if before != 0 {
		t.Fatalf("the entry was written before the flush interval (%d): the test proves nothing", before)
	}
	dsn, dir := a.cfg.DatabaseURL, a.cfg.DataDir
	a.Close()
	db, err := store.Open(context.Background(), dsn, dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var after int
	if err := db.Get(&after, "SELECT count(*) FROM audit_entries WHERE operation = 'getCustomer'"); err != nil {
		t.Fatal(err)
	}
	if after != 1 {
		t.Fatalf("after Close: %d entries of the read, want 1", after)
	}
}
