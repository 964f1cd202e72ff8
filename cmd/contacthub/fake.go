package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/council/contacthub/internal/sms"
)

// fakeNotify runs a stand-in GOV.UK Notify for demonstrations (make demo).
func fakeNotify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fake-notify [--addr :9090] [--hub http://localhost:8080] [--token T]",
		"Runs a stand-in GOV.UK Notify: it prints every SMS the hub sends, and POST /reply\n"+
			"{\"from\": \"+447700900123\", \"text\": \"5\"} plays the resident's answer back to the hub.", stderr)
	addr := fs.String("addr", ":9090", "listen address")
	hub := fs.String("hub", "http://localhost:8080", "the hub's address, for callbacks")
	token := fs.String("token", "demo-callback-token", "the hub's CONTACTHUB_NOTIFY_CALLBACK_TOKEN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: &sms.FakeNotify{HubURL: *hub, CallbackToken: *token, Out: stdout}, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(stdout, "fake GOV.UK Notify on %s, calling back %s\n", *addr, *hub)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
