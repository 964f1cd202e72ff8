package webhook

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/store"
)

// Delivery statuses.
const (
	Pending   = "pending"
	Succeeded = "succeeded"
	Failed    = "failed" // the receiver refused it (a 4xx other than 408 and 429)
	Dead      = "dead"   // still failing when its retry window ended
)

// Defaults of a Sender.
const (
	DefaultRetryWindow  = 24 * time.Hour
	DefaultDisableAfter = 5 * 24 * time.Hour
	DefaultLease        = 30 * time.Second // longer than an attempt's 10 s timeout
	DefaultFollowOn     = 100
	answerKept          = 1 << 10
	maxErrorText        = 500
)

// Sender POSTs due deliveries. Only the oldest pending delivery of a (subscription,
// key) is due, so a receiver hears one case's events in order; a delivery is leased by
// moving its next attempt past the attempt's timeout, so two replicas never send the
// same attempt (on PostgreSQL the lease is taken with FOR UPDATE SKIP LOCKED). When a
// delivery succeeds, the worker that sent it leases the next of the same key at once
// (up to FollowOn in a row), so a busy case is not held to one delivery per poll.
type Sender struct {
	db     *store.DB
	client *http.Client
	log    *slog.Logger
	// First is the first retry delay; the schedule scales with it (tests: milliseconds).
	First time.Duration
	// Window is how long a delivery is retried before it is dead.
	Window time.Duration
	// DisableAfter disables a subscription whose endpoint failed continuously this long.
	DisableAfter time.Duration
	Batch        int
	Parallel     int
	// Lease is how long a leased delivery is held from other senders: longer than an
	// attempt can take, and how long a crashed sender's deliveries wait to be sent again.
	Lease time.Duration
	// FollowOn is how many of one key's deliveries a worker sends in a row after a
	// success before it lets the other keys have the worker.
	FollowOn int
	// Metrics, when set, counts and times attempts.
	Metrics *Metrics

	// prepared holds, on SQLite, the statements of an attempt's record and of a lease,
	// prepared once on the one writer connection (query text → statement): the
	// driver parsed each anew, about half of the sender's CPU per delivery
	// (BENCHMARKS.md, "Issue 19, session 5"). PostgreSQL's driver caches its own.
	prepareOnce sync.Once
	prepared    atomic.Pointer[map[string]*sqlx.Stmt]
}

// preparedOnSQLite are the statements prepare prepares.
var preparedOnSQLite = []string{selectDue, selectNextOfKey, finishDelivery, insertAttempt, clearFailing}

// prepare prepares the sender's statements on SQLite, once. It must be called outside
// any transaction: preparing waits for the one writer connection, which a
// transaction holds. A statement that cannot be prepared is sent as text.
func (s *Sender) prepare(ctx context.Context) {
	if s.db.Dialect != store.SQLite {
		return
	}
	s.prepareOnce.Do(func() {
		m := make(map[string]*sqlx.Stmt, len(preparedOnSQLite))
		for _, q := range preparedOnSQLite {
			if stmt, err := s.db.PreparexContext(context.WithoutCancel(ctx), s.db.Rebind(q)); err == nil {
				m[q] = stmt
			}
		}
		s.prepared.Store(&m)
	})
}

// stmt is query's prepared statement for tx, or nil to send the text.
func (s *Sender) stmt(ctx context.Context, tx *sqlx.Tx, query string) *sqlx.Stmt {
	m := s.prepared.Load()
	if m == nil || (*m)[query] == nil {
		return nil
	}
	return tx.StmtxContext(ctx, (*m)[query])
}

// execTx runs query in tx, prepared when it was.
func (s *Sender) execTx(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (sql.Result, error) {
	if stmt := s.stmt(ctx, tx, query); stmt != nil {
		return stmt.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, tx.Rebind(query), args...)
}

// NewSender sends db's deliveries with client (see NewClient).
func NewSender(db *store.DB, client *http.Client, log *slog.Logger) *Sender {
	return &Sender{db: db, client: client, log: log, First: defaultFirst, Window: DefaultRetryWindow,
		DisableAfter: DefaultDisableAfter, Batch: 50, Parallel: 8, Lease: DefaultLease, FollowOn: DefaultFollowOn}
}

type dueRow struct {
	ID             string         `db:"id"`
	SubscriptionID string         `db:"subscription_id"`
	Key            string         `db:"msg_key"`
	EventID        string         `db:"event_id"`
	Body           string         `db:"body"`
	Attempts       int            `db:"attempts"`
	RetryFrom      time.Time      `db:"retry_from"`
	URL            string         `db:"url"`
	Secret         string         `db:"secret"`
	PreviousSecret *string        `db:"previous_secret"`
	PreviousUntil  store.NullTime `db:"previous_secret_until"`
}

func (d dueRow) secrets(now time.Time) []Secret {
	return subRow{Secret: d.Secret, PreviousSecret: d.PreviousSecret, PreviousSecretUntil: d.PreviousUntil}.secrets(now)
}

const (
	anyDue = `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1`
	// The oldest pending delivery of each (subscription, key) that is due.
	dueColumns = `SELECT d.id, d.subscription_id, d.msg_key, d.event_id, d.body, d.attempts, d.retry_from,
 s.url, s.secret, s.previous_secret, s.previous_secret_until
 FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
 WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND s.enabled = ?
 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.subscription_id = d.subscription_id
   AND e.msg_key = d.msg_key AND e.status = 'pending' AND e.event_id < d.event_id)`
	selectDue = dueColumns + ` ORDER BY d.next_attempt_at, d.event_id LIMIT ?`
	// The next of one key, once the one before it succeeded.
	selectNextOfKey = dueColumns + ` AND d.subscription_id = ? AND d.msg_key = ? ORDER BY d.event_id LIMIT 1`
	leaseDue        = `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (?)`
	insertAttempt   = `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, error, answer)
 VALUES (?, ?, ?, ?, ?, ?, ?)`
	finishDelivery = `UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?,
 last_latency_ms = ?, next_attempt_at = ?, finished_at = ? WHERE id = ?`
	clearFailing = `UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`
	markFailing  = `UPDATE webhook_subscriptions SET failing_since = ? WHERE id = ? AND failing_since IS NULL`
	readFailing  = `SELECT owner_subject, enabled, failing_since FROM webhook_subscriptions WHERE id = ?`
	disableSub   = `UPDATE webhook_subscriptions SET enabled = ?, disabled_reason = ?, updated_at = ?, version = version + 1
 WHERE id = ? AND enabled = ?`
)

// attempt is what one POST came to.
type attempt struct {
	status  int // 0: no answer
	latency time.Duration
	err     string
	answer  string
	wait    time.Duration // the receiver's Retry-After
}

// Once sends the deliveries due now (up to Batch, each followed by the next of its key
// while they succeed), waits for them, and reports how many it tried.
func (s *Sender) Once(ctx context.Context) (int, error) {
	due, err := s.takeDue(ctx, s.Batch)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(s.Parallel, 1))
	errs := make([]error, len(due))
	tried := make([]int, len(due))
	for i, d := range due {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			tried[i], errs[i] = s.sendKey(ctx, d)
		}()
	}
	wg.Wait()
	n := 0
	for _, t := range tried {
		n += t
	}
	return n, errors.Join(errs...)
}

// Run sends due deliveries until ctx ends. Its Parallel workers are kept busy: it
// leases as many deliveries as workers are free, at once again when a worker frees up
// and more were due, else every interval. A slow receiver holds one worker, not a batch.
func (s *Sender) Run(ctx context.Context, interval time.Duration) {
	workers := max(s.Parallel, 1)
	slots := make(chan struct{}, workers)
	freed := make(chan struct{}, workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		free := workers - len(slots)
		due, err := s.takeDue(ctx, free)
		if err != nil && ctx.Err() == nil && s.log != nil {
			s.log.Warn("webhook send", slog.String("error", err.Error()))
		}
		for _, d := range due {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.sendKey(ctx, d); err != nil && ctx.Err() == nil && s.log != nil {
					s.log.Warn("webhook send", slog.String("error", err.Error()))
				}
				<-slots
				select {
				case freed <- struct{}{}:
				default: // a signal is already waiting
				}
			}()
		}
		// When every free worker got a delivery (or none was free to look for one), more
		// may be due: look again as soon as a worker frees up. Otherwise wait for the
		// ticker (workers freeing up meanwhile are noted, not acted on: nothing more was
		// due).
		moreDue := len(due) == free
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				waiting = false
			case <-freed:
				waiting = !moreDue
			}
		}
	}
}

// takeDue leases up to n due deliveries (none when n is 0), after a plain read that
// keeps an idle hub from opening write transactions.
func (s *Sender) takeDue(ctx context.Context, n int) ([]dueRow, error) {
	if n <= 0 {
		return nil, nil
	}
	s.prepare(ctx)
	now := store.Now()
	var pending []string
	if err := s.db.SelectContext(ctx, &pending, s.db.Rebind(anyDue), now); err != nil {
		return nil, fmt.Errorf("read deliveries: %w", store.MapError(err))
	}
	if len(pending) == 0 {
		return nil, nil
	}
	return s.lease(ctx, selectDue, now, true, n)
}

// sendKey sends d, then, while each succeeds, the next due delivery of its key, up to
// FollowOn in a row; it reports how many it tried. The next is leased in the same
// transaction that records the success.
func (s *Sender) sendKey(ctx context.Context, d dueRow) (int, error) {
	for n := 1; ; n++ {
		a := s.post(ctx, d)
		follow := n < max(s.FollowOn, 1) && ctx.Err() == nil
		next, err := s.record(ctx, d, a, follow)
		if err != nil || next == nil {
			return n, err
		}
		d = *next
	}
}

// lease takes the deliveries query selects (with args, the first being now) for this
// replica, moving their next attempts past the lease.
func (s *Sender) lease(ctx context.Context, query string, args ...any) ([]dueRow, error) {
	var due []dueRow
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		due, err = s.leaseTx(ctx, tx, query, args...)
		return err
	})
	return due, err
}

func (s *Sender) leaseTx(ctx context.Context, tx *sqlx.Tx, query string, args ...any) ([]dueRow, error) {
	var due []dueRow
	var err error
	if stmt := s.stmt(ctx, tx, query); stmt != nil {
		err = stmt.SelectContext(ctx, &due, args...)
	} else {
		if s.db.Dialect == store.Postgres {
			query += " FOR UPDATE OF d SKIP LOCKED"
		}
		err = tx.SelectContext(ctx, &due, tx.Rebind(query), args...)
	}
	if err != nil {
		return nil, fmt.Errorf("read due deliveries: %w", store.MapError(err))
	}
	if len(due) == 0 {
		return nil, nil
	}
	ids := make([]string, len(due))
	for i, d := range due {
		ids[i] = d.ID
	}
	q, qargs, err := sqlx.In(leaseDue, args[0].(time.Time).Add(s.leaseFor()), ids)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), qargs...); err != nil {
		return nil, fmt.Errorf("lease deliveries: %w", store.MapError(err))
	}
	return due, nil
}

func (s *Sender) leaseFor() time.Duration {
	if s.Lease <= 0 {
		return DefaultLease
	}
	return s.Lease
}

// post makes one attempt of d.
func (s *Sender) post(ctx context.Context, d dueRow) attempt {
	start := time.Now()
	sig, err := Sign(d.EventID, start, []byte(d.Body), d.secrets(start)...)
	if err != nil {
		return attempt{err: "cannot sign: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader([]byte(d.Body)))
	if err != nil {
		return attempt{err: "not a URL the hub can post to"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "contacthub-webhooks/1")
	req.Header.Set(HeaderID, d.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(start.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := s.client.Do(req)
	a := attempt{latency: time.Since(start)}
	if err != nil {
		a.err = errorText(err)
		return a
	}
	body := ReadAnswer(resp)
	a.latency = time.Since(start)
	a.status = resp.StatusCode
	if len(body) > answerKept {
		body = body[:answerKept]
	}
	a.answer = strings.ReplaceAll(strings.ToValidUTF8(string(body), "\uFFFD"), "\x00", "")
	if w, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && classify(a.status) == retry {
		a.wait = w
	}
	return a
}

// errorText is what the log keeps of a failed request: the cause, without the URL
// (whose path or query may carry the receiver's token).
func errorText(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	msg := err.Error()
	if len(msg) > maxErrorText {
		msg = msg[:maxErrorText]
	}
	return strings.ToValidUTF8(msg, "")
}

// record writes an attempt and what it means for the delivery and its subscription.
// When the delivery succeeded and follow is set, it also leases the next due delivery
// of the same key and answers it (nil when there is none).
func (s *Sender) record(ctx context.Context, d dueRow, a attempt, follow bool) (*dueRow, error) {
	var recorded string
	var following *dueRow
	s.prepare(ctx)
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		now := store.Now()
		o := s.judge(d, a, now)
		var err error
		if s.db.Dialect == store.Postgres {
			recorded, following, err = s.recordInOne(ctx, tx, d, a, o, now, follow)
		} else {
			recorded, following, err = s.recordStepByStep(ctx, tx, d, a, o, now, follow)
		}
		if err != nil || recorded == "" || recorded == Succeeded {
			return err
		}
		return s.failing(ctx, tx, d.SubscriptionID, now)
	})
	if err == nil && recorded != "" {
		s.Metrics.observe(recorded, a.latency)
	}
	return following, err
}

// verdict is what an attempt makes of its delivery.
type verdict struct {
	state    string
	attempts int
	status   any // the receiver's status code, or nil when it did not answer
	errText  string
	latency  int64 // milliseconds
	next     time.Time
	finished any // now, or nil while the delivery is pending
}

// judge decides what a, the attempt of d made at now, makes of d: delivered, refused,
// to be retried after the backoff (or the receiver's Retry-After), or dead.
func (s *Sender) judge(d dueRow, a attempt, now time.Time) verdict {
	o := verdict{state: Pending, attempts: d.Attempts + 1, errText: a.err, latency: a.latency.Milliseconds(), next: now}
	if a.status != 0 {
		o.status = a.status
	}
	switch classify(a.status) {
	case delivered:
		o.state, o.finished = Succeeded, now
	case final:
		o.state, o.finished = Failed, now
		o.errText = fmt.Sprintf("the receiver answered %d", a.status)
	default:
		if a.err == "" {
			o.errText = fmt.Sprintf("the receiver answered %d", a.status)
		}
		if now.Sub(d.RetryFrom) >= s.Window {
			o.state, o.finished = Dead, now
		} else {
			o.next = now.Add(max(Backoff(o.attempts, s.First, nil), a.wait))
		}
	}
	return o
}

// recordStepByStep is record's work on SQLite, a statement at a time (each prepared,
// and no round trips to save): it answers the state recorded ("" when the delivery
// is gone, its subscription deleted meanwhile) and the next of the key it leased.
func (s *Sender) recordStepByStep(ctx context.Context, tx *sqlx.Tx, d dueRow, a attempt, o verdict, now time.Time, follow bool) (string, *dueRow, error) {
	res, err := s.execTx(ctx, tx, finishDelivery, o.state, o.attempts, o.status, o.errText, o.latency, o.next, o.finished, d.ID)
	if err != nil {
		return "", nil, fmt.Errorf("update delivery: %w", store.MapError(err))
	}
	if rows, err := res.RowsAffected(); err != nil {
		return "", nil, fmt.Errorf("update delivery: %w", err)
	} else if rows == 0 {
		return "", nil, nil
	}
	if _, err := s.execTx(ctx, tx, insertAttempt, d.ID, o.attempts, now, o.status, o.latency, a.err, a.answer); err != nil {
		return "", nil, fmt.Errorf("log attempt: %w", store.MapError(err))
	}
	if o.state != Succeeded {
		return o.state, nil, nil
	}
	if _, err := s.execTx(ctx, tx, clearFailing, d.SubscriptionID); err != nil {
		return "", nil, fmt.Errorf("update subscription: %w", store.MapError(err))
	}
	if !follow {
		return o.state, nil, nil
	}
	due, err := s.leaseTx(ctx, tx, selectNextOfKey, now, true, d.SubscriptionID, d.Key)
	if err != nil || len(due) == 0 {
		return o.state, nil, err
	}
	return o.state, &due[0], nil
}

// recordAndLeaseNext is recordStepByStep in one PostgreSQL statement, one round trip
// instead of six: it relaxes the commit (set_config(..., true) is SET LOCAL), finishes the delivery, logs
// the attempt and, on a success, clears the subscription's failing mark and leases the
// next due delivery of the key (FOR UPDATE SKIP LOCKED, as a lease is taken). All of a
// statement's parts see the rows as they were before it, so the delivery being
// finished still looks pending to the search for the next: the search passes it over
// by its id (it is the oldest pending of its key, or it would not have been sent). The
// key is given as values, as selectNextOfKey has it, not joined from the finished row:
// joined, one busy case's deliveries went at a sixth of the speed (the planner cannot
// see the key in a row the statement makes).
// It answers the finished delivery (leg 0; none when its subscription was deleted
// meanwhile), then the leased one (leg 1), if any.
const recordAndLeaseNext = `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
finished AS (
 UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?,
  last_latency_ms = ?, next_attempt_at = ?, finished_at = ?
 FROM relaxed WHERE id = ?
 RETURNING id, subscription_id, msg_key, event_id, body, attempts, retry_from, status),
logged AS (
 INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, error, answer)
 SELECT id, attempts, ?, ?, ?, ?, ? FROM finished),
cleared AS (
 UPDATE webhook_subscriptions SET failing_since = NULL
 WHERE id = (SELECT subscription_id FROM finished WHERE status = 'succeeded') AND failing_since IS NOT NULL),
following AS (
 SELECT d.id, d.subscription_id, d.msg_key, d.event_id, d.body, d.attempts, d.retry_from,
  s.url, s.secret, s.previous_secret, s.previous_secret_until
 FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
 WHERE ? AND EXISTS (SELECT 1 FROM finished WHERE status = 'succeeded')
 AND d.subscription_id = ? AND d.msg_key = ? AND d.id <> ?
 AND d.status = 'pending' AND d.next_attempt_at <= ? AND s.enabled
 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.subscription_id = d.subscription_id
   AND e.msg_key = d.msg_key AND e.status = 'pending' AND e.event_id < d.event_id AND e.id <> ?)
 ORDER BY d.event_id LIMIT 1
 FOR UPDATE OF d SKIP LOCKED),
leased AS (
 UPDATE webhook_deliveries d SET next_attempt_at = ? FROM following n WHERE d.id = n.id
 RETURNING n.*)
SELECT 0 AS leg, id, subscription_id, msg_key, event_id, body, attempts, retry_from,
 '' AS url, '' AS secret, NULL AS previous_secret, NULL AS previous_secret_until FROM finished
UNION ALL
SELECT 1, * FROM leased
ORDER BY leg`

// The commit of an attempt's record is relaxed: PostgreSQL acknowledges it before it
// reaches the disk. Losing it in a crash loses only the knowledge that the attempt was
// made — the delivery (and the next of its key, leased in the same transaction) is
// pending again and sent again, in order, which receivers already de-duplicate on
// webhook-id — while one busy case's deliveries, each waiting for the one before, no
// longer each wait for a flush to disk.

// recordInOne is recordStepByStep on PostgreSQL, in one statement (recordAndLeaseNext).
func (s *Sender) recordInOne(ctx context.Context, tx *sqlx.Tx, d dueRow, a attempt, o verdict, now time.Time, follow bool) (string, *dueRow, error) {
	var legs []struct {
		Leg int `db:"leg"`
		dueRow
	}
	if err := tx.SelectContext(ctx, &legs, tx.Rebind(recordAndLeaseNext),
		o.state, o.attempts, o.status, o.errText, o.latency, o.next, o.finished, d.ID,
		now, o.status, o.latency, a.err, a.answer,
		follow, d.SubscriptionID, d.Key, d.ID, now, d.ID,
		now.Add(s.leaseFor())); err != nil {
		return "", nil, fmt.Errorf("record attempt: %w", store.MapError(err))
	}
	switch {
	case len(legs) == 0:
		return "", nil, nil
	case len(legs) == 1:
		return o.state, nil, nil
	}
	return o.state, &legs[1].dueRow, nil
}

// failing notes a failed attempt against a subscription, and disables it once its
// endpoint has failed for DisableAfter without a success, telling so in an event.
func (s *Sender) failing(ctx context.Context, tx *sqlx.Tx, subID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(markFailing), now, subID); err != nil {
		return fmt.Errorf("update subscription: %w", store.MapError(err))
	}
	var sub struct {
		Owner   string         `db:"owner_subject"`
		Enabled bool           `db:"enabled"`
		Since   store.NullTime `db:"failing_since"`
	}
	if err := tx.GetContext(ctx, &sub, tx.Rebind(readFailing), subID); err != nil {
		return fmt.Errorf("read subscription: %w", store.MapError(err))
	}
	if !sub.Enabled || !sub.Since.Valid || now.Sub(sub.Since.Time) < s.DisableAfter {
		return nil
	}
	reason := fmt.Sprintf("every delivery failed since %s (%s without a success)", sub.Since.Time.Format(time.RFC3339),
		s.DisableAfter)
	res, err := tx.ExecContext(ctx, tx.Rebind(disableSub), false, reason, now, subID, true)
	if err != nil {
		return fmt.Errorf("disable subscription: %w", store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("disable subscription: %w", err)
	} else if n != 1 {
		return nil
	}
	if _, err := event.Record(ctx, tx, event.Change{Key: subID, Actor: event.System, At: now,
		Payload: event.WebhookEndpointDisabledData{SubscriptionID: subID, Owner: sub.Owner, Reason: reason, FailingSince: sub.Since.Time}}); err != nil {
		return err
	}
	if s.log != nil {
		s.log.Warn("webhook subscription disabled", slog.String("subscription", subID))
	}
	return nil
}

// Run fans out until ctx ends, polling every interval.
func (f *FanOut) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	loop(ctx, interval, f.Batch, "webhook fan-out", log, f.Once)
}

// loop calls once until ctx ends: at once again after a full batch, else after interval.
func loop(ctx context.Context, interval time.Duration, batch int, what string, log *slog.Logger, once func(context.Context) (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := once(ctx)
		if err != nil && ctx.Err() == nil && log != nil {
			log.Warn(what, slog.String("error", err.Error()))
		}
		if n >= batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// LogRetention is how long a finished delivery and its attempts stay in the log.
const LogRetention = 30 * 24 * time.Hour

const purgeFinished = `DELETE FROM webhook_deliveries WHERE finished_at IS NOT NULL AND finished_at < ?`

// Purge deletes deliveries finished more than LogRetention ago, with their attempts.
func (s *Sender) Purge(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(purgeFinished), store.Now().Add(-LogRetention)); err != nil {
		return fmt.Errorf("purge webhook deliveries: %w", store.MapError(err))
	}
	return nil
}
