package config

import (
	"strings"
	"testing"
	"time"
)

func TestFromEnv_PrivacyDefaultsAndPeriods(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuditRetention != 6*year || c.ErasureHoldDays != 90 || c.AuditFlush != 500*time.Millisecond || c.AuditBufferSize != 4096 {
		t.Fatalf("privacy defaults: retention %s, hold %d days, flush %s, buffer %d", c.AuditRetention, c.ErasureHoldDays, c.AuditFlush, c.AuditBufferSize)
	}
	for in, want := range map[string]time.Duration{"7y": 7 * year, "400d": 400 * 24 * time.Hour, "8760h": 8760 * time.Hour} {
		c, err := FromEnv(env(map[string]string{"CONTACTHUB_AUDIT_RETENTION": in}))
		if err != nil || c.AuditRetention != want {
			t.Fatalf("CONTACTHUB_AUDIT_RETENTION=%s: %s (%v), want %s", in, c.AuditRetention, err, want)
		}
	}
	for name, value := range map[string]string{"CONTACTHUB_AUDIT_RETENTION": "0y", "CONTACTHUB_ERASURE_HOLD_DAYS": "-1", "CONTACTHUB_AUDIT_BUFFER": "0"} {
		if _, err := FromEnv(env(map[string]string{name: value})); err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("%s=%s: err %v, want one naming it", name, value, err)
		}
	}
	if _, err := FromEnv(env(map[string]string{"CONTACTHUB_AUDIT_RETENTION": "six years"})); err == nil {
		t.Fatal("a retention that is not a period was accepted")
	}
}
