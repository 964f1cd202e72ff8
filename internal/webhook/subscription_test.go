package webhook

import (
	"context"
	"slices"
	"testing"

	"github.com/council/contacthub/internal/catalogue"
)

type queueSet map[string]int

func (q queueSet) QueueTier(name string) (int, bool) { t, ok := q[name]; return t, ok }

func TestCheck_NamesEachFieldThatIsWrong(t *testing.T) {
	s := NewSubscriptions(nil, catalogue.Default(), queueSet{"advisors": 1}, false)
	svc, badSvc, queue, badQueue := 57, 99999, "advisors", "nowhere"
	for _, tc := range []struct {
		url    string
		types  []string
		filter Filter
		want   []string
	}{
		{"https://203.0.113.9/hook", []string{"*"}, Filter{Service: &svc, Queue: &queue}, nil},
		{"https://203.0.113.9/hook", []string{"case.resolved", "contact.recorded"}, Filter{}, nil},
		{"http://203.0.113.9/hook", []string{"*"}, Filter{}, []string{"url"}},
		{"https://10.0.0.8/hook", []string{"*"}, Filter{}, []string{"url"}},
		{"https://203.0.113.9/hook", nil, Filter{}, []string{"eventTypes"}},
		{"https://203.0.113.9/hook", []string{"case.resolved", "case.exploded"}, Filter{}, []string{"eventTypes[1]"}},
		{"https://203.0.113.9/hook", []string{"*"}, Filter{Service: &badSvc}, []string{"filter.service"}},
		{"https://203.0.113.9/hook", []string{"*"}, Filter{Queue: &badQueue}, []string{"filter.queue"}},
		{"ftp://x", []string{"nope"}, Filter{Service: &badSvc, Queue: &badQueue}, []string{"url", "eventTypes[0]", "filter.service", "filter.queue"}},
	} {
		var got []string
		for _, f := range s.check(context.Background(), tc.url, tc.types, tc.filter, "") {
			got = append(got, f.Field)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("check(%s, %v) named %v, want %v", tc.url, tc.types, got, tc.want)
		}
	}
}

func TestNormaliseTypes_SortsDropsRepeatsAndLetsAStarStandAlone(t *testing.T) {
	if got := normaliseTypes([]string{"case.resolved", "case.opened", "case.resolved"}); !slices.Equal(got, []string{"case.opened", "case.resolved"}) {
		t.Errorf("got %v", got)
	}
	if got := normaliseTypes([]string{"case.opened", "*"}); !slices.Equal(got, []string{"*"}) {
		t.Errorf("got %v", got)
	}
}
