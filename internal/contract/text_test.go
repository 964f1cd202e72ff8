package contract

import (
	"net/http"
	"slices"
	"testing"

	"github.com/council/contacthub/internal/config"
)

// PostgreSQL cannot store a NUL in text (the driver's error was a 500) and SQLite
// stored it silently; invalid UTF-8 is no better. Both are refused up front, on every
// operation, naming the field, and nothing is written.
func TestText_NULAndInvalidUTF8AreRefusedNamingTheField(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		agent := h.token(agentClaims())
		for _, tc := range []struct {
			name, method, path, body string
			headers                  []string
			field                    string
		}{
			{"escaped NUL in a name", "POST", "/v1/customers", `{"familyName":"Ok\u0000afor"}`, nil, "familyName"},
			{"NUL in a nested value", "POST", "/v1/customers",
				`{"familyName":"Okafor","identifiers":[{"kind":"email","value":"a@b.example"},{"kind":"email","value":"c\u0000@d.example"}]}`, nil, "identifiers[1].value"},
			{"invalid UTF-8 in a name", "POST", "/v1/customers", "{\"givenName\":\"Am\xffara\"}", nil, "givenName"},
			{"NUL in a query", "GET", "/v1/customers?q=Ok%00afor", "", nil, "q"},
			{"invalid UTF-8 in a query", "GET", "/v1/customers?q=Ok%FFafor", "", nil, "q"},
			{"NUL in a header", "POST", "/v1/customers", `{"familyName":"Okafor"}`, []string{"Idempotency-Key", "key-\xff\xfe-12345"}, "Idempotency-Key"},
		} {
			before := h.count("customers")
			contentType := ""
			if tc.body != "" {
				contentType = "application/json"
			}
			resp, body := h.raw(tc.method, tc.path, agent, contentType, []byte(tc.body), tc.headers...)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400; body %s", tc.name, resp.StatusCode, body)
				continue
			}
			if fields := fieldsOf(problemOf(t, body)); !slices.Contains(fields, tc.field) {
				t.Errorf("%s: problem names %v, want %s; body %s", tc.name, fields, tc.field, body)
			}
			if after := h.count("customers"); after != before {
				t.Errorf("%s: %d customers written", tc.name, after-before)
			}
		}
		// A NUL spelled out by a literal backslash is just text.
		resp, body := h.raw("POST", "/v1/customers", agent, "application/json", []byte(`{"familyName":"Ok\\u0000afor"}`))
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("a literal backslash-u: %d %s", resp.StatusCode, body)
		}
	})
}

// The SMS providers' callbacks do not pass through the contract middleware; their text
// is checked too, so a provider gets a 400 it will not retry, not a 500 it will.
func TestText_ProviderCallbacksRefuseNUL(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, func(c *config.Config) { c.NotifyCallbackToken = notifyToken })
			resp, body := h.raw("POST", "/v1/callbacks/notify/received-text", notifyToken, "application/json",
				[]byte(`{"id":"inbound-\u0000","source_number":"447700900123","message":"5"}`))
			p := wantProblem(t, http.StatusBadRequest, body, resp.StatusCode, "validation")
			if fields := fieldsOf(p); !slices.Equal(fields, []string{"id"}) {
				t.Fatalf("problem names %v, want [id]", fields)
			}
		})
	}
}
