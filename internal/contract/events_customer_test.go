package contract

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	openapi_types "github.com/oapi-codegen/runtime/types"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/config"
	events "github.com/council/contacthub/internal/event"
)

// sentMessage is one outbox row: its topic and key, and the message other systems get.
type sentMessage struct {
	Topic, Key string
	Raw        string
	events.Message
}

// outboxMark is the outbox as it stands, to find what one operation added to it.
func (h *hub) outboxMark() map[string]bool {
	h.t.Helper()
	var ids []string
	if err := h.app.DB.Select(&ids, "SELECT id FROM outbox"); err != nil {
		h.t.Fatal(err)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		seen[id] = true
	}
	return seen
}

// messagesSince are the outbox messages written since mark, in the order written.
func (h *hub) messagesSince(mark map[string]bool) []sentMessage {
	h.t.Helper()
	var rows []struct {
		ID      string `db:"id"`
		Topic   string `db:"topic"`
		Key     string `db:"msg_key"`
		Payload string `db:"payload"`
	}
	if err := h.app.DB.Select(&rows, "SELECT id, topic, msg_key, payload FROM outbox ORDER BY id"); err != nil {
		h.t.Fatal(err)
	}
	var out []sentMessage
	for _, r := range rows {
		if mark[r.ID] {
			continue
		}
		m := sentMessage{Topic: r.Topic, Key: r.Key, Raw: r.Payload}
		if err := json.Unmarshal([]byte(r.Payload), &m.Message); err != nil {
			h.t.Fatalf("outbox message %s is not an event message: %v\n%s", r.ID, err, r.Payload)
		}
		out = append(out, m)
	}
	return out
}

// wantMessages fails unless the operation since mark wrote exactly one message of each
// type in types, in that order, each on its type's topic at version 1, and returns them.
func (h *hub) wantMessages(mark map[string]bool, types ...events.Type) []sentMessage {
	h.t.Helper()
	got := h.messagesSince(mark)
	var names, want []string
	for _, m := range got {
		names = append(names, m.Type)
	}
	for _, t := range types {
		want = append(want, t.Name)
	}
	if !cmp.Equal(names, want, cmpopts.EquateEmpty()) {
		h.t.Fatalf("outbox gained %v, want %v", names, want)
	}
	for i, m := range got {
		if m.Topic != m.Type || m.Version != types[i].Version || m.OccurredAt.IsZero() {
			h.t.Fatalf("message %s: topic %q, version %d, at %v", m.Type, m.Topic, m.Version, m.OccurredAt)
		}
	}
	return got
}

// wantData fails unless the message's data decodes, field for field, to want.
func wantData[T events.Payload](t *testing.T, m sentMessage, want T) {
	t.Helper()
	var got T
	dec := json.NewDecoder(strings.NewReader(string(m.Data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%s data %s: %v", m.Type, m.Data, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%s data (-want +got):\n%s", m.Type, diff)
	}
}

// wantOnTimeline fails unless the message's event is on customerID's timeline, once,
// as the same event (same id and kind): recorded once, told twice.
func (h *hub) wantOnTimeline(m sentMessage, customerID string) {
	h.t.Helper()
	var rows []struct {
		Kind       string  `db:"kind"`
		CustomerID *string `db:"customer_id"`
	}
	if err := h.app.DB.Select(&rows, h.app.DB.Rebind("SELECT kind, customer_id FROM timeline_events WHERE id = ?"), m.ID); err != nil {
		h.t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Kind != m.Type || rows[0].CustomerID == nil || *rows[0].CustomerID != customerID {
		h.t.Fatalf("%s %s: timeline rows %+v, want one on customer %s", m.Type, m.ID, rows, customerID)
	}
}

func TestEvents_EachCustomerChangeWritesOneTypedMessagePerTimelineEvent(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		agent := events.Actor{Subject: "agent-alice", Role: "agent"}

		mark := h.outboxMark()
		survivor := createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("Amara"), FamilyName: ptr("Okafor"),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
		sid := survivor.Id.String()
		created := h.wantMessages(mark, events.CustomerCreated)[0]
		wantData(t, created, events.CustomerCreatedData{IdentifierKinds: []string{"phone"}})
		if created.CustomerID != sid || created.Key != sid || created.Actor != agent || created.CaseID != "" {
			t.Fatalf("created: %+v", created)
		}
		h.wantOnTimeline(created, sid)

		// A change of name is one customer.updated, naming the fields.
		mark = h.outboxMark()
		patch := contacthub.CustomerPatch{}
		patch.GivenName.Set("Amarachi")
		upd, _ := ag.UpdateCustomerWithResponse(ctx, survivor.Id, &contacthub.UpdateCustomerParams{IfMatch: "*"}, patch)
		if upd.JSON200 == nil {
			t.Fatalf("update: %s", upd.Body)
		}
		updated := h.wantMessages(mark, events.CustomerUpdated)[0]
		wantData(t, updated, events.CustomerUpdatedData{Fields: []string{"givenName"}})
		h.wantOnTimeline(updated, sid)

		// A consent an agent records is customer.updated and customer.consent_changed.
		mark = h.outboxMark()
		upd, _ = ag.UpdateCustomerWithResponse(ctx, survivor.Id, &contacthub.UpdateCustomerParams{IfMatch: "*"},
			contacthub.CustomerPatch{Consents: &contacthub.Consents{SmsSurveys: ptr(true)}})
		if upd.JSON200 == nil || !*upd.JSON200.Consents.SmsSurveys {
			t.Fatalf("consent: %s", upd.Body)
		}
		both := h.wantMessages(mark, events.CustomerUpdated, events.CustomerConsentChanged)
		wantData(t, both[0], events.CustomerUpdatedData{Fields: []string{"consents.smsSurveys"}})
		wantData(t, both[1], events.CustomerConsentChangedData{Consent: "smsSurveys", Given: true, Via: "agent"})
		h.wantOnTimeline(both[1], sid)

		// A patch that changes nothing tells nothing.
		mark = h.outboxMark()
		ag.UpdateCustomerWithResponse(ctx, survivor.Id, &contacthub.UpdateCustomerParams{IfMatch: "*"},
			contacthub.CustomerPatch{Consents: &contacthub.Consents{SmsSurveys: ptr(true)}})
		h.wantMessages(mark)

		mark = h.outboxMark()
		added, _ := ag.AddCustomerIdentifierWithResponse(ctx, survivor.Id, nil, contacthub.IdentifierInput{Kind: contacthub.IdentifierKindEmail, Value: "amara@example.org"})
		if added.JSON201 == nil {
			t.Fatalf("add identifier: %s", added.Body)
		}
		var email contacthub.Identifier
		for _, id := range added.JSON201.Identifiers {
			if id.Kind == contacthub.IdentifierKindEmail {
				email = id
			}
		}
		addMsg := h.wantMessages(mark, events.CustomerIdentifierAdded)[0]
		wantData(t, addMsg, events.CustomerIdentifierData{IdentifierID: email.Id.String(), Kind: "email"})
		if strings.Contains(addMsg.Raw, "amara@example.org") {
			t.Fatalf("the identifier's value is in the message: %s", addMsg.Raw)
		}
		h.wantOnTimeline(addMsg, sid)

		mark = h.outboxMark()
		if rm, _ := ag.RemoveCustomerIdentifierWithResponse(ctx, survivor.Id, email.Id); rm.JSON200 == nil {
			t.Fatalf("remove identifier: %s", rm.Body)
		}
		rmMsg := h.wantMessages(mark, events.CustomerIdentifierRemoved)[0]
		wantData(t, rmMsg, events.CustomerIdentifierData{IdentifierID: email.Id.String(), Kind: "email"})
		h.wantOnTimeline(rmMsg, sid)

		// A merge is told on both records: merged on the survivor, merged_into on the duplicate.
		duplicate := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"),
			DateOfBirth: &openapi_types.Date{Time: mustDate(t, "1984-03-12")}})
		did := duplicate.Id.String()
		mark = h.outboxMark()
		merged, _ := ag.MergeCustomerWithResponse(ctx, survivor.Id, nil, contacthub.MergeRequest{DuplicateId: duplicate.Id, Reason: "same person"})
		if merged.JSON200 == nil {
			t.Fatalf("merge: %s", merged.Body)
		}
		mergeID := merged.JSON200.MergeId.String()
		pair := h.wantMessages(mark, events.CustomerMerged, events.CustomerMergedInto)
		wantData(t, pair[0], events.CustomerMergedData{MergeID: mergeID, DuplicateID: did, Filled: []string{"dateOfBirth"},
			Moved: map[string][]string{"cases": {}, "contacts": {}}})
		wantData(t, pair[1], events.CustomerMergedIntoData{MergeID: mergeID, SurvivorID: sid})
		if pair[0].CustomerID != sid || pair[1].CustomerID != did || pair[1].Key != did {
			t.Fatalf("merge messages placed on %s and %s (keys %s, %s)", pair[0].CustomerID, pair[1].CustomerID, pair[0].Key, pair[1].Key)
		}
		h.wantOnTimeline(pair[0], sid)
		h.wantOnTimeline(pair[1], did)

		// Undoing it is one customer.unmerged on each record's timeline.
		mark = h.outboxMark()
		if undone, _ := ag.UndoMergeWithResponse(ctx, merged.JSON200.MergeId, nil, contacthub.UndoMergeRequest{Reason: ptr("different people")}); undone.JSON200 == nil {
			t.Fatalf("undo: %s", undone.Body)
		}
		unmerged := h.wantMessages(mark, events.CustomerUnmerged, events.CustomerUnmerged)
		for i, owner := range []string{sid, did} {
			wantData(t, unmerged[i], events.CustomerUnmergedData{MergeID: mergeID, SurvivorID: sid, DuplicateID: did})
			h.wantOnTimeline(unmerged[i], owner)
		}
	})
}

func TestEvents_AConsentChangedInMyAccountIsToldAsTheResidents(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Nowak"), Consents: &contacthub.Consents{SmsSurveys: ptr(true)}})
		me := citizen(h, c.Id)
		mark := h.outboxMark()
		upd, _ := me.UpdateMeWithResponse(ctx, &contacthub.UpdateMeParams{IfMatch: `"1"`},
			contacthub.MePatch{Consents: &contacthub.Consents{SmsSurveys: ptr(false)}})
		if upd.JSON200 == nil || *upd.JSON200.Consents.SmsSurveys {
			t.Fatalf("update me: %s", upd.Body)
		}
		msgs := h.wantMessages(mark, events.CustomerUpdated, events.CustomerConsentChanged)
		wantData(t, msgs[1], events.CustomerConsentChangedData{Consent: "smsSurveys", Given: false, Via: "my_account"})
		if msgs[1].Actor.Role != "citizen" || msgs[1].CustomerID != c.Id.String() {
			t.Fatalf("consent message: %+v", msgs[1])
		}
		h.wantOnTimeline(msgs[1], c.Id.String())
	})
}

func TestEvents_AStopReplyWithdrawsConsentThroughTheCustomerRecord(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, func(c *config.Config) { c.NotifyCallbackToken = notifyToken })
			ag := h.agent()
			cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"), Consents: &contacthub.Consents{SmsSurveys: ptr(true)},
				Identifiers: &[]contacthub.IdentifierInput{phone("07700 900123")}})
			stop := func(id, from string) {
				t.Helper()
				raw, _ := json.Marshal(map[string]any{"id": id, "source_number": from, "message": "STOP"})
				if resp, body := h.raw("POST", "/v1/callbacks/notify/received-text", notifyToken, "application/json", raw); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("STOP: %d %s", resp.StatusCode, body)
				}
			}

			mark := h.outboxMark()
			stop("inbound-1", "447700900123")
			msg := h.wantMessages(mark, events.CustomerConsentChanged)[0]
			wantData(t, msg, events.CustomerConsentChangedData{Consent: "smsSurveys", Given: false, Via: "sms_reply"})
			if msg.CustomerID != cust.Id.String() || msg.Actor != (events.Actor{Subject: "notify", Role: "integration"}) {
				t.Fatalf("STOP message: %+v", msg)
			}
			h.wantOnTimeline(msg, cust.Id.String())
			after, _ := ag.GetCustomerWithResponse(ctx, cust.Id)
			if after.JSON200 == nil || *after.JSON200.Consents.SmsSurveys || after.JSON200.Version != cust.Version+1 {
				t.Fatalf("after STOP: %s", after.Body)
			}
			tl, _ := ag.GetCustomerTimelineWithResponse(ctx, cust.Id, nil)
			if tl.JSON200 == nil || tl.JSON200.Items[0].Kind != "customer.consent_changed" || tl.JSON200.Items[0].Data["via"] != "sms_reply" {
				t.Fatalf("customer timeline: %s", tl.Body)
			}

			// A second STOP, a repeat of the first, and one from a number no one holds change nothing.
			mark = h.outboxMark()
			stop("inbound-2", "447700900123")
			stop("inbound-1", "447700900123")
			stop("inbound-3", "447700900999")
			h.wantMessages(mark)
			if again, _ := ag.GetCustomerWithResponse(ctx, cust.Id); again.JSON200 == nil || again.JSON200.Version != after.JSON200.Version {
				t.Fatalf("a STOP that changed nothing moved the version: %s", again.Body)
			}
		})
	}
}

func TestEvents_LandlordChangesEachWriteOneTypedMessage(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		timelineBefore := h.count("timeline_events")
		mark := h.outboxMark()
		ll, _ := ag.CreateLandlordWithResponse(ctx, nil, contacthub.LandlordCreate{Name: "Haringey Homes Ltd"})
		if ll.JSON201 == nil {
			t.Fatalf("landlord: %s", ll.Body)
		}
		lid := ll.JSON201.Id.String()
		created := h.wantMessages(mark, events.LandlordCreated)[0]
		wantData(t, created, events.LandlordCreatedData{LandlordID: lid, Name: "Haringey Homes Ltd"})
		if created.Key != lid || created.CustomerID != "" || created.Actor.Subject != "agent-alice" {
			t.Fatalf("landlord.created: %+v", created)
		}

		mark = h.outboxMark()
		prop, _ := ag.AddLandlordPropertyWithResponse(ctx, ll.JSON201.Id, contacthub.PropertyCreate{Uprn: "000100023336"})
		if prop.JSON201 == nil {
			t.Fatalf("property: %s", prop.Body)
		}
		added := h.wantMessages(mark, events.PropertyAdded)[0]
		wantData(t, added, events.PropertyAddedData{LandlordID: lid, PropertyID: prop.JSON201.Id.String(), UPRN: "100023336"})
		if added.Key != lid {
			t.Fatalf("property key %q", added.Key)
		}
		if n := h.count("timeline_events"); n != timelineBefore {
			t.Fatalf("a landlord's own changes went on a timeline: %d events, was %d", n, timelineBefore)
		}

		// A tenancy is on the tenant's timeline.
		tenant := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Tenant")})
		mark = h.outboxMark()
		start := time.Now().AddDate(-1, 0, 0)
		ten, _ := ag.AddTenancyWithResponse(ctx, ll.JSON201.Id, contacthub.TenancyCreate{PropertyId: prop.JSON201.Id, CustomerId: tenant.Id,
			StartsOn: openapi_types.Date{Time: start}})
		if ten.JSON201 == nil {
			t.Fatalf("tenancy: %s", ten.Body)
		}
		tenancy := h.wantMessages(mark, events.TenancyAdded)[0]
		wantData(t, tenancy, events.TenancyAddedData{LandlordID: lid, PropertyID: prop.JSON201.Id.String(), TenancyID: ten.JSON201.Id.String(),
			StartsOn: start.Format(time.DateOnly)})
		if tenancy.CustomerID != tenant.Id.String() || tenancy.Key != lid {
			t.Fatalf("tenancy message: %+v", tenancy)
		}
		h.wantOnTimeline(tenancy, tenant.Id.String())

		// An invitation's message names it, never its token or the address it went to.
		mark = h.outboxMark()
		inv, _ := ag.InviteLandlordUserWithResponse(ctx, ll.JSON201.Id, contacthub.InvitationCreate{Email: "lettings@haringeyhomes.example"})
		if inv.JSON201 == nil {
			t.Fatalf("invite: %s", inv.Body)
		}
		invited := h.wantMessages(mark, events.InvitationCreated)[0]
		wantData(t, invited, events.InvitationData{LandlordID: lid, InvitationID: inv.JSON201.Id.String()})
		if strings.Contains(invited.Raw, inv.JSON201.Token) || strings.Contains(invited.Raw, "lettings@") {
			t.Fatalf("the invitation's message gives it away: %s", invited.Raw)
		}

		mark = h.outboxMark()
		if ok, _ := landlordUser(h, ll.JSON201.Id, "ll-user-1").AcceptInvitationWithResponse(ctx, inv.JSON201.Token); ok.JSON200 == nil {
			t.Fatalf("accept: %s", ok.Body)
		}
		accepted := h.wantMessages(mark, events.InvitationAccepted)[0]
		wantData(t, accepted, events.InvitationData{LandlordID: lid, InvitationID: inv.JSON201.Id.String(), UserSubject: "ll-user-1"})
		if accepted.Actor != (events.Actor{Subject: "ll-user-1", Role: "landlord"}) || strings.Contains(accepted.Raw, inv.JSON201.Token) {
			t.Fatalf("invitation_accepted: %s", accepted.Raw)
		}

		// A refused acceptance tells nothing.
		mark = h.outboxMark()
		landlordUser(h, ll.JSON201.Id, "ll-user-2").AcceptInvitationWithResponse(ctx, inv.JSON201.Token)
		h.wantMessages(mark)
	})
}
