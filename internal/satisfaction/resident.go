package satisfaction

import (
	"fmt"

	"github.com/council/contacthub/internal/timeline"
)

// ForResident tells a resident what one of this package's events means for them, and
// whether they see it: their own score, never whose work it rated.
func ForResident(ev timeline.Event) (string, bool) {
	if ev.Kind != EventRated {
		return "", false
	}
	if score, ok := ev.Fields()["score"].(float64); ok {
		return fmt.Sprintf("You rated our service %d", int(score)), true
	}
	return "You gave us feedback", true
}
