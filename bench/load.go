package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/council/contacthub/internal/auth"
)

// closedClients, when set (--closed), replaces every scenario's fixed rate by that
// many clients in a closed loop.
var closedClients int

// scenario is one kind of request, made at a fixed rate.
type scenario struct {
	name    string
	rate    int
	targets func() vegeta.Targeter
	// distinct: every successful answer must name a different "id" (a claim never hands
	// out the same case twice); the table reports any repeat as an error.
	distinct bool
	// around, when set, prepares the hub before each run of the scenario and answers
	// what undoes it afterwards.
	around func() (func(), error)
}

// load runs each scenario against a running hub and prints the table.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	base := fs.String("url", "http://localhost:8080", "the hub")
	dataDir := fs.String("data-dir", envOr("CONTACTHUB_DATA_DIR", "./data"), "the hub's data directory (for its development signing key)")
	customers := fs.Int("customers", 10000, "how many customers were seeded")
	timelines := fs.Int("timelines", 500, "how many cases were given long timelines")
	ivrToken := fs.String("ivr-token", os.Getenv("CONTACTHUB_IVR_TOKEN"), "the hub's CONTACTHUB_IVR_TOKEN")
	duration := fs.Duration("duration", 10*time.Second, "how long each scenario runs")
	rates := fs.String("rates", "", "scenario=rate,… overriding the defaults")
	only := fs.String("only", "", "comma-separated scenarios to run (default: all)")
	strict := fs.Bool("strict", false, "exit non-zero when any scenario had an error (a smoke test)")
	hold := fs.Duration("hold", 0, "instead of the offered rates, search each scenario for the highest rate held with no errors and p99 at most this")
	hubPID := fs.Int("hub-pid", 0, "the hub's process id, to report the CPU time it spends per request (Linux)")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "the hub's PostgreSQL, for the limit column (pgbench runs the scenario's statements on it); empty: no limit column")
	pgbench := fs.String("pgbench", findPgbench(), "pgbench, for the limit column")
	dbConns := fs.Int("db-conns", max(4, 2*runtime.NumCPU()), "pgbench clients: the hub's PostgreSQL pool (CONTACTHUB_DB_MAX_CONNS), so both run the statements at the same concurrency")
	closed := fs.Int("closed", 0, "instead of a fixed rate, N clients each sending its next request when the last is answered (a closed loop, like pgbench's): the rate is the most the hub does at that concurrency")
	bare := fs.Bool("bare", false, "also measure GET /bench/bare (the hub runs with CONTACTHUB_BENCH_BARE=true): the ceiling's limit column is /healthz ÷ it")
	subscriptions := fs.Int("subscriptions", 5, "webhook subscriptions open during the second contact-write scenario (0: no such scenario)")
	_ = fs.Parse(args)

	key, err := auth.LoadOrCreateDevKey(filepath.Join(*dataDir, "dev-signing-key.pem"))
	if err != nil {
		return err
	}
	mint := func(sub string, role auth.Role, tier int) string {
		tok, err := key.Mint(auth.Claims{Subject: sub, Roles: []auth.Role{role}, Tier: tier, Issuer: envOr("CONTACTHUB_JWT_ISSUER", "contacthub-dev"),
			Audience: envOr("CONTACTHUB_JWT_AUDIENCE", "contacthub"), TTL: 2 * time.Hour})
		if err != nil {
			panic(err)
		}
		return tok
	}
	agentHeader := http.Header{"Authorization": {"Bearer " + mint("bench-agent", auth.Agent, 1)}, "Content-Type": {"application/json"}}
	n := *customers
	var seq atomic.Uint64
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	get := func(path func() string, h http.Header) func() vegeta.Targeter {
		return func() vegeta.Targeter {
			return func(t *vegeta.Target) error {
				*t = vegeta.Target{Method: "GET", URL: *base + path(), Header: h}
				return nil
			}
		}
	}
	post := func(path string, body func() []byte, h func() http.Header) func() vegeta.Targeter {
		return func() vegeta.Targeter {
			return func(t *vegeta.Target) error {
				*t = vegeta.Target{Method: "POST", URL: *base + path, Body: body(), Header: h()}
				return nil
			}
		}
	}
	agents := make([]http.Header, 50)
	for i := range agents {
		agents[i] = http.Header{"Authorization": {"Bearer " + mint(fmt.Sprintf("bench-claimer-%d", i), auth.Agent, 1)}}
	}
	contactWrite := post("/v1/contacts", func() []byte {
		return []byte(`{"channel":"phone","service":{"lgsl":58},"customerId":"` + customerIDOf(rand.IntN(n)) + `"}`)
	}, func() http.Header {
		h := agentHeader.Clone()
		h.Set("Idempotency-Key", run+"-"+strconv.FormatUint(seq.Add(1), 10))
		return h
	})
	scenarios := []scenario{
		{"bare echo handler: GET /bench/bare, no middleware", 2000, get(func() string { return "/bench/bare" }, nil), false, nil},
		{"ceiling: GET /healthz", 2000, get(func() string { return "/healthz" }, nil), false, nil},
		{"customer lookup by phone", 1000, get(func() string {
			return "/v1/customers?phone=" + strings.Replace(phoneOf(rand.IntN(n)), "+", "%2B", 1)
		}, agentHeader), false, nil},
		{"IVR newCall", 300, post("/v1/ivr/events", func() []byte {
			b, _ := json.Marshal(map[string]any{"event": "newCall", "callId": run + "-" + strconv.FormatUint(seq.Add(1), 10),
				"from": phoneOf(rand.IntN(n)), "attributes": map[string]string{"menu": "1"}})
			return b
		}, func() http.Header {
			return http.Header{"X-IVR-Token": {*ivrToken}, "Content-Type": {"application/json"}}
		}), false, nil},
		{name: "POST /v1/contacts (idempotency key)", rate: 300, targets: contactWrite},
		{"case timeline (50 events)", 1000, get(func() string {
			return "/v1/cases/" + caseIDOf(rand.IntN(min(*timelines, n))) + "/timeline?limit=50"
		}, agentHeader), false, nil},
		{"web page rating (anonymous)", 1000, post("/v1/ratings", func() []byte {
			return []byte(`{"source":"web_page","score":` + strconv.Itoa(1+rand.IntN(5)) + `,"pageUrl":"https://www.council.example/page/` + strconv.Itoa(rand.IntN(200)) + `"}`)
		}, func() http.Header { return http.Header{"Content-Type": {"application/json"}} }), false, nil},
		{"queue claim, 50 agents", 200, post("/v1/queues/advisors/claim", func() []byte { return nil }, func() http.Header {
			return agents[seq.Add(1)%uint64(len(agents))]
		}), true, nil},
	}
	if *subscriptions > 0 {
		rcv, err := startReceiver()
		if err != nil {
			return err
		}
		admin := http.Header{"Authorization": {"Bearer " + mint("bench-admin", auth.Admin, 0)}, "Content-Type": {"application/json"}}
		// Right after the plain write, so the two rows compare the same operation with
		// and without webhooks fanning out and delivering beside it.
		withHooks := scenario{name: fmt.Sprintf("POST /v1/contacts (idempotency key, %d webhook subscriptions)", *subscriptions),
			rate: 300, targets: contactWrite, around: withSubscriptions(*base, admin, rcv, *subscriptions)}
		for i, s := range scenarios {
			if strings.HasPrefix(s.name, "POST /v1/contacts") {
				scenarios = append(scenarios[:i+1], append([]scenario{withHooks}, scenarios[i+1:]...)...)
				break
			}
		}
	}
	for _, kv := range strings.Split(*rates, ",") {
		name, r, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		rate, _ := strconv.Atoi(r)
		for i := range scenarios {
			if strings.HasPrefix(scenarios[i].name, name) {
				scenarios[i].rate = rate
			}
		}
	}
	if !*bare {
		scenarios = scenarios[1:]
	}
	closedClients = *closed
	lim := limiter{pgbench: *pgbench, databaseURL: *dbURL, dir: filepath.Join("bench", "pgbench"), conns: *dbConns, customers: n, timelines: *timelines}
	if *hold > 0 {
		return searchAll(scenarios, *only, *duration, *hold, *base, *hubPID, lim)
	}
	fmt.Printf("| scenario | offered/s | achieved/s | errors | p50 | p90 | p99 | max | p99 ÷ ceiling p99 | limit: achieved ÷ pgbench (or ÷ bare) | hub peak RSS | CPU per request: hub · databases · load | load average |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var ceilingP99 time.Duration
	var bareRate float64
	failed := 0
	for i, s := range scenarios {
		if !chosen(s, *only) {
			continue
		}
		if i > 0 {
			settle(*base) // an overloaded scenario's queue must not spill into the next
		}
		lim.drainOutbox() // nor its (or pgbench's) messages still to relay
		r := attack(s, *duration, *hubPID)
		m, repeats := r.m, r.repeats
		if strings.HasPrefix(s.name, "ceiling") {
			ceilingP99 = m.Latencies.P99
		}
		errs := errorsOf(m, repeats)
		if errs > 0 {
			failed++
		}
		ratio := "—"
		if ceilingP99 > 0 {
			ratio = fmt.Sprintf("%.1f×", float64(m.Latencies.P99)/float64(ceilingP99))
		}
		limit := limitOf(s.name, m.Throughput, &bareRate, lim, *duration)
		offered := strconv.Itoa(s.rate)
		if closedClients > 0 {
			offered = fmt.Sprintf("%d clients", closedClients)
		}
		fmt.Printf("| %s | %s | %.0f | %d%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.name, offered, m.Throughput, errs, statusNote(m, repeats),
			ms(m.Latencies.P50), ms(m.Latencies.P90), ms(m.Latencies.P99), ms(m.Latencies.Max), ratio, limit, r.peak(*base), r.cpu, r.load)
	}
	if *strict && failed > 0 {
		return fmt.Errorf("%d scenarios had errors", failed)
	}
	return nil
}

// chosen reports whether --only picks s (the ceiling is always measured).
func chosen(s scenario, only string) bool {
	return only == "" || strings.Contains(only, strings.Fields(s.name)[0]) || strings.HasPrefix(s.name, "ceiling") || strings.HasPrefix(s.name, "bare")
}

// errors counts failed requests and repeated ids.
func errorsOf(m vegeta.Metrics, repeats int) uint64 {
	return m.Requests - uint64(float64(m.Requests)*m.Success+0.5) + uint64(repeats)
}

// searchAll finds, scenario by scenario, the highest offered rate the hub holds: every
// request answered without error, the rate achieved, and p99 within hold. The ceiling
// is searched the same way, so each rate is also a fraction of what the bare server holds.
func searchAll(scenarios []scenario, only string, d, hold time.Duration, base string, hubPID int, lim limiter) error {
	fmt.Printf("| scenario | highest rate held/s | achieved/s | errors | p50 | p90 | p99 | max | ÷ ceiling rate | limit: held ÷ pgbench (or ÷ bare) | hub peak RSS | CPU per request: hub · databases · load | load average | rates tried |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var ceiling int
	var bareRate float64
	for _, s := range scenarios {
		if !chosen(s, only) {
			continue
		}
		rate, r, tried := search(s, d, hold, base, hubPID)
		ratio := "—"
		if strings.HasPrefix(s.name, "ceiling") {
			ceiling = rate
		}
		if ceiling > 0 {
			ratio = fmt.Sprintf("%.2f", float64(rate)/float64(ceiling))
		}
		m := r.m
		limit := limitOf(s.name, float64(rate), &bareRate, lim, d)
		fmt.Printf("| %s | %d | %.0f | %d%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.name, rate, m.Throughput, errorsOf(m, r.repeats), statusNote(m, r.repeats),
			ms(m.Latencies.P50), ms(m.Latencies.P90), ms(m.Latencies.P99), ms(m.Latencies.Max), ratio, limit, r.peak(base), r.cpu, r.load, tried)
	}
	return nil
}

// search starts at the scenario's rate, doubles while it holds and halves while it does
// not, then bisects between the two to within a tenth; a rate fails only when two runs
// at it fail. It returns the best rate held and its run (rate 0 when none held).
func search(s scenario, d, hold time.Duration, base string, hubPID int) (int, run, string) {
	var best run
	bestRate, failedAt := 0, 0
	var tried []string
	rate := s.rate
	for range 10 {
		s.rate = rate
		r := attack(s, d, hubPID)
		held := holds(r, rate, hold)
		mark := "✗"
		if !held { // one spike (a checkpoint, a neighbour) must not decide: try again once
			settle(base)
			r = attack(s, d, hubPID)
			held = holds(r, rate, hold)
			mark = "✗✗"
			if held {
				mark = "✗✓"
			}
		}
		if held {
			if mark == "✗" {
				mark = "✓"
			}
			best, bestRate = r, rate
		} else {
			failedAt = rate
		}
		tried = append(tried, fmt.Sprintf("%d%s", rate, mark))
		next := rate * 2
		switch {
		case failedAt > 0 && bestRate > 0:
			next = (bestRate + failedAt) / 2
		case failedAt > 0:
			next = rate / 2
		}
		if next < 10 || (failedAt > 0 && bestRate > 0 && failedAt-bestRate <= bestRate/10) {
			break
		}
		settle(base)
		rate = next
	}
	return bestRate, best, strings.Join(tried, " ")
}

// holds reports whether a run at rate held: no errors, the rate achieved, p99 within hold.
func holds(r run, rate int, hold time.Duration) bool {
	return errorsOf(r.m, r.repeats) == 0 && r.m.Latencies.P99 <= hold && r.m.Throughput >= 0.97*float64(rate)
}

// settle waits for an overloaded hub to drain its queue before the next rate is tried.
func settle(base string) {
	for range 60 {
		start := time.Now()
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if time.Since(start) < 20*time.Millisecond {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
}

// run is one scenario's attack: its metrics, the ids answered twice (when they must be
// distinct) and where the machine's CPU time went meanwhile.
type run struct {
	m       vegeta.Metrics
	repeats int
	cpu     string
	peakRSS string // the hub's peak resident memory during the run ("" when unreadable)
	load    string // the machine's load average at the end of the run
}

// peak is the run's peak RSS, or the hub's RSS after it when the peak cannot be read.
func (r run) peak(base string) string {
	if r.peakRSS != "" {
		return r.peakRSS
	}
	return rss(base) + " (after)"
}

// limitOf is a scenario's limit column: its rate ÷ pgbench's for its statements, or,
// for the ceiling, ÷ the bare handler's (remembered in bareRate when it runs first).
func limitOf(name string, rate float64, bareRate *float64, lim limiter, d time.Duration) string {
	switch {
	case strings.HasPrefix(name, "bare"):
		*bareRate = rate
		return "—"
	case strings.HasPrefix(name, "ceiling"):
		return limitColumn(rate, *bareRate, "bare")
	}
	r, ok, err := lim.rate(name, d)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return "pgbench failed"
	}
	if !ok {
		return "—"
	}
	return pgbenchColumn(rate, r)
}

// attack sends s at its rate for d and measures it. vegeta starts each request's clock
// before it waits for a connection, so queueing in the pool shows as latency; if every
// worker is busy the rate offered falls, which is why a rate only holds when at least
// 97 % of it was achieved.
func attack(s scenario, d time.Duration, hubPID int) run {
	if s.around != nil {
		undo, err := s.around()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.name, err)
			return run{cpu: "—", load: loadAverage()}
		}
		defer undo()
	}
	peakReset(hubPID)
	before, start := readCPU(hubPID), time.Now()
	// Like the IVR platform or a web front end, the load keeps a bounded pool of
	// connections: past 512 open, a request waits for one (and the wait counts in its
	// latency) instead of dialling a new connection that is closed again at once. The
	// pool is closed after the scenario, so its idle connections do not sit in the hub
	// through the next one.
	tr := &http.Transport{MaxConnsPerHost: 512, MaxIdleConnsPerHost: 512, DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	a := vegeta.NewAttacker(vegeta.Client(&http.Client{Timeout: 10 * time.Second, Transport: tr}), vegeta.MaxWorkers(2048))
	rate := vegeta.Rate{Freq: s.rate, Per: time.Second}
	if closedClients > 0 { // vegeta's infinite rate with a fixed set of workers: a closed loop
		a = vegeta.NewAttacker(vegeta.Client(&http.Client{Timeout: 10 * time.Second, Transport: tr}),
			vegeta.Workers(uint64(closedClients)), vegeta.MaxWorkers(uint64(closedClients)))
		rate = vegeta.Rate{}
	}
	var m vegeta.Metrics
	seen, repeats := map[string]bool{}, 0
	for res := range a.Attack(s.targets(), rate, d, s.name) {
		m.Add(res)
		if s.distinct && res.Code == http.StatusOK {
			var answer struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(res.Body, &answer) == nil && answer.ID != "" {
				if seen[answer.ID] {
					repeats++
				}
				seen[answer.ID] = true
			}
		}
	}
	m.Close()
	return run{m: m, repeats: repeats, cpu: perRequest(before, readCPU(hubPID), m.Requests, time.Since(start)),
		peakRSS: peakRSS(hubPID), load: loadAverage()}
}

// statusNote shows non-2xx statuses and repeated ids, so an error count says what kind.
func statusNote(m vegeta.Metrics, repeats int) string {
	var parts []string
	if repeats > 0 {
		parts = append(parts, fmt.Sprintf("%d repeated ids", repeats))
	}
	for code, n := range m.StatusCodes {
		if !strings.HasPrefix(code, "2") {
			parts = append(parts, fmt.Sprintf("%s×%d", code, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// rss reads the hub's resident memory from its own metrics.
func rss(base string) string {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return fmt.Sprintf("%.0f MB", f/1e6)
		}
	}
	return "?"
}
