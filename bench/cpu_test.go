package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestProcCPUReadsOwnAndReapedChildrensTime(t *testing.T) {
	// A process may name itself with spaces and brackets; fields are counted after the last ')'.
	stat := "4242 (post gres) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 30 20 20 0 1 0 100 0 0\n"
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte(stat), 0o600); err != nil {
		t.Fatal(err)
	}
	got, name, ok := procCPU(path)
	if !ok || name != "post gres) (x)" {
		t.Fatalf("procCPU = %v, %q, %v", got, name, ok)
	}
	if want := 250 * clockTick; got != want { // utime 150 + stime 50 + cutime 30 + cstime 20
		t.Fatalf("procCPU = %v, want %v", got, want)
	}
}

func TestPerRequestSplitsTheTimeAndCountsCores(t *testing.T) {
	before := cpuUse{hub: time.Second, db: 2 * time.Second, load: 0, ok: true}
	after := cpuUse{hub: 3 * time.Second, db: 3 * time.Second, load: time.Second, ok: true}
	got := perRequest(before, after, 1000, 2*time.Second)
	if want := "2.00 · 1.00 · 1.00 ms (2.0 cores)"; got != want {
		t.Fatalf("perRequest = %q, want %q", got, want)
	}
	if got := perRequest(cpuUse{}, after, 1000, time.Second); got != "?" {
		t.Fatalf("perRequest without a first sample = %q, want ?", got)
	}
}
