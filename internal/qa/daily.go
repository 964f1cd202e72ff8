package qa

import (
	"context"
	"errors"
	"time"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/workcal"
)

// DailyPeriod is what the daily run on the day of now samples: the cases resolved from
// the start of the previous working day to the start of today, so Monday's run takes
// Friday's and the weekend's. ok is false on a day that is not a working day: there is no
// run then, and the next working day's period reaches back over it.
func DailyPeriod(cal *workcal.Calendar, now time.Time) (from, to time.Time, ok bool) {
	if !cal.WorkingDay(now) {
		return time.Time{}, time.Time{}, false
	}
	local := now.In(cal.Location())
	to = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, local.Location())
	from = to.AddDate(0, 0, -1)
	for !cal.WorkingDay(from) {
		from = from.AddDate(0, 0, -1)
	}
	return from.UTC(), to.UTC(), true
}

// RunDaily draws the day's sample under the latest plan, once: on a working day, when a
// plan exists and no replica has drawn it yet (a unique index on the hub's own runs
// makes a second replica's attempt a conflict, which is not an error here). ran reports
// whether this call drew it.
func (s *Service) RunDaily(ctx context.Context, cal *workcal.Calendar, now time.Time) (ran bool, err error) {
	from, to, ok := DailyPeriod(cal, now)
	if !ok {
		return false, nil
	}
	_, err = s.StartRun(ctx, event.System, RunInput{From: from, To: to})
	switch {
	case err == nil:
		return true, nil
	case fault.Is(err, fault.Conflict), errors.Is(err, store.ErrConflict):
		return false, nil // no plan yet, or already drawn
	}
	return false, err
}
