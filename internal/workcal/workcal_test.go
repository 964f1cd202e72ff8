package workcal

import (
	"strings"
	"testing"
	"time"
)

var london = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, london)
	if err != nil {
		panic(err)
	}
	return t
}

func calendar(t *testing.T, r Region, closures ...Day) *Calendar {
	t.Helper()
	c, err := New(london, r, closures)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAddWorkingHours_SkipsHolidaysAndClosures(t *testing.T) {
	ew := calendar(t, EnglandAndWales)
	cases := []struct {
		name  string
		cal   *Calendar
		start string
		hours int
		want  string
	}{
		{"an ordinary Tuesday", ew, "2026-11-24 10:00", 8, "2026-11-25 10:00"},
		{"Christmas 2026: Christmas Day Friday, Boxing Day substitute Monday 28th", ew, "2026-12-24 16:00", 2, "2026-12-29 10:00"},
		{"Easter 2026: Good Friday 3rd and Easter Monday 6th April", ew, "2026-04-02 15:00", 4, "2026-04-07 11:00"},
		{"a Monday bank holiday: spring bank holiday 25 May 2026", ew, "2026-05-22 16:00", 3, "2026-05-26 11:00"},
		{"Christmas 2027: both substitute days", ew, "2027-12-24 09:00", 16, "2027-12-29 17:00"},
		{"New Year 2028 substitute Monday 3rd", ew, "2027-12-31 17:00", 1, "2028-01-04 10:00"},
		{"no holidays: Good Friday is worked", Weekdays(london), "2026-04-02 15:00", 4, "2026-04-03 11:00"},
		{"Scotland has no Easter Monday", calendar(t, Scotland), "2026-04-02 15:00", 4, "2026-04-06 11:00"},
		{"Scotland's summer holiday is the first Monday of August", calendar(t, Scotland), "2026-07-31 16:00", 2, "2026-08-04 10:00"},
		{"England's is the last", ew, "2026-07-31 16:00", 2, "2026-08-03 10:00"},
		{"Northern Ireland: St Patrick's Day", calendar(t, NorthernIreland), "2026-03-16 16:00", 2, "2026-03-18 10:00"},
		{"a council closure day", calendar(t, EnglandAndWales, Day{"2026-12-24", "council closure"}), "2026-12-23 16:00", 2, "2026-12-29 10:00"},
		{"start before opening on a holiday", ew, "2026-05-25 07:00", 1, "2026-05-26 10:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.AddWorkingHours(local(tc.start), tc.hours)
			if want := local(tc.want); !got.Equal(want) {
				t.Errorf("%s + %dh = %s, want %s", tc.start, tc.hours, got.Format("Mon 2006-01-02 15:04"), want.Format("Mon 2006-01-02 15:04"))
			}
		})
	}
}

func TestBackWorkingDays_CountsOnlyWorkingDays(t *testing.T) {
	ew := calendar(t, EnglandAndWales)
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-25 10:00", 2, "2026-11-23 10:00"},
		{"2026-11-23 10:00", 1, "2026-11-20 10:00"}, // over a weekend
		{"2026-05-26 10:00", 1, "2026-05-22 10:00"}, // over the spring bank holiday
		{"2026-12-29 10:00", 2, "2026-12-23 10:00"}, // over Christmas
		{"2026-04-07 12:00", 1, "2026-04-02 12:00"}, // over Easter
		{"2026-11-25 10:00", 0, "2026-11-25 10:00"},
	}
	for _, tc := range cases {
		if got := ew.BackWorkingDays(local(tc.from), tc.n); !got.Equal(local(tc.want)) {
			t.Errorf("%d working days before %s = %s, want %s", tc.n, tc.from, got.Format("Mon 2006-01-02 15:04"), tc.want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	ew := calendar(t, EnglandAndWales)
	if got := ew.WorkingDaysBetween(local("2026-12-23 12:00"), local("2027-01-04 12:00")); got != 5 {
		// 24, 29, 30 and 31 December and 4 January; not 25 and 28 December or 1 January.
		t.Errorf("working days 23 Dec 2026 to 4 Jan 2027 = %d, want 5", got)
	}
}

// easter is Easter Sunday of year (the anonymous Gregorian computus), to check the
// table's Good Fridays and Easter Mondays by a rule rather than by eye.
func easter(year int) time.Time {
	a, b, c := year%19, year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 12, 0, 0, 0, london)
}

func TestPublished_AgreesWithTheRules(t *testing.T) {
	perYear := map[Region]int{EnglandAndWales: 8, Scotland: 9, NorthernIreland: 10}
	for region, days := range published {
		c := calendar(t, region)
		count := map[int]int{}
		seen := map[string]bool{}
		for _, d := range days {
			date, err := time.ParseInLocation(dateLayout, d.Date, london)
			if err != nil {
				t.Fatalf("%s: %v", region, err)
			}
			if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
				t.Errorf("%s: %s (%s) is a %s; the table holds the substitute weekday", region, d.Date, d.Name, wd)
			}
			if seen[d.Date] {
				t.Errorf("%s: %s twice", region, d.Date)
			}
			seen[d.Date] = true
			count[date.Year()]++
		}
		for y := FirstYear; y <= LastYear; y++ {
			if count[y] != perYear[region] {
				t.Errorf("%s %d: %d holidays, want %d", region, y, count[y], perYear[region])
			}
			sunday := easter(y)
			if _, ok := c.ClosedOn(sunday.AddDate(0, 0, -2)); !ok {
				t.Errorf("%s %d: Good Friday %s is not a holiday", region, y, sunday.AddDate(0, 0, -2).Format(dateLayout))
			}
			_, monday := c.ClosedOn(sunday.AddDate(0, 0, 1))
			if want := region != Scotland; monday != want {
				t.Errorf("%s %d: Easter Monday holiday = %v, want %v", region, y, monday, want)
			}
			christmas := time.Date(y, 12, 25, 12, 0, 0, 0, london)
			if christmas.Weekday() != time.Saturday && christmas.Weekday() != time.Sunday {
				if _, ok := c.ClosedOn(christmas); !ok {
					t.Errorf("%s %d: Christmas Day on a weekday is not a holiday", region, y)
				}
			}
		}
	}
}

func TestParseClosures(t *testing.T) {
	days, err := ParseClosures(strings.NewReader("# council closures\n\n2026-12-24 Christmas Eve closure\n2026-12-31\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0] != (Day{"2026-12-24", "Christmas Eve closure"}) || days[1].Name != "council closure" {
		t.Errorf("got %+v", days)
	}
	if _, err := ParseClosures(strings.NewReader("24/12/2026 closure\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad date: err = %v, want one naming line 1", err)
	}
}

func TestParseRegion(t *testing.T) {
	if r, err := ParseRegion(" Scotland "); err != nil || r != Scotland {
		t.Errorf("ParseRegion(Scotland) = %q, %v", r, err)
	}
	if _, err := ParseRegion("wales"); err == nil {
		t.Error("wales alone is not a division of the published data")
	}
}
