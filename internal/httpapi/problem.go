package httpapi

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// problem is an RFC 9457 problem document. Its fields follow the spec's Problem schema.
type problem struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail,omitempty"`
	Instance   string       `json:"instance,omitempty"`
	Errors     []fieldError `json:"errors,omitempty"`
	CustomerID string       `json:"customerId,omitempty"`

	retryAfter time.Duration
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *problem) Error() string { return p.Title + ": " + p.Detail }

// kind is one stable problem type.
type kind struct {
	status int
	slug   string
	title  string
}

var (
	badRequest           = kind{400, "bad-request", "The request is malformed"}
	validation           = kind{400, "validation", "The request does not match the contract"}
	invalidValue         = kind{422, "invalid-value", "A value is not acceptable"}
	unauthenticated      = kind{401, "unauthenticated", "A valid bearer token is required"}
	forbidden            = kind{403, "forbidden", "Not allowed"}
	notFound             = kind{404, "not-found", "Not found"}
	methodNotAllowed     = kind{405, "method-not-allowed", "Method not allowed"}
	conflict             = kind{409, "conflict", "Conflicts with the current state"}
	identifierTaken      = kind{409, "identifier-taken", "Another customer holds this identifier"}
	preconditionFailed   = kind{412, "precondition-failed", "The record changed since you read it"}
	payloadTooLarge      = kind{413, "payload-too-large", "The request body is too large"}
	unsupportedMedia     = kind{415, "unsupported-media-type", "Unsupported content type"}
	idempotencyReused    = kind{422, "idempotency-key-reused", "Idempotency-Key was used for a different request"}
	idempotencyInUse     = kind{409, "idempotency-key-in-use", "A request with this Idempotency-Key is still running"}
	preconditionRequired = kind{428, "precondition-required", "If-Match is required"}
	rateLimited          = kind{429, "rate-limited", "Too many requests"}
	internal             = kind{500, "internal", "Something went wrong on our side"}
	unavailable          = kind{503, "unavailable", "Temporarily unavailable"}
	overloaded           = kind{503, "overloaded", "The hub is at capacity"}
)

func newProblem(k kind, detail string) *problem {
	return &problem{Type: "/problems/" + k.slug, Title: k.title, Status: k.status, Detail: detail}
}

// faultKinds maps domain fault kinds to problem kinds: the one place domain errors meet HTTP.
var faultKinds = map[fault.Kind]kind{
	fault.Invalid:              invalidValue,
	fault.NotFound:             notFound,
	fault.Conflict:             conflict,
	fault.IdentifierTaken:      identifierTaken,
	fault.Forbidden:            forbidden,
	fault.PreconditionFailed:   preconditionFailed,
	fault.PreconditionRequired: preconditionRequired,
	fault.Unauthenticated:      unauthenticated,
}

// toProblem turns any error a handler or middleware returned into a problem. Unknown
// errors become a 500 that reveals nothing; internal reports whether to log it.
func toProblem(err error) (p *problem, internalErr bool) {
	if errors.As(err, &p) {
		return p, false
	}
	if f, ok := fault.As(err); ok {
		k, known := faultKinds[f.Kind]
		if !known {
			return newProblem(internal, ""), true
		}
		p = newProblem(k, f.Detail)
		for _, fe := range f.Fields {
			p.Errors = append(p.Errors, fieldError{fe.Field, fe.Message})
		}
		p.CustomerID = f.CustomerID
		return p, false
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return fromEchoError(he), false
	}
	if errors.Is(err, store.ErrContention) {
		p = newProblem(unavailable, "the change met conflicting changes and was not made; retry")
		p.retryAfter = time.Second
		return p, false
	}
	return newProblem(internal, ""), true
}

// fromEchoError maps errors echo raises itself (routing, body limit, binding).
func fromEchoError(he *echo.HTTPError) *problem {
	detail := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok {
		detail = m
	}
	switch he.Code {
	case http.StatusNotFound:
		return newProblem(notFound, "no such resource")
	case http.StatusMethodNotAllowed:
		return newProblem(methodNotAllowed, "this resource does not allow that method")
	case http.StatusRequestEntityTooLarge:
		return newProblem(payloadTooLarge, "the body is larger than this hub accepts")
	case http.StatusUnsupportedMediaType:
		return newProblem(unsupportedMedia, detail)
	case http.StatusBadRequest:
		return newProblem(badRequest, "the body is not valid JSON for this operation")
	case http.StatusServiceUnavailable:
		return newProblem(unavailable, detail)
	}
	if he.Code >= 500 {
		return newProblem(internal, "")
	}
	return &problem{Type: "about:blank", Title: http.StatusText(he.Code), Status: he.Code, Detail: detail}
}

// errorHandler is echo's one error writer: every error becomes problem+json.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if clientGone(c.Request().Context(), err) {
			// The client gave up and went away: nobody is there to answer, and it is not
			// the hub's fault. 499 (a proxy convention) keeps it apart in the metrics,
			// and observe logs it at info.
			c.Response().Status = statusClientGone
			return
		}
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		p, unexpected := toProblem(err)
		if unexpected && store.Unavailable(err) {
			// An outage, not a bug: the client may retry, and operators see the cause.
			p, unexpected = outageProblem(), false
			log.WarnContext(c.Request().Context(), "dependency unavailable",
				slog.String("request_id", rid), slog.String("route", c.Path()), slog.String("error", err.Error()))
		}
		if unexpected {
			log.ErrorContext(c.Request().Context(), "request failed",
				slog.String("request_id", rid), slog.String("route", c.Path()), slog.String("error", err.Error()))
		}
		if err := writeProblem(c, p, rid); err != nil {
			log.WarnContext(c.Request().Context(), "write problem", slog.String("request_id", rid), slog.String("error", err.Error()))
		}
	}
}

func writeProblem(c echo.Context, p *problem, requestID string) error {
	if p.Instance == "" && requestID != "" {
		p.Instance = "urn:request:" + requestID
	}
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, bearerChallenge(c.Request()))
	}
	if p.retryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(p.retryAfter.Seconds()+0.999)))
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode problem: %w", err)
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	return c.Blob(p.Status, "application/problem+json", body)
}

// bearerChallenge is the WWW-Authenticate of a 401 (RFC 6750 §3): it names the Bearer
// scheme, and says invalid_token when the caller sent a token and that token failed.
func bearerChallenge(r *http.Request) string {
	if r.Header.Get(echo.HeaderAuthorization) != "" || r.Header.Get("X-IVR-Token") != "" {
		return `Bearer error="invalid_token"`
	}
	return "Bearer"
}

// outageRetryAfter is how long a client is asked to wait when a dependency is down:
// long enough for a pool to reconnect or a failover to finish, short enough to notice.
const outageRetryAfter = 5 * time.Second

func outageProblem() *problem {
	p := newProblem(unavailable, "a service the hub depends on is not answering; retry after the time in Retry-After")
	p.retryAfter = outageRetryAfter
	return p
}

// clientGone reports whether err is only the echo of the client going away: its
// request's context is over, and the error is what a cancelled query turns into —
// context.Canceled, or the connection database/sql or pgx dropped because of it
// ("driver: bad connection", "conn closed"). Any other error is still the hub's own.
func clientGone(ctx context.Context, err error) bool {
	if !errors.Is(ctx.Err(), context.Canceled) {
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "context canceled") || strings.Contains(err.Error(), "conn closed")
}

// statusClientGone is recorded, never sent, for a request whose client went away.
const statusClientGone = 499

// newRequestID makes the id a request is known by in logs and problems.
func newRequestID() string { return uuid.Must(uuid.NewV7()).String() }
