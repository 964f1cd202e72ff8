package routing

import "time"

// Working day of the service level clock: Monday to Friday, 09:00 to 17:00 local time.
// Bank holidays are not known here; a council that needs them sets calendar hours.
const (
	dayStart = 9
	dayEnd   = 17
)

// Due is when a result's service level falls due for an enquiry arriving at t.
func (c *Compiled) Due(r *Result, t time.Time) time.Time {
	if r.SLA.Hours > 0 {
		return t.Add(time.Duration(r.SLA.Hours) * time.Hour)
	}
	return addBusinessHours(t.In(c.loc), r.SLA.BusinessHours).UTC()
}

// addBusinessHours walks forward through working hours only.
func addBusinessHours(t time.Time, hours int) time.Time {
	left := time.Duration(hours) * time.Hour
	t = nextWorkingMoment(t)
	for left > 0 {
		end := time.Date(t.Year(), t.Month(), t.Day(), dayEnd, 0, 0, 0, t.Location())
		if avail := end.Sub(t); avail >= left {
			return t.Add(left)
		} else {
			left -= avail
		}
		t = nextWorkingMoment(end)
	}
	return t
}

// nextWorkingMoment is t if it falls in working hours, else the start of the next working day.
func nextWorkingMoment(t time.Time) time.Time {
	for {
		start := time.Date(t.Year(), t.Month(), t.Day(), dayStart, 0, 0, 0, t.Location())
		end := time.Date(t.Year(), t.Month(), t.Day(), dayEnd, 0, 0, 0, t.Location())
		weekend := t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
		switch {
		case !weekend && !t.Before(start) && t.Before(end):
			return t
		case !weekend && t.Before(start):
			return start
		}
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
	}
}
