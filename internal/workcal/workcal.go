// Package workcal is the council's working time: office hours on weekdays, less the
// bank holidays of its part of the United Kingdom and its own closure days. The service
// level clock counts working hours with it and exception reports count working days.
//
// It imports nothing of the hub's, so any package (routing, compliance, the workforce
// forecast) may use it.
package workcal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Region is a division of the UK with its own bank holidays, named as GOV.UK names them.
type Region string

const (
	EnglandAndWales Region = "england-and-wales"
	Scotland        Region = "scotland"
	NorthernIreland Region = "northern-ireland"
)

// ParseRegion reads a region's name.
func ParseRegion(s string) (Region, error) {
	r := Region(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := published[r]; !ok {
		return "", fmt.Errorf("%q is not a region; use %s, %s or %s", s, EnglandAndWales, Scotland, NorthernIreland)
	}
	return r, nil
}

// Day is one day the offices are shut: a date (YYYY-MM-DD, in the council's time zone)
// and what it is.
type Day struct {
	Date string
	Name string
}

// dateLayout is how a Day's date is written.
const dateLayout = "2006-01-02"

// Office hours of a working day, local time: the hours the service level clock counts.
const (
	DayStart = 9
	DayEnd   = 17
)

// Calendar says which moments are working time.
type Calendar struct {
	loc    *time.Location
	region Region
	closed map[string]string // date -> name
}

// New returns the calendar of region in loc, with the council's own closures added.
// An empty region is one without bank holidays (weekends only).
func New(loc *time.Location, region Region, closures []Day) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("workcal: no time zone")
	}
	c := &Calendar{loc: loc, region: region, closed: map[string]string{}}
	if region != "" {
		days, ok := published[region]
		if !ok {
			return nil, fmt.Errorf("workcal: unknown region %q", region)
		}
		for _, d := range days {
			c.closed[d.Date] = d.Name
		}
	}
	for _, d := range closures {
		if _, err := time.Parse(dateLayout, d.Date); err != nil {
			return nil, fmt.Errorf("workcal: closure %q is not a date like 2026-12-24", d.Date)
		}
		if prior, ok := c.closed[d.Date]; ok {
			d.Name = prior + "; " + d.Name
		}
		c.closed[d.Date] = d.Name
	}
	return c, nil
}

// Weekdays is a calendar of every weekday in loc, with no holidays: for tests and for
// councils that keep no calendar.
func Weekdays(loc *time.Location) *Calendar {
	return &Calendar{loc: loc, closed: map[string]string{}}
}

// Location is the council's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Region is the calendar's division of the UK ("" for none).
func (c *Calendar) Region() Region { return c.region }

// ClosedOn reports whether t's local date is a bank holiday or closure day, and its name.
// Weekends are not "closed" in this sense: see WorkingDay.
func (c *Calendar) ClosedOn(t time.Time) (string, bool) {
	name, ok := c.closed[t.In(c.loc).Format(dateLayout)]
	return name, ok
}

// WorkingDay reports whether t's local date is a weekday the offices are open.
func (c *Calendar) WorkingDay(t time.Time) bool {
	t = t.In(c.loc)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, closed := c.ClosedOn(t)
	return !closed
}

// Closures lists the closed days from..to (dates, inclusive), in date order.
func (c *Calendar) Closures(from, to string) []Day {
	var out []Day
	for date, name := range c.closed {
		if date >= from && date <= to {
			out = append(out, Day{Date: date, Name: name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}

// AddWorkingHours is the moment hours of office time after t: the clock runs only
// between DayStart and DayEnd on working days. A t outside office hours starts at the
// next opening.
func (c *Calendar) AddWorkingHours(t time.Time, hours int) time.Time {
	left := time.Duration(hours) * time.Hour
	t = c.nextWorkingMoment(t.In(c.loc))
	for left > 0 {
		end := at(t, DayEnd)
		if avail := end.Sub(t); avail >= left {
			return t.Add(left)
		} else {
			left -= avail
		}
		t = c.nextWorkingMoment(end)
	}
	return t
}

// nextWorkingMoment is t if it falls in office hours, else the next opening.
func (c *Calendar) nextWorkingMoment(t time.Time) time.Time {
	for {
		if c.WorkingDay(t) {
			switch {
			case t.Before(at(t, DayStart)):
				return at(t, DayStart)
			case t.Before(at(t, DayEnd)):
				return t
			}
		}
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
	}
}

// BackWorkingDays is the moment n working days before t, at t's local time of day:
// anything last touched before it has been left for n working days. Weekends,
// holidays and closures between are not counted.
func (c *Calendar) BackWorkingDays(t time.Time, n int) time.Time {
	t = t.In(c.loc)
	for n > 0 {
		t = t.AddDate(0, 0, -1)
		if c.WorkingDay(t) {
			n--
		}
	}
	return t
}

// WorkingDaysBetween counts the working days after from's date up to and including
// to's date (0 when to is not after from).
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	from, to = from.In(c.loc), to.In(c.loc)
	n := 0
	for d := midnight(from).AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if c.WorkingDay(d) {
			n++
		}
	}
	return n
}

func at(t time.Time, hour int) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, t.Location())
}

func midnight(t time.Time) time.Time { return at(t, 0) }

// ParseClosures reads a closures file: one day a line, "YYYY-MM-DD name", blank lines
// and lines starting with # ignored.
func ParseClosures(r io.Reader) ([]Day, error) {
	var out []Day
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		date, name, _ := strings.Cut(line, " ")
		if _, err := time.Parse(dateLayout, date); err != nil {
			return nil, fmt.Errorf("line %d: %q is not a date like 2026-12-24", n, date)
		}
		name = strings.TrimSpace(name)
		if name == "" {
			name = "council closure"
		}
		out = append(out, Day{Date: date, Name: name})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read closures: %w", err)
	}
	return out, nil
}

// LoadClosures reads the closures file at path ("" for none).
func LoadClosures(path string) ([]Day, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open closures: %w", err)
	}
	defer f.Close()
	return ParseClosures(f)
}
