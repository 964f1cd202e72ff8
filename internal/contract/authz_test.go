package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/sms"
)

// The authorisation table (issue 12, "make the class impossible"): every operation of
// openapi.yaml, for every kind of caller, on the caller's own record, someone else's and
// one that does not exist, states the answer the hub must give, and the test asks the
// hub each one on SQLite and on PostgreSQL with Redis. An operation of the spec without a
// row, or a row for an operation the spec does not have, fails the test, so a route
// cannot ship without its line here; so does a row that x-roles contradict.
//
// Every difference is listed at the end of each backend's run as one table. Set
// CONTACTHUB_AUTHZ_PRINT=1 to print what the hub answered, laid out like the table.

// authzPolicy is the table. Columns are who calls: none (no token), a citizen (whose
// own record is customer A), a user of landlord A, agents of tier 1 and tier 3, a
// supervisor, an admin, an integration. A cell is the answer, or own/other/none for an
// operation on one record: the caller's own (A's; for staff, a tier 1 case), someone
// else's (B's; a tier 3 case), one that does not exist. One status alone holds for all
// three. Refusals are problem+json of the type that goes with the status: 401
// unauthenticated (with WWW-Authenticate: Bearer), 403 forbidden, 404 not-found, 409
// conflict, 422 invalid-value (naming the field the row's try gives). "2xx" is any
// success; "-" is not tried. A "*" marks a cell the hub is known to answer otherwise (none
// today): the test fails on it like on any other cell. Rows "operation+variant" try an operation a second way.
const authzPolicy = `
operation                     none           citizen      landlord       agent1        agent3        supervisor    admin         integration    qa
# Platform: anyone.
getHealth                     200            200          200            200           200           200           200           200            200
getReadiness                  200            200          200            200           200           200           200           200            200
getOpenAPI                    200            200          200            200           200           200           200           200            200
getPageRatingWidget           200            200          200            200           200           200           200           200            200

# Customers: staff and integrations. Citizens use /v1/me, never the staff routes.
createCustomer                401            403          403            201           201           201           201           201            403
searchCustomers               401            403          403            200           200           200           200           200            403
matchCustomer                 401            403          403            200           200           200           200           200            403
getCustomer                   401            403         403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404     200/200/404
updateCustomer                401            403         403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404     403
addCustomerIdentifier         401            403          403            201/201/404   201/201/404   201/201/404   201/201/404   201/201/404    403
removeCustomerIdentifier      401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    403
mergeCustomer                 401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   403            403
getMerge                      401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   403            403
undoMerge                     401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   403            403
getCustomerTimeline           401            403         403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404     403

# Contacts and cases. Every agent reads, and so does the compliance team (qa), which reads
# the cases it reviews (and their customers) but changes nothing; changing a case needs the case's tier or its
# claim (own: tier 1; other: tier 3, held by nobody; +held: tier 3, held by the caller).
recordContact                 401            403          403            201           201           201           201           201            403
listContacts                  401            403          403            200           200           200           200           200            200
getContact                    401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    200/200/404
updateContact                 401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    403
openCase                      401            403          403            201           201           201           201           201            403
listCases                     401            403          403            200           200           200           200           200            403
getCase                       401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    200/200/404
updateCase                    401            403          403            200/403/404  200/200/404   200/200/404   200/200/404   403             403
updateCase+held               -              -            -              200           200           200           200           -              -
addCaseNote                   401            403          403            201/403/404  201/201/404   201/201/404   201/201/404   403             403
addCaseNote+held              -              -            -              201           201           201           201           -              -
resolveCase                   401            403          403            200/403/404  200/200/404   200/200/404   200/200/404   403             403
resolveCase+held              -              -            -              200           200           200           200           -              -
reopenCase                    401            403          403            200/403/404  200/200/404   200/200/404   200/200/404   403             403
getCaseTimeline               401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    200/200/404
referCase                     401            403          403            201/201/404   201/201/404   201/201/404   201/201/404   403            403
listCaseReferrals             401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    200/200/404
updateReferral                401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    403
getCatalogue                  401            403          403            200           200           200           200           200            403
listEventTypes                401            403          403            200           200           200           200           200            403
streamEvents                  401            403          403            200           200           200           200           200            403

# Routing and queues. Rules are published and activated by supervisors.
# getRuleSet, activateRuleSet: own is version 1, other a later one. claimNextCase: own
# is a tier 1 queue, other a tier 3 queue. releaseCase: own is a case the caller holds,
# other a tier 3 case another agent holds, which only a supervisor may take off them.
listRuleSets                  401            403          403            200           200           200           200           200            403
publishRuleSet                401            403          403            403           403           201           201           403            403
getRuleSet                    401            403          403            200/200/404   200/200/404   200/200/404   200/200/404   200/200/404    403
activateRuleSet               401            403          403            403           403           200/200/404   200/200/404   403            403
decideRouting                 401            403          403            200           200           200           200           200            403
simulateRouting               401            403          403            403           403           200           200           403            403
handOffCase                   401            403          403            201/403/404  201/201/404   201/201/404   201/201/404   403             403
handOffCase+held              -              -            -              201           201           201           201           -              -
releaseCase                   401            403          403            200/403/404   200/403/404   200/200/404   200/200/404   403            403
listQueues                    401            403          403            200           200           200           200           403            403
claimNextCase                 401            403          403            2xx/403/404   2xx/2xx/404   2xx/2xx/404   2xx/2xx/404   403            403
getRoutingReport              401            403          403            403           403           200           200           403            200

# Satisfaction. Anyone rates a web page; naming a contact or case is refused to anonymous
# callers (403 naming the field), citizens (they rate through /v1/me) and landlords.
# A kiosk score comes from an integration (or staff); an agent_recorded one from staff.
# qa (issue 17): a compliance officer's token is not among the route's x-roles, so it is refused.
recordRating                  201            201          201            201           201           201           201           201            403
recordRating+contactId        403/403/403    403          403           201/201/422   201/201/422   201/201/422   201/201/422   201/201/422     403
recordRating+caseId           403/403/403    403          403           201/201/422   201/201/422   201/201/422   201/201/422   201/201/422     403
recordRating+kiosk            401            403          403            201           201           201           201           201            403
recordRating+agentRecorded    401            403          403            201/201/422   201/201/422   201/201/422   201/201/422   403            403
getSatisfactionReport         401            403          403            403           403           200           200           403            200

# Provider callbacks authenticate the provider: a user's token is not the Notify
# callback token and no user signs as Twilio. +token, +signature: the provider's own.
notifyReceivedText            401            401          401            401           401           401           401           401            401
notifyReceivedText+token      204            -            -              -             -             -             -             -              -
notifyDeliveryStatus          401            401          401            401           401           401           401           401            401
notifyDeliveryStatus+token    204            -            -              -             -             -             -             -              -
twilioInboundSMS              403            403          403            403           403           403           403           403            403
twilioInboundSMS+signature    204            -            -              -             -             -             -             -              -
twilioMessageStatus           403            403          403            403           403           403           403           403            403
twilioMessageStatus+signature 204            -            -              -             -             -             -             -              -
postIVREvent                  401            403          403            403           403           403           403           200            403
postIVREvent+ivrToken         200            -            -              -             -             -             -             -              -

# My Account: citizens, on their own record and cases only.
getMe                         401            200          403            403           403           403           403           403            403
updateMe                      401            200          403            403           403           403           403           403            403
listMyCases                   401            200          403            403           403           403           403           403            403
getMyCase                     401            200/404/404  403            403           403           403           403           403            403
contactFromMyAccount          401            201          403            403           403           403           403           403            403
contactFromMyAccount+caseId   401            201/404/404  403            403           403           403           403           403            403
rateFromMyAccount             401            201/404/404  403            403           403           403           403           403            403
streamMyEvents                401            200          403            403           403           403           403           403            403

# Landlords: staff set them up; a landlord user acts for its own organisation, on its
# current tenancies, and sees only the cases it raised. An invitation is good once:
# +used was accepted by another user already; +race is sixteen new users at once.
# addTenancy answers a property that is not the path's landlord's with 422 (its spec has
# no 404), also when that landlord does not exist.
createLandlord                401            403          403            201           201           201           201           403            403
addLandlordProperty           401            403          403            201/201/404   201/201/404   201/201/404   201/201/404   403            403
addTenancy                    401            403          403            201/201/422   201/201/422   201/201/422   201/201/422   403            403
inviteLandlordUser            401            403          403            201/201/404   201/201/404   201/201/404   201/201/404   403            403
acceptInvitation              401            403          200/403/404    403           403           403           403           403            403
acceptInvitation+used         401            403          409            403           403           403           403           403            403
acceptInvitation+race         -              -            409           -             -             -             -             -               -
listMyProperties              401            403          200            403           403           403           403           403            403
landlordContact               401            403          201/404/404   403           403           403           403           403             403
landlordContact+endedTenancy  401            403          422           403           403           403           403           403             403
listLandlordCases             401            403          200           403           403           403           403           403             403
getLandlordTakeUp             401            403          403            403           403           200           200           403            200

# Reports (issue 15): channel shift, resolution, avoidable contacts, cost to serve.
getChannelShiftReport         401            403          403            403           403           200           200           403            200
getResolutionReport           401            403          403            403           403           200           200           403            200
getAvoidableReport            401            403          403            403           403           200           200           403            200
getCostToServeReport          401            403          403            403           403           200           200           403            200

# Webhooks: admins manage any subscription, an integration its own (own: made with the
# caller's subject; other: another integration's, which an integration cannot tell from
# one that does not exist).
createWebhook                 401            403          403            403           403           403           201           201            403
listWebhooks                  401            403          403            403           403           403           200           200            403
getWebhook                    401            403          403            403           403           403           200/200/404   200/404/404    403
updateWebhook                 401            403          403            403           403           403           200/200/404   200/404/404    403
deleteWebhook                 401            403          403            403           403           403           204/204/404   204/404/404    403
rotateWebhookSecret           401            403          403            403           403           403           200/200/404   200/404/404    403
listWebhookDeliveries         401            403          403            403           403           403           200/200/404   200/404/404    403
retryWebhookDelivery          401            403          403            403           403           403           200/200/404   200/404/404    403
replayWebhook                 401            403          403            403           403           403           202/202/404   202/404/404    403

# Compliance (issue 17): exception reports for supervisors and the compliance team (qa);
# QA plans, runs and outcomes for the compliance team (admins include it); any officer
# lists reviews, seeing only those of their own work. +badParameter: a threshold the kind
# does not read. recordQAOutcome: own is a pending review, other one already reviewed.
listExceptions                401            403          403            403           403           200           200           403            200
listExceptions+badParameter   401            403          403            403           403           422           422           403            422
listQAPlans                   401            403          403            403           403           200           200           403            200
publishQAPlan                 401            403          403            403           403           403           201           403            201
startQARun                    401            403          403            403           403           403           201           403            201
listQAReviews                 401            403          403            200           200           200           200           403            200
recordQAOutcome               401            403          403            403           403           403           200/409/404   403            200/409/404
getQAReport                   401            403          403            403           403           200           200           403            200

# Workforce (issue 16): supervisors forecast demand and staff it. Calendar entries are the
# council's, not one supervisor's: own and other are both entries, none is no such entry.
# +serviceLevel asks for a service level of 1.2 (422 naming serviceLevel.target).
getWorkforceForecast          401            403          403            403           403           200           200           403            403
getForecastAccuracy           401            403          403            403           403           200           200           403            403
planStaffing                  401            403          403            403           403           200           200           403            403
planStaffing+serviceLevel     401            403          403            403           403           422           422           403            403
createCalendarEntry           401            403          403            403           403           201           201           403            403
listCalendarEntries           401            403          403            403           403           200           200           403            403
deleteCalendarEntry           401            403          403            403           403           204/204/404   204/204/404   403            403

# Privacy (issue 14): the audit, subject access exports and erasure are the admin's; a
# citizen exports their own record through /v1/me. +customerId: own is A, other B, and
# one that does not exist is 422 naming customerId. eraseCustomer erases a new customer
# with no case (own and other alike); +noReason sends no reason (422 naming reason).
listAudit                     401            403          403            403           403           403           200           403            403
listAudit+customerId          401            403          403            403           403           403           200/200/422   403            403
exportCustomer                401            403          403            403           403           403           200/200/404   403            403
eraseCustomer                 401            403          403            403           403           403           200/200/404   403            403
eraseCustomer+noReason        401            403          403            403           403           403           422           403            403
exportMe                      401            200          403            403           403           403           403           403            403
`

// authzRow is one line of the table.
type authzRow struct {
	op   string
	want [roleCount]string
	authzTry
}

// authzTry is how a row is tried.
type authzTry struct {
	req   func(t *testing.T, w *world, r role, res resource) cellReq
	check func(t *testing.T, w *world, r role, res resource, req cellReq, body []byte) error // on allowed cells
	field string                                                                             // a 422 names it
}

// parsePolicy reads the table and joins each row to its try.
func parsePolicy(t *testing.T) []authzRow {
	t.Helper()
	tries := authzTries()
	var rows []authzRow
	seen := map[string]bool{}
	lines := strings.Split(strings.TrimSpace(authzPolicy), "\n")
	if head := strings.Fields(lines[0]); !slices.Equal(head[1:], roleNames[:]) {
		t.Fatalf("the table's columns are %v, want %v", head[1:], roleNames)
	}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 1+int(roleCount) {
			t.Fatalf("the table's row %q has %d cells, want %d", f[0], len(f)-1, roleCount)
		}
		try, ok := tries[f[0]]
		if !ok {
			t.Fatalf("the table's row %s has no try in authzTries", f[0])
		}
		if seen[f[0]] {
			t.Fatalf("the table has two rows %s", f[0])
		}
		seen[f[0]] = true
		rows = append(rows, authzRow{op: f[0], want: [roleCount]string(f[1:]), authzTry: try})
	}
	for op := range tries {
		if !seen[op] {
			t.Errorf("authzTries has %s, which the table has no row for", op)
		}
	}
	return rows
}

// cellReq is the request one cell sends.
type cellReq struct {
	method, path string
	body         any // JSON-encoded, unless []byte
	contentType  string
	headers      []string
	token        *string // instead of the role's token
	fault        string  // a difference found while preparing the cell
	stream       bool    // a live stream: a success is judged by its status and Content-Type alone
}

func get(path string) cellReq { return cellReq{method: "GET", path: path} }

// streamOf is a GET of a live stream, which never ends by itself.
func streamOf(path string) cellReq { return cellReq{method: "GET", path: path, stream: true} }

func post(path string, body any) cellReq { return cellReq{method: "POST", path: path, body: body} }

func patch(path string, body any) cellReq {
	return cellReq{method: "PATCH", path: path, body: body, headers: []string{"If-Match", "*"}}
}

// fixed is a request that is the same for every cell.
func fixed(r cellReq) func(*testing.T, *world, role, resource) cellReq {
	return func(*testing.T, *world, role, resource) cellReq { return r }
}

// authzTries says how each row of the table is tried: the request a cell sends (built
// for the caller's role and the record it names), a check of an allowed answer's body,
// and the field a 422 must name.
func authzTries() map[string]authzTry {
	day := time.Now().UTC()
	days := "?from=" + day.AddDate(0, 0, -7).Format(time.DateOnly) + "&to=" + day.Format(time.DateOnly)
	period := "?from=" + url.QueryEscape(day.Add(-24*time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(day.Add(time.Hour).Format(time.RFC3339))

	return map[string]authzTry{
		// Platform.
		"getHealth":           {req: fixed(get("/healthz"))},
		"getReadiness":        {req: fixed(get("/readyz"))},
		"getOpenAPI":          {req: fixed(get("/openapi.yaml"))},
		"getPageRatingWidget": {req: fixed(get("/widget/v1/page-rating.js"))},

		// Customers: staff and integrations; citizens use /v1/me.
		"createCustomer": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/customers", js{"familyName": "New", "identifiers": []js{{"kind": "email", "value": w.email()}}})
		}},
		"searchCustomers": {req: fixed(get("/v1/customers?q=Citizen-A"))},
		"matchCustomer":   {req: fixed(post("/v1/customers/match", js{"familyName": "Citizen-A"}))},
		"getCustomer": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/customers/" + own(res, w.custA, w.custB))
		}, check: idIsPath},
		"updateCustomer": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return patch("/v1/customers/"+own(res, w.custA, w.custB), js{"needs": js{"preferredLanguage": "en"}})
		}, check: idIsPath},
		"addCustomerIdentifier": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/customers/"+own(res, w.custA, w.custB)+"/identifiers", js{"kind": "email", "value": w.email()})
		}},
		"removeCustomerIdentifier": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			customer, id := w.identifier(t, res)
			return cellReq{method: "DELETE", path: "/v1/customers/" + customer + "/identifiers/" + id}
		}},
		"mergeCustomer": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			survivor := own(res, w.newCustomer(t, "Survivor"), w.newCustomer(t, "Survivor"))
			return post("/v1/customers/"+survivor+"/merge", js{"duplicateId": w.newCustomer(t, "Duplicate"), "reason": "same person"})
		}},
		"getMerge": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/merges/" + own(res, w.mergeA, w.mergeB))
		}, check: idIsPath},
		"undoMerge": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			id := uuid.NewString()
			if res != missingResource {
				id = w.newMerge(t)
			}
			return post("/v1/merges/"+id+"/undo", js{"reason": "not the same person"})
		}},
		"getCustomerTimeline": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/customers/" + own(res, w.custA, w.custB) + "/timeline")
		}},

		// Contacts and cases.
		"recordContact": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/contacts", js{"channel": "phone", "service": js{"lgsl": 69}, "identifiers": []js{{"kind": "email", "value": w.email()}}})
		}},
		"listContacts": {req: fixed(get("/v1/contacts"))},
		"getContact": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/contacts/" + own(res, w.contactA, w.contactB))
		}, check: idIsPath},
		"updateContact": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return patch("/v1/contacts/"+own(res, w.contactA, w.contactB), js{"summary": "checked"})
		}},
		"openCase": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/cases", js{"customerId": w.custC, "service": js{"lgsl": 69}})
		}},
		"listCases": {req: fixed(get("/v1/cases"))},
		"getCase": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/cases/" + own(res, w.caseA, w.caseB))
		}, check: idIsPath},
		"updateCase": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return patch("/v1/cases/"+w.freshCase(t, res), js{"priority": 2})
		}},
		"addCaseNote": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+own(res, w.caseA, w.caseB)+"/notes", js{"text": "called back"})
		}},
		"resolveCase": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.freshCase(t, res)+"/resolve", js{"resolutionCode": "advice_given"})
		}},
		"reopenCase": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.resolvedCase(t, res)+"/reopen", js{"reason": "not resolved after all"})
		}},
		// The caller holds the claim on a tier 3 case: whatever its tier, it may change it.
		"updateCase+held": {req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return patch("/v1/cases/"+w.heldTier3(t, r), js{"priority": 2})
		}},
		"addCaseNote+held": {req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return post("/v1/cases/"+w.heldTier3(t, r)+"/notes", js{"text": "called back"})
		}},
		"resolveCase+held": {req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return post("/v1/cases/"+w.heldTier3(t, r)+"/resolve", js{"resolutionCode": "advice_given"})
		}},
		"handOffCase+held": {req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return post("/v1/cases/"+w.heldTier3(t, r)+"/handoffs", js{"queue": "blt-officers", "reason": "complexity"})
		}},
		"getCaseTimeline": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/cases/" + own(res, w.caseA, w.caseB) + "/timeline")
		}},
		"referCase": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.freshCase(t, res)+"/referrals", js{"partner": "citizens-advice", "reason": "debt advice"})
		}},
		"listCaseReferrals": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/cases/" + own(res, w.caseA, w.caseB) + "/referrals")
		}},
		"updateReferral": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return cellReq{method: "PATCH", path: "/v1/referrals/" + w.referral(t, res), body: js{"status": "accepted"}}
		}},
		"getCatalogue":   {req: fixed(get("/v1/catalogue"))},
		"listEventTypes": {req: fixed(get("/v1/event-types"))},
		"streamEvents":   {req: fixed(streamOf("/v1/events/stream"))},

		// Webhooks.
		"createWebhook": {req: fixed(post("/v1/webhooks", js{"url": authzWebhookURL, "eventTypes": []string{"*"}}))},
		"listWebhooks":  {req: fixed(get("/v1/webhooks"))},
		"getWebhook": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			return get("/v1/webhooks/" + w.webhook(t, r, res))
		}, check: idIsPath},
		"updateWebhook": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			return patch("/v1/webhooks/"+w.webhook(t, r, res), js{"description": "changed"})
		}, check: idIsPath},
		"deleteWebhook": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			return cellReq{method: "DELETE", path: "/v1/webhooks/" + w.webhook(t, r, res)}
		}},
		"listWebhookDeliveries": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			return get("/v1/webhooks/" + w.webhook(t, r, res) + "/deliveries")
		}},
		"retryWebhookDelivery": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			sub, delivery := w.deadDelivery(t, r, res)
			return post("/v1/webhooks/"+sub+"/deliveries/"+delivery+"/retry", nil)
		}},
		"replayWebhook": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			return post("/v1/webhooks/"+w.webhook(t, r, res)+"/replay", js{"from": day.Add(-time.Hour).Format(time.RFC3339), "to": day.Add(time.Hour).Format(time.RFC3339)})
		}},
		"rotateWebhookSecret": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			return post("/v1/webhooks/"+w.webhook(t, r, res)+"/rotate-secret", js{"overlapSeconds": 60})
		}},

		// Workforce (issue 16).
		"getWorkforceForecast":      {req: fixed(get("/v1/workforce/forecast?channel=phone&" + period[1:]))},
		"getForecastAccuracy":       {req: fixed(get("/v1/workforce/forecast/accuracy?weeks=2"))},
		"planStaffing":              {req: fixed(post("/v1/workforce/staffing", authzStaffing(0.8)))},
		"planStaffing+serviceLevel": {field: "serviceLevel.target", req: fixed(post("/v1/workforce/staffing", authzStaffing(1.2)))},
		"createCalendarEntry":       {req: fixed(post("/v1/workforce/calendar", js{"name": "Letter run", "channel": "phone", "from": "2027-01-11", "to": "2027-01-12", "uplift": 0.3}))},
		"listCalendarEntries":       {req: fixed(get("/v1/workforce/calendar?from=2027-01-01&to=2027-12-31"))},
		"deleteCalendarEntry": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			id := uuid.NewString()
			if res != missingResource {
				id = w.call(t, w.admin, "POST", "/v1/workforce/calendar", js{"name": "Bank holiday", "from": "2027-05-03", "to": "2027-05-03", "uplift": -0.9},
					http.StatusCreated)["id"].(string)
			}
			return cellReq{method: "DELETE", path: "/v1/workforce/calendar/" + id}
		}},
		// Privacy (issue 14).
		"listAudit": {req: fixed(get("/v1/audit" + period))},
		"listAudit+customerId": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/audit?customerId=" + own(res, w.custA, w.custB))
		}, field: "customerId"},
		"exportCustomer": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/customers/" + own(res, w.custA, w.custB) + "/export")
		}},
		"eraseCustomer": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			id := uuid.NewString()
			if res != missingResource {
				id = w.newCustomer(t, "To-Erase")
			}
			return post("/v1/customers/"+id+"/erasure", js{"reason": "article 17 request"})
		}},
		"eraseCustomer+noReason": {req: func(t *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/customers/"+w.newCustomer(t, "To-Erase")+"/erasure", js{"override": false})
		}, field: "reason"},
		"exportMe": {req: fixed(get("/v1/me/export"))},

		// Routing and queues.
		"listRuleSets": {req: fixed(get("/v1/routing/rules"))},
		"publishRuleSet": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/routing/rules", w.ruleDoc)
		}},
		"getRuleSet": {req: func(_ *testing.T, _ *world, _ role, res resource) cellReq {
			return get("/v1/routing/rules/" + map[resource]string{ownResource: "1", otherResource: "2", missingResource: "9999"}[res])
		}},
		"activateRuleSet": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			version := "9999"
			switch res {
			case ownResource: // a copy of the default rules, so activating it changes no routing
				version = fmt.Sprint(w.call(t, w.admin, "POST", "/v1/routing/rules", w.ruleDoc, http.StatusCreated)["version"])
			case otherResource:
				version = "1"
			}
			return post("/v1/routing/rules/"+version+"/activate", nil)
		}},
		"decideRouting": {req: fixed(post("/v1/routing/decisions", js{"service": js{"lgsl": 58}, "channel": "phone"}))},
		"simulateRouting": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/routing/simulations", js{"rules": w.ruleDoc, "from": day.Add(-time.Hour), "to": day.Add(time.Hour)})
		}},
		"handOffCase": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.freshCase(t, res)+"/handoffs", js{"queue": "blt-officers", "reason": "complexity"})
		}},
		// Own: a tier 1 case the caller holds; other: a tier 3 case another agent holds,
		// which only a supervisor may take off them.
		"releaseCase": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			return post("/v1/cases/"+w.claimedCase(t, r, res)+"/release", nil)
		}},
		"listQueues": {req: fixed(get("/v1/queues"))},
		// Own: a tier 1 queue; other: a tier 3 queue; none: no such queue.
		"claimNextCase": {req: func(_ *testing.T, _ *world, _ role, res resource) cellReq {
			return post("/v1/queues/"+map[resource]string{ownResource: claimTier1Queue, otherResource: claimTier3Queue, missingResource: "no-such-queue"}[res]+"/claim", nil)
		}},
		"getRoutingReport": {req: fixed(get("/v1/reports/routing" + period))},

		// Satisfaction.
		"recordRating": {req: fixed(post("/v1/ratings", js{"source": "web_page", "useful": true, "score": 5, "pageUrl": "https://www.council.example/council-tax"}))},
		// A web page rating naming a contact: anonymous callers may not (the problem names
		// the field), nor citizens and landlords (My Account rates their own contacts).
		"recordRating+contactId": {field: "contactId", req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/ratings", js{"source": "web_page", "score": 5, "pageUrl": "https://www.council.example/council-tax", "contactId": own(res, w.contactA, w.contactB)})
		}},
		"recordRating+caseId": {field: "caseId", req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/ratings", js{"source": "web_page", "score": 5, "pageUrl": "https://www.council.example/council-tax", "caseId": own(res, w.caseA, w.caseB)})
		}},
		"recordRating+kiosk": {req: fixed(post("/v1/ratings", js{"source": "kiosk", "score": 4, "centre": "civic-centre"}))},
		"recordRating+agentRecorded": {field: "contactId", req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/ratings", js{"source": "agent_recorded", "score": 4, "contactId": own(res, w.contactA, w.contactB)})
		}},
		"getSatisfactionReport": {req: fixed(get("/v1/reports/satisfaction" + period))},

		// Provider callbacks authenticate the provider, not a user: a user's token is not
		// the Notify callback token, and no user can sign as Twilio.
		"notifyReceivedText": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/callbacks/notify/received-text", js{"id": uuid.NewString(), "source_number": "07700900999", "message": "5"})
		}},
		"notifyReceivedText+token": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			r := post("/v1/callbacks/notify/received-text", js{"id": uuid.NewString(), "source_number": "07700900999", "message": "5"})
			r.token = ptr(authzNotifyToken)
			return r
		}},
		"notifyDeliveryStatus": {req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return post("/v1/callbacks/notify/delivery-status", js{"id": uuid.NewString(), "status": "delivered"})
		}},
		"notifyDeliveryStatus+token": {req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			r := post("/v1/callbacks/notify/delivery-status", js{"id": uuid.NewString(), "status": "delivered"})
			r.token = ptr(authzNotifyToken)
			return r
		}},
		"twilioInboundSMS": {req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/sms", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "From": {"+447700900999"}, "Body": {"5"}}, false)
		}},
		"twilioInboundSMS+signature": {req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/sms", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "From": {"+447700900999"}, "Body": {"5"}}, true)
		}},
		"twilioMessageStatus": {req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/status", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "MessageStatus": {"delivered"}}, false)
		}},
		"twilioMessageStatus+signature": {req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/status", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "MessageStatus": {"delivered"}}, true)
		}},
		"postIVREvent": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/ivr/events", js{"event": "newCall", "callId": fmt.Sprint("authz-", w.unique()), "from": "07700900998"})
		}},
		"postIVREvent+ivrToken": {req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			r := post("/v1/ivr/events", js{"event": "newCall", "callId": fmt.Sprint("authz-", w.unique()), "from": "07700900998"})
			r.headers = []string{"X-IVR-Token", authzIVRToken}
			return r
		}},

		// My Account: citizens, and only their own record.
		"getMe":          {req: fixed(get("/v1/me")), check: isCitizenA},
		"updateMe":       {req: fixed(patch("/v1/me", js{"preferredLanguage": "cy"})), check: isCitizenA},
		"listMyCases":    {req: fixed(get("/v1/me/cases")), check: onlyCasesOfA},
		"streamMyEvents": {req: fixed(streamOf("/v1/me/events/stream"))},
		"getMyCase": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/me/cases/" + own(res, w.caseA, w.caseB))
		}, check: func(_ *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
			var got struct{ Case struct{ ID string } }
			if err := json.Unmarshal(body, &got); err != nil || got.Case.ID != w.caseA {
				return fmt.Errorf("got case %q, want citizen A's %s", got.Case.ID, w.caseA)
			}
			return nil
		}},
		"contactFromMyAccount": {req: fixed(post("/v1/me/contacts", js{"service": js{"lgsl": 62}, "summary": "question"})),
			check: contactOfA},
		"contactFromMyAccount+caseId": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/me/contacts", js{"service": js{"lgsl": 61}, "caseId": own(res, w.caseA2, w.caseB)})
		}, check: contactOfA},
		"rateFromMyAccount": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/me/ratings", js{"score": 4, "caseId": own(res, w.caseA, w.caseB)})
		}, check: func(_ *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
			var got struct{ CaseID string }
			if err := json.Unmarshal(body, &got); err != nil || got.CaseID != w.caseA {
				return fmt.Errorf("rated case %q, want citizen A's %s", got.CaseID, w.caseA)
			}
			return nil
		}},

		// Landlords: staff set them up; landlord users act for their own organisation only.
		"createLandlord": {req: fixed(post("/v1/landlords", js{"name": "New Lettings"}))},
		"addLandlordProperty": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/landlords/"+own(res, w.landlordA, w.landlordB)+"/properties", js{"uprn": fmt.Sprint(200000 + w.unique())})
		}},
		// A tenancy names its landlord in the path, but the spec answers a property that is
		// not that landlord's (as it is when the landlord does not exist) with a 422.
		"addTenancy": {field: "propertyId", req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			landlord, property := w.landlordA, w.newProperty(t, w.landlordA)
			switch res {
			case otherResource:
				landlord, property = w.landlordB, w.newProperty(t, w.landlordB)
			case missingResource:
				landlord = uuid.NewString()
			}
			return post("/v1/landlords/"+landlord+"/tenancies", js{"propertyId": property, "customerId": w.custC,
				"startsOn": time.Now().Format(time.DateOnly)})
		}},
		"inviteLandlordUser": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/landlords/"+own(res, w.landlordA, w.landlordB)+"/invitations", js{"email": w.email()})
		}},
		// Own: an invitation to the caller's organisation, accepted by a new user of it;
		// other: an invitation to another organisation.
		"acceptInvitation": {req: func(t *testing.T, w *world, r role, res resource) cellReq {
			token := "not-an-invitation"
			if res != missingResource {
				token = w.invite(t, own(res, w.landlordA, w.landlordB))
			}
			req := post("/v1/invitations/"+token+"/accept", nil)
			if r == landlordRole && res == ownResource {
				req.token = ptr(w.newLandlordUser(w.landlordA))
			}
			return req
		}, check: func(_ *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
			var got struct{ LandlordID string }
			if err := json.Unmarshal(body, &got); err != nil || got.LandlordID != w.landlordA {
				return fmt.Errorf("accepted into %q, want landlord A", got.LandlordID)
			}
			return nil
		}},
		// An invitation is good once: a second user of the same organisation cannot reuse it.
		"acceptInvitation+used": {req: func(_ *testing.T, w *world, r role, _ resource) cellReq {
			req := post("/v1/invitations/"+w.invitationUse+"/accept", nil)
			if r == landlordRole {
				req.token = ptr(w.newLandlordUser(w.landlordA))
			}
			return req
		}},
		// Sixteen new users of the organisation accept one invitation at once: one gets in.
		"acceptInvitation+race": {req: func(t *testing.T, w *world, _ role, _ resource) cellReq {
			var token string
			for round := range 10 { // a race shows itself only sometimes: try ten invitations
				token = w.invite(t, w.landlordA)
				if in := w.acceptAtOnce(t, token, 16); in != 1 {
					req := post("/v1/invitations/"+token+"/accept", nil)
					req.token = ptr(w.newLandlordUser(w.landlordA))
					req.fault = fmt.Sprintf("%d of 16 users accepting one invitation at once got in (invitation %d)", in, round+1)
					return req
				}
			}
			req := post("/v1/invitations/"+token+"/accept", nil)
			req.token = ptr(w.newLandlordUser(w.landlordA))
			return req
		}},
		"listMyProperties": {req: fixed(get("/v1/landlord/properties")), check: onlyPropertiesOfA},
		"landlordContact": {req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			body := js{"propertyId": own(res, w.propertyA, w.propertyB), "service": js{"lgsl": 58}, "intent": "change_of_tenant"}
			if res != missingResource {
				body["tenancyId"] = own(res, w.tenancyA, w.tenancyB)
			}
			return post("/v1/landlord/contacts", body)
		}, check: raisedByA},
		// A landlord writes for its current tenants: a tenancy that has ended is refused.
		"landlordContact+endedTenancy": {field: "tenancyId", req: func(t *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/landlord/contacts", js{"propertyId": w.propertyA, "tenancyId": w.endedTenancyA, "service": js{"lgsl": 60}})
		}},
		"listLandlordCases": {req: fixed(get("/v1/landlord/cases")), check: onlyCasesRaisedByA},
		"getLandlordTakeUp": {req: fixed(get("/v1/reports/landlord-takeup"))},

		// Compliance (issue 17).
		"listExceptions":              {req: fixed(get("/v1/exceptions/sla-breaches?days=7"))},
		"listExceptions+badParameter": {field: "hours", req: fixed(get("/v1/exceptions/idle-cases?hours=3"))},
		"listQAPlans":                 {req: fixed(get("/v1/qa/plans"))},
		"publishQAPlan":               {req: fixed(post("/v1/qa/plans", js{"baseRate": 1, "serviceRates": js{"58": 0.5}}))},
		"startQARun": {req: func(t *testing.T, w *world, _ role, _ resource) cellReq {
			w.publishQAPlan(t)
			return post("/v1/qa/runs", js{"from": day.Add(-24 * time.Hour), "to": day.Add(time.Hour), "seed": 7, "dryRun": true})
		}},
		"listQAReviews": {req: fixed(get("/v1/qa/reviews?status=pending"))},
		"recordQAOutcome": {req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			id := uuid.NewString()
			switch res {
			case ownResource:
				id = w.pendingReview(t)
			case otherResource:
				id = w.reviewedReview(t)
			}
			return post("/v1/qa/reviews/"+id+"/outcome", js{"outcome": "pass"})
		}},
		"getQAReport": {req: fixed(get("/v1/qa/report" + period))},
		// Reports (issue 15).
		"getChannelShiftReport": {req: fixed(get("/v1/reports/channel-shift" + days))},
		"getResolutionReport":   {req: fixed(get("/v1/reports/resolution" + days))},
		"getAvoidableReport":    {req: fixed(get("/v1/reports/avoidable" + days))},
		"getCostToServeReport":  {req: fixed(get("/v1/reports/cost-to-serve" + days))},
	}
}

// twilio is a form callback, signed as Twilio would sign it when signed is true.
func twilio(path string, form url.Values, signed bool) cellReq {
	r := cellReq{method: "POST", path: path, body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"}
	if signed {
		r.headers = []string{"X-Twilio-Signature", sms.TwilioSignature(authzTwilioToken, authzPublicURL+path, form)}
	}
	return r
}

// idIsPath checks that the record answered is the one the path names.
func idIsPath(_ *testing.T, _ *world, _ role, _ resource, req cellReq, body []byte) error {
	var got struct{ ID string }
	if err := json.Unmarshal(body, &got); err != nil {
		return err
	}
	if !strings.HasSuffix(req.path, "/"+got.ID) {
		return fmt.Errorf("answered record %q for %s", got.ID, req.path)
	}
	return nil
}

func isCitizenA(_ *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
	var got struct{ ID string }
	if err := json.Unmarshal(body, &got); err != nil || got.ID != w.custA {
		return fmt.Errorf("got record %q, want citizen A's %s", got.ID, w.custA)
	}
	return nil
}

// ownerOf reads which customer a case or contact belongs to, as staff see it.
func (w *world) ownerOf(t *testing.T, path string) string {
	t.Helper()
	c, _ := w.call(t, w.admin, "GET", path, nil, http.StatusOK)["customerId"].(string)
	return c
}

func onlyCasesOfA(t *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
	var got struct{ Items []struct{ ID string } }
	if err := json.Unmarshal(body, &got); err != nil {
		return err
	}
	seen := false
	for _, c := range got.Items {
		if owner := w.ownerOf(t, "/v1/cases/"+c.ID); owner != w.custA {
			return fmt.Errorf("lists case %s of customer %s", c.ID, owner)
		}
		seen = seen || c.ID == w.caseA
	}
	if !seen {
		return fmt.Errorf("does not list citizen A's case %s", w.caseA)
	}
	return nil
}

func contactOfA(t *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
	var got struct{ ContactID string }
	if err := json.Unmarshal(body, &got); err != nil {
		return err
	}
	if owner := w.ownerOf(t, "/v1/contacts/"+got.ContactID); owner != w.custA {
		return fmt.Errorf("the contact landed on customer %s, want citizen A", owner)
	}
	return nil
}

func onlyPropertiesOfA(t *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
	var got struct{ Items []struct{ ID string } }
	if err := json.Unmarshal(body, &got); err != nil {
		return err
	}
	seen := false
	for _, p := range got.Items {
		var landlord string
		if err := w.h.app.DB.Get(&landlord, w.h.app.DB.Rebind("SELECT landlord_id FROM landlord_properties WHERE id = ?"), p.ID); err != nil {
			return err
		}
		if landlord != w.landlordA {
			return fmt.Errorf("lists property %s of landlord %s", p.ID, landlord)
		}
		seen = seen || p.ID == w.propertyA
	}
	if !seen {
		return fmt.Errorf("does not list landlord A's property %s", w.propertyA)
	}
	return nil
}

// raisedByA keeps the case a landlord A contact opened, and fails when the contact
// landed on a case its tenant had opened themselves: the landlord would then see it.
func raisedByA(t *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
	var got struct{ Case *struct{ ID string } }
	if err := json.Unmarshal(body, &got); err != nil || got.Case == nil {
		return fmt.Errorf("no case in %s", body)
	}
	if ch := w.channelOf(t, got.Case.ID); ch != "landlord_portal" {
		return fmt.Errorf("the contact joined case %s, which its tenant opened (%s)", got.Case.ID, ch)
	}
	w.raisedByA[got.Case.ID] = true
	return nil
}

// channelOf is the channel a case was opened on.
func (w *world) channelOf(t *testing.T, caseID string) string {
	t.Helper()
	ch, _ := w.call(t, w.admin, "GET", "/v1/cases/"+caseID, nil, http.StatusOK)["channel"].(string)
	return ch
}

// onlyCasesRaisedByA: landlord A sees the cases it raised, and not its tenants' own
// cases (even one its contact was joined to), nor landlord B's.
func onlyCasesRaisedByA(t *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
	var got struct{ Items []struct{ ID string } }
	if err := json.Unmarshal(body, &got); err != nil {
		return err
	}
	names := map[string]string{w.tenantCaseA: "its tenant's own case", w.caseLandlordB: "landlord B's case", w.caseA: "citizen A's case"}
	var listed, wrong []string
	for _, c := range got.Items {
		listed = append(listed, c.ID)
		if n, ok := names[c.ID]; ok {
			wrong = append(wrong, c.ID+" ("+n+")")
		} else if !w.raisedByA[c.ID] && w.channelOf(t, c.ID) != "landlord_portal" {
			wrong = append(wrong, c.ID+" (not opened through the portal)")
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("lists cases landlord A did not raise: %s", strings.Join(wrong, ", "))
	}
	for id := range w.raisedByA {
		if !slices.Contains(listed, id) {
			return fmt.Errorf("does not list case %s that landlord A raised", id)
		}
	}
	return nil
}

// expectation is one parsed cell.
type expectation struct {
	status string // "200", "2xx", "403"…
	field  string // for 422: the field the problem must name
	known  bool   // marked "*": the hub answered otherwise when the table was written
	skip   bool
}

func parseCell(s string) expectation {
	if s == "-" {
		return expectation{skip: true}
	}
	e := expectation{}
	if strings.HasSuffix(s, "*") {
		e.known, s = true, strings.TrimSuffix(s, "*")
	}
	e.status, e.field, _ = strings.Cut(s, ":")
	return e
}

// expand turns a row into its cells: one per role, or three (own, other, none) for an
// operation on one record; a single status in such a row holds for all three.
func (row authzRow) expand() [roleCount][]expectation {
	perRecord := false
	for _, c := range row.want {
		perRecord = perRecord || strings.Contains(c, "/")
	}
	var out [roleCount][]expectation
	for r, c := range row.want {
		parts := strings.Split(c, "/")
		if perRecord && len(parts) == 1 {
			parts = []string{c, c, c}
		}
		for _, p := range parts {
			e := parseCell(p)
			if e.status == "422" && e.field == "" {
				e.field = row.field
			}
			out[r] = append(out[r], e)
		}
	}
	return out
}

func (row authzRow) resources() []resource {
	for _, c := range row.want {
		if strings.Contains(c, "/") {
			return []resource{ownResource, otherResource, missingResource}
		}
	}
	return []resource{noResource}
}

// problemTypes are the problem types that go with each refusal.
var problemTypes = map[int]string{400: "validation", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
	409: "conflict", 422: "invalid-value"}

const noChallenge = "a 401 must carry WWW-Authenticate: Bearer"

// verdict compares an answer with a cell; it returns how the answer reads and why it
// differs ("" when it does not).
func verdict(e expectation, resp *http.Response, body []byte) (got, why string) {
	got = strconv.Itoa(resp.StatusCode)
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(body, &p); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
			return got + " (not problem+json)", "a refusal must be problem+json"
		}
		got += " " + strings.TrimPrefix(p.Type, "/problems/")
		for _, f := range p.Errors {
			got += ":" + f.Field
		}
	}
	switch {
	case e.status == "2xx" && resp.StatusCode/100 == 2, e.status == strconv.Itoa(resp.StatusCode):
	default:
		return got, "status"
	}
	if resp.StatusCode < 400 {
		return got, ""
	}
	if want := "/problems/" + problemTypes[resp.StatusCode]; p.Type != want || p.Status != resp.StatusCode {
		return got, "problem type should be " + want
	}
	if e.field != "" && !slices.ContainsFunc(p.Errors, func(f struct {
		Field string `json:"field"`
	}) bool {
		return f.Field == e.field
	}) {
		return got, "the problem should name " + e.field
	}
	if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		return got + " (no WWW-Authenticate)", noChallenge
	}
	return got, ""
}

// specOp is what the spec says of who may call an operation.
type specOp struct {
	roles     []auth.Role // x-roles
	anonymous bool        // its security lists {}: anyone may call
	ownAuth   bool        // its security is empty: it authenticates its callers itself
}

// specOperations reads the operations of the embedded openapi.yaml by operationId.
func specOperations(t *testing.T) map[string]specOp {
	t.Helper()
	doc, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]specOp{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
				continue
			}
			var o specOp
			if raw, ok := op.Extensions["x-roles"].([]any); ok {
				for _, r := range raw {
					s, _ := r.(string)
					o.roles = append(o.roles, auth.Role(s))
				}
			}
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			o.ownAuth = len(sec) == 0
			for _, req := range sec {
				o.anonymous = o.anonymous || len(req) == 0
			}
			ops[op.OperationID] = o
		}
	}
	return ops
}

// roleGrants are the roles each column's token holds.
var roleGrants = [roleCount][]auth.Role{
	citizenRole: {auth.Citizen}, landlordRole: {auth.Landlord}, agentTier1: {auth.Agent}, agentTier3: {auth.Agent},
	supervisorRole: {auth.Supervisor}, adminRole: {auth.Admin}, integrationRole: {auth.Integration}, qaRole: {auth.QA},
}

// difference is one cell where the hub's answer is not the table's.
type difference struct {
	op, role, res, want, got, why string
}

func TestAuthz_EveryOperationEveryRoleEveryResource(t *testing.T) {
	table := parsePolicy(t)
	spec := specOperations(t)
	sameOperations(t, table, spec)
	agreesWithXRoles(t, table, spec)

	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			diffs, total, knownFixed := runTable(t, authzWorld(t, b), table)
			if len(diffs) > 0 || knownFixed > 0 {
				t.Logf("%s: %d cells; %d differ from the table; %d marked * agree on this backend:\n%s", b.Name, total, len(diffs), knownFixed, diffTable(diffs))
			}
		})
	}
}

// sameOperations fails unless the table has a row for every operation of the spec, and
// no row for an operation the spec does not define.
func sameOperations(t *testing.T, table []authzRow, spec map[string]specOp) {
	t.Helper()
	inTable := map[string]bool{}
	for _, row := range table {
		base, _, _ := strings.Cut(row.op, "+")
		if _, ok := spec[base]; !ok {
			t.Errorf("the table has a row for %s, which openapi.yaml does not define", row.op)
		}
		inTable[base] = inTable[base] || base == row.op
	}
	for op := range spec {
		if !inTable[op] {
			t.Errorf("openapi.yaml defines %s, which has no row in the authorisation table", op)
		}
	}
}

// agreesWithXRoles fails where an operation's x-roles contradict its row: a role the
// table lets in on some record must be in x-roles (or the operation open to anyone), and
// a role the table refuses (403) on every record must not be.
func agreesWithXRoles(t *testing.T, table []authzRow, spec map[string]specOp) {
	t.Helper()
	for _, row := range table {
		o, ok := spec[row.op]
		if !ok || o.ownAuth {
			continue
		}
		for r, cellsOf := range row.expand() {
			if role(r) == anonymous {
				continue
			}
			allowed, refused := false, true
			for _, e := range cellsOf {
				allowed = allowed || strings.HasPrefix(e.status, "2")
				refused = refused && e.status == "403"
			}
			byRoles := auth.Principal{Roles: roleGrants[r]}.HasAny(o.roles...)
			switch {
			case allowed && !byRoles && !o.anonymous:
				t.Errorf("%s: the table lets %s in, but x-roles are %v", row.op, roleNames[r], o.roles)
			case refused && byRoles:
				t.Errorf("%s: the table refuses %s, but x-roles are %v", row.op, roleNames[r], o.roles)
			}
		}
	}
}

// authzWorld starts the table's hub on backend b and builds its fixtures.
func authzWorld(t *testing.T, b backend) *world {
	t.Helper()
	return newWorld(t, authzHub(t, b))
}

// runTable tries every cell of the table as a subtest, in order (the cells share the
// world), and returns the cells that differ. With CONTACTHUB_AUTHZ_PRINT set it also
// prints what the hub answered, laid out like the table ("!" marks a difference).
func runTable(t *testing.T, w *world, table []authzRow) (diffs []difference, total, knownFixed int) {
	t.Helper()
	answered := make([][roleCount][]string, len(table))
	for n, row := range table {
		expected := row.expand()
		for r := range roleCount {
			for i, res := range row.resources() {
				e := expected[r][i]
				if e.skip {
					answered[n][r] = append(answered[n][r], "-")
					continue
				}
				total++
				name := row.op + "/" + roleNames[r] + "/" + strings.ReplaceAll(resourceNames[res], "/", "")
				t.Run(name, func(t *testing.T) {
					got, why := w.try(t, row, r, res, e, row.req(t, w, r, res))
					status, _, _ := strings.Cut(got, " ")
					if why == "" {
						answered[n][r] = append(answered[n][r], status)
						if e.known {
							knownFixed++
							t.Logf("marked * as differing, but the hub answers as the table says on this backend")
						}
						return
					}
					answered[n][r] = append(answered[n][r], status+"!")
					d := difference{op: row.op, role: roleNames[r], res: resourceNames[res], want: row.wantCell(r, i), got: got, why: why}
					diffs = append(diffs, d)
					t.Errorf("want %s, got %s: %s", d.want, d.got, d.why)
				})
			}
		}
	}
	if os.Getenv("CONTACTHUB_AUTHZ_PRINT") != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "%-30s", "operation")
		for _, name := range roleNames {
			fmt.Fprintf(&b, " %-14s", name)
		}
		for n, row := range table {
			fmt.Fprintf(&b, "\n%-30s", row.op)
			for r := range roleCount {
				fmt.Fprintf(&b, " %-14s", strings.Join(answered[n][r], "/"))
			}
		}
		t.Logf("what the hub answered (%d cells):\n%s", total, b.String())
	}
	return diffs, total, knownFixed
}

// wantCell is how the table writes one cell.
func (row authzRow) wantCell(r role, i int) string {
	parts := strings.Split(row.want[r], "/")
	cell := parts[0]
	if i < len(parts) {
		cell = parts[i]
	}
	if e := parseCell(cell); e.status == "422" && e.field == "" && row.field != "" {
		cell = strings.Replace(cell, "422", "422:"+row.field, 1)
	}
	return cell
}

// try sends one cell's request as role r and judges the answer.
func (w *world) try(t *testing.T, row authzRow, r role, res resource, e expectation, req cellReq) (got, why string) {
	t.Helper()
	resp, body := w.do(t, r, req)
	got, why = verdict(e, resp, body)
	if why == "" && req.stream && resp.StatusCode == http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return got + " (" + resp.Header.Get("Content-Type") + ")", "a stream must be text/event-stream"
	}
	if why == "" && req.fault != "" {
		return got + " (" + req.fault + ")", req.fault
	}
	if why == "" && resp.StatusCode/100 == 2 && row.check != nil {
		if err := row.check(t, w, r, res, req, body); err != nil {
			return got + " (" + err.Error() + ")", "the answer is not the caller's own"
		}
	}
	return got, why
}

// do sends one cell's request as role r (or with the request's own token).
func (w *world) do(t *testing.T, r role, req cellReq) (*http.Response, []byte) {
	t.Helper()
	token := w.tokens[r]
	if req.token != nil {
		token = *req.token
	}
	var raw []byte
	ct := req.contentType
	switch b := req.body.(type) {
	case nil:
	case []byte:
		raw = b
	case json.RawMessage:
		raw, ct = b, "application/json"
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
		ct = "application/json"
	}
	if req.stream {
		return openOnce(t, w.h.url+req.path, token)
	}
	return send(t, w.h.http, req.method, w.h.url+req.path, token, ct, raw, req.headers...)
}

// openOnce opens a live stream and, when it starts, hangs up at once; a refusal is read
// whole (it is problem+json). A plain client: the validating one would read for ever.
func openOnce(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// diffTable lays the differences out one per line, sorted, for the report; 401s that
// lack only WWW-Authenticate are summed up in one line naming their operations.
func diffTable(diffs []difference) string {
	sort.SliceStable(diffs, func(i, j int) bool { return diffs[i].op < diffs[j].op })
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %-11s %-5s %-16s %s\n", "operation", "role", "res", "want", "got")
	var bare []string
	n := 0
	for _, d := range diffs {
		if d.why == noChallenge {
			n++
			if !slices.Contains(bare, d.op) {
				bare = append(bare, d.op)
			}
			continue
		}
		fmt.Fprintf(&b, "%-32s %-11s %-5s %-16s %s\n", d.op, d.role, d.res, d.want, d.got)
	}
	if n > 0 {
		fmt.Fprintf(&b, "and %d cells answer 401 without WWW-Authenticate: Bearer, on %s\n", n, strings.Join(bare, ", "))
	}
	return b.String()
}

// authzStaffing is a staffing request of one half hour at the given service level.
func authzStaffing(target float64) js {
	return js{"intervals": []js{{"start": "2026-12-07T09:00:00Z", "volume": 100, "handlingTimeSeconds": 180, "rostered": 18}},
		"intervalMinutes": 30, "serviceLevel": js{"target": target, "answerWithinSeconds": 20}, "shrinkage": 0.3, "maxOccupancy": 0.85}
}
