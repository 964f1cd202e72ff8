package report

import (
	"testing"
	"time"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/fault"
)

func on(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCheck_NamesTheParameterAtFault(t *testing.T) {
	cat := catalogue.Default()
	for _, tc := range []struct {
		name  string
		span  Span
		f     Filter
		field string
	}{
		{"to before from", Span{From: on("2026-11-02"), To: on("2026-11-01")}, Filter{}, "to"},
		{"five years and a day", Span{From: on("2020-01-01"), To: on("2025-01-01")}, Filter{}, "to"},
		{"unknown period", Span{From: on("2026-11-02"), To: on("2026-11-02"), Period: "year"}, Filter{}, "period"},
		{"unknown service", Span{From: on("2026-11-02"), To: on("2026-11-02")}, Filter{Service: 9999}, "service"},
		{"unknown channel", Span{From: on("2026-11-02"), To: on("2026-11-02")}, Filter{Channel: "pigeon"}, "channel"},
		{"unknown centre", Span{From: on("2026-11-02"), To: on("2026-11-02")}, Filter{Centre: "moon"}, "centre"},
	} {
		_, err := Check(tc.span, tc.f, cat)
		f, ok := fault.As(err)
		if !ok || len(f.Fields) != 1 || f.Fields[0].Field != tc.field {
			t.Errorf("%s: %v, want a problem naming %s", tc.name, err, tc.field)
		}
	}
	s, err := Check(Span{From: on("2020-01-01").Add(13 * time.Hour), To: on("2024-12-31")}, Filter{Service: 58, Channel: channel.Phone, Centre: ""}, cat)
	if err != nil || s.Period != Day || !s.From.Equal(on("2020-01-01")) {
		t.Fatalf("five years to the day: %+v, %v", s, err)
	}
}

func TestSpan_PeriodsAndThePreviousSpan(t *testing.T) {
	for _, tc := range []struct {
		span       Span
		first      string
		n          int
		prevFrom   string
		prevTo     string
		lastPeriod string
	}{
		// Wednesday to Tuesday: the week that began on the Monday before, and the next.
		{Span{From: on("2026-11-04"), To: on("2026-11-10"), Period: Week}, "2026-11-02", 2, "2026-10-28", "2026-11-03", "2026-11-09"},
		{Span{From: on("2026-01-31"), To: on("2026-03-01"), Period: Month}, "2026-01-01", 3, "2026-01-01", "2026-01-30", "2026-03-01"},
		{Span{From: on("2026-11-02"), To: on("2026-11-02"), Period: Day}, "2026-11-02", 1, "2026-11-01", "2026-11-01", "2026-11-02"},
		// A leap year's February by day.
		{Span{From: on("2028-02-01"), To: on("2028-02-29"), Period: Day}, "2028-02-01", 29, "2028-01-03", "2028-01-31", "2028-02-29"},
	} {
		ps := tc.span.Periods()
		prev := tc.span.Previous()
		if len(ps) != tc.n || dayKey(ps[0]) != tc.first || dayKey(ps[len(ps)-1]) != tc.lastPeriod ||
			dayKey(prev.From) != tc.prevFrom || dayKey(prev.To) != tc.prevTo || prev.days() != tc.span.days() {
			t.Errorf("%s–%s by %s: periods %v, previous %s–%s", dayKey(tc.span.From), dayKey(tc.span.To), tc.span.Period, ps, dayKey(prev.From), dayKey(prev.To))
		}
		idx := tc.span.index(ps)
		if i := idx.of(tc.span.Period, dayKey(tc.span.To)); i != len(ps)-1 {
			t.Errorf("the last day falls in period %d of %d", i, len(ps))
		}
		if i := idx.of(tc.span.Period, "1999-01-01"); i != -1 {
			t.Errorf("a day outside falls in period %d", i)
		}
	}
}

func TestAtTarget_KeepsEachGroupsProportionsAndTheTotal(t *testing.T) {
	c := Cost{TargetDigitalShare: 0.75, Contacts: 100}
	for _, p := range channel.All() {
		cc := ChannelCost{Channel: p, UnitPence: 100}
		switch p.Channel {
		case channel.Phone:
			cc.Contacts, cc.UnitPence = 60, 300
		case channel.FaceToFace:
			cc.Contacts, cc.UnitPence = 20, 700
		case channel.WebForm:
			cc.Contacts, cc.UnitPence = 20, 30
		}
		cc.CostPence = int64(cc.Contacts * cc.UnitPence)
		c.CostPence += cc.CostPence
		c.ByChannel = append(c.ByChannel, cc)
	}
	atTarget(&c)
	got := map[channel.Channel]float64{}
	total := 0.0
	for _, cc := range c.ByChannel {
		got[cc.Channel.Channel] = cc.TargetContacts
		total += cc.TargetContacts
	}
	// 75 digital contacts, all on the web form (the only digital channel used); 25 not,
	// split 60:20 between phone and face to face.
	if got[channel.WebForm] != 75 || got[channel.Phone] != 18.75 || got[channel.FaceToFace] != 6.25 || total != 100 {
		t.Fatalf("target contacts = %v (total %v)", got, total)
	}
	if want := int64(75*30 + 18.75*300 + 6.25*700); c.TargetCostPence != want || c.SavingPence != c.CostPence-want {
		t.Fatalf("target cost %d, saving %d; want %d", c.TargetCostPence, c.SavingPence, want)
	}
}

func TestParseUnitCosts(t *testing.T) {
	def, err := ParseUnitCosts("")
	if err != nil || def.Pence[channel.FaceToFace] != 740 || def.Pence[channel.Phone] != 290 || def.Pence[channel.WebSelfService] != 32 {
		t.Fatalf("default = %+v, %v", def, err)
	}
	if u := def.Unpriced(); len(u) != 2 || u[0] != channel.Email || u[1] != channel.SMS {
		t.Fatalf("default leaves %v unpriced, want email and SMS", u)
	}
	own, err := ParseUnitCosts(`{"source": "our own costing, 2026", "pence": {"phone": 412}}`)
	if err != nil || own.Source != "our own costing, 2026" || own.Pence[channel.Phone] != 412 || len(own.Unpriced()) != 8 {
		t.Fatalf("own = %+v, %v", own, err)
	}
	for _, bad := range []string{`{"pence": {"phone": 1}}`, `{"source": "x", "pence": {"pigeon": 1}}`,
		`{"source": "x", "pence": {"phone": -1}}`, `{"source": "x", "pence": {}, "extra": 1}`, `not json`} {
		if _, err := ParseUnitCosts(bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}
