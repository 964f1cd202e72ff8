package workforce

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/workcal"
)

// Christmas 2026 in England and Wales: Christmas Day on the Friday, Boxing Day on the
// Saturday moved to Monday 28 December (GOV.UK's published dates). A phone forecast
// expects nobody on those two days; web forms keep arriving, and a forecast of every
// channel together is left alone.
func TestClosures_ShutLiveChannelsOnBankHolidaysOnly(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workcal.New(london, workcal.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Closures{Calendar: cal}
	from, to := time.Date(2026, 12, 20, 0, 0, 0, 0, london), time.Date(2026, 12, 31, 0, 0, 0, 0, london)
	got := c.Events(channel.Phone, from, to)
	var days []string
	for _, e := range got {
		if e.Uplift != -1 || !e.From.Equal(e.To) {
			t.Fatalf("event %+v: want one closed day with uplift -1", e)
		}
		days = append(days, e.From.Format(dateLayout))
	}
	if len(days) != 2 || days[0] != "2026-12-25" || days[1] != "2026-12-28" {
		t.Fatalf("phone closed on %v, want 2026-12-25 and 2026-12-28", days)
	}
	if ev := c.Events(channel.WebForm, from, to); len(ev) != 0 {
		t.Fatalf("web forms closed on %v", ev)
	}
	if ev := c.Events("", from, to); len(ev) != 0 {
		t.Fatalf("all channels together got %v", ev)
	}
}

// A forecast of every channel together over Christmas 2026 is the channels' forecasts
// added up: on Christmas Day and on the Monday that stands for Boxing Day the phone line
// is shut and only the web forms and emails are expected, while on Christmas Eve all
// three are; the band of the total is wider than none and narrower than the bands laid
// end to end.
func TestForecast_EveryChannelTogetherShutsOnlyTheLiveShareOnBankHolidays(t *testing.T) {
	cal, err := workcal.New(london, workcal.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, storetest.Backend{Name: "sqlite"})
	from := time.Date(2026, 12, 21, 0, 0, 0, 0, london) // a Monday
	if err := loadContacts(db, 30_000, from.AddDate(0, 0, -70), from); err != nil {
		t.Fatal(err)
	}
	s := New(db, london, Closures{Calendar: cal}, Fallbacks{})
	s.now = func() time.Time { return from }
	ctx := context.Background()
	q := ForecastQuery{From: from, To: from.AddDate(0, 0, 8), Interval: 24 * time.Hour}
	all, err := s.Forecast(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	byChannel := map[channel.Channel]Forecast{}
	for _, ch := range []channel.Channel{channel.Phone, channel.WebForm, channel.Email} {
		one := q
		one.Channel = ch
		if byChannel[ch], err = s.Forecast(ctx, one); err != nil {
			t.Fatal(err)
		}
	}
	if len(all.Points) != 8 {
		t.Fatalf("%d days", len(all.Points))
	}
	for i, p := range all.Points {
		day := p.Start.In(london).Format(dateLayout)
		phone := byChannel[channel.Phone].Points[i].Expected
		written := byChannel[channel.WebForm].Points[i].Expected + byChannel[channel.Email].Points[i].Expected
		closed := day == "2026-12-25" || day == "2026-12-28"
		if closed && phone != 0 {
			t.Fatalf("%s: the phone line is shut but expects %.1f", day, phone)
		}
		if written <= 0 || math.Abs(p.Expected-(phone+written)) > 1e-6 {
			t.Fatalf("%s: every channel %.2f, the channels %.2f + %.2f", day, p.Expected, phone, written)
		}
		if !(p.Upper95 > p.Expected && p.Upper95-p.Expected < (byChannel[channel.Phone].Points[i].Upper95-phone)+
			(byChannel[channel.WebForm].Points[i].Upper95-byChannel[channel.WebForm].Points[i].Expected)+
			(byChannel[channel.Email].Points[i].Upper95-byChannel[channel.Email].Points[i].Expected)) {
			t.Fatalf("%s: band %+v", day, p.Point)
		}
	}
	eve, christmas := all.Points[3].Expected, all.Points[4].Expected
	if !(christmas < eve*0.6) {
		t.Fatalf("every channel: Christmas Eve %.1f, Christmas Day %.1f; the phone share (3 in 5) should be gone", eve, christmas)
	}
}
