package webhook

import (
	"context"
	"net/http"
	"testing"

	"github.com/council/contacthub/internal/store/storetest"
)

// On SQLite the sender's statements are prepared once, on its first lease, and used
// from then on; on PostgreSQL the driver caches them and none are prepared here.
func TestSender_PreparesItsStatementsOnSQLiteOnly(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := storetest.Open(t, b)
			s := NewSender(db, http.DefaultClient, nil)
			if _, err := s.Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			m := s.prepared.Load()
			if b.DatabaseURL != "" {
				if m != nil {
					t.Fatalf("%d statements prepared on PostgreSQL, want none", len(*m))
				}
				return
			}
			if m == nil || len(*m) != len(preparedOnSQLite) {
				t.Fatalf("prepared %v, want all %d statements", m, len(preparedOnSQLite))
			}
		})
	}
}
