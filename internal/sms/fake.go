package sms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FakeNotify stands in for GOV.UK Notify on a developer's machine (`contacthub
// fake-notify`): it accepts sends as Notify does and prints them, and its /reply
// endpoint plays a resident answering, by posting Notify's received-text callback to
// the hub with the callback token.
type FakeNotify struct {
	HubURL        string // where to send callbacks, e.g. http://localhost:8080
	CallbackToken string
	Out           io.Writer

	mu sync.Mutex
	n  int
}

func (f *FakeNotify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v2/notifications/sms":
		f.send(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/reply":
		f.reply(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *FakeNotify) send(w http.ResponseWriter, r *http.Request) {
	var in notifySend
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.PhoneNumber == "" {
		http.Error(w, `{"errors":[{"error":"ValidationError","message":"phone_number is required"}]}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.n++
	id := "fake-" + strconv.Itoa(f.n)
	f.mu.Unlock()
	fmt.Fprintf(f.Out, "SMS to %s (template %s, personalisation %v, reference %s)\n  reply with: curl -X POST localhost:9090/reply -d '{\"from\":\"%s\",\"text\":\"5 - great\"}'\n",
		in.PhoneNumber, in.TemplateID, in.Personalisation, in.Reference, in.PhoneNumber)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "reference": in.Reference, "uri": "fake",
		"content": map[string]string{"body": "survey", "from_number": "GOVUK"}, "template": map[string]any{"id": in.TemplateID, "version": 1, "uri": "fake"}})
}

func (f *FakeNotify) reply(w http.ResponseWriter, r *http.Request) {
	var in struct{ From, Text string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.From == "" {
		http.Error(w, `send {"from": "+447700900123", "text": "5"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.n++
	id := "fake-in-" + strconv.Itoa(f.n)
	f.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"id": id, "source_number": in.From, "destination_number": "07700900000",
		"message": in.Text, "date_received": time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, f.HubURL+"/v1/callbacks/notify/received-text", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Authorization", "Bearer "+f.CallbackToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, "the hub did not answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	fmt.Fprintf(f.Out, "reply %q from %s: the hub answered %d\n", in.Text, in.From, resp.StatusCode)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
