package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckDestination_RefusesWhatIsNotAPublicHTTPSEndpoint(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://8.8.8.8/hooks/contacthub", false, true},
		{"https://[2001:4860:4860::8888]/hook", false, true},
		{"http://8.8.8.8/hook", false, false}, // plain http
		{"ftp://8.8.8.8/hook", false, false},
		{"/relative/hook", false, false},
		{"https://user:pass@8.8.8.8/hook", false, false},
		{"https://127.0.0.1/hook", false, false},
		{"https://localhost:8443/hook", false, false},
		{"https://10.1.2.3/hook", false, false},
		{"https://172.20.0.9/hook", false, false},
		{"https://192.168.1.10/hook", false, false},
		{"https://169.254.169.254/latest/meta-data/", false, false}, // cloud metadata
		{"https://100.100.100.200/hook", false, false},              // carrier-grade NAT, some clouds' metadata
		{"https://[::1]/hook", false, false},
		{"https://[fd00:ec2::254]/hook", false, false},
		{"https://[fe80::1]/hook", false, false},
		{"https://[::ffff:10.0.0.1]/hook", false, false}, // v4-mapped private
		{"https://0.0.0.0/hook", false, false},
		{"http://127.0.0.1:9000/hook", true, true}, // tests allow private destinations
		{"ftp://127.0.0.1/hook", true, false},
	} {
		_, err := CheckDestination(ctx, tc.url, tc.allowPrivate)
		if tc.ok != (err == nil) {
			t.Errorf("%s (allow private %v): %v", tc.url, tc.allowPrivate, err)
		}
		if err != nil && !errors.Is(err, ErrDestination) {
			t.Errorf("%s: %v is not ErrDestination", tc.url, err)
		}
	}
}

// Delivery checks the address it actually dials, so a name that passed the check and
// later resolves to a private address (DNS rebinding) is still refused; redirects are
// the endpoint's answer, not followed; answers are read to 4 KB at most.
func TestClient_RefusesPrivateAddressesFollowsNoRedirectsAndCapsAnswers(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	defer srv.Close()

	_, err := NewClient(false).Post(srv.URL+"/hook", "application/json", nil)
	if err == nil || !errors.Is(err, ErrDestination) || hits != 0 {
		t.Fatalf("a strict client reached a loopback endpoint: %v (hits %d)", err, hits)
	}
	client := NewClient(true)
	resp, err := client.Post(srv.URL+"/moved", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	ReadAnswer(resp)
	if resp.StatusCode != http.StatusFound || hits != 1 {
		t.Fatalf("redirect: status %d after %d requests", resp.StatusCode, hits)
	}
	resp, err = client.Post(srv.URL+"/big", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ReadAnswer(resp); len(got) != MaxResponseBody {
		t.Fatalf("kept %d bytes of the answer, want %d", len(got), MaxResponseBody)
	}
}
