package exceptions

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/fault"
)

func fieldsOf(err error) []string {
	e, ok := fault.As(err)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestApply_DefaultsAndRefusesThresholdsAKindDoesNotRead(t *testing.T) {
	cases := []struct {
		kind   Kind
		in     Params
		want   Params
		refuse []string
	}{
		{IdleCases, Params{}, Params{Days: 5, Limit: 50}, nil},
		{StaleClaims, Params{Hours: 8, Limit: 10}, Params{Hours: 8, Limit: 10}, nil},
		{RepeatCustomers, Params{AtLeast: 5}, Params{Days: 28, AtLeast: 5, Limit: 50}, nil},
		{IdleCases, Params{Hours: 3, AtLeast: 2}, Params{}, []string{"hours", "atLeast"}},
		{FailingSurveys, Params{AtLeast: 3}, Params{}, []string{"atLeast"}},
		{StaleClaims, Params{Days: 3}, Params{}, []string{"days"}},
	}
	for _, tc := range cases {
		got, err := specs[tc.kind].apply(tc.in)
		if tc.refuse != nil {
			if !slices.Equal(fieldsOf(err), tc.refuse) {
				t.Errorf("%s %+v: refused %v, want %v", tc.kind, tc.in, fieldsOf(err), tc.refuse)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %+v: %+v, %v; want %+v", tc.kind, tc.in, got, err, tc.want)
		}
	}
}

func TestEveryKindHasASpec(t *testing.T) {
	for _, k := range Kinds {
		s, ok := specs[k]
		if !ok || s.query == nil || s.reason == nil || len(s.uses) == 0 {
			t.Errorf("%s has no complete spec", k)
		}
	}
	if len(specs) != len(Kinds) {
		t.Errorf("%d specs for %d kinds", len(specs), len(Kinds))
	}
}

func TestDecodeCursor_OnlyWhatPagesGaveOut(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 123000, time.UTC)
	id := "0193a6f0-0000-7000-8000-000000000001"
	gotAt, gotID, err := decodeCursor(cursor.Encode(at.Format(time.RFC3339Nano), id))
	if err != nil || !gotAt.Equal(at) || gotID != id {
		t.Fatalf("round trip: %v %v %v", gotAt, gotID, err)
	}
	for _, bad := range []string{"", "garbage", cursor.Encode("yesterday", id), cursor.Encode(at.Format(time.RFC3339Nano), "not-a-uuid"), cursor.Encode(id)} {
		if _, _, err := decodeCursor(bad); !slices.Equal(fieldsOf(err), []string{"cursor"}) {
			t.Errorf("%q: err %v, want one naming cursor", bad, err)
		}
	}
}

func TestLate_WritesDaysAndHoursOrHoursAndMinutes(t *testing.T) {
	for d, want := range map[time.Duration]string{26 * time.Hour: "1d 2h", 90 * time.Minute: "1h 30m", -time.Hour: "0h 0m"} {
		if got := late(d); got != want {
			t.Errorf("late(%v) = %q, want %q", d, got, want)
		}
	}
	if !strings.Contains(kindList(), "missing-resolution-codes") {
		t.Error("kindList leaves a kind out")
	}
}
