package satisfaction

import (
	"testing"

	"github.com/council/contacthub/internal/fault"
)

func TestPermit_EachSourceNeedsItsCallerAndOnlyStaffAttach(t *testing.T) {
	var (
		anonymous = Rater{}
		resident  = Rater{SignedIn: true}
		staff     = Rater{SignedIn: true, Staff: true}
		system    = Rater{SignedIn: true, System: true}
	)
	for _, tc := range []struct {
		name   string
		rater  Rater
		in     Rating
		kind   fault.Kind // 0: permitted
		fields []string
	}{
		{"anonymous page score", anonymous, Rating{Source: WebPage}, 0, nil},
		{"anonymous kiosk", anonymous, Rating{Source: Kiosk}, fault.Unauthenticated, nil},
		{"anonymous page score on a contact", anonymous, Rating{Source: WebPage, ContactID: "c"}, fault.Forbidden, []string{"contactId"}},
		{"anonymous page score on a case and contact", anonymous, Rating{Source: WebPage, ContactID: "c", CaseID: "k"}, fault.Forbidden, []string{"contactId", "caseId"}},
		{"resident page score on a case", resident, Rating{Source: WebPage, CaseID: "k"}, fault.Forbidden, []string{"caseId"}},
		{"resident agent_recorded", resident, Rating{Source: AgentRecorded, CaseID: "k"}, fault.Forbidden, nil},
		{"resident keypad", resident, Rating{Source: IVR, ContactID: "c"}, fault.Forbidden, nil},
		{"system keypad on a contact", system, Rating{Source: IVR, ContactID: "c"}, 0, nil},
		{"system agent_recorded", system, Rating{Source: AgentRecorded, CaseID: "k"}, fault.Forbidden, nil},
		{"staff agent_recorded on a case", staff, Rating{Source: AgentRecorded, CaseID: "k"}, 0, nil},
		{"staff kiosk", staff, Rating{Source: Kiosk}, 0, nil},
		{"my_account on this route", resident, Rating{Source: MyAccount, CaseID: "k"}, fault.Forbidden, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Permit(tc.rater, tc.in)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("Permit = %v, want permitted", err)
				}
				return
			}
			f, ok := fault.As(err)
			if !ok || f.Kind != tc.kind {
				t.Fatalf("Permit = %v, want kind %d", err, tc.kind)
			}
			var fields []string
			for _, fe := range f.Fields {
				fields = append(fields, fe.Field)
			}
			if len(fields) != len(tc.fields) || (len(fields) > 0 && fields[0] != tc.fields[0]) {
				t.Fatalf("fields = %v, want %v", fields, tc.fields)
			}
		})
	}
	if staff.SeesAttachment() != true || system.SeesAttachment() != true || resident.SeesAttachment() || anonymous.SeesAttachment() {
		t.Fatal("only staff and systems are told what a rating attached to")
	}
}
