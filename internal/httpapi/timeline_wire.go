package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/timeline"
)

// timelinePage is api.TimelinePage with each event's data passed through as stored.
// Decoding fifty events' data into maps only to encode them again was about a third
// of the CPU a timeline read cost (see BENCHMARKS.md); the JSON is the same, which
// TestTimelinePage_SameJSONAsTheContract holds.
type timelinePage struct {
	Items      []timelineEvent `json:"items"`
	NextCursor *string         `json:"nextCursor,omitempty"`
}

type timelineEvent struct {
	Actor      api.Actor           `json:"actor"`
	CaseId     *openapi_types.UUID `json:"caseId,omitempty"`
	CustomerId *openapi_types.UUID `json:"customerId,omitempty"`
	Data       json.RawMessage     `json:"data"`
	Id         openapi_types.UUID  `json:"id"`
	Kind       string              `json:"kind"`
	OccurredAt time.Time           `json:"occurredAt"`
}

func toTimelineWire(p timeline.Page) (timelinePage, error) {
	out := timelinePage{Items: make([]timelineEvent, 0, len(p.Items)), NextCursor: optString(p.NextCursor)}
	for _, ev := range p.Items {
		data := ev.Raw
		if data == nil {
			var err error
			if data, err = json.Marshal(orEmptyMap(ev.Data)); err != nil {
				return timelinePage{}, err
			}
		}
		a := toEventHead(ev)
		out.Items = append(out.Items, timelineEvent{Actor: a.Actor, CaseId: a.CaseId, CustomerId: a.CustomerId,
			Data: data, Id: a.Id, Kind: a.Kind, OccurredAt: a.OccurredAt})
	}
	return out, nil
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (p timelinePage) write(w http.ResponseWriter) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := buf.WriteTo(w)
	return err
}

// VisitGetCaseTimelineResponse answers GET /v1/cases/{id}/timeline.
func (p timelinePage) VisitGetCaseTimelineResponse(w http.ResponseWriter) error { return p.write(w) }

// VisitGetCustomerTimelineResponse answers GET /v1/customers/{id}/timeline.
func (p timelinePage) VisitGetCustomerTimelineResponse(w http.ResponseWriter) error {
	return p.write(w)
}
