package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/council/contacthub/internal/cputime"
)

// cpuUse is the processor time used so far by the hub, by the database servers
// (PostgreSQL and Redis on this machine) and by this load generator. On a small machine
// where all three share the cores, a scenario's ceiling is the cores divided by the
// time the three spend on one request; the table shows that split so a missed target
// says where its time went.
type cpuUse struct {
	hub, db, load time.Duration
	ok            bool
}

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on every Linux we run on.
const clockTick = 10 * time.Millisecond

// readCPU samples the three; ok is false where /proc cannot be read (not Linux).
func readCPU(hubPID int) cpuUse {
	var u cpuUse
	if hubPID > 0 {
		t, _, ok := procCPU(filepath.Join("/proc", strconv.Itoa(hubPID), "stat"))
		if !ok {
			return cpuUse{}
		}
		u.hub = t
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		// A PostgreSQL backend that exits is reaped by the postmaster, whose children's
		// time then counts it, so the sum over live processes never goes backwards.
		if t, name, ok := procCPU(p); ok && (name == "postgres" || name == "redis-server") {
			u.db += t
		}
	}
	u.load = cputime.Self()
	u.ok = true
	return u
}

// procCPU reads a process's own and reaped children's CPU time from its stat file.
// cputime.Of reads the process's own time only: a database server's exited backends
// count in its children's time, and the servers are told apart by name, which Of does
// not answer; so the hub and the servers are read here, the load generator by
// cputime.Self.
func procCPU(path string) (time.Duration, string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, "", false
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return 0, "", false
	}
	name := s[open+1 : closing]
	// After the name: state is field 3; utime, stime, cutime, cstime are fields 14–17.
	f := strings.Fields(s[closing+1:])
	if len(f) < 15 {
		return 0, "", false
	}
	var ticks int64
	for _, v := range f[11:15] {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick, name, true
}

// perRequest formats the CPU time each of the three spent per request between two
// samples, and how many cores they kept busy together.
func perRequest(before, after cpuUse, requests uint64, wall time.Duration) string {
	if !before.ok || !after.ok || requests == 0 || wall <= 0 {
		return "?"
	}
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000/float64(requests))
	}
	total := (after.hub - before.hub) + (after.db - before.db) + (after.load - before.load)
	return fmt.Sprintf("%s · %s · %s ms (%.1f cores)", per(after.hub-before.hub), per(after.db-before.db),
		per(after.load-before.load), total.Seconds()/wall.Seconds())
}
