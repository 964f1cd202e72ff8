package workforce

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// BenchmarkForecast_FourWeeksFromTwoYearsOfContacts is the target: a 4-week,
// 30-minute forecast of one channel from two years of history at 3,000,000 contacts
// (CONTACTHUB_BENCH_FORECAST_CONTACTS to change), on each backend; and, on the same
// contacts, the accuracy endpoint's backtest (8 weekly origins of half hours, the
// endpoint's default, for every channel with contacts). The contacts are made in SQL —
// 60 % phone, the rest web forms and email, spread evenly over two years — and counted by
// quarter hour as migration 00018 counts the contacts before it, so the benchmark times
// the forecast (its read of the counts, and the model), not the loading.
func BenchmarkForecast_FourWeeksFromTwoYearsOfContacts(b *testing.B) {
	if testing.Short() {
		b.Skip("loads millions of contacts")
	}
	n := 3_000_000
	if v, err := strconv.Atoi(os.Getenv("CONTACTHUB_BENCH_FORECAST_CONTACTS")); err == nil && v > 0 {
		n = v
	}
	end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(-2, 0, 0)
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db := storetest.Open(b, be)
			loaded := time.Now()
			if err := loadContacts(db, n, start, end); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %d contacts loaded in %s", be.Name, n, time.Since(loaded).Round(time.Second))
			s := New(db, london, nil, Fallbacks{})
			s.now = func() time.Time { return end }
			b.Run("forecast", func(b *testing.B) {
				q := ForecastQuery{Channel: channel.Phone, From: end, To: end.AddDate(0, 0, 28), Interval: 30 * time.Minute}
				for b.Loop() {
					f, err := s.Forecast(context.Background(), q)
					if err != nil {
						b.Fatal(err)
					}
					if len(f.Points) != 1344 {
						b.Fatalf("%d points", len(f.Points))
					}
				}
			})
			b.Run("accuracy", func(b *testing.B) {
				for b.Loop() {
					acc, err := s.Accuracy(context.Background(), 8, 30*time.Minute)
					if err != nil {
						b.Fatal(err)
					}
					if len(acc) != 3 {
						b.Fatalf("%d channels", len(acc))
					}
				}
			})
		})
	}
}

func loadContacts(db *store.DB, n int, start, end time.Time) error {
	step := end.Sub(start).Seconds() / float64(n)
	now := time.Now().UTC()
	if db.Dialect == store.Postgres {
		_, err := db.Exec(`INSERT INTO contacts (id, channel, direction, started_at, service_lgsl, outcome, version, created_at, updated_at)
 SELECT md5(i::text)::uuid, CASE WHEN i % 5 < 3 THEN 'phone' WHEN i % 5 = 3 THEN 'web_form' ELSE 'email' END, 'inbound',
 $1::timestamptz + (i * $2) * interval '1 second', 58, 'resolved', 1, $3, $3 FROM generate_series(0, $4 - 1) AS i`,
			start, step, now, n)
		if err == nil {
			err = countQuarters(db)
		}
		if err == nil {
			// As autovacuum would.
			_, err = db.Exec(`VACUUM ANALYZE contacts, contact_quarter`)
		}
		return err
	}
	_, err := db.Exec(`INSERT INTO contacts (id, channel, direction, started_at, service_lgsl, outcome, version, created_at, updated_at)
 WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
 SELECT 'bench-' || i, CASE WHEN i % 5 < 3 THEN 'phone' WHEN i % 5 = 3 THEN 'web_form' ELSE 'email' END, 'inbound',
 strftime('%Y-%m-%d %H:%M:%S', ?, '+' || CAST(i * ? AS INTEGER) || ' seconds') || '+00:00', 58, 'resolved', 1, ?, ? FROM n`,
		n, start.Format("2006-01-02 15:04:05"), step, now, now)
	if err == nil {
		err = countQuarters(db)
	}
	if err == nil {
		_, err = db.Exec(`ANALYZE`)
	}
	return err
}

// countQuarters counts the contacts written in SQL by quarter hour, as migration 00018
// does for the contacts recorded before it (intake counts each one it records).
func countQuarters(db *store.DB) error {
	quarter := `CAST(strftime('%s', started_at) AS INTEGER) / 900`
	if db.Dialect == store.Postgres {
		quarter = `CAST(FLOOR(EXTRACT(EPOCH FROM started_at) / 900) AS BIGINT)`
	}
	_, err := db.Exec(`DELETE FROM contact_quarter`)
	if err == nil {
		_, err = db.Exec(`INSERT INTO contact_quarter (channel, quarter, service_lgsl, centre, contacts)
 SELECT channel, ` + quarter + `, service_lgsl, centre, COUNT(*) FROM contacts GROUP BY 1, 2, 3, 4`)
	}
	return err
}
