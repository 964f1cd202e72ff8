// Package storetest gives tests a fresh database of their own on every backend the run
// covers: a new SQLite file always, and a new PostgreSQL schema (with its own Redis key
// prefix) when CONTACTHUB_TEST_DATABASE_URL and CONTACTHUB_TEST_REDIS_URL are set.
// With CONTACTHUB_TEST_REQUIRE_SERVICES=1 (CI, make test) those services are required.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver, for creating schemas
	"github.com/redis/go-redis/v9"

	"github.com/council/contacthub/internal/store"
)

// Backend is one storage configuration a test runs on.
type Backend struct {
	Name        string
	DatabaseURL string // "" = a fresh SQLite file
	RedisURL    string
}

// Backends lists SQLite always, and PostgreSQL + Redis when configured (and not -short,
// unless required).
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: "sqlite"}}
	pg, rd := os.Getenv("CONTACTHUB_TEST_DATABASE_URL"), os.Getenv("CONTACTHUB_TEST_REDIS_URL")
	required := os.Getenv("CONTACTHUB_TEST_REQUIRE_SERVICES") == "1"
	if testing.Short() && !required {
		return out
	}
	if pg == "" || rd == "" {
		if required {
			t.Fatal("CONTACTHUB_TEST_REQUIRE_SERVICES=1 but CONTACTHUB_TEST_DATABASE_URL or CONTACTHUB_TEST_REDIS_URL is unset")
		}
		return out
	}
	return append(out, Backend{Name: "postgres+redis", DatabaseURL: pg, RedisURL: rd})
}

// FreshURL returns a database URL nobody else uses, dropped when the test ends: ""
// (SQLite in the test's own directory) or a new PostgreSQL schema.
func FreshURL(t testing.TB, b Backend) string {
	t.Helper()
	if b.DatabaseURL == "" {
		return ""
	}
	db, err := sql.Open("pgx", b.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := "t_" + RandomHex(8)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at CONTACTHUB_TEST_DATABASE_URL does not answer: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", b.DatabaseURL)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(b.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates a fresh database on b.
func Open(t testing.TB, b Backend) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), FreshURL(t, b), t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// OpenTraced opens a fresh database on b whose statements tr records (store.Trace:
// on PostgreSQL only) when tr is started, closed at the end of the test; it is not
// migrated, for tests that make their own tables.
func OpenTraced(t testing.TB, b Backend, maxConns int) (*store.DB, *store.Trace) {
	t.Helper()
	tr := &store.Trace{}
	db, err := store.Open(store.WithTrace(context.Background(), tr), FreshURL(t, b), t.TempDir(), maxConns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, tr
}

// RedisPrefix returns a key prefix of the test's own, whose keys are deleted at the end.
func RedisPrefix(t testing.TB, b Backend) string {
	t.Helper()
	prefix := "test:" + RandomHex(8) + ":"
	if b.RedisURL == "" {
		return prefix
	}
	t.Cleanup(func() {
		opts, err := redis.ParseURL(b.RedisURL)
		if err != nil {
			return
		}
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
