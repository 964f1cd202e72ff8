package httpapi

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/webhook"
)

func TestToWebhook_CarriesEveryFieldAndNeverASecretUnlessAsked(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 123000, time.UTC)
	id := uuid.New()
	svc, queue := 57, "advisors"
	in := webhook.Subscription{ID: id.String(), OwnerSubject: "crm", URL: "https://crm.example/hook",
		EventTypes: []string{"case.resolved"}, Filter: webhook.Filter{Service: &svc, Queue: &queue}, Description: "CRM",
		Enabled: false, DisabledReason: "failing", FailingSince: &at, CreatedAt: at, UpdatedAt: at.Add(time.Hour), Version: 3}
	want := api.Webhook{Id: id, Owner: "crm", Url: "https://crm.example/hook", EventTypes: []string{"case.resolved"},
		Filter: api.WebhookFilter{Service: &svc, Queue: &queue}, Description: "CRM", Enabled: false,
		DisabledReason: ptr("failing"), FailingSince: &at, CreatedAt: at, UpdatedAt: at.Add(time.Hour), Version: 3}
	if diff := cmp.Diff(want, toWebhook(in)); diff != "" {
		t.Errorf("toWebhook (-want +got):\n%s", diff)
	}
	withSecret := toWebhookWithSecret(in, "whsec_x")
	if withSecret.Secret != "whsec_x" || withSecret.Id != id || withSecret.Url != want.Url || withSecret.Version != 3 ||
		*withSecret.DisabledReason != "failing" || *withSecret.Filter.Queue != queue {
		t.Errorf("toWebhookWithSecret = %+v", withSecret)
	}
	if got := toWebhook(webhook.Subscription{ID: id.String()}); got.DisabledReason != nil {
		t.Errorf("no reason became %q", *got.DisabledReason)
	}
}

func TestFromWebhookPatch_AFilterReplacesTheWholeFilter(t *testing.T) {
	if p := fromWebhookPatch(api.WebhookPatch{Description: ptr("x")}); p.SetFilter || *p.Description != "x" {
		t.Errorf("no filter: %+v", p)
	}
	p := fromWebhookPatch(api.WebhookPatch{Filter: &api.WebhookFilter{Queue: ptr("fraud")}})
	if !p.SetFilter || p.Filter.Service != nil || *p.Filter.Queue != "fraud" {
		t.Errorf("filter: %+v", p)
	}
}

func TestToWebhookDelivery_CarriesEveryField(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	id, ev := uuid.New(), uuid.New()
	code, ms := 503, 42
	in := webhook.Delivery{ID: id.String(), EventID: ev.String(), EventType: "case.resolved", Status: webhook.Pending,
		Attempts: 2, LastStatus: &code, LastError: "the receiver answered 503", LastLatencyMS: &ms, NextAttemptAt: &at,
		CreatedAt: at.Add(-time.Minute)}
	want := api.WebhookDelivery{Id: id, EventId: ev, Type: "case.resolved", Status: api.Pending, Attempts: 2,
		LastStatusCode: &code, LastError: ptr("the receiver answered 503"), LastLatencyMs: &ms, NextAttemptAt: &at,
		CreatedAt: at.Add(-time.Minute)}
	if diff := cmp.Diff(want, toWebhookDelivery(in)); diff != "" {
		t.Errorf("toWebhookDelivery (-want +got):\n%s", diff)
	}
}
