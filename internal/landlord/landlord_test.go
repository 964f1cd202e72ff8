package landlord

import (
	"testing"

	"github.com/council/contacthub/internal/fault"
)

func TestTenantFor_OnlyATenancyThatRunsTodayCounts(t *testing.T) {
	const today = "2026-11-30"
	prop := Property{Tenancies: []Tenancy{
		{ID: "ended", CustomerID: "former", StartsOn: "2015-01-01", EndsOn: "2018-06-30"},
		{ID: "current", CustomerID: "tenant", StartsOn: "2025-01-01"},
		{ID: "ends-today", CustomerID: "leaving", StartsOn: "2020-01-01", EndsOn: today},
		{ID: "future", CustomerID: "next", StartsOn: "2027-01-01"},
	}}
	for _, tc := range []struct {
		name, tenancy, want string
		kind                fault.Kind // 0: no error
	}{
		{"named current tenancy", "current", "tenant", 0},
		{"named tenancy ending today", "ends-today", "leaving", 0},
		{"named ended tenancy", "ended", "", fault.Invalid},
		{"named tenancy not begun", "future", "", fault.Invalid},
		{"unknown tenancy", "nope", "", fault.NotFound},
		{"none named, two current", "", "", fault.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tenantFor(prop, tc.tenancy, today)
			if tc.kind == 0 && err != nil || tc.kind != 0 && !fault.Is(err, tc.kind) {
				t.Fatalf("error = %v, want kind %d", err, tc.kind)
			}
			if got != tc.want {
				t.Fatalf("tenant = %q, want %q", got, tc.want)
			}
		})
	}
	one := Property{Tenancies: prop.Tenancies[:2]}
	if got, err := tenantFor(one, "", today); err != nil || got != "tenant" {
		t.Fatalf("the only current tenant: %q %v", got, err)
	}
	if got, err := tenantFor(Property{Tenancies: prop.Tenancies[:1]}, "", today); err != nil || got != "" {
		t.Fatalf("no current tenant: %q %v", got, err)
	}
}
