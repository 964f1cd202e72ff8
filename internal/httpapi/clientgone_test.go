package httpapi

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// A client that hangs up mid-query leaves the query failing with whatever the driver
// makes of the cancellation. That is the client's doing: 499 at info, not a 500 error.
func TestErrorHandler_AClientThatWentAwayIs499AtInfo(t *testing.T) {
	for name, cause := range map[string]error{
		"context canceled":   context.Canceled,
		"bad connection":     driver.ErrBadConn,
		"pgconn's wording":   errors.New("timeout: context canceled"),
		"wrapped, then more": fmt.Errorf("search customers: %w", fmt.Errorf("query: %w", driver.ErrBadConn)),
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			m, err := newMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			e := echo.New()
			e.HTTPErrorHandler = errorHandler(log)
			e.Use(requestID, observe(log, m))
			ctx, cancel := context.WithCancel(context.Background())
			e.GET("/v1/customers", func(echo.Context) error {
				cancel() // the client hangs up while the query runs
				return cause
			})
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/customers", nil).WithContext(ctx))
			lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
			if len(lines) != 1 {
				t.Fatalf("want one log line, got:\n%s", logs.String())
			}
			var line struct {
				Level  string `json:"level"`
				Status int    `json:"status"`
			}
			if err := json.Unmarshal(lines[0], &line); err != nil {
				t.Fatal(err)
			}
			if line.Status != 499 || line.Level != "INFO" {
				t.Fatalf("logged %s", lines[0])
			}
		})
	}
}

// The same errors while the client is still there are the hub's own: a dropped
// connection is an outage (503), not something to hide as a 499.
func TestErrorHandler_ABadConnectionWithTheClientStillThereIs503(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)))
	e.GET("/v1/customers", func(echo.Context) error { return fmt.Errorf("search: %w", driver.ErrBadConn) })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/customers", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("got %d, Retry-After %q: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}

// A write that fails while its client is still there gets its problem, through the
// middleware that lets writes outlive their client: the error is judged against the
// client's context, not the write's own (which has ended by then), so a failed write is
// never mistaken for a client gone and left unanswered (net/http would send an empty
// 200: an acknowledgement of a write that did not happen).
func TestFinishWrites_AFailedWriteIsAnsweredWithItsProblem(t *testing.T) {
	for _, cause := range []error{driver.ErrBadConn, errors.New("conn closed"), context.Canceled} {
		e := echo.New()
		e.HTTPErrorHandler = errorHandler(slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)))
		e.Use(func(next echo.HandlerFunc) echo.HandlerFunc { // as observe does
			return func(c echo.Context) error {
				if err := next(c); err != nil {
					c.Error(err)
				}
				return nil
			}
		})
		e.POST("/v1/contacts", func(echo.Context) error { return fmt.Errorf("record contact: %w", cause) }, finishWrites)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/contacts", nil))
		if rec.Code < 500 || rec.Header().Get(echo.HeaderContentType) != "application/problem+json" {
			t.Fatalf("%v: got %d %q: %s", cause, rec.Code, rec.Header().Get(echo.HeaderContentType), rec.Body)
		}
	}
}
