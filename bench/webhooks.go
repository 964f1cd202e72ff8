package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
)

// receiver is a webhook endpoint in the load process: it answers 204 to every
// delivery and counts them, so a scenario can run with the hub's webhooks live.
type receiver struct {
	url       string
	delivered atomic.Int64
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hooks"}
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			_, _ = io.Copy(io.Discard, req.Body)
			r.delivered.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
	}()
	return r, nil
}

// withSubscriptions creates n subscriptions to every event type, all delivering to rcv,
// for the length of a scenario; the hub must allow private addresses
// (CONTACTHUB_WEBHOOK_ALLOW_PRIVATE, which bench/run.sh sets). It answers the teardown,
// which deletes them and reports what was delivered meanwhile.
func withSubscriptions(base string, admin http.Header, rcv *receiver, n int) func() (func(), error) {
	return func() (func(), error) {
		before := rcv.delivered.Load()
		var ids []string
		teardown := func() {
			for _, id := range ids {
				req, _ := http.NewRequest(http.MethodDelete, base+"/v1/webhooks/"+id, nil)
				req.Header = admin.Clone()
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
			fmt.Fprintf(os.Stderr, "webhook receiver: %d deliveries while %d subscriptions were open\n",
				rcv.delivered.Load()-before, n)
		}
		for i := range n {
			body, _ := json.Marshal(map[string]any{"url": rcv.url, "eventTypes": []string{"*"},
				"description": fmt.Sprintf("bench subscription %d", i)})
			req, _ := http.NewRequest(http.MethodPost, base+"/v1/webhooks", bytes.NewReader(body))
			req.Header = admin.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				teardown()
				return nil, err
			}
			var created struct {
				ID string `json:"id"`
			}
			err = json.NewDecoder(resp.Body).Decode(&created)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated || err != nil {
				teardown()
				return nil, fmt.Errorf("create a webhook subscription: %d (%v); is CONTACTHUB_WEBHOOK_ALLOW_PRIVATE set?", resp.StatusCode, err)
			}
			ids = append(ids, created.ID)
		}
		return teardown, nil
	}
}
