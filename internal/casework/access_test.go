package casework

import (
	"testing"

	"github.com/council/contacthub/internal/fault"
)

func TestMayChange_TierClaimOrStanding(t *testing.T) {
	tier3 := Case{ID: "c", Tier: 3}
	held := Case{ID: "c", Tier: 3, Assignee: "alice"}
	for _, tc := range []struct {
		name string
		who  Caller
		c    Case
		ok   bool
	}{
		{"tier 1 on a tier 3 case", Caller{Actor: Actor{Subject: "alice"}, Tier: 1}, tier3, false},
		{"no tier on a tier 2 case", Caller{Actor: Actor{Subject: "alice"}}, Case{Tier: 2}, false},
		{"no tier on a tier 1 case", Caller{Actor: Actor{Subject: "alice"}}, Case{Tier: 1}, true},
		{"tier 2 on a tier 3 case", Caller{Actor: Actor{Subject: "alice"}, Tier: 2}, tier3, false},
		{"tier 3 on a tier 3 case", Caller{Actor: Actor{Subject: "alice"}, Tier: 3}, tier3, true},
		{"tier 3 on a tier 1 case", Caller{Actor: Actor{Subject: "alice"}, Tier: 3}, Case{Tier: 1}, true},
		{"tier 1 holding the claim", Caller{Actor: Actor{Subject: "alice"}, Tier: 1}, held, true},
		{"tier 1, someone else's claim", Caller{Actor: Actor{Subject: "bob"}, Tier: 1}, held, false},
		{"supervisor", Caller{Actor: Actor{Subject: "sam"}, Supervisor: true}, tier3, true},
		{"system", Caller{Actor: Actor{Subject: "ivr"}, System: true}, tier3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := MayChange(tc.who, tc.c)
			if tc.ok != (err == nil) {
				t.Fatalf("MayChange = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !fault.Is(err, fault.Forbidden) {
				t.Fatalf("refusal is %v, want Forbidden", err)
			}
		})
	}
}
