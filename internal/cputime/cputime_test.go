package cputime

import (
	"os"
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
