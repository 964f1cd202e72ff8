// Package audit keeps the log of who read or changed a customer's personal data: who
// (subject and roles), when, through which operation, about which customers, why (the
// caller's stated purpose) and in which request. The log is append-only: nothing but the
// retention purge removes an entry, and no API changes one.
//
// Entries are written off the request path: Append adds an entry to those waiting in
// memory and a writer goroutine inserts what has gathered as one multi-row statement,
// every FlushEvery or as soon as BatchSize entries wait. Close drains and writes everything
// still buffered, so a clean shutdown loses nothing; a crash (SIGKILL, power) loses at
// most what was buffered and not yet written: the entries of the last FlushEvery, and
// never more than BufferSize + BatchSize of them.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
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
//
// Entries wait in a slice under a mutex, and the writer is woken once a batch has
// gathered (or by its ticker), not once per entry: a channel send per entry woke the
// writer goroutine, and with it an idle thread, for every audited read, which cost
// more CPU than writing the entry (BENCHMARKS.md, "Issue 19, session 5").
type Log struct {
	db       *store.DB
	log      *slog.Logger
	settings Settings

	mu      sync.Mutex
	room    *sync.Cond // signalled when the writer takes entries, or on Close
	closed  bool
	pending []Entry // appended, not yet taken by the writer: at most BufferSize
	taken   []Entry // the part being written; the writer's own

	batchReady chan struct{} // one slot: BatchSize entries wait
	flushes    chan chan error
	stop, done chan struct{}

	written, lostN atomic.Int64 // entries, for the metrics
}

// Open starts the writer; Close stops it after writing everything buffered.
func Open(db *store.DB, log *slog.Logger, s Settings) *Log {
	s = s.withDefaults()
	l := &Log{db: db, log: log, settings: s, pending: make([]Entry, 0, s.BatchSize),
		batchReady: make(chan struct{}, 1), flushes: make(chan chan error), stop: make(chan struct{}), done: make(chan struct{})}
	l.room = sync.NewCond(&l.mu)
	go l.run()
	return l
}

// Append records e. It does not wait for the database: the entry is written within
// FlushEvery. When BufferSize entries wait it waits for room rather than drop an
// entry, so a slow database slows reads instead of losing their audit. After Close it
// writes e itself.
func (l *Log) Append(ctx context.Context, e Entry) {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	if e.At.IsZero() {
		e.At = store.Now()
	}
	l.mu.Lock()
	for len(l.pending) >= l.settings.BufferSize && !l.closed {
		l.room.Wait()
	}
	if l.closed {
		l.mu.Unlock()
		if err := l.write(context.WithoutCancel(ctx), []Entry{e}); err != nil {
			l.lost(1, err)
		}
		return
	}
	l.pending = append(l.pending, e)
	ready := len(l.pending) >= l.settings.BatchSize
	l.mu.Unlock()
	if ready {
		select { // the slot holds one wake-up; more would say nothing new
		case l.batchReady <- struct{}{}:
		default:
		}
	}
}

// Flush returns once every entry appended before it was called is written.
func (l *Log) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case l.flushes <- reply:
	case <-l.done: // closed: Close wrote everything, and later appends write themselves
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
		<-l.done
		return
	}
	l.closed = true
	l.room.Broadcast() // appenders waiting for room write their entries themselves
	l.mu.Unlock()
	close(l.stop)
	<-l.done
}

// run is the writer: it writes what has gathered when a batch is ready, on each tick,
// on Flush, and on Close.
func (l *Log) run() {
	defer close(l.done)
	tick := time.NewTicker(l.settings.FlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-l.batchReady:
			_ = l.writePending() // a failure is counted and logged as lost by writePending
		case <-tick.C:
			_ = l.writePending()
		case reply := <-l.flushes:
			// Everything appended before Flush is pending already.
			reply <- l.writePending()
		case <-l.stop:
			// closed is set: nothing more is appended to pending.
			_ = l.writePending()
			return
		}
	}
}

// writePending takes the pending entries BatchSize at a time and writes each part,
// until none are left; so at most BufferSize wait and BatchSize are being written.
func (l *Log) writePending() error {
	var failed error
	for {
		l.mu.Lock()
		n := min(len(l.pending), l.settings.BatchSize)
		part := append(l.taken[:0], l.pending[:n]...)
		l.taken = part
		// Shift rather than reslice, so the slice's array is reused and does not creep.
		rest := copy(l.pending, l.pending[n:])
		clear(l.pending[rest:])
		l.pending = l.pending[:rest]
		l.room.Broadcast()
		l.mu.Unlock()
		if n == 0 {
			return failed
		}
		err := l.writeAll(part)
		clear(part) // let the entries go before the next batch reuses the array
		if err != nil {
			failed = err
		}
	}
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

// customersPerInsert bounds the rows of one insert into audit_entry_customers on
// SQLite, well under its limit on statement parameters.
const customersPerInsert = 1000

const (
	insertEntries   = `INSERT INTO audit_entries (id, at, subject, roles, action, operation, resource, purpose, request_id, customer_id) VALUES `
	insertCustomers = `INSERT INTO audit_entry_customers (entry_id, customer_id, at) VALUES `

	// On PostgreSQL a batch goes as one array per column: ten parameters and one
	// short statement to parse and plan, where VALUES rows were 10 × 256 of them. An
	// entry without a customer of its own has "" in the customer array (no customer
	// id is empty: unique drops them). Entry ids go as binary uuids: 16 bytes each
	// instead of 36 characters, which the server parsed.
	insertEntriesUnnest = `INSERT INTO audit_entries (id, at, subject, roles, action, operation, resource, purpose, request_id, customer_id)
 SELECT u.id, u.at, u.subject, u.roles, u.action, u.operation, u.resource, u.purpose, u.request_id, NULLIF(u.customer_id, '')
 FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
 AS u (id, at, subject, roles, action, operation, resource, purpose, request_id, customer_id)`
	insertCustomersUnnest = `INSERT INTO audit_entry_customers (entry_id, customer_id, at)
 SELECT u.entry_id, u.customer_id, u.at FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u (entry_id, customer_id, at)`
)

// shape says where an entry's customers are written: an entry about exactly one
// customer carries it on its own row (own), and writes no link row; an entry about
// nobody or several people has no customer of its own and one link row each (links).
// Most entries are reads of one record, and the link row with its two index entries
// and foreign-key check was most of what the database spent on an entry.
func shape(e Entry) (own string, links []string) {
	ids := unique(e.CustomerIDs)
	if len(ids) == 1 {
		return ids[0], nil
	}
	return "", ids
}

// write inserts entries in one transaction: the entries, and the link rows of those
// that touched nobody or several people, each as one statement (several for many
// customers on SQLite).
func (l *Log) write(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin audit write: %w", err)
	}
	insert := insertRows
	if l.db.Dialect == store.Postgres {
		insert = insertArrays
	}
	if err := insert(ctx, tx, entries); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit audit entries: %w", err)
	}
	l.written.Add(int64(len(entries)))
	return nil
}

// insertRows inserts entries as multi-row VALUES (SQLite).
func insertRows(ctx context.Context, tx *sqlx.Tx, entries []Entry) error {
	var links [][3]any
	args := make([]any, 0, 10*len(entries))
	for _, e := range entries {
		own, others := shape(e)
		var customer any // NULL: the entry's customers, if any, are link rows
		if own != "" {
			customer = own
		}
		args = append(args, e.ID, e.At, e.Subject, strings.Join(e.Roles, ","), string(e.Action), e.Operation,
			e.Resource, e.Purpose, e.RequestID, customer)
		for _, c := range others {
			links = append(links, [3]any{e.ID, c, e.At})
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(insertEntries+rows(len(entries), 10)), args...); err != nil {
		return fmt.Errorf("insert audit entries: %w", err)
	}
	for start := 0; start < len(links); start += customersPerInsert {
		part := links[start:min(start+customersPerInsert, len(links))]
		args := make([]any, 0, 3*len(part))
		for _, r := range part {
			args = append(args, r[0], r[1], r[2])
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(insertCustomers+rows(len(part), 3)), args...); err != nil {
			return fmt.Errorf("insert audit customers: %w", err)
		}
	}
	return nil
}

// insertArrays inserts entries as one array per column (PostgreSQL).
func insertArrays(ctx context.Context, tx *sqlx.Tx, entries []Entry) error {
	c := columnsPool.Get().(*columns)
	defer c.release()
	for _, e := range entries {
		id, err := uuid.Parse(e.ID)
		if err != nil {
			return fmt.Errorf("audit entry id %q: %w", e.ID, err)
		}
		c.ids, c.at, c.subjects = append(c.ids, id), append(c.at, e.At), append(c.subjects, e.Subject)
		c.roles, c.actions = append(c.roles, strings.Join(e.Roles, ",")), append(c.actions, string(e.Action))
		c.operations, c.resources = append(c.operations, e.Operation), append(c.resources, e.Resource)
		c.purposes, c.requests = append(c.purposes, e.Purpose), append(c.requests, e.RequestID)
		own, others := shape(e)
		c.customers = append(c.customers, own)
		for _, customer := range others {
			c.linkEntries, c.linkCustomers, c.linkAt = append(c.linkEntries, id), append(c.linkCustomers, customer), append(c.linkAt, e.At)
		}
	}
	if _, err := tx.ExecContext(ctx, insertEntriesUnnest, c.ids, c.at, c.subjects, c.roles, c.actions, c.operations, c.resources,
		c.purposes, c.requests, c.customers); err != nil {
		return fmt.Errorf("insert audit entries: %w", err)
	}
	if len(c.linkEntries) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, insertCustomersUnnest, c.linkEntries, c.linkCustomers, c.linkAt); err != nil {
		return fmt.Errorf("insert audit customers: %w", err)
	}
	return nil
}

// columns are a batch's values, one slice per column, kept from one batch to the next
// so that a batch does not allocate a dozen arrays. They are pooled rather than the
// writer's own because an Append after Close writes its entry itself, beside the writer.
type columns struct {
	ids, linkEntries                                                               [][16]byte
	subjects, roles, actions, operations, resources, purposes, requests, customers []string
	at, linkAt                                                                     []time.Time
	linkCustomers                                                                  []string
}

var columnsPool = sync.Pool{New: func() any { return new(columns) }}

// release empties c, so that it holds no entry's text, and pools it for the next batch.
func (c *columns) release() {
	for _, col := range []*[]string{&c.subjects, &c.roles, &c.actions, &c.operations, &c.resources, &c.purposes,
		&c.requests, &c.customers, &c.linkCustomers} {
		clear(*col)
		*col = (*col)[:0]
	}
	c.ids, c.linkEntries, c.at, c.linkAt = c.ids[:0], c.linkEntries[:0], c.at[:0], c.linkAt[:0]
	columnsPool.Put(c)
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
			Help: "Audit entries waiting in memory to be written (what a crash would lose)."}, func() float64 { return float64(l.waiting()) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// waiting is how many entries wait in memory to be taken by the writer.
func (l *Log) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}

// rows is "(?, ?), (?, ?)" for n rows of cols columns.
func rows(n, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}

// unique is ids without "" and without repeats, in their first order. Most entries
// name one customer or a few: those are checked against each other without a map (a
// map and its table were a tenth of what an entry allocated), and a single id that is
// not "" comes back as it is, not copied.
func unique(ids []string) []string {
	if len(ids) == 1 && ids[0] != "" {
		return ids
	}
	if len(ids) <= uniqueByScan {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			if id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	}
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

// uniqueByScan is how many ids unique compares pairwise before it takes a map.
const uniqueByScan = 16
