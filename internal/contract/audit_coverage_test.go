package contract

import (
	"context"
	"fmt"
	"testing"
)

// Every operation of openapi.yaml either adds an audit entry when it succeeds (issue 14)
// or is listed below with why not: a route added without either fails the test, so a
// new read of people cannot ship unaudited by being forgotten.
var auditsNothing = map[string]string{
	// Neither shows nor changes a person.
	"getHealth": "platform", "getReadiness": "platform", "getOpenAPI": "platform", "getPageRatingWidget": "platform",
	"getCatalogue": "the council's services, centres and partners", "listEventTypes": "the catalogue of event types",
	"publishRuleSet": "routing rules", "activateRuleSet": "routing rules", "getRuleSet": "routing rules",
	"listRuleSets": "routing rules", "decideRouting": "a dry run on facts the caller gives, naming nobody",
	"simulateRouting": "counts of how recorded contacts would route", "listQueues": "queues and their counts",
	"getRoutingReport": "aggregate figures", "getSatisfactionReport": "aggregate figures (staff, not residents, by name)",
	"getLandlordTakeUp": "aggregate figures", "getChannelShiftReport": "aggregate figures",
	"getResolutionReport": "aggregate figures", "getAvoidableReport": "aggregate figures",
	"getCostToServeReport": "aggregate figures", "getQAReport": "aggregate figures of officers' work",
	"getWorkforceForecast": "aggregate counts", "getForecastAccuracy": "aggregate counts",
	"planStaffing": "arithmetic on the caller's volumes", "createCalendarEntry": "a demand calendar",
	"listCalendarEntries": "a demand calendar", "deleteCalendarEntry": "a demand calendar",
	"createWebhook": "a subscription", "listWebhooks": "subscriptions", "getWebhook": "a subscription",
	"updateWebhook": "a subscription", "deleteWebhook": "a subscription", "rotateWebhookSecret": "a subscription",
	"listWebhookDeliveries": "delivery metadata: event ids, statuses, latencies, no bodies",
	"publishQAPlan":         "a sampling plan", "listQAPlans": "sampling plans",
	"listQAReviews":  "reviews of officers' work: case ids and officers, nobody's record",
	"startQARun":     "picks case ids for review; the reviewer's reads of them are audited",
	"createLandlord": "an organisation", "addLandlordProperty": "a property", "inviteLandlordUser": "an invitation to an organisation",
	"acceptInvitation": "joins a user to an organisation", "listMyProperties": "properties; a landlord learns nothing of tenants (MyProperty)",
	"listAudit": "the audit itself: ids and subjects, read by admins only",
	// Audited only when they show someone, which the table's try does not; the
	// privacy contract tests show the entries when they do.
	"matchCustomer":  "audited when it returns a person (TestPrivacy_ReadsAndWritesOfPersonalDataAreAudited)",
	"postIVREvent":   "audited when the caller is known (TestPrivacy_ReadsAndWritesOfPersonalDataAreAudited)",
	"listExceptions": "audited when rows name customers (repeat-customers); other kinds list cases",
	"recordRating":   "an anonymous page rating names nobody; a rating of a contact or case is audited",
	// Calls from the SMS providers: nobody reads; what they change (a survey's state, a
	// reply, consent withdrawn) is an event on the customer's timeline.
	"notifyDeliveryStatus": "provider callback", "notifyReceivedText": "provider callback",
	"twilioMessageStatus": "provider callback", "twilioInboundSMS": "provider callback",
	"retryWebhookDelivery": "audited when the event names a customer (TestWebhooks_TheLogShows…)",
	"recordQAOutcome":      "a pass changes no case; a failure that reopens one is audited (TestQA_…: the reopening outcome)",
	// A stream the table's try opens and closes at once shows nobody; one that shows
	// customers records them when it ends and each minute it runs.
	"streamEvents":   "audited when it shows someone (TestStream_WhomAStreamShowedIsAudited)",
	"streamMyEvents": "audited when it shows the resident an event, as streamEvents is",
}

func TestAudit_EveryOperationOnPeopleIsAudited(t *testing.T) {
	everyOperationTried(t, allOperations(t), auditsNothing, "auditsNothing",
		"operations are neither audited nor listed in auditsNothing", (*world).audits)
}

// allOperations are the operationIds of openapi.yaml.
func allOperations(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, item := range loadedSpec(t).Paths.Map() {
		for _, op := range item.Operations() {
			out[op.OperationID] = true
		}
	}
	return out
}

// audits sends req as r and says what is wrong ("" when nothing is): the answer is not
// a success, or the audit gained no entry.
func (w *world) audits(t *testing.T, r role, req cellReq) string {
	t.Helper()
	before := w.auditCount(t)
	resp, body := w.do(t, r, req)
	if resp.StatusCode/100 != 2 {
		return fmt.Sprintf("not exercised: %s %s answered %d %s", req.method, req.path, resp.StatusCode, body)
	}
	if w.auditCount(t) == before {
		return fmt.Sprintf("%s %s (%d) added no audit entry", req.method, req.path, resp.StatusCode)
	}
	return ""
}

func (w *world) auditCount(t *testing.T) int {
	t.Helper()
	if err := w.h.app.Audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := w.h.app.DB.Get(&n, "SELECT count(*) FROM audit_entries"); err != nil {
		t.Fatal(err)
	}
	return n
}
