package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFakeNotify_AcceptsSendsAndPlaysRepliesBack(t *testing.T) {
	var callback struct {
		auth string
		body map[string]string
	}
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		callback.auth = r.Header.Get("Authorization")
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &callback.body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hub.Close()
	var out bytes.Buffer
	fake := httptest.NewServer(&FakeNotify{HubURL: hub.URL, CallbackToken: "demo-callback-token", Out: &out})
	defer fake.Close()
	n, err := NewNotify(NotifyConfig{APIKey: "demo-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0", BaseURL: fake.URL, TemplateID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := n.Send(context.Background(), Message{To: "+447700900123", Reference: "s-1"})
	if err != nil || sent.ProviderID == "" || !strings.Contains(out.String(), "SMS to +447700900123") {
		t.Fatalf("send: %+v %v %q", sent, err, out.String())
	}
	resp, err := http.Post(fake.URL+"/reply", "application/json", strings.NewReader(`{"from":"+447700900123","text":"5"}`))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("reply: %v %v", resp, err)
	}
	if callback.auth != "Bearer demo-callback-token" || callback.body["source_number"] != "+447700900123" || callback.body["message"] != "5" || callback.body["id"] == "" {
		t.Fatalf("callback = %+v", callback)
	}
}
