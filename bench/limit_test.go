package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each script the limit column runs must be there, recorded (not hand-written), draw
// its customer below the bound limiter sets with -D, and be given the other variables
// its recording asks for.
func TestEveryLimitScriptIsRecordedAndDrawsBelowItsBound(t *testing.T) {
	for _, s := range scripts {
		b, err := os.ReadFile(filepath.Join("pgbench", s.file))
		if err != nil {
			t.Fatalf("%s: %v", s.prefix, err)
		}
		text, run := string(b), "Run with -D "+s.bound+"=N"
		for _, d := range s.defines {
			run += " -D " + d
		}
		if !strings.Contains(text, "recorded by internal/contract's") || !strings.Contains(text, run+".") ||
			!strings.Contains(text, "random(0, :"+s.bound+" - 1)") {
			t.Errorf("%s: pgbench/%s is not a recorded script run with %q:\n%s", s.prefix, s.file, run, text)
		}
	}
}

func TestPgbenchColumnSetsTheRatesAndTheStatementsCost(t *testing.T) {
	got := pgbenchColumn(719, limitRun{tps: 1296, db: 910 * time.Microsecond, client: 250 * time.Microsecond})
	if want := "0.55 (719 ÷ pgbench 1296/s); pgbench CPU per transaction 0.91 · 0.25 ms"; got != want {
		t.Fatalf("pgbenchColumn = %q, want %q", got, want)
	}
	if got, want := pgbenchColumn(719, limitRun{tps: 1296}), "0.55 (719 ÷ pgbench 1296/s)"; got != want {
		t.Fatalf("pgbenchColumn without CPU = %q, want %q", got, want)
	}
	if got := pgbenchColumn(719, limitRun{}); got != "—" {
		t.Fatalf("pgbenchColumn without a rate = %q, want —", got)
	}
}

func TestPgbenchOutputGivesRateAndTransactions(t *testing.T) {
	out := "number of clients: 4\nnumber of transactions actually processed: 10368\nlatency average = 3.086 ms\n" +
		"initial connection time = 5.812 ms\ntps = 1296.089 (without initial connection time)\n"
	if m := tpsLine.FindStringSubmatch(out); m == nil || m[1] != "1296.089" {
		t.Fatalf("tps = %v", m)
	}
	if m := txLine.FindStringSubmatch(out); m == nil || m[1] != "10368" {
		t.Fatalf("transactions = %v", m)
	}
}
