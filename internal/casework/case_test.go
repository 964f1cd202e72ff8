package casework

import (
	"testing"
	"time"
)

func TestCanMove_EveryPairOfStatuses(t *testing.T) {
	all := []Status{Open, AwaitingCustomer, AwaitingBackOffice, Resolved, Closed}
	allowed := map[[2]Status]bool{
		{Open, AwaitingCustomer}: true, {Open, AwaitingBackOffice}: true, {Open, Resolved}: true,
		{AwaitingCustomer, Open}: true, {AwaitingCustomer, AwaitingBackOffice}: true, {AwaitingCustomer, Resolved}: true,
		{AwaitingBackOffice, Open}: true, {AwaitingBackOffice, AwaitingCustomer}: true, {AwaitingBackOffice, Resolved}: true,
		{Resolved, Closed}: true, {Resolved, Open}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got, want := CanMove(from, to), allowed[[2]Status{from, to}]; got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestOverdue_OnlyUnfinishedCasesPastTheirSLA(t *testing.T) {
	due := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status Status
		at     time.Time
		want   bool
	}{
		{Open, due.Add(time.Second), true}, {Open, due, false}, {AwaitingCustomer, due.Add(time.Hour), true},
		{Resolved, due.Add(time.Hour), false}, {Closed, due.Add(time.Hour), false},
	} {
		if got := (Case{Status: tc.status, SLADueAt: due}).Overdue(tc.at); got != tc.want {
			t.Errorf("%s at %v: overdue = %v", tc.status, tc.at, got)
		}
	}
}
