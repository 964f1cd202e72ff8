package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// BarePath answers from a bare echo handler when the bench asks for it
// (CONTACTHUB_BENCH_BARE): no middleware, no authentication, the same JSON as /healthz.
const BarePath = "/bench/bare"

// WithBare serves BarePath from an echo of its own, with no middleware at all, and
// everything else from hub. The bench compares /healthz, which crosses the whole
// middleware chain, with it: the chain's price, measured in the same binary.
func WithBare(hub http.Handler) http.Handler {
	bare := echo.New()
	bare.GET(BarePath, func(c echo.Context) error { return c.JSON(http.StatusOK, health{Status: "ok"}) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == BarePath {
			bare.ServeHTTP(w, r)
			return
		}
		hub.ServeHTTP(w, r)
	})
}
