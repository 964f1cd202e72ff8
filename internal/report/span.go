package report

import (
	"fmt"
	"time"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/fault"
)

// Period is how a report groups its days: by day, by ISO week (starting Monday) or by
// calendar month, all in UTC.
type Period string

const (
	Day   Period = "day"
	Week  Period = "week"
	Month Period = "month"
)

// MaxYears is the longest a report may cover: from a day to the day before it five
// years on (1 January 2020 to 31 December 2024).
const MaxYears = 5

// Span is a report's days, From to To inclusive (both at midnight UTC), grouped by Period.
type Span struct {
	From, To time.Time
	Period   Period
}

// Filter narrows a report to one service, channel or centre; zero values do not narrow.
type Filter struct {
	Service int
	Channel channel.Channel
	Centre  string
}

// Check validates span and filter against the catalogue and names the parameter at fault.
func Check(s Span, f Filter, cat *catalogue.Catalogue) (Span, error) {
	var problems fault.Fields
	s.From, s.To = midnight(s.From), midnight(s.To)
	switch {
	case s.From.After(s.To):
		problems.Add("to", "must not be before from")
	case !s.To.Before(s.From.AddDate(MaxYears, 0, 0)):
		problems.Add("to", "a report covers at most 5 years")
	}
	switch s.Period {
	case "":
		s.Period = Day
	case Day, Week, Month:
	default:
		problems.Add("period", "one of day, week, month")
	}
	if f.Service != 0 {
		if _, ok := cat.Service(f.Service); !ok {
			problems.Add("service", fmt.Sprintf("LGSL %d is not a service in this council's catalogue", f.Service))
		}
	}
	if f.Channel != "" && !f.Channel.Known() {
		problems.Add("channel", "not a channel")
	}
	if f.Centre != "" && !cat.HasCentre(f.Centre) {
		problems.Add("centre", "not one of this council's centres")
	}
	return s, problems.Err()
}

func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Previous is the span of the same length that ends the day before s starts.
func (s Span) Previous() Span {
	days := s.days()
	return Span{From: s.From.AddDate(0, 0, -days), To: s.From.AddDate(0, 0, -1), Period: s.Period}
}

// days is how many days s covers.
func (s Span) days() int { return int(s.To.Sub(s.From)/(24*time.Hour)) + 1 }

// end is the instant after s's last day.
func (s Span) end() time.Time { return s.To.AddDate(0, 0, 1) }

// bucket is the first day of the period that holds day.
func (p Period) bucket(day time.Time) time.Time {
	switch p {
	case Week:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	case Month:
		return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// Periods lists the first day of every period s touches, in order; the first and last
// may be partly outside s (a week that began before From is still that week).
func (s Span) Periods() []time.Time {
	var out []time.Time
	for p := s.Period.bucket(s.From); !p.After(s.To); {
		out = append(out, p)
		switch s.Period {
		case Week:
			p = p.AddDate(0, 0, 7)
		case Month:
			p = p.AddDate(0, 1, 0)
		default:
			p = p.AddDate(0, 0, 1)
		}
	}
	return out
}

// dayKey is how the rollup names a day.
func dayKey(t time.Time) string { return t.Format(time.DateOnly) }

// periodOf turns a rollup day into the index of its period in periods.
type periodIndex map[string]int

func (s Span) index(periods []time.Time) periodIndex {
	idx := make(periodIndex, len(periods))
	for i, p := range periods {
		idx[dayKey(p)] = i
	}
	return idx
}

// of is the index of the period holding day (a 'YYYY-MM-DD' key), -1 when none does.
func (idx periodIndex) of(p Period, day string) int {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return -1
	}
	if i, ok := idx[dayKey(p.bucket(d))]; ok {
		return i
	}
	return -1
}
