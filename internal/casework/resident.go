package casework

import (
	"strings"

	"github.com/council/contacthub/internal/timeline"
)

// ForResident tells a resident what one of this package's case events means for them,
// and whether they see it at all. Internal notes, claims, assignments, releases and
// edits are the council's own business and are never shown; neither is who did what.
func ForResident(ev timeline.Event) (string, bool) {
	data := ev.Fields()
	switch ev.Kind {
	case EventOpened:
		return "We opened your enquiry", true
	case EventStatusChanged:
		return statusForResident(Status(text(data, "to"))), true
	case EventHandedOff:
		return "Your enquiry was passed to the team that can resolve it", true
	case EventResolved:
		return "Your enquiry was resolved", true
	case EventReopened:
		return "Your enquiry was reopened", true
	case EventNote:
		// A note is internal unless it was written for the customer: a note whose flag
		// is missing or unreadable stays hidden.
		if internal, ok := data["internal"].(bool); ok && !internal {
			return strings.TrimSpace("Message from the council: " + text(data, "text")), true
		}
	}
	return "", false
}

func statusForResident(s Status) string {
	switch s {
	case AwaitingCustomer:
		return "We are waiting for information from you"
	case AwaitingBackOffice:
		return "A specialist team is working on your enquiry"
	case Closed:
		return "Your enquiry was closed"
	}
	return "We are working on your enquiry"
}

func text(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return s
}
