package config

import (
	"strings"
	"testing"
)

// Each configuration error is reported once: an operator reading the start-up failure
// should see one line per mistake.
func TestFromEnv_EachErrorIsReportedOnce(t *testing.T) {
	_, err := FromEnv(env(map[string]string{
		"CONTACTHUB_SMS_PROVIDER":          "carrier-pigeon",
		"CONTACTHUB_RATING_SCALE":          "5-1",
		"CONTACTHUB_SURVEY_QUIET_HOURS":    "late",
		"CONTACTHUB_IVR_TOKEN":             "short",
		"CONTACTHUB_NOTIFY_CALLBACK_TOKEN": "short",
		"CONTACTHUB_TWILIO_AUTH_TOKEN":     "a-twilio-auth-token",
		"CONTACTHUB_CSAT_SATISFIED":        "9",
	}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, name := range []string{"CONTACTHUB_SMS_PROVIDER", "CONTACTHUB_RATING_SCALE", "CONTACTHUB_SURVEY_QUIET_HOURS",
		"CONTACTHUB_IVR_TOKEN", "CONTACTHUB_NOTIFY_CALLBACK_TOKEN", "CONTACTHUB_PUBLIC_URL", "CONTACTHUB_CSAT_SATISFIED"} {
		if n := strings.Count(err.Error(), name); n != 1 {
			t.Errorf("%s reported %d times in:\n%s", name, n, err)
		}
	}
}
