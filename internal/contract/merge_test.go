package contract

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	openapi_types "github.com/oapi-codegen/runtime/types"

	contacthub "github.com/council/contacthub/clients/go"
)

func TestMerge_SurvivorGainsIdentifiersAndUndoRestoresBoth(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		survivor := createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("Amara"), FamilyName: ptr("Okafor"),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
		duplicate := createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("A"), FamilyName: ptr("Okafor"),
			DateOfBirth: &openapi_types.Date{Time: mustDate(t, "1984-03-12")},
			Identifiers: &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "amara@example.org"}}})

		merged, err := ag.MergeCustomerWithResponse(ctx, survivor.Id, nil, contacthub.MergeRequest{DuplicateId: duplicate.Id, Reason: "same person, phoned and emailed"})
		if err != nil || merged.JSON200 == nil {
			t.Fatalf("merge: %v %s", err, merged.Body)
		}
		s := merged.JSON200.Survivor
		if len(s.Identifiers) != 2 || s.DateOfBirth == nil || *s.GivenName != "Amara" {
			t.Fatalf("survivor after merge = %+v", s)
		}
		dup, err := ag.GetCustomerWithResponse(ctx, duplicate.Id)
		if err != nil || dup.JSON200 == nil {
			t.Fatalf("read duplicate: %v %s", err, dup.Body)
		}
		if dup.JSON200.MergedInto == nil || *dup.JSON200.MergedInto != survivor.Id || len(dup.JSON200.Identifiers) != 0 {
			t.Fatalf("duplicate after merge = %+v", dup.JSON200)
		}

		// The tombstone cannot be changed or merged again.
		patch := contacthub.CustomerPatch{}
		patch.GivenName.Set("X")
		upd, _ := ag.UpdateCustomerWithResponse(ctx, duplicate.Id, &contacthub.UpdateCustomerParams{IfMatch: "*"}, patch)
		wantProblem(t, http.StatusConflict, upd.Body, upd.StatusCode(), "conflict")
		again, _ := ag.MergeCustomerWithResponse(ctx, survivor.Id, nil, contacthub.MergeRequest{DuplicateId: duplicate.Id, Reason: "again"})
		wantProblem(t, http.StatusConflict, again.Body, again.StatusCode(), "conflict")
		self, _ := ag.MergeCustomerWithResponse(ctx, survivor.Id, nil, contacthub.MergeRequest{DuplicateId: survivor.Id, Reason: "self"})
		wantProblem(t, http.StatusUnprocessableEntity, self.Body, self.StatusCode(), "invalid-value")

		record, err := ag.GetMergeWithResponse(ctx, merged.JSON200.MergeId)
		if err != nil || record.JSON200 == nil {
			t.Fatalf("merge record: %v %s", err, record.Body)
		}
		if record.JSON200.MergedBy != "agent-alice" || record.JSON200.Reason != "same person, phoned and emailed" || record.JSON200.UndoneAt != nil {
			t.Fatalf("merge record = %+v", record.JSON200)
		}

		undone, err := ag.UndoMergeWithResponse(ctx, merged.JSON200.MergeId, nil, contacthub.UndoMergeRequest{Reason: ptr("different people")})
		if err != nil || undone.JSON200 == nil {
			t.Fatalf("undo: %v %s", err, undone.Body)
		}
		assertSameRecord(t, survivor, undone.JSON200.Survivor)
		assertSameRecord(t, duplicate, undone.JSON200.Duplicate)

		twice, _ := ag.UndoMergeWithResponse(ctx, merged.JSON200.MergeId, nil, contacthub.UndoMergeRequest{})
		wantProblem(t, http.StatusConflict, twice.Body, twice.StatusCode(), "conflict")

		tl, err := ag.GetCustomerTimelineWithResponse(ctx, duplicate.Id, nil)
		if err != nil || tl.JSON200 == nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range tl.JSON200.Items {
			kinds = append(kinds, ev.Kind)
		}
		if !cmp.Equal(kinds, []string{"customer.unmerged", "customer.merged_into", "customer.created"}) {
			t.Fatalf("duplicate's timeline = %v", kinds)
		}
	})
}

// assertSameRecord compares everything a merge and its undo must restore: every field
// and every identifier (with its id), but not the version or update time, which move on.
func assertSameRecord(t *testing.T, want, got contacthub.Customer) {
	t.Helper()
	opts := []cmp.Option{
		cmpopts.IgnoreFields(contacthub.Customer{}, "Version", "UpdatedAt"),
		cmpopts.SortSlices(func(a, b contacthub.Identifier) bool { return a.Id.String() < b.Id.String() }),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Fatalf("record not restored (-before +after):\n%s", diff)
	}
}

// TestMergeUndo_RestoresRandomRecordsExactly is a property test: for random pairs of
// records, merge then undo gives back both exactly.
func TestMergeUndo_RestoresRandomRecordsExactly(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		rng := rand.New(rand.NewPCG(2026, 11))
		for i := range 15 {
			a := createCustomer(t, ag, randomCustomer(rng, i*2))
			b := createCustomer(t, ag, randomCustomer(rng, i*2+1))
			merged, err := ag.MergeCustomerWithResponse(ctx, a.Id, nil, contacthub.MergeRequest{DuplicateId: b.Id, Reason: "property"})
			if err != nil || merged.JSON200 == nil {
				t.Fatalf("merge %d: %v %s", i, err, merged.Body)
			}
			undone, err := ag.UndoMergeWithResponse(ctx, merged.JSON200.MergeId, nil, contacthub.UndoMergeRequest{})
			if err != nil || undone.JSON200 == nil {
				t.Fatalf("undo %d: %v %s", i, err, undone.Body)
			}
			for _, pair := range [][2]contacthub.Customer{{a, undone.JSON200.Survivor}, {b, undone.JSON200.Duplicate}} {
				assertSameRecord(t, pair[0], pair[1])
				got, err := ag.GetCustomerWithResponse(ctx, pair[0].Id)
				if err != nil || got.JSON200 == nil {
					t.Fatal(err)
				}
				assertSameRecord(t, pair[0], *got.JSON200)
			}
		}
	})
}

// randomCustomer fills a random subset of fields; n keeps identifiers unique.
func randomCustomer(rng *rand.Rand, n int) contacthub.CustomerCreate {
	maybe := func() bool { return rng.IntN(2) == 0 }
	c := contacthub.CustomerCreate{}
	if maybe() {
		c.GivenName = ptr([]string{"Amara", "Tomasz", "Edith", "Priya"}[rng.IntN(4)])
	}
	if maybe() {
		c.FamilyName = ptr([]string{"Okafor", "Nowak", "Clarke", "Shah"}[rng.IntN(4)])
	}
	if maybe() {
		c.DateOfBirth = &openapi_types.Date{Time: dateOf(fmt.Sprintf("19%02d-%02d-%02d", 30+rng.IntN(70), 1+rng.IntN(12), 1+rng.IntN(28)))}
	}
	if maybe() {
		c.Address = &contacthub.Address{Line1: ptr(fmt.Sprintf("%d High Street", 1+rng.IntN(200))), Postcode: ptr("N15 4QR")}
	}
	if maybe() {
		c.Needs = &contacthub.Needs{Vulnerable: ptr(maybe()), AssistedDigital: ptr(maybe())}
		if maybe() {
			c.Needs.PreferredLanguage = ptr("pl")
		}
		if maybe() {
			c.Needs.Accessibility = &[]string{"large print"}
		}
	}
	if maybe() {
		c.Consents = &contacthub.Consents{SmsSurveys: ptr(maybe())}
	}
	var ids []contacthub.IdentifierInput
	if maybe() {
		ids = append(ids, phone(fmt.Sprintf("07700 9%05d", n)))
	}
	if maybe() {
		ids = append(ids, contacthub.IdentifierInput{Kind: contacthub.IdentifierKindEmail, Value: fmt.Sprintf("person%d@example.org", n)})
	}
	if maybe() {
		ids = append(ids, contacthub.IdentifierInput{Kind: contacthub.IdentifierKindCouncilTaxAccount, Value: fmt.Sprintf("5%08d", n)})
	}
	if len(ids) > 0 {
		c.Identifiers = &ids
	}
	return c
}

func TestUndoMerge_RefusesWhenAnIdentifierNowBelongsToSomeoneElseAndChangesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		survivor := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		duplicate := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900321"), {Kind: contacthub.IdentifierKindEmail, Value: "shared@example.org"}}})
		merged, err := ag.MergeCustomerWithResponse(ctx, survivor.Id, nil, contacthub.MergeRequest{DuplicateId: duplicate.Id, Reason: "same"})
		if err != nil || merged.JSON200 == nil {
			t.Fatalf("merge: %v %s", err, merged.Body)
		}
		// The email moves on to a third customer after the merge.
		var emailID openapi_types.UUID
		for _, id := range merged.JSON200.Survivor.Identifiers {
			if id.Kind == contacthub.IdentifierKindEmail {
				emailID = id.Id
			}
		}
		if _, err := ag.RemoveCustomerIdentifierWithResponse(ctx, survivor.Id, emailID); err != nil {
			t.Fatal(err)
		}
		third := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Other"),
			Identifiers: &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "shared@example.org"}}})
		before, _ := ag.GetCustomerWithResponse(ctx, survivor.Id)

		undo, err := ag.UndoMergeWithResponse(ctx, merged.JSON200.MergeId, nil, contacthub.UndoMergeRequest{})
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, http.StatusConflict, undo.Body, undo.StatusCode(), "identifier-taken")

		after, _ := ag.GetCustomerWithResponse(ctx, survivor.Id)
		if after.JSON200.Version != before.JSON200.Version || len(after.JSON200.Identifiers) != 1 {
			t.Fatalf("the refused undo changed the survivor: %+v", after.JSON200)
		}
		dup, _ := ag.GetCustomerWithResponse(ctx, duplicate.Id)
		if dup.JSON200.MergedInto == nil || len(dup.JSON200.Identifiers) != 0 {
			t.Fatalf("the refused undo changed the duplicate: %+v", dup.JSON200)
		}
		rec, _ := ag.GetMergeWithResponse(ctx, merged.JSON200.MergeId)
		if rec.JSON200.UndoneAt != nil {
			t.Fatal("the refused undo marked the merge undone")
		}
		other, _ := ag.GetCustomerWithResponse(ctx, third.Id)
		if len(other.JSON200.Identifiers) != 1 {
			t.Fatalf("the third customer lost the email: %+v", other.JSON200)
		}
	})
}
