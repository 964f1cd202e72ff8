package contract

import (
	"net/http"
	"strings"
	"testing"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/config"
)

// A limiter that cannot reach Redis must not fail open: it falls back to a limit kept
// in process, so an anonymous caller still gets at most its budget.
func TestRatings_LimitHoldsWhenRedisIsUnreachable(t *testing.T) {
	var redisBackend *backend
	for _, b := range backends(t) {
		if b.RedisURL != "" {
			redisBackend = &b
		}
	}
	if redisBackend == nil {
		t.Skip("needs Redis (CONTACTHUB_TEST_REDIS_URL)")
	}
	b := *redisBackend
	redisURL, proxy := redisBehindProxy(t, b)
	h := startHub(t, b, func(c *config.Config) {
		c.RedisURL = redisURL
		c.RatingIPPerMinute, c.RatingPagePerMinute = 10, 1000
	})
	proxy.cut() // Redis goes away after the hub started
	anon := h.client("")
	accepted, limited := 0, 0
	for i := range 20 {
		r, err := anon.RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage,
			Score: ptr(4), PageUrl: ptr("https://www.council.example/bins")})
		if err != nil {
			t.Fatal(err)
		}
		switch r.StatusCode() {
		case 201:
			accepted++
		case 429:
			limited++
		default:
			t.Fatalf("rating %d: %d %s", i+1, r.StatusCode(), r.Body)
		}
	}
	if accepted > 10 || accepted+limited != 20 {
		t.Fatalf("%d accepted and %d limited of 20 against 10 a minute", accepted, limited)
	}
	resp, body := h.raw("GET", "/metrics", "", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "contacthub_ratelimit_fallback_total") {
		t.Fatalf("the fallback is not counted in /metrics")
	}
	// Idempotency keys live with their writes in the database: a keyed write goes on.
	resp, body = h.raw("POST", "/v1/customers", h.token(agentClaims()), "application/json", []byte(`{"familyName":"Okafor"}`),
		"Idempotency-Key", "redis-outage-key-1")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("a keyed write with Redis gone: %d %s", resp.StatusCode, body)
	}
}
