package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrDestination: a subscription URL the hub will not deliver to.
var ErrDestination = errors.New("not a destination the hub delivers to")

// notPublic are the address ranges an endpoint must not resolve to unless private
// destinations are allowed (CONTACTHUB_WEBHOOK_ALLOW_PRIVATE): a subscriber could
// otherwise make the hub call into the council's own network or a cloud metadata
// service and read the answer in the delivery log.
var notPublic = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96",
)

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// public reports whether addr is an address on the public internet.
func public(addr netip.Addr) bool {
	addr = addr.Unmap() // ::ffff:10.0.0.1 is 10.0.0.1
	for _, p := range notPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return addr.IsValid()
}

// CheckDestination says whether the hub would deliver to raw: an absolute https URL (http
// too when private destinations are allowed, as in tests), without credentials, whose
// host resolves only to public addresses unless private ones are allowed. Delivery
// checks the address again when it connects (DNS can change between the two).
func CheckDestination(ctx context.Context, raw string, allowPrivate bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%w: not an absolute URL", ErrDestination)
	}
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && allowPrivate):
		return nil, fmt.Errorf("%w: the URL must be https", ErrDestination)
	case u.User != nil:
		return nil, fmt.Errorf("%w: the URL must not carry credentials (deliveries are signed instead)", ErrDestination)
	case u.Fragment != "":
		return nil, fmt.Errorf("%w: the URL must not have a fragment", ErrDestination)
	}
	if allowPrivate {
		return u, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("%w: %s does not resolve", ErrDestination, u.Hostname())
	}
	for _, a := range addrs {
		if !public(a) {
			return nil, fmt.Errorf("%w: %s resolves to a loopback, private, link-local or metadata address", ErrDestination, u.Hostname())
		}
	}
	return u, nil
}

// Delivery limits.
const (
	deliveryTimeout = 10 * time.Second
	// MaxResponseBody is how much of an endpoint's answer is read and kept.
	MaxResponseBody = 4 << 10
)

// NewClient is the HTTP client deliveries go through: a 10 s limit, no redirects
// followed (a redirect is the endpoint's answer, recorded as such), and, unless private
// destinations are allowed, a refusal to connect to any address that is not public,
// checked on the address actually dialled.
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !public(ap.Addr()) {
				return fmt.Errorf("%w: %s is not a public address", ErrDestination, address)
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would hide the address from the check above
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: deliveryTimeout,
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       deliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ReadAnswer reads at most MaxResponseBody bytes of an endpoint's answer and discards
// the rest, so a large or endless answer costs the hub nothing.
func ReadAnswer(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10) // let the connection be reused when cheap
	return b
}
