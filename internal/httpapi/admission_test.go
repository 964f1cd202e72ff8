package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// Past the bound a request is refused at once, with a problem saying so and when to
// retry, and never reaches the handler; a place freed is a place taken again.
func TestAdmit_RefusesPastTheBoundWithoutRunningTheHandler(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	release, entered := make(chan struct{}), make(chan struct{}, 2)
	var served atomic.Int32
	e.GET("/work", func(c echo.Context) error {
		served.Add(1)
		entered <- struct{}{}
		<-release
		return c.NoContent(http.StatusNoContent)
	}, admit(2, 20*time.Millisecond))
	srv := httptest.NewServer(e)
	defer srv.Close()

	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(srv.URL + "/work")
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	<-entered
	<-entered

	resp, err := http.Get(srv.URL + "/work")
	if err != nil {
		t.Fatal(err)
	}
	var p problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || p.Type != "/problems/overloaded" || resp.Header.Get("Retry-After") != "1" ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("past the bound: %d %q Retry-After %q %+v", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"), p)
	}
	if served.Load() != 2 {
		t.Fatalf("the refused request reached the handler: %d served", served.Load())
	}

	close(release)
	for range 2 {
		if code := <-done; code != http.StatusNoContent {
			t.Fatalf("an admitted request got %d", code)
		}
	}
	resp, err = http.Get(srv.URL + "/work")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || served.Load() != 3 {
		t.Fatalf("after the places were freed: %d, %d served", resp.StatusCode, served.Load())
	}
}
