// Package config reads the hub's settings from environment variables, applies defaults
// and checks them once at start. The struct is built in main and passed down; nothing
// reads the environment anywhere else.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/council/contacthub/internal/workcal"
)

// Config is every setting of the hub. README.md documents each variable.
type Config struct {
	Addr                 string         // CONTACTHUB_ADDR
	DataDir              string         // CONTACTHUB_DATA_DIR
	DatabaseURL          string         // DATABASE_URL
	RedisURL             string         // REDIS_URL
	DefaultRegion        string         // CONTACTHUB_DEFAULT_REGION
	ReferencePatterns    string         // CONTACTHUB_REFERENCE_PATTERNS (JSON object)
	JWTIssuer            string         // CONTACTHUB_JWT_ISSUER
	JWTAudience          string         // CONTACTHUB_JWT_AUDIENCE
	JWKSURL              string         // CONTACTHUB_JWKS_URL
	JWTPublicKeyFiles    []string       // CONTACTHUB_JWT_PUBLIC_KEYS
	JWTHS256Secret       string         // CONTACTHUB_JWT_HS256_SECRET
	DevSigningKey        string         // CONTACTHUB_DEV_SIGNING_KEY: auto | on | off
	LogLevel             slog.Level     // CONTACTHUB_LOG_LEVEL
	MaxBodyBytes         int64          // CONTACTHUB_MAX_BODY_BYTES
	RateLimitPerMinute   int            // CONTACTHUB_RATE_LIMIT_PER_MINUTE (per principal)
	RateLimitIPPerMinute int            // CONTACTHUB_RATE_LIMIT_IP_PER_MINUTE (per client IP)
	MaxInFlight          int            // CONTACTHUB_MAX_IN_FLIGHT: API requests served at once (0: 64 per CPU)
	AdmissionWait        time.Duration  // CONTACTHUB_ADMISSION_WAIT: how long a request waits for a place
	StreamMax            int            // CONTACTHUB_STREAM_MAX: live event streams open at once on a replica
	StreamHeartbeat      time.Duration  // CONTACTHUB_STREAM_HEARTBEAT: between a stream's keep-alive comments
	TrustedProxies       []*net.IPNet   // CONTACTHUB_TRUSTED_PROXIES
	ShutdownTimeout      time.Duration  // CONTACTHUB_SHUTDOWN_TIMEOUT
	IdempotencyTTL       time.Duration  // CONTACTHUB_IDEMPOTENCY_TTL
	RedisPrefix          string         // CONTACTHUB_REDIS_PREFIX
	CatalogueFile        string         // CONTACTHUB_CATALOGUE_FILE
	UnitCosts            string         // CONTACTHUB_UNIT_COSTS (JSON; empty: the published default, see report.DefaultUnitCosts)
	TimeZone             *time.Location // CONTACTHUB_TIMEZONE
	RulesPoll            time.Duration  // CONTACTHUB_RULES_POLL
	BankHolidayRegion    workcal.Region // CONTACTHUB_BANK_HOLIDAY_REGION: england-and-wales, scotland, northern-ireland or none
	ClosuresFile         string         // CONTACTHUB_CLOSURES: the council's own closure days, one "YYYY-MM-DD name" a line

	RatingMin, RatingMax int // CONTACTHUB_RATING_SCALE, e.g. 1-5
	CSATSatisfied        int // CONTACTHUB_CSAT_SATISFIED: least score counted as satisfied
	RatingIPPerMinute    int // CONTACTHUB_RATING_IP_PER_MINUTE (anonymous web ratings)
	RatingPagePerMinute  int // CONTACTHUB_RATING_PAGE_PER_MINUTE

	SMSProvider         string   // CONTACTHUB_SMS_PROVIDER: "", notify or twilio
	NotifyAPIKey        string   // CONTACTHUB_NOTIFY_API_KEY
	NotifyBaseURL       string   // CONTACTHUB_NOTIFY_BASE_URL
	NotifyTemplateID    string   // CONTACTHUB_NOTIFY_TEMPLATE_ID
	NotifyCallbackToken string   // CONTACTHUB_NOTIFY_CALLBACK_TOKEN
	TwilioAccountSID    string   // CONTACTHUB_TWILIO_ACCOUNT_SID
	TwilioAuthToken     string   // CONTACTHUB_TWILIO_AUTH_TOKEN
	TwilioFrom          string   // CONTACTHUB_TWILIO_FROM
	TwilioServiceSID    string   // CONTACTHUB_TWILIO_MESSAGING_SERVICE_SID
	TwilioBaseURL       string   // CONTACTHUB_TWILIO_BASE_URL
	PublicURL           string   // CONTACTHUB_PUBLIC_URL
	CORSOrigins         []string // CONTACTHUB_CORS_ORIGINS: web origins whose pages may post ratings

	QuietFrom, QuietTo int           // CONTACTHUB_SURVEY_QUIET_HOURS, minutes after midnight
	SurveyDelay        time.Duration // CONTACTHUB_SURVEY_DELAY
	SurveyExpiry       time.Duration // CONTACTHUB_SURVEY_EXPIRY
	SurveyInterval     time.Duration // CONTACTHUB_SURVEY_INTERVAL
	SurveyPoll         time.Duration // CONTACTHUB_SURVEY_POLL
	SurveyRetryBase    time.Duration // CONTACTHUB_SURVEY_RETRY_BASE: first back-off, doubling

	IVRToken string // CONTACTHUB_IVR_TOKEN: static X-IVR-Token for telephony platforms

	WebhookAllowPrivate bool          // CONTACTHUB_WEBHOOK_ALLOW_PRIVATE: deliver to private addresses and plain http (tests, closed networks)
	WebhookRetryFirst   time.Duration // CONTACTHUB_WEBHOOK_RETRY_FIRST: first retry delay; the schedule (5s ... 8h) scales with it
	WebhookPoll         time.Duration // CONTACTHUB_WEBHOOK_POLL: how often fan-out and sender look for work
	WebhookLease        time.Duration // CONTACTHUB_WEBHOOK_LEASE: how long a delivery being sent is held from other replicas

	PprofAddr string // CONTACTHUB_PPROF_ADDR: a separate listener for profiles, off when empty
	// BenchBare (CONTACTHUB_BENCH_BARE): also answer GET /bench/bare from a bare echo
	// handler outside every middleware, unauthenticated, so the bench can price the
	// middleware chain in the same binary. Off unless set; never in production.
	BenchBare  bool
	DBMaxConns int // CONTACTHUB_DB_MAX_CONNS: PostgreSQL pool size (0: twice the CPUs, at least 4)

	// Workforce (issue 16): handling times assumed when fewer than 20 contacts of a
	// channel have ended (the measured one is used once they have).
	WorkforceLiveAHT    time.Duration // CONTACTHUB_WORKFORCE_LIVE_AHT: a conversation (phone, face to face)
	WorkforceWrittenAHT time.Duration // CONTACTHUB_WORKFORCE_WRITTEN_AHT: a piece of written work
	// Privacy (issue 14).
	AuditRetention  time.Duration // CONTACTHUB_AUDIT_RETENTION: how long audit entries are kept (default 6 years)
	AuditFlush      time.Duration // CONTACTHUB_AUDIT_FLUSH: longest an audit entry waits in memory before it is written
	ErasureHoldDays int           // CONTACTHUB_ERASURE_HOLD_DAYS: a case closed fewer days ago than this holds erasure
	AuditBufferSize int           // CONTACTHUB_AUDIT_BUFFER: audit entries held in memory at most
}

// DevKeyPath is where the development signing key lives.
func (c Config) DevKeyPath() string { return filepath.Join(c.DataDir, "dev-signing-key.pem") }

// TrustDevKey reports whether tokens signed by the development key are accepted: when
// told so, or (auto) when no production key source is configured at all.
func (c Config) TrustDevKey() bool {
	switch c.DevSigningKey {
	case "on":
		return true
	case "off":
		return false
	}
	return c.JWKSURL == "" && len(c.JWTPublicKeyFiles) == 0 && c.JWTHS256Secret == ""
}

// FromEnv reads the configuration from getenv (os.Getenv in main; a map in tests). It
// reads every section and reports every mistake, each once, in one error.
func FromEnv(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	var c Config
	r.server(&c)
	r.storage(&c)
	r.tokens(&c)
	r.limits(&c)
	r.satisfaction(&c)
	r.webhooks(&c)
	r.sms(&c) // after server: Twilio's signatures need the public URL
	r.workforce(&c)
	r.privacy(&c)
	return c, errors.Join(r.errs...)
}

// server: where the hub listens and how it logs, shuts down and is profiled.
func (r *reader) server(c *Config) {
	c.Addr = r.str("CONTACTHUB_ADDR", ":8080")
	c.PublicURL = r.str("CONTACTHUB_PUBLIC_URL", "")
	c.LogLevel = r.level("CONTACTHUB_LOG_LEVEL", slog.LevelInfo)
	c.TrustedProxies = r.cidrs("CONTACTHUB_TRUSTED_PROXIES")
	c.ShutdownTimeout = r.duration("CONTACTHUB_SHUTDOWN_TIMEOUT", 15*time.Second)
	c.PprofAddr = r.str("CONTACTHUB_PPROF_ADDR", "")
	switch v := r.str("CONTACTHUB_BENCH_BARE", "false"); v {
	case "true", "1":
		c.BenchBare = true
	case "false", "0", "":
	default:
		r.fail("CONTACTHUB_BENCH_BARE", "must be true or false")
	}
	c.TimeZone = r.location("CONTACTHUB_TIMEZONE", "Europe/London")
	c.DefaultRegion = strings.ToUpper(r.str("CONTACTHUB_DEFAULT_REGION", "GB"))
	c.ReferencePatterns = r.str("CONTACTHUB_REFERENCE_PATTERNS", "")
	c.CatalogueFile = r.str("CONTACTHUB_CATALOGUE_FILE", "")
	c.UnitCosts = r.str("CONTACTHUB_UNIT_COSTS", "")
	c.RulesPoll = r.duration("CONTACTHUB_RULES_POLL", 10*time.Second)
	c.BankHolidayRegion = r.region("CONTACTHUB_BANK_HOLIDAY_REGION", string(workcal.EnglandAndWales))
	c.ClosuresFile = r.str("CONTACTHUB_CLOSURES", "")
	c.IVRToken = r.str("CONTACTHUB_IVR_TOKEN", "")
	c.CORSOrigins = r.origins("CONTACTHUB_CORS_ORIGINS")
	if c.IVRToken != "" && len(c.IVRToken) < 16 {
		r.fail("CONTACTHUB_IVR_TOKEN", "must be at least 16 characters")
	}
}

// storage: the database, Redis and what is kept in them.
func (r *reader) storage(c *Config) {
	c.DataDir = r.str("CONTACTHUB_DATA_DIR", "./data")
	c.DatabaseURL = r.str("DATABASE_URL", "")
	c.DBMaxConns = r.integer("CONTACTHUB_DB_MAX_CONNS", 0)
	c.RedisURL = r.str("REDIS_URL", "")
	c.RedisPrefix = r.str("CONTACTHUB_REDIS_PREFIX", "contacthub:")
	c.IdempotencyTTL = r.duration("CONTACTHUB_IDEMPOTENCY_TTL", 24*time.Hour)
}

// tokens: which bearer tokens the hub trusts.
func (r *reader) tokens(c *Config) {
	c.JWTIssuer = r.str("CONTACTHUB_JWT_ISSUER", "contacthub-dev")
	c.JWTAudience = r.str("CONTACTHUB_JWT_AUDIENCE", "contacthub")
	c.JWKSURL = r.str("CONTACTHUB_JWKS_URL", "")
	c.JWTPublicKeyFiles = r.list("CONTACTHUB_JWT_PUBLIC_KEYS")
	c.JWTHS256Secret = r.str("CONTACTHUB_JWT_HS256_SECRET", "")
	c.DevSigningKey = strings.ToLower(r.str("CONTACTHUB_DEV_SIGNING_KEY", "auto"))
	switch c.DevSigningKey {
	case "auto", "on", "off":
	default:
		r.fail("CONTACTHUB_DEV_SIGNING_KEY", "must be auto, on or off")
	}
	if c.JWTIssuer == "" || c.JWTAudience == "" {
		r.fail("CONTACTHUB_JWT_ISSUER", "issuer and audience must not be empty")
	}
	if !c.TrustDevKey() && c.JWKSURL == "" && len(c.JWTPublicKeyFiles) == 0 && c.JWTHS256Secret == "" {
		r.fail("CONTACTHUB_DEV_SIGNING_KEY", "is off but no JWKS URL, public key or HS256 secret is configured: no token could be verified")
	}
}

// limits: request sizes, rates and how much work is taken at once.
func (r *reader) limits(c *Config) {
	c.MaxBodyBytes = int64(r.integer("CONTACTHUB_MAX_BODY_BYTES", 1<<20))
	c.RateLimitPerMinute = r.integer("CONTACTHUB_RATE_LIMIT_PER_MINUTE", 1200)
	c.RateLimitIPPerMinute = r.integer("CONTACTHUB_RATE_LIMIT_IP_PER_MINUTE", 6000)
	c.MaxInFlight = r.integer("CONTACTHUB_MAX_IN_FLIGHT", 0)
	c.AdmissionWait = r.duration("CONTACTHUB_ADMISSION_WAIT", 100*time.Millisecond)
	if c.MaxBodyBytes < 1024 {
		r.fail("CONTACTHUB_MAX_BODY_BYTES", "must be at least 1024")
	}
	if c.RateLimitPerMinute < 0 || c.RateLimitIPPerMinute < 0 {
		r.fail("CONTACTHUB_RATE_LIMIT_PER_MINUTE", "rate limits must be 0 (off) or more")
	}
	if c.MaxInFlight < 0 {
		r.fail("CONTACTHUB_MAX_IN_FLIGHT", "must be 0 (64 per CPU) or more")
	}
	c.StreamMax = r.integer("CONTACTHUB_STREAM_MAX", 1000)
	c.StreamHeartbeat = r.duration("CONTACTHUB_STREAM_HEARTBEAT", 15*time.Second)
	if c.StreamMax < 1 || c.StreamHeartbeat <= 0 {
		r.fail("CONTACTHUB_STREAM_MAX", "streams need a bound of 1 or more and a heartbeat longer than 0")
	}
}

// satisfaction: the rating scale, the anonymous rating limits and the SMS surveys.
func (r *reader) satisfaction(c *Config) {
	c.RatingMin, c.RatingMax = r.span("CONTACTHUB_RATING_SCALE", "1-5")
	c.CSATSatisfied = r.integer("CONTACTHUB_CSAT_SATISFIED", 4)
	c.RatingIPPerMinute = r.integer("CONTACTHUB_RATING_IP_PER_MINUTE", 10)
	c.RatingPagePerMinute = r.integer("CONTACTHUB_RATING_PAGE_PER_MINUTE", 120)
	c.QuietFrom, c.QuietTo = r.clockSpan("CONTACTHUB_SURVEY_QUIET_HOURS", "20:00-09:00")
	c.SurveyDelay = r.duration("CONTACTHUB_SURVEY_DELAY", 5*time.Minute)
	c.SurveyExpiry = r.duration("CONTACTHUB_SURVEY_EXPIRY", 24*time.Hour)
	c.SurveyInterval = r.duration("CONTACTHUB_SURVEY_INTERVAL", 30*24*time.Hour)
	c.SurveyPoll = r.duration("CONTACTHUB_SURVEY_POLL", 5*time.Second)
	c.SurveyRetryBase = r.duration("CONTACTHUB_SURVEY_RETRY_BASE", 30*time.Second)
	if c.CSATSatisfied < c.RatingMin || c.CSATSatisfied > c.RatingMax {
		r.fail("CONTACTHUB_CSAT_SATISFIED", "must be on the rating scale")
	}
}

// sms: the provider that sends surveys and calls back with replies.
func (r *reader) sms(c *Config) {
	c.SMSProvider = strings.ToLower(r.str("CONTACTHUB_SMS_PROVIDER", ""))
	c.NotifyAPIKey = r.str("CONTACTHUB_NOTIFY_API_KEY", "")
	c.NotifyBaseURL = r.str("CONTACTHUB_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
	c.NotifyTemplateID = r.str("CONTACTHUB_NOTIFY_TEMPLATE_ID", "")
	c.NotifyCallbackToken = r.str("CONTACTHUB_NOTIFY_CALLBACK_TOKEN", "")
	c.TwilioAccountSID = r.str("CONTACTHUB_TWILIO_ACCOUNT_SID", "")
	c.TwilioAuthToken = r.str("CONTACTHUB_TWILIO_AUTH_TOKEN", "")
	c.TwilioFrom = r.str("CONTACTHUB_TWILIO_FROM", "")
	c.TwilioServiceSID = r.str("CONTACTHUB_TWILIO_MESSAGING_SERVICE_SID", "")
	c.TwilioBaseURL = r.str("CONTACTHUB_TWILIO_BASE_URL", "https://api.twilio.com")
	switch c.SMSProvider {
	case "", "notify", "twilio":
	default:
		r.fail("CONTACTHUB_SMS_PROVIDER", "must be notify, twilio or empty")
	}
	if c.NotifyCallbackToken != "" && len(c.NotifyCallbackToken) < 10 {
		r.fail("CONTACTHUB_NOTIFY_CALLBACK_TOKEN", "must be at least 10 characters")
	}
	if c.TwilioAuthToken != "" && c.PublicURL == "" {
		r.fail("CONTACTHUB_PUBLIC_URL", "is needed to check Twilio's signatures")
	}
}

type reader struct {
	getenv func(string) string
	errs   []error
}

// webhooks: where deliveries may go and how they are retried.
func (r *reader) webhooks(c *Config) {
	switch v := r.str("CONTACTHUB_WEBHOOK_ALLOW_PRIVATE", "false"); v {
	case "true", "1":
		c.WebhookAllowPrivate = true
	case "false", "0", "":
	default:
		r.fail("CONTACTHUB_WEBHOOK_ALLOW_PRIVATE", "must be true or false")
	}
	c.WebhookRetryFirst = r.duration("CONTACTHUB_WEBHOOK_RETRY_FIRST", 5*time.Second)
	c.WebhookPoll = r.duration("CONTACTHUB_WEBHOOK_POLL", 500*time.Millisecond)
	// A lease shorter than an attempt's 10 s timeout would let a second replica send a
	// delivery the first is still waiting on.
	if c.WebhookLease = r.duration("CONTACTHUB_WEBHOOK_LEASE", 30*time.Second); c.WebhookLease < 15*time.Second {
		r.fail("CONTACTHUB_WEBHOOK_LEASE", "must be at least 15s (an attempt may take 10s)")
	}
}

// workforce: what staffing assumes until the hub has measured it (issue 16).
func (r *reader) workforce(c *Config) {
	c.WorkforceLiveAHT = r.duration("CONTACTHUB_WORKFORCE_LIVE_AHT", 6*time.Minute)
	c.WorkforceWrittenAHT = r.duration("CONTACTHUB_WORKFORCE_WRITTEN_AHT", 8*time.Minute)
	for name, d := range map[string]time.Duration{"CONTACTHUB_WORKFORCE_LIVE_AHT": c.WorkforceLiveAHT, "CONTACTHUB_WORKFORCE_WRITTEN_AHT": c.WorkforceWrittenAHT} {
		if d <= 0 {
			r.fail(name, "must be above 0")
		}
	}
}

// privacy: how long the audit is kept, how it is written, and the legal hold on erasure.
func (r *reader) privacy(c *Config) {
	c.AuditRetention = r.period("CONTACTHUB_AUDIT_RETENTION", 6*year)
	c.AuditFlush = r.duration("CONTACTHUB_AUDIT_FLUSH", 500*time.Millisecond)
	c.AuditBufferSize = r.integer("CONTACTHUB_AUDIT_BUFFER", 4096)
	// 90 days: the time a resident has to complain or ask for a review after a case is
	// closed; the council needs the record until then.
	c.ErasureHoldDays = r.integer("CONTACTHUB_ERASURE_HOLD_DAYS", 90)
	if c.AuditBufferSize < 1 {
		r.fail("CONTACTHUB_AUDIT_BUFFER", "must be 1 or more")
	}
	if c.ErasureHoldDays < 0 {
		r.fail("CONTACTHUB_ERASURE_HOLD_DAYS", "must be 0 or more")
	}
}

const year = 365 * 24 * time.Hour

// period reads a long duration: "6y", "400d", or a Go duration like "8760h".
func (r *reader) period(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	for suffix, unit := range map[string]time.Duration{"y": year, "d": 24 * time.Hour} {
		if n, err := strconv.Atoi(strings.TrimSuffix(v, suffix)); strings.HasSuffix(v, suffix) && err == nil {
			if n <= 0 {
				break
			}
			return time.Duration(n) * unit
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive period like 6y, 400d or 8760h")
		return def
	}
	return d
}

func (r *reader) fail(name, msg string) { r.errs = append(r.errs, fmt.Errorf("%s %s", name, msg)) }

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// origins reads scheme://host[:port] values, as a browser sends them in Origin.
func (r *reader) origins(name string) []string {
	out := r.list(name)
	for i, o := range out {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			r.fail(name, "must be comma-separated origins like https://www.council.example")
			return nil
		}
		out[i] = u.Scheme + "://" + strings.ToLower(u.Host)
	}
	return out
}

func (r *reader) list(name string) []string {
	var out []string
	for _, v := range strings.Split(r.getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (r *reader) integer(name string, def int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, "must be a whole number")
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive duration like 15s or 24h")
	}
	return d
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "must be debug, info, warn or error")
	}
	return l
}

// span reads "low-high", e.g. a rating scale "1-5".
func (r *reader) span(name, def string) (int, int) {
	lo, hi, ok := strings.Cut(r.str(name, def), "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || a >= b || a < 0 || b > 10 {
		r.fail(name, "must be like 1-5 (at most 0-10)")
		return 1, 5
	}
	return a, b
}

// clockSpan reads "HH:MM-HH:MM" as minutes after midnight.
func (r *reader) clockSpan(name, def string) (int, int) {
	from, to, ok := strings.Cut(r.str(name, def), "-")
	f, err1 := time.Parse("15:04", strings.TrimSpace(from))
	t, err2 := time.Parse("15:04", strings.TrimSpace(to))
	if !ok || err1 != nil || err2 != nil {
		r.fail(name, "must be like 20:00-09:00")
		return 20 * 60, 9 * 60
	}
	return f.Hour()*60 + f.Minute(), t.Hour()*60 + t.Minute()
}

func (r *reader) location(name, def string) *time.Location {
	loc, err := time.LoadLocation(r.str(name, def))
	if err != nil {
		r.fail(name, "must be an IANA time zone like Europe/London")
		return time.UTC
	}
	return loc
}

// region reads a division of the UK whose bank holidays the working calendar keeps;
// "none" keeps none (weekends only).
func (r *reader) region(name, def string) workcal.Region {
	v := r.str(name, def)
	if strings.EqualFold(v, "none") {
		return ""
	}
	reg, err := workcal.ParseRegion(v)
	if err != nil {
		r.fail(name, "must be england-and-wales, scotland, northern-ireland or none")
		return workcal.EnglandAndWales
	}
	return reg
}

func (r *reader) cidrs(name string) []*net.IPNet {
	var out []*net.IPNet
	for _, v := range r.list(name) {
		_, n, err := net.ParseCIDR(v)
		if err != nil {
			r.fail(name, fmt.Sprintf("has %q, which is not a CIDR like 10.0.0.0/8", v))
			continue
		}
		out = append(out, n)
	}
	return out
}
