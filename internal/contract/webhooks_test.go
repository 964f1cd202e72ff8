package contract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

// webhookHub is a hub that delivers to private addresses (the tests' receivers) and
// retries after milliseconds rather than seconds.
func webhookHub(t *testing.T, b backend) *hub {
	return startHub(t, b, func(c *config.Config) {
		c.WebhookAllowPrivate = true
		c.WebhookRetryFirst = 20 * 1e6 // 20 ms
		c.WebhookPoll = 20 * 1e6
	})
}

// eachWebhookBackend runs fn as a parallel subtest per backend on a webhookHub.
func eachWebhookBackend(t *testing.T, fn func(t *testing.T, h *hub)) {
	t.Helper()
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, webhookHub(t, b))
		})
	}
}

func integrationToken(h *hub, subject string) string {
	return h.token(auth.Claims{Subject: subject, Roles: []auth.Role{auth.Integration}})
}

// call sends a JSON request and decodes a JSON answer.
func (h *hub) call(t *testing.T, token, method, path string, body any, headers ...string) (int, map[string]any, []byte) {
	t.Helper()
	var raw []byte
	ct := ""
	if body != nil {
		ct = "application/json"
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	resp, out := h.raw(method, path, token, ct, raw, headers...)
	var m map[string]any
	if len(out) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, out)
		}
	}
	return resp.StatusCode, m, out
}

func TestWebhooks_SecretIsShownOnceAndListsArePerOwner(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		mine, theirs := integrationToken(h, "crm"), integrationToken(h, "housing-system")
		status, created, body := h.call(t, mine, "POST", "/v1/webhooks", map[string]any{
			"url": "http://127.0.0.1:9/hook", "eventTypes": []string{"case.resolved", "contact.recorded", "case.resolved"},
			"filter": map[string]any{"service": 57, "queue": "advisors"}, "description": " CRM "})
		if status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
		secret, _ := created["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("no secret shown on create: %s", body)
		}
		if got := created["eventTypes"]; len(got.([]any)) != 2 || created["description"] != "CRM" || created["owner"] != "crm" {
			t.Errorf("created = %s", body)
		}
		id := created["id"].(string)
		for _, path := range []string{"/v1/webhooks", "/v1/webhooks/" + id} {
			status, _, body := h.call(t, mine, "GET", path, nil)
			if status != http.StatusOK || strings.Contains(string(body), "whsec_") || strings.Contains(string(body), "secret") {
				t.Errorf("GET %s: %d %s", path, status, body)
			}
		}
		if status, list, _ := h.call(t, theirs, "GET", "/v1/webhooks", nil); status != http.StatusOK || len(list["items"].([]any)) != 0 {
			t.Errorf("another integration lists %v", list)
		}
		if status, _, _ := h.call(t, theirs, "PATCH", "/v1/webhooks/"+id, map[string]any{"enabled": false}, "If-Match", "*"); status != http.StatusNotFound {
			t.Errorf("another integration changed it: %d", status)
		}
		if status, _, _ := h.call(t, theirs, "DELETE", "/v1/webhooks/"+id, nil); status != http.StatusNotFound {
			t.Errorf("another integration deleted it: %d", status)
		}
		admin := h.token(auth.Claims{Subject: "root", Roles: []auth.Role{auth.Admin}})
		if status, list, _ := h.call(t, admin, "GET", "/v1/webhooks?limit=1", nil); status != http.StatusOK || len(list["items"].([]any)) != 1 {
			t.Errorf("an admin lists %v", list)
		}

		// If-Match: a stale version is refused; the current one changes it.
		if status, _, body := h.call(t, mine, "PATCH", "/v1/webhooks/"+id, map[string]any{"enabled": false}, "If-Match", `"7"`); status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match: %d %s", status, body)
		}
		resp, _ := h.raw("PATCH", "/v1/webhooks/"+id, mine, "application/json", []byte(`{"enabled":false,"filter":{}}`), "If-Match", `"1"`)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != `"2"` {
			t.Errorf("patch: %d etag %s", resp.StatusCode, resp.Header.Get("ETag"))
		}
		status, got, _ := h.call(t, mine, "GET", "/v1/webhooks/"+id, nil)
		if status != http.StatusOK || got["enabled"] != false || len(got["filter"].(map[string]any)) != 0 {
			t.Errorf("after patch: %v", got)
		}

		// Rotation shows the new secret once.
		status, rotated, body := h.call(t, mine, "POST", "/v1/webhooks/"+id+"/rotate-secret", map[string]any{"overlapSeconds": 60})
		if status != http.StatusOK || rotated["secret"] == secret || !strings.HasPrefix(rotated["secret"].(string), "whsec_") {
			t.Errorf("rotate: %d %s", status, body)
		}
		if status, _, _ := h.call(t, mine, "DELETE", "/v1/webhooks/"+id, nil); status != http.StatusNoContent {
			t.Errorf("delete: %d", status)
		}
		if status, _, _ := h.call(t, mine, "GET", "/v1/webhooks/"+id, nil); status != http.StatusNotFound {
			t.Errorf("deleted, then read: %d", status)
		}
	})
}

func TestWebhooks_BadInputIsRefusedNamingTheFieldAndWritesNothing(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, nil) // private destinations refused, as in production
			token := integrationToken(h, "crm")
			for _, tc := range []struct {
				body  map[string]any
				field string
			}{
				{map[string]any{"url": "https://127.0.0.1/hook", "eventTypes": []string{"*"}}, "url"},
				{map[string]any{"url": "http://203.0.113.9/hook", "eventTypes": []string{"*"}}, "url"},
				{map[string]any{"url": "https://user:pw@203.0.113.9/hook", "eventTypes": []string{"*"}}, "url"},
				{map[string]any{"url": "https://169.254.169.254/latest", "eventTypes": []string{"*"}}, "url"},
				{map[string]any{"url": "https://203.0.113.9/hook", "eventTypes": []string{"case.exploded"}}, "eventTypes[0]"},
				{map[string]any{"url": "https://203.0.113.9/hook", "eventTypes": []string{"*"}, "filter": map[string]any{"queue": "nowhere"}}, "filter.queue"},
				{map[string]any{"url": "https://203.0.113.9/hook", "eventTypes": []string{"*"}, "filter": map[string]any{"service": 99999}}, "filter.service"},
			} {
				status, _, body := h.call(t, token, "POST", "/v1/webhooks", tc.body)
				p := wantProblem(t, http.StatusUnprocessableEntity, body, status, "invalid-value")
				if !slices.Contains(fieldsOf(p), tc.field) {
					t.Errorf("%v: fields %v, want %s", tc.body, fieldsOf(p), tc.field)
				}
			}
			if n := h.count("webhook_subscriptions"); n != 0 {
				t.Errorf("refused subscriptions wrote %d rows", n)
			}
			status, created, _ := h.call(t, token, "POST", "/v1/webhooks", map[string]any{"url": "https://203.0.113.9/hook", "eventTypes": []string{"*"}})
			if status != http.StatusCreated {
				t.Fatalf("a public https destination: %d", status)
			}
			status, _, body := h.call(t, token, "PATCH", "/v1/webhooks/"+created["id"].(string),
				map[string]any{"url": "https://10.0.0.1/hook"}, "If-Match", "*")
			if p := wantProblem(t, http.StatusUnprocessableEntity, body, status, "invalid-value"); !slices.Contains(fieldsOf(p), "url") {
				t.Errorf("patch to a private url: fields %v", fieldsOf(p))
			}
		})
	}
}

// wantFieldProblem fails unless body is a problem of status and type that names field.
func wantFieldProblem(t *testing.T, what string, status int, typ string, gotStatus int, body []byte, field string) {
	t.Helper()
	if p := wantProblem(t, status, body, gotStatus, typ); !slices.Contains(fieldsOf(p), field) {
		t.Errorf("%s: problem names %v, want %s; body: %s", what, fieldsOf(p), field, body)
	}
}

// newSubscription creates a subscription to a public destination and returns it.
func (h *hub) newSubscription(t *testing.T, token string) map[string]any {
	t.Helper()
	status, created, body := h.call(t, token, "POST", "/v1/webhooks", map[string]any{"url": "https://203.0.113.9/hook", "eventTypes": []string{"*"}})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	return created
}

func TestWebhooks_ARotationOutOfRangeIsRefusedNamingOverlapSecondsAndChangesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		token := integrationToken(h, "crm")
		id := h.newSubscription(t, token)["id"].(string)
		_, before, _ := h.call(t, token, "GET", "/v1/webhooks/"+id, nil)
		for _, overlap := range []int{-1, 604801} {
			status, _, body := h.call(t, token, "POST", "/v1/webhooks/"+id+"/rotate-secret", map[string]any{"overlapSeconds": overlap})
			wantFieldProblem(t, "overlapSeconds "+strconv.Itoa(overlap), http.StatusBadRequest, "validation", status, body, "overlapSeconds")
		}
		status, after, body := h.call(t, token, "GET", "/v1/webhooks/"+id, nil)
		if status != http.StatusOK || after["version"] != before["version"] || after["updatedAt"] != before["updatedAt"] {
			t.Errorf("refused rotations changed the subscription: before %v, after %s", before, body)
		}
	})
}

func TestWebhooks_AGarbageCursorIsRefusedNamingCursor(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		token := integrationToken(h, "crm")
		id := h.newSubscription(t, token)["id"].(string)
		for _, path := range []string{"/v1/webhooks?cursor=garbage", "/v1/webhooks/" + id + "/deliveries?cursor=garbage"} {
			status, _, body := h.call(t, token, "GET", path, nil)
			wantFieldProblem(t, path, http.StatusUnprocessableEntity, "invalid-value", status, body, "cursor")
		}
	})
}

func TestWebhooks_ABadPatchIsRefusedNamingTheFieldAndChangesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		token := integrationToken(h, "crm")
		created := h.newSubscription(t, token)
		id := created["id"].(string)
		for _, tc := range []struct {
			body       map[string]any
			status     int
			typ, field string
		}{
			{map[string]any{"url": "https://203.0.113.10/hook", "eventTypes": []string{}}, http.StatusBadRequest, "validation", "eventTypes"},
			{map[string]any{"url": "https://203.0.113.10/hook", "eventTypes": []string{"x"}}, http.StatusUnprocessableEntity, "invalid-value", "eventTypes[0]"},
			{map[string]any{"url": "https://203.0.113.10/hook", "filter": map[string]any{"queue": "nowhere"}}, http.StatusUnprocessableEntity, "invalid-value", "filter.queue"},
			{map[string]any{"url": "https://203.0.113.10/hook", "filter": map[string]any{"service": 99999}}, http.StatusUnprocessableEntity, "invalid-value", "filter.service"},
		} {
			status, _, body := h.call(t, token, "PATCH", "/v1/webhooks/"+id, tc.body, "If-Match", "*")
			wantFieldProblem(t, fmt.Sprint(tc.body), tc.status, tc.typ, status, body, tc.field)
		}
		status, after, body := h.call(t, token, "GET", "/v1/webhooks/"+id, nil)
		if status != http.StatusOK || after["url"] != created["url"] || after["version"] != created["version"] {
			t.Errorf("refused patches changed the subscription: created %v, now %s", created, body)
		}
	})
}

func TestWebhooks_ASubscriptionToNoEventTypesIsRefusedAndWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		token := integrationToken(h, "crm")
		status, _, body := h.call(t, token, "POST", "/v1/webhooks", map[string]any{"url": "https://203.0.113.9/hook", "eventTypes": []string{}})
		wantFieldProblem(t, "eventTypes []", http.StatusBadRequest, "validation", status, body, "eventTypes")
		if n := h.count("webhook_subscriptions"); n != 0 {
			t.Errorf("a refused subscription wrote %d rows", n)
		}
	})
}
