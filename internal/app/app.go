// Package app wires the hub together: configuration -> database and Redis -> domain
// services -> HTTP server, and starts and stops it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/config"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/exceptions"
	"github.com/council/contacthub/internal/httpapi"
	"github.com/council/contacthub/internal/idempotency"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/ivr"
	"github.com/council/contacthub/internal/kv"
	"github.com/council/contacthub/internal/landlord"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/privacy"
	"github.com/council/contacthub/internal/qa"
	"github.com/council/contacthub/internal/referral"
	"github.com/council/contacthub/internal/report"
	"github.com/council/contacthub/internal/routing"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/sms"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/stream"
	"github.com/council/contacthub/internal/webhook"
	"github.com/council/contacthub/internal/workcal"
	"github.com/council/contacthub/internal/workforce"
)

// App is a wired hub.
type App struct {
	cfg       config.Config
	log       *slog.Logger
	DB        *store.DB
	redis     *redis.Client
	verifier  *auth.Verifier
	Catalogue *catalogue.Catalogue
	unitCosts report.UnitCosts
	Customers *customer.Service
	Cases     *casework.Cases
	Contacts  *intake.Intake
	Referrals *referral.Referrals
	Webhooks  *webhook.Subscriptions
	Router    *routing.Router
	QA        *qa.Service // compliance (issue 17)
	Ratings   *satisfaction.Ratings
	Surveys   *satisfaction.Surveys
	rules     *identifier.Rules
	// Bus carries outbox messages to every replica (Redis) or within this one.
	Bus        Bus
	Dispatcher *outbox.Dispatcher
	keys       *idempotency.Store
	handler    http.Handler

	// Streams hands the bus's messages to this replica's live event streams.
	Streams *stream.Broker
	// FanOut and Sender deliver the outbox to webhook subscriptions.
	FanOut *webhook.FanOut
	Sender *webhook.Sender

	// Privacy (issue 14): the audit of personal data (written in batches by its own
	// goroutine from Open until Close), subject access exports and erasure.
	Audit   *audit.Log
	Privacy *privacy.Privacy
}

// Bus publishes outbox messages and lets parts of the hub listen to them.
type Bus interface {
	outbox.Publisher
	Subscribe(ctx context.Context) <-chan outbox.Message
}

// idempotencyWait is how long a request waits for another with the same key to finish.
const idempotencyWait = 10 * time.Second

// Open connects to the database (applying migrations) and Redis when configured.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: log}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	a.DB = db
	if err := db.Migrate(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if cfg.RedisURL != "" {
		var down error
		if a.redis, down, err = kv.Connect(ctx, cfg.RedisURL); err != nil {
			a.Close()
			return nil, err
		} else if down != nil {
			// Nothing correctness depends on is in Redis: serve without it until it answers.
			log.Warn("redis does not answer; serving with rate limits in process and events by polling until it does",
				slog.String("error", down.Error()))
		}
	}
	rules, err := identifierRules(cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.Catalogue, err = catalogue.Load(cfg.CatalogueFile); err != nil {
		a.Close()
		return nil, fmt.Errorf("CONTACTHUB_CATALOGUE_FILE: %w", err)
	}
	cal, err := workingCalendar(cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Router = routing.NewRouter(db, cal, log)
	if a.unitCosts, err = report.ParseUnitCosts(cfg.UnitCosts); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.Router.Load(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.Customers = customer.NewService(db, rules)
	a.Cases = casework.New(db, a.Catalogue, a.Router)
	a.QA = qa.New(db, a.Cases, a.Catalogue, cfg.TimeZone)
	a.Contacts = intake.New(db, a.Customers, a.Cases, a.Catalogue, a.Router)
	if err := a.Contacts.PrepareRollup(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.Contacts.PrepareQuarterCount(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.Referrals = referral.New(db, a.Cases, a.Catalogue)
	a.Webhooks = webhook.NewSubscriptions(db, a.Catalogue, a.Router, cfg.WebhookAllowPrivate)
	a.rules = rules
	provider, err := smsProvider(cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Ratings = satisfaction.NewRatings(db, a.Catalogue, satisfaction.Scale{Min: cfg.RatingMin, Max: cfg.RatingMax, Satisfied: cfg.CSATSatisfied})
	a.Surveys = satisfaction.NewSurveys(db, provider, satisfaction.Policy{QuietFrom: cfg.QuietFrom, QuietTo: cfg.QuietTo,
		Delay: cfg.SurveyDelay, Expiry: cfg.SurveyExpiry, Interval: cfg.SurveyInterval, RetryBase: cfg.SurveyRetryBase,
		Location: cfg.TimeZone}, a.Ratings, a.Catalogue, a.Customers, log)
	a.Contacts.FollowWithSurveys(a.Surveys)
	// A customer's cases and contacts follow it into a merge, and back on undo.
	a.Customers.Follow("cases", a.Cases)
	a.Customers.Follow("contacts", a.Contacts)
	if a.redis != nil {
		a.Bus = outbox.NewRedisBus(a.redis, cfg.RedisPrefix)
	} else {
		a.Bus = outbox.NewMemoryBus()
	}
	a.Dispatcher = outbox.NewDispatcher(db, a.Bus, log)
	a.Streams = stream.NewBroker(cfg.StreamMax, stream.NewOutbox(db), log)
	a.FanOut = webhook.NewFanOut(db)
	a.Dispatcher.Also = a.FanOut.Numbered // one write of each message row for its number and its fan-out
	a.FanOut.CatchUpOnly = true
	a.Sender = webhook.NewSender(db, webhook.NewClient(cfg.WebhookAllowPrivate), log)
	a.Sender.First = cfg.WebhookRetryFirst
	a.Sender.Lease = cfg.WebhookLease
	a.keys = idempotency.New(db, cfg.IdempotencyTTL, idempotencyWait)
	a.Audit = audit.Open(db, log, audit.Settings{BufferSize: cfg.AuditBufferSize, FlushEvery: cfg.AuditFlush})
	a.Privacy = privacy.New(db, a.Customers, a.Contacts, a.Cases, a.Referrals, a.Audit, cfg.ErasureHoldDays)
	return a, nil
}

// New opens the hub and builds its HTTP handler, ready to serve.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := a.buildHandler(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// smsProvider builds the configured SMS adapter; nil when surveys are not sent.
func smsProvider(cfg config.Config) (sms.Provider, error) {
	switch cfg.SMSProvider {
	case "notify":
		p, err := sms.NewNotify(sms.NotifyConfig{APIKey: cfg.NotifyAPIKey, BaseURL: cfg.NotifyBaseURL, TemplateID: cfg.NotifyTemplateID})
		if err != nil {
			return nil, fmt.Errorf("CONTACTHUB_NOTIFY_*: %w", err)
		}
		return p, nil
	case "twilio":
		callback := ""
		if cfg.PublicURL != "" {
			callback = strings.TrimRight(cfg.PublicURL, "/") + "/v1/callbacks/twilio/status"
		}
		p, err := sms.NewTwilio(sms.TwilioConfig{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFrom,
			MessagingServiceSID: cfg.TwilioServiceSID, BaseURL: cfg.TwilioBaseURL, StatusCallback: callback})
		if err != nil {
			return nil, fmt.Errorf("CONTACTHUB_TWILIO_*: %w", err)
		}
		return p, nil
	}
	return nil, nil
}

func identifierRules(cfg config.Config) (*identifier.Rules, error) {
	patterns, err := identifier.ParsePatterns(cfg.ReferencePatterns)
	if err != nil {
		return nil, fmt.Errorf("CONTACTHUB_REFERENCE_PATTERNS: %w", err)
	}
	rules, err := identifier.NewRules(cfg.DefaultRegion, patterns)
	if err != nil {
		return nil, fmt.Errorf("CONTACTHUB_DEFAULT_REGION: %w", err)
	}
	return rules, nil
}

func (a *App) buildHandler(ctx context.Context) error {
	spec, err := api.LoadSpec()
	if err != nil {
		return err
	}
	if a.verifier, err = a.newVerifier(ctx); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(a.DB.DB.DB, "contacthub"))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "contacthub_event_streams_open",
		Help: "Live event streams open on this replica."}, func() float64 { return float64(a.Streams.Open()) }))
	deps := httpapi.Deps{
		Spec: spec, Verifier: a.verifier, Customers: a.Customers, Contacts: a.Contacts, Cases: a.Cases,
		Referrals: a.Referrals, Catalogue: a.Catalogue, Router: a.Router, Work: a.Cases, Reports: report.New(a.DB, a.Catalogue, a.unitCosts),
		Ratings: a.Ratings, Replies: a.Surveys, IVRToken: a.cfg.IVRToken,
		Calls:          ivr.New(a.DB, a.Contacts, a.Cases, a.Customers, a.Ratings, a.Catalogue),
		Landlords:      landlord.New(a.DB, a.Contacts, a.Cases, a.Customers, a.rules),
		Callbacks:      httpapi.CallbackSecrets{NotifyToken: a.cfg.NotifyCallbackToken, TwilioAuthToken: a.cfg.TwilioAuthToken, PublicURL: a.cfg.PublicURL},
		RatingLimits:   httpapi.RatingLimits{PerIPPerMinute: a.cfg.RatingIPPerMinute, PerPagePerMinute: a.cfg.RatingPagePerMinute},
		NormalisePhone: func(s string) (string, error) { return a.rules.Normalise(identifier.Phone, s) },
		Ready:          a.ready, Registry: reg, Log: a.log, PublicURL: a.cfg.PublicURL,
		MaxBodyBytes: a.cfg.MaxBodyBytes, RateLimitPerMinute: a.cfg.RateLimitPerMinute,
		RateLimitIPPerMinute: a.cfg.RateLimitIPPerMinute, TrustedProxies: a.cfg.TrustedProxies,
		MaxInFlight: a.cfg.MaxInFlight, AdmissionWait: a.cfg.AdmissionWait,
		CORSOrigins: a.cfg.CORSOrigins,
		Idempotency: a.keys, Webhooks: a.Webhooks,
		Streams: httpapi.Streams{Live: a.Streams, Replay: stream.NewOutbox(a.DB), Heartbeat: a.cfg.StreamHeartbeat},
		// Compliance (issue 17).
		Exceptions: exceptions.New(a.DB, a.Router.Calendar()),
		QA:         a.QA,
		// Workforce (issue 16): live channels expect nobody on bank holidays and closures.
		Workforce: workforce.New(a.DB, a.cfg.TimeZone, workforce.Closures{Calendar: a.Router.Calendar()},
			workforce.Fallbacks{Live: a.cfg.WorkforceLiveAHT, Written: a.cfg.WorkforceWrittenAHT}),
		Privacy: a.Privacy, AuditRetention: a.cfg.AuditRetention,
	}
	if a.Audit != nil { // nil only in the benchmark that measures what the audit costs
		deps.Audit = a.Audit
	}
	if a.Sender.Metrics, err = webhook.NewMetrics(reg); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if a.Audit != nil {
		if err := a.Audit.Register(reg); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if a.redis != nil {
		if deps.Limiter, err = kv.NewFallbackLimiter(kv.NewRedisLimiter(a.redis, a.cfg.RedisPrefix), a.log, reg); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	} else {
		deps.Limiter = kv.NewMemoryLimiter()
	}
	a.handler, err = httpapi.New(deps)
	if err == nil && a.cfg.BenchBare {
		a.handler = httpapi.WithBare(a.handler)
	}
	return err
}

// newVerifier trusts the configured key sources, plus the development key when the
// configuration says so (never silently in production: see Config.TrustDevKey).
func (a *App) newVerifier(ctx context.Context) (*auth.Verifier, error) {
	cfg := auth.Config{Issuer: a.cfg.JWTIssuer, Audience: a.cfg.JWTAudience, JWKSURL: a.cfg.JWKSURL}
	if a.cfg.JWTHS256Secret != "" {
		cfg.HS256Secret = []byte(a.cfg.JWTHS256Secret)
	}
	for _, path := range a.cfg.JWTPublicKeyFiles {
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("CONTACTHUB_JWT_PUBLIC_KEYS: %w", err)
		}
		cfg.PublicKeyPEMs = append(cfg.PublicKeyPEMs, pem)
	}
	if a.cfg.TrustDevKey() {
		key, err := auth.LoadOrCreateDevKey(a.cfg.DevKeyPath())
		if err != nil {
			return nil, fmt.Errorf("development signing key: %w", err)
		}
		cfg.PublicKeyPEMs = append(cfg.PublicKeyPEMs, key.PublicKeyPEM())
		a.log.Warn("trusting the development signing key; set CONTACTHUB_DEV_SIGNING_KEY=off in production",
			slog.String("kid", key.KID()))
	}
	v, err := auth.NewVerifier(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("token verification: %w", err)
	}
	return v, nil
}

// ready checks the database and, when configured, Redis.
func (a *App) ready(ctx context.Context) []httpapi.Dependency {
	deps := []httpapi.Dependency{{Name: "database", Err: a.DB.PingContext(ctx)}}
	if a.redis != nil {
		deps = append(deps, httpapi.Dependency{Name: "redis", Err: a.redis.Ping(ctx).Err(), Optional: true})
	}
	return deps
}

// Handler is the hub's HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Serve listens until ctx is cancelled, then drains in-flight requests.
func (a *App) Serve(ctx context.Context) error {
	srv := &http.Server{
		Addr:              a.cfg.Addr,
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	a.Start(ctx)
	a.servePprof(ctx)
	a.log.Info("serving", slog.String("addr", a.cfg.Addr), slog.String("database", string(a.DB.Dialect)),
		slog.Bool("redis", a.redis != nil))
	select {
	case err := <-errs:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Every request has been answered: write the audit entries still buffered.
	a.Audit.Close()
	if err := <-errs; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Start runs the background work of a replica until ctx ends: publishing the outbox,
// delivering it to webhooks, following rule-set activations, sweeping what expires.
func (a *App) Start(ctx context.Context) {
	go a.Dispatcher.Run(ctx)
	go a.FanOut.Run(ctx, a.cfg.WebhookPoll, a.log)
	go a.Sender.Run(ctx, a.cfg.WebhookPoll)
	go a.Router.Watch(ctx, a.Bus.Subscribe(ctx), a.cfg.RulesPoll)
	go a.sweep(ctx)
	go a.Surveys.Run(ctx, a.cfg.SurveyPoll)
	go a.sampleDaily(ctx)
	// Live streams end with ctx, before the server's graceful shutdown waits on them.
	go a.Streams.Run(ctx, a.Bus.Subscribe(ctx))
}

// servePprof serves Go's profiles, to the admin role only, on a listener of its own
// when CONTACTHUB_PPROF_ADDR is set (keep it on localhost or a private network too).
func (a *App) servePprof(ctx context.Context) {
	if a.cfg.PprofAddr == "" {
		return
	}
	srv := &http.Server{Addr: a.cfg.PprofAddr, Handler: a.Profiles(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			a.log.Warn("pprof listener", slog.String("error", err.Error()))
		}
	}()
}

// Profiles is the handler the profiles listener serves.
func (a *App) Profiles() http.Handler { return httpapi.Profiles(a.verifier, a.log) }

// sampleDaily draws each working day's QA sample of the previous working day's resolved
// cases, checking hourly (any replica may; the first draws it).
func (a *App) sampleDaily(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		ran, err := a.QA.RunDaily(ctx, a.Router.Calendar(), time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("daily QA sample", slog.String("error", err.Error()))
		case ran:
			a.log.Info("daily QA sample drawn")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep hourly deletes what is kept only for a while: published outbox messages, the
// log of finished webhook deliveries, and expired idempotency keys.
func (a *App) sweep(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.Dispatcher.Purge(ctx); err != nil {
			a.log.Warn("purge outbox", slog.String("error", err.Error()))
		}
		if err := a.Sender.Purge(ctx); err != nil {
			a.log.Warn("purge webhook deliveries", slog.String("error", err.Error()))
		}
		if err := a.keys.Sweep(ctx); err != nil {
			a.log.Warn("sweep idempotency keys", slog.String("error", err.Error()))
		}
		if _, err := a.Audit.Purge(ctx, a.cfg.AuditRetention); err != nil {
			a.log.Warn("purge audit entries", slog.String("error", err.Error()))
		}
	}
}

// Close releases the database and Redis connections.
func (a *App) Close() {
	if a.verifier != nil {
		a.verifier.Close()
	}
	if a.redis != nil {
		_ = a.redis.Close()
	}
	if a.Audit != nil {
		a.Audit.Close() // before the database closes: it writes what is buffered
	}
	if a.DB != nil {
		_ = a.DB.Close()
	}
}

// workingCalendar is the council's working time: its region's bank holidays and the
// closure days of its closures file, read once at start (a change applies from the next
// start, to cases routed after it).
func workingCalendar(cfg config.Config) (*workcal.Calendar, error) {
	closures, err := workcal.LoadClosures(cfg.ClosuresFile)
	if err != nil {
		return nil, fmt.Errorf("CONTACTHUB_CLOSURES: %w", err)
	}
	cal, err := workcal.New(cfg.TimeZone, cfg.BankHolidayRegion, closures)
	if err != nil {
		return nil, fmt.Errorf("CONTACTHUB_CLOSURES: %w", err)
	}
	return cal, nil
}
