package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// ratingsPath is the one operation a council web page calls from the browser (the
// page-rating widget); every other route stays closed to cross-origin pages.
const ratingsPath = "/v1/ratings"

// ratingsCORS lets pages of the configured origins post ratings: it answers their
// preflight and marks their responses readable. Credentials are never allowed, so a
// browser sends no cookies and the hub never sees a council site's session. A request
// from any other origin is refused before it is read (403), preflight or not; callers
// that send no Origin (servers, the IVR) are not affected.
func ratingsCORS(origins []string) echo.MiddlewareFunc {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			origin := req.Header.Get(echo.HeaderOrigin)
			if req.URL.Path != ratingsPath || origin == "" {
				return next(c)
			}
			h := c.Response().Header()
			h.Add(echo.HeaderVary, echo.HeaderOrigin)
			if !allowed[strings.ToLower(origin)] {
				return newProblem(forbidden, "this origin may not post ratings (CONTACTHUB_CORS_ORIGINS)")
			}
			h.Set(echo.HeaderAccessControlAllowOrigin, origin)
			if req.Method != http.MethodOptions {
				return next(c)
			}
			h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestMethod)
			h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestHeaders)
			h.Set(echo.HeaderAccessControlAllowMethods, http.MethodPost)
			h.Set(echo.HeaderAccessControlAllowHeaders, "Content-Type, Idempotency-Key")
			h.Set(echo.HeaderAccessControlMaxAge, "600")
			return c.NoContent(http.StatusNoContent)
		}
	}
}
