package intake

import "github.com/council/contacthub/internal/timeline"

// ResidentWords says how a resident would say they got in touch on the channel.
func (c Channel) ResidentWords() string {
	switch c {
	case WebSelfService, WebForm:
		return "online"
	case Phone, IVR:
		return "by phone"
	case FaceToFace:
		return "in person"
	case LandlordPortal:
		return "through your landlord"
	case SMS:
		return "by text"
	case Email:
		return "by email"
	case Letter:
		return "by letter"
	}
	return "with us"
}

// ForResident tells a resident what one of this package's events means for them, and
// whether they see it: the contact itself, in their words, without who took it.
func ForResident(ev timeline.Event) (string, bool) {
	if ev.Kind != EventRecorded {
		return "", false
	}
	ch, _ := ev.Fields()["channel"].(string)
	return "You contacted us " + Channel(ch).ResidentWords(), true
}
