package httpapi

import (
	"context"
	"time"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/webhook"
)

// Webhooks is what the handlers need of webhook subscriptions.
type Webhooks interface {
	Create(ctx context.Context, who webhook.Owner, in webhook.Input) (webhook.Subscription, webhook.Secret, error)
	Get(ctx context.Context, who webhook.Owner, id string) (webhook.Subscription, error)
	List(ctx context.Context, who webhook.Owner, after string, limit int) ([]webhook.Subscription, string, error)
	Update(ctx context.Context, who webhook.Owner, id string, expected int, p webhook.Patch) (webhook.Subscription, error)
	Delete(ctx context.Context, who webhook.Owner, id string) error
	RotateSecret(ctx context.Context, who webhook.Owner, id string, overlap time.Duration) (webhook.Subscription, webhook.Secret, error)
	Deliveries(ctx context.Context, who webhook.Owner, subID, after string, limit int) ([]webhook.Delivery, string, error)
	Retry(ctx context.Context, who webhook.Owner, subID, deliveryID string) (webhook.Delivery, error)
	Replay(ctx context.Context, who webhook.Owner, subID string, from, to time.Time) (webhook.Replayed, error)
}

// ownerFrom is the caller as the webhook rules see it.
func ownerFrom(ctx context.Context) webhook.Owner {
	p := principalFrom(ctx)
	return webhook.Owner{Subject: p.Subject, Admin: p.Has(auth.Admin)}
}

func (h *handlers) CreateWebhook(ctx context.Context, req api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	sub, secret, err := h.webhooks.Create(ctx, ownerFrom(ctx), fromWebhookCreate(*req.Body))
	if err != nil {
		return nil, err
	}
	loc := "/v1/webhooks/" + sub.ID
	return api.CreateWebhook201JSONResponse{Body: toWebhookWithSecret(sub, secret),
		Headers: api.CreateWebhook201ResponseHeaders{ETag: etag(sub.Version), Location: &loc}}, nil
}

func (h *handlers) ListWebhooks(ctx context.Context, req api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	subs, next, err := h.webhooks.List(ctx, ownerFrom(ctx), deref(req.Params.Cursor), limitOf(req.Params.Limit))
	if err != nil {
		return nil, err
	}
	out := api.ListWebhooks200JSONResponse{Items: make([]api.Webhook, 0, len(subs))}
	for _, s := range subs {
		out.Items = append(out.Items, toWebhook(s))
	}
	if next != "" {
		out.NextCursor = &next
	}
	return out, nil
}

func (h *handlers) GetWebhook(ctx context.Context, req api.GetWebhookRequestObject) (api.GetWebhookResponseObject, error) {
	sub, err := h.webhooks.Get(ctx, ownerFrom(ctx), req.WebhookId.String())
	if err != nil {
		return nil, err
	}
	return api.GetWebhook200JSONResponse{Body: toWebhook(sub), Headers: api.GetWebhook200ResponseHeaders{ETag: etag(sub.Version)}}, nil
}

func (h *handlers) UpdateWebhook(ctx context.Context, req api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	version, err := requiredIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	sub, err := h.webhooks.Update(ctx, ownerFrom(ctx), req.WebhookId.String(), version, fromWebhookPatch(*req.Body))
	if err != nil {
		return nil, err
	}
	return api.UpdateWebhook200JSONResponse{Body: toWebhook(sub), Headers: api.UpdateWebhook200ResponseHeaders{ETag: etag(sub.Version)}}, nil
}

func (h *handlers) DeleteWebhook(ctx context.Context, req api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	if err := h.webhooks.Delete(ctx, ownerFrom(ctx), req.WebhookId.String()); err != nil {
		return nil, err
	}
	return api.DeleteWebhook204Response{}, nil
}

func (h *handlers) RotateWebhookSecret(ctx context.Context, req api.RotateWebhookSecretRequestObject) (api.RotateWebhookSecretResponseObject, error) {
	overlap := webhook.DefaultOverlap
	if req.Body != nil && req.Body.OverlapSeconds != nil {
		overlap = time.Duration(*req.Body.OverlapSeconds) * time.Second
	}
	sub, secret, err := h.webhooks.RotateSecret(ctx, ownerFrom(ctx), req.WebhookId.String(), overlap)
	if err != nil {
		return nil, err
	}
	return api.RotateWebhookSecret200JSONResponse{Body: toWebhookWithSecret(sub, secret),
		Headers: api.RotateWebhookSecret200ResponseHeaders{ETag: etag(sub.Version)}}, nil
}

func (h *handlers) ListWebhookDeliveries(ctx context.Context, req api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	ds, next, err := h.webhooks.Deliveries(ctx, ownerFrom(ctx), req.WebhookId.String(), deref(req.Params.Cursor), limitOf(req.Params.Limit))
	if err != nil {
		return nil, err
	}
	out := api.ListWebhookDeliveries200JSONResponse{Items: make([]api.WebhookDelivery, 0, len(ds))}
	for _, d := range ds {
		out.Items = append(out.Items, toWebhookDelivery(d))
	}
	if next != "" {
		out.NextCursor = &next
	}
	return out, nil
}

func (h *handlers) RetryWebhookDelivery(ctx context.Context, req api.RetryWebhookDeliveryRequestObject) (api.RetryWebhookDeliveryResponseObject, error) {
	d, err := h.webhooks.Retry(ctx, ownerFrom(ctx), req.WebhookId.String(), req.DeliveryId.String())
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, d.CustomerID) // the event goes to the integration again: a disclosure
	return api.RetryWebhookDelivery200JSONResponse(toWebhookDelivery(d)), nil
}

func (h *handlers) ReplayWebhook(ctx context.Context, req api.ReplayWebhookRequestObject) (api.ReplayWebhookResponseObject, error) {
	r, err := h.webhooks.Replay(ctx, ownerFrom(ctx), req.WebhookId.String(), req.Body.From, req.Body.To)
	if err != nil {
		return nil, err
	}
	seen(ctx, audit.Read, r.CustomerIDs...) // their events go to the integration again
	return api.ReplayWebhook202JSONResponse{Queued: r.Queued}, nil
}

func toWebhookDelivery(d webhook.Delivery) api.WebhookDelivery {
	out := api.WebhookDelivery{Id: mustUUID(d.ID), EventId: mustUUID(d.EventID), Type: d.EventType,
		Status: api.WebhookDeliveryStatus(d.Status), Attempts: d.Attempts, LastStatusCode: d.LastStatus,
		LastLatencyMs: d.LastLatencyMS, NextAttemptAt: d.NextAttemptAt, CreatedAt: d.CreatedAt, FinishedAt: d.FinishedAt}
	if d.LastError != "" {
		out.LastError = &d.LastError
	}
	return out
}

func fromWebhookFilter(f *api.WebhookFilter) webhook.Filter {
	if f == nil {
		return webhook.Filter{}
	}
	return webhook.Filter{Service: f.Service, Queue: f.Queue}
}

func fromWebhookCreate(b api.WebhookCreate) webhook.Input {
	return webhook.Input{URL: b.Url, EventTypes: b.EventTypes, Filter: fromWebhookFilter(b.Filter),
		Description: deref(b.Description), Enabled: b.Enabled}
}

func fromWebhookPatch(b api.WebhookPatch) webhook.Patch {
	return webhook.Patch{URL: b.Url, EventTypes: b.EventTypes, SetFilter: b.Filter != nil, Filter: fromWebhookFilter(b.Filter),
		Description: b.Description, Enabled: b.Enabled}
}

func toWebhookFilter(f webhook.Filter) api.WebhookFilter {
	return api.WebhookFilter{Service: f.Service, Queue: f.Queue}
}

func toWebhook(s webhook.Subscription) api.Webhook {
	out := api.Webhook{Id: mustUUID(s.ID), Owner: s.OwnerSubject, Url: s.URL, EventTypes: s.EventTypes,
		Filter: toWebhookFilter(s.Filter), Description: s.Description, Enabled: s.Enabled, FailingSince: s.FailingSince,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version}
	if s.DisabledReason != "" {
		out.DisabledReason = &s.DisabledReason
	}
	return out
}

func toWebhookWithSecret(s webhook.Subscription, secret webhook.Secret) api.WebhookWithSecret {
	w := toWebhook(s)
	return api.WebhookWithSecret{Secret: string(secret), Id: w.Id, Owner: w.Owner, Url: w.Url, EventTypes: w.EventTypes,
		Filter: w.Filter, Description: w.Description, Enabled: w.Enabled, DisabledReason: w.DisabledReason,
		FailingSince: w.FailingSince, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Version: w.Version}
}
