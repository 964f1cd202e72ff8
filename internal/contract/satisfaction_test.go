package contract

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/sms"
)

func integration(h *hub) *contacthub.ClientWithResponses {
	return h.client(h.token(auth.Claims{Subject: "ivr-system", Roles: []auth.Role{auth.Integration}}))
}

func TestRatings_EachSourceAttachesToWhatItRates(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		call := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 69},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900811")}})
		cs, _ := call.Case.Get()

		anon := h.client("")
		web, err := anon.RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage,
			Score: ptr(4), PageUrl: ptr("https://www.council.example/council-tax/pay?account=512345678#top")})
		if err != nil || web.JSON201 == nil {
			t.Fatalf("web rating: %v %s", err, web.Body)
		}
		// An anonymous rater gets a receipt; the channel the rating counts under is kept.
		if got := pageReceipt(t, web); *got.PageUrl != "https://www.council.example/council-tax/pay" || storedChannel(t, h, got.Id) != "web_self_service" {
			t.Fatalf("web rating = %s", web.Body)
		}
		useful, _ := anon.RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage,
			Useful: ptr(false), Comment: ptr("could not find the form"), PageUrl: ptr("https://www.council.example/benefits")})
		if useful.JSON201 == nil || *pageReceipt(t, useful).Useful {
			t.Fatalf("useful form: %s", useful.Body)
		}
		kiosk, _ := integration(h).RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceKiosk, Score: ptr(5), Centre: ptr("civic-centre")})
		if got := staffRating(t, kiosk); *got.Channel != "face_to_face" || *got.Centre != "civic-centre" {
			t.Fatalf("kiosk: %s", kiosk.Body)
		}
		keypad, _ := integration(h).RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceIvr, Score: ptr(2), ContactId: &call.Contact.Id})
		if got := staffRating(t, keypad); *got.CaseId != cs.Id || *got.Tier != 2 || *got.Service != 69 || *got.Agent != "agent-alice" {
			t.Fatalf("keypad: %s", keypad.Body)
		}
		byAgent, _ := ag.RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceAgentRecorded, Score: ptr(5), CaseId: &cs.Id})
		if got := staffRating(t, byAgent); *got.CaseId != cs.Id {
			t.Fatalf("agent recorded: %s", byAgent.Body)
		}
		tl, _ := ag.GetCaseTimelineWithResponse(ctx, cs.Id, nil)
		if tl.JSON200.Items[0].Kind != "rating.recorded" || tl.JSON200.Items[1].Kind != "rating.recorded" {
			t.Fatalf("ratings missing from the case timeline: %s, %s", tl.JSON200.Items[0].Kind, tl.JSON200.Items[1].Kind)
		}

		before := h.count("ratings")
		for _, tc := range []struct {
			name   string
			c      *contacthub.ClientWithResponses
			in     contacthub.RatingCreate
			status int
			typ    string
		}{
			{"anonymous kiosk", anon, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceKiosk, Score: ptr(5), Centre: ptr("civic-centre")}, 401, "unauthenticated"},
			{"score off the scale", anon, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage, Score: ptr(9), PageUrl: ptr("https://x.example/")}, 422, "invalid-value"},
			{"web page without its address", anon, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage, Score: ptr(3)}, 422, "invalid-value"},
			{"unknown centre", integration(h), contacthub.RatingCreate{Source: contacthub.RatingCreateSourceKiosk, Score: ptr(3), Centre: ptr("moon")}, 422, "invalid-value"},
			{"keypad without contact", integration(h), contacthub.RatingCreate{Source: contacthub.RatingCreateSourceIvr, Score: ptr(3)}, 422, "invalid-value"},
			{"integration recording for an agent", integration(h), contacthub.RatingCreate{Source: contacthub.RatingCreateSourceAgentRecorded, Score: ptr(3), CaseId: &cs.Id}, 403, "forbidden"},
			{"bad token", h.client("garbage"), contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage, Score: ptr(3), PageUrl: ptr("https://x.example/")}, 401, "unauthenticated"},
		} {
			resp, err := tc.c.RecordRatingWithResponse(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(tc.name, func(t *testing.T) { wantProblem(t, tc.status, resp.Body, resp.StatusCode(), tc.typ) })
		}
		if h.count("ratings") != before {
			t.Fatal("a rejected rating was kept")
		}
	})
}

func TestRatings_AnonymousWebRatingsAreLimited(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			h := startHub(t, b, func(c *config.Config) { c.RatingIPPerMinute, c.RatingPagePerMinute = 4, 2 })
			anon := h.client("")
			rate := func(page string) *contacthub.RecordRatingResponse {
				r, err := anon.RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceWebPage, Score: ptr(5), PageUrl: ptr(page)})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			for range 2 {
				if r := rate("https://www.council.example/a"); r.StatusCode() != 201 {
					t.Fatalf("%d %s", r.StatusCode(), r.Body)
				}
			}
			if r := rate("https://www.council.example/a"); r.StatusCode() != 202 || r.JSON202.Recorded {
				t.Fatalf("the page cap did not hold: %d %s", r.StatusCode(), r.Body)
			}
			if r := rate("https://www.council.example/b"); r.StatusCode() != 201 {
				t.Fatalf("another page: %d %s", r.StatusCode(), r.Body)
			}
			r := rate("https://www.council.example/c")
			wantProblem(t, http.StatusTooManyRequests, r.Body, r.StatusCode(), "rate-limited")
			if h.count("ratings") != 3 {
				t.Fatalf("%d ratings kept, want 3", h.count("ratings"))
			}
		})
	}
}

// fakeNotify is a stand-in GOV.UK Notify that records each send and answers as Notify does.
type fakeNotify struct {
	mu     sync.Mutex
	sends  []map[string]any
	failN  int // answer 500 to this many sends first
	server *httptest.Server
}

func newFakeNotify(t *testing.T) *fakeNotify {
	f := &fakeNotify{}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Path != "/v2/notifications/sms" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if f.failN > 0 {
			f.failN--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		f.sends = append(f.sends, body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"notif-` + string(rune('0'+len(f.sends))) + `","reference":null,"content":{"body":"…","from_number":"GOVUK"},"uri":"u","template":{"id":"t","version":1,"uri":"u"}}`))
	}))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeNotify) sent() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.sends...)
}

const notifyKey = "contacthub_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
const notifyToken = "callback-secret-1234"

func surveyHub(t *testing.T, b backend, tweak func(*config.Config)) *hub {
	return startHub(t, b, func(c *config.Config) {
		c.SurveyDelay, c.SurveyPoll, c.SurveyRetryBase = 0, 50*time.Millisecond, 20*time.Millisecond
		c.QuietFrom, c.QuietTo = 0, 0 // no quiet hours, so the test does not depend on the clock
		tweak(c)
	})
}

// surveysSent counts the surveys the hub has marked sent.
func (h *hub) surveysSent() int {
	h.t.Helper()
	var n int
	if err := h.app.DB.Get(&n, "SELECT count(*) FROM surveys WHERE status = 'sent'"); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestSurveys_NotifyEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			notify := newFakeNotify(t)
			notify.failN = 1 // the first send meets a 500 and is retried
			h := surveyHub(t, b, func(c *config.Config) {
				c.SMSProvider, c.NotifyAPIKey, c.NotifyBaseURL, c.NotifyTemplateID = "notify", notifyKey, notify.server.URL, "f33517ff-2a88-4f6e-b855-c550268ce08a"
				c.NotifyCallbackToken = notifyToken
			})
			ag := h.agent()
			cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"), Consents: &contacthub.Consents{SmsSurveys: ptr(true)},
				Identifiers: &[]contacthub.IdentifierInput{phone("07700 900123")}})
			call := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelIvr, Service: contacthub.Service{Lgsl: 58}, CustomerId: &cust.Id})
			ended, _ := ag.UpdateContactWithResponse(ctx, call.Contact.Id, &contacthub.UpdateContactParams{IfMatch: "*"}, contacthub.ContactPatch{EndedAt: ptr(time.Now().UTC())})
			if ended.JSON200 == nil {
				t.Fatalf("end call: %s", ended.Body)
			}
			waitFor(t, "the survey to reach Notify", func() bool { return len(notify.sent()) == 1 && h.surveysSent() == 1 })
			send := notify.sent()[0]
			if send["phone_number"] != "+447700900123" || send["template_id"] != "f33517ff-2a88-4f6e-b855-c550268ce08a" || send["reference"] == "" {
				t.Fatalf("Notify got %v", send)
			}
			// Ending it again, or a second contact now, does not survey twice.
			ag.UpdateContactWithResponse(ctx, call.Contact.Id, &contacthub.UpdateContactParams{IfMatch: "*"}, contacthub.ContactPatch{EndedAt: ptr(time.Now().UTC())})
			if h.count("surveys") != 1 {
				t.Fatalf("%d surveys", h.count("surveys"))
			}

			callback := func(path, token string, body any) (*http.Response, []byte) {
				raw, _ := json.Marshal(body)
				return h.raw("POST", path, token, "application/json", raw)
			}
			reply := map[string]any{"id": "inbound-1", "source_number": "447700900123", "destination_number": "07700900000",
				"message": "5 - great, thanks", "date_received": "2026-11-23T10:00:00.000000Z"}
			resp, body := callback("/v1/callbacks/notify/received-text", "wrong-token-123", reply)
			wantProblem(t, http.StatusUnauthorized, body, resp.StatusCode, "unauthenticated")
			if h.count("ratings") != 0 {
				t.Fatal("an unauthenticated callback wrote a rating")
			}
			for range 2 { // Notify retries; the repeat changes nothing
				if resp, body := callback("/v1/callbacks/notify/received-text", notifyToken, reply); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("received text: %d %s", resp.StatusCode, body)
				}
			}
			if h.count("ratings") != 1 {
				t.Fatalf("%d ratings from one reply", h.count("ratings"))
			}
			receipt := map[string]any{"id": "notif-1", "reference": nil, "to": "07700900123", "status": "delivered",
				"created_at": "2026-11-23T10:00:00.000000Z", "completed_at": nil, "sent_at": nil, "notification_type": "sms",
				"template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a", "template_version": 1}
			if resp, body := callback("/v1/callbacks/notify/delivery-status", notifyToken, receipt); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("receipt: %d %s", resp.StatusCode, body)
			}

			cs, _ := call.Case.Get()
			tl, _ := ag.GetCaseTimelineWithResponse(ctx, cs.Id, nil)
			if tl.JSON200.Items[0].Kind != "rating.recorded" || tl.JSON200.Items[0].Data["score"] != float64(5) || tl.JSON200.Items[0].Data["comment"] != "great, thanks" {
				t.Fatalf("the reply is not on the case timeline: %+v", tl.JSON200.Items[0])
			}
			custTL, _ := ag.GetCustomerTimelineWithResponse(ctx, cust.Id, &contacthub.GetCustomerTimelineParams{Limit: ptr(100)})
			var kinds []string
			for _, ev := range custTL.JSON200.Items {
				kinds = append(kinds, ev.Kind)
			}
			for _, want := range []string{"survey.scheduled", "survey.sent", "rating.recorded"} {
				if !contains(kinds, want) {
					t.Fatalf("customer timeline lacks %s: %v", want, kinds)
				}
			}
			from, to := time.Now().Add(-time.Hour).UTC(), time.Now().Add(time.Hour).UTC()
			rep, _ := supervisor(h).GetSatisfactionReportWithResponse(ctx, &contacthub.GetSatisfactionReportParams{From: from, To: to,
				GroupBy: ptr(contacthub.GetSatisfactionReportParamsGroupByChannel)})
			if rep.JSON200 == nil || len(rep.JSON200.Groups) != 1 || rep.JSON200.Groups[0].Key != "ivr" || rep.JSON200.Groups[0].Mean != 5 ||
				rep.JSON200.Groups[0].Csat != 1 || rep.JSON200.Surveys.Sent != 1 || rep.JSON200.Surveys.Delivered != 1 || rep.JSON200.Surveys.Answered != 1 {
				t.Fatalf("report: %s", rep.Body)
			}
			q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "groupBy": {"service"}}
			csvResp, csvBody := h.raw("GET", "/v1/reports/satisfaction?"+q.Encode(), h.token(auth.Claims{Roles: []auth.Role{auth.Supervisor}}), "", nil, "Accept", "text/csv")
			if csvResp.Header.Get("Content-Type") != "text/csv" || string(csvBody) != "service,count,mean,csat,score_1,score_2,score_3,score_4,score_5\n58,1,5.00,1.000,0,0,0,0,1\n" {
				t.Fatalf("CSV: %s %q", csvResp.Header.Get("Content-Type"), csvBody)
			}

			stop := map[string]any{"id": "inbound-2", "source_number": "07700900123", "message": "STOP"}
			callback("/v1/callbacks/notify/received-text", notifyToken, stop)
			after, _ := ag.GetCustomerWithResponse(ctx, cust.Id)
			if *after.JSON200.Consents.SmsSurveys {
				t.Fatal("STOP did not withdraw consent")
			}
		})
	}
}

func TestSurveys_TwilioSignedCallbacks(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var sends []url.Values
			twilio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				mu.Lock()
				sends = append(sends, r.PostForm)
				mu.Unlock()
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"sid":"SM0001","status":"queued"}`))
			}))
			defer twilio.Close()
			const token = "twilio-auth-token"
			var public string
			h := surveyHub(t, b, func(c *config.Config) {
				c.SMSProvider, c.TwilioAccountSID, c.TwilioAuthToken, c.TwilioFrom, c.TwilioBaseURL = "twilio", "AC1", token, "+447700900000", twilio.URL
				c.PublicURL = "https://hub.council.example"
				public = c.PublicURL
			})
			ag := h.agent()
			cust := createCustomer(t, ag, contacthub.CustomerCreate{Consents: &contacthub.Consents{SmsSurveys: ptr(true)},
				Identifiers: &[]contacthub.IdentifierInput{phone("07700900124")}})
			record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 474}, CustomerId: &cust.Id,
				StartedAt: ptr(time.Now().UTC().Add(-time.Minute)), EndedAt: ptr(time.Now().UTC())})
			// The hub marks a survey sent after the provider answers: a reply before that finds no survey.
			waitFor(t, "the survey to reach Twilio", func() bool { mu.Lock(); defer mu.Unlock(); return len(sends) == 1 && h.surveysSent() == 1 })
			mu.Lock()
			if sends[0].Get("To") != "+447700900124" || sends[0].Get("From") != "+447700900000" || !strings.Contains(sends[0].Get("Body"), "Reply STOP") {
				t.Fatalf("Twilio got %v", sends[0])
			}
			mu.Unlock()
			post := func(path string, form url.Values, sig string) (*http.Response, []byte) {
				return h.raw("POST", path, "", "application/x-www-form-urlencoded", []byte(form.Encode()), "X-Twilio-Signature", sig)
			}
			form := url.Values{"MessageSid": {"SMin1"}, "AccountSid": {"AC1"}, "From": {"+447700900124"}, "To": {"+447700900000"}, "Body": {"four"}, "NumMedia": {"0"}}
			good := sms.TwilioSignature(token, public+"/v1/callbacks/twilio/sms", form)
			tampered := url.Values{}
			for k, v := range form {
				tampered[k] = v
			}
			tampered.Set("Body", "1")
			resp, body := post("/v1/callbacks/twilio/sms", tampered, good)
			wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
			if h.count("ratings") != 0 {
				t.Fatal("a badly signed callback wrote a rating")
			}
			for range 2 {
				if resp, body := post("/v1/callbacks/twilio/sms", form, good); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("inbound: %d %s", resp.StatusCode, body)
				}
			}
			var score int
			if err := h.app.DB.Get(&score, "SELECT score FROM ratings"); err != nil || score != 4 || h.count("ratings") != 1 {
				t.Fatalf("rating %d (%v), %d ratings", score, err, h.count("ratings"))
			}
			status := url.Values{"MessageSid": {"SM0001"}, "MessageStatus": {"delivered"}, "AccountSid": {"AC1"}}
			if resp, body := post("/v1/callbacks/twilio/status", status, sms.TwilioSignature(token, public+"/v1/callbacks/twilio/status", status)); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status: %d %s", resp.StatusCode, body)
			}
			var delivery string
			if err := h.app.DB.Get(&delivery, "SELECT delivery_status FROM surveys"); err != nil || delivery != "delivered" {
				t.Fatalf("delivery status %q (%v)", delivery, err)
			}
		})
	}
}

func TestSurveys_EligibilityAndQuietHours(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			notify := newFakeNotify(t)
			h := surveyHub(t, b, func(c *config.Config) {
				c.SMSProvider, c.NotifyAPIKey, c.NotifyBaseURL, c.NotifyTemplateID = "notify", notifyKey, notify.server.URL, "t"
				c.SurveyPoll = time.Hour // nothing is sent: only the decisions are looked at
				c.QuietFrom, c.QuietTo = 20*60, 9*60
			})
			ag := h.agent()
			decide := func(name string, cust contacthub.CreateCustomerResponse, ch contacthub.Channel, ended time.Time) map[string]any {
				t.Helper()
				in := contacthub.ContactCreate{Channel: ch, Service: contacthub.Service{Lgsl: 58}, CustomerId: &cust.JSON201.Id, EndedAt: &ended, StartedAt: &ended}
				if ch == contacthub.ChannelFaceToFace {
					in.Centre = ptr("civic-centre")
				}
				record(t, ag, in)
				tl, _ := ag.GetCustomerTimelineWithResponse(ctx, cust.JSON201.Id, nil)
				for _, ev := range tl.JSON200.Items {
					if strings.HasPrefix(ev.Kind, "survey.") {
						ev.Data["kind"] = ev.Kind
						return ev.Data
					}
				}
				t.Fatalf("%s: no survey decision on the timeline", name)
				return nil
			}
			newCustomer := func(consent bool, number string) contacthub.CreateCustomerResponse {
				r, _ := ag.CreateCustomerWithResponse(ctx, nil, contacthub.CustomerCreate{Consents: &contacthub.Consents{SmsSurveys: ptr(consent)},
					Identifiers: &[]contacthub.IdentifierInput{phone(number)}})
				return *r
			}
			london, _ := time.LoadLocation("Europe/London")
			now := time.Now().In(london)
			noon := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, london).Add(-24 * time.Hour).UTC()
			late := time.Date(now.Year(), now.Month(), now.Day(), 22, 30, 0, 0, london).Add(-24 * time.Hour)
			for _, tc := range []struct {
				name   string
				cust   contacthub.CreateCustomerResponse
				ch     contacthub.Channel
				ended  time.Time
				reason string
			}{
				{"no consent", newCustomer(false, "07700900901"), contacthub.ChannelPhone, noon, "no consent to SMS surveys"},
				{"landline", newCustomer(true, "02079460019"), contacthub.ChannelPhone, noon, "no UK mobile number"},
				{"web contact", newCustomer(true, "07700900902"), contacthub.ChannelWebForm, noon, "contacts on this channel are not surveyed by SMS"},
			} {
				if d := decide(tc.name, tc.cust, tc.ch, tc.ended); d["kind"] != "survey.skipped" || d["reason"] != tc.reason {
					t.Errorf("%s: %v", tc.name, d)
				}
			}
			visitor := newCustomer(true, "07700900903")
			if d := decide("face to face with a mobile", visitor, contacthub.ChannelFaceToFace, noon); d["kind"] != "survey.scheduled" {
				t.Errorf("face to face: %v", d)
			}
			if d := decide("surveyed recently", visitor, contacthub.ChannelPhone, noon.Add(time.Hour)); d["reason"] != "surveyed recently" {
				t.Errorf("recently surveyed: %v", d)
			}
			evening := newCustomer(true, "07700900904")
			d := decide("quiet hours", evening, contacthub.ChannelPhone, late.UTC())
			next := time.Date(late.Year(), late.Month(), late.Day()+1, 9, 0, 0, 0, london)
			if d["kind"] != "survey.scheduled" || d["sendAfter"] != next.UTC().Format(time.RFC3339) {
				t.Errorf("a call ending at 22:30 should be surveyed at 09:00 the next morning: %v", d)
			}
		})
	}
}
