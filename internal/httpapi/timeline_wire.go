package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
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
	bp := bodyBuffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBody {
			bodyBuffers.Put(bp)
		}
	}()
	body, err := p.appendJSON((*bp)[:0])
	*bp = body
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	// A page is larger than net/http's 2 KB chunking threshold: without a length it
	// goes out chunked, which costs a third write to the socket for its last chunk.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// appendJSON appends the page as json.NewEncoder(w).Encode(p) writes it (trailing
// newline included), in the struct's field order, without reflection; each event's data
// is spliced in as stored (toPage checked it is JSON).
func (p timelinePage) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"items":[`...)
	for i, ev := range p.Items {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = ev.appendJSON(b); err != nil {
			return b, err
		}
	}
	b = append(b, ']')
	if p.NextCursor != nil {
		b = append(b, `,"nextCursor":`...)
		b = appendJSONString(b, *p.NextCursor)
	}
	return append(b, '}', '\n'), nil
}

func (ev timelineEvent) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"actor":{"role":`...)
	b = appendJSONString(b, ev.Actor.Role)
	b = append(b, `,"subject":`...)
	b = appendJSONString(b, ev.Actor.Subject)
	b = append(b, '}')
	if ev.CaseId != nil {
		b = append(b, `,"caseId":`...)
		b = appendUUID(b, *ev.CaseId)
	}
	if ev.CustomerId != nil {
		b = append(b, `,"customerId":`...)
		b = appendUUID(b, *ev.CustomerId)
	}
	b = append(b, `,"data":`...)
	if ev.Data == nil {
		b = append(b, "null"...)
	} else {
		b = appendCompactJSON(b, ev.Data)
	}
	b = append(b, `,"id":`...)
	b = appendUUID(b, ev.Id)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, ev.Kind)
	b = append(b, `,"occurredAt":`...)
	b, err := appendJSONTime(b, ev.OccurredAt)
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// VisitGetCaseTimelineResponse answers GET /v1/cases/{id}/timeline.
func (p timelinePage) VisitGetCaseTimelineResponse(w http.ResponseWriter) error { return p.write(w) }

// VisitGetCustomerTimelineResponse answers GET /v1/customers/{id}/timeline.
func (p timelinePage) VisitGetCustomerTimelineResponse(w http.ResponseWriter) error {
	return p.write(w)
}
