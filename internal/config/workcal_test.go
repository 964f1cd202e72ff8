package config

import (
	"strings"
	"testing"

	"github.com/council/contacthub/internal/workcal"
)

func TestFromEnv_BankHolidayRegion(t *testing.T) {
	for v, want := range map[string]workcal.Region{"": workcal.EnglandAndWales, "scotland": workcal.Scotland,
		"Northern-Ireland": workcal.NorthernIreland, "none": ""} {
		c, err := FromEnv(env(map[string]string{"CONTACTHUB_BANK_HOLIDAY_REGION": v}))
		if err != nil || c.BankHolidayRegion != want {
			t.Errorf("%q: region %q, err %v; want %q", v, c.BankHolidayRegion, err, want)
		}
	}
	_, err := FromEnv(env(map[string]string{"CONTACTHUB_BANK_HOLIDAY_REGION": "wales"}))
	if err == nil || !strings.Contains(err.Error(), "CONTACTHUB_BANK_HOLIDAY_REGION") {
		t.Errorf("wales: err = %v, want one naming the variable", err)
	}
}
