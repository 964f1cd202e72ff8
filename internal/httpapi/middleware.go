package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/council/contacthub/internal/idempotency"
	"github.com/council/contacthub/internal/kv"
)

// requestID gives every request an id (kept from X-Request-Id when the caller or the
// load balancer sent a sane one) and echoes it back.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rid := c.Request().Header.Get(echo.HeaderXRequestID)
		if !saneRequestID(rid) {
			rid = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, rid)
		return next(c)
	}
}

// saneRequestID accepts up to 64 letters, digits, dots, dashes and underscores: the id
// lands in every log line and problem document, where quotes, colons, spaces or markup
// from a caller could forge or break a record.
func saneRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// hstsMaxAge is a year, as browsers' preload lists expect.
const hstsMaxAge = "max-age=31536000"

// secureHeaders marks every answer as personal data that no cache keeps and no browser
// reinterprets, and, when the hub is published over HTTPS, tells browsers to use HTTPS
// only (sent over plain HTTP it would be ignored anyway, so it is sent only then).
func secureHeaders(https bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set(echo.HeaderCacheControl, "no-store")
			h.Set(echo.HeaderXContentTypeOptions, "nosniff")
			if https {
				h.Set(echo.HeaderStrictTransportSecurity, hstsMaxAge)
			}
			return next(c)
		}
	}
}

// recoverPanics turns a panic into a 500 problem (logged with its value, not sent).
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					log.ErrorContext(c.Request().Context(), "panic", slog.Any("panic", r),
						slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
					err = newProblem(internal, "")
				}
			}()
			return next(c)
		}
	}
}

// metrics are the request counters and latency histograms /metrics exposes.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contacthub_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "contacthub_http_request_duration_seconds", Help: "HTTP request latency by route, method and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe logs and counts every request once it is answered. The log line carries the
// request id, the caller's kind of principal, the route template and the status, never
// names, numbers or bodies.
func observe(log *slog.Logger, m *metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			elapsed := time.Since(start)
			code := strconv.Itoa(status)
			m.requests.WithLabelValues(route, c.Request().Method, code).Inc()
			if !longLived[route] { // a stream's hours would say nothing of how fast the hub answers
				m.latency.WithLabelValues(route, c.Request().Method, code).Observe(elapsed.Seconds())
			}
			level := slog.LevelInfo
			switch {
			case status == http.StatusServiceUnavailable:
				level = slog.LevelWarn // shedding load or a dependency down: expected, and counted
			case status >= 500:
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("method", c.Request().Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Duration("latency", elapsed),
				slog.String("principal", principalFrom(c.Request().Context()).Kind()),
			)
			return nil
		}
	}
}

// RateLimiter spends one request of a key's per-minute budget.
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit kv.Limit) (kv.Decision, error)
}

// limitBy rate-limits on the key that keyOf returns ("" skips the check).
func limitBy(l RateLimiter, limit int, keyOf func(echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if limit <= 0 {
			return next
		}
		return func(c echo.Context) error {
			key := keyOf(c)
			if key == "" {
				return next(c)
			}
			// The limiter decides even when Redis is down (kv.FallbackLimiter); an error
			// here means the caller went away.
			d, err := l.Allow(c.Request().Context(), key, kv.Limit(limit))
			if err != nil {
				return err
			}
			if !d.Allowed {
				p := newProblem(rateLimited, "slow down and retry after the time in Retry-After")
				p.retryAfter = d.RetryAfter
				return p
			}
			return next(c)
		}
	}
}

// byIPExcept keys the per-IP limit by the client's address, leaving the routes in
// spared uncounted.
func byIPExcept(spared map[string]echo.HandlerFunc) func(echo.Context) string {
	return func(c echo.Context) string {
		if _, ok := spared[c.Path()]; ok {
			return ""
		}
		return "ip:" + c.RealIP()
	}
}

func byPrincipal(c echo.Context) string {
	if p := principalFrom(c.Request().Context()); p.Subject != "" {
		return "sub:" + p.Subject
	}
	return ""
}

// IdempotencyStore runs a write carrying an Idempotency-Key as one attempt whose key,
// work and answer commit together.
type IdempotencyStore interface {
	Begin(ctx context.Context, scope, hash string) (*idempotency.Attempt, error)
}

type bodyHashKey struct{}

// hashBody fingerprints a write carrying an Idempotency-Key before the validator reads
// the body, so a replay can be told from a different request under the same key.
func hashBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Header.Get("Idempotency-Key") == "" || req.Method == http.MethodGet {
			return next(c)
		}
		body, err := rawBody(req)
		if err != nil {
			return bodyProblem(err)
		}
		sum := sha256.New()
		sum.Write([]byte(req.Method + " " + req.URL.RequestURI() + "\n"))
		sum.Write(body)
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), bodyHashKey{}, hex.EncodeToString(sum.Sum(nil)))))
		return next(c)
	}
}

// replayHeaders are the response headers a replay must repeat.
var replayHeaders = []string{echo.HeaderContentType, "ETag", echo.HeaderLocation}

// writeTimeout bounds a write that runs on after its client went away.
const writeTimeout = 30 * time.Second

// finishWrites lets a write run to its end even when its client goes away: a write is
// finished or rolled back, never left half done because the caller hung up. Reads still
// stop when their client leaves.
func finishWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), writeTimeout)
		defer cancel()
		c.SetRequest(req.WithContext(ctx))
		// An error this returns is answered by middleware above, after cancel: it must be
		// judged against the client's own context (is anyone still there?), not this one.
		defer c.SetRequest(req)
		return next(c)
	}
}

// errNoAnswer: a handler returned without writing an answer or an error.
var errNoAnswer = errors.New("the handler wrote no answer")

// errUndo tells an attempt to undo the work of a request answered with an error.
var errUndo = errors.New("request refused: undo its work")

// idempotent makes a write carrying an Idempotency-Key happen at most once. Its key, its
// work and its answer commit in one transaction, and the answer is sent only after the
// commit, so a key exists if and only if its write did: a request that fails, crashes or
// is abandoned leaves nothing and its retry simply runs; a retry of one that committed
// gets the first answer again. Keys are scoped to the caller (or, for anonymous callers,
// their address), so callers cannot collide or read each other's answers. The write
// runs to its end even if the client goes away (see finishWrites).
func idempotent(store IdempotencyStore) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hash, _ := c.Request().Context().Value(bodyHashKey{}).(string)
			if hash == "" {
				return next(c)
			}
			req := c.Request()
			attempt, err := store.Begin(req.Context(), idempotencyScope(c), hash)
			switch {
			case errors.Is(err, idempotency.ErrInUse):
				return newProblem(idempotencyInUse, "retry when the first request has finished")
			case err != nil:
				return err
			case attempt.Mismatch:
				return newProblem(idempotencyReused, "this Idempotency-Key was first used with a different request; use a new key")
			case attempt.Replay != nil:
				return replay(c, attempt.Replay)
			}
			c.SetRequest(req.WithContext(attempt.Ctx))
			defer c.SetRequest(req)
			held := &heldResponse{header: c.Response().Header().Clone()}
			client := c.Response().Writer
			c.Response().Writer = held
			var handlerErr error
			err = attempt.Work(func() error {
				if handlerErr = next(c); handlerErr != nil {
					c.Error(handlerErr)
				}
				if held.status == 0 || held.status >= http.StatusBadRequest {
					return errUndo
				}
				return nil
			})
			c.Response().Writer = client
			if err != nil && !errors.Is(err, errUndo) {
				attempt.Abandon()
				return sendFresh(c, err)
			}
			if held.status == 0 {
				// Nothing was answered (the error writer found no one to answer): there is
				// no answer to keep, so nothing is kept, and the error goes up to be answered.
				attempt.Abandon()
				return sendFresh(c, cmp.Or(handlerErr, errNoAnswer))
			}
			if held.status >= http.StatusInternalServerError || held.status == http.StatusTooManyRequests {
				attempt.Abandon() // a retry should run again, not be told the same failure
				return held.sendTo(client)
			}
			if err := attempt.Complete(held.response()); err != nil {
				return sendFresh(c, err)
			}
			return held.sendTo(client)
		}
	}
}

// idempotencyScope is whose keys a request's key is among.
func idempotencyScope(c echo.Context) string {
	if p := principalFrom(c.Request().Context()); p.Subject != "" {
		return "sub:" + p.Subject + "\x1f" + c.Request().Header.Get("Idempotency-Key")
	}
	return "ip:" + c.RealIP() + "\x1f" + c.Request().Header.Get("Idempotency-Key")
}

// sendFresh answers with err instead of the held response, which did not commit.
func sendFresh(c echo.Context, err error) error {
	c.Response().Committed = false
	return err
}

func replay(c echo.Context, r *idempotency.Response) error {
	for h, v := range r.Headers {
		c.Response().Header().Set(h, v)
	}
	c.Response().Header().Set("Idempotent-Replayed", "true")
	c.Response().WriteHeader(r.Status)
	_, err := c.Response().Write(r.Body)
	return err
}

// heldResponse keeps what a handler writes until the attempt has committed.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

// response is what a replay of this answer sends.
func (h *heldResponse) response() idempotency.Response {
	r := idempotency.Response{Status: h.status, Headers: map[string]string{}, Body: h.body.Bytes()}
	for _, name := range replayHeaders {
		if v := h.header.Get(name); v != "" {
			r.Headers[name] = v
		}
	}
	return r
}

// sendTo writes the held answer to the client (who may have gone: that is not an error).
func (h *heldResponse) sendTo(w http.ResponseWriter) error {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	for name := range w.Header() {
		delete(w.Header(), name)
	}
	for name, values := range h.header {
		w.Header()[name] = values
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
	return nil
}
