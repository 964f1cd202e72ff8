//go:build faults

package faults

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Each fault's timing: writes flow for warmUp before it and for cooldown after it ends.
const (
	warmUp      = 3 * time.Second
	cooldown    = 4 * time.Second
	dbCutFor    = 5 * time.Second
	redisCutFor = 10 * time.Second
	// minShareDuringRedisCut is the least share of writes begun while Redis is cut that
	// must be acknowledged: Redis is never needed for correctness.
	minShareDuringRedisCut = 0.9
	slowRequests           = 3 // requests still sending their body when SIGTERM arrives
	kills                  = 3
	betweenKills           = 3 * time.Second
	dbLatencyForKills      = 20 * time.Millisecond
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "contacthub-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary, err = buildHub(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	if len(results) > 0 {
		fmt.Printf("\nFault suite summary (%d writers at %d writes/s each; unanswered writes retried with the same key for up to %s;\n"+
			"recovery = seconds from the fault's end to the first acknowledged write begun after it, bound %s)\n\n%s\n",
			clients, ratePerClient, retryDeadline, recoveryBound, table(results))
	}
	os.Exit(code)
}

// A SIGKILL loses nothing acknowledged, and a retry of a request that died with the
// hub, sent with the same key after the restart, writes once. The hub is killed
// kills times, each time with requests in flight; meanwhile the database's replies
// are slowed by dbLatencyForKills, so that kills land inside transactions and between
// a commit and its answer (the window in which a retry could write twice).
func TestKill9_AcknowledgedWritesSurviveAndRetriesWriteOnce(t *testing.T) {
	h := newHub(t)
	h.start()
	l := newLoad(t, h, "kill-9")
	l.start()
	time.Sleep(warmUp)

	h.DB.slow(dbLatencyForKills)
	first := time.Now()
	var open []string
	slowest := time.Duration(0)
	for range kills {
		open = append(open, fmt.Sprint(l.waitInFlight(4, 3*time.Second)))
		h.signal(syscall.SIGKILL)
		if exited, _ := h.wait(5 * time.Second); !exited {
			t.Fatal("kill-9: the hub did not die on SIGKILL")
		}
		restart := time.Now()
		h.start()
		time.Sleep(betweenKills)
		if d := l.recovery(restart); slowest >= 0 && (d < 0 || d > slowest) {
			slowest = d // -1, none, sticks
		}
	}
	h.DB.slow(0)
	time.Sleep(cooldown)

	r := l.settle(first, slowest)
	r.note = fmt.Sprintf("%d kills, in flight at each: %s; database replies +%s; recovery: slowest restart",
		kills, strings.Join(open, ","), dbLatencyForKills)
	report(t, r)
}

// Cutting every PostgreSQL connection, and refusing new ones for a while, loses
// nothing acknowledged, writes nothing twice, and the hub serves again soon after.
func TestDatabaseCut_HubRecoversAndRetriesWriteOnce(t *testing.T) {
	h := newHub(t)
	h.start()
	l := newLoad(t, h, "db-cut")
	l.start()
	time.Sleep(warmUp)

	open := l.waitInFlight(1, 2*time.Second)
	cut := time.Now()
	h.DB.cut()
	time.Sleep(dbCutFor)
	h.DB.restore()
	restored := time.Now()
	sent, ok, median := l.window(cut, restored)
	time.Sleep(cooldown)

	r := l.settle(cut, l.recovery(restored))
	r.note = fmt.Sprintf("cut %s with %d in flight; %d/%d acknowledged during the cut (median answer %s)",
		dbCutFor, open, ok, sent, median.Round(time.Millisecond))
	report(t, r)
}

// Redis is never needed for correctness: with it cut, writes go on being
// acknowledged, and when it comes back empty (a restart without persistence, as
// .ci/services runs it) no retry writes twice.
func TestRedisCut_WritesGoOnWithoutRedis(t *testing.T) {
	h := newHub(t)
	h.start()
	l := newLoad(t, h, "redis-cut")
	l.start()
	time.Sleep(warmUp)

	cut := time.Now()
	h.Redis.cut()
	time.Sleep(redisCutFor / 2)
	ready := readyzStatus(h)
	time.Sleep(redisCutFor / 2)
	wiped, err := h.wipeRedis(context.Background())
	if err != nil {
		t.Fatalf("redis-cut: wipe the hub's keys: %v", err)
	}
	h.Redis.restore()
	restored := time.Now()
	sent, ok, median := l.window(cut, restored)
	time.Sleep(cooldown)

	r := l.settle(cut, l.recovery(restored))
	r.note = fmt.Sprintf("cut %s, back with its %d keys lost; %d/%d acknowledged during the cut (need %.0f%%; median answer %s); /readyz during the cut: %s",
		redisCutFor, wiped, ok, sent, minShareDuringRedisCut*100, median.Round(time.Millisecond), ready)
	report(t, r)
	if sent == 0 {
		t.Fatal("redis-cut: no writes were sent during the cut")
	}
	if share := float64(ok) / float64(sent); share < minShareDuringRedisCut {
		t.Errorf("redis-cut: only %d of %d writes begun during the %s Redis cut were acknowledged (%.0f%%; need %.0f%%): Redis was needed to write",
			ok, sent, redisCutFor, share*100, minShareDuringRedisCut*100)
	}
}

// On SIGTERM the hub finishes the requests it is serving (here, some still sending
// their body), exits cleanly within its shutdown timeout, and loses nothing.
func TestSIGTERM_InFlightRequestsFinishAndNothingIsLost(t *testing.T) {
	h := newHub(t)
	h.start()
	l := newLoad(t, h, "sigterm")
	l.start()
	time.Sleep(warmUp)

	// Slow requests: headers and half the body now, the rest after SIGTERM.
	release := make(chan struct{})
	slow := make([]attempt, slowRequests)
	var wg sync.WaitGroup
	for i := range slowRequests {
		w := l.newWrite(i % clients)
		body, pw := io.Pipe()
		go func() {
			half := len(w.body) / 2
			_, _ = pw.Write(w.body[:half])
			<-release
			_, _ = pw.Write(w.body[half:])
			_ = pw.Close()
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			slow[i] = l.sendWith(&http.Client{Timeout: requestTimeout, Transport: &http.Transport{DisableKeepAlives: true}}, w, body)
		}()
	}
	time.Sleep(500 * time.Millisecond)
	open := l.inFlight.Load()
	term := time.Now()
	h.signal(syscall.SIGTERM)
	time.Sleep(time.Second)
	close(release)
	wg.Wait()
	exited, exitErr := h.wait(shutdownTimeout + 5*time.Second)
	stopped := time.Since(term)
	if !exited {
		h.kill()
		t.Errorf("sigterm: the hub had not exited %s after SIGTERM (shutdown timeout %s)", stopped.Round(time.Millisecond), shutdownTimeout)
	} else if exitErr != nil {
		t.Errorf("sigterm: the hub exited with %v after SIGTERM, want a clean exit", exitErr)
	}
	restart := time.Now()
	h.start()
	time.Sleep(cooldown)

	var unfinished []string
	for _, a := range slow {
		if a.outcome != acknowledged {
			unfinished = append(unfinished, fmt.Sprintf("%d %s", a.status, a.detail))
		}
	}
	answered := slowRequests - len(unfinished)
	r := l.settle(term, l.recovery(restart))
	r.note = fmt.Sprintf("%d in flight at SIGTERM (%d slow: %d finished 2xx); exit after %.2f s; recovery from restart",
		open, slowRequests, answered, stopped.Seconds())
	report(t, r)
	if len(unfinished) > 0 {
		t.Errorf("sigterm: %d of %d requests in flight at SIGTERM did not finish with 2xx: %s",
			len(unfinished), slowRequests, strings.Join(unfinished, "; "))
	}
}

// readyzStatus is what /readyz answers now, briefly.
func readyzStatus(h *hub) string {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(h.URL() + "/readyz")
	if err != nil {
		return transportError(err)
	}
	_ = resp.Body.Close()
	return fmt.Sprint(resp.StatusCode)
}
