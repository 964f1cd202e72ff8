package customer

import (
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/timeline"
)

// ForResident tells a resident what one of this package's events means for them, and
// whether they see it at all. Their consents are their own and shown; the council's
// upkeep of the record (edits, identifiers, merges) is not.
func ForResident(ev timeline.Event) (string, bool) {
	if ev.Kind != EventConsentChanged {
		return "", false
	}
	data := ev.Fields()
	if consent, _ := data["consent"].(string); consent != event.ConsentSMSSurveys {
		return "", false
	}
	given, ok := data["given"].(bool)
	if !ok {
		return "", false
	}
	via, _ := data["via"].(string)
	switch {
	case given:
		return "You agreed to be sent surveys by text", true
	case via == event.ViaSMSReply:
		return "You replied STOP: we will not send you surveys by text", true
	}
	return "You asked us not to send you surveys by text", true
}
