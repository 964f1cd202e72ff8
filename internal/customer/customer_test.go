package customer

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
)

func TestApplyPatch_ChangesOnlyWhatWasSentAndListsIt(t *testing.T) {
	yes := true
	lang := " CY "
	c := Customer{GivenName: "Tom", FamilyName: "Nowak", DateOfBirth: "1979-11-02", Address: Address{Line1: "1 Road"}}
	next, changed, err := applyPatch(c, Patch{
		GivenName:   Field[string]{Set: true, Value: " Tomasz "},
		FamilyName:  Field[string]{Set: true, Value: "Nowak"}, // same value: not a change
		DateOfBirth: Field[string]{Set: true},                 // null: cleared
		Needs:       &NeedsPatch{Vulnerable: &yes, PreferredLanguage: &lang},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Customer{GivenName: "Tomasz", FamilyName: "Nowak", Address: Address{Line1: "1 Road"},
		Needs: Needs{Vulnerable: true, PreferredLanguage: "cy"}}
	if diff := cmp.Diff(want, next); diff != "" {
		t.Fatalf("patched (-want +got):\n%s", diff)
	}
	if !slices.Equal(changed, []string{"givenName", "dateOfBirth", "needs.vulnerable", "needs.preferredLanguage"}) {
		t.Fatalf("changed = %v", changed)
	}
}

func TestApplyPatch_NamesEveryBadField(t *testing.T) {
	bad := "not a language!"
	_, _, err := applyPatch(Customer{}, Patch{
		DateOfBirth: Field[string]{Set: true, Value: "1850-01-01"},
		Address:     Field[Address]{Set: true, Value: Address{Postcode: "nowhere"}},
		Needs:       &NeedsPatch{PreferredLanguage: &bad},
	})
	f, ok := fault.As(err)
	if !ok || f.Kind != fault.Invalid {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, fe := range f.Fields {
		fields = append(fields, fe.Field)
	}
	if !slices.Equal(fields, []string{"dateOfBirth", "address.postcode", "needs.preferredLanguage"}) {
		t.Fatalf("fields = %v", fields)
	}
}

func TestRestoreSurvivor_GivesBackFilledFieldsUnlessChangedSince(t *testing.T) {
	before := Customer{FamilyName: "Okafor"}
	dup := Customer{GivenName: "Amara", FamilyName: "O", DateOfBirth: "1984-03-12", Needs: Needs{Vulnerable: true}}
	snap := snapshot{Survivor: before, Duplicate: dup, Filled: []string{"givenName", "dateOfBirth", "needs.vulnerable"}}
	// After the merge an agent corrected the date of birth: that correction stays.
	current := Customer{GivenName: "Amara", FamilyName: "Okafor", DateOfBirth: "1984-03-13", Needs: Needs{Vulnerable: true}}
	got := restoreSurvivor(current, snap)
	want := Customer{FamilyName: "Okafor", DateOfBirth: "1984-03-13"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("restored (-want +got):\n%s", diff)
	}
}

func TestScore_AddsAgreementsAndCapsAtOne(t *testing.T) {
	c := Customer{GivenName: "Amara", FamilyName: "Okafor", DateOfBirth: "1984-03-12", Address: Address{Postcode: "N15 4QR"},
		Identifiers: []Identifier{{Kind: identifier.Phone, Value: "+447700900123"}, {Kind: identifier.CouncilTaxAccount, Value: "512345678"}}}
	req := MatchRequest{FamilyName: "OKAFOR", DateOfBirth: "1984-03-12"}
	ids := []IdentifierInput{{identifier.Phone, "+447700900123"}, {identifier.CouncilTaxAccount, "512345678"}, {identifier.Email, "x@example.org"}}
	got := score(c, req, ids)
	if got.Score != 1 {
		t.Fatalf("score = %v, want capped at 1", got.Score)
	}
	var fields []string
	for _, r := range got.Reasons {
		fields = append(fields, r.Field)
	}
	if !slices.Equal(fields, []string{"phone", "council_tax_account", "familyName", "dateOfBirth"}) {
		t.Fatalf("reasons = %v", fields)
	}
	if s := score(c, MatchRequest{Postcode: "N15 4QR"}, nil).Score; s != fieldWeights["postcode"] {
		t.Fatalf("postcode alone = %v", s)
	}
}
