package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Unavailable reports whether err says a dependency cannot be reached or cannot take
// the work now — a database down, refusing or restarting, a pool closed, SQLite locked
// past its busy timeout, Redis not answering — rather than that the request was wrong.
// Such errors are outages: the client may retry later, and the answer is a 503.
// A caller that gave up (its context ended) is not an outage and is told apart first.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var connect *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	var netErr *net.OpError
	switch {
	case errors.As(err, &connect):
		return true
	case errors.As(err, &pgErr):
		return pgUnavailable(pgErr.Code)
	case errors.As(err, &liteErr):
		return liteUnavailable(liteErr.Code())
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return true
	case errors.As(err, &netErr) && netErr.Op == "dial":
		return true
	}
	// database/sql's own "database is closed" is not exported as a value; its text is
	// all there is to go by.
	return strings.Contains(err.Error(), "sql: database is closed")
}

// pgUnavailable: class 08 (connection exception), 53 (insufficient resources: too many
// connections, out of memory or disk), 57P01–57P03 (shutting down, cannot connect now)
// and 55P03 (a lock not granted within lock_timeout, which an idempotent request's
// transaction sets: busy, try later).
func pgUnavailable(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") ||
		code == "57P01" || code == "57P02" || code == "57P03" || code == "55P03"
}

// liteUnavailable: the file stayed locked for the whole busy timeout.
func liteUnavailable(code int) bool {
	primary := code & 0xff
	return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
}
