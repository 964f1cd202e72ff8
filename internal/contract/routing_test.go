package contract

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
)

func supervisor(h *hub) *contacthub.ClientWithResponses {
	return h.client(h.token(auth.Claims{Subject: "sup-sam", Roles: []auth.Role{auth.Supervisor}}))
}

func TestRouting_DefaultRulesSendEachEnquiryToItsTierAndQueue(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		vulnerable := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Clarke"), Needs: &contacthub.Needs{Vulnerable: ptr(true)},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900301")}})
		for i, tc := range []struct {
			name       string
			in         contacthub.ContactCreate
			tier       int
			queue, why string
			self       bool
		}{
			{"council tax enquiry", contacthub.ContactCreate{Service: contacthub.Service{Lgsl: 58}}, 1, "advisors", "council-tax-first-point", true},
			{"fraud report", contacthub.ContactCreate{Service: contacthub.Service{Lgsl: 726}}, 3, "fraud", "benefit-fraud", false},
			{"new benefit claim", contacthub.ContactCreate{Service: contacthub.Service{Lgsl: 69}}, 2, "blt-officers", "new-benefit-claims", false},
			{"claim needing evidence", contacthub.ContactCreate{Service: contacthub.Service{Lgsl: 70}, EvidenceRequired: ptr(true)}, 3, "benefits-assessment", "evidence-needed", false},
			{"high arrears", contacthub.ContactCreate{Service: contacthub.Service{Lgsl: 58}, Amount: ptr(int64(250000))}, 3, "council-tax-recovery", "high-council-tax-arrears", false},
			{"vulnerable customer", contacthub.ContactCreate{Service: contacthub.Service{Lgsl: 474}, CustomerId: &vulnerable.Id}, 2, "vulnerable-support", "vulnerable-customers", false},
			{"landlord support", contacthub.ContactCreate{Service: contacthub.Service{Lgsl: 1616}}, 1, "advisors", "default", false},
		} {
			tc.in.Channel = contacthub.ChannelPhone
			if tc.in.CustomerId == nil {
				tc.in.Identifiers = &[]contacthub.IdentifierInput{phone("0770090040" + string(rune('0'+i)))}
			}
			got := record(t, ag, tc.in)
			cs, _ := got.Case.Get()
			if cs.Tier != tc.tier || cs.Queue != tc.queue || cs.Routing.Rule != tc.why || cs.Routing.RulesetVersion != 1 {
				t.Errorf("%s: tier %d queue %s rule %s, want tier %d %s %s", tc.name, cs.Tier, cs.Queue, cs.Routing.Rule, tc.tier, tc.queue, tc.why)
			}
			if got.Routing == nil || got.Routing.Rule != tc.why || !strings.Contains(got.Routing.Summary, tc.queue) {
				t.Errorf("%s: routing = %+v", tc.name, got.Routing)
			} else if (len(got.Routing.SelfService) > 0) != tc.self {
				t.Errorf("%s: self-service suggestions %v", tc.name, got.Routing.SelfService)
			}
			if got.Contact.Id.String() == "" || !cs.SlaDueAt.After(cs.CreatedAt) {
				t.Errorf("%s: SLA %v", tc.name, cs.SlaDueAt)
			}
		}
	})
}

func TestRoutingDecisions_ExplainWithoutWriting(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		before := h.count("contacts") + h.count("cases")
		resp, err := ag.DecideRoutingWithResponse(ctx, contacthub.DecisionRequest{Service: contacthub.Service{Lgsl: 58},
			Channel: contacthub.ChannelIvr, Amount: ptr(int64(50000))})
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("decide: %v %s", err, resp.Body)
		}
		d := resp.JSON200
		if d.Decision.Rule != "council-tax-first-point" || d.Decision.Tier != 1 || len(d.Decision.SelfService) != 3 {
			t.Fatalf("decision = %+v", d.Decision)
		}
		last := d.Explanation[len(d.Explanation)-1]
		if !last.Matched || last.Rule != "council-tax-first-point" || len(d.Explanation) != 9 {
			t.Fatalf("explanation = %+v", d.Explanation)
		}
		if d.Explanation[4].Reason != "amount 50000 does not meet > 100000" {
			t.Fatalf("arrears step says %q", d.Explanation[4].Reason)
		}
		// A candidate rule set is used instead of the active one.
		var rs contacthub.RuleSet
		if err := json.Unmarshal([]byte(`{"queues":[{"name":"everything","tier":2}],"rules":[],
			"default":{"tier":2,"queue":"everything","priority":1,"sla":{"hours":4}}}`), &rs); err != nil {
			t.Fatal(err)
		}
		cand, _ := ag.DecideRoutingWithResponse(ctx, contacthub.DecisionRequest{Service: contacthub.Service{Lgsl: 58}, Channel: contacthub.ChannelIvr, Rules: &rs})
		if cand.JSON200 == nil || cand.JSON200.Decision.Queue != "everything" || cand.JSON200.Decision.RulesetVersion != 0 {
			t.Fatalf("candidate decision: %s", cand.Body)
		}
		if h.count("contacts")+h.count("cases") != before {
			t.Fatal("a decision wrote something")
		}
	})
}

const badRuleSet = `{
  "queues": [{"name": "advisors", "tier": 1}],
  "rules": [
    {"id": "catch-all", "then": {"tier": 1, "queue": "advisors", "priority": 3, "sla": {"hours": 24}}},
    {"id": "too-late", "when": {"service": [58], "channel": ["phone"]}, "then": {"tier": 2, "queue": "nowhere", "priority": 3, "sla": {"hours": 24}}}
  ],
  "default": {"tier": 1, "queue": "advisors", "priority": 9, "sla": {}}
}`

func TestPublishRules_RejectsABadRuleSetListingEveryProblem(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.token(auth.Claims{Subject: "sup", Roles: []auth.Role{auth.Supervisor}})
		resp, body := h.raw("POST", "/v1/routing/rules", tok, "application/json", []byte(badRuleSet))
		p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value")
		want := []string{"rules[1]", "rules[1].when", "rules[1].then.queue", "default.priority", "default.sla"}
		if got := fieldsOf(p); !slices.Equal(got, want) {
			t.Fatalf("problems at %v, want %v", got, want)
		}
		nested := `{"queues":[{"name":"a","tier":1}],"rules":[{"id":"x","when":{"all":[{"colour":"red"}]},"then":{"tier":1,"queue":"a","priority":1,"sla":{"hours":1}}}],"default":{"tier":1,"queue":"a","priority":1,"sla":{"hours":1}}}`
		resp, body = h.raw("POST", "/v1/routing/rules", tok, "application/json", []byte(nested))
		wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value")
		resp, body = h.raw("POST", "/v1/routing/rules", tok, "application/json", []byte(`{"queues":[],"rules":[],"default":{},"extra":1}`))
		wantProblem(t, http.StatusBadRequest, body, resp.StatusCode, "validation")
		agentTok := h.token(agentClaims())
		resp, body = h.raw("POST", "/v1/routing/rules", agentTok, "application/json", []byte(badRuleSet))
		wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
		if n := h.count("routing_rulesets"); n != 1 {
			t.Fatalf("%d rule sets after rejected publishes, want the default only", n)
		}
	})
}

// everythingToTier2 is a candidate that sends all council tax to BLT officers.
func everythingToTier2(t *testing.T) contacthub.RuleSet {
	var rs contacthub.RuleSet
	doc := `{"queues":[{"name":"advisors","tier":1},{"name":"blt-officers","tier":2}],
	 "rules":[{"id":"council-tax-to-officers","when":{"service":[58,59]},"then":{"tier":2,"queue":"blt-officers","priority":2,"sla":{"businessHours":8}}}],
	 "default":{"tier":1,"queue":"advisors","priority":3,"sla":{"hours":240}}}`
	if err := json.Unmarshal([]byte(doc), &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestPublishRules_ActivationReachesEveryReplica(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			first := startHub(t, b, nil)
			cfg := first.cfg
			if b.RedisURL != "" {
				// Only the bus can tell the second replica in time: polling is off.
				cfg.RulesPoll = time.Hour
			}
			second := startHubWith(t, b, cfg)
			pub, err := supervisor(first).PublishRuleSetWithResponse(ctx, nil, everythingToTier2(t))
			if err != nil || pub.JSON201 == nil || pub.JSON201.Version != 2 || !pub.JSON201.Active {
				t.Fatalf("publish: %v %s", err, pub.Body)
			}
			waitForRule := func(h *hub, rule string) {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second)
				for {
					d, err := h.agent().DecideRoutingWithResponse(ctx, contacthub.DecisionRequest{Service: contacthub.Service{Lgsl: 58}, Channel: contacthub.ChannelPhone})
					if err == nil && d.JSON200 != nil && d.JSON200.Decision.Rule == rule {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("the replica still decides with %s", d.Body)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			waitForRule(second, "council-tax-to-officers")
			// Roll back on the second replica; the first follows.
			act, err := supervisor(second).ActivateRuleSetWithResponse(ctx, 1)
			if err != nil || act.JSON200 == nil || !act.JSON200.Active {
				t.Fatalf("activate: %v %s", err, act.Body)
			}
			waitForRule(first, "council-tax-first-point")
			list, _ := first.agent().ListRuleSetsWithResponse(ctx)
			if list.JSON200.Active.Version != 1 || len(list.JSON200.Versions) != 2 || list.JSON200.Versions[0].Active {
				t.Fatalf("history = %+v", list.JSON200.Versions)
			}
			if len(list.JSON200.Active.Rules.Rules) != 10 {
				t.Fatalf("active rules = %d", len(list.JSON200.Active.Rules.Rules))
			}
		})
	}
}

func TestQueues_FiftyAgentsClaimTwentyCasesWithoutCollision(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		for i := range 20 {
			in := contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 58},
				Identifiers: &[]contacthub.IdentifierInput{phone("077009005" + twoDigits(i))}}
			record(t, ag, in)
		}
		var mu sync.Mutex
		claimed := map[string]string{}
		empty := 0
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				agent := "agent-" + twoDigits(i)
				c := h.client(h.token(auth.Claims{Subject: agent, Roles: []auth.Role{auth.Agent}, Tier: 1}))
				resp, err := c.ClaimNextCaseWithResponse(ctx, "advisors")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				switch resp.StatusCode() {
				case http.StatusOK:
					if prev, dup := claimed[resp.JSON200.Id.String()]; dup {
						t.Errorf("case %s claimed by %s and %s", resp.JSON200.Id, prev, agent)
					}
					if *resp.JSON200.Assignee != agent {
						t.Errorf("assignee %s, want %s", *resp.JSON200.Assignee, agent)
					}
					claimed[resp.JSON200.Id.String()] = agent
				case http.StatusNoContent:
					empty++
				default:
					t.Errorf("claim: %d %s", resp.StatusCode(), resp.Body)
				}
			}()
		}
		wg.Wait()
		if len(claimed) != 20 || empty != 30 {
			t.Fatalf("%d cases claimed and %d empty answers, want 20 and 30", len(claimed), empty)
		}
	})
}

func twoDigits(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestQueues_ClaimOrderTierLimitsHandoffsAndRelease(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		low := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 58}, Identifiers: &[]contacthub.IdentifierInput{phone("07700900601")}})
		urgent := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 58}, Identifiers: &[]contacthub.IdentifierInput{phone("07700900602")}})
		uc, _ := urgent.Case.Get()
		if r, _ := ag.UpdateCaseWithResponse(ctx, uc.Id, &contacthub.UpdateCaseParams{IfMatch: "*"}, contacthub.CasePatch{Priority: ptr(1)}); r.JSON200 == nil {
			t.Fatal(string(r.Body))
		}
		qs, _ := ag.ListQueuesWithResponse(ctx)
		var advisors contacthub.QueueStats
		for _, q := range qs.JSON200.Items {
			if q.Name == "advisors" {
				advisors = q
			}
		}
		if advisors.Waiting != 2 || advisors.Tier != 1 || len(qs.JSON200.Items) != 8 {
			t.Fatalf("queues = %+v", qs.JSON200.Items)
		}
		first, _ := ag.ClaimNextCaseWithResponse(ctx, "advisors")
		if first.JSON200 == nil || first.JSON200.Id != uc.Id {
			t.Fatalf("the priority 1 case should come first: %s", first.Body)
		}
		tier3, _ := ag.ClaimNextCaseWithResponse(ctx, "fraud")
		wantProblem(t, http.StatusForbidden, tier3.Body, tier3.StatusCode(), "forbidden")
		none, _ := ag.ClaimNextCaseWithResponse(ctx, "no-such-queue")
		wantProblem(t, http.StatusNotFound, none.Body, none.StatusCode(), "not-found")

		other := h.client(h.token(auth.Claims{Subject: "agent-bob", Roles: []auth.Role{auth.Agent}, Tier: 1}))
		notYours, _ := other.ReleaseCaseWithResponse(ctx, uc.Id)
		wantProblem(t, http.StatusForbidden, notYours.Body, notYours.StatusCode(), "forbidden")
		released, _ := ag.ReleaseCaseWithResponse(ctx, uc.Id)
		if released.JSON200 == nil || released.JSON200.Assignee != nil {
			t.Fatalf("release: %s", released.Body)
		}

		bad, _ := ag.HandOffCaseWithResponse(ctx, uc.Id, nil, contacthub.HandoffRequest{Queue: "blt-officers", Reason: "bored"})
		wantProblem(t, http.StatusUnprocessableEntity, bad.Body, bad.StatusCode(), "invalid-value")
		up, _ := ag.HandOffCaseWithResponse(ctx, uc.Id, nil, contacthub.HandoffRequest{Queue: "council-tax-recovery", Reason: "complexity", Note: ptr("liability order")})
		if up.JSON201 == nil || up.JSON201.Tier != 3 || up.JSON201.Queue != "council-tax-recovery" || up.JSON201.HandoffCount != 1 {
			t.Fatalf("hand-off: %s", up.Body)
		}
		// Once at tier 3, the case is a tier 3 officer's to move (issue 12, item 6).
		down, _ := officer(h, 3).HandOffCaseWithResponse(ctx, uc.Id, nil, contacthub.HandoffRequest{Queue: "advisors", Reason: "wrong_queue"})
		if down.JSON201 == nil || down.JSON201.Tier != 1 || down.JSON201.HandoffCount != 2 {
			t.Fatalf("de-escalation: %s", down.Body)
		}
		same, _ := ag.HandOffCaseWithResponse(ctx, uc.Id, nil, contacthub.HandoffRequest{Queue: "advisors", Reason: "wrong_queue"})
		wantProblem(t, http.StatusConflict, same.Body, same.StatusCode(), "conflict")
		tl, _ := ag.GetCaseTimelineWithResponse(ctx, uc.Id, nil)
		var handoffs []string
		for _, ev := range tl.JSON200.Items {
			if ev.Kind == "case.handed_off" {
				handoffs = append(handoffs, ev.Data["reason"].(string))
			}
		}
		if !slices.Equal(handoffs, []string{"wrong_queue", "complexity"}) {
			t.Fatalf("hand-offs on the timeline = %v", handoffs)
		}
		_ = low
	})
}

func TestSimulationAndRoutingReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		start := time.Now().UTC().Add(-time.Hour)
		for i, lgsl := range []int{58, 58, 59, 474, 69, 726} {
			in := contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: lgsl},
				Identifiers: &[]contacthub.IdentifierInput{phone("077009007" + twoDigits(i))}}
			if i == 0 {
				in.Outcome = ptr(contacthub.OutcomeResolvedFirstContact)
			}
			record(t, ag, in)
		}
		sim, err := supervisor(h).SimulateRoutingWithResponse(ctx, contacthub.SimulationRequest{Rules: everythingToTier2(t), From: start, To: time.Now().UTC().Add(time.Minute)})
		if err != nil || sim.JSON200 == nil {
			t.Fatalf("simulate: %v %s", err, sim.Body)
		}
		s := sim.JSON200
		if s.Contacts != 6 || s.Recorded.Tiers["1"] != 4 || s.Recorded.Tiers["2"] != 1 || s.Recorded.Tiers["3"] != 1 {
			t.Fatalf("recorded mix = %+v", s.Recorded)
		}
		if s.Candidate.Tiers["2"] != 3 || s.Candidate.Tiers["1"] != 3 || s.Candidate.Queues["blt-officers"] != 3 || s.Changed != 5 {
			t.Fatalf("candidate mix = %+v, changed %d", s.Candidate, s.Changed)
		}
		if h.count("routing_rulesets") != 1 {
			t.Fatal("a simulation published something")
		}

		cases, _ := ag.ListCasesWithResponse(ctx, &contacthub.ListCasesParams{Tier: ptr(3)})
		fraud := cases.JSON200.Items[0]
		officer(h, 3).HandOffCaseWithResponse(ctx, fraud.Id, nil, contacthub.HandoffRequest{Queue: "blt-officers", Reason: "wrong_queue"})
		rep, err := supervisor(h).GetRoutingReportWithResponse(ctx, &contacthub.GetRoutingReportParams{From: start, To: time.Now().UTC().Add(time.Minute)})
		if err != nil || rep.JSON200 == nil {
			t.Fatalf("report: %v %s", err, rep.Body)
		}
		r := rep.JSON200
		if r.CasesOpened != 6 || r.ContactsByTier["1"] != 4 || r.Handoffs != 1 || r.HandoffsByReason["wrong_queue"] != 1 || r.HandoffsByTiers["3→2"] != 1 {
			t.Fatalf("report = %+v", r)
		}
		if r.FirstContactResolutionRate < 0.16 || r.FirstContactResolutionRate > 0.17 || r.HandoffRate < 0.16 || r.HandoffRate > 0.17 {
			t.Fatalf("rates = %v %v", r.FirstContactResolutionRate, r.HandoffRate)
		}
		forbidden, _ := ag.GetRoutingReportWithResponse(ctx, &contacthub.GetRoutingReportParams{From: start, To: time.Now()})
		wantProblem(t, http.StatusForbidden, forbidden.Body, forbidden.StatusCode(), "forbidden")
	})
}
