package workforce

import (
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/workcal"
	"github.com/council/contacthub/internal/workforce/forecast"
)

// Closures are the council's bank holidays and closure days as the forecast sees them:
// on those days the phone lines and the counters are shut, so a live channel expects no
// contacts (uplift −1), in its history as in the weeks ahead. Written and self-service
// work keeps arriving — a web form does not close for Christmas — so those channels get
// nothing from it. A forecast of every channel together is the sum of each channel's
// (Service.forecastEveryChannel), so its live share shuts and the rest does not.
type Closures struct{ Calendar *workcal.Calendar }

// Events answers the closed days from..to for a live channel.
func (c Closures) Events(ch channel.Channel, from, to time.Time) []forecast.Event {
	if c.Calendar == nil || ch.Props().Handling != channel.Live {
		return nil
	}
	loc := c.Calendar.Location()
	var out []forecast.Event
	for _, d := range c.Calendar.Closures(from.In(loc).Format(dateLayout), to.In(loc).Format(dateLayout)) {
		day, err := time.ParseInLocation(dateLayout, d.Date, loc)
		if err != nil {
			continue
		}
		out = append(out, forecast.Event{From: day, To: day, Uplift: -1})
	}
	return out
}
