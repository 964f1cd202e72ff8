package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestRatingsCORS_OnlyConfiguredOriginsAndNeverCredentials(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(nil)
	e.Use(ratingsCORS([]string{"https://www.council.example"}))
	hit := 0
	ok := func(c echo.Context) error { hit++; return c.NoContent(http.StatusCreated) }
	e.POST(ratingsPath, ok)
	e.POST("/v1/contacts", ok)

	tests := []struct {
		name, method, path, origin string
		status                     int
		allowOrigin                string
		reachesHandler             bool
	}{
		{"preflight from a council page", http.MethodOptions, ratingsPath, "https://www.council.example", 204, "https://www.council.example", false},
		{"post from a council page", http.MethodPost, ratingsPath, "https://www.council.example", 201, "https://www.council.example", true},
		{"preflight from elsewhere", http.MethodOptions, ratingsPath, "https://evil.example", 403, "", false},
		{"post from elsewhere", http.MethodPost, ratingsPath, "https://evil.example", 403, "", false},
		{"post from a server (no Origin)", http.MethodPost, ratingsPath, "", 201, "", true},
		{"another route from a council page", http.MethodPost, "/v1/contacts", "https://www.council.example", 201, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hit = 0
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			req.Header.Set("Access-Control-Request-Method", "POST")
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.allowOrigin)
			}
			if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("credentials allowed: %q", got)
			}
			if (hit == 1) != tt.reachesHandler {
				t.Errorf("handler reached %d times, want reached=%v", hit, tt.reachesHandler)
			}
		})
	}
}
