package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	contacthub "github.com/council/contacthub/clients/go"
)

// Merges fired at once in a cycle (A←B with B←A, or A←B, B←C, C←A) each lock two
// customers; taken in request order those locks deadlock on PostgreSQL. Every answer
// must be a merge (200) or a clear conflict (409), and the records must end acyclic;
// the undos of whatever merged, fired at once, likewise.
func TestMerge_CyclicMergesAtOnceNeverDeadlock(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		token := h.token(agentClaims())
		rounds := 10
		if testing.Short() {
			rounds = 4
		}
		for round := range rounds {
			ids := make([]string, 3)
			for i := range ids {
				c := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr(fmt.Sprintf("Cycle%d-%d", round, i)),
					Identifiers: &[]contacthub.IdentifierInput{phone(fmt.Sprintf("077009%02d%03d", round, i))}})
				ids[i] = c.Id.String()
			}
			a, b, c := ids[0], ids[1], ids[2]
			pairs := [][2]string{{a, b}, {b, a}, {b, c}, {c, a}, {a, c}}
			answers := fire(t, h, token, len(pairs), func(i int) (string, string) {
				return "/v1/customers/" + pairs[i][0] + "/merge", `{"duplicateId":"` + pairs[i][1] + `","reason":"cycle"}`
			})
			var merges []string
			for i, ans := range answers {
				switch ans.status {
				case http.StatusOK:
					merges = append(merges, ans.body["mergeId"].(string))
				case http.StatusConflict:
				default:
					t.Fatalf("round %d: merge %s←%s answered %d %v", round, pairs[i][0], pairs[i][1], ans.status, ans.body)
				}
			}
			if len(merges) == 0 || len(merges) > 2 {
				t.Fatalf("round %d: %d of the cyclic merges succeeded, want 1 or 2", round, len(merges))
			}
			assertAcyclic(t, h, ids)
			undos := fire(t, h, token, len(merges), func(i int) (string, string) {
				return "/v1/merges/" + merges[i] + "/undo", `{"reason":"cycle"}`
			})
			for i, ans := range undos {
				if ans.status != http.StatusOK && ans.status != http.StatusConflict {
					t.Fatalf("round %d: undo %s answered %d %v", round, merges[i], ans.status, ans.body)
				}
			}
			assertAcyclic(t, h, ids)
		}
	})
}

type answer struct {
	status int
	body   map[string]any
}

// fire sends n POSTs at once, built by req, and returns their answers in order.
func fire(t *testing.T, h *hub, token string, n int, req func(i int) (path, body string)) []answer {
	t.Helper()
	out := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		path, body := req(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := http.NewRequest("POST", h.url+path, bytes.NewReader([]byte(body)))
			if err != nil {
				t.Error(err)
				return
			}
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Content-Type", "application/json")
			<-start
			resp, err := h.http.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			out[i].status = resp.StatusCode
			_ = json.Unmarshal(raw, &out[i].body)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// assertAcyclic fails when following mergedInto from any of ids comes back round.
func assertAcyclic(t *testing.T, h *hub, ids []string) {
	t.Helper()
	into := map[string]string{}
	for _, id := range ids {
		var m *string
		if err := h.app.DB.Get(&m, h.app.DB.Rebind(`SELECT merged_into FROM customers WHERE id = ?`), id); err != nil {
			t.Fatal(err)
		}
		if m != nil {
			into[id] = *m
		}
	}
	for _, id := range ids {
		seen := map[string]bool{}
		for at := id; at != ""; at = into[at] {
			if seen[at] {
				t.Fatalf("merged records form a cycle: %v", into)
			}
			seen[at] = true
		}
	}
}
