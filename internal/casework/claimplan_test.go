package casework

import (
	"context"
	"strings"
	"testing"

	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// The claim finds the next case as the first entry of its own index, with no sort, on
// both engines, and on PostgreSQL also in the plan made once for any queue (the generic
// plan a prepared statement gets after a few runs). That plan once took cases_queue,
// which holds the claimed cases still open too, and slowed as they piled up.
func TestClaim_TheNextCaseIsTheClaimIndexsFirstEntryInEveryPlan(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			var plan []string
			if db.Dialect == store.Postgres {
				conn, err := db.Connx(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				for _, stmt := range []string{"SET plan_cache_mode = force_generic_plan",
					"PREPARE claim_next(text) AS " + db.Rebind(claimNext) + " FOR UPDATE SKIP LOCKED"} {
					if _, err := conn.ExecContext(ctx, stmt); err != nil {
						t.Fatal(err)
					}
				}
				if err := conn.SelectContext(ctx, &plan, "EXPLAIN EXECUTE claim_next('advisors')"); err != nil {
					t.Fatal(err)
				}
				_, _ = conn.ExecContext(ctx, "DEALLOCATE claim_next")
				_, _ = conn.ExecContext(ctx, "RESET plan_cache_mode")
			} else {
				// EXPLAIN QUERY PLAN answers id, parent, notused and the step's detail.
				rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+claimNext, "advisors")
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var id, parent, notUsed int
					var detail string
					if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, detail)
				}
				if err := rows.Close(); err != nil {
					t.Fatal(err)
				}
			}
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, "cases_claim_next") || strings.Contains(strings.ToLower(text), "sort") || strings.Contains(text, "B-TREE") {
				t.Fatalf("the claim's plan does not read cases_claim_next in order:\n%s", text)
			}
		})
	}
}
