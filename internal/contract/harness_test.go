package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/app"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/store/storetest"
)

// Reports, forecasts and QA answer charts as SVG: the response validator reads them as text.
func init() { openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.PlainBodyDecoder) }

type backend = storetest.Backend

func backends(t *testing.T) []backend { return storetest.Backends(t) }

// eachBackend runs fn as a parallel subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, h *hub)) {
	t.Helper()
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, startHub(t, b, nil))
		})
	}
}

// hub is one running hub under test.
type hub struct {
	t      *testing.T
	url    string
	app    *app.App
	cfg    config.Config
	key    *auth.DevKey
	spec   *openapi3.T
	router routers.Router
	http   *http.Client
}

// startHub starts a hub on a fresh database; tweak adjusts its configuration.
func startHub(t *testing.T, b backend, tweak func(*config.Config)) *hub {
	t.Helper()
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.RateLimitPerMinute, cfg.RateLimitIPPerMinute = 0, 0
	cfg.DatabaseURL = storetest.FreshURL(t, b)
	cfg.RedisURL = b.RedisURL
	cfg.RedisPrefix = storetest.RedisPrefix(t, b)
	cfg.RulesPoll = 100 * time.Millisecond
	if tweak != nil {
		tweak(&cfg)
	}
	return startHubWith(t, b, cfg)
}

// startHubWith starts a hub with exactly cfg (a second replica of another hub, say).
func startHubWith(t *testing.T, b backend, cfg config.Config) *hub {
	t.Helper()
	return startHubIn(context.Background(), t, b, cfg, true)
}

// startHubIn starts a hub with cfg, opening its database with openCtx (which may carry
// a store.Trace); without background, none of its background workers run, so that
// every statement it sends is a request's.
func startHubIn(openCtx context.Context, t *testing.T, b backend, cfg config.Config, background bool) *hub {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.New(openCtx, cfg, log)
	if err != nil {
		t.Fatalf("start hub on %s: %v", b.Name, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	if background {
		a.Start(ctx)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); stop(); a.Close() })
	key, err := auth.LoadOrCreateDevKey(cfg.DevKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	spec, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{t: t, url: srv.URL, app: a, cfg: cfg, key: key, spec: spec, router: router}
	h.http = &http.Client{Transport: &validating{t: t, hub: h, next: http.DefaultTransport}, Timeout: 30 * time.Second}
	return h
}

// token mints a token the hub accepts.
func (h *hub) token(c auth.Claims) string {
	h.t.Helper()
	if c.Subject == "" {
		c.Subject = "tester"
	}
	if c.Issuer == "" {
		c.Issuer = h.cfg.JWTIssuer
	}
	if c.Audience == "" {
		c.Audience = h.cfg.JWTAudience
	}
	if c.TTL == 0 {
		c.TTL = time.Hour
	}
	tok, err := h.key.Mint(c)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// client is the generated client acting with the given token ("" for none).
func (h *hub) client(token string) *contacthub.ClientWithResponses {
	h.t.Helper()
	opts := []contacthub.ClientOption{contacthub.WithHTTPClient(h.http)}
	if token != "" {
		opts = append(opts, contacthub.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := contacthub.NewClientWithResponses(h.url, opts...)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// agent is a tier-1 advisor's client.
func (h *hub) agent() *contacthub.ClientWithResponses {
	return h.client(h.token(auth.Claims{Subject: "agent-alice", Roles: []auth.Role{auth.Agent}, Tier: 1}))
}

// raw sends a hand-made request (for inputs the generated client cannot produce).
func (h *hub) raw(method, path, token, contentType string, body []byte, headers ...string) (*http.Response, []byte) {
	h.t.Helper()
	return send(h.t, h.http, method, h.url+path, token, contentType, body, headers...)
}

// okTimes fails unless n GETs of path with token ("" for none) all answer 200.
func (h *hub) okTimes(n int, path, token string) {
	h.t.Helper()
	for i := range n {
		if resp, body := h.raw("GET", path, token, "", nil); resp.StatusCode != http.StatusOK {
			h.t.Fatalf("GET %s, request %d of %d: %d %s", path, i+1, n, resp.StatusCode, body)
		}
	}
}

// send makes one request with client and reads the whole answer.
func send(t *testing.T, client *http.Client, method, url, token, contentType string, body []byte, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// count returns the rows of a table, to prove that a rejected request wrote nothing.
func (h *hub) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.app.DB.Get(&n, "SELECT count(*) FROM "+table); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// validating checks every response the hub sends against openapi.yaml, and that every
// error is problem+json, so the contract cannot drift from what the server does.
type validating struct {
	t    *testing.T
	hub  *hub
	next http.RoundTripper
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			v.t.Errorf("%s %s answered %d with Content-Type %q, want application/problem+json", req.Method, req.URL.Path, resp.StatusCode, ct)
		}
		var p contacthub.Problem
		if err := json.Unmarshal(body, &p); err != nil || p.Status != resp.StatusCode || !strings.HasPrefix(p.Type, "/problems/") {
			v.t.Errorf("%s %s answered %d with a body that is not a matching problem: %s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	}
	route, params, err := v.hub.router.FindRoute(req)
	if err != nil {
		return resp, nil // an unknown route: only the problem shape above applies
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		v.t.Errorf("%s %s response breaks the contract: %v\nbody: %s", req.Method, req.URL.Path, err, body)
	}
	return resp, nil
}

// problemOf decodes a problem body.
func problemOf(t *testing.T, body []byte) contacthub.Problem {
	t.Helper()
	var p contacthub.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem: %s", body)
	}
	return p
}

// wantProblem fails unless body is a problem of the given status and type.
func wantProblem(t *testing.T, status int, body []byte, gotStatus int, typ string) contacthub.Problem {
	t.Helper()
	if gotStatus != status {
		t.Fatalf("status = %d, want %d; body: %s", gotStatus, status, body)
	}
	p := problemOf(t, body)
	if p.Type != "/problems/"+typ {
		t.Fatalf("problem type = %q, want /problems/%s; body: %s", p.Type, typ, body)
	}
	return p
}

// fieldsOf lists the fields a problem names.
func fieldsOf(p contacthub.Problem) []string {
	var out []string
	if p.Errors != nil {
		for _, e := range *p.Errors {
			out = append(out, e.Field)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// dateOf parses a date known to be valid.
func dateOf(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func agentClaims() auth.Claims {
	return auth.Claims{Subject: "agent-alice", Roles: []auth.Role{auth.Agent}, Tier: 1}
}

func mustParse(t *testing.T, s string) uuid.UUID {
	t.Helper()
	u, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
