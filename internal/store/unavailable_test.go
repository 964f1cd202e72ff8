package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgconn"
	"net"
	"path/filepath"
	"testing"

	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

func TestUnavailable_OutagesAreToldFromMistakes(t *testing.T) {
	ctx := context.Background()
	refused := func() error {
		// A port nothing listens on: the dial is refused at once.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		db, err := sql.Open("pgx", "postgres://nobody@"+addr+"/none?sslmode=disable&connect_timeout=2")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		return db.PingContext(ctx)
	}()
	closed := func() error {
		db := storetest.Open(t, storetest.Backend{Name: "sqlite"})
		db.Close()
		return db.PingContext(ctx)
	}()
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"postgres refused":   {fmt.Errorf("search: %w", refused), true},
		"pool closed":        {closed, true},
		"sqlite busy":        {sqliteBusy(t), true},
		"no rows":            {store.MapError(sql.ErrNoRows), false},
		"lock not granted":   {fmt.Errorf("record contact: %w", &pgconn.PgError{Code: "55P03"}), true},
		"unique violation":   {&pgconn.PgError{Code: "23505"}, false},
		"a plain error":      {errors.New("customer has no name"), false},
		"nil":                {nil, false},
		"context cancelled":  {context.Canceled, false},
		"deadline exceeded ": {context.DeadlineExceeded, false},
	} {
		if tc.err == nil && tc.want {
			t.Fatalf("%s: no error to classify", name)
		}
		if got := store.Unavailable(tc.err); got != tc.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", name, tc.err, got, tc.want)
		}
	}
}

// sqliteBusy holds the write lock of a SQLite file from one handle while another, with
// a short busy timeout, tries to write.
func sqliteBusy(t *testing.T) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)&_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	holder, writer := open(), open()
	if _, err := holder.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	conn, err := holder.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `ROLLBACK`) }()
	_, err = writer.Exec(`INSERT INTO t VALUES (1)`)
	if err == nil {
		t.Fatal("a second writer got in beside an immediate transaction")
	}
	return err
}
