package store

import (
	"context"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Statement is one statement a PostgreSQL connection sent, as a Trace saw it.
type Statement struct {
	SQL  string
	Args []any
	// Batch numbers the pipeline the statement went in (0: sent on its own), so that
	// round trips can be told from statements.
	Batch int
	// Conn tells the connections apart (the same number: the same connection), so that
	// a transaction's statements can be told from those of others beside it.
	Conn int
}

// A Trace records every statement the hub sends to PostgreSQL, to count the statements
// and round trips of one request (the tests that pin them) and to replay them with
// pgbench (the bench's limit column). It costs nothing unless a DB is opened with one.
type Trace struct {
	mu      sync.Mutex
	on      bool
	stmts   []Statement
	batches int
	conns   map[*pgx.Conn]int
}

type traceKey struct{}

// WithTrace returns a context whose Open attaches t to the PostgreSQL connections.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func traceOf(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// Start forgets what was recorded and records from now on; Stop ends recording and
// answers the statements since Start.
func (t *Trace) Start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on, t.stmts, t.batches = true, nil, 0
}

// Stop ends recording and answers the statements since Start, in the order sent.
func (t *Trace) Stop() []Statement {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	return t.stmts
}

// Without drops the transactions (begin to commit, on one connection) in which any
// statement mentions one of tables: a background writer's, say, beside a request's. The
// end of a transaction whose begin was not recorded is dropped too: it is not part of
// what was recorded.
func Without(stmts []Statement, tables ...string) []Statement {
	drop := make([]bool, len(stmts))
	openAt := map[int]int{} // connection → index of its begin
	for i, s := range stmts {
		switch s.SQL {
		case "begin":
			openAt[s.Conn] = i
			continue
		case "commit", "rollback":
			if _, ok := openAt[s.Conn]; !ok {
				drop[i] = true // the end of a transaction begun before the recording
			}
			delete(openAt, s.Conn)
			continue
		}
		for _, table := range tables {
			if strings.Contains(s.SQL, table) {
				from, inTx := openAt[s.Conn]
				if !inTx {
					from = i
				}
				for j := from; j < len(stmts); j++ {
					if stmts[j].Conn == s.Conn {
						drop[j] = true
						if j > i && (stmts[j].SQL == "commit" || stmts[j].SQL == "rollback") {
							break
						}
					}
				}
			}
		}
	}
	for conn, at := range openAt { // a begin whose transaction went on after the recording
		alone := true
		for _, s := range stmts[at+1:] {
			alone = alone && s.Conn != conn
		}
		drop[at] = drop[at] || alone
	}
	var kept []Statement
	for i, s := range stmts {
		if !drop[i] {
			kept = append(kept, s)
		}
	}
	return kept
}

// RoundTrips counts the round trips statements took: one each, one per pipeline.
func RoundTrips(stmts []Statement) int {
	n, last := 0, 0
	for _, s := range stmts {
		if s.Batch == 0 || s.Batch != last {
			n++
		}
		last = s.Batch
	}
	return n
}

func (t *Trace) record(conn *pgx.Conn, sql string, args []any, batch int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on {
		return
	}
	if t.conns == nil {
		t.conns = map[*pgx.Conn]int{}
	}
	if _, ok := t.conns[conn]; !ok {
		t.conns[conn] = len(t.conns) + 1
	}
	var kept []any
	for _, a := range args {
		switch a.(type) {
		case pgx.QueryResultFormatsByOID, pgx.QueryResultFormats, pgx.QueryExecMode: // the driver's options, not values
		default:
			kept = append(kept, a)
		}
	}
	t.stmts = append(t.stmts, Statement{SQL: sql, Args: kept, Batch: batch, Conn: t.conns[conn]})
}

type batchKey struct{}

// TraceQueryStart implements pgx.QueryTracer.
func (t *Trace) TraceQueryStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	t.record(conn, d.SQL, d.Args, 0)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *Trace) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (t *Trace) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	t.mu.Lock()
	t.batches++
	n := t.batches
	t.mu.Unlock()
	return context.WithValue(ctx, batchKey{}, n)
}

// TraceBatchQuery implements pgx.BatchTracer.
func (t *Trace) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, d pgx.TraceBatchQueryData) {
	n, _ := ctx.Value(batchKey{}).(int)
	t.record(conn, d.SQL, d.Args, n)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *Trace) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
