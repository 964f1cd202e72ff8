package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/council/contacthub/internal/fault"
)

func TestErrorHandler_UnknownErrorsRevealNothingButAreLogged(t *testing.T) {
	var logs bytes.Buffer
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.NewJSONHandler(&logs, nil)))
	e.GET("/boom", func(echo.Context) error {
		return fmt.Errorf("query customers: %w", errors.New("pq: relation \"secret_table\" does not exist"))
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/boom", nil)
	e.ServeHTTP(rec, req)
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "secret_table") || strings.Contains(rec.Body.String(), "query customers") {
		t.Fatalf("500 body leaks internals: %s", rec.Body)
	}
	var p problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != "/problems/internal" {
		t.Fatalf("body = %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "secret_table") {
		t.Fatal("the cause was not logged for the operator")
	}
}

func TestToProblem_MapsEveryFaultKind(t *testing.T) {
	for k, want := range faultKinds {
		p, unexpected := toProblem(fmt.Errorf("wrapped: %w", &fault.Error{Kind: k, Detail: "d", Fields: []fault.FieldError{{Field: "f", Message: "m"}}}))
		if unexpected || p.Status != want.status || p.Type != "/problems/"+want.slug || p.Detail != "d" || len(p.Errors) != 1 {
			t.Errorf("kind %d -> %+v", k, p)
		}
	}
	if p, _ := toProblem(&fault.Error{Kind: fault.IdentifierTaken, CustomerID: "c-1"}); p.CustomerID != "c-1" {
		t.Errorf("identifier-taken lost the holder: %+v", p)
	}
}

func TestReadiness_Answers503OnlyWhenARequiredDependencyIsDown(t *testing.T) {
	for _, tc := range []struct {
		name          string
		db, redis     error
		code          int
		status        string
		dbAt, redisAt string
	}{
		{"all up", nil, nil, 200, "ok", "ok", "ok"},
		{"redis down: degraded, still ready", nil, errors.New("dial tcp: connection refused"), 200, "degraded", "ok", "unavailable"},
		{"database down: unready", errors.New("dial tcp: connection refused"), nil, 503, "unavailable", "unavailable", "ok"},
		{"both down: unready", errors.New("dial tcp 1"), errors.New("dial tcp 2"), 503, "unavailable", "unavailable", "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			e.GET("/readyz", readiness(func(context.Context) []Dependency {
				return []Dependency{{Name: "database", Err: tc.db}, {Name: "redis", Err: tc.redis, Optional: true}}
			}))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			var h health
			if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.code || h.Status != tc.status || h.Checks["redis"] != tc.redisAt || h.Checks["database"] != tc.dbAt {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "dial tcp") {
				t.Fatal("readiness leaks the error text")
			}
		})
	}
}

// A client that gave up is not the hub's failure: nothing is logged as an error and the
// request is counted as 499, not 500.
func TestErrorHandler_ClientThatWentAwayIsNotAnError(t *testing.T) {
	var logs bytes.Buffer
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.NewJSONHandler(&logs, nil)))
	e.GET("/slow", func(c echo.Context) error {
		<-c.Request().Context().Done()
		return fmt.Errorf("begin: %w", c.Request().Context().Err())
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slow", nil).WithContext(ctx))
	if logs.Len() != 0 {
		t.Fatalf("logged: %s", logs.String())
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("wrote a body to nobody: %s", rec.Body)
	}
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/slow", nil).WithContext(ctx), httptest.NewRecorder())
	e.HTTPErrorHandler(fmt.Errorf("begin: %w", context.Canceled), c)
	if c.Response().Status != statusClientGone {
		t.Fatalf("recorded status %d, want %d", c.Response().Status, statusClientGone)
	}
}
