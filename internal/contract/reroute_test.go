package contract

import (
	"strings"
	"testing"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/store"
)

// A contact that makes the rules move its case up a tier changes the case once: the
// hand-off and the link are one new version of the case, written by one UPDATE
// (issue 19: it was two, escalate then link), and the case as stored is the one answered.
func TestIntake_AContactThatReRoutesItsCaseChangesItOnce(t *testing.T) {
	threeContacts := func(t *testing.T, h *hub, number string) (before, after contacthub.Case) {
		ag := h.agent()
		in := contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 59},
			Identifiers: &[]contacthub.IdentifierInput{phone(number)}}
		record(t, ag, in)
		before, _ = record(t, ag, in).Case.Get()
		if before.Tier != 1 || before.HandoffCount != 0 {
			t.Fatalf("two contacts: tier %d, %d hand-offs; want tier 1 and none", before.Tier, before.HandoffCount)
		}
		// The third contact in two weeks trips the default rules' repeat-contacts rule.
		after, _ = record(t, ag, in).Case.Get()
		return before, after
	}
	eachBackend(t, func(t *testing.T, h *hub) {
		before, after := threeContacts(t, h, "020 7946 0091")
		if after.Tier != 2 || after.HandoffCount != 1 || after.ContactCount != 3 || after.Version != before.Version+1 {
			t.Fatalf("re-routing contact: tier %d, %d hand-offs, %d contacts, version %d; want 2, 1, 3 and %d",
				after.Tier, after.HandoffCount, after.ContactCount, after.Version, before.Version+1)
		}
		stored, err := h.agent().GetCaseWithResponse(ctx, after.Id)
		if err != nil || stored.JSON200 == nil {
			t.Fatalf("read the case: %v", err)
		}
		if s := stored.JSON200; s.Version != after.Version || s.Tier != 2 || s.Queue != after.Queue || s.ContactCount != 3 {
			t.Fatalf("stored case: version %d tier %d queue %s contacts %d; answered version %d queue %s",
				s.Version, s.Tier, s.Queue, s.ContactCount, after.Version, after.Queue)
		}
	})
	t.Run("statements", func(t *testing.T) {
		tr := &store.Trace{}
		h := tracedHub(t, tr)
		tr.Start()
		threeContacts(t, h, "020 7946 0092")
		updates := 0
		for _, s := range tr.Stop() {
			if strings.HasPrefix(strings.TrimSpace(s.SQL), "UPDATE cases") {
				updates++
			}
		}
		// The first contact opens the case already linked to itself (an INSERT, no
		// UPDATE), the second links itself, the third hands the case off and links
		// itself: one UPDATE each of the last two.
		if updates != 2 {
			t.Fatalf("%d UPDATEs of the case for three contacts, the last re-routing it; want 2", updates)
		}
	})
}
