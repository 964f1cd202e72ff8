package contract

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

func TestIdempotencyKey_ReplaysTheFirstResponseAndRefusesADifferentBody(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.token(auth.Claims{Subject: "agent-bob", Roles: []auth.Role{auth.Agent}})
		body := []byte(`{"familyName":"Okafor","identifiers":[{"kind":"phone","value":"07700900123"}]}`)
		first, firstBody := h.raw("POST", "/v1/customers", tok, "application/json", body, "Idempotency-Key", "create-okafor-0001")
		if first.StatusCode != http.StatusCreated {
			t.Fatalf("first: %d %s", first.StatusCode, firstBody)
		}
		again, againBody := h.raw("POST", "/v1/customers", tok, "application/json", body, "Idempotency-Key", "create-okafor-0001")
		if again.StatusCode != http.StatusCreated || !bytes.Equal(againBody, firstBody) {
			t.Fatalf("replay differs: %d %s\nfirst: %s", again.StatusCode, againBody, firstBody)
		}
		if again.Header.Get("ETag") != first.Header.Get("ETag") || again.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("replay headers differ")
		}
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay not marked")
		}
		other, otherBody := h.raw("POST", "/v1/customers", tok, "application/json", []byte(`{"familyName":"Someone else"}`), "Idempotency-Key", "create-okafor-0001")
		wantProblem(t, http.StatusUnprocessableEntity, otherBody, other.StatusCode, "idempotency-key-reused")
		if n := h.count("customers"); n != 1 {
			t.Fatalf("%d customers, want 1", n)
		}
		// Another caller's identical key is their own.
		tok2 := h.token(auth.Claims{Subject: "agent-carol", Roles: []auth.Role{auth.Agent}})
		mine, mineBody := h.raw("POST", "/v1/customers", tok2, "application/json", []byte(`{"familyName":"Nowak"}`), "Idempotency-Key", "create-okafor-0001")
		if mine.StatusCode != http.StatusCreated {
			t.Fatalf("another caller's key collided: %d %s", mine.StatusCode, mineBody)
		}
	})
}

func TestIdempotencyKey_ConcurrentRetriesWriteOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.token(auth.Claims{Roles: []auth.Role{auth.Agent}})
		body := []byte(`{"familyName":"Concurrent","identifiers":[{"kind":"email","value":"c@example.org"}]}`)
		var wg sync.WaitGroup
		bodies := make([][]byte, 20)
		statuses := make([]int, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, b := h.raw("POST", "/v1/customers", tok, "application/json", body, "Idempotency-Key", "concurrent-key-1")
				statuses[i], bodies[i] = resp.StatusCode, b
			}()
		}
		wg.Wait()
		for i := range 20 {
			if statuses[i] != http.StatusCreated || !bytes.Equal(bodies[i], bodies[0]) {
				t.Fatalf("request %d: %d %s", i, statuses[i], bodies[i])
			}
		}
		if n := h.count("customers"); n != 1 {
			t.Fatalf("%d customers from 20 identical requests, want 1", n)
		}
	})
}

func TestRateLimit_PerPrincipalAnswers429WithRetryAfter(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, func(c *config.Config) { c.RateLimitPerMinute = 3 })
			tok := h.token(auth.Claims{Subject: "busy-agent", Roles: []auth.Role{auth.Agent}})
			h.okTimes(3, "/v1/customers?q=a", tok)
			resp, body := h.raw("GET", "/v1/customers?q=a", tok, "", nil)
			wantProblem(t, http.StatusTooManyRequests, body, resp.StatusCode, "rate-limited")
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
			other := h.token(auth.Claims{Subject: "calm-agent", Roles: []auth.Role{auth.Agent}})
			if resp, body := h.raw("GET", "/v1/customers?q=a", other, "", nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("another principal was limited: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestRateLimit_PerIPSparesProbesAndScrapes: the per-IP limit refuses a busy address,
// but liveness and readiness probes and metrics scrapes are never counted or refused
// (the kubelet may share an address with clients, and a probe must not wait on Redis).
func TestRateLimit_PerIPSparesProbesAndScrapes(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, func(c *config.Config) { c.RateLimitIPPerMinute = 2 })
			for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
				h.okTimes(5, path, "")
			}
			tok := h.token(auth.Claims{Subject: "agent", Roles: []auth.Role{auth.Agent}})
			h.okTimes(2, "/v1/customers?q=a", tok) // the probes used none of the address's two
			resp, body := h.raw("GET", "/v1/customers?q=a", tok, "", nil)
			wantProblem(t, http.StatusTooManyRequests, body, resp.StatusCode, "rate-limited")
			if resp, body := h.raw("GET", "/healthz", "", "", nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("healthz refused with the address limited: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestOperations_HealthReadinessMetricsAndTheSpec(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		resp, body := h.raw("GET", "/healthz", "", "", nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
			t.Fatalf("healthz: %d %s", resp.StatusCode, body)
		}
		resp, body = h.raw("GET", "/readyz", "", "", nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"database":"ok"`) {
			t.Fatalf("readyz: %d %s", resp.StatusCode, body)
		}
		if h.cfg.RedisURL != "" && !strings.Contains(string(body), `"redis":"ok"`) {
			t.Fatalf("readyz does not check redis: %s", body)
		}
		h.raw("GET", "/v1/customers?q=a", h.token(auth.Claims{Roles: []auth.Role{auth.Agent}}), "", nil)
		_, body = h.raw("GET", "/metrics", "", "", nil)
		for _, want := range []string{`contacthub_http_requests_total{method="GET",route="/v1/customers",status="200"} 1`,
			"contacthub_http_request_duration_seconds_bucket", `go_sql_max_open_connections{db_name="contacthub"}`} {
			if !strings.Contains(string(body), want) {
				t.Fatalf("metrics lack %q", want)
			}
		}
		resp, body = h.raw("GET", "/openapi.yaml", "", "", nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "openapi: 3.0") {
			t.Fatalf("openapi.yaml: %d", resp.StatusCode)
		}
		if rid := resp.Header.Get("X-Request-Id"); rid == "" {
			t.Fatal("no request id")
		}
	})
}

// TestProfiles_OnlyForAdmins: the profiles listener (CONTACTHUB_PPROF_ADDR) answers the
// admin role only, with a problem for anyone else.
func TestProfiles_OnlyForAdmins(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		srv := httptest.NewServer(h.app.Profiles())
		defer srv.Close()
		get := func(path, tok string) (*http.Response, []byte) {
			resp, body := send(t, srv.Client(), "GET", srv.URL+path, tok, "", nil)
			if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: %d answered as %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			return resp, body
		}
		resp, body := get("/debug/pprof/", "")
		wantProblem(t, http.StatusUnauthorized, body, resp.StatusCode, "unauthenticated")
		resp, body = get("/debug/pprof/", "not-a-token")
		wantProblem(t, http.StatusUnauthorized, body, resp.StatusCode, "unauthenticated")
		supervisor := h.token(auth.Claims{Subject: "sup", Roles: []auth.Role{auth.Supervisor}})
		resp, body = get("/debug/pprof/heap?debug=1", supervisor)
		wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
		admin := h.token(auth.Claims{Subject: "ops", Roles: []auth.Role{auth.Admin}})
		if resp, body = get("/debug/pprof/heap?debug=1", admin); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "heap profile") {
			t.Fatalf("admin heap profile: %d %.200s", resp.StatusCode, body)
		}
		if resp, body = get("/debug/pprof/", admin); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
			t.Fatalf("admin index: %d %.200s", resp.StatusCode, body)
		}
	})
}

// The bench's bare handler answers only on a hub started for the bench
// (CONTACTHUB_BENCH_BARE), and with nothing of the hub's chain: no request id.
func TestBenchBare_AnswersOnlyWhenTheBenchAsks(t *testing.T) {
	b := backends(t)[0]
	get := func(h *hub) (*http.Response, string) {
		resp, err := http.Get(h.url + "/bench/bare")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		return resp, body.String()
	}
	if resp, body := get(startHub(t, b, nil)); resp.StatusCode == http.StatusOK {
		t.Fatalf("a hub not started for the bench answered /bench/bare: %s", body)
	}
	resp, body := get(startHub(t, b, func(c *config.Config) { c.BenchBare = true }))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ok"`) || resp.Header.Get("X-Request-Id") != "" {
		t.Fatalf("bare: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}
