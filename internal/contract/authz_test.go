package contract

import (
	"encoding/json"
	"fmt"
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

// The authorisation table (issue 12): every operation of openapi.yaml, for every kind of
// caller, on the caller's own record, someone else's and one that does not exist, states
// the answer the hub must give. An operation missing from the table, or a row naming an
// operation the spec does not have, fails the test, so a new route cannot ship without
// its line here.
//
// A cell is a status, or "own/other/none" for operations on one record:
//   - 2xx cells must succeed, and where it is cheap the body must be the caller's own;
//   - refusals must be problem+json of the type that goes with the status (401
//     unauthenticated, also with WWW-Authenticate: Bearer; 403 forbidden; 404 not-found;
//     409 conflict; 422 invalid-value, and "422:field" must name that field);
//   - "-" is not tried (a provider credential makes the caller's role irrelevant).
//
// A cell ending in "*" states the intended policy where the hub answered differently when
// the table was written (issue 12, items 1-6 are being fixed on their own branch). The
// test fails on those cells like on any other; the mark only says the failure is known.
//
// Rows whose operationId carries "+variant" try the operation a second way (a rating
// naming a contact, a callback with its provider's credential).
//
// Every difference is listed at the end of each backend's run as one table; set
// CONTACTHUB_AUTHZ_PRINT=1 to print every cell's answer as well.

// authzRow is one line of the table.
type authzRow struct {
	op    string
	want  [roleCount]string
	req   func(t *testing.T, w *world, r role, res resource) cellReq
	check func(t *testing.T, w *world, r role, res resource, req cellReq, body []byte) error // on allowed cells
}

// cellReq is the request one cell sends.
type cellReq struct {
	method, path string
	body         any // JSON-encoded, unless []byte
	contentType  string
	headers      []string
	token        *string // instead of the role's token
	fault        string  // a difference found while preparing the cell
}

// cells lists a row's expectations in role order:
// none, citizen, landlord, agent1, agent3, supervisor, admin, integration.
func cells(c ...string) [roleCount]string {
	if len(c) != int(roleCount) {
		panic(fmt.Sprintf("a row has %d cells, want %d", len(c), roleCount))
	}
	return [roleCount]string(c)
}

func get(path string) cellReq { return cellReq{method: "GET", path: path} }

func post(path string, body any) cellReq { return cellReq{method: "POST", path: path, body: body} }

func patch(path string, body any) cellReq {
	return cellReq{method: "PATCH", path: path, body: body, headers: []string{"If-Match", "*"}}
}

// fixed is a request that is the same for every cell.
func fixed(r cellReq) func(*testing.T, *world, role, resource) cellReq {
	return func(*testing.T, *world, role, resource) cellReq { return r }
}

func authzTable() []authzRow {
	staffOnly := func(ok string) [roleCount]string { return cells("401", "403", "403", ok, ok, ok, ok, ok) }
	agentsOnly := func(ok string) [roleCount]string { return cells("401", "403", "403", ok, ok, ok, ok, "403") }
	supervisorsOnly := func(ok string) [roleCount]string {
		return cells("401", "403", "403", "403", "403", ok, ok, "403")
	}
	citizenOnly := func(ok string) [roleCount]string {
		return cells("401", ok, "403", "403", "403", "403", "403", "403")
	}
	landlordOnly := func(ok string) [roleCount]string {
		return cells("401", "403", ok, "403", "403", "403", "403", "403")
	}
	everyone := func(ok string) [roleCount]string { return cells(ok, ok, ok, ok, ok, ok, ok, ok) }
	// tiered: a tier 1 agent may not change the other (tier 3) case it does not hold.
	tiered := func(ok string) [roleCount]string {
		return cells("401", "403", "403", ok+"/403*/404", ok+"/"+ok+"/404", ok+"/"+ok+"/404", ok+"/"+ok+"/404", "403")
	}
	heldOnly := func(ok string) [roleCount]string { return cells("-", "-", "-", ok, ok, ok, ok, "-") }
	day := time.Now().UTC()
	period := "?from=" + url.QueryEscape(day.Add(-24*time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(day.Add(time.Hour).Format(time.RFC3339))

	return []authzRow{
		// Platform.
		{op: "getHealth", want: everyone("200"), req: fixed(get("/healthz"))},
		{op: "getReadiness", want: everyone("200"), req: fixed(get("/readyz"))},
		{op: "getOpenAPI", want: everyone("200"), req: fixed(get("/openapi.yaml"))},

		// Customers: staff and integrations; citizens use /v1/me.
		{op: "createCustomer", want: staffOnly("201"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/customers", js{"familyName": "New", "identifiers": []js{{"kind": "email", "value": w.email()}}})
		}},
		{op: "searchCustomers", want: staffOnly("200"), req: fixed(get("/v1/customers?q=Citizen-A"))},
		{op: "matchCustomer", want: staffOnly("200"), req: fixed(post("/v1/customers/match", js{"familyName": "Citizen-A"}))},
		{op: "getCustomer", want: cells("401", "403*", "403", "200/200/404", "200/200/404", "200/200/404", "200/200/404", "200/200/404"),
			req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
				return get("/v1/customers/" + own(res, w.custA, w.custB))
			}, check: idIsPath},
		{op: "updateCustomer", want: cells("401", "403*", "403", "200/200/404", "200/200/404", "200/200/404", "200/200/404", "200/200/404"),
			req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
				return patch("/v1/customers/"+own(res, w.custA, w.custB), js{"needs": js{"preferredLanguage": "en"}})
			}, check: idIsPath},
		{op: "addCustomerIdentifier", want: staffOnly("201/201/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/customers/"+own(res, w.custA, w.custB)+"/identifiers", js{"kind": "email", "value": w.email()})
		}},
		{op: "removeCustomerIdentifier", want: staffOnly("200/200/404"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			customer, id := w.identifier(t, res)
			return cellReq{method: "DELETE", path: "/v1/customers/" + customer + "/identifiers/" + id}
		}},
		{op: "mergeCustomer", want: agentsOnly("200/200/404"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			survivor := own(res, w.newCustomer(t, "Survivor"), w.newCustomer(t, "Survivor"))
			return post("/v1/customers/"+survivor+"/merge", js{"duplicateId": w.newCustomer(t, "Duplicate"), "reason": "same person"})
		}},
		{op: "getMerge", want: agentsOnly("200/200/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/merges/" + own(res, w.mergeA, w.mergeB))
		}, check: idIsPath},
		{op: "undoMerge", want: agentsOnly("200/200/404"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			id := uuid.NewString()
			if res != missingResource {
				id = w.newMerge(t)
			}
			return post("/v1/merges/"+id+"/undo", js{"reason": "not the same person"})
		}},
		{op: "getCustomerTimeline", want: cells("401", "403*", "403", "200/200/404", "200/200/404", "200/200/404", "200/200/404", "200/200/404"),
			req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
				return get("/v1/customers/" + own(res, w.custA, w.custB) + "/timeline")
			}},

		// Contacts and cases.
		{op: "recordContact", want: staffOnly("201"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/contacts", js{"channel": "phone", "service": js{"lgsl": 69}, "identifiers": []js{{"kind": "email", "value": w.email()}}})
		}},
		{op: "listContacts", want: staffOnly("200"), req: fixed(get("/v1/contacts"))},
		{op: "getContact", want: staffOnly("200/200/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/contacts/" + own(res, w.contactA, w.contactB))
		}, check: idIsPath},
		{op: "updateContact", want: staffOnly("200/200/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return patch("/v1/contacts/"+own(res, w.contactA, w.contactB), js{"summary": "checked"})
		}},
		{op: "openCase", want: staffOnly("201"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/cases", js{"customerId": w.custC, "service": js{"lgsl": 69}})
		}},
		{op: "listCases", want: staffOnly("200"), req: fixed(get("/v1/cases"))},
		{op: "getCase", want: staffOnly("200/200/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/cases/" + own(res, w.caseA, w.caseB))
		}, check: idIsPath},
		{op: "updateCase", want: tiered("200"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return patch("/v1/cases/"+w.freshCase(t, res), js{"priority": 2})
		}},
		{op: "addCaseNote", want: tiered("201"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+own(res, w.caseA, w.caseB)+"/notes", js{"text": "called back"})
		}},
		{op: "resolveCase", want: tiered("200"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.freshCase(t, res)+"/resolve", js{"resolutionCode": "advice_given"})
		}},
		{op: "reopenCase", want: tiered("200"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.resolvedCase(t, res)+"/reopen", js{"reason": "not resolved after all"})
		}},
		// The caller holds the claim on a tier 3 case: whatever its tier, it may change it.
		{op: "updateCase+held", want: heldOnly("200"), req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return patch("/v1/cases/"+w.heldTier3(t, r), js{"priority": 2})
		}},
		{op: "addCaseNote+held", want: heldOnly("201"), req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return post("/v1/cases/"+w.heldTier3(t, r)+"/notes", js{"text": "called back"})
		}},
		{op: "resolveCase+held", want: heldOnly("200"), req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return post("/v1/cases/"+w.heldTier3(t, r)+"/resolve", js{"resolutionCode": "advice_given"})
		}},
		{op: "handOffCase+held", want: heldOnly("201"), req: func(t *testing.T, w *world, r role, _ resource) cellReq {
			return post("/v1/cases/"+w.heldTier3(t, r)+"/handoffs", js{"queue": "blt-officers", "reason": "complexity"})
		}},
		{op: "getCaseTimeline", want: staffOnly("200/200/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/cases/" + own(res, w.caseA, w.caseB) + "/timeline")
		}},
		{op: "referCase", want: agentsOnly("201/201/404"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.freshCase(t, res)+"/referrals", js{"partner": "citizens-advice", "reason": "debt advice"})
		}},
		{op: "listCaseReferrals", want: staffOnly("200/200/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/cases/" + own(res, w.caseA, w.caseB) + "/referrals")
		}},
		{op: "updateReferral", want: staffOnly("200/200/404"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return cellReq{method: "PATCH", path: "/v1/referrals/" + w.referral(t, res), body: js{"status": "accepted"}}
		}},
		{op: "getCatalogue", want: staffOnly("200"), req: fixed(get("/v1/catalogue"))},

		// Routing and queues.
		{op: "listRuleSets", want: staffOnly("200"), req: fixed(get("/v1/routing/rules"))},
		{op: "publishRuleSet", want: supervisorsOnly("201"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/routing/rules", w.ruleDoc)
		}},
		{op: "getRuleSet", want: staffOnly("200/200/404"), req: func(_ *testing.T, _ *world, _ role, res resource) cellReq {
			return get("/v1/routing/rules/" + map[resource]string{ownResource: "1", otherResource: "2", missingResource: "9999"}[res])
		}},
		{op: "activateRuleSet", want: supervisorsOnly("200/200/404"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			version := "9999"
			switch res {
			case ownResource: // a copy of the default rules, so activating it changes no routing
				version = fmt.Sprint(w.call(t, w.admin, "POST", "/v1/routing/rules", w.ruleDoc, http.StatusCreated)["version"])
			case otherResource:
				version = "1"
			}
			return post("/v1/routing/rules/"+version+"/activate", nil)
		}},
		{op: "decideRouting", want: staffOnly("200"), req: fixed(post("/v1/routing/decisions", js{"service": js{"lgsl": 58}, "channel": "phone"}))},
		{op: "simulateRouting", want: supervisorsOnly("200"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/routing/simulations", js{"rules": w.ruleDoc, "from": day.Add(-time.Hour), "to": day.Add(time.Hour)})
		}},
		{op: "handOffCase", want: tiered("201"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/cases/"+w.freshCase(t, res)+"/handoffs", js{"queue": "blt-officers", "reason": "complexity"})
		}},
		// Own: a tier 1 case the caller holds; other: a tier 3 case another agent holds,
		// which only a supervisor may take off them.
		{op: "releaseCase", want: cells("401", "403", "403", "200/403/404", "200/403/404", "200/200/404", "200/200/404", "403"),
			req: func(t *testing.T, w *world, r role, res resource) cellReq {
				return post("/v1/cases/"+w.claimedCase(t, r, res)+"/release", nil)
			}},
		{op: "listQueues", want: agentsOnly("200"), req: fixed(get("/v1/queues"))},
		// Own: a tier 1 queue; other: a tier 3 queue; none: no such queue.
		{op: "claimNextCase", want: cells("401", "403", "403", "2xx/403/404", "2xx/2xx/404", "2xx/2xx/404", "2xx/2xx/404", "403"),
			req: func(_ *testing.T, _ *world, _ role, res resource) cellReq {
				return post("/v1/queues/"+map[resource]string{ownResource: emptyTier1Queue, otherResource: emptyTier3Queue, missingResource: "no-such-queue"}[res]+"/claim", nil)
			}},
		{op: "getRoutingReport", want: supervisorsOnly("200"), req: fixed(get("/v1/reports/routing" + period))},

		// Satisfaction.
		{op: "recordRating", want: everyone("201"), req: fixed(post("/v1/ratings", js{"source": "web_page", "useful": true, "score": 5, "pageUrl": "https://www.council.example/council-tax"}))},
		// A web page rating naming a contact: anonymous callers may not (the problem names
		// the field), nor citizens and landlords (My Account rates their own contacts).
		{op: "recordRating+contactId", want: cells("422:contactId*/422:contactId*/422:contactId", "403", "403*/403*/403*", "201/201/422", "201/201/422", "201/201/422", "201/201/422", "201/201/422"),
			req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
				return post("/v1/ratings", js{"source": "web_page", "score": 5, "pageUrl": "https://www.council.example/council-tax", "contactId": own(res, w.contactA, w.contactB)})
			}},
		{op: "recordRating+caseId", want: cells("422:caseId*/422:caseId*/422:caseId", "403", "403*/403*/403*", "201/201/422", "201/201/422", "201/201/422", "201/201/422", "201/201/422"),
			req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
				return post("/v1/ratings", js{"source": "web_page", "score": 5, "pageUrl": "https://www.council.example/council-tax", "caseId": own(res, w.caseA, w.caseB)})
			}},
		{op: "getSatisfactionReport", want: supervisorsOnly("200"), req: fixed(get("/v1/reports/satisfaction" + period))},

		// Provider callbacks authenticate the provider, not a user: a user's token is not
		// the Notify callback token, and no user can sign as Twilio.
		{op: "notifyReceivedText", want: everyone("401"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/callbacks/notify/received-text", js{"id": uuid.NewString(), "source_number": "07700900999", "message": "5"})
		}},
		{op: "notifyReceivedText+token", want: cells("204", "-", "-", "-", "-", "-", "-", "-"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			r := post("/v1/callbacks/notify/received-text", js{"id": uuid.NewString(), "source_number": "07700900999", "message": "5"})
			r.token = ptr(authzNotifyToken)
			return r
		}},
		{op: "notifyDeliveryStatus", want: everyone("401"), req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return post("/v1/callbacks/notify/delivery-status", js{"id": uuid.NewString(), "status": "delivered"})
		}},
		{op: "notifyDeliveryStatus+token", want: cells("204", "-", "-", "-", "-", "-", "-", "-"), req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			r := post("/v1/callbacks/notify/delivery-status", js{"id": uuid.NewString(), "status": "delivered"})
			r.token = ptr(authzNotifyToken)
			return r
		}},
		{op: "twilioInboundSMS", want: everyone("403"), req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/sms", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "From": {"+447700900999"}, "Body": {"5"}}, false)
		}},
		{op: "twilioInboundSMS+signature", want: cells("204", "-", "-", "-", "-", "-", "-", "-"), req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/sms", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "From": {"+447700900999"}, "Body": {"5"}}, true)
		}},
		{op: "twilioMessageStatus", want: everyone("403"), req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/status", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "MessageStatus": {"delivered"}}, false)
		}},
		{op: "twilioMessageStatus+signature", want: cells("204", "-", "-", "-", "-", "-", "-", "-"), req: func(_ *testing.T, _ *world, _ role, _ resource) cellReq {
			return twilio("/v1/callbacks/twilio/status", url.Values{"MessageSid": {"SM" + uuid.NewString()}, "MessageStatus": {"delivered"}}, true)
		}},
		{op: "postIVREvent", want: cells("401", "403", "403", "403", "403", "403", "403", "200"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/ivr/events", js{"event": "newCall", "callId": fmt.Sprint("authz-", w.unique()), "from": "07700900998"})
		}},
		{op: "postIVREvent+ivrToken", want: cells("200", "-", "-", "-", "-", "-", "-", "-"), req: func(_ *testing.T, w *world, _ role, _ resource) cellReq {
			r := post("/v1/ivr/events", js{"event": "newCall", "callId": fmt.Sprint("authz-", w.unique()), "from": "07700900998"})
			r.headers = []string{"X-IVR-Token", authzIVRToken}
			return r
		}},

		// My Account: citizens, and only their own record.
		{op: "getMe", want: citizenOnly("200"), req: fixed(get("/v1/me")), check: isCitizenA},
		{op: "updateMe", want: citizenOnly("200"), req: fixed(patch("/v1/me", js{"preferredLanguage": "cy"})), check: isCitizenA},
		{op: "listMyCases", want: citizenOnly("200"), req: fixed(get("/v1/me/cases")), check: onlyCasesOfA},
		{op: "getMyCase", want: citizenOnly("200/404/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return get("/v1/me/cases/" + own(res, w.caseA, w.caseB))
		}, check: func(_ *testing.T, w *world, _ role, _ resource, _ cellReq, body []byte) error {
			var got struct{ Case struct{ ID string } }
			if err := json.Unmarshal(body, &got); err != nil || got.Case.ID != w.caseA {
				return fmt.Errorf("got case %q, want citizen A's %s", got.Case.ID, w.caseA)
			}
			return nil
		}},
		{op: "contactFromMyAccount", want: citizenOnly("201"), req: fixed(post("/v1/me/contacts", js{"service": js{"lgsl": 62}, "summary": "question"})),
			check: contactOfA},
		{op: "contactFromMyAccount+caseId", want: citizenOnly("201/404/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/me/contacts", js{"service": js{"lgsl": 61}, "caseId": own(res, w.caseA2, w.caseB)})
		}, check: contactOfA},
		{op: "rateFromMyAccount", want: citizenOnly("201/404/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/me/ratings", js{"score": 4, "caseId": own(res, w.caseA, w.caseB)})
		}},

		// Landlords: staff set them up; landlord users act for their own organisation only.
		{op: "createLandlord", want: agentsOnly("201"), req: fixed(post("/v1/landlords", js{"name": "New Lettings"}))},
		{op: "addLandlordProperty", want: agentsOnly("201/201/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/landlords/"+own(res, w.landlordA, w.landlordB)+"/properties", js{"uprn": fmt.Sprint(200000 + w.unique())})
		}},
		// A tenancy names its landlord in the path, but the spec answers a property that is
		// not that landlord's (as it is when the landlord does not exist) with a 422.
		{op: "addTenancy", want: agentsOnly("201/201/422:propertyId"), req: func(t *testing.T, w *world, _ role, res resource) cellReq {
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
		{op: "inviteLandlordUser", want: agentsOnly("201/201/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			return post("/v1/landlords/"+own(res, w.landlordA, w.landlordB)+"/invitations", js{"email": w.email()})
		}},
		// Own: an invitation to the caller's organisation, accepted by a new user of it;
		// other: an invitation to another organisation.
		{op: "acceptInvitation", want: landlordOnly("200/403/404"), req: func(t *testing.T, w *world, r role, res resource) cellReq {
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
		{op: "acceptInvitation+used", want: landlordOnly("409"), req: func(_ *testing.T, w *world, r role, _ resource) cellReq {
			req := post("/v1/invitations/"+w.invitationUse+"/accept", nil)
			if r == landlordRole {
				req.token = ptr(w.newLandlordUser(w.landlordA))
			}
			return req
		}},
		// Eight new users of the organisation accept one invitation at once: one gets in.
		{op: "acceptInvitation+race", want: cells("-", "-", "409*", "-", "-", "-", "-", "-"), req: func(t *testing.T, w *world, _ role, _ resource) cellReq {
			token := w.invite(t, w.landlordA)
			if ok := w.acceptAtOnce(t, token, 8); ok != 1 {
				req := post("/v1/invitations/"+token+"/accept", nil)
				req.token = ptr(w.newLandlordUser(w.landlordA))
				req.fault = fmt.Sprintf("%d of 8 users accepting at once got in", ok)
				return req
			}
			req := post("/v1/invitations/"+token+"/accept", nil)
			req.token = ptr(w.newLandlordUser(w.landlordA))
			return req
		}},
		{op: "listMyProperties", want: landlordOnly("200"), req: fixed(get("/v1/landlord/properties")), check: onlyPropertiesOfA},
		{op: "landlordContact", want: landlordOnly("201*/404/404"), req: func(_ *testing.T, w *world, _ role, res resource) cellReq {
			body := js{"propertyId": own(res, w.propertyA, w.propertyB), "service": js{"lgsl": 58}, "intent": "change_of_tenant"}
			if res != missingResource {
				body["tenancyId"] = own(res, w.tenancyA, w.tenancyB)
			}
			return post("/v1/landlord/contacts", body)
		}, check: raisedByA},
		// A landlord writes for its current tenants: a tenancy that has ended is refused.
		{op: "landlordContact+endedTenancy", want: landlordOnly("422:tenancyId*"), req: func(t *testing.T, w *world, _ role, _ resource) cellReq {
			return post("/v1/landlord/contacts", js{"propertyId": w.propertyA, "tenancyId": w.endedTenancyA, "service": js{"lgsl": 60}})
		}},
		{op: "listLandlordCases", want: landlordOnly("200*"), req: fixed(get("/v1/landlord/cases")), check: onlyCasesRaisedByA},
		{op: "getLandlordTakeUp", want: supervisorsOnly("200"), req: fixed(get("/v1/reports/landlord-takeup"))},
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
			out[r] = append(out[r], parseCell(p))
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

// specOperations lists the operationIds of the embedded openapi.yaml with their x-roles
// and whether they let anonymous callers in.
type specOp struct {
	roles     []auth.Role
	anonymous bool // security lists {} or the operation has its own (provider) authentication
	ownAuth   bool
}

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
	supervisorRole: {auth.Supervisor}, adminRole: {auth.Admin}, integrationRole: {auth.Integration},
}

// difference is one cell where the hub's answer is not the table's.
type difference struct {
	op, role, res, want, got, why string
}

func TestAuthz_EveryOperationEveryRoleEveryResource(t *testing.T) {
	table := authzTable()
	spec := specOperations(t)

	// The table and the spec list the same operations.
	inTable := map[string]bool{}
	for _, row := range table {
		base, variant, _ := strings.Cut(row.op, "+")
		if _, ok := spec[base]; !ok {
			t.Errorf("the table has a row for %s, which openapi.yaml does not define", row.op)
		}
		if variant == "" {
			if inTable[base] {
				t.Errorf("the table has two rows for %s", base)
			}
			inTable[base] = true
		}
	}
	for op := range spec {
		if !inTable[op] {
			t.Errorf("openapi.yaml defines %s, which has no row in the authorisation table", op)
		}
	}

	// The spec's x-roles agree with the table: a role allowed on any record may call the
	// operation, and a role refused (403) everywhere is not in x-roles.
	var xroles []difference
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
			if allowed && !byRoles && !o.anonymous || refused && byRoles {
				xroles = append(xroles, difference{op: row.op, role: roleNames[r], res: "x-roles",
					want: map[bool]string{true: "allowed", false: "refused"}[allowed], got: fmt.Sprint(o.roles), why: "x-roles disagree with the table"})
			}
		}
	}
	for _, d := range xroles {
		t.Errorf("%s for %s: the table says %s, x-roles are %s", d.op, d.role, d.want, d.got)
	}

	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := authzHub(t, b)
			w := newWorld(t, h)
			var diffs []difference
			var all []string
			total, knownFixed := 0, 0
			for _, row := range table {
				expected := row.expand()
				for r := range roleCount {
					for i, res := range row.resources() {
						e := expected[r][i]
						if e.skip {
							continue
						}
						total++
						name := row.op + "/" + roleNames[r] + "/" + strings.ReplaceAll(resourceNames[res], "/", "")
						t.Run(name, func(t *testing.T) {
							req := row.req(t, w, r, res)
							got, why := w.try(t, row, r, res, e, req)
							all = append(all, fmt.Sprintf("%-32s %-11s %-5s want %-16s got %s", row.op, roleNames[r], resourceNames[res], row.wantCell(r, i), got))
							if why == "" {
								if e.known {
									knownFixed++
									t.Logf("marked as differing, but the hub now answers as the table says: drop the *")
								}
								return
							}
							d := difference{op: row.op, role: roleNames[r], res: resourceNames[res], want: row.wantCell(r, i), got: got, why: why}
							diffs = append(diffs, d)
							t.Errorf("want %s, got %s: %s", d.want, d.got, d.why)
						})
					}
				}
			}
			if os.Getenv("CONTACTHUB_AUTHZ_PRINT") != "" {
				t.Logf("every cell (%d):\n%s", total, strings.Join(all, "\n"))
			}
			if len(diffs) > 0 || knownFixed > 0 {
				t.Logf("%d cells; %d differ from the table; %d marked * now agree:\n%s", total, len(diffs), knownFixed, diffTable(diffs))
			}
		})
	}
}

// wantCell is how the table writes one cell.
func (row authzRow) wantCell(r role, i int) string {
	parts := strings.Split(row.want[r], "/")
	if i < len(parts) {
		return parts[i]
	}
	return parts[0]
}

// try sends one cell's request as role r and judges the answer.
func (w *world) try(t *testing.T, row authzRow, r role, res resource, e expectation, req cellReq) (got, why string) {
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
	resp, body := send(t, w.h.http, req.method, w.h.url+req.path, token, ct, raw, req.headers...)
	got, why = verdict(e, resp, body)
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
