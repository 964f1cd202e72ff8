//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/council/contacthub/internal/webhook"
)

// The webhook fault test's timing. A delivery whose sender died mid-attempt stays
// leased for the sender's 30 s lease, so draining takes at least that long after
// the last kill.
const (
	webhookKills        = 2
	webhookReceiveDelay = 20 * time.Millisecond // the receiver is slow, so kills land mid-delivery
	webhookWriteEvery   = 50 * time.Millisecond
	webhookBetweenKills = 2 * time.Second
	webhookDrainBound   = 60 * time.Second
)

// receiver is a webhook endpoint that verifies every delivery's signature and records
// the webhook-id of each, in the order received.
type receiver struct {
	mu       sync.Mutex
	secret   webhook.Secret
	order    []string // webhook-ids, in order received, repeats included
	seen     map[string]int
	bad      int
	badWhy   []string
	inFlight atomic.Int64
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	time.Sleep(webhookReceiveDelay)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.Verify(r.secret, req.Header, body, time.Now()); err != nil {
		r.bad++
		if len(r.badWhy) < 5 {
			r.badWhy = append(r.badWhy, err.Error())
		}
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(webhook.HeaderID)
	r.order = append(r.order, id)
	r.seen[id]++
	w.WriteHeader(http.StatusNoContent)
}

// roleToken mints a development token for role with `contacthub token`.
func roleToken(t *testing.T, h *hub, role, sub string) string {
	t.Helper()
	cmd := exec.Command(binary, "token", "--role", role, "--sub", sub, "--ttl", "1h")
	cmd.Env = h.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("contacthub token --role %s: %v", role, err)
	}
	return strings.TrimSpace(string(out))
}

// A webhook receiver hears every event the hub committed, each correctly signed,
// although the hub is killed with SIGKILL mid-delivery: a delivery interrupted by a
// crash is sent again after the restart (at least once, so repeats are allowed and
// counted), and the first receipt of a case's events keeps their order.
func TestKill9_WebhookDeliveriesSurvive(t *testing.T) {
	h := newHub(t)
	h.env = append(h.env,
		"CONTACTHUB_WEBHOOK_ALLOW_PRIVATE=true",
		"CONTACTHUB_WEBHOOK_POLL=100ms",
		"CONTACTHUB_WEBHOOK_RETRY_FIRST=200ms",
	)
	rcv := &receiver{seen: map[string]int{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	h.start()

	// Subscribe to every event type.
	admin := roleToken(t, h, "admin", "faults-webhooks")
	raw, _ := json.Marshal(map[string]any{"url": srv.URL + "/hook", "eventTypes": []string{"*"}})
	req, _ := http.NewRequest(http.MethodPost, h.URL()+"/v1/webhooks", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	answer, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var sub struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(answer, &sub) != nil || sub.ID == "" || sub.Secret == "" {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, answer)
	}
	rcv.mu.Lock()
	rcv.secret = webhook.Secret(sub.Secret)
	rcv.mu.Unlock()

	// Writes: a new resident's phone contact every webhookWriteEvery, each with a key,
	// each making several events. Errors while the hub is down are ignored: the
	// events expected are the ones the database committed.
	agent := h.token("faults-webhooks-agent")
	stop := make(chan struct{})
	var writes, acked atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		tick := time.NewTicker(webhookWriteEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			marker := fmt.Sprintf("faults-webhooks-%06d", writes.Add(1))
			body, _ := json.Marshal(map[string]any{
				"channel":     "phone",
				"service":     map[string]any{"lgsl": 59},
				"givenName":   "Fault",
				"familyName":  "Webhooks",
				"identifiers": []map[string]string{{"kind": "email", "value": marker + "@example.org"}},
				"summary":     marker,
			})
			req, _ := http.NewRequest(http.MethodPost, h.URL()+"/v1/contacts", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+agent)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", marker)
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					acked.Add(1)
				}
			}
		}
	}()

	time.Sleep(webhookBetweenKills)
	var open []string
	for range webhookKills {
		deadline := time.Now().Add(3 * time.Second)
		for rcv.inFlight.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		open = append(open, fmt.Sprint(rcv.inFlight.Load()))
		h.signal(syscall.SIGKILL)
		if exited, _ := h.wait(5 * time.Second); !exited {
			t.Fatal("webhooks: the hub did not die on SIGKILL")
		}
		h.start()
		time.Sleep(webhookBetweenKills)
	}
	close(stop)
	wg.Wait()

	// Wait until the receiver has every event the hub committed since the subscription.
	ctx := context.Background()
	var expected []expectedEvent
	deadline := time.Now().Add(webhookDrainBound)
	for {
		expected, err = h.subscribedEvents(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		unfanned, pending := h.webhookBacklog(ctx, sub.ID)
		rcv.mu.Lock()
		missing := 0
		for _, e := range expected {
			if rcv.seen[e.id] == 0 {
				missing++
			}
		}
		rcv.mu.Unlock()
		if (missing == 0 && unfanned == 0 && pending == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	first := map[string]int{} // webhook-id -> position of its first receipt
	for i, id := range rcv.order {
		if _, ok := first[id]; !ok {
			first[id] = i
		}
	}
	var lost []string
	want := map[string]bool{}
	for _, e := range expected {
		want[e.id] = true
		if rcv.seen[e.id] == 0 {
			lost = append(lost, e.id)
		}
	}
	duplicates, unexpected := 0, 0
	for id, n := range rcv.seen {
		duplicates += n - 1
		if !want[id] {
			unexpected++
		}
	}
	// Per key, the first receipts come in event order.
	byKey := map[string][]expectedEvent{}
	for _, e := range expected {
		byKey[e.key] = append(byKey[e.key], e)
	}
	var disorder []string
	for key, es := range byKey {
		sort.Slice(es, func(i, j int) bool { return es[i].id < es[j].id })
		last := -1
		for _, e := range es {
			p, ok := first[e.id]
			if !ok {
				continue
			}
			if p < last {
				disorder = append(disorder, fmt.Sprintf("key %s: %s first received before an earlier event", key, e.id))
			}
			last = max(last, p)
		}
	}

	t.Logf("webhooks: writes %d (acked %d), events %d, received %d, duplicates %d, lost %d, bad signatures %d, out of order %d, kills %d (deliveries in flight at each: %s)",
		writes.Load(), acked.Load(), len(expected), len(rcv.order), duplicates, len(lost), rcv.bad, len(disorder), webhookKills, strings.Join(open, ","))
	if len(expected) == 0 {
		t.Fatal("webhooks: the hub committed no events to deliver")
	}
	if len(lost) > 0 {
		t.Errorf("webhooks: %d of %d committed events were never delivered, e.g. %s", len(lost), len(expected), strings.Join(lost[:min(5, len(lost))], ", "))
	}
	if rcv.bad > 0 {
		t.Errorf("webhooks: %d deliveries did not verify: %s", rcv.bad, strings.Join(rcv.badWhy, "; "))
	}
	if unexpected > 0 {
		t.Errorf("webhooks: %d webhook-ids received that are no committed event of the subscription", unexpected)
	}
	if len(disorder) > 0 {
		t.Errorf("webhooks: %d events first received out of their key's order, e.g. %s", len(disorder), disorder[0])
	}
}

// expectedEvent is an event the hub committed that a subscription should deliver.
type expectedEvent struct{ id, key string }

// subscribedEvents reads, as the source of truth, every event message of the outbox
// written since the subscription was made (its types are "*", so it wants them all).
func (h *hub) subscribedEvents(ctx context.Context, subID string) ([]expectedEvent, error) {
	rs, err := h.rows.QueryContext(ctx, `SELECT o.payload->>'id', o.msg_key FROM outbox o, webhook_subscriptions s
 WHERE s.id = $1 AND o.created_at >= s.created_at AND o.payload->>'id' <> '' AND o.payload->>'type' <> ''
 ORDER BY o.payload->>'id'`, subID)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	defer rs.Close()
	var out []expectedEvent
	for rs.Next() {
		var e expectedEvent
		if err := rs.Scan(&e.id, &e.key); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rs.Err()
}

// webhookBacklog counts outbox messages not yet fanned out and the subscription's
// deliveries still pending.
func (h *hub) webhookBacklog(ctx context.Context, subID string) (unfanned, pending int) {
	_ = h.rows.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL`).Scan(&unfanned)
	_ = h.rows.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'pending'`, subID).Scan(&pending)
	return unfanned, pending
}
