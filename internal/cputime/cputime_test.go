package cputime

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

// Both readings grow by about the CPU this process burns between them.
func TestSelfAndOf_CountTheCPUBurnt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	self0 := Self()
	of0, err := Of(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
	}
	self1 := Self()
	of1, err := Of(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := self1 - self0; d < 50*time.Millisecond {
		t.Fatalf("Self grew by %s over 200 ms of spinning", d)
	}
	if d := of1 - of0; d < 50*time.Millisecond {
		t.Fatalf("Of grew by %s over 200 ms of spinning", d)
	}
	if _, err := Of(-1); err == nil {
		t.Fatal("Of(-1) answered without error")
	}
}

// OnCPU counts a single-threaded process's time on a CPU: a shell spinning for 300 ms
// has spent well over 50 ms of it; a process that is not there is an error.
func TestOnCPU_CountsASpinningProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	spin := exec.Command("sh", "-c", "while :; do :; done")
	if err := spin.Start(); err != nil {
		t.Skip("no shell to spin:", err)
	}
	defer func() { _ = spin.Process.Kill(); _ = spin.Wait() }()
	time.Sleep(300 * time.Millisecond)
	used, err := OnCPU(spin.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if used < 50*time.Millisecond {
		t.Fatalf("OnCPU = %s for a shell spinning 300 ms", used)
	}
	if _, err := OnCPU(-1); err == nil {
		t.Fatal("OnCPU(-1) answered without error")
	}
}
