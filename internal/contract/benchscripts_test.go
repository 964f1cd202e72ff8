package contract

import (
	"database/sql/driver"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/store"
)

var updateBench = flag.Bool("update-bench", false, "rewrite bench/plans.sql and bench/pgbench/*.sql from the statements the hub sends")

// The bench's limit column runs, with pgbench, the statements the hub sends for each
// database-backed scenario (lookup, timeline, IVR newCall, keyed contact write, web
// page rating, queue claim), and bench/plans.sql explains its reads. Both are written
// from a recording of what this hub sends (store.Trace), never restated by hand: this
// test records the scenarios again and fails when a file differs from what the code
// sends now. `go test ./internal/contract -run TestBenchScripts -update-bench` (on
// PostgreSQL) rewrites them.
func TestBenchScripts_AreTheStatementsTheHubSends(t *testing.T) {
	tr := &store.Trace{}
	h := tracedHub(t, tr)
	newCall, write, reads := recordScenarios(t, h, tr)
	rating := recordRating(t, h, tr)
	claim, claimedAs := recordClaim(t, h, tr, reads.seeded)
	for _, s := range claim {
		if strings.HasPrefix(s.SQL, "SELECT") { // the queue's head, the read whose cost history sets
			reads.plans = append(reads.plans, s)
		}
	}
	files := map[string]string{
		"pgbench/lookup.sql":   script("customer lookup by phone", reads.lookup, reads.seeded, "customers"),
		"pgbench/timeline.sql": script("case timeline (50 events)", reads.timeline, reads.seeded, "timelines"),
		"pgbench/ivr.sql":      script("IVR newCall", newCall, reads.seeded, "customers"),
		"pgbench/contact.sql":  script("POST /v1/contacts (idempotency key)", write, reads.seeded, "customers"),
		"pgbench/rating.sql":   script("web page rating (anonymous)", rating, reads.seeded, "customers"),
		"pgbench/claim.sql":    script("queue claim", claim, claimedAs, "customers", "queue=advisors"),
		"plans.sql":            plans(reads.plans, reads.seeded),
	}
	for name, want := range files {
		path := filepath.Join("..", "..", "bench", name)
		if *updateBench {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("bench/%s is not what the hub sends now (run this test with -update-bench on PostgreSQL):\n%s", name, want)
		}
	}
}

// seededAs maps values the recording used to the pgbench expression of the seeded
// database's value for customer :i (bench seed's customerIDOf, phoneOf, caseIDOf).
type seededAs map[string]string

type reads struct {
	lookup, timeline []store.Statement
	plans            []store.Statement // the reads each scenario makes, to explain
	seeded           seededAs
}

// recordScenarios records the bench's database-backed scenarios on h: the two writes
// (hotPaths) and the two reads.
func recordScenarios(t *testing.T, h *hub, tr *store.Trace) (newCall, write []store.Statement, r reads) {
	t.Helper()
	newCall, write, writer := hotPaths(t, h, tr)
	var cust contacthub.CustomerPage
	resp, body := h.raw("GET", "/v1/customers?phone="+url.QueryEscape("+447700900123"), h.agentToken(), "", nil)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &cust) != nil || len(cust.Items) != 1 {
		t.Fatalf("lookup: %d %s", resp.StatusCode, body)
	}
	customerID := cust.Items[0].Id.String()
	var cases contacthub.CasePage
	resp, body = h.raw("GET", "/v1/cases?customerId="+customerID, h.agentToken(), "", nil)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &cases) != nil || len(cases.Items) != 1 {
		t.Fatalf("cases: %d %s", resp.StatusCode, body)
	}
	caseID := cases.Items[0].Id.String()
	tr.Start()
	h.okTimes(1, "/v1/customers?phone="+url.QueryEscape("+447700900123"), h.agentToken())
	r.lookup = requestOnly(tr)
	tr.Start()
	h.okTimes(1, "/v1/cases/"+caseID+"/timeline?limit=50", h.agentToken())
	r.timeline = requestOnly(tr)
	var writerCases contacthub.CasePage
	resp, body = h.raw("GET", "/v1/cases?customerId="+writer, h.agentToken(), "", nil)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &writerCases) != nil || len(writerCases.Items) != 1 {
		t.Fatalf("the writer's cases: %d %s", resp.StatusCode, body)
	}
	r.seeded = seededAs{
		writer:                           `('00000000-0000-7000-8000-' || lpad((:i)::text, 12, '0'))::uuid`,
		writerCases.Items[0].Id.String(): `('00000000-0000-7000-9000-' || lpad((:i)::text, 12, '0'))::uuid`,
		customerID:                       `('00000000-0000-7000-8000-' || lpad((:i)::text, 12, '0'))::uuid`,
		caseID:                           `('00000000-0000-7000-9000-' || lpad((:i)::text, 12, '0'))::uuid`,
		"+447700900123":                  `'+4471' || lpad((:i)::text, 8, '0')`,
		"call-joins-the-case":            freshText,
	}
	for _, s := range append(append(append([]store.Statement{}, r.lookup...), r.timeline...), newCall...) {
		if strings.HasPrefix(s.SQL, "SELECT") {
			r.plans = append(r.plans, s)
		}
	}
	return newCall, write, r
}

// recordRating records an anonymous web page rating, the bench's body (bench/load.go).
func recordRating(t *testing.T, h *hub, tr *store.Trace) []store.Statement {
	t.Helper()
	tr.Start()
	resp, body := h.raw("POST", "/v1/ratings", "", "application/json",
		[]byte(`{"source":"web_page","score":4,"pageUrl":"https://www.council.example/page/17"}`))
	rating := requestOnly(tr)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("rating: %d %s", resp.StatusCode, body)
	}
	return rating
}

// recordClaim records an agent's claim of the next case of the advisors queue (one of
// the cases the other scenarios opened, so it goes after their recording), and answers
// seeded with the claimed case's id and customer read from the claim's own locking
// read (\gset c_): in the replay the case comes from the queue, as the hub's does, not
// from a seeded customer :i.
func recordClaim(t *testing.T, h *hub, tr *store.Trace, seeded seededAs) ([]store.Statement, seededAs) {
	t.Helper()
	tr.Start()
	resp, body := h.raw("POST", "/v1/queues/advisors/claim", h.agentToken(), "", nil)
	claim := requestOnly(tr)
	var c contacthub.Case
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &c) != nil {
		t.Fatalf("claim: %d %s", resp.StatusCode, body)
	}
	claimed := maps.Clone(seeded)
	claimed[c.Id.String()] = "(:c_id)::uuid"
	claimed[c.CustomerId.String()] = "(:c_customer_id)::uuid"
	// The queue is the claim's parameter ($1), as the hub's is: written as a literal,
	// PostgreSQL would plan for that value alone, where the hub's prepared claim settles
	// on the generic plan after five runs, which need not take the same index.
	claimed["advisors"] = ":queue"
	for i, s := range claim {
		if strings.HasPrefix(s.SQL, "UPDATE cases ") {
			claim[i].SQL = keptAsRead(s, "assignee", "claimed_at", "version", "updated_at")
		}
	}
	return claim, claimed
}

var setColumn = regexp.MustCompile(`\b(\w+) = \$(\d+)`)

// keptAsRead rewrites an update of a case so that every column it sets, but those
// the operation changes, is written back as the locking read found it (\gset c_), as
// the hub writes back the case it read: the replay's claimed case is a seeded one, whose
// values are not the recording's. A NULL read comes back from \gset as "", hence NULLIF
// for the columns that may be NULL (ids and times); for the others the column's own
// type is the parameter's.
func keptAsRead(s store.Statement, changed ...string) string {
	set, where, _ := strings.Cut(s.SQL, " WHERE ")
	set = setColumn.ReplaceAllStringFunc(set, func(m string) string {
		sub := setColumn.FindStringSubmatch(m)
		col := sub[1]
		n, _ := strconv.Atoi(sub[2])
		if slices.Contains(changed, col) || n > len(s.Args) {
			return m
		}
		switch x := plainValue(s.Args[n-1]).(type) {
		case nil:
			return m // NULL when read too (a resolution time of an open case)
		case time.Time:
			return fmt.Sprintf("%s = NULLIF(:c_%s, '')::timestamptz", col, col)
		case string:
			if _, err := uuid.Parse(x); err == nil && len(x) == 36 {
				return fmt.Sprintf("%s = NULLIF(:c_%s, '')::uuid", col, col)
			}
		}
		return fmt.Sprintf("%s = :c_%s", col, col)
	})
	return set + " WHERE " + where
}

// newID is a new time-ordered id, as the hub's (store.NewID, UUIDv7): a random one
// would scatter the inserts over the indexes and cost PostgreSQL more than the hub's do.
const newID = `(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid`

// freshText is a new text key (a call id, an idempotency key's scope) drawn once per
// transaction (:k), so that a statement that looks it up finds it by its index, as the
// hub's parameter does, where random() in the statement would scan the table.
const freshText = `('pgbench-' || (:k)::text)`

var (
	param   = regexp.MustCompile(`\$(\d+)`)
	digest  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	day     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	anyID   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	anyTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T[0-9:.]+Z`)
)

// script is a pgbench script replaying stmts for a random seeded customer :i (below
// :bound, set with -D). The case's version, read by the locking read of the case (a
// customer's open case, or a queue's next one SKIP LOCKED), is carried into the updates
// that check it, so that they update a row as the hub's do.
//
// defined are the script's other variables ("name=value", given with -D): values the
// hub sends as parameters that no seeded expression stands for.
func script(title string, stmts []store.Statement, seeded seededAs, bound string, defined ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s: the statements the hub sends, recorded by internal/contract's\n", title)
	fmt.Fprintf(&b, "-- TestBenchScripts (do not edit; rerun it with -update-bench). Run with -D %s=N", bound)
	for _, d := range defined {
		fmt.Fprintf(&b, " -D %s", d)
	}
	b.WriteString(".\n")
	fmt.Fprintf(&b, "\\set i random(0, :%s - 1)\n\\set k random(1, 999999999999999)\n", bound)
	version := 0
	for _, s := range stmts {
		sqlText := strings.Join(strings.Fields(s.SQL), " ")
		if v, ok := versionChecked(sqlText, s.Args); ok && version == 0 {
			version = v - 1
		}
		versions := map[int]bool{}
		if strings.HasPrefix(sqlText, "UPDATE cases ") {
			// A word's start: ruleset_version is not the case's version.
			for _, m := range regexp.MustCompile(`\bversion = \$(\d+)`).FindAllStringSubmatch(sqlText, -1) {
				n, _ := strconv.Atoi(m[1])
				versions[n] = true
			}
		}
		sqlText = param.ReplaceAllStringFunc(sqlText, func(p string) string {
			n, _ := strconv.Atoi(p[1:])
			if n > len(s.Args) {
				return p
			}
			if versions[n] {
				v, _ := s.Args[n-1].(int)
				return fmt.Sprintf("(:c_version::int + %d)", v-version)
			}
			return valueExpr(s.Args[n-1], seeded)
		})
		if strings.HasPrefix(sqlText, "SELECT id, customer_id, service_lgsl") &&
			(strings.HasSuffix(sqlText, "FOR UPDATE") || strings.HasSuffix(sqlText, "FOR UPDATE SKIP LOCKED")) {
			fmt.Fprintf(&b, "%s\n\\gset c_\n", sqlText)
			continue
		}
		fmt.Fprintf(&b, "%s;\n", sqlText)
	}
	return b.String()
}

// versionChecked answers the version an UPDATE of a case expects (the new one).
func versionChecked(sqlText string, args []any) (int, bool) {
	m := regexp.MustCompile(`^UPDATE cases .*version = \$(\d+) - 1$`).FindStringSubmatch(sqlText)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	v, ok := args[n-1].(int)
	return v, ok
}

// plans is bench/plans.sql: each read explained with the generic plan a prepared
// statement settles on, for seeded customer 42.
func plans(stmts []store.Statement, seeded seededAs) string {
	var b strings.Builder
	b.WriteString(`-- The plans of the hub's hot reads on a seeded database (bench seed): each must be an
-- index lookup whose cost does not grow with the number of customers.
--   psql "$DATABASE_URL" -f bench/plans.sql
-- Recorded from what the hub sends by internal/contract's TestBenchScripts (do not
-- edit; rerun it with -update-bench); plan_cache_mode forces the generic plan.
SET plan_cache_mode = force_generic_plan;
\set i 42
`)
	seen := map[string]bool{}
	for i, s := range stmts {
		sqlText := strings.Join(strings.Fields(s.SQL), " ")
		if seen[sqlText] {
			continue
		}
		seen[sqlText] = true
		var args []string
		for _, a := range s.Args {
			args = append(args, valueExpr(a, seeded))
		}
		fmt.Fprintf(&b, "\n\\echo '== %s'\nPREPARE q%d AS %s;\nEXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q%d(%s);\nDEALLOCATE q%d;\n",
			strings.ReplaceAll(firstWords(sqlText), "'", "''"), i+1, sqlText, i+1, strings.Join(args, ", "), i+1)
	}
	return b.String()
}

// firstWords names a statement by its table and condition, for the listing.
func firstWords(s string) string {
	from := strings.Index(s, " FROM ")
	if from < 0 {
		return s
	}
	s = s[from+1:]
	if len(s) > 110 {
		s = s[:110] + "…"
	}
	return s
}

// plainValue is a recorded argument as the driver sends it: a Valuer's value, a
// pointer's target (nil for a nil pointer).
func plainValue(v any) any {
	if dv, ok := v.(driver.Valuer); ok {
		if got, err := dv.Value(); err == nil {
			v = got
		}
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return plainValue(rv.Elem().Interface())
	}
	return v
}

// valueExpr writes a recorded value as SQL: a seeded value as its expression of :i, a
// new id as a fresh one, anything else as a literal.
func valueExpr(v any, seeded seededAs) string {
	if dv, ok := v.(driver.Valuer); ok {
		if got, err := dv.Value(); err == nil {
			v = got
		}
	}
	rv := reflect.ValueOf(v)
	if v == nil || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		return "NULL"
	}
	if rv.Kind() == reflect.Pointer {
		return valueExpr(rv.Elem().Interface(), seeded)
	}
	if rv.CanInt() && isQuarterNow(rv.Int()) {
		// The quarter hour a contact is counted in (issue 16's contact_quarter): the
		// current one, not the one the recording ran in, so the script does not drift.
		return "(floor(extract(epoch FROM now()) / 900))::bigint"
	}
	switch x := v.(type) {
	case string:
		if e, ok := seeded[x]; ok {
			return e
		}
		if strings.HasSuffix(x, "contact-write-1") { // the key's scope: a new key each time
			return freshText
		}
		if id, err := uuid.Parse(x); err == nil && id.Version() == 7 && len(x) == 36 {
			return newID
		}
		if digest.MatchString(x) { // a request's hash (it names the customer)
			return quote(strings.Repeat("0", len(x)))
		}
		if day.MatchString(x) {
			return "to_char(now(), 'YYYY-MM-DD')"
		}
		// Ids and times inside a document (an event's JSON) are fixed, so that the
		// script is the same from one recording to the next.
		return quote(anyTime.ReplaceAllString(anyID.ReplaceAllString(x, "00000000-0000-7000-a000-000000000000"), "2026-01-01T00:00:00Z"))
	case []byte:
		// A stored answer (its ids and times differ each time): a kilobyte, about its size.
		return "decode(repeat('00', 1024), 'hex')"
	case bool:
		return strconv.FormatBool(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(x)
	case time.Time:
		// Relative to the recording: a window's start stays that many days back.
		if ago := time.Since(x); ago > time.Hour {
			return fmt.Sprintf("now() - interval '%d days'", int(ago.Hours()/24+0.5))
		}
		return "now()"
	case []string:
		return quote("{" + strings.Join(x, ",") + "}")
	default:
		return quote(fmt.Sprint(x))
	}
}

// isQuarterNow says whether n is the number of the quarter hour now (seconds since
// 1970 over 900), give or take one for a recording that crossed a boundary.
func isQuarterNow(n int64) bool {
	q := time.Now().Unix() / 900
	return n >= q-1 && n <= q+1
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
