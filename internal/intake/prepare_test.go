package intake

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/store/storetest"
)

// The counts' upserts are prepared at start on SQLite only. On PostgreSQL nothing is
// prepared and nothing needs it: a write's counts go with its commit, and land.
func TestCounts_ArePreparedOnSQLiteOnlyAndCountOnBoth(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			in := &Intake{db: db}
			if err := in.PrepareRollup(ctx); err != nil {
				t.Fatal(err)
			}
			if err := in.PrepareQuarterCount(ctx); err != nil {
				t.Fatal(err)
			}
			onSQLite := b.DatabaseURL == ""
			if got := in.prepared() != nil; got != onSQLite {
				t.Errorf("daily count prepared: %v, want %v", got, onSQLite)
			}
			if got := in.quarters.stmt != nil; got != onSQLite {
				t.Errorf("quarter-hour count prepared: %v, want %v", got, onSQLite)
			}
			c := Contact{Channel: channel.Phone, Service: casework.Service{LGSL: 58}, Centre: "north",
				StartedAt: time.Date(2026, 11, 30, 9, 20, 0, 0, time.UTC), Outcome: HandedOff}
			for range 2 {
				if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
					if err := in.count(ctx, tx, rollupKeyOf(c), contactTally(c, 0)); err != nil {
						return err
					}
					return in.countQuarter(ctx, tx, c)
				}); err != nil {
					t.Fatal(err)
				}
			}
			var daily, handedOff, quarter int
			if err := db.QueryRowxContext(ctx, db.Rebind(`SELECT contacts, handed_off FROM contact_daily
 WHERE day = ? AND channel = ? AND service_lgsl = ? AND centre = ?`), "2026-11-30", "phone", 58, "north").Scan(&daily, &handedOff); err != nil {
				t.Fatal(err)
			}
			if err := db.GetContext(ctx, &quarter, db.Rebind(`SELECT contacts FROM contact_quarter
 WHERE channel = ? AND quarter = ? AND service_lgsl = ? AND centre = ?`), "phone", quarterOf(c), 58, "north"); err != nil {
				t.Fatal(err)
			}
			if daily != 2 || handedOff != 2 || quarter != 2 {
				t.Fatalf("counted %d contacts (%d handed off) that day and %d that quarter hour, want 2, 2, 2", daily, handedOff, quarter)
			}
		})
	}
}
