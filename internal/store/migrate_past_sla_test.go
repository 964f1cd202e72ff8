package store_test

import (
	"context"
	"testing"

	"github.com/council/contacthub/internal/store/storetest"
)

// Migration 00017 sorts the contacts recorded before past_sla existed: a chasing_response
// the contact did not say (its intent is another) was inferred from its case being past
// its SLA, and becomes past_sla; one it said stays. The daily counts move with them, row
// by row, so the reports still equal the contacts.
func TestMigration00017_InferredChasingResponseBecomesPastSLA(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, be)
			if err := db.MigrateDownTo(ctx, 16); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				`INSERT INTO contacts (id, channel, direction, started_at, service_lgsl, centre, outcome, avoidable_reason, intent, version, created_at, updated_at) VALUES
				 ('00000000-0000-7000-8000-000000000001', 'phone', 'inbound', '2026-11-02 09:00:00+00:00', 58, '', 'in_progress', 'chasing_response', '', 1, '2026-11-02 09:00:00+00:00', '2026-11-02 09:00:00+00:00'),
				 ('00000000-0000-7000-8000-000000000002', 'phone', 'inbound', '2026-11-02 10:00:00+00:00', 58, '', 'in_progress', 'chasing_response', 'chasing_response', 1, '2026-11-02 10:00:00+00:00', '2026-11-02 10:00:00+00:00'),
				 ('00000000-0000-7000-8000-000000000003', 'email', 'inbound', '2026-11-03 10:00:00+00:00', 58, '', 'in_progress', 'chasing_response', 'report_change', 1, '2026-11-03 10:00:00+00:00', '2026-11-03 10:00:00+00:00')`,
				`INSERT INTO contact_daily (day, channel, service_lgsl, centre, contacts, in_progress, avoidable_chasing_response) VALUES
				 ('2026-11-02', 'phone', 58, '', 2, 2, 2), ('2026-11-03', 'email', 58, '', 1, 1, 1)`,
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.MigrateUpTo(ctx, 17); err != nil {
				t.Fatal(err)
			}
			var reasons []string
			if err := db.SelectContext(ctx, &reasons, `SELECT avoidable_reason FROM contacts ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			if len(reasons) != 3 || reasons[0] != "past_sla" || reasons[1] != "chasing_response" || reasons[2] != "past_sla" {
				t.Fatalf("reasons = %v, want past_sla, chasing_response, past_sla", reasons)
			}
			var rows []struct {
				Day     string `db:"day"`
				Chasing int    `db:"avoidable_chasing_response"`
				PastSLA int    `db:"avoidable_past_sla"`
			}
			if err := db.SelectContext(ctx, &rows, `SELECT day, avoidable_chasing_response, avoidable_past_sla FROM contact_daily ORDER BY day`); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0].Chasing != 1 || rows[0].PastSLA != 1 || rows[1].Chasing != 0 || rows[1].PastSLA != 1 {
				t.Fatalf("daily rows = %+v", rows)
			}
		})
	}
}
