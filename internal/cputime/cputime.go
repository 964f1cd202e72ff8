// Package cputime reads how much CPU a process has used. Benchmarks on a shared machine
// price work in CPU time, which hardly moves when others load the cores, where the wall
// clock does.
package cputime

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Self is the CPU time this process has used, user and system. getrusage of the
// calling process fails only for a bad argument, which this is not; 0 then.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Of is the CPU time process pid has used (a database server on this machine, say),
// from /proc (Linux): utime and stime, in clock ticks of 10 ms.
func Of(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("process %d is not on this machine, or not readable: %w", pid, err)
	}
	// The command may hold spaces: fields count from the last ')'. utime and stime are
	// fields 14 and 15 of the whole line, 12 and 13 after the command.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// OnCPU is the time a single-threaded process (a PostgreSQL backend, say) has spent on
// a CPU, in nanoseconds, from the scheduler's own count in /proc/<pid>/schedstat
// (Linux), where Of's ticks are 10 ms: finer for the few milliseconds one round of a
// benchmark gives a backend. It counts the process's first thread only, so it is not
// for a Go process.
func OnCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		return 0, fmt.Errorf("process %d is not on this machine, or not readable: %w", pid, err)
	}
	fields := strings.Fields(string(stat))
	if len(fields) == 0 {
		return 0, fmt.Errorf("/proc/%d/schedstat: %q", pid, stat)
	}
	ns, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/schedstat: %q", pid, stat)
	}
	return time.Duration(ns), nil
}
