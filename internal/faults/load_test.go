//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The load and the bounds every fault is held to.
const (
	clients         = 6                // concurrent writers, each with a token of its own
	ratePerClient   = 10               // writes per second per writer: 60 a second in all
	requestTimeout  = 20 * time.Second // longer than the hub's 10 s wait on a key in use
	retryDeadline   = 100 * time.Second
	retryPause      = 250 * time.Millisecond
	retryWorkers    = 8
	resends         = 30               // acknowledged writes sent again after the fault, as a client that lost the answer would
	recoveryBound   = 10 * time.Second // fault's end to the first acknowledged write
	shutdownTimeout = 15 * time.Second // CONTACTHUB_SHUTDOWN_TIMEOUT given to the hub
)

// outcome is what one HTTP attempt means for its write.
type outcome int

const (
	acknowledged outcome = iota // 2xx: the write is promised durable
	retryLater                  // no answer, 5xx, 429, 409 idempotency-key-in-use: send again, same key
	refused                     // any other answer: a good request refused, or the suite is wrong
)

// attempt is one HTTP request for a write.
type attempt struct {
	start, end time.Time
	status     int    // 0: no answer
	detail     string // the problem type, or the transport error
	outcome    outcome
}

// write is one logical write: a contact whose summary is its marker, sent with the
// marker as its Idempotency-Key as often as it takes to get an answer.
type write struct {
	marker string
	body   []byte
	client int

	mu       sync.Mutex
	attempts []attempt
	acked    bool
	refused  bool
}

func (w *write) settled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acked || w.refused
}

// load drives steady writes at a hub and keeps a ledger of every attempt.
type load struct {
	t       *testing.T
	fault   string
	hub     *hub
	tokens  []string
	clients []*http.Client

	mu       sync.Mutex
	writes   []*write
	attempts []attempt

	seq      atomic.Int64
	inFlight atomic.Int64
	stop     chan struct{}
	running  sync.WaitGroup
}

func newLoad(t *testing.T, h *hub, fault string) *load {
	t.Helper()
	l := &load{t: t, fault: fault, hub: h, stop: make(chan struct{})}
	for i := range clients {
		l.tokens = append(l.tokens, h.token(fmt.Sprintf("faults-writer-%d", i)))
		l.clients = append(l.clients, &http.Client{Timeout: requestTimeout})
	}
	return l
}

// prefix begins every marker of this fault's writes.
func (l *load) prefix() string { return "faults-" + l.fault + "-" }

// newWrite makes the next write for client i: a phone contact from a new resident
// (so each write creates a customer, a case, the contact, timeline events and outbox
// messages in one transaction).
func (l *load) newWrite(i int) *write {
	marker := fmt.Sprintf("%s%06d", l.prefix(), l.seq.Add(1))
	body, err := json.Marshal(map[string]any{
		"channel":     "phone",
		"service":     map[string]any{"lgsl": 59},
		"givenName":   "Fault",
		"familyName":  "Suite",
		"identifiers": []map[string]string{{"kind": "email", "value": marker + "@example.org"}},
		"summary":     marker,
	})
	if err != nil {
		panic(err)
	}
	w := &write{marker: marker, body: body, client: i}
	l.mu.Lock()
	l.writes = append(l.writes, w)
	l.mu.Unlock()
	return w
}

// start begins the steady writes: each client sends one write per tick, waiting for
// its answer (a slow answer skips ticks rather than bunching them up).
func (l *load) start() {
	for i := range clients {
		l.running.Add(1)
		go func() {
			defer l.running.Done()
			tick := time.NewTicker(time.Second / ratePerClient)
			defer tick.Stop()
			for {
				select {
				case <-l.stop:
					return
				case <-tick.C:
				}
				l.send(l.newWrite(i))
			}
		}()
	}
}

// halt stops the steady writes and waits for the last answers.
func (l *load) halt() {
	close(l.stop)
	l.running.Wait()
}

// send makes one attempt at w with its client.
func (l *load) send(w *write) attempt {
	return l.sendWith(l.clients[w.client], w, bytes.NewReader(w.body))
}

// sendWith makes one attempt at w through client, reading w's bytes from body (the
// SIGTERM test's slow requests trickle them).
func (l *load) sendWith(client *http.Client, w *write, body io.Reader) attempt {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.hub.URL()+"/v1/contacts", body)
	if err != nil {
		l.t.Fatal(err)
	}
	req.ContentLength = int64(len(w.body))
	req.Header.Set("Authorization", "Bearer "+l.tokens[w.client])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", w.marker)

	a := attempt{start: time.Now()}
	l.inFlight.Add(1)
	resp, err := client.Do(req)
	if err != nil {
		a.detail, a.outcome = transportError(err), retryLater
	} else {
		raw, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		a.status = resp.StatusCode
		a.detail, a.outcome = classify(resp.StatusCode, raw)
		if a.outcome == acknowledged {
			a.detail = answered(resp, raw)
		}
	}
	l.inFlight.Add(-1)
	a.end = time.Now()

	w.mu.Lock()
	w.attempts = append(w.attempts, a)
	switch a.outcome {
	case acknowledged:
		w.acked = true
	case refused:
		w.refused = true
	}
	w.mu.Unlock()
	l.mu.Lock()
	l.attempts = append(l.attempts, a)
	l.mu.Unlock()
	return a
}

// classify reads an answer: 2xx is acknowledged; 5xx, 429 and a key still in use are
// to be retried with the same key; anything else is a refusal.
func classify(status int, body []byte) (string, outcome) {
	var problem struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &problem)
	switch {
	case status >= 200 && status < 300:
		return "", acknowledged
	case status == http.StatusConflict && strings.HasSuffix(problem.Type, "/idempotency-key-in-use"),
		status == http.StatusTooManyRequests, status >= 500:
		return problem.Type, retryLater
	}
	return fmt.Sprintf("%s %.200s", problem.Type, body), refused
}

// answered says which contact a 2xx answer names and whether it was a replay, so a
// lost write's history shows what the hub claimed.
func answered(resp *http.Response, body []byte) string {
	var recorded struct {
		Contact struct {
			ID string `json:"id"`
		} `json:"contact"`
	}
	_ = json.Unmarshal(body, &recorded)
	how := "contact " + recorded.Contact.ID
	if recorded.Contact.ID == "" {
		how = fmt.Sprintf("no contact in %d bytes", len(body))
	}
	if resp.Header.Get("Idempotent-Replayed") == "true" {
		how += ", replayed"
	}
	return how
}

// transportError names a failed request's cause briefly.
func transportError(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return err.Error()
}

// waitInFlight waits up to limit for at least n requests to be open at once, so that
// a fault lands on work in progress.
func (l *load) waitInFlight(n int64, limit time.Duration) int64 {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if k := l.inFlight.Load(); k >= n {
			return k
		}
		time.Sleep(time.Millisecond)
	}
	return l.inFlight.Load()
}

// retryUnanswered sends every write that has no answer yet again, with the same key,
// until it is answered or the deadline passes. It returns how many needed it.
func (l *load) retryUnanswered() int {
	l.mu.Lock()
	var pending []*write
	for _, w := range l.writes {
		if !w.settled() {
			pending = append(pending, w)
		}
	}
	l.mu.Unlock()
	deadline := time.Now().Add(retryDeadline)
	work := make(chan *write)
	var wg sync.WaitGroup
	for range retryWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				for !w.settled() && time.Now().Before(deadline) {
					if a := l.send(w); a.outcome == retryLater {
						time.Sleep(retryPause)
					}
				}
			}
		}()
	}
	for _, w := range pending {
		work <- w
	}
	close(work)
	wg.Wait()
	return len(pending)
}

// resendAcknowledged sends up to resends acknowledged writes again with the same key
// and body, as a client whose answer was lost would, until each is answered. Each
// must be answered from the key (a replay), never written again: settle counts rows.
// Half are the last writes acknowledged before the fault began (the most exposed),
// the rest spread evenly over the others. It returns how many were resent, and the
// resends that were refused or never answered.
func (l *load) resendAcknowledged(faultStart time.Time) (int, []string) {
	l.mu.Lock()
	var before, after []*write
	for _, w := range l.writes {
		w.mu.Lock()
		if w.acked {
			if w.attempts[0].start.Before(faultStart) {
				before = append(before, w)
			} else {
				after = append(after, w)
			}
		}
		w.mu.Unlock()
	}
	l.mu.Unlock()
	n := min(resends/2, len(before))
	picked := append([]*write(nil), before[len(before)-n:]...)
	rest := append(append([]*write(nil), before[:len(before)-n]...), after...)
	want := min(resends-n, len(rest))
	for i := range want {
		picked = append(picked, rest[i*len(rest)/want])
	}

	deadline := time.Now().Add(retryDeadline)
	var mu sync.Mutex
	var problems []string
	var wg sync.WaitGroup
	sem := make(chan struct{}, retryWorkers)
	for _, w := range picked {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var a attempt
			for time.Now().Before(deadline) {
				if a = l.send(w); a.outcome != retryLater {
					break
				}
				time.Sleep(retryPause)
			}
			if a.outcome != acknowledged {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s: %d %s", w.marker, a.status, a.detail))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(picked), problems
}

// window counts the attempts begun in [from, to) and those acknowledged, and gives
// their median latency.
func (l *load) window(from, to time.Time) (sent, ok int, median time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var latencies []time.Duration
	for _, a := range l.attempts {
		if !a.start.Before(from) && a.start.Before(to) {
			sent++
			latencies = append(latencies, a.end.Sub(a.start))
			if a.outcome == acknowledged {
				ok++
			}
		}
	}
	if len(latencies) > 0 {
		sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
		median = latencies[len(latencies)/2]
	}
	return sent, ok, median
}

// recovery is the time from the fault's end to the answer of the first write begun
// after it that was acknowledged; -1 when there was none.
func (l *load) recovery(faultEnd time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	best := time.Duration(-1)
	for _, a := range l.attempts {
		if a.outcome == acknowledged && !a.start.Before(faultEnd) {
			if d := a.end.Sub(faultEnd); best < 0 || d < best {
				best = d
			}
		}
	}
	return best
}

// result is one row of the summary table.
type result struct {
	fault      string
	writes     int // logical writes (markers)
	requests   int // HTTP attempts, retries included
	acked      int // writes answered 2xx
	errors     int // attempts answered 5xx/429/409-in-use, or not at all
	retried    int // writes still unanswered when the load stopped, retried with the same key
	resent     int // acknowledged writes sent again with the same key (must replay)
	unanswered int // writes with no answer even after retryDeadline
	refused    int // writes answered with another 4xx
	lost       int // acknowledged writes with no row
	duplicates int // extra rows: a marker with n rows counts n-1
	recovery   time.Duration
	note       string
}

// settle stops the load, retries what is unanswered, resends some acknowledged
// writes, reads the database and checks the guarantees every fault shares: nothing
// acknowledged is lost, nothing is written twice, every write is answered in the end,
// and the hub recovered (recovery, measured by the test) within the bound.
func (l *load) settle(faultStart time.Time, recovery time.Duration) *result {
	t := l.t
	l.halt()
	r := &result{fault: l.fault, recovery: recovery}
	r.retried = l.retryUnanswered()
	var resendProblems []string
	r.resent, resendProblems = l.resendAcknowledged(faultStart)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := l.hub.rowsPerMarker(ctx, l.prefix())
	if err != nil {
		t.Fatalf("%s: read the hub's database: %v", l.fault, err)
	}
	var lost, dups, unanswered, refusals []string
	l.mu.Lock()
	r.writes, r.requests = len(l.writes), len(l.attempts)
	for _, a := range l.attempts {
		if a.outcome == retryLater {
			r.errors++
		}
	}
	for _, w := range l.writes {
		w.mu.Lock()
		n := rows[w.marker]
		switch {
		case w.acked:
			r.acked++
			if n == 0 {
				lost = append(lost, fmt.Sprintf("%s (answers: %s)", w.marker, history(w.attempts)))
			}
		case w.refused:
			last := w.attempts[len(w.attempts)-1]
			refusals = append(refusals, fmt.Sprintf("%s: %d %s", w.marker, last.status, last.detail))
		default:
			last := w.attempts[len(w.attempts)-1]
			unanswered = append(unanswered, fmt.Sprintf("%s (%d attempts, last %d %s)", w.marker, len(w.attempts), last.status, last.detail))
		}
		if n > 1 {
			r.duplicates += n - 1
			dups = append(dups, fmt.Sprintf("%s ×%d (answers: %s)", w.marker, n, history(w.attempts)))
		}
		w.mu.Unlock()
	}
	l.mu.Unlock()
	r.lost, r.unanswered, r.refused = len(lost), len(unanswered), len(refusals)

	if len(lost) > 0 {
		t.Errorf("%s: %d acknowledged write(s) LOST (answered 2xx, no row): %s", l.fault, len(lost), some(lost))
	}
	if len(dups) > 0 {
		t.Errorf("%s: %d DUPLICATE row(s): retries with the same Idempotency-Key wrote again: %s", l.fault, r.duplicates, some(dups))
	}
	if len(unanswered) > 0 {
		t.Errorf("%s: %d write(s) still unanswered %s after the load stopped: %s", l.fault, len(unanswered), retryDeadline, some(unanswered))
	}
	if len(resendProblems) > 0 {
		t.Errorf("%s: %d acknowledged write(s) sent again with the same key were not answered 2xx: %s", l.fault, len(resendProblems), some(resendProblems))
	}
	if len(refusals) > 0 {
		t.Errorf("%s: %d write(s) refused with a 4xx: %s", l.fault, len(refusals), some(refusals))
	}
	switch {
	case r.recovery < 0:
		t.Errorf("%s: no write was acknowledged after the fault ended", l.fault)
	case r.recovery > recoveryBound:
		t.Errorf("%s: recovery took %.1f s, over the bound of %s", l.fault, r.recovery.Seconds(), recoveryBound)
	}
	return r
}

// history tells a write's attempts in order, repeats folded: "connection reset,
// 409 /problems/idempotency-key-in-use ×5, 201".
func history(attempts []attempt) string {
	var parts []string
	last, repeats := "", 0
	flush := func() {
		switch {
		case repeats == 1:
			parts = append(parts, last)
		case repeats > 1:
			parts = append(parts, fmt.Sprintf("%s ×%d", last, repeats))
		}
	}
	for _, a := range attempts {
		label := a.detail
		if a.status != 0 {
			label = strings.TrimSpace(fmt.Sprintf("%d %s", a.status, a.detail))
		}
		if label == last {
			repeats++
			continue
		}
		flush()
		last, repeats = label, 1
	}
	flush()
	return strings.Join(parts, ", ")
}

// some lists up to ten items, and how many more there are.
func some(items []string) string {
	sort.Strings(items)
	if len(items) <= 10 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:10], ", ") + fmt.Sprintf(" … and %d more", len(items)-10)
}

// The summary table, printed by TestMain after every test.
var (
	resultsMu sync.Mutex
	results   []*result
)

func report(t *testing.T, r *result) {
	t.Helper()
	resultsMu.Lock()
	results = append(results, r)
	resultsMu.Unlock()
	t.Logf("\n%s", table([]*result{r}))
}

func table(rs []*result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %6s %8s %6s %6s %7s %6s %10s %7s %4s %5s %9s  %s\n",
		"fault", "writes", "requests", "acked", "errors", "retried", "resent", "unanswered", "refused", "lost", "dupes", "recovery", "notes")
	for _, r := range rs {
		rec := "none"
		if r.recovery >= 0 {
			rec = fmt.Sprintf("%.2f s", r.recovery.Seconds())
		}
		fmt.Fprintf(&b, "%-9s %6d %8d %6d %6d %7d %6d %10d %7d %4d %5d %9s  %s\n",
			r.fault, r.writes, r.requests, r.acked, r.errors, r.retried, r.resent, r.unanswered, r.refused, r.lost, r.duplicates, rec, r.note)
	}
	return b.String()
}
