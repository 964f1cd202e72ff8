package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
)

// seed writes customers (each with a phone, an email and a council tax account), one
// open case each with its contacts and their timeline events, and fifty-event timelines
// for a sample of cases, in batched multi-row inserts.
func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	customers := fs.Int("customers", 10000, "customers to write")
	contactsPer := fs.Int("contacts", 3, "contacts per customer")
	timelines := fs.Int("timelines", 500, "cases given a 50-event timeline")
	hub := hubDatabaseFlags(fs)
	_ = fs.Parse(args)
	ctx := context.Background()
	db, err := store.Open(ctx, hub.url, hub.dataDir, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	const batch = 500
	for from := 0; from < *customers; from += batch {
		to := min(from+batch, *customers)
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error { return seedBatch(ctx, tx, from, to, *contactsPer, *timelines) }); err != nil {
			return fmt.Errorf("customers %d-%d: %w", from, to, err)
		}
		if to%50000 == 0 || to == *customers {
			fmt.Fprintf(os.Stderr, "%d customers in %s\n", to, time.Since(start).Round(time.Second))
		}
	}
	if db.Dialect == store.Postgres {
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			return err
		}
	}
	fmt.Printf("seeded %d customers, %d cases, %d contacts, %d timeline events (%d fifty-event timelines) in %s\n",
		*customers, *customers, *customers**contactsPer, *customers*(1+*contactsPer)+min(*timelines, *customers)*(50-1-*contactsPer),
		min(*timelines, *customers), time.Since(start).Round(time.Millisecond))
	return nil
}

// vacuum does between runs what autovacuum does in production (a test machine's
// PostgreSQL may run without it): the dead rows an earlier run left behind, claimed
// cases and published outbox messages, would otherwise slow the next run's queries.
// SQLite needs nothing.
func vacuum(args []string) error {
	fs := flag.NewFlagSet("vacuum", flag.ExitOnError)
	hub := hubDatabaseFlags(fs)
	_ = fs.Parse(args)
	ctx := context.Background()
	db, err := store.Open(ctx, hub.url, hub.dataDir, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Dialect != store.Postgres {
		return nil
	}
	start := time.Now()
	if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "vacuumed in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// hubDatabase names the database a hub uses, as the hub's own settings do: a URL, or
// none for the embedded SQLite in the data directory.
type hubDatabase struct{ url, dataDir string }

// hubDatabaseFlags adds -database-url and -data-dir to fs; the result is filled when fs
// is parsed.
func hubDatabaseFlags(fs *flag.FlagSet) *hubDatabase {
	var d hubDatabase
	fs.StringVar(&d.dataDir, "data-dir", envOr("CONTACTHUB_DATA_DIR", "./data"), "the hub's data directory (SQLite)")
	fs.StringVar(&d.url, "database-url", os.Getenv("DATABASE_URL"), "the hub's database")
	return &d
}

// rows accumulates one multi-row INSERT.
type rows struct {
	table, cols string
	n, width    int
	args        []any
}

func (r *rows) add(vals ...any) { r.args = append(r.args, vals...); r.n++; r.width = len(vals) }

func (r *rows) exec(ctx context.Context, tx *sqlx.Tx) error {
	if r.n == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", r.width), ", ") + ")"
	q := "INSERT INTO " + r.table + " (" + r.cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", r.n), ", ")
	_, err := tx.ExecContext(ctx, tx.Rebind(q), r.args...)
	return err
}

// caseIDOf and customerIDOf are stable ids for seeded rows, so load can address them.
func customerIDOf(i int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", i) }
func caseIDOf(i int) string     { return fmt.Sprintf("00000000-0000-7000-9000-%012d", i) }

func seedBatch(ctx context.Context, tx *sqlx.Tx, from, to, contactsPer, timelines int) error {
	now := store.Now()
	custs := &rows{table: "customers", cols: "id, given_name, family_name, given_name_key, family_name_key, postcode, version, created_at, updated_at, sms_surveys"}
	ids := &rows{table: "customer_identifiers", cols: "id, customer_id, kind, value, added_at"}
	cases := &rows{table: "cases", cols: "id, customer_id, service_lgsl, status, tier, queue, priority, sla_due_at, channel, contact_count, last_contact_at, version, created_at, updated_at, ruleset_version, routed_by"}
	contacts := &rows{table: "contacts", cols: "id, customer_id, case_id, channel, direction, started_at, service_lgsl, outcome, identifiers, version, created_at, updated_at, routed_tier, routed_queue"}
	events := &rows{table: "timeline_events", cols: "id, customer_id, case_id, kind, actor_subject, actor_role, data, occurred_at"}
	for i := from; i < to; i++ {
		cid, kid := customerIDOf(i), caseIDOf(i)
		family := fmt.Sprintf("Resident%d", i)
		created := now.Add(-time.Duration(i%90) * 24 * time.Hour)
		custs.add(cid, "Sam", family, "sam", strings.ToLower(family), fmt.Sprintf("N%d %dAB", 1+i%22, i%10), 1, created, created, false)
		ids.add(store.NewID(), cid, "phone", phoneOf(i), created)
		ids.add(store.NewID(), cid, "email", fmt.Sprintf("resident%d@example.org", i), created)
		ids.add(store.NewID(), cid, "council_tax_account", fmt.Sprintf("5%08d", i), created)
		cases.add(kid, cid, 58, "open", 1, "advisors", 3, created.Add(240*time.Hour), "phone", contactsPer, created, 1, created, created, 1, "council-tax-first-point")
		events.add(store.NewID(), cid, kid, "case.opened", "agent-seed", "agent", `{"service":58,"channel":"phone"}`, created)
		for j := range contactsPer {
			at := created.Add(time.Duration(j) * time.Hour)
			contact := store.NewID()
			contacts.add(contact, cid, kid, "phone", "inbound", at, 58, "in_progress", "[]", 1, at, at, 1, "advisors")
			events.add(store.NewID(), cid, kid, "contact.recorded", "agent-seed", "agent", `{"contactId":"`+contact+`","channel":"phone","service":58}`, at)
		}
		if i < timelines {
			for j := range 50 - 1 - contactsPer {
				events.add(store.NewID(), cid, kid, "case.note", "agent-seed", "agent", `{"text":"seeded note","internal":true}`, created.Add(time.Duration(j)*time.Minute))
			}
		}
	}
	for _, r := range []*rows{custs, ids, cases, contacts} {
		if err := r.exec(ctx, tx); err != nil {
			return fmt.Errorf("%s: %w", r.table, err)
		}
	}
	// Timeline rows go in smaller statements: 50 per case makes large batches.
	for start := 0; start < events.n; start += 1000 {
		end := min(start+1000, events.n)
		part := &rows{table: events.table, cols: events.cols, n: end - start, width: events.width, args: events.args[start*events.width : end*events.width]}
		if err := part.exec(ctx, tx); err != nil {
			return fmt.Errorf("timeline: %w", err)
		}
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
