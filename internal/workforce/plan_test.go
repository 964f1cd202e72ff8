package workforce

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/workcal"
	"github.com/council/contacthub/internal/workforce/forecast"
)

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

func intp(n int) *int { return &n }

// Two half hours on a Monday and one on the Tuesday: each row is Erlang C's answer, its
// gap to the roster, and the day and week totals add up hours (a half hour is 0.5 h).
func TestStaffPlan_RowsGapsAndDayAndWeekTotals(t *testing.T) {
	mon := time.Date(2026, 12, 7, 9, 0, 0, 0, london)
	in := PlanInput{IntervalMinutes: 30, HandlingSeconds: 180,
		Target: Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20, Shrinkage: 0.3},
		Intervals: []Demand{
			{Start: mon, Volume: 100, Rostered: intp(18)},                       // 14 agents, 20 positions: 2 short
			{Start: mon.Add(30 * time.Minute), Volume: 100, Rostered: intp(25)}, // 5 over
			{Start: mon.AddDate(0, 0, 1), Volume: 0, Rostered: intp(0)},         // nobody needed, nobody rostered
		}}
	p, err := StaffPlan(in, london)
	if err != nil {
		t.Fatal(err)
	}
	if p.Channel != channel.Phone || len(p.Rows) != 3 {
		t.Fatalf("channel %s, %d rows", p.Channel, len(p.Rows))
	}
	gaps := []int{*p.Rows[0].Gap, *p.Rows[1].Gap, *p.Rows[2].Gap}
	if !slices.Equal(gaps, []int{-2, 5, 0}) || p.Rows[0].Agents != 14 || p.Rows[0].Positions != 20 {
		t.Fatalf("gaps %v, first row %+v", gaps, p.Rows[0].Staffing)
	}
	if len(p.Days) != 2 || len(p.Weeks) != 1 {
		t.Fatalf("%d days, %d weeks, want 2 and 1", len(p.Days), len(p.Weeks))
	}
	d := p.Days[0]
	if d.AgentHours != 14 || d.PositionHours != 20 || d.RosteredHours != 21.5 || d.IntervalsUnder != 1 || d.IntervalsOver != 1 || d.Volume != 200 {
		t.Fatalf("Monday %+v", d)
	}
	w := p.Weeks[0]
	if !w.Start.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, london)) || w.IntervalsStaffed != 1 || w.PositionHours != 20 {
		t.Fatalf("week %+v", w)
	}
}

// Written channels are staffed by workload, not by Erlang; self-service needs no staff.
func TestStaffPlan_WrittenChannelsByWorkloadAndSelfServiceRefused(t *testing.T) {
	in := PlanInput{Channel: channel.Email, IntervalMinutes: 60, HandlingSeconds: 600,
		Target:    Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20, MaxOccupancy: 0.85, Shrinkage: 0.3},
		Intervals: []Demand{{Start: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Volume: 60}}}
	p, err := StaffPlan(in, london)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Rows[0]; r.Model != Workload || r.Agents != 12 || r.Positions != 18 {
		t.Fatalf("email row %+v, want workload 12 / 18", r.Staffing)
	}
	in.Channel = channel.WebSelfService
	if _, err := StaffPlan(in, london); !namesField(err, "channel") {
		t.Fatalf("self-service: %v, want 422 naming channel", err)
	}
}

func namesField(err error, field string) bool {
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Invalid {
		return false
	}
	return slices.ContainsFunc(fe.Fields, func(f fault.FieldError) bool { return f.Field == field })
}

// Every bad figure the issue lists is refused, naming its field.
func TestStaffPlan_BadFiguresNameTheirField(t *testing.T) {
	good := func() PlanInput {
		return PlanInput{IntervalMinutes: 30, HandlingSeconds: 180, Target: Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20},
			Intervals: []Demand{{Start: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Volume: 100}}}
	}
	cases := []struct {
		field string
		edit  func(*PlanInput)
	}{
		{"serviceLevel.target", func(p *PlanInput) { p.Target.ServiceLevel = 1 }},
		{"serviceLevel.target", func(p *PlanInput) { p.Target.ServiceLevel = math.NaN() }},
		{"serviceLevel.answerWithinSeconds", func(p *PlanInput) { p.Target.AnswerWithinSeconds = -1 }},
		{"shrinkage", func(p *PlanInput) { p.Target.Shrinkage = 1 }},
		{"maxOccupancy", func(p *PlanInput) { p.Target.MaxOccupancy = 1.2 }},
		{"intervalMinutes", func(p *PlanInput) { p.IntervalMinutes = 25 }},
		{"intervalMinutes", func(p *PlanInput) { p.IntervalMinutes = 0 }},
		{"intervals[0].handlingTimeSeconds", func(p *PlanInput) { p.HandlingSeconds = 0 }},
		{"intervals[0].volume", func(p *PlanInput) { p.Intervals[0].Volume = -3 }},
		{"intervals[0].rostered", func(p *PlanInput) { p.Intervals[0].Rostered = intp(-1) }},
		{"channel", func(p *PlanInput) { p.Channel = "pigeon" }},
	}
	for _, c := range cases {
		in := good()
		c.edit(&in)
		if _, err := StaffPlan(in, london); !namesField(err, c.field) {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
	if _, err := StaffPlan(good(), london); err != nil {
		t.Fatalf("the good input: %v", err)
	}
}

// The handling time leaves out hang-ups, contacts left open and the 5 % at each end.
func TestTrimmedMean_LeavesOutOutliers(t *testing.T) {
	secs := []float64{0, -4, 5 * 3600} // none of these count
	for i := range 20 {
		secs = append(secs, float64(200+i)) // 200…219
	}
	secs = append(secs, 1, 3000) // the 5 % ends of 22 values: one each side
	got, ok := TrimmedMean(secs, 0.05)
	if !ok || math.Abs(got-209.5) > 1e-9 {
		t.Fatalf("trimmed mean %.3f (%v), want 209.5", got, ok)
	}
	if _, ok := TrimmedMean([]float64{0, -1}, 0.05); ok {
		t.Fatal("no usable durations must say so")
	}
}

// The charts (drawn by internal/chart) are well-formed SVG with a description, the bands,
// the lines, titled numbers and their legend, and escape what they print.
func TestCharts_AreWellFormedSVG(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	two := 2.0
	f := Forecast{Points: []ForecastPoint{
		{Point: forecastPoint(start, 3), Actual: &two},
		{Point: forecastPoint(start.Add(30*time.Minute), 5)},
	}}
	for name, svg := range map[string][]byte{
		"forecast": ForecastChart(f, "Phone <& letters>", london),
		"staffing": StaffingChart(Plan{Rows: []Row{{Demand: Demand{Start: start, Rostered: intp(3)}, Staffing: Staffing{Positions: 4}}}}, "Phone", london),
	} {
		d := xml.NewDecoder(bytes.NewReader(svg))
		elements := map[string]int{}
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not well-formed: %v\n%s", name, err, svg)
			}
			if se, ok := tok.(xml.StartElement); ok {
				elements[se.Name.Local]++
			}
		}
		if elements["svg"] != 1 || elements["path"] < 2 || elements["desc"] != 1 || elements["title"] < 3 {
			t.Errorf("%s: elements %v", name, elements)
		}
		if name == "forecast" && (elements["polygon"] != 2 || !bytes.Contains(svg, []byte("Phone &lt;&amp; letters&gt;"))) {
			t.Errorf("forecast: %d bands, title escaped: %v", elements["polygon"], bytes.Contains(svg, []byte("&lt;&amp;")))
		}
	}
}

func forecastPoint(at time.Time, mu float64) forecast.Point {
	return forecast.Point{Start: at, Expected: mu, Lower80: mu - 1, Upper80: mu + 1, Lower95: math.Max(0, mu-2), Upper95: mu + 2}
}

// Written work with an SLA is staffed by the mean workload over the SLA, not interval by
// interval: a Monday-morning burst of 120 forms (10 h of work at 300 s) in one hour, then
// nothing, needs 10 people for that hour alone, but with 4 hours to clear it, 3 (ceil of
// 10 h ÷ 4 h) in each of the four hours, and none after.
func TestStaffPlan_WrittenWorkWithinItsSLASpreadsABurst(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	in := PlanInput{Channel: channel.WebForm, IntervalMinutes: 60, HandlingSeconds: 300, Target: Target{ServiceLevel: 0.8}}
	for i := range 6 {
		v := 0.0
		if i == 0 {
			v = 120
		}
		in.Intervals = append(in.Intervals, Demand{Start: start.Add(time.Duration(i) * time.Hour), Volume: v})
	}
	p, err := StaffPlan(in, london)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[0].Agents != 10 || p.Rows[1].Agents != 0 {
		t.Fatalf("no SLA: %d then %d, want 10 then 0", p.Rows[0].Agents, p.Rows[1].Agents)
	}
	in.WrittenWithin = 4 * time.Hour
	p, err = StaffPlan(in, london)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, r := range p.Rows {
		got = append(got, r.Agents)
	}
	if !slices.Equal(got, []int{3, 3, 3, 3, 0, 0}) {
		t.Fatalf("agents %v", got)
	}
	in.Channel = channel.Phone
	if _, err := StaffPlan(in, london); !namesField(err, "writtenWithinHours") {
		t.Fatalf("an SLA on a live channel: %v", err)
	}
}

// Written work's SLA counts working hours (workcal: 09:00–17:00 on working days, less
// England and Wales' bank holidays). 100 emails (480 s each: 13⅓ hours of work) arrive at
// 16:00 on Thursday 24 December 2026 with 8 working hours to answer them. The working
// hours are 16:00–17:00 that Thursday, then — Christmas Day, the weekend and Monday 28th
// (Boxing Day's substitute) being shut — 09:00–16:00 on Tuesday 29th: 16 half hours, each
// staffing a sixteenth of the work (50 minutes: 2 agents), and nobody in between. Counted
// in clock hours, the same work would be staffed through Christmas Eve night.
func TestStaffPlan_WrittenSLACountsWorkingHoursOverABankHoliday(t *testing.T) {
	cal, err := workcal.New(london, workcal.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 24, 16, 0, 0, 0, london)
	in := PlanInput{Channel: channel.Email, IntervalMinutes: 30, HandlingSeconds: 480, Target: Target{ServiceLevel: 0.8},
		WrittenWithin: 8 * time.Hour, WorkingTime: cal}
	for i := range 6 * 48 {
		v := 0.0
		if i == 0 {
			v = 100
		}
		in.Intervals = append(in.Intervals, Demand{Start: start.Add(time.Duration(i) * 30 * time.Minute), Volume: v})
	}
	p, err := StaffPlan(in, london)
	if err != nil {
		t.Fatal(err)
	}
	staffed := map[string]int{}
	var agentHours float64
	for _, r := range p.Rows {
		if r.Agents > 0 {
			staffed[r.Start.In(london).Format("2006-01-02 15:04")] = r.Agents
		}
		agentHours += float64(r.Agents) / 2
	}
	want := map[string]int{"2026-12-24 16:00": 2, "2026-12-24 16:30": 2}
	for at := time.Date(2026, 12, 29, 9, 0, 0, 0, london); at.Hour() < 16; at = at.Add(30 * time.Minute) {
		want[at.Format("2006-01-02 15:04")] = 2
	}
	if !maps.Equal(staffed, want) {
		t.Fatalf("staffed %v\nwant %v", staffed, want)
	}
	in.WorkingTime = nil // clock hours: the same work through the evening of Christmas Eve
	p, err = StaffPlan(in, london)
	if err != nil {
		t.Fatal(err)
	}
	if last := p.Rows[15]; last.Agents != 2 || p.Rows[16].Agents != 0 {
		t.Fatalf("clock hours: %+v then %+v", last.Staffing, p.Rows[16].Staffing)
	}
}
