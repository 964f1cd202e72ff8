package referral

import "github.com/council/contacthub/internal/timeline"

// ForResident tells a resident what one of this package's events means for them, and
// whether they see it: that a referral was made, not to whom or why (the reason is an
// officer's words).
func ForResident(ev timeline.Event) (string, bool) {
	if ev.Kind != EventMade {
		return "", false
	}
	return "We referred your enquiry to a partner organisation", true
}
