package workforce

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/council/contacthub/internal/fault"
)

// A calendar entry without an uplift learns it from the same days last year: the issue's
// "learnt from the same day last year", for the events that come round every year
// (annual billing, the benefit uprating) where the hub's history knows better than a
// guess. The same days are 364 days (52 weeks) back, so a Monday is compared with a
// Monday. Each of those days is compared with the same weekday in the 4 weeks before the
// event began — the weeks a forecast made just before it draws its profile from — and the
// uplift is the ratio of the sums, less one. Days the channel was shut (bank holidays,
// closures) are left out of both sides.

// learnWeeks is how many weeks before the event the usual level is taken from.
const learnWeeks = 4

// learnUplift sets e's uplift from last year, or refuses, naming `uplift`, when the hub
// has no contacts then to learn it from.
func (s *Service) learnUplift(ctx context.Context, e *CalendarEntry) error {
	from, errFrom := time.ParseInLocation(dateLayout, e.From, s.loc)
	to, errTo := time.ParseInLocation(dateLayout, e.To, s.loc)
	if errFrom != nil || errTo != nil {
		return fault.New(fault.Invalid, "from and to must be dates") // check() has refused these already
	}
	lastFrom, lastTo := from.AddDate(0, 0, -364), to.AddDate(0, 0, -364)
	readFrom, end := lastFrom.AddDate(0, 0, -7*learnWeeks), lastTo.AddDate(0, 0, 1)
	hourly, err := s.series(ctx, ForecastQuery{Channel: e.Channel, Interval: time.Hour}, readFrom, end)
	if err != nil {
		return err
	}
	days := map[string]float64{}
	for i, n := range hourly.Counts {
		if at := hourly.At(i); at.Before(end) {
			days[at.In(s.loc).Format(dateLayout)] += n
		}
	}
	closed := map[string]bool{}
	if s.holidays != nil {
		for _, ev := range s.holidays.Events(e.Channel, readFrom, end) {
			if ev.Uplift <= -1 {
				for d := ev.From; !d.After(ev.To); d = d.AddDate(0, 0, 1) {
					closed[d.In(s.loc).Format(dateLayout)] = true
				}
			}
		}
	}
	var event, usual float64
	for d := lastFrom; !d.After(lastTo); d = d.AddDate(0, 0, 1) {
		key := d.Format(dateLayout)
		if closed[key] {
			continue
		}
		// The same weekday in the 4 weeks before the event began.
		first := int(d.Sub(lastFrom).Hours()/24)/7 + 1
		var sum float64
		n := 0
		for w := first; w < first+learnWeeks; w++ {
			if k := d.AddDate(0, 0, -7*w).Format(dateLayout); !closed[k] {
				sum += days[k]
				n++
			}
		}
		if n > 0 {
			event += days[key]
			usual += sum / float64(n)
		}
	}
	if event == 0 || usual == 0 {
		return fault.Field("uplift", fmt.Sprintf("give one: the hub has no contacts on %s to %s and the %d weeks before to learn it from",
			lastFrom.Format(dateLayout), lastTo.Format(dateLayout), learnWeeks))
	}
	u := math.Min(math.Max(event/usual-1, -1), 10)
	e.Uplift = math.Round(u*1000) / 1000
	e.UpliftSource, e.LearntFrom, e.LearntTo = FromLastYear, lastFrom.Format(dateLayout), lastTo.Format(dateLayout)
	return nil
}
