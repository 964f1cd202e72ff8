package contract

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
)

func landlordUser(h *hub, landlordID uuid.UUID, sub string) *contacthub.ClientWithResponses {
	return h.client(h.token(auth.Claims{Subject: sub, Roles: []auth.Role{auth.Landlord}, LandlordID: landlordID.String()}))
}

func TestLandlordPortal_InviteAcceptRaiseAndSeeOnlyYourCases(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		ll, err := ag.CreateLandlordWithResponse(ctx, nil, contacthub.LandlordCreate{Name: "Haringey Homes Ltd", Reference: ptr("LL-42")})
		if err != nil || ll.JSON201 == nil {
			t.Fatalf("landlord: %v %s", err, ll.Body)
		}
		other, _ := ag.CreateLandlordWithResponse(ctx, nil, contacthub.LandlordCreate{Name: "Other Lettings"})
		lid := ll.JSON201.Id
		prop, _ := ag.AddLandlordPropertyWithResponse(ctx, lid, contacthub.PropertyCreate{Uprn: "000100023336", Line1: ptr("Flat 2, 9 Mill Lane"), Postcode: ptr("n17 0ap")})
		if prop.JSON201 == nil || prop.JSON201.Uprn != "100023336" || *prop.JSON201.Postcode != "N17 0AP" {
			t.Fatalf("property: %s", prop.Body)
		}
		otherProp, _ := ag.AddLandlordPropertyWithResponse(ctx, other.JSON201.Id, contacthub.PropertyCreate{Uprn: "555"})
		tenant := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Tenant"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900661")}})
		start := openapi_types.Date{Time: time.Now().AddDate(-1, 0, 0)}
		ten, _ := ag.AddTenancyWithResponse(ctx, lid, contacthub.TenancyCreate{PropertyId: prop.JSON201.Id, CustomerId: tenant.Id, StartsOn: start})
		if ten.JSON201 == nil {
			t.Fatalf("tenancy: %s", ten.Body)
		}
		// The tenant has a case of their own that the landlord must never see.
		ag.OpenCaseWithResponse(ctx, nil, contacthub.CaseCreate{CustomerId: tenant.Id, Service: contacthub.Service{Lgsl: 69}})

		inv, _ := ag.InviteLandlordUserWithResponse(ctx, lid, contacthub.InvitationCreate{Email: "Lettings@HaringeyHomes.example"})
		if inv.JSON201 == nil || inv.JSON201.Email != "lettings@haringeyhomes.example" || inv.JSON201.Token == "" {
			t.Fatalf("invite: %s", inv.Body)
		}
		user := landlordUser(h, lid, "ll-user-1")
		before, _ := user.ListMyPropertiesWithResponse(ctx)
		wantProblem(t, http.StatusForbidden, before.Body, before.StatusCode(), "forbidden")

		wrongOrg, _ := landlordUser(h, other.JSON201.Id, "ll-user-2").AcceptInvitationWithResponse(ctx, inv.JSON201.Token)
		wantProblem(t, http.StatusForbidden, wrongOrg.Body, wrongOrg.StatusCode(), "forbidden")
		accepted, _ := user.AcceptInvitationWithResponse(ctx, inv.JSON201.Token)
		if accepted.JSON200 == nil || accepted.JSON200.LandlordId != lid {
			t.Fatalf("accept: %s", accepted.Body)
		}
		reused, _ := user.AcceptInvitationWithResponse(ctx, inv.JSON201.Token)
		wantProblem(t, http.StatusConflict, reused.Body, reused.StatusCode(), "conflict")
		stale, _ := ag.InviteLandlordUserWithResponse(ctx, lid, contacthub.InvitationCreate{Email: "late@example.org"})
		if _, err := h.app.DB.Exec(h.app.DB.Rebind("UPDATE landlord_invitations SET expires_at = ? WHERE email = ?"), time.Now().UTC().Add(-time.Hour), "late@example.org"); err != nil {
			t.Fatal(err)
		}
		expired, _ := landlordUser(h, lid, "ll-user-3").AcceptInvitationWithResponse(ctx, stale.JSON201.Token)
		wantProblem(t, http.StatusConflict, expired.Body, expired.StatusCode(), "conflict")
		unknown, _ := user.AcceptInvitationWithResponse(ctx, "not-a-token")
		wantProblem(t, http.StatusNotFound, unknown.Body, unknown.StatusCode(), "not-found")

		props, _ := user.ListMyPropertiesWithResponse(ctx)
		if props.JSON200 == nil || len(props.JSON200.Items) != 1 || len(props.JSON200.Items[0].Tenancies) != 1 {
			t.Fatalf("my properties: %s", props.Body)
		}
		raised, _ := user.LandlordContactWithResponse(ctx, nil, contacthub.LandlordContactCreate{PropertyId: prop.JSON201.Id,
			Service: contacthub.Service{Lgsl: 58}, Intent: ptr("change_of_tenant"), Summary: ptr("Tenant moving out on the 30th")})
		if raised.JSON201 == nil || raised.JSON201.Case.IsNull() {
			t.Fatalf("raise: %s", raised.Body)
		}
		contact, _ := ag.GetContactWithResponse(ctx, raised.JSON201.ContactId)
		if contact.JSON200.Channel != contacthub.ChannelLandlordPortal || contact.JSON200.OnBehalfOf == nil ||
			*contact.JSON200.OnBehalfOf.LandlordId != lid.String() || *contact.JSON200.CustomerId != tenant.Id {
			t.Fatalf("contact = %+v", contact.JSON200)
		}
		notMine, _ := user.LandlordContactWithResponse(ctx, nil, contacthub.LandlordContactCreate{PropertyId: otherProp.JSON201.Id, Service: contacthub.Service{Lgsl: 58}})
		wantProblem(t, http.StatusNotFound, notMine.Body, notMine.StatusCode(), "not-found")
		badTenancy, _ := user.LandlordContactWithResponse(ctx, nil, contacthub.LandlordContactCreate{PropertyId: prop.JSON201.Id,
			TenancyId: ptr(uuid.Must(uuid.NewV7())), Service: contacthub.Service{Lgsl: 58}})
		wantProblem(t, http.StatusNotFound, badTenancy.Body, badTenancy.StatusCode(), "not-found")

		cases, _ := user.ListLandlordCasesWithResponse(ctx)
		rc, _ := raised.JSON201.Case.Get()
		if cases.JSON200 == nil || len(cases.JSON200.Items) != 1 || cases.JSON200.Items[0].Id != rc.Id {
			t.Fatalf("the landlord sees %s, want only the case it raised", cases.Body)
		}
		takeup, _ := supervisor(h).GetLandlordTakeUpWithResponse(ctx, &contacthub.GetLandlordTakeUpParams{})
		if takeup.JSON200 == nil || takeup.JSON200.Landlords != 2 || takeup.JSON200.Invited != 2 || takeup.JSON200.Accepted != 1 || takeup.JSON200.ActiveLast30Days != 1 {
			t.Fatalf("take-up: %s", takeup.Body)
		}
		// By default, the 12 weeks to today by week: everything above happened this week.
		tu := takeup.JSON200
		today := time.Now().UTC().Format(time.DateOnly)
		if tu.GroupBy != contacthub.ReportPeriodWeek || tu.To.Format(time.DateOnly) != today || len(tu.Periods) < 12 || len(tu.Periods) > 13 {
			t.Fatalf("take-up span: %s to %s by %s, %d periods", tu.From, tu.To, tu.GroupBy, len(tu.Periods))
		}
		if last := tu.Periods[len(tu.Periods)-1]; last.LandlordsAdded != 2 || last.Invited != 2 || last.Accepted != 1 || last.PortalContacts != 1 {
			t.Fatalf("this week's take-up = %+v", last)
		}
		// Today alone, by day; and yesterday, when nothing happened.
		day := func(d time.Time) contacthub.LandlordTakeUp {
			on := openapi_types.Date{Time: d}
			r, _ := supervisor(h).GetLandlordTakeUpWithResponse(ctx, &contacthub.GetLandlordTakeUpParams{From: &on, To: &on, GroupBy: ptr(contacthub.GetLandlordTakeUpParamsGroupByDay)})
			if r.JSON200 == nil || len(r.JSON200.Periods) != 1 || r.JSON200.Periods[0].Start.Format(time.DateOnly) != d.Format(time.DateOnly) {
				t.Fatalf("take-up on %s: %s", d.Format(time.DateOnly), r.Body)
			}
			return *r.JSON200
		}
		if p := day(time.Now().UTC()).Periods[0]; p.LandlordsAdded != 2 || p.Invited != 2 || p.Accepted != 1 || p.PortalContacts != 1 {
			t.Fatalf("today's take-up = %+v", p)
		}
		if p := day(time.Now().UTC().AddDate(0, 0, -1)).Periods[0]; p != (contacthub.LandlordTakeUpPeriod{Start: p.Start}) {
			t.Fatalf("yesterday's take-up = %+v, want zeros", p)
		}
		// CSV: one row per period, numbers as numbers; SVG: the titled chart.
		tok := h.token(auth.Claims{Subject: "sup-sam", Roles: []auth.Role{auth.Supervisor}})
		q := "/v1/reports/landlord-takeup?from=" + today + "&to=" + today + "&groupBy=month"
		resp, body := h.raw("GET", q, tok, "", nil, "Accept", "text/csv")
		if resp.StatusCode != http.StatusOK || string(body) != "Period start,Landlords added,Invitations sent,Invitations accepted,Contacts through the portal\n"+
			time.Now().UTC().Format("2006-01")+"-01,2,2,1,1\n" {
			t.Fatalf("take-up CSV: %d %q", resp.StatusCode, body)
		}
		resp, body = h.raw("GET", q, tok, "", nil, "Accept", "image/svg+xml")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Landlord portal take-up") || !strings.Contains(string(body), "<title>") {
			t.Fatalf("take-up SVG: %d %.300s", resp.StatusCode, body)
		}
	})
}

func TestLandlordPortal_AuthorisationMatrix(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		lid := uuid.Must(uuid.NewV7()).String()
		tokens := map[string]string{
			"citizen":     h.token(auth.Claims{Roles: []auth.Role{auth.Citizen}, CustomerID: uuid.NewString()}),
			"agent":       h.token(agentClaims()),
			"integration": h.token(auth.Claims{Roles: []auth.Role{auth.Integration}}),
			"no token":    "",
		}
		for who, tok := range tokens {
			for _, op := range []struct{ method, path, body string }{
				{"GET", "/v1/landlord/properties", ""},
				{"GET", "/v1/landlord/cases", ""},
				{"POST", "/v1/landlord/contacts", `{"propertyId":"` + lid + `","service":{"lgsl":58}}`},
			} {
				ct := ""
				if op.body != "" {
					ct = "application/json"
				}
				resp, body := h.raw(op.method, op.path, tok, ct, []byte(op.body))
				if who == "no token" {
					wantProblem(t, http.StatusUnauthorized, body, resp.StatusCode, "unauthenticated")
				} else {
					wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
				}
			}
		}
		citizen := tokens["citizen"]
		resp, body := h.raw("POST", "/v1/landlords", citizen, "application/json", []byte(`{"name":"x"}`))
		wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
		if h.count("landlords") != 0 || h.count("contacts") != 0 {
			t.Fatal("a refused request wrote something")
		}
	})
}
