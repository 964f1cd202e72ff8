// Command contacthub runs the Contact Hub: the API server and its helper sub-commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones inside a distroless image

	"github.com/council/contacthub/internal/app"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

const usage = `contacthub — the council's omnichannel contact hub

Usage:
  contacthub [serve]      run the API server (the default)
  contacthub migrate      apply database migrations and exit
  contacthub token ...    print a development token the local server accepts
  contacthub seed         add demo customers to the database
  contacthub fake-notify  a stand-in GOV.UK Notify for demonstrations

Every sub-command reads its settings from environment variables (see README.md)
and takes --help.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "contacthub:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "migrate":
		return migrate(args, stderr)
	case "token":
		return token(args, stdout, stderr)
	case "seed":
		return seed(args, stdout, stderr)
	case "fake-notify":
		return fakeNotify(args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: contacthub %s\n\n%s\n", name, help)
		fs.PrintDefaults()
	}
	return fs
}

func loadConfig() (config.Config, *slog.Logger, error) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	return cfg, log, nil
}

func serve(args []string, stderr io.Writer) error {
	fs := newFlags("serve", "Runs the API server on CONTACTHUB_ADDR until SIGINT or SIGTERM.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := loadConfig()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx)
}

func migrate(args []string, stderr io.Writer) error {
	fs := newFlags("migrate", "Applies the embedded migrations to DATABASE_URL (or the SQLite file) and exits.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := loadConfig()
	if err != nil {
		return err
	}
	a, err := app.Open(context.Background(), cfg, log)
	if err != nil {
		return err
	}
	a.Close()
	log.Info("migrations applied")
	return nil
}

// roleList collects --role flags, each possibly comma-separated.
type roleList []auth.Role

func (r *roleList) String() string { return fmt.Sprint(*r) }
func (r *roleList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		role := auth.Role(strings.TrimSpace(s))
		if !role.Valid() {
			return fmt.Errorf("unknown role %q (citizen, landlord, agent, supervisor, admin, integration)", s)
		}
		*r = append(*r, role)
	}
	return nil
}

func token(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token --role agent [--tier 2] [--sub alice] [--customer ID] [--landlord ID] [--ttl 1h]",
		"Prints a JWT signed with the development key in CONTACTHUB_DATA_DIR, which a hub\n"+
			"trusting that key (the default when no other key is configured) accepts.", stderr)
	var roles roleList
	fs.Var(&roles, "role", "role(s) to grant; repeat or comma-separate")
	tier := fs.Int("tier", 0, "agent tier, 1-3")
	sub := fs.String("sub", "dev-user", "subject (who the token is for)")
	customerID := fs.String("customer", "", "customer id (citizen tokens)")
	landlordID := fs.String("landlord", "", "landlord id (landlord tokens)")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(roles) == 0 {
		fs.Usage()
		return errors.New("give at least one --role")
	}
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	key, err := auth.LoadOrCreateDevKey(cfg.DevKeyPath())
	if err != nil {
		return err
	}
	tok, err := key.Mint(auth.Claims{Subject: *sub, Roles: roles, Tier: *tier, CustomerID: *customerID,
		LandlordID: *landlordID, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, TTL: *ttl})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
