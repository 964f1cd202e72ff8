package intake

import (
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/timeline"
)

// ForResident tells a resident what one of this package's events means for them, and
// whether they see it: the contact itself, in their words, without who took it.
func ForResident(ev timeline.Event) (string, bool) {
	if ev.Kind != EventRecorded {
		return "", false
	}
	ch, _ := ev.Fields()["channel"].(string)
	return "You contacted us " + channel.Channel(ch).ResidentWords(), true
}
