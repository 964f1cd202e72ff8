package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/webhook"
)

// received is one POST a test receiver got.
type received struct {
	header http.Header
	body   []byte
	msg    struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      struct {
			ID         string          `json:"id"`
			Type       string          `json:"type"`
			OccurredAt time.Time       `json:"occurredAt"`
			CustomerID string          `json:"customerId"`
			CaseID     string          `json:"caseId"`
			Service    int             `json:"service"`
			Queue      string          `json:"queue"`
			Data       json.RawMessage `json:"data"`
		} `json:"data"`
	}
}

// receiver is a local endpoint that records deliveries and answers what answer says
// (200 when nil) to the n-th request (from 1) for a webhook-id.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	at     []time.Time
	tries  map[string]int
	answer func(id string, n int) int
}

func newReceiver(t *testing.T, answer func(id string, n int) int) *receiver {
	r := &receiver{t: t, tries: map[string]int{}, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var rec received
		rec.header, rec.body = req.Header.Clone(), body
		if err := json.Unmarshal(body, &rec.msg); err != nil {
			t.Errorf("a delivery is not JSON: %s", body)
		}
		r.mu.Lock()
		id := req.Header.Get("webhook-id")
		r.tries[id]++
		n := r.tries[id]
		r.got = append(r.got, rec)
		r.at = append(r.at, time.Now())
		r.mu.Unlock()
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(id, n)
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitFor polls until ok holds of what was received, or fails after 15 s.
func (r *receiver) waitFor(what string, ok func([]received) bool) []received {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := r.all()
		if ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("waited 15 s for %s; received %d deliveries", what, len(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// subscribe makes a subscription for the receiver and returns its id and secret.
func (h *hub) subscribe(t *testing.T, token string, r *receiver, body map[string]any) (string, webhook.Secret) {
	t.Helper()
	body["url"] = r.srv.URL + "/hook?token=receiver-token"
	status, sub, raw := h.call(t, token, "POST", "/v1/webhooks", body)
	if status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", status, raw)
	}
	return sub["id"].(string), webhook.Secret(sub["secret"].(string))
}

// drainWebhooks waits until every outbox message is fanned out and no delivery is pending.
func (h *hub) drainWebhooks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var unfanned, pending int
		if err := h.app.DB.Get(&unfanned, "SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL"); err != nil {
			t.Fatal(err)
		}
		if err := h.app.DB.Get(&pending, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"); err != nil {
			t.Fatal(err)
		}
		if unfanned == 0 && pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks not drained after 15 s: %d messages not fanned out, %d deliveries pending", unfanned, pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// staff is an admin's token, for making changes.
func (h *hub) staff() string {
	return h.token(auth.Claims{Subject: "admin-ann", Roles: []auth.Role{auth.Admin}})
}

// newCase records a customer, opens a case of lgsl for them and records a contact on it.
func (h *hub) newCase(t *testing.T, lgsl int) (customer, caseID string) {
	t.Helper()
	tok := h.staff()
	status, c, raw := h.call(t, tok, "POST", "/v1/customers", map[string]any{"familyName": "Hook",
		"identifiers": []map[string]any{{"kind": "email", "value": fmt.Sprintf("hook-%d@example.org", time.Now().UnixNano())}}})
	if status != http.StatusCreated {
		t.Fatalf("customer: %d %s", status, raw)
	}
	customer = c["id"].(string)
	status, cs, raw := h.call(t, tok, "POST", "/v1/cases", map[string]any{"customerId": customer, "service": map[string]any{"lgsl": lgsl}})
	if status != http.StatusCreated {
		t.Fatalf("case: %d %s", status, raw)
	}
	caseID = cs["id"].(string)
	if status, _, raw := h.call(t, tok, "POST", "/v1/contacts", map[string]any{"channel": "phone",
		"service": map[string]any{"lgsl": lgsl}, "customerId": customer, "caseId": caseID}); status != http.StatusCreated {
		t.Fatalf("contact: %d %s", status, raw)
	}
	return customer, caseID
}

func (h *hub) resolve(t *testing.T, caseID string) {
	t.Helper()
	if status, _, raw := h.call(t, h.staff(), "POST", "/v1/cases/"+caseID+"/resolve", map[string]any{"resolutionCode": "advice_given"}); status != http.StatusOK {
		t.Fatalf("resolve: %d %s", status, raw)
	}
}

func resolvedCase(caseID string) func([]received) bool {
	return func(got []received) bool {
		for _, r := range got {
			if r.msg.Type == "case.resolved" && r.msg.Data.CaseID == caseID {
				return true
			}
		}
		return false
	}
}

func TestWebhooks_RealChangesArriveSignedAndInOrderPerCase(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		r := newReceiver(t, nil)
		before := h.count("outbox") // the default rules' publication, at start
		_, secret := h.subscribe(t, integrationToken(h, "crm"), r, map[string]any{"eventTypes": []string{"*"}})
		_, caseA := h.newCase(t, 57)
		_, caseB := h.newCase(t, 61)
		h.resolve(t, caseB)
		h.resolve(t, caseA)
		r.waitFor("both cases resolved", func(got []received) bool { return resolvedCase(caseA)(got) && resolvedCase(caseB)(got) })
		h.drainWebhooks(t)
		got := r.all()

		seen := map[string]bool{}
		last := map[string]string{}
		for _, d := range got {
			if err := webhook.Verify(secret, d.header, d.body, time.Now()); err != nil {
				t.Errorf("%s: %v", d.msg.Type, err)
			}
			if ct := d.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content-type %q", ct)
			}
			id := d.header.Get("webhook-id")
			if id != d.msg.Data.ID || d.msg.Type != d.msg.Data.Type || !d.msg.Timestamp.Equal(d.msg.Data.OccurredAt) {
				t.Errorf("headers and body disagree: webhook-id %s, body %s", id, d.body)
			}
			if seen[id] {
				t.Errorf("%s delivered twice though the receiver said 200", id)
			}
			seen[id] = true
			if c := d.msg.Data.CaseID; c != "" {
				if last[c] >= id {
					t.Errorf("case %s: %s arrived after %s", c, id, last[c])
				}
				last[c] = id
			}
		}
		if events := h.count("outbox") - before; len(seen) != events {
			t.Errorf("received %d events, the outbox holds %d", len(seen), events)
		}
	})
}

func TestWebhooks_RetriesKeepTheIDAndARefusalIsFinal(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		flaky := newReceiver(t, func(_ string, n int) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		refusing := newReceiver(t, func(string, int) int { return http.StatusBadRequest })
		flakyID, secret := h.subscribe(t, integrationToken(h, "crm"), flaky, map[string]any{"eventTypes": []string{"case.resolved"}})
		refusingID, _ := h.subscribe(t, integrationToken(h, "crm"), refusing, map[string]any{"eventTypes": []string{"case.resolved"}})
		_, caseID := h.newCase(t, 57)
		h.resolve(t, caseID)
		got := flaky.waitFor("a retry after the 500", func(got []received) bool { return len(got) >= 2 })
		h.drainWebhooks(t)
		if len(got) != 2 || got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") {
			t.Fatalf("want the same webhook-id twice, got %d deliveries", len(got))
		}
		for _, d := range got {
			if err := webhook.Verify(secret, d.header, d.body, time.Now()); err != nil {
				t.Error(err)
			}
		}
		if n := len(refusing.all()); n != 1 {
			t.Errorf("a 400 was retried: %d requests", n)
		}
		for sub, want := range map[string]string{flakyID: "succeeded 2", refusingID: "failed 1"} {
			var row struct {
				Status   string `db:"status"`
				Attempts int    `db:"attempts"`
			}
			if err := h.app.DB.Get(&row, h.app.DB.Rebind("SELECT status, attempts FROM webhook_deliveries WHERE subscription_id = ?"), sub); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(row.Status, " ", row.Attempts); got != want {
				t.Errorf("delivery of %s: %s, want %s", sub, got, want)
			}
		}
		var attempts int
		if err := h.app.DB.Get(&attempts, "SELECT count(*) FROM webhook_attempts"); err != nil || attempts != 3 {
			t.Errorf("attempts logged: %d %v", attempts, err)
		}
		_, metrics := h.raw("GET", "/metrics", "", "", nil)
		for _, line := range []string{`contacthub_webhook_attempts_total{state="pending"} 1`,
			`contacthub_webhook_attempts_total{state="succeeded"} 1`, `contacthub_webhook_attempts_total{state="failed"} 1`} {
			if !strings.Contains(string(metrics), line) {
				t.Errorf("/metrics lacks %s", line)
			}
		}
	})
}

func TestWebhooks_DuringARotationBothSecretsSign(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		r := newReceiver(t, nil)
		tok := integrationToken(h, "crm")
		id, old := h.subscribe(t, tok, r, map[string]any{"eventTypes": []string{"case.resolved"}})
		status, rotated, raw := h.call(t, tok, "POST", "/v1/webhooks/"+id+"/rotate-secret", map[string]any{"overlapSeconds": 3600})
		if status != http.StatusOK {
			t.Fatalf("rotate: %d %s", status, raw)
		}
		fresh := webhook.Secret(rotated["secret"].(string))
		_, caseID := h.newCase(t, 57)
		h.resolve(t, caseID)
		got := r.waitFor("the resolution", resolvedCase(caseID))
		d := got[0]
		if n := len(strings.Fields(d.header.Get("webhook-signature"))); n != 2 {
			t.Errorf("%d signatures during the overlap, want 2", n)
		}
		for name, s := range map[string]webhook.Secret{"old": old, "new": fresh} {
			if err := webhook.Verify(s, d.header, d.body, time.Now()); err != nil {
				t.Errorf("the %s secret does not verify: %v", name, err)
			}
		}
	})
}

func TestWebhooks_FiltersHold(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		tok := integrationToken(h, "crm")
		byType, byService, byQueue := newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil)
		h.subscribe(t, tok, byType, map[string]any{"eventTypes": []string{"case.resolved", "contact.recorded"}})
		h.subscribe(t, tok, byService, map[string]any{"eventTypes": []string{"*"}, "filter": map[string]any{"service": 61}})
		h.subscribe(t, tok, byQueue, map[string]any{"eventTypes": []string{"*"}, "filter": map[string]any{"queue": tier3Queue}})
		_, case57 := h.newCase(t, 57)
		_, case61 := h.newCase(t, 61)
		if status, _, raw := h.call(t, h.staff(), "POST", "/v1/cases/"+case57+"/handoffs", map[string]any{"queue": tier3Queue, "reason": "complexity"}); status != http.StatusCreated {
			t.Fatalf("hand-off: %d %s", status, raw)
		}
		h.resolve(t, case57)
		h.resolve(t, case61)
		h.drainWebhooks(t)
		check := func(name string, r *receiver, ok func(received) bool) {
			got := r.all()
			if len(got) == 0 {
				t.Errorf("%s: nothing received", name)
			}
			for _, d := range got {
				if !ok(d) {
					t.Errorf("%s received %s (service %d, queue %q)", name, d.msg.Type, d.msg.Data.Service, d.msg.Data.Queue)
				}
			}
		}
		check("by type", byType, func(d received) bool { return d.msg.Type == "case.resolved" || d.msg.Type == "contact.recorded" })
		check("by service", byService, func(d received) bool { return d.msg.Data.Service == 61 })
		check("by queue", byQueue, func(d received) bool { return d.msg.Data.Queue == tier3Queue })
	})
}

func TestWebhooks_TheLogShowsEachDeliveryAndARefusedOneCanBeRetriedOrReplayed(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		var accept atomic.Bool
		r := newReceiver(t, func(string, int) int {
			if accept.Load() {
				return http.StatusNoContent
			}
			return http.StatusGone
		})
		tok := integrationToken(h, "crm")
		start := time.Now().UTC()
		sub, _ := h.subscribe(t, tok, r, map[string]any{"eventTypes": []string{"case.resolved"}})
		customer, caseID := h.newCase(t, 57)
		h.resolve(t, caseID)
		r.waitFor("the resolution", resolvedCase(caseID))
		h.drainWebhooks(t)

		status, log, raw := h.call(t, tok, "GET", "/v1/webhooks/"+sub+"/deliveries", nil)
		if status != http.StatusOK || len(log["items"].([]any)) != 1 {
			t.Fatalf("log: %d %s", status, raw)
		}
		d := log["items"].([]any)[0].(map[string]any)
		if d["status"] != "failed" || d["attempts"] != 1.0 || d["lastStatusCode"] != 410.0 || d["type"] != "case.resolved" || d["finishedAt"] == nil {
			t.Errorf("a refused delivery: %s", raw)
		}
		if status, _, _ := h.call(t, integrationToken(h, "someone-else"), "GET", "/v1/webhooks/"+sub+"/deliveries", nil); status != http.StatusNotFound {
			t.Errorf("another integration read the log: %d", status)
		}

		accept.Store(true)
		id := d["id"].(string)
		status, retried, raw := h.call(t, tok, "POST", "/v1/webhooks/"+sub+"/deliveries/"+id+"/retry", nil)
		if status != http.StatusOK || retried["status"] != "pending" {
			t.Fatalf("retry: %d %s", status, raw)
		}
		r.waitFor("the retry", func(got []received) bool { return len(got) == 2 })
		h.drainWebhooks(t)
		// Sending the event again discloses its customer again: the retry is audited.
		if err := h.app.Audit.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Asked of the audit itself: where an entry keeps its customers is the audit's
		// business (one customer on the entry, several as link rows).
		trail, err := h.app.Audit.List(context.Background(), audit.Query{Subject: "crm"}, 0)
		var audited int
		for _, e := range trail.Items {
			if e.Operation == "retryWebhookDelivery" && slices.Equal(e.CustomerIDs, []string{customer}) {
				audited++
			}
		}
		if err != nil || audited != 1 {
			t.Errorf("audit entries naming the retried event's customer: %d (%v), want 1", audited, err)
		}
		if status, _, raw := h.call(t, tok, "POST", "/v1/webhooks/"+sub+"/deliveries/"+id+"/retry", nil); status != http.StatusConflict {
			t.Errorf("retry of a succeeded delivery: %d %s", status, raw)
		}
		_, log, _ = h.call(t, tok, "GET", "/v1/webhooks/"+sub+"/deliveries", nil)
		if d := log["items"].([]any)[0].(map[string]any); d["status"] != "succeeded" || d["attempts"] != 2.0 || d["lastStatusCode"] != 204.0 {
			t.Errorf("after the retry: %v", d)
		}

		status, replay, raw := h.call(t, tok, "POST", "/v1/webhooks/"+sub+"/replay", map[string]any{
			"from": start.Add(-time.Minute).Format(time.RFC3339Nano), "to": time.Now().UTC().Add(time.Minute).Format(time.RFC3339Nano)})
		if status != http.StatusAccepted || replay["queued"] != 1.0 {
			t.Fatalf("replay: %d %s", status, raw)
		}
		got := r.waitFor("the replay", func(got []received) bool { return len(got) == 3 })
		if got[2].header.Get("webhook-id") != got[0].header.Get("webhook-id") {
			t.Errorf("a replayed event has another webhook-id")
		}
		h.drainWebhooks(t)
		deliveries := h.count("webhook_deliveries")
		status, _, raw = h.call(t, tok, "POST", "/v1/webhooks/"+sub+"/replay", map[string]any{
			"from": start.Format(time.RFC3339), "to": start.Add(-time.Hour).Format(time.RFC3339)})
		if p := wantProblem(t, http.StatusUnprocessableEntity, raw, status, "invalid-value"); !slices.Contains(fieldsOf(p), "to") {
			t.Errorf("a backwards range: %v", fieldsOf(p))
		}
		if n := h.count("webhook_deliveries"); n != deliveries {
			t.Errorf("a refused replay wrote deliveries: %d, was %d", n, deliveries)
		}
	})
}

// waitUntil polls cond until it holds, or fails after 15 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhooks_AFailingEndpointIsDisabledAfterFiveDaysAndADeliveryDiesAfterItsWindow(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		down := newReceiver(t, func(string, int) int { return http.StatusServiceUnavailable })
		tok := integrationToken(h, "crm")
		failing, _ := h.subscribe(t, tok, down, map[string]any{"eventTypes": []string{"case.opened"}})
		dying, _ := h.subscribe(t, tok, down, map[string]any{"eventTypes": []string{"case.resolved"}})
		ownNews, othersNews := newReceiver(t, nil), newReceiver(t, nil)
		h.subscribe(t, tok, ownNews, map[string]any{"eventTypes": []string{"webhook.endpoint_disabled"}})
		h.subscribe(t, integrationToken(h, "housing-system"), othersNews, map[string]any{"eventTypes": []string{"*"}})
		db := h.app.DB
		if _, err := db.Exec(db.Rebind("UPDATE webhook_subscriptions SET failing_since = ? WHERE id = ?"),
			time.Now().UTC().Add(-6*24*time.Hour), failing); err != nil {
			t.Fatal(err)
		}
		_, caseID := h.newCase(t, 57)

		waitUntil(t, "the failing subscription disabled", func() bool {
			_, sub, _ := h.call(t, tok, "GET", "/v1/webhooks/"+failing, nil)
			return sub["enabled"] == false && sub["disabledReason"] != nil
		})
		var payloads []string
		if err := db.Select(&payloads, "SELECT payload FROM outbox WHERE topic = 'webhook.endpoint_disabled'"); err != nil {
			t.Fatal(err)
		}
		if len(payloads) != 1 || !strings.Contains(payloads[0], failing) || strings.Contains(payloads[0], "whsec_") || strings.Contains(payloads[0], "receiver-token") {
			t.Errorf("endpoint_disabled events: %v", payloads)
		}
		ownNews.waitFor("the owner told", func(got []received) bool { return len(got) == 1 && got[0].msg.Type == "webhook.endpoint_disabled" })
		var told int
		if err := db.Get(&told, "SELECT count(*) FROM webhook_deliveries WHERE event_type = 'webhook.endpoint_disabled'"); err != nil || told != 1 {
			t.Errorf("webhook.endpoint_disabled went to %d subscriptions (%v), want only the owner's", told, err)
		}
		for _, d := range othersNews.all() {
			if d.msg.Type == "webhook.endpoint_disabled" {
				t.Errorf("another integration heard of the subscription: %s", d.body)
			}
		}

		h.resolve(t, caseID)
		waitUntil(t, "a first failed attempt", func() bool {
			var n int
			if err := db.Get(&n, db.Rebind("SELECT attempts FROM webhook_deliveries WHERE subscription_id = ?"), dying); err != nil {
				return false
			}
			return n >= 1
		})
		// Its 24 hours of retries are over: the next failure is its last.
		if _, err := db.Exec(db.Rebind("UPDATE webhook_deliveries SET retry_from = ?, next_attempt_at = ? WHERE subscription_id = ?"),
			time.Now().UTC().Add(-25*time.Hour), time.Now().UTC(), dying); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the delivery dead", func() bool {
			var status string
			err := db.Get(&status, db.Rebind("SELECT status FROM webhook_deliveries WHERE subscription_id = ?"), dying)
			return err == nil && status == "dead"
		})
	})
}

func TestWebhooks_ARotationWithoutOverlapSignsWithTheNewSecretOnly(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		r := newReceiver(t, nil)
		tok := integrationToken(h, "crm")
		id, old := h.subscribe(t, tok, r, map[string]any{"eventTypes": []string{"case.resolved"}})
		status, rotated, raw := h.call(t, tok, "POST", "/v1/webhooks/"+id+"/rotate-secret", map[string]any{"overlapSeconds": 0})
		if status != http.StatusOK {
			t.Fatalf("rotate: %d %s", status, raw)
		}
		_, caseID := h.newCase(t, 57)
		h.resolve(t, caseID)
		d := r.waitFor("the resolution", resolvedCase(caseID))[0]
		if err := webhook.Verify(webhook.Secret(rotated["secret"].(string)), d.header, d.body, time.Now()); err != nil {
			t.Errorf("the new secret: %v", err)
		}
		if err := webhook.Verify(old, d.header, d.body, time.Now()); err == nil {
			t.Error("the old secret still signs after a rotation without overlap")
		}
	})
}

func TestWebhooks_A429IsRetriedNoSoonerThanItsRetryAfter(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		r := newReceiver(t, func(_ string, n int) int {
			if n == 1 {
				return http.StatusTooManyRequests // with Retry-After: 1
			}
			return http.StatusOK
		})
		h.subscribe(t, integrationToken(h, "crm"), r, map[string]any{"eventTypes": []string{"case.resolved"}})
		_, caseID := h.newCase(t, 57)
		h.resolve(t, caseID)
		r.waitFor("the retry", func(got []received) bool { return len(got) == 2 })
		r.mu.Lock()
		gap := r.at[1].Sub(r.at[0])
		r.mu.Unlock()
		if gap < 900*time.Millisecond { // Retry-After has whole seconds; the back-off alone is 20 ms here
			t.Errorf("retried %v after a 429 asking for 1 s", gap)
		}
	})
}

func TestWebhooks_AReplayOfAnEmptyOrHalfRangeIsRefusedNamingTheFieldAndQueuesNothing(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		r := newReceiver(t, nil)
		tok := integrationToken(h, "crm")
		start := time.Now().UTC()
		sub, _ := h.subscribe(t, tok, r, map[string]any{"eventTypes": []string{"case.resolved"}})
		_, caseID := h.newCase(t, 57)
		h.resolve(t, caseID)
		r.waitFor("the resolution", resolvedCase(caseID))
		h.drainWebhooks(t)
		deliveries := h.count("webhook_deliveries")
		at := start.Add(time.Minute).Format(time.RFC3339Nano)
		for _, tc := range []struct {
			what       string
			body       map[string]any
			status     int
			typ, field string
		}{
			{"from equal to to", map[string]any{"from": at, "to": at}, http.StatusUnprocessableEntity, "invalid-value", "to"},
			{"no to", map[string]any{"from": start.Add(-time.Minute).Format(time.RFC3339Nano)}, http.StatusBadRequest, "validation", "to"},
		} {
			status, _, raw := h.call(t, tok, "POST", "/v1/webhooks/"+sub+"/replay", tc.body)
			wantFieldProblem(t, tc.what, tc.status, tc.typ, status, raw, tc.field)
		}
		if n := h.count("webhook_deliveries"); n != deliveries {
			t.Errorf("refused replays wrote deliveries: %d, was %d", n, deliveries)
		}
	})
}

func TestWebhooks_UnknownOrForeignIDsAreNotFound(t *testing.T) {
	eachWebhookBackend(t, func(t *testing.T, h *hub) {
		r := newReceiver(t, func(string, int) int { return http.StatusGone })
		tok := integrationToken(h, "crm")
		start := time.Now().UTC()
		first, _ := h.subscribe(t, tok, r, map[string]any{"eventTypes": []string{"case.resolved"}})
		second, _ := h.subscribe(t, tok, r, map[string]any{"eventTypes": []string{"contact.recorded"}})
		_, caseID := h.newCase(t, 57)
		h.resolve(t, caseID)
		r.waitFor("the resolution", resolvedCase(caseID))
		h.drainWebhooks(t)
		status, log, raw := h.call(t, tok, "GET", "/v1/webhooks/"+first+"/deliveries", nil)
		if status != http.StatusOK || len(log["items"].([]any)) != 1 {
			t.Fatalf("log: %d %s", status, raw)
		}
		firstDelivery := log["items"].([]any)[0].(map[string]any)["id"].(string)
		unknown := uuid.NewString()
		deliveries := h.count("webhook_deliveries")
		for _, tc := range []struct {
			what, path string
			body       map[string]any
		}{
			{"retry of an unknown delivery", "/v1/webhooks/" + first + "/deliveries/" + unknown + "/retry", nil},
			{"retry of another subscription's delivery", "/v1/webhooks/" + second + "/deliveries/" + firstDelivery + "/retry", nil},
			{"replay of an unknown subscription", "/v1/webhooks/" + unknown + "/replay", map[string]any{
				"from": start.Add(-time.Minute).Format(time.RFC3339Nano), "to": time.Now().UTC().Add(time.Minute).Format(time.RFC3339Nano)}},
			{"rotation of an unknown subscription", "/v1/webhooks/" + unknown + "/rotate-secret", map[string]any{"overlapSeconds": 60}},
		} {
			status, _, raw := h.call(t, tok, "POST", tc.path, tc.body)
			wantProblem(t, http.StatusNotFound, raw, status, "not-found")
		}
		if n := h.count("webhook_deliveries"); n != deliveries {
			t.Errorf("requests about unknown ids wrote deliveries: %d, was %d", n, deliveries)
		}
		_, log, _ = h.call(t, tok, "GET", "/v1/webhooks/"+first+"/deliveries", nil)
		if d := log["items"].([]any)[0].(map[string]any); d["status"] != "failed" || d["attempts"] != 1.0 {
			t.Errorf("a retry through another subscription touched the delivery: %v", d)
		}
	})
}
