package routing

import "time"

// Due is when a result's service level falls due for an enquiry arriving at t. Hours
// are clock hours; business hours run only in office hours on the calendar's working
// days (bank holidays and council closures skipped). The due time is fixed when the case
// is routed, so a change to the calendar applies to new cases, not to ones already due.
func (c *Compiled) Due(r *Result, t time.Time) time.Time {
	if r.SLA.Hours > 0 {
		return t.Add(time.Duration(r.SLA.Hours) * time.Hour)
	}
	return c.cal.AddWorkingHours(t, r.SLA.BusinessHours).UTC()
}
