// Package audit keeps the log of who read or changed a customer's personal data: who
// (subject and roles), when, through which operation, about which customers, why (the
// caller's stated purpose) and in which request. The log is append-only: nothing but the
// retention purge removes an entry, and no API changes one.
//
// Entries are written off the request path: Append puts an entry on a buffered channel
// and a writer goroutine inserts what has gathered as one multi-row statement, every
// FlushEvery or as soon as BatchSize entries wait. Close drains and writes everything
// still buffered, so a clean shutdown loses nothing; a crash (SIGKILL, power) loses at
// most what was buffered and not yet written: the entries of the last FlushEvery, and
// never more than BufferSize + BatchSize of them.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/council/contacthub/internal/store"
)

// Action says what was done with the data.
type Action string

const (
	Read   Action = "read"   // a record, case, timeline or search result was shown
	Write  Action = "write"  // personal data was created or changed
	Export Action = "export" // everything about a person was handed out (subject access)
	Erase  Action = "erase"  // a person was anonymised
)

// Entry is one access to personal data.
type Entry struct {
	ID        string
	At        time.Time
	Subject   string   // the token's subject: who
	Roles     []string // the token's roles
	Action    Action
	Operation string // the operation id from openapi.yaml, e.g. getCustomer
	Resource  string // the path requested, ids only (never a query string: it may hold a phone number)
	// CustomerIDs are the people whose data the operation read or wrote.
	CustomerIDs []string
	Purpose     string // the caller's X-Purpose, "" when none was given
	RequestID   string
}

// Settings tune the writer; the zero value takes the defaults.
type Settings struct {
	BufferSize int           // entries waiting at most (default 4096)
	BatchSize  int           // entries per insert at most (default 256)
	FlushEvery time.Duration // longest an entry waits to be written (default 500ms)
}

func (s Settings) withDefaults() Settings {
	if s.BufferSize <= 0 {
		s.BufferSize = 4096
	}
	if s.BatchSize <= 0 {
		s.BatchSize = 256
	}
	if s.FlushEvery <= 0 {
		s.FlushEvery = 500 * time.Millisecond
	}
	return s
}

// Log is the audit log of one replica.
type Log struct {
	db       *store.DB
	log      *slog.Logger
	settings Settings

	mu      sync.RWMutex // held for reading while sending, for writing to close
	closed  bool
	entries chan Entry
	flushes chan chan error
	done    chan struct{}

	written, lostN atomic.Int64 // entries, for the metrics
}

// Open starts the writer; Close stops it after writing everything buffered.
func Open(db *store.DB, log *slog.Logger, s Settings) *Log {
	s = s.withDefaults()
	l := &Log{db: db, log: log, settings: s, entries: make(chan Entry, s.BufferSize),
		flushes: make(chan chan error), done: make(chan struct{})}
	go l.run()
	return l
}

// Append records e. It does not wait for the database: the entry is written within
// FlushEvery. When the buffer is full it waits for room rather than drop an entry, so
// a slow database slows reads instead of losing their audit. After Close it writes e
// itself.
func (l *Log) Append(ctx context.Context, e Entry) {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	if e.At.IsZero() {
		e.At = store.Now()
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		if err := l.write(context.WithoutCancel(ctx), []Entry{e}); err != nil {
			l.lost(1, err)
		}
		return
	}
	l.entries <- e
}

// Flush returns once every entry appended before it was called is written.
func (l *Log) Flush(ctx context.Context) error {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil
	}
	reply := make(chan error, 1)
	select {
	case l.flushes <- reply:
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	l.mu.RUnlock()
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is buffered and stops the writer. It is safe to call twice.
func (l *Log) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.entries)
	l.mu.Unlock()
	<-l.done
}

// run is the writer: it gathers entries and writes them in batches.
func (l *Log) run() {
	defer close(l.done)
	tick := time.NewTicker(l.settings.FlushEvery)
	defer tick.Stop()
	batch := make([]Entry, 0, l.settings.BatchSize)
	for {
		select {
		case e, ok := <-l.entries:
			if !ok {
				l.writeBatch(batch)
				return
			}
			if batch = append(batch, e); len(batch) >= l.settings.BatchSize {
				batch = l.writeBatch(batch)
			}
		case <-tick.C:
			batch = l.writeBatch(batch)
		case reply := <-l.flushes:
			// Everything appended before Flush is in the channel already: drain it.
			for drained := false; !drained; {
				select {
				case e, ok := <-l.entries:
					if !ok {
						drained = true
						break
					}
					batch = append(batch, e)
				default:
					drained = true
				}
			}
			reply <- l.writeAll(batch)
			batch = batch[:0]
		}
	}
}

// writeBatch writes batch and returns it emptied.
func (l *Log) writeBatch(batch []Entry) []Entry {
	_ = l.writeAll(batch) // a failure is counted and logged as lost by writeAll
	return batch[:0]
}

// writeAll writes entries in batches of at most BatchSize, retrying a failed write a
// few times (the database may be restarting). What cannot be written is logged as lost,
// with its size only: an audit entry is personal data too.
func (l *Log) writeAll(entries []Entry) error {
	var failed error
	for start := 0; start < len(entries); start += l.settings.BatchSize {
		part := entries[start:min(start+l.settings.BatchSize, len(entries))]
		var err error
		for attempt := range 3 {
			if attempt > 0 {
				time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
			}
			if err = l.write(context.Background(), part); err == nil {
				break
			}
		}
		if err != nil {
			l.lost(len(part), err)
			failed = err
		}
	}
	return failed
}

func (l *Log) lost(n int, err error) {
	l.lostN.Add(int64(n))
	l.log.Error("audit entries could not be written", slog.Int("entries", n), slog.String("error", err.Error()))
}

// customersPerInsert bounds the rows of one insert into audit_entry_customers, well
// under both engines' limits on statement parameters.
const customersPerInsert = 1000

const (
	insertEntries   = `INSERT INTO audit_entries (id, at, subject, roles, action, operation, resource, purpose, request_id) VALUES `
	insertCustomers = `INSERT INTO audit_entry_customers (entry_id, customer_id, at) VALUES `
)

// write inserts entries in one transaction: a multi-row insert of the entries and of
// the customers they touched.
func (l *Log) write(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var links [][3]any
	args := make([]any, 0, 9*len(entries))
	for _, e := range entries {
		args = append(args, e.ID, e.At, e.Subject, strings.Join(e.Roles, ","), string(e.Action), e.Operation,
			e.Resource, e.Purpose, e.RequestID)
		for _, c := range unique(e.CustomerIDs) {
			links = append(links, [3]any{e.ID, c, e.At})
		}
	}
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin audit write: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(insertEntries+rows(len(entries), 9)), args...); err != nil {
		return errors.Join(fmt.Errorf("insert audit entries: %w", err), tx.Rollback())
	}
	for start := 0; start < len(links); start += customersPerInsert {
		part := links[start:min(start+customersPerInsert, len(links))]
		args := make([]any, 0, 3*len(part))
		for _, r := range part {
			args = append(args, r[0], r[1], r[2])
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertCustomers+rows(len(part), 3)), args...); err != nil {
			return errors.Join(fmt.Errorf("insert audit customers: %w", err), tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit audit entries: %w", err)
	}
	l.written.Add(int64(len(entries)))
	return nil
}

// Register exposes the log's counts on reg: entries written, entries lost (a batch the
// database refused three times), and entries waiting in memory now — what a crash
// would lose.
func (l *Log) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "contacthub_audit_entries_written_total",
			Help: "Audit entries of personal data written to the database."}, func() float64 { return float64(l.written.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "contacthub_audit_entries_lost_total",
			Help: "Audit entries the database refused three times and that were dropped."}, func() float64 { return float64(l.lostN.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "contacthub_audit_entries_buffered",
			Help: "Audit entries waiting in memory to be written (what a crash would lose)."}, func() float64 { return float64(len(l.entries)) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// rows is "(?, ?), (?, ?)" for n rows of cols columns.
func rows(n, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
