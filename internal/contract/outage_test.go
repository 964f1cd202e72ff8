package contract

import (
	"net/http"
	"strconv"
	"testing"

	contacthub "github.com/council/contacthub/clients/go"
)

// A database that stops answering is an outage the client may retry: 503 with
// Retry-After, never a 500 (our fault) or a 404 (the record is gone).
func TestOutage_ADatabaseThatIsGoneIs503WithRetryAfter(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		token := h.token(agentClaims())
		if err := h.app.DB.Close(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ method, path, body string }{
			{"GET", "/v1/customers/" + c.Id.String(), ""},
			{"GET", "/v1/customers?q=Okafor", ""},
			{"POST", "/v1/customers", `{"familyName":"Adeyemi"}`},
		} {
			resp, body := h.raw(tc.method, tc.path, token, "application/json", []byte(tc.body))
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("%s %s: status %d, want 503; body %s", tc.method, tc.path, resp.StatusCode, body)
				continue
			}
			wantProblem(t, http.StatusServiceUnavailable, body, resp.StatusCode, "unavailable")
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("%s %s: Retry-After = %q, want a number of seconds", tc.method, tc.path, resp.Header.Get("Retry-After"))
			}
		}
	})
}
