package report_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/cputime"
	"github.com/council/contacthub/internal/report"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkReports_AtScale times each report, in process, over a database of
// CONTACTHUB_BENCH_CONTACTS contacts (default 3,000,000) spread evenly over the two years
// to 29 November 2026, with 10 % as many customers, 20,000 cases and a hand-off for every
// fifth contact. The contacts are written with SQL (random channel, service, outcome,
// avoidable reason and tier) and the daily rollup is filled from them as the migration
// fills it, because recording millions through intake would take hours here. Seeding
// takes minutes; the figures are per report.
func BenchmarkReports_AtScale(b *testing.B) {
	n := 3_000_000
	if s := os.Getenv("CONTACTHUB_BENCH_CONTACTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	for _, be := range storetest.Backends(b) {
		b.Run(fmt.Sprintf("%s/contacts=%d", be.Name, n), func(b *testing.B) {
			db := openForScale(b, be)
			if seeded(b, db) {
				b.Logf("%s: reusing the seeded database", be.Name)
			} else {
				started := time.Now()
				seed(b, db, n)
				b.Logf("%s: seeded %d contacts in %s", be.Name, n, time.Since(started).Round(time.Second))
			}
			if os.Getenv("CONTACTHUB_BENCH_EXPLAIN") != "" {
				explain(b, db)
			}
			r := report.New(db, catalogue.Default(), report.DefaultUnitCosts())
			year := report.Span{From: date("2025-12-01"), To: date("2026-11-29"), Period: report.Week}
			cases := []struct {
				name string
				run  func(ctx context.Context) error
			}{
				{"channel-shift/12-months-by-week", func(ctx context.Context) error {
					_, err := r.ChannelShift(ctx, year, report.Filter{})
					return err
				}},
				{"channel-shift/24-months-by-day", func(ctx context.Context) error {
					_, err := r.ChannelShift(ctx, report.Span{From: date("2024-12-01"), To: date("2026-11-29"), Period: report.Day}, report.Filter{})
					return err
				}},
				{"channel-shift/12-months-by-week/service=58", func(ctx context.Context) error {
					_, err := r.ChannelShift(ctx, year, report.Filter{Service: 58})
					return err
				}},
				{"resolution/12-months-by-week", func(ctx context.Context) error {
					_, err := r.Resolution(ctx, year, report.Filter{})
					return err
				}},
				{"resolution/12-months-by-week/service=58", func(ctx context.Context) error {
					_, err := r.Resolution(ctx, year, report.Filter{Service: 58})
					return err
				}},
				{"avoidable/12-months-by-week/repeat-3-in-28-days", func(ctx context.Context) error {
					_, err := r.Avoidable(ctx, year, report.Filter{}, 3, 28)
					return err
				}},
				{"cost-to-serve/12-months-by-month", func(ctx context.Context) error {
					_, err := r.Cost(ctx, report.Span{From: year.From, To: year.To, Period: report.Month}, report.Filter{}, 0.8)
					return err
				}},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					before := cputime.Self()
					for b.Loop() {
						if err := c.run(context.Background()); err != nil {
							b.Fatal(err)
						}
					}
					// The process's CPU time per report: on SQLite the database works in
					// this process, so it is the report's whole cost, and unlike the wall
					// clock it hardly moves when other work shares the machine.
					b.ReportMetric(float64((cputime.Self()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op")
				})
			}
		})
	}
}

// openForScale opens a fresh database, or a kept one: for SQLite the file
// CONTACTHUB_BENCH_SQLITE_FILE names, for PostgreSQL the database
// CONTACTHUB_BENCH_POSTGRES_URL names (created beforehand, left filled). Seeding takes
// minutes, so comparing two versions of a report, or timing them later when the
// machine is quiet, seeds once.
func openForScale(b *testing.B, be storetest.Backend) *store.DB {
	url := ""
	switch {
	case be.DatabaseURL == "" && os.Getenv("CONTACTHUB_BENCH_SQLITE_FILE") != "":
		url = "sqlite:" + os.Getenv("CONTACTHUB_BENCH_SQLITE_FILE")
	case be.DatabaseURL != "" && os.Getenv("CONTACTHUB_BENCH_POSTGRES_URL") != "":
		url = os.Getenv("CONTACTHUB_BENCH_POSTGRES_URL")
	default:
		return storetest.Open(b, be)
	}
	db, err := store.Open(context.Background(), url, "", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db
}

// seeded reports whether db already holds contacts (a kept database).
func seeded(b *testing.B, db *store.DB) bool {
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM (SELECT 1 FROM contacts LIMIT 1) c`); err != nil {
		b.Fatal(err)
	}
	return n > 0
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// seed writes n contacts, n/10 customers, 20,000 cases and n/5 hand-offs, then the
// daily rollups of the contacts and hand-offs.
func seed(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	customers, cases := max(n/10, 1), 20_000
	stmts := seedSQLite
	if db.Dialect == store.Postgres {
		stmts = seedPostgres
	}
	// One connection: the pragma and the session setting that turn off foreign-key
	// checks hold for their own connection only.
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if strings.Contains(q, "%[") {
			q = fmt.Sprintf(q, customers, cases, n)
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
}

// Each statement is formatted with (customers, cases, contacts); %[1]d etc. pick one.
var seedPostgres = []string{
	`SET session_replication_role = replica`, // no foreign-key checks while seeding
	`INSERT INTO customers (id, version, created_at, updated_at)
	 SELECT md5('c' || i)::uuid, 1, now(), now() FROM generate_series(1, %[1]d) i`,
	`INSERT INTO cases (id, customer_id, service_lgsl, status, sla_due_at, channel, version, created_at, updated_at)
	 SELECT md5('k' || i)::uuid, md5('c' || (1 + i %% %[1]d))::uuid, (ARRAY[58,63,70,57,474])[1 + i %% 5], 'open', now(), 'phone', 1, now(), now()
	 FROM generate_series(1, %[2]d) i`,
	`INSERT INTO contacts (id, customer_id, channel, direction, started_at, service_lgsl, centre, outcome, avoidable_reason,
	  routed_tier, version, created_at, updated_at)
	 SELECT md5('t' || i)::uuid, md5('c' || (1 + floor(random() * %[1]d)::int))::uuid, ch, 'inbound', at, svc,
	  CASE WHEN ch = 'face_to_face' THEN (ARRAY['civic-centre','north-customer-service-centre','south-customer-service-centre'])[1 + floor(random() * 3)::int] ELSE '' END,
	  (ARRAY['resolved_first_contact','resolved_first_contact','self_served','handed_off','in_progress','referred','abandoned'])[1 + floor(random() * 7)::int],
	  (ARRAY['','','','','','','repeat','progress_chasing','chasing_response','past_sla','misdirected'])[1 + floor(random() * 11)::int],
	  1 + floor(random() * 3)::int, 1, at, at
	 FROM (SELECT i, timestamptz '2024-12-01 00:00:00+00' + (i::float8 / %[3]d) * interval '729 days' AS at,
	  (ARRAY['phone','phone','phone','phone','ivr','face_to_face','face_to_face','web_self_service','web_self_service','web_form','email','landlord_portal','sms','letter'])[1 + floor(random() * 14)::int] AS ch,
	  (ARRAY[58,58,58,57,59,60,63,64,70,68,54,56,474,471,279])[1 + floor(random() * 15)::int] AS svc
	  FROM generate_series(1, %[3]d) i) g`,
	`INSERT INTO case_handoffs (id, case_id, from_tier, to_tier, from_queue, to_queue, reason, handed_by, handed_at)
	 SELECT md5('h' || i)::uuid, md5('k' || (1 + i %% %[2]d))::uuid, 1, 2 + floor(random() * 2)::int, 'general', 'blt-officers',
	  (ARRAY['needs_evidence','complexity','specialist_decision','vulnerability','wrong_queue'])[1 + floor(random() * 5)::int], 'seed',
	  timestamptz '2024-12-01 00:00:00+00' + (i::float8 / (%[3]d / 5)) * interval '729 days'
	 FROM generate_series(1, %[3]d / 5) i`,
	`INSERT INTO handoff_daily SELECT to_char(h.handed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), c.service_lgsl, c.channel, h.reason,
	  h.from_tier, h.to_tier, COUNT(*) FROM case_handoffs h JOIN cases c ON c.id = h.case_id GROUP BY 1, 2, 3, 4, 5, 6`,
	`INSERT INTO contact_daily SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), channel, service_lgsl, centre, COUNT(*),
	  SUM(CASE WHEN outcome = 'in_progress' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'resolved_first_contact' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome = 'self_served' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'handed_off' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome = 'referred' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN avoidable_reason = 'repeat' THEN 1 ELSE 0 END), SUM(CASE WHEN avoidable_reason = 'progress_chasing' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN avoidable_reason = 'chasing_response' THEN 1 ELSE 0 END), SUM(CASE WHEN avoidable_reason = 'misdirected' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome <> 'in_progress' AND routed_tier = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN outcome <> 'in_progress' AND routed_tier = 2 THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome <> 'in_progress' AND routed_tier = 3 THEN 1 ELSE 0 END),
	  SUM(CASE WHEN avoidable_reason = 'past_sla' THEN 1 ELSE 0 END)
	 FROM contacts GROUP BY 1, 2, 3, 4`,
	`SET session_replication_role = DEFAULT`,
	`VACUUM ANALYZE`, // as autovacuum would have by now: visibility maps let index-only scans skip the heap
}

// SQLite keeps times as the driver writes them ('2006-01-02 15:04:05.999999999+00:00'
// for UTC), which is what the reports' parameters compare against.
var seedSQLite = []string{
	`PRAGMA foreign_keys = OFF`,
	`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %[1]d)
	 INSERT INTO customers (id, version, created_at, updated_at) SELECT 'c' || i, 1, '2024-12-01 00:00:00+00:00', '2024-12-01 00:00:00+00:00' FROM n`,
	`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %[2]d)
	 INSERT INTO cases (id, customer_id, service_lgsl, status, sla_due_at, channel, version, created_at, updated_at)
	 SELECT 'k' || i, 'c' || (1 + i %% %[1]d), json_extract('[58,63,70,57,474]', '$[' || (i %% 5) || ']'), 'open',
	  '2026-12-01 00:00:00+00:00', 'phone', 1, '2024-12-01 00:00:00+00:00', '2024-12-01 00:00:00+00:00' FROM n`,
	`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %[3]d),
	 g AS (SELECT i, strftime('%%Y-%%m-%%d %%H:%%M:%%S', '2024-12-01', '+' || (i * 729.0 * 86400 / %[3]d) || ' seconds') || '+00:00' AS at,
	  json_extract('["phone","phone","phone","phone","ivr","face_to_face","face_to_face","web_self_service","web_self_service","web_form","email","landlord_portal","sms","letter"]', '$[' || (abs(random()) %% 14) || ']') AS ch,
	  json_extract('[58,58,58,57,59,60,63,64,70,68,54,56,474,471,279]', '$[' || (abs(random()) %% 15) || ']') AS svc FROM n)
	 INSERT INTO contacts (id, customer_id, channel, direction, started_at, service_lgsl, centre, outcome, avoidable_reason,
	  routed_tier, version, created_at, updated_at)
	 SELECT 't' || i, 'c' || (1 + abs(random()) %% %[1]d), ch, 'inbound', at, svc,
	  CASE WHEN ch = 'face_to_face' THEN json_extract('["civic-centre","north-customer-service-centre","south-customer-service-centre"]', '$[' || (abs(random()) %% 3) || ']') ELSE '' END,
	  json_extract('["resolved_first_contact","resolved_first_contact","self_served","handed_off","in_progress","referred","abandoned"]', '$[' || (abs(random()) %% 7) || ']'),
	  json_extract('["","","","","","","repeat","progress_chasing","chasing_response","past_sla","misdirected"]', '$[' || (abs(random()) %% 11) || ']'),
	  1 + abs(random()) %% 3, 1, at, at FROM g`,
	`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %[3]d / 5)
	 INSERT INTO case_handoffs (id, case_id, from_tier, to_tier, from_queue, to_queue, reason, handed_by, handed_at)
	 SELECT 'h' || i, 'k' || (1 + i %% %[2]d), 1, 2 + abs(random()) %% 2, 'general', 'blt-officers',
	  json_extract('["needs_evidence","complexity","specialist_decision","vulnerability","wrong_queue"]', '$[' || (abs(random()) %% 5) || ']'), 'seed',
	  strftime('%%Y-%%m-%%d %%H:%%M:%%S', '2024-12-01', '+' || (i * 729.0 * 86400 / (%[3]d / 5)) || ' seconds') || '+00:00' FROM n`,
	`INSERT INTO handoff_daily SELECT substr(h.handed_at, 1, 10), c.service_lgsl, c.channel, h.reason,
	  h.from_tier, h.to_tier, COUNT(*) FROM case_handoffs h JOIN cases c ON c.id = h.case_id GROUP BY 1, 2, 3, 4, 5, 6`,
	`INSERT INTO contact_daily SELECT substr(started_at, 1, 10), channel, service_lgsl, centre, COUNT(*),
	  SUM(CASE WHEN outcome = 'in_progress' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'resolved_first_contact' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome = 'self_served' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'handed_off' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome = 'referred' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN avoidable_reason = 'repeat' THEN 1 ELSE 0 END), SUM(CASE WHEN avoidable_reason = 'progress_chasing' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN avoidable_reason = 'chasing_response' THEN 1 ELSE 0 END), SUM(CASE WHEN avoidable_reason = 'misdirected' THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome <> 'in_progress' AND routed_tier = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN outcome <> 'in_progress' AND routed_tier = 2 THEN 1 ELSE 0 END),
	  SUM(CASE WHEN outcome <> 'in_progress' AND routed_tier = 3 THEN 1 ELSE 0 END),
	  SUM(CASE WHEN avoidable_reason = 'past_sla' THEN 1 ELSE 0 END)
	 FROM contacts GROUP BY 1, 2, 3, 4`,
	`PRAGMA foreign_keys = ON`,
	`ANALYZE`,
}

// explain logs the plans of the two heaviest reads (the same text the reports send)
// on PostgreSQL, when CONTACTHUB_BENCH_EXPLAIN is set.
func explain(b *testing.B, db *store.DB) {
	if db.Dialect != store.Postgres {
		return
	}
	for _, q := range []string{
		`SELECT day, channel, COALESCE(SUM(contacts), 0) AS contacts FROM contact_daily WHERE day >= '2025-12-01' AND day <= '2026-11-29' GROUP BY day, channel`,
		`SELECT COUNT(*) FROM (SELECT customer_id FROM contacts WHERE started_at >= '2026-11-02' AND started_at < '2026-11-30'
		 AND customer_id IS NOT NULL GROUP BY customer_id HAVING COUNT(*) >= 3) repeaters`,
	} {
		var plan []string
		if err := db.SelectContext(context.Background(), &plan, `EXPLAIN (ANALYZE, BUFFERS) `+q); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s\n%s", q, strings.Join(plan, "\n"))
	}
}
