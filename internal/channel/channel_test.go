package channel_test

import (
	"slices"
	"testing"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/channel"
)

// Every channel the contract lets a caller name has a complete row here, and this table
// has no channel the contract does not know: a channel added to one and not the other
// fails here, not in a report that quietly leaves it out.
func TestTable_MatchesTheContractsChannels(t *testing.T) {
	spec, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	var inContract []channel.Channel
	for _, v := range spec.Components.Schemas["Channel"].Value.Enum {
		inContract = append(inContract, channel.Channel(v.(string)))
	}
	if !slices.Equal(inContract, channel.Names()) {
		t.Fatalf("contract's Channel enum %v, table %v (same channels, same order)", inContract, channel.Names())
	}
	for _, p := range channel.All() {
		if p.Label == "" || p.ResidentWords == "" {
			t.Errorf("%s: needs a label and the resident's words", p.Channel)
		}
		switch p.Handling {
		case channel.SelfService, channel.Live, channel.Written:
		default:
			t.Errorf("%s: handling %q is not one of self_service, live, written", p.Channel, p.Handling)
		}
		if p.SMSSurveyed && p.Handling != channel.Live {
			t.Errorf("%s: only conversations with a person are surveyed by SMS", p.Channel)
		}
	}
}

func TestUnknownChannel_HasTheSafeReadingOfEachFact(t *testing.T) {
	p := channel.Channel("pigeon").Props()
	if channel.Channel("pigeon").Known() || p.Digital || p.SMSSurveyed || p.NeedsCentre || p.OnBehalf {
		t.Fatalf("an unknown channel claimed a property: %+v", p)
	}
	if got := channel.Channel("pigeon").ResidentWords(); got != "with us" {
		t.Fatalf("resident words for an unknown channel = %q", got)
	}
}

func TestDigitalShare_CountsTheChannelsTheCouncilCallsDigital(t *testing.T) {
	got := channel.Where(func(p channel.Properties) bool { return p.Digital })
	want := []channel.Channel{channel.WebSelfService, channel.WebForm, channel.LandlordPortal, channel.SMS, channel.Email}
	if !slices.Equal(got, want) {
		t.Fatalf("digital channels %v, want %v", got, want)
	}
}
