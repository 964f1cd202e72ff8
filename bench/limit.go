package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/council/contacthub/internal/store"
)

// limiter runs, for a database-backed scenario, the statements the hub sends for it
// (bench/pgbench/*.sql, recorded from the hub by internal/contract's TestBenchScripts)
// with pgbench, prepared, at the hub's own pool size, on the same database in the same
// run: what PostgreSQL alone does on this machine, the limit the hub's rate is set
// against.
type limiter struct {
	pgbench, databaseURL, dir string
	conns                     int
	customers, timelines      int
}

// scripts names each scenario's script, the bound of the seeded index it draws, and
// any other variables it takes (-D name=value: a parameter of the hub's statement that
// is no seeded value, sent as a parameter so PostgreSQL plans it as it plans the hub's).
var scripts = []struct {
	prefix, file, bound string
	defines             []string
}{
	{"customer lookup", "lookup.sql", "customers", nil},
	{"case timeline", "timeline.sql", "timelines", nil},
	{"IVR newCall", "ivr.sql", "customers", nil},
	{"POST /v1/contacts", "contact.sql", "customers", nil},
	{"web page rating", "rating.sql", "customers", nil},
	// The claim takes the next case from the queue, not a seeded customer's: :i goes
	// unused, but the bound is still set for the script's \set.
	{"queue claim", "claim.sql", "customers", []string{"queue=advisors"}},
}

var (
	tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	txLine  = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
)

// limitRun is what pgbench did with a scenario's statements: its rate, and the CPU time
// per transaction of the database servers and of pgbench itself. The databases' time
// is what the statements cost PostgreSQL with no hub in the way: the floor under the
// hub's own "databases" figure for the same scenario.
type limitRun struct {
	tps        float64
	db, client time.Duration
}

// rate runs the scenario's script for d; ok is false when the scenario has no script
// or there is no PostgreSQL to run it on.
func (l limiter) rate(scenario string, d time.Duration) (limitRun, bool, error) {
	if l.databaseURL == "" || l.pgbench == "" {
		return limitRun{}, false, nil
	}
	for _, s := range scripts {
		if !strings.HasPrefix(scenario, s.prefix) {
			continue
		}
		bound := l.customers
		if s.bound == "timelines" {
			bound = min(l.timelines, l.customers)
		}
		secs := max(1, int(d.Round(time.Second).Seconds()))
		args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(l.conns), "-j", strconv.Itoa(min(l.conns, 2)),
			"-T", strconv.Itoa(secs), "-D", fmt.Sprintf("%s=%d", s.bound, bound)}
		for _, d := range s.defines {
			args = append(args, "-D", d)
		}
		cmd := exec.Command(l.pgbench, append(args, "-f", filepath.Join(l.dir, s.file), l.databaseURL)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		before := readCPU(0)
		if err := cmd.Run(); err != nil {
			return limitRun{}, true, fmt.Errorf("pgbench %s: %w\n%s", s.file, err, tail(out.String()))
		}
		after := readCPU(0)
		m, n := tpsLine.FindStringSubmatch(out.String()), txLine.FindStringSubmatch(out.String())
		if m == nil || n == nil || strings.Contains(out.String(), "aborted") {
			return limitRun{}, true, fmt.Errorf("pgbench %s: no clean rate in\n%s", s.file, tail(out.String()))
		}
		tps, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return limitRun{}, true, err
		}
		r := limitRun{tps: tps}
		if txs, _ := strconv.ParseInt(n[1], 10, 64); txs > 0 && before.ok && after.ok {
			r.db = (after.db - before.db) / time.Duration(txs)
			r.client = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()) / time.Duration(txs)
		}
		return r, true, nil
	}
	return limitRun{}, false, nil
}

// drainOutbox waits (up to a minute) until the hub has published and fanned out every
// outbox message. A write scenario, and pgbench running its script after it, leave
// messages the hub's relay then works through; without the wait that work would fall
// into the next scenario's figures instead of the writes'. During a scenario (hub or
// pgbench) the relay runs beside the writes, so both rates carry its cost alike.
func (l limiter) drainOutbox() {
	if l.databaseURL == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, l.databaseURL, "", 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "drain the outbox:", err)
		return
	}
	defer db.Close()
	start := time.Now()
	for ctx.Err() == nil {
		var left int
		if err := db.GetContext(ctx, &left, `SELECT count(*) FROM outbox WHERE published_at IS NULL OR fanned_out_at IS NULL`); err != nil {
			fmt.Fprintln(os.Stderr, "drain the outbox:", err)
			return
		}
		if left == 0 {
			if waited := time.Since(start); waited > time.Second {
				fmt.Fprintf(os.Stderr, "outbox drained in %s\n", waited.Round(100*time.Millisecond))
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "the outbox did not drain within a minute")
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// findPgbench is pgbench on the PATH, or the newest under PostgreSQL's library
// directory, or "" when there is none (the limit column then reads "—").
func findPgbench() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(found) == 0 {
		return ""
	}
	return found[len(found)-1]
}

// limitColumn is the scenario's rate ÷ the limit's, with both rates.
func limitColumn(hub, limit float64, what string) string {
	if limit <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f (%.0f ÷ %s %.0f/s)", hub/limit, hub, what, limit)
}

// pgbenchColumn is limitColumn for a pgbench run, with the CPU it cost per transaction
// (databases · pgbench), set beside the hub's own split in the CPU column.
func pgbenchColumn(hub float64, r limitRun) string {
	col := limitColumn(hub, r.tps, "pgbench")
	if r.db > 0 || r.client > 0 {
		col += fmt.Sprintf("; pgbench CPU per transaction %.2f · %.2f ms", ms2(r.db), ms2(r.client))
	}
	return col
}

func ms2(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// peakReset forgets the hub's peak resident memory, so the next peakRSS is one
// scenario's (Linux: writing 5 to clear_refs resets VmHWM).
func peakReset(pid int) {
	if pid > 0 {
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	}
}

// peakRSS is the hub's peak resident memory since peakReset, or "" when unreadable.
func peakRSS(pid int) string {
	if pid <= 0 {
		return ""
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return fmt.Sprintf("%.0f MB", float64(kb)/1000)
		}
	}
	return ""
}

// loadAverage is the machine's one-minute load average, for the record of a shared machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
