package contract

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
	proxy := newTCPProxy(t, b.RedisURL)
	h := startHub(t, b, func(c *config.Config) {
		c.RedisURL = proxy.url
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

// tcpProxy forwards to a Redis until cut, after which its port refuses connections.
type tcpProxy struct {
	url string
	l   net.Listener
	mu  sync.Mutex
	cs  []net.Conn
}

func newTCPProxy(t *testing.T, redisURL string) *tcpProxy {
	t.Helper()
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{l: l}
	target := u.Host
	u.Host = l.Addr().String()
	p.url = u.String()
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.cs = append(p.cs, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) cut() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.cs {
		c.Close()
	}
	p.cs = nil
}
