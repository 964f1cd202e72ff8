package satisfaction

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/internal/event"
)

func TestRated_CarriesWhatWasGivenAndWhatItRates(t *testing.T) {
	four, no := 4, false
	for _, tc := range []struct {
		name string
		in   Rating
		want event.RatingRecordedData
	}{
		{"web page, anonymous",
			Rating{ID: "r1", Source: WebPage, Score: &four, PageURL: "https://x.example/a", Channel: "web_self_service"},
			event.RatingRecordedData{RatingID: "r1", Source: "web_page", Score: &four, PageURL: "https://x.example/a", Channel: "web_self_service"}},
		{"was this useful",
			Rating{ID: "r2", Source: WebPage, Useful: &no, Comment: "no form", PageURL: "https://x.example/b"},
			event.RatingRecordedData{RatingID: "r2", Source: "web_page", Useful: &no, Comment: "no form", PageURL: "https://x.example/b"}},
		{"keypad score of a call",
			Rating{ID: "r3", Source: IVR, Score: &four, ContactID: "c1", CaseID: "k1", CustomerID: "p1", Channel: "ivr", Tier: 2,
				LGSL: 58, Agent: "agent-olu", Centre: ""},
			event.RatingRecordedData{RatingID: "r3", Source: "ivr", Score: &four, ContactID: "c1", Channel: "ivr", Tier: 2, Agent: "agent-olu"}},
		{"kiosk",
			Rating{ID: "r4", Source: Kiosk, Score: &four, Centre: "civic-centre", Channel: "face_to_face"},
			event.RatingRecordedData{RatingID: "r4", Source: "kiosk", Score: &four, Centre: "civic-centre", Channel: "face_to_face"}},
	} {
		if diff := cmp.Diff(tc.want, rated(tc.in)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
