package contract

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/config"
	events "github.com/council/contacthub/internal/event"
)

// toldMsg is one outbox message as other systems receive it.
type toldMsg struct {
	Topic, Key string
	Raw        json.RawMessage
	events.Message
}

// toldAfter is the outbox's messages after its first n, in the order written.
func (h *hub) toldAfter(n int) []toldMsg {
	h.t.Helper()
	var rows []struct {
		ID      string `db:"id"`
		Topic   string `db:"topic"`
		Key     string `db:"msg_key"`
		Payload []byte `db:"payload"`
	}
	if err := h.app.DB.Select(&rows, "SELECT id, topic, msg_key, payload FROM outbox ORDER BY id"); err != nil {
		h.t.Fatal(err)
	}
	var out []toldMsg
	for _, r := range rows[n:] {
		m := toldMsg{Topic: r.Topic, Key: r.Key, Raw: r.Payload}
		if err := json.Unmarshal(r.Payload, &m.Message); err != nil {
			h.t.Fatalf("outbox %s holds no event message: %v: %s", r.Topic, err, r.Payload)
		}
		out = append(out, m)
	}
	return out
}

func toldTypes(ms []toldMsg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Type
	}
	return out
}

// toldEventRow is a timeline event as stored.
type toldEventRow struct {
	Kind       string  `db:"kind"`
	CustomerID *string `db:"customer_id"`
	CaseID     *string `db:"case_id"`
	Subject    string  `db:"actor_subject"`
	Data       []byte  `db:"data"`
}

// toldTimelineEvent is the timeline event with id, if there is one.
func (h *hub) toldTimelineEvent(id string) (toldEventRow, bool) {
	h.t.Helper()
	var rows []toldEventRow
	if err := h.app.DB.Select(&rows, h.app.DB.Rebind("SELECT kind, customer_id, case_id, actor_subject, data FROM timeline_events WHERE id = ?"), id); err != nil {
		h.t.Fatal(err)
	}
	if len(rows) == 0 {
		return toldEventRow{}, false
	}
	return rows[0], true
}

// wantTold is what one outbox message should say, and whether its event is on a timeline.
type wantTold struct {
	Type                           string
	Key, CustomerID, CaseID, Queue string
	Service                        int
	Actor                          string // the actor's subject
	Data                           map[string]any
	OnTimeline                     bool
}

// checkTold fails unless m is the message w describes, with its timeline event (the same
// id, kind, places and data) exactly when w says so.
func (h *hub) checkTold(t *testing.T, m toldMsg, w wantTold) {
	t.Helper()
	got := wantTold{Type: m.Type, Key: m.Key, CustomerID: m.CustomerID, CaseID: m.CaseID, Queue: m.Queue, Service: m.Service,
		Actor: m.Actor.Subject, OnTimeline: w.OnTimeline}
	if err := json.Unmarshal(m.Data, &got.Data); err != nil {
		t.Fatalf("%s data: %v", m.Type, err)
	}
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("%s message (-want +got):\n%s", w.Type, diff)
	}
	if m.Topic != m.Type || m.Version != 1 || m.ID == "" || m.OccurredAt.IsZero() {
		t.Errorf("%s envelope: topic %q, version %d, id %q, at %v", w.Type, m.Topic, m.Version, m.ID, m.OccurredAt)
	}
	var envelope struct {
		Actor map[string]string `json:"actor"`
	}
	if err := json.Unmarshal(m.Raw, &envelope); err != nil || envelope.Actor["subject"] != w.Actor || len(envelope.Actor) != 2 {
		t.Errorf("%s actor as sent: %s", w.Type, m.Raw)
	}
	row, found := h.toldTimelineEvent(m.ID)
	if found != w.OnTimeline {
		t.Fatalf("%s on a timeline: %v, want %v", w.Type, found, w.OnTimeline)
	}
	if !found {
		return
	}
	var data map[string]any
	if err := json.Unmarshal(row.Data, &data); err != nil {
		t.Fatal(err)
	}
	if row.Kind != w.Type || orEmpty(row.CustomerID) != w.CustomerID || orEmpty(row.CaseID) != w.CaseID || row.Subject != w.Actor {
		t.Errorf("%s timeline row: kind %q, customer %q, case %q, actor %q", w.Type, row.Kind, orEmpty(row.CustomerID), orEmpty(row.CaseID), row.Subject)
	}
	if diff := cmp.Diff(w.Data, data); diff != "" {
		t.Errorf("%s timeline data differs from the message's (-message +timeline):\n%s", w.Type, diff)
	}
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// wantToldTypes fails unless ms are messages of exactly these types, in this order.
func wantToldTypes(t *testing.T, what string, ms []toldMsg, types ...string) {
	t.Helper()
	if diff := cmp.Diff(types, toldTypes(ms)); diff != "" {
		t.Fatalf("%s: outbox messages (-want +got):\n%s", what, diff)
	}
}

func TestEvents_ContactsRecordOneTypedMessageEachAndTheirTimelineEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
		customerID := cust.Id.String()

		mark := h.count("outbox")
		known := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &cust.Id})
		cs, _ := known.Case.Get()
		caseID, contactID := cs.Id.String(), known.Contact.Id.String()
		got := h.toldAfter(mark)
		wantToldTypes(t, "a known caller's contact", got, "case.opened", "contact.recorded", "case.contact_linked")
		h.checkTold(t, got[1], wantTold{Type: "contact.recorded", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
			Queue: cs.Queue, Actor: "agent-alice", OnTimeline: true,
			Data: map[string]any{"contactId": contactID, "channel": "phone", "service": float64(58), "outcome": "in_progress"}})

		mark = h.count("outbox")
		timelineBefore := h.count("timeline_events")
		unknown := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelFaceToFace, Centre: ptr("civic-centre"),
			Service: councilTax(), CreateCustomer: ptr(false), Identifiers: &[]contacthub.IdentifierInput{phone("07700900999")}})
		if unknown.Customer.IsSpecified() && !unknown.Customer.IsNull() {
			t.Fatalf("an unknown caller was given a customer: %+v", unknown)
		}
		unknownID := unknown.Contact.Id.String()
		got = h.toldAfter(mark)
		wantToldTypes(t, "an unknown caller's contact", got, "contact.recorded")
		h.checkTold(t, got[0], wantTold{Type: "contact.recorded", Key: unknownID, Service: 58, Actor: "agent-alice",
			Data: map[string]any{"contactId": unknownID, "channel": "face_to_face", "service": float64(58), "outcome": "in_progress", "centre": "civic-centre"}})
		if h.count("timeline_events") != timelineBefore {
			t.Fatal("a contact with no customer and no case went on a timeline")
		}

		// Ending a contact offers it to the survey (this hub has no SMS provider: skipped).
		mark = h.count("outbox")
		ended, err := ag.UpdateContactWithResponse(ctx, known.Contact.Id, &contacthub.UpdateContactParams{IfMatch: "*"},
			contacthub.ContactPatch{EndedAt: ptr(time.Now().UTC()), Summary: ptr("asked about a bill")})
		if err != nil || ended.JSON200 == nil {
			t.Fatalf("end contact: %v %s", err, ended.Body)
		}
		got = h.toldAfter(mark)
		wantToldTypes(t, "ending a known caller's contact", got, "survey.skipped", "contact.updated")
		h.checkTold(t, got[0], wantTold{Type: "survey.skipped", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
			Queue: cs.Queue, Actor: "agent-alice", OnTimeline: true,
			Data: map[string]any{"contactId": contactID, "reason": "no SMS provider is configured"}})
		h.checkTold(t, got[1], wantTold{Type: "contact.updated", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
			Queue: cs.Queue, Actor: "agent-alice", OnTimeline: true,
			Data: map[string]any{"contactId": contactID, "fields": []any{"endedAt", "summary"}, "outcome": "in_progress"}})

		mark = h.count("outbox")
		if r, _ := ag.UpdateContactWithResponse(ctx, unknown.Contact.Id, &contacthub.UpdateContactParams{IfMatch: "*"},
			contacthub.ContactPatch{Outcome: ptr(contacthub.OutcomeSelfServed)}); r.JSON200 == nil {
			t.Fatalf("update unknown caller's contact: %s", r.Body)
		}
		got = h.toldAfter(mark)
		wantToldTypes(t, "updating an unknown caller's contact", got, "contact.updated")
		h.checkTold(t, got[0], wantTold{Type: "contact.updated", Key: unknownID, Service: 58, Actor: "agent-alice",
			Data: map[string]any{"contactId": unknownID, "fields": []any{"outcome"}, "outcome": "self_served"}})
	})
}

func TestEvents_RatingsReferralsAndRuleSetsRecordTypedMessages(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		call := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 69},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900811")}})
		cust, _ := call.Customer.Get()
		cs, _ := call.Case.Get()
		customerID, caseID := cust.Id.String(), cs.Id.String()

		mark, timelineBefore := h.count("outbox"), h.count("timeline_events")
		web, err := h.client("").RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage,
			Score: ptr(4), PageUrl: ptr("https://www.council.example/council-tax/pay?account=512345678")})
		if err != nil || web.JSON201 == nil {
			t.Fatalf("web rating: %v %s", err, web.Body)
		}
		got := h.toldAfter(mark)
		wantToldTypes(t, "an anonymous web page rating", got, "rating.recorded")
		webID := pageReceipt(t, web).Id.String()
		h.checkTold(t, got[0], wantTold{Type: "rating.recorded", Key: got[0].ID, Actor: "anonymous",
			Data: map[string]any{"ratingId": webID, "source": "web_page", "score": float64(4),
				"pageUrl": "https://www.council.example/council-tax/pay", "channel": "web_self_service"}})
		if h.count("timeline_events") != timelineBefore {
			t.Fatal("a rating with no customer went on a timeline")
		}

		mark = h.count("outbox")
		byAgent, _ := ag.RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceAgentRecorded,
			Score: ptr(5), Comment: ptr(" very helpful "), CaseId: &cs.Id})
		rating := staffRating(t, byAgent)
		got = h.toldAfter(mark)
		wantToldTypes(t, "a rating an agent recorded", got, "rating.recorded")
		data := map[string]any{"ratingId": rating.Id.String(), "source": "agent_recorded", "score": float64(5),
			"comment": "very helpful", "channel": "phone", "tier": float64(cs.Tier)}
		if cs.Assignee != nil && *cs.Assignee != "" {
			data["agent"] = *cs.Assignee
		}
		h.checkTold(t, got[0], wantTold{Type: "rating.recorded", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 69,
			Queue: cs.Queue, Actor: "agent-alice", OnTimeline: true, Data: data})

		mark = h.count("outbox")
		ref, err := ag.ReferCaseWithResponse(ctx, cs.Id, nil, contacthub.ReferralCreate{Partner: "citizens-advice", Reason: "debt advice"})
		if err != nil || ref.JSON201 == nil {
			t.Fatalf("refer: %v %s", err, ref.Body)
		}
		referralID := ref.JSON201.Id.String()
		got = h.toldAfter(mark)
		wantToldTypes(t, "a referral made", got, "referral.made")
		h.checkTold(t, got[0], wantTold{Type: "referral.made", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 69,
			Queue: cs.Queue, Actor: "agent-alice", OnTimeline: true,
			Data: map[string]any{"referralId": referralID, "partner": "citizens-advice", "status": "sent", "reason": "debt advice"}})

		mark = h.count("outbox")
		if r, _ := ag.UpdateReferralWithResponse(ctx, ref.JSON201.Id, nil, contacthub.ReferralPatch{Status: contacthub.Accepted,
			Note: ptr("appointment booked")}); r.JSON200 == nil {
			t.Fatalf("update referral: %s", r.Body)
		}
		got = h.toldAfter(mark)
		wantToldTypes(t, "a referral updated", got, "referral.updated")
		h.checkTold(t, got[0], wantTold{Type: "referral.updated", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 69,
			Queue: cs.Queue, Actor: "agent-alice", OnTimeline: true,
			Data: map[string]any{"referralId": referralID, "partner": "citizens-advice", "status": "accepted", "from": "sent",
				"note": "appointment booked"}})

		mark, timelineBefore = h.count("outbox"), h.count("timeline_events")
		pub, err := supervisor(h).PublishRuleSetWithResponse(ctx, nil, everythingToTier2(t))
		if err != nil || pub.JSON201 == nil {
			t.Fatalf("publish: %v %s", err, pub.Body)
		}
		got = h.toldAfter(mark)
		wantToldTypes(t, "a rule set published and activated", got, "routing.rules_published", "routing.rules_activated")
		h.checkTold(t, got[0], wantTold{Type: "routing.rules_published", Key: "routing.rules", Actor: "sup-sam",
			Data: map[string]any{"version": float64(2)}})
		h.checkTold(t, got[1], wantTold{Type: "routing.rules_activated", Key: "routing.rules", Actor: "sup-sam",
			Data: map[string]any{"version": float64(2)}})
		if h.count("timeline_events") != timelineBefore {
			t.Fatal("a rule set's activation went on a timeline")
		}
	})
}

// A call through the IVR: its contact and case events on the way in, its survey
// decision and the contact's update at the hang-up, each once.
func TestEvents_IVRCallsAndSurveysRecordTypedMessages(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := ivrHub(t, b) // Notify configured, nothing sent
			ag := h.agent()
			cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"), Consents: &contacthub.Consents{SmsSurveys: ptr(true)},
				Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
			customerID := cust.Id.String()
			start := time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)

			mark := h.count("outbox")
			status, ans := event(t, h, map[string]any{"event": "newCall", "callId": "call-1", "from": "447700900123",
				"at": start.Format(time.RFC3339), "attributes": map[string]string{"menu": "1"}}, "")
			if status != 200 {
				t.Fatalf("newCall: %d %v", status, ans)
			}
			contactID := ans["contactId"].(string)
			got := h.toldAfter(mark)
			wantToldTypes(t, "a known caller's new call", got, "case.opened", "contact.recorded", "case.contact_linked")
			caseID, queue := got[1].CaseID, got[0].Queue
			h.checkTold(t, got[1], wantTold{Type: "contact.recorded", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
				Queue: queue, Actor: "ivr", OnTimeline: true,
				Data: map[string]any{"contactId": contactID, "channel": "ivr", "service": float64(58), "outcome": "in_progress"}})

			mark = h.count("outbox")
			if status, out := event(t, h, map[string]any{"event": "answer", "callId": "call-1", "user": "agent-olu",
				"at": start.Add(time.Minute).Format(time.RFC3339)}, ""); status != 200 {
				t.Fatalf("answer: %d %v", status, out)
			}
			got = h.toldAfter(mark)
			wantToldTypes(t, "an answered call", got, "contact.updated")
			h.checkTold(t, got[0], wantTold{Type: "contact.updated", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
				Queue: queue, Actor: "ivr", OnTimeline: true,
				Data: map[string]any{"contactId": contactID, "fields": []any{"agent"}, "outcome": "in_progress"}})

			// A transfer hands the case off; the contact's later events follow it to its queue.
			mark = h.count("outbox")
			if status, out := event(t, h, map[string]any{"event": "transfer", "callId": "call-1", "queue": "blt-officers",
				"at": start.Add(2 * time.Minute).Format(time.RFC3339)}, ""); status != 200 {
				t.Fatalf("transfer: %d %v", status, out)
			}
			got = h.toldAfter(mark)
			wantToldTypes(t, "a transferred call", got, "case.handed_off")
			if got[0].Queue != "blt-officers" || got[0].CaseID != caseID {
				t.Fatalf("hand-off message: %s", got[0].Raw)
			}
			queue = "blt-officers"

			mark = h.count("outbox")
			if status, out := event(t, h, map[string]any{"event": "hangup", "callId": "call-1", "cause": "normalClearing",
				"at": start.Add(4 * time.Minute).Format(time.RFC3339)}, ""); status != 200 {
				t.Fatalf("hangup: %d %v", status, out)
			}
			got = h.toldAfter(mark)
			wantToldTypes(t, "a call hung up", got, "survey.scheduled", "contact.updated")
			var scheduled events.SurveyScheduledData
			if err := json.Unmarshal(got[0].Data, &scheduled); err != nil || scheduled.SendAfter.Before(start) {
				t.Fatalf("survey.scheduled data: %v %s", err, got[0].Data)
			}
			sendAfter := scheduled.SendAfter
			h.checkTold(t, got[0], wantTold{Type: "survey.scheduled", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
				Queue: queue, Actor: "ivr", OnTimeline: true,
				Data: map[string]any{"contactId": contactID, "sendAfter": sendAfter.UTC().Format(time.RFC3339Nano)}})
			h.checkTold(t, got[1], wantTold{Type: "contact.updated", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
				Queue: queue, Actor: "ivr", OnTimeline: true,
				Data: map[string]any{"contactId": contactID, "fields": []any{"endedAt"}, "outcome": "in_progress"}})

			// The caller's keypad score rates the call: the case's queue is where it went.
			mark = h.count("outbox")
			if status, out := event(t, h, map[string]any{"event": "dtmf", "callId": "call-1", "digits": "4",
				"attributes": map[string]string{"purpose": "survey"}}, ""); status != 200 {
				t.Fatalf("dtmf: %d %v", status, out)
			}
			got = h.toldAfter(mark)
			wantToldTypes(t, "a keypad score", got, "rating.recorded")
			var keypad struct {
				ID   string `db:"id"`
				Tier int    `db:"tier"`
			}
			if err := h.app.DB.Get(&keypad, "SELECT id, tier FROM ratings"); err != nil {
				t.Fatal(err)
			}
			h.checkTold(t, got[0], wantTold{Type: "rating.recorded", Key: caseID, CustomerID: customerID, CaseID: caseID, Service: 58,
				Queue: queue, Actor: "ivr", OnTimeline: true,
				Data: map[string]any{"ratingId": keypad.ID, "source": "ivr", "score": float64(4), "contactId": contactID,
					"channel": "ivr", "tier": float64(keypad.Tier), "agent": "agent-olu"}})

			// A web form from the same customer is not followed by an SMS survey.
			mark = h.count("outbox")
			form := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelWebForm, Service: councilTax(), CustomerId: &cust.Id,
				StartedAt: ptr(time.Now().UTC().Add(-time.Minute)), EndedAt: ptr(time.Now().UTC())})
			got = h.toldAfter(mark)
			wantToldTypes(t, "an ended web form", got, "contact.recorded", "case.contact_linked", "survey.skipped")
			formCase, _ := form.Case.Get()
			h.checkTold(t, got[2], wantTold{Type: "survey.skipped", Key: formCase.Id.String(), CustomerID: customerID, CaseID: formCase.Id.String(),
				Service: 58, Queue: formCase.Queue, Actor: "agent-alice", OnTimeline: true,
				Data: map[string]any{"contactId": form.Contact.Id.String(), "reason": "contacts on this channel are not surveyed by SMS"}})
		})
	}
}

// The survey sender tells of each survey it sends, as the hub itself.
func TestEvents_SurveySentIsTheHubsOwnEvent(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			notify := newFakeNotify(t)
			h := surveyHub(t, b, func(c *config.Config) {
				c.SMSProvider, c.NotifyAPIKey, c.NotifyBaseURL, c.NotifyTemplateID = "notify", notifyKey, notify.server.URL, "t"
			})
			ag := h.agent()
			cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"), Consents: &contacthub.Consents{SmsSurveys: ptr(true)},
				Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}})
			mark := h.count("outbox")
			call := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &cust.Id,
				StartedAt: ptr(time.Now().UTC().Add(-time.Minute)), EndedAt: ptr(time.Now().UTC())})
			var sent []toldMsg
			waitFor(t, "survey.sent in the outbox", func() bool {
				sent = nil
				for _, m := range h.toldAfter(mark) {
					if m.Type == "survey.sent" {
						sent = append(sent, m)
					}
				}
				return len(sent) > 0
			})
			var surveyID string
			if err := h.app.DB.Get(&surveyID, "SELECT id FROM surveys"); err != nil {
				t.Fatal(err)
			}
			if len(sent) != 1 || sent[0].Actor != events.System {
				t.Fatalf("survey.sent messages: %+v", sent)
			}
			h.checkTold(t, sent[0], wantTold{Type: "survey.sent", Key: cust.Id.String(), CustomerID: cust.Id.String(), Service: 58,
				Actor: "contacthub", OnTimeline: true,
				Data: map[string]any{"surveyId": surveyID, "contactId": call.Contact.Id.String(), "provider": "notify"}})
		})
	}
}
