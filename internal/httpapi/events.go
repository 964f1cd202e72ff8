package httpapi

import (
	"context"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/event"
)

// ListEventTypes answers the catalogue of event types: what other systems may hear of.
func (h *handlers) ListEventTypes(context.Context, api.ListEventTypesRequestObject) (api.ListEventTypesResponseObject, error) {
	return api.ListEventTypes200JSONResponse(toEventTypes(event.Types())), nil
}

// schemaRef is where a payload's schema is in the served contract (GET /openapi.yaml).
func schemaRef(schema string) string {
	return "/openapi.yaml#/components/schemas/" + schema
}

func toEventTypes(types []event.Type) api.EventTypeList {
	out := api.EventTypeList{Items: make([]api.EventType, 0, len(types))}
	for _, t := range types {
		out.Items = append(out.Items, api.EventType{Name: t.Name, Version: t.Version, Schema: schemaRef(t.Schema),
			About: t.About, OutboxOnly: t.OutboxOnly})
	}
	return out
}
