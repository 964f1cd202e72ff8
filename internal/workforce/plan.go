package workforce

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/workcal"
)

// Demand is one interval's expected contacts.
type Demand struct {
	Start           time.Time
	Volume          float64
	HandlingSeconds float64 // 0: the plan's handling time
	Rostered        *int    // positions the officer has rostered, when supplied
}

// PlanInput asks for the staff a run of intervals needs.
type PlanInput struct {
	Channel         channel.Channel // decides live (Erlang) or written (workload); "" is phone
	IntervalMinutes int
	HandlingSeconds float64 // for intervals that give none
	Target          Target
	Intervals       []Demand
	// WrittenWithin is how long written work may wait (its SLA), in working hours of
	// WorkingTime when it is set and in clock hours when not; 0 means each interval's work
	// is done in the interval. Only for written channels.
	WrittenWithin time.Duration
	// WorkingTime is the council's working time (office hours on working days, less bank
	// holidays and closures): with an SLA, written work is done only then.
	WorkingTime *workcal.Calendar
}

// Row is one interval's staffing and its gap to the roster.
type Row struct {
	Demand
	Staffing
	Gap *int // rostered − positions: negative is under-staffed
}

// Total sums a day or a week: staff hours needed and rostered, and the intervals under
// and over.
type Total struct {
	Start            time.Time // local midnight (a week starts on Monday)
	Volume           float64
	AgentHours       float64 // on contacts
	PositionHours    float64 // rostered hours needed after shrinkage (FTE hours)
	RosteredHours    float64
	IntervalsUnder   int
	IntervalsOver    int
	IntervalsStaffed int
}

// Plan is the answer.
type Plan struct {
	Channel         channel.Channel
	IntervalMinutes int
	Rows            []Row
	Days, Weeks     []Total
}

// maxPlanIntervals is a year of 15-minute intervals: a longer plan is refused.
const maxPlanIntervals = 366 * 96

// CheckTarget refuses a target the maths cannot meet or that means nothing, naming the field.
func CheckTarget(tg Target, fs *fault.Fields) {
	if !(tg.ServiceLevel > 0 && tg.ServiceLevel < 1) {
		fs.Add("serviceLevel.target", "must be above 0 and below 1 (0.8 is 80 %)")
	}
	if !(tg.AnswerWithinSeconds >= 0) {
		fs.Add("serviceLevel.answerWithinSeconds", "must be 0 or more")
	}
	if !(tg.Shrinkage >= 0 && tg.Shrinkage < 1) {
		fs.Add("shrinkage", "must be 0 or more and below 1 (0.3 is 30 %)")
	}
	if tg.MaxOccupancy != 0 && !(tg.MaxOccupancy > 0 && tg.MaxOccupancy <= 1) {
		fs.Add("maxOccupancy", "must be above 0 and at most 1")
	}
	if tg.PatienceSeconds < 0 {
		fs.Add("patienceSeconds", "must be above 0 (leave it out for Erlang C)")
	}
}

// CheckIntervalMinutes refuses an interval that does not divide a day.
func CheckIntervalMinutes(field string, m int, fs *fault.Fields) {
	if m < 1 || m > 1440 || 1440%m != 0 {
		fs.Add(field, "must divide a day (15, 30, 60 … 1440 minutes)")
	}
}

// Staff plans the intervals: Erlang for live channels, workload for written ones.
func StaffPlan(in PlanInput, loc *time.Location) (Plan, error) {
	if in.Channel == "" {
		in.Channel = channel.Phone
	}
	var fs fault.Fields
	CheckTarget(in.Target, &fs)
	CheckIntervalMinutes("intervalMinutes", in.IntervalMinutes, &fs)
	switch h := in.Channel.Props().Handling; {
	case !in.Channel.Known():
		fs.Add("channel", "is not a channel")
	case h == channel.SelfService:
		fs.Add("channel", "is self-service: its contacts need no staff")
	}
	if len(in.Intervals) > maxPlanIntervals {
		fs.Add("intervals", fmt.Sprintf("at most %d intervals (a year of quarter hours)", maxPlanIntervals))
	}
	if in.HandlingSeconds < 0 {
		fs.Add("handlingTimeSeconds", "must be above 0")
	}
	switch w := in.WrittenWithin; {
	case w == 0:
	case in.Channel.Props().Handling != channel.Written:
		fs.Add("writtenWithinHours", "is for written channels; live ones are staffed by their service level")
	case w < time.Duration(in.IntervalMinutes)*time.Minute || w > 31*24*time.Hour:
		fs.Add("writtenWithinHours", "must be at least one interval and at most 31 days")
	}
	for i, d := range in.Intervals {
		if !(d.Volume >= 0) {
			fs.Add(fmt.Sprintf("intervals[%d].volume", i), "must be 0 or more")
		}
		if d.HandlingSeconds < 0 || d.HandlingSeconds == 0 && in.HandlingSeconds <= 0 {
			fs.Add(fmt.Sprintf("intervals[%d].handlingTimeSeconds", i), "must be above 0 (here or for the whole plan)")
		}
		if d.Rostered != nil && *d.Rostered < 0 {
			fs.Add(fmt.Sprintf("intervals[%d].rostered", i), "must be 0 or more")
		}
	}
	if err := fs.Err(); err != nil {
		return Plan{}, err
	}
	p := Plan{Channel: in.Channel, IntervalMinutes: in.IntervalMinutes, Rows: make([]Row, len(in.Intervals))}
	secs := float64(in.IntervalMinutes * 60)
	written := in.Channel.Props().Handling == channel.Written
	var load []float64
	if written {
		load = writtenLoad(in)
	}
	for i, d := range in.Intervals {
		if d.HandlingSeconds == 0 {
			d.HandlingSeconds = in.HandlingSeconds
		}
		l := Load{Volume: d.Volume, HandlingSeconds: d.HandlingSeconds, IntervalSeconds: secs}
		var s Staffing
		if written {
			spread := l
			spread.Volume, spread.HandlingSeconds = load[i], 1
			s = StaffWorkload(spread, in.Target)
			s.Traffic = l.Traffic()
		} else {
			var err error
			if s, err = Staff(l, in.Target); errors.Is(err, ErrTooMuchTraffic) {
				return Plan{}, fault.Field(fmt.Sprintf("intervals[%d].volume", i), err.Error())
			} else if err != nil {
				return Plan{}, err
			}
		}
		r := Row{Demand: d, Staffing: s}
		if d.Rostered != nil {
			gap := *d.Rostered - s.Positions
			r.Gap = &gap
		}
		p.Rows[i] = r
	}
	p.Days = totals(p.Rows, secs, loc, dayOf)
	p.Weeks = totals(p.Rows, secs, loc, weekOf)
	return p, nil
}

// writtenLoad is the written work (seconds) each interval staffs. Without an SLA, its
// own. With one, each interval's work is spread evenly over the intervals of working time
// in the SLA from its own on (the next opening's, when it arrives out of hours): a burst is
// cleared within the SLA instead of being staffed all at once, and work that arrives on a
// bank holiday or overnight waits for the office to open, as the SLA's clock does. Work
// before the plan's first interval counts as none, so a plan should start where the
// backlog does; work still due after its last is left out.
func writtenLoad(in PlanInput) []float64 {
	n := len(in.Intervals)
	work := make([]float64, n)
	for i, d := range in.Intervals {
		h := d.HandlingSeconds
		if h == 0 {
			h = in.HandlingSeconds
		}
		work[i] = d.Volume * h
	}
	if in.WrittenWithin <= 0 {
		return work
	}
	m := max(1, int(in.WrittenWithin/(time.Duration(in.IntervalMinutes)*time.Minute)))
	// The working intervals, in order, and for each interval the first of them at or after it.
	var open []int
	next := make([]int, n)
	for i := n - 1; i >= 0; i-- {
		if at := in.Intervals[i].Start; in.WorkingTime == nil || in.WorkingTime.AddWorkingHours(at, 0).Equal(at) {
			open = append(open, i)
		}
		next[i] = len(open) // counted from the end: turned round below
	}
	slices.Reverse(open)
	// A difference array over the working intervals: interval i's work adds work/m to the
	// m working intervals from the first at or after it.
	diff := make([]float64, len(open)+1)
	for i, w := range work {
		first := len(open) - next[i]
		if w == 0 || first >= len(open) {
			continue
		}
		diff[first] += w / float64(m)
		diff[min(len(open), first+m)] -= w / float64(m)
	}
	out := make([]float64, n)
	var run float64
	for k, i := range open {
		run += diff[k]
		out[i] = math.Max(0, run) // never below 0 from rounding
	}
	return out
}

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func weekOf(t time.Time) time.Time {
	d := dayOf(t)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// totals sums rows by the local day or week their interval starts in, in the rows' order.
func totals(rows []Row, secs float64, loc *time.Location, bucket func(time.Time) time.Time) []Total {
	var out []Total
	at := map[time.Time]int{}
	hours := secs / 3600
	for _, r := range rows {
		k := bucket(r.Start.In(loc))
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, Total{Start: k})
		}
		t := &out[i]
		t.Volume += r.Volume
		t.AgentHours += float64(r.Agents) * hours
		t.PositionHours += float64(r.Positions) * hours
		if r.Rostered != nil {
			t.RosteredHours += float64(*r.Rostered) * hours
			switch {
			case *r.Gap < 0:
				t.IntervalsUnder++
			case *r.Gap > 0:
				t.IntervalsOver++
			default:
				t.IntervalsStaffed++
			}
		}
	}
	return out
}
