package contract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

// The authorisation table's world: one hub with the records every cell of the table
// needs, built once per backend. "Own" resources (suffix A) belong to the citizen and the
// landlord the table's tokens speak for, and their case is tier 1; "other" resources
// (suffix B) belong to someone else, and their case is tier 3.

// js is a JSON object as the table writes and reads it.
type js = map[string]any

// role is a column of the table: who calls.
type role int

const (
	anonymous role = iota
	citizenRole
	landlordRole
	agentTier1
	agentTier3
	supervisorRole
	adminRole
	integrationRole
	qaRole // the compliance and control team (issue 17)
	roleCount
)

var roleNames = [roleCount]string{"none", "citizen", "landlord", "agent1", "agent3", "supervisor", "admin", "integration", "qa"}

// subjects are the table's callers' token subjects.
var subjects = [roleCount]string{"", "citizen-a", "landlord-user-a", "agent-tier1", "agent-tier3", "supervisor-s", "admin-a", "integration-i", "qa-q"}

// resource is which record a cell's request names.
type resource int

const (
	noResource resource = iota // a collection or an operation on no particular record ("n/a")
	ownResource
	otherResource
	missingResource
)

var resourceNames = [...]string{"n/a", "own", "other", "none"}

// Provider credentials the table's hub is configured with.
const (
	authzIVRToken    = "authz-ivr-token-0123456789"
	authzNotifyToken = "authz-notify-callback-token"
	authzTwilioToken = "authz-twilio-auth-token"
	authzPublicURL   = "https://hub.example.org"
)

// Queues of the default rules the table uses: a tier 1 and a tier 3 queue to claim
// from, and the tier 3 queue "other" cases are handed off to.
const (
	claimTier1Queue = "advisors"
	claimTier3Queue = "fraud"
	tier3Queue      = "council-tax-recovery"
)

// world is the hub under test and its fixtures.
type world struct {
	h      *hub
	tokens [roleCount]string
	admin  string // the fixture builder's token
	n      int    // makes values unique

	custA, custB, custC    string // citizen A, someone else, a customer for scratch cases
	caseA, caseA2, caseB   string // A's tier 1 case, A's second case, B's tier 3 case
	contactA, contactB     string
	mergeA, mergeB         string
	ruleDoc                json.RawMessage // the default rules (version 1), to publish again
	landlordA, landlordB   string
	propertyA, propertyB   string
	tenancyA, tenancyB     string
	tenantCaseA            string          // landlord A's tenant's own case, which A did not raise (today A's contact joins it)
	raisedByA              map[string]bool // cases landlord A raised
	caseLandlordB, tenantB string
	invitationUse          string // an invitation to A, already accepted
	endedTenancyA          string // a tenancy of A's property that has ended
}

// authzHub starts a hub whose provider callbacks are configured, so that each can be
// tried with and without its credential.
func authzHub(t *testing.T, b backend) *hub {
	return startHub(t, b, func(c *config.Config) {
		c.IVRToken = authzIVRToken
		c.NotifyCallbackToken = authzNotifyToken
		c.TwilioAuthToken, c.PublicURL = authzTwilioToken, authzPublicURL
		c.RatingIPPerMinute, c.RatingPagePerMinute = 100000, 100000
		c.WebhookAllowPrivate = true
	})
}

// newWorld builds the fixtures through the API, as staff and landlord users would.
func newWorld(t *testing.T, h *hub) *world {
	t.Helper()
	w := &world{h: h, raisedByA: map[string]bool{}}
	w.admin = h.token(auth.Claims{Subject: "fixture-admin", Roles: []auth.Role{auth.Admin}})

	w.custA = w.newCustomer(t, "Citizen-A")
	w.custB = w.newCustomer(t, "Someone-Else")
	w.custC = w.newCustomer(t, "Scratch")
	w.caseA = w.openCase(t, w.custA, 57)
	w.caseA2 = w.openCase(t, w.custA, 61)
	w.caseB = w.openCase(t, w.custB, 69)
	w.handOff(t, w.caseB, tier3Queue)
	w.contactA = w.recordContact(t, w.custA, w.caseA, 57)
	w.contactB = w.recordContact(t, w.custB, w.caseB, 69)
	w.mergeA, w.mergeB = w.newMerge(t), w.newMerge(t)

	rules := w.call(t, w.admin, "GET", "/v1/routing/rules/1", nil, http.StatusOK)
	doc, err := json.Marshal(rules["rules"])
	if err != nil {
		t.Fatal(err)
	}
	w.ruleDoc = doc
	w.call(t, w.admin, "POST", "/v1/routing/rules", w.ruleDoc, http.StatusCreated) // version 2, not active

	w.landlordA, w.landlordB = w.newLandlord(t, "Landlord A"), w.newLandlord(t, "Landlord B")
	w.propertyA, w.propertyB = w.newProperty(t, w.landlordA), w.newProperty(t, w.landlordB)
	tenantA := w.newCustomer(t, "Tenant-A")
	w.tenantB = w.newCustomer(t, "Tenant-B")
	w.tenancyA = w.newTenancy(t, w.landlordA, w.propertyA, tenantA)
	// The tenant's own council tax enquiry, open when the landlord writes about the same service.
	w.tenantCaseA = w.openCase(t, tenantA, 58)
	w.tenancyB = w.newTenancy(t, w.landlordB, w.propertyB, w.tenantB)
	w.endedTenancyA = w.call(t, w.admin, "POST", "/v1/landlords/"+w.landlordA+"/tenancies", js{"propertyId": w.propertyA,
		"customerId": w.newCustomer(t, "Former-Tenant"), "startsOn": time.Now().AddDate(-3, 0, 0).Format(time.DateOnly),
		"endsOn": time.Now().AddDate(-2, 0, 0).Format(time.DateOnly)}, http.StatusCreated)["id"].(string)
	userA := h.token(auth.Claims{Subject: subjects[landlordRole], Roles: []auth.Role{auth.Landlord}, LandlordID: w.landlordA})
	userB := h.token(auth.Claims{Subject: "landlord-user-b", Roles: []auth.Role{auth.Landlord}, LandlordID: w.landlordB})
	w.call(t, userA, "POST", "/v1/invitations/"+w.invite(t, w.landlordA)+"/accept", nil, http.StatusOK)
	w.call(t, userB, "POST", "/v1/invitations/"+w.invite(t, w.landlordB)+"/accept", nil, http.StatusOK)
	if raised := w.raiseAsLandlord(t, userA, w.propertyA, w.tenancyA); raised != w.tenantCaseA {
		w.raisedByA[raised] = true
	}
	w.caseLandlordB = w.raiseAsLandlord(t, userB, w.propertyB, w.tenancyB)
	w.invitationUse = w.invite(t, w.landlordA)
	other := h.token(auth.Claims{Subject: "landlord-user-a2", Roles: []auth.Role{auth.Landlord}, LandlordID: w.landlordA})
	w.call(t, other, "POST", "/v1/invitations/"+w.invitationUse+"/accept", nil, http.StatusOK)

	w.tokens = [roleCount]string{
		anonymous:       "",
		citizenRole:     h.token(auth.Claims{Subject: subjects[citizenRole], Roles: []auth.Role{auth.Citizen}, CustomerID: w.custA}),
		landlordRole:    userA,
		agentTier1:      h.token(auth.Claims{Subject: subjects[agentTier1], Roles: []auth.Role{auth.Agent}, Tier: 1}),
		agentTier3:      h.token(auth.Claims{Subject: subjects[agentTier3], Roles: []auth.Role{auth.Agent}, Tier: 3}),
		supervisorRole:  h.token(auth.Claims{Subject: subjects[supervisorRole], Roles: []auth.Role{auth.Supervisor}}),
		adminRole:       h.token(auth.Claims{Subject: subjects[adminRole], Roles: []auth.Role{auth.Admin}}),
		integrationRole: h.token(auth.Claims{Subject: subjects[integrationRole], Roles: []auth.Role{auth.Integration}}),
		qaRole:          h.token(auth.Claims{Subject: subjects[qaRole], Roles: []auth.Role{auth.QA}}),
	}
	if c := w.call(t, w.admin, "GET", "/v1/cases/"+w.caseA, nil, http.StatusOK); c["tier"] != 1.0 {
		t.Fatalf("citizen A's case should be tier 1: %v", c)
	}
	if c := w.call(t, w.admin, "GET", "/v1/cases/"+w.caseB, nil, http.StatusOK); c["tier"] != 3.0 {
		t.Fatalf("the other case should be tier 3: %v", c)
	}
	return w
}

// call sends one fixture request and fails unless it answers want; it returns the body.
func (w *world) call(t *testing.T, token, method, path string, body any, want int, headers ...string) js {
	t.Helper()
	return call(t, w.h, token, method, path, body, want, headers...)
}

// unique returns a number not used before in this world.
func (w *world) unique() int { w.n++; return w.n }

func (w *world) email() string { return fmt.Sprintf("authz-%d@example.org", w.unique()) }

func (w *world) newCustomer(t *testing.T, family string) string {
	t.Helper()
	c := w.call(t, w.admin, "POST", "/v1/customers", js{"familyName": family,
		"identifiers": []js{{"kind": "email", "value": w.email()}}}, http.StatusCreated)
	return c["id"].(string)
}

func (w *world) openCase(t *testing.T, customer string, lgsl int) string {
	t.Helper()
	return w.call(t, w.admin, "POST", "/v1/cases", js{"customerId": customer, "service": js{"lgsl": lgsl}}, http.StatusCreated)["id"].(string)
}

func (w *world) handOff(t *testing.T, caseID, queue string) {
	t.Helper()
	w.call(t, w.admin, "POST", "/v1/cases/"+caseID+"/handoffs", js{"queue": queue, "reason": "complexity"}, http.StatusCreated)
}

func (w *world) recordContact(t *testing.T, customer, caseID string, lgsl int) string {
	t.Helper()
	c := w.call(t, w.admin, "POST", "/v1/contacts", js{"channel": "phone", "service": js{"lgsl": lgsl},
		"customerId": customer, "caseId": caseID}, http.StatusCreated)
	return c["contact"].(map[string]any)["id"].(string)
}

func (w *world) newMerge(t *testing.T) string {
	t.Helper()
	survivor, duplicate := w.newCustomer(t, "Survivor"), w.newCustomer(t, "Duplicate")
	m := w.call(t, w.admin, "POST", "/v1/customers/"+survivor+"/merge", js{"duplicateId": duplicate, "reason": "same person"}, http.StatusOK)
	return m["mergeId"].(string)
}

func (w *world) newLandlord(t *testing.T, name string) string {
	t.Helper()
	return w.call(t, w.admin, "POST", "/v1/landlords", js{"name": name}, http.StatusCreated)["id"].(string)
}

func (w *world) newProperty(t *testing.T, landlord string) string {
	t.Helper()
	p := w.call(t, w.admin, "POST", "/v1/landlords/"+landlord+"/properties", js{"uprn": fmt.Sprint(100000 + w.unique())}, http.StatusCreated)
	return p["id"].(string)
}

func (w *world) newTenancy(t *testing.T, landlord, property, customer string) string {
	t.Helper()
	start := time.Now().AddDate(-1, 0, 0).Format(time.DateOnly)
	return w.call(t, w.admin, "POST", "/v1/landlords/"+landlord+"/tenancies",
		js{"propertyId": property, "customerId": customer, "startsOn": start}, http.StatusCreated)["id"].(string)
}

func (w *world) invite(t *testing.T, landlord string) string {
	t.Helper()
	return w.call(t, w.admin, "POST", "/v1/landlords/"+landlord+"/invitations", js{"email": w.email()}, http.StatusCreated)["token"].(string)
}

func (w *world) raiseAsLandlord(t *testing.T, token, property, tenancy string) string {
	t.Helper()
	r := w.call(t, token, "POST", "/v1/landlord/contacts", js{"propertyId": property, "tenancyId": tenancy,
		"service": js{"lgsl": 58}, "intent": "change_of_tenant"}, http.StatusCreated)
	return r["case"].(map[string]any)["id"].(string)
}

// freshCase is a new case for a cell that changes one: own is tier 1, other tier 3,
// none a case that does not exist.
func (w *world) freshCase(t *testing.T, res resource) string {
	t.Helper()
	switch res {
	case missingResource:
		return uuid.NewString()
	case otherResource:
		id := w.openCase(t, w.custC, 69)
		w.handOff(t, id, tier3Queue)
		return id
	}
	return w.openCase(t, w.custC, 69)
}

// resolvedCase is a fresh case, resolved, for the reopen cells.
func (w *world) resolvedCase(t *testing.T, res resource) string {
	t.Helper()
	id := w.freshCase(t, res)
	if res != missingResource {
		w.call(t, w.admin, "POST", "/v1/cases/"+id+"/resolve", js{"resolutionCode": "done"}, http.StatusOK)
	}
	return id
}

// claimedCase is a fresh case held by the caller (own, tier 1) or by another agent (other, tier 3).
func (w *world) claimedCase(t *testing.T, r role, res resource) string {
	t.Helper()
	id := w.freshCase(t, res)
	holder := "agent-someone-else"
	if res == ownResource {
		holder = subjects[r]
		if holder == "" {
			holder = "nobody"
		}
	}
	if res != missingResource {
		w.call(t, w.admin, "PATCH", "/v1/cases/"+id, js{"assignee": holder}, http.StatusOK, "If-Match", "*")
	}
	return id
}

// newLandlordUser is a token for a user of landlord who has not yet accepted an invitation.
func (w *world) newLandlordUser(landlord string) string {
	return w.h.token(auth.Claims{Subject: fmt.Sprint("landlord-user-new-", w.unique()), Roles: []auth.Role{auth.Landlord}, LandlordID: landlord})
}

// acceptAtOnce has n new users of landlord A accept one invitation at the same time,
// and counts those let in.
func (w *world) acceptAtOnce(t *testing.T, invitation string, n int) int {
	t.Helper()
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = w.newLandlordUser(w.landlordA)
	}
	var wg sync.WaitGroup
	var ok atomic.Int32
	start := make(chan struct{})
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest("POST", w.h.url+"/v1/invitations/"+invitation+"/accept", nil)
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			<-start
			resp, err := w.h.http.Do(req)
			if err != nil {
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ok.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	return int(ok.Load())
}

// heldTier3 is a fresh tier 3 case whose claim the caller holds.
func (w *world) heldTier3(t *testing.T, r role) string {
	t.Helper()
	id := w.freshCase(t, otherResource)
	w.call(t, w.admin, "PATCH", "/v1/cases/"+id, js{"assignee": subjects[r]}, http.StatusOK, "If-Match", "*")
	return id
}

// referral is a fresh referral of a fresh case.
func (w *world) referral(t *testing.T, res resource) string {
	t.Helper()
	if res == missingResource {
		return uuid.NewString()
	}
	id := w.freshCase(t, res)
	return w.call(t, w.admin, "POST", "/v1/cases/"+id+"/referrals", js{"partner": "citizens-advice", "reason": "debt advice"}, http.StatusCreated)["id"].(string)
}

// identifier is a fresh identifier of A's (own) or B's (other) record: customer and identifier ids.
func (w *world) identifier(t *testing.T, res resource) (string, string) {
	t.Helper()
	customer := w.custA
	switch res {
	case missingResource:
		return uuid.NewString(), uuid.NewString()
	case otherResource:
		customer = w.custB
	}
	value := w.email()
	c := w.call(t, w.admin, "POST", "/v1/customers/"+customer+"/identifiers", js{"kind": "email", "value": value}, http.StatusCreated)
	for _, id := range c["identifiers"].([]any) {
		if id := id.(map[string]any); id["value"] == value {
			return customer, id["id"].(string)
		}
	}
	t.Fatalf("the identifier added is not on the record: %v", c)
	return "", ""
}

// own picks a, b or a missing id by resource.
func own(res resource, a, b string) string {
	switch res {
	case otherResource:
		return b
	case missingResource:
		return uuid.NewString()
	}
	return a
}

// authzWebhookURL is where the table's subscriptions point: nothing listens there, and
// the hub is told private destinations are allowed.
const authzWebhookURL = "http://127.0.0.1:9/authz-hook"

// webhook is a subscription for a cell: own is made with the caller's subject, other
// with another integration's.
func (w *world) webhook(t *testing.T, r role, res resource) string {
	t.Helper()
	if res == missingResource {
		return uuid.NewString()
	}
	owner := "integration-other"
	if res == ownResource && subjects[r] != "" {
		owner = subjects[r]
	}
	token := w.h.token(auth.Claims{Subject: owner, Roles: []auth.Role{auth.Integration}})
	return w.call(t, token, "POST", "/v1/webhooks", js{"url": authzWebhookURL, "eventTypes": []string{"case.resolved"}},
		http.StatusCreated)["id"].(string)
}

// deadDelivery is a subscription for a cell (see webhook) with a dead delivery to retry;
// for no resource, ids that do not exist.
func (w *world) deadDelivery(t *testing.T, r role, res resource) (string, string) {
	t.Helper()
	if res == missingResource {
		return uuid.NewString(), uuid.NewString()
	}
	sub, id := w.webhook(t, r, res), uuid.NewString()
	db := w.h.app.DB
	now := time.Now().UTC()
	if _, err := db.Exec(db.Rebind(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, msg_key, body,
 status, attempts, retry_from, next_attempt_at, created_at, finished_at) VALUES (?, ?, ?, 'case.resolved', 'k', '{}', 'dead', 12, ?, ?, ?, ?)`),
		id, sub, uuid.NewString(), now, now, now, now); err != nil {
		t.Fatal(err)
	}
	return sub, id
}
