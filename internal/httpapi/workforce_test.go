package httpapi

import (
	"errors"
	"testing"
	"time"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/workforce"
)

func staffingField(err error) string {
	var fe *fault.Error
	if errors.As(err, &fe) && len(fe.Fields) == 1 {
		return fe.Fields[0].Field
	}
	return ""
}

// Each field of the staffing request lands in its own place of the plan's input, and the
// shapes the schema allows but the plan cannot use are refused naming the field.
func TestFromStaffingRequest_MapsEachFieldAndRefusesWhatCannotBeStaffed(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	f64 := func(v float64) *float64 { return &v }
	ch := api.ChannelEmail
	body := api.StaffingRequest{Channel: &ch, IntervalMinutes: 30, HandlingTimeSeconds: f64(240),
		ServiceLevel: api.ServiceLevelTarget{Target: 0.9, AnswerWithinSeconds: 15}, Shrinkage: f64(0.25),
		MaxOccupancy: f64(0.8), PatienceSeconds: f64(90), WrittenWithinHours: f64(4),
		Intervals: &[]api.StaffingInterval{{Start: at, Volume: 12, HandlingTimeSeconds: f64(300), Rostered: staffingInt(4)}, {Start: at.Add(time.Hour), Volume: 3}}}
	in, fq, _, err := fromStaffingRequest(body)
	if err != nil || fq != nil {
		t.Fatalf("%v, forecast %v", err, fq)
	}
	want := workforce.Target{ServiceLevel: 0.9, AnswerWithinSeconds: 15, Shrinkage: 0.25, MaxOccupancy: 0.8, PatienceSeconds: 90}
	if in.Channel != channel.Email || in.IntervalMinutes != 30 || in.HandlingSeconds != 240 || in.Target != want || in.WrittenWithin != 4*time.Hour {
		t.Fatalf("input %+v", in)
	}
	if len(in.Intervals) != 2 || in.Intervals[0].HandlingSeconds != 300 || *in.Intervals[0].Rostered != 4 ||
		in.Intervals[1].HandlingSeconds != 0 || in.Intervals[1].Rostered != nil || in.Intervals[1].Volume != 3 {
		t.Fatalf("intervals %+v", in.Intervals)
	}

	forecast := &api.StaffingForecastSource{Channel: api.ChannelPhone, From: at, To: at.Add(24 * time.Hour), Service: staffingInt(58)}
	refused := []struct {
		field string
		edit  func(b *api.StaffingRequest)
	}{
		{"intervals", func(b *api.StaffingRequest) { b.Forecast = forecast }},
		{"intervals", func(b *api.StaffingRequest) { b.Intervals = nil }},
		{"roster", func(b *api.StaffingRequest) { b.Roster = &[]api.RosteredInterval{{Start: at, Rostered: 3}} }},
		{"handlingTimeSeconds", func(b *api.StaffingRequest) { b.HandlingTimeSeconds = f64(0) }},
		{"maxOccupancy", func(b *api.StaffingRequest) { b.MaxOccupancy = f64(0) }},
		{"patienceSeconds", func(b *api.StaffingRequest) { b.PatienceSeconds = f64(-1) }},
		{"writtenWithinHours", func(b *api.StaffingRequest) { b.WrittenWithinHours = f64(0) }},
	}
	for _, r := range refused {
		b := body
		r.edit(&b)
		if _, _, _, err := fromStaffingRequest(b); staffingField(err) != r.field {
			t.Errorf("%s: got %v", r.field, err)
		}
	}

	b := body
	b.Intervals, b.Forecast = nil, forecast
	b.Roster = &[]api.RosteredInterval{{Start: at.Add(time.Hour), Rostered: 7}}
	_, fq, roster, err := fromStaffingRequest(b)
	if err != nil || fq == nil || fq.Channel != channel.Phone || fq.Service != 58 || !fq.From.Equal(at) || roster[at.Add(time.Hour)] != 7 {
		t.Fatalf("forecast %+v roster %v err %v", fq, roster, err)
	}
}

func staffingInt(n int) *int { return &n }
