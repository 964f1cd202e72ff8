package main

import (
	"testing"
	"time"
)

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
