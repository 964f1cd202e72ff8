package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/labstack/echo/v4"

	"github.com/council/contacthub/internal/auth"
)

// Profiles serves Go's runtime profiles (/debug/pprof/) to administrators only. The hub
// serves it on a listener of its own (CONTACTHUB_PPROF_ADDR), which is off unless set:
// a profile shows what the process holds and costs CPU while it is taken, so neither
// the public listener nor an unauthenticated caller gets one.
func Profiles(v *auth.Verifier, log *slog.Logger) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(log)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also the named profiles: heap, goroutine, allocs…
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	e.Use(requestID, adminOnly(v))
	e.Any("/debug/pprof/*", echo.WrapHandler(mux))
	return e
}

// adminOnly lets through a caller whose bearer token carries the admin role.
func adminOnly(v *auth.Verifier) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token, ok := bearerToken(c.Request())
			if !ok {
				return newProblem(unauthenticated, "send Authorization: Bearer <token> with the admin role")
			}
			p, err := v.Verify(c.Request().Context(), token)
			if err != nil {
				return newProblem(unauthenticated, authDetail(err))
			}
			if !p.Has(auth.Admin) {
				return newProblem(forbidden, "profiles are for the admin role")
			}
			return next(c)
		}
	}
}
