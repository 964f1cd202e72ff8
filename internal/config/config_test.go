package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv_DefaultsServeOnSQLiteWithTheDevKey(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.DatabaseURL != "" || c.DefaultRegion != "GB" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if !c.TrustDevKey() || c.LogLevel != slog.LevelInfo || c.IdempotencyTTL != 24*time.Hour {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestFromEnv_ProductionKeysStopTrustingTheDevKey(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"CONTACTHUB_JWKS_URL": "https://idp.example/jwks"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TrustDevKey() {
		t.Fatal("a hub with a JWKS URL must not trust the development key unless told to")
	}
	c, _ = FromEnv(env(map[string]string{"CONTACTHUB_JWKS_URL": "https://idp.example/jwks", "CONTACTHUB_DEV_SIGNING_KEY": "on"}))
	if !c.TrustDevKey() {
		t.Fatal("CONTACTHUB_DEV_SIGNING_KEY=on must trust the development key")
	}
}

func TestFromEnv_RejectsBadValuesNamingTheVariable(t *testing.T) {
	for name, tc := range map[string]struct{ env map[string]string }{
		"CONTACTHUB_MAX_BODY_BYTES":        {map[string]string{"CONTACTHUB_MAX_BODY_BYTES": "lots"}},
		"CONTACTHUB_SHUTDOWN_TIMEOUT":      {map[string]string{"CONTACTHUB_SHUTDOWN_TIMEOUT": "-3s"}},
		"CONTACTHUB_LOG_LEVEL":             {map[string]string{"CONTACTHUB_LOG_LEVEL": "chatty"}},
		"CONTACTHUB_TRUSTED_PROXIES":       {map[string]string{"CONTACTHUB_TRUSTED_PROXIES": "10.0.0.1"}},
		"CONTACTHUB_DEV_SIGNING_KEY":       {map[string]string{"CONTACTHUB_DEV_SIGNING_KEY": "maybe"}},
		"CONTACTHUB_RATE_LIMIT_PER_MINUTE": {map[string]string{"CONTACTHUB_RATE_LIMIT_PER_MINUTE": "-1"}},
		"CONTACTHUB_CORS_ORIGINS":          {map[string]string{"CONTACTHUB_CORS_ORIGINS": "https://www.council.example/pages"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := FromEnv(env(tc.env))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("err = %v, want one naming %s", err, name)
			}
		})
	}
}

func TestFromEnv_DevKeyOffWithoutOtherKeysIsRefused(t *testing.T) {
	if _, err := FromEnv(env(map[string]string{"CONTACTHUB_DEV_SIGNING_KEY": "off"})); err == nil {
		t.Fatal("a hub that can verify no token must refuse to start")
	}
}

// Workforce (issue 16): the handling times staffing assumes until it can measure them.
func TestFromEnv_WorkforceHandlingTimesDefaultAndMustBePositive(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"CONTACTHUB_WORKFORCE_WRITTEN_AHT": "12m"}))
	if err != nil || c.WorkforceLiveAHT != 6*time.Minute || c.WorkforceWrittenAHT != 12*time.Minute {
		t.Fatalf("%v %v %v", c.WorkforceLiveAHT, c.WorkforceWrittenAHT, err)
	}
	if _, err := FromEnv(env(map[string]string{"CONTACTHUB_WORKFORCE_LIVE_AHT": "0s"})); err == nil ||
		!strings.Contains(err.Error(), "CONTACTHUB_WORKFORCE_LIVE_AHT") {
		t.Fatalf("a zero handling time: %v", err)
	}
}

func TestFromEnv_CORSOriginsAreReadAsABrowserSendsThem(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"CONTACTHUB_CORS_ORIGINS": " https://WWW.Council.example , http://localhost:3000/"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://www.council.example", "http://localhost:3000"}
	if strings.Join(c.CORSOrigins, " ") != strings.Join(want, " ") {
		t.Fatalf("CORSOrigins = %q, want %q", c.CORSOrigins, want)
	}
	for _, bad := range []string{"*", "www.council.example", "ftp://council.example", "https://council.example?x=1"} {
		if _, err := FromEnv(env(map[string]string{"CONTACTHUB_CORS_ORIGINS": bad})); err == nil {
			t.Errorf("%q accepted as an origin", bad)
		}
	}
}
