// Package httpapi is the hub's HTTP layer: echo, the middleware every request passes
// (request id, logging and metrics, recovery, size and rate limits, OpenAPI validation
// with authentication, idempotency) and thin handlers that turn requests into calls on
// the domain services and results back into responses.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/widget"
)

// Deps is everything the HTTP layer needs, wired by the app package.
type Deps struct {
	Spec      *openapi3.T
	Verifier  TokenVerifier
	Customers Customers
	Contacts  interface {
		Contacts
		Previews
	}
	Router  Router
	Work    Work
	Reports interface {
		Reports
		SatisfactionReports
		ManagerReports
	}
	Ratings      Ratings
	Replies      Replies
	Callbacks    CallbackSecrets
	RatingLimits RatingLimits
	// NormalisePhone turns a provider's number into E.164.
	NormalisePhone func(string) (string, error)
	Cases          Cases
	Calls          Calls
	Landlords      Landlords
	IVRToken       string
	Referrals      Referrals
	Webhooks       Webhooks
	Catalogue      *catalogue.Catalogue
	Limiter        RateLimiter
	Idempotency    IdempotencyStore
	// Streams serves the live event streams.
	Streams Streams
	// Compliance (issue 17): exception reports and quality assurance.
	Exceptions Exceptions
	QA         QA
	// Workforce forecasts demand and staffs it (issue 16).
	Workforce Workforce
	// Ready reports each dependency's health ("ok" or a short reason) for /readyz.
	Ready    func(ctx context.Context) []Dependency
	Registry *prometheus.Registry
	Log      *slog.Logger
	// PublicURL is where clients reach the hub; https:// turns on Strict-Transport-Security.
	PublicURL string

	MaxBodyBytes         int64
	RateLimitPerMinute   int
	RateLimitIPPerMinute int
	TrustedProxies       []*net.IPNet
	MaxInFlight          int           // API requests served at once; 0: 64 per CPU
	AdmissionWait        time.Duration // how long a request may wait for a place

	// Privacy (issue 14): the audit of personal data, subject access and erasure.
	Audit          AuditLog
	Privacy        Privacy
	AuditRetention time.Duration
	CORSOrigins    []string // origins whose pages may post ratings (the page-rating widget)
}

// New builds the hub's HTTP handler.
func New(d Deps) (http.Handler, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	m, err := newMetrics(d.Registry)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	// Probes and scrapes are for the platform, not clients: the kubelet or a monitoring
	// host may share an address with clients, and a liveness probe must answer without
	// waiting on the limiter's Redis, so the per-IP limit does not count them.
	platform := map[string]echo.HandlerFunc{
		"/healthz": func(c echo.Context) error { return c.JSON(http.StatusOK, health{Status: "ok"}) },
		"/readyz":  readiness(d.Ready),
		"/metrics": echo.WrapHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})),
	}
	https := strings.HasPrefix(strings.ToLower(d.PublicURL), "https://")
	e.Use(requestID, secureHeaders(https), observe(d.Log, m), recoverPanics(d.Log), limitBody(d.MaxBodyBytes),
		limitBy(d.Limiter, d.RateLimitIPPerMinute, byIPExcept(platform)), ratingsCORS(d.CORSOrigins))
	for path, h := range platform {
		e.GET(path, h)
	}
	e.GET("/openapi.yaml", func(c echo.Context) error { return c.Blob(http.StatusOK, "application/yaml", api.SpecYAML) })
	e.Match([]string{http.MethodGet, http.MethodHead}, widget.Path, echo.WrapHandler(http.HandlerFunc(widget.Serve)))

	c, err := newContract(d.Spec, d.Verifier, d.IVRToken)
	if err != nil {
		return nil, err
	}
	v1 := e.Group("", admit(d.MaxInFlight, d.AdmissionWait), hashBody, c.middleware, limitBy(d.Limiter, d.RateLimitPerMinute, byPrincipal),
		finishWrites, idempotent(d.Idempotency))
	api.RegisterHandlers(v1, api.NewStrictHandler(&handlers{customers: d.Customers,
		contacts: d.Contacts, cases: d.Cases, referrals: d.Referrals, catalogue: d.Catalogue,
		router: d.Router, work: d.Work, reports: d.Reports, ratings: d.Ratings, satisfactionReports: d.Reports, managerReports: d.Reports,
		limiter: d.Limiter, ratingLimits: d.RatingLimits, calls: d.Calls,
		landlords: d.Landlords, streams: d.Streams, webhooks: d.Webhooks,
		exceptions: d.Exceptions, qa: d.QA, workforce: d.Workforce,
		audit: d.Audit, privacy: d.Privacy, auditRetention: d.AuditRetention},
		[]api.StrictMiddlewareFunc{auditAccess(d.Audit)})) // Privacy (issue 14)
	(&callbacks{replies: d.Replies, secrets: d.Callbacks, normalise: d.NormalisePhone}).register(e)
	return e, nil
}

// limitBody refuses bodies over max before anything reads them.
func limitBody(max int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > max {
				return newProblem(payloadTooLarge, fmt.Sprintf("the body is larger than %d bytes", max))
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, max)
			return next(c)
		}
	}
}

// ipExtractor believes X-Forwarded-For only from the configured proxies.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Dependency is one thing the hub uses, as /readyz reports it.
type Dependency struct {
	Name string
	Err  error // nil: it answers
	// Optional: the hub serves correctly without it (Redis: rate limits fall back in
	// process, events reach other replicas by polling), so it being down makes the hub
	// degraded, not unready. Taking every replica out of the load balancer because Redis
	// is down would turn a slower hub into no hub.
	Optional bool
}

func readiness(ready func(context.Context) []Dependency) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{}
		status, code := "ok", http.StatusOK
		for _, d := range ready(ctx) {
			checks[d.Name] = "ok"
			switch {
			case d.Err == nil:
			case d.Optional:
				// The reason stays in the logs; the probe only needs to know which.
				checks[d.Name] = "unavailable"
				if status == "ok" {
					status = "degraded"
				}
			default:
				checks[d.Name] = "unavailable"
				status, code = "unavailable", http.StatusServiceUnavailable
			}
		}
		return c.JSON(code, health{Status: status, Checks: checks})
	}
}

// health is the spec's Health schema (operations routes are not generated).
type health struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}
