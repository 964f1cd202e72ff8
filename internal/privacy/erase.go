package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Erased replaces free text that erasure removes, where a column may not be empty.
const Erased = "[erased]"

// ErasureRequest is an admin's request to erase a person.
type ErasureRequest struct {
	Reason string // why the law allows it; kept in the audit, so it must not name the person
	// Override erases despite a legal hold (an open or recently closed case).
	Override bool
}

// Erasure is what an erasure did.
type Erasure struct {
	CustomerID string   // the record in use
	Records    []string // every record of the person (merged records included)
	Cases      []string
	Overrode   []string // the holds overridden ("case <id> is open"); empty when none applied
	ErasedAt   time.Time
}

// Hold is why a person's data may not be erased yet.
type Hold struct {
	CaseID string
	Why    string
}

// Erase anonymises the person id belongs to, keeping what the council's figures count.
// Removed or replaced: names, date of birth, address, identifiers, free-text summaries,
// notes, comments, reasons written by people, survey phone numbers, and the same text in
// timeline events, outbox messages and webhook deliveries. Kept: channels, services,
// times, tiers, queues, outcomes, resolution and hand-off codes, scores, agents. A legal
// hold refuses it (Conflict, saying which case) unless the request overrides it.
func (p *Privacy) Erase(ctx context.Context, actor timeline.Actor, id string, req ErasureRequest) (Erasure, error) {
	if strings.TrimSpace(req.Reason) == "" {
		return Erasure{}, fault.Field("reason", "is required: say on what grounds the person is erased")
	}
	ids, err := p.Person(ctx, id)
	if err != nil {
		return Erasure{}, err
	}
	out := Erasure{CustomerID: ids[0], Records: ids, ErasedAt: store.Now()}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		cases, holds, err := p.holds(ctx, tx, ids, out.ErasedAt)
		if err != nil {
			return err
		}
		if len(holds) > 0 && !req.Override {
			why := make([]string, len(holds))
			for i, h := range holds {
				why[i] = h.Why
			}
			return fault.New(fault.Conflict, "a legal hold applies: %s; an admin may override it with a stated reason", strings.Join(why, "; "))
		}
		out.Cases, out.Overrode = cases, nil // InTx may run this again after contention
		for _, h := range holds {
			out.Overrode = append(out.Overrode, h.Why)
		}
		if err := anonymise(ctx, tx, ids, cases); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Change{CustomerID: out.CustomerID, Actor: actor, At: out.ErasedAt,
			Payload: event.CustomerErasedData{Records: ids, Cases: nonNil(cases), Override: len(holds) > 0}})
		return err
	})
	if err != nil {
		return Erasure{}, err
	}
	return out, nil
}

const selectCasesOf = `SELECT id, status, resolved_at FROM cases WHERE customer_id IN (?) ORDER BY id`

// holds lists the person's cases and the legal holds among them: a case still open, or
// one closed less than holdDays ago.
func (p *Privacy) holds(ctx context.Context, tx *sqlx.Tx, ids []string, now time.Time) ([]string, []Hold, error) {
	q, args, err := sqlx.In(selectCasesOf, ids)
	if err != nil {
		return nil, nil, err
	}
	var found []struct {
		ID         string         `db:"id"`
		Status     string         `db:"status"`
		ResolvedAt store.NullTime `db:"resolved_at"`
	}
	if err := tx.SelectContext(ctx, &found, tx.Rebind(q), args...); err != nil {
		return nil, nil, fmt.Errorf("read cases to erase: %w", store.MapError(err))
	}
	cases := make([]string, 0, len(found))
	var holds []Hold
	limit := time.Duration(p.holdDays) * 24 * time.Hour
	for _, c := range found {
		cases = append(cases, c.ID)
		switch {
		case c.Status != "resolved" && c.Status != "closed":
			holds = append(holds, Hold{CaseID: c.ID, Why: fmt.Sprintf("case %s is %s", c.ID, c.Status)})
		case c.ResolvedAt.Valid && now.Sub(c.ResolvedAt.Time) < limit:
			holds = append(holds, Hold{CaseID: c.ID, Why: fmt.Sprintf("case %s was closed less than %d days ago", c.ID, p.holdDays)})
		}
	}
	return cases, holds, nil
}

// The statements of an erasure. Each keeps the columns reports read.
const (
	eraseCustomers = `UPDATE customers SET given_name = '', family_name = '', given_name_key = '', family_name_key = '',
 date_of_birth = '', address_line1 = '', address_line2 = '', address_town = '', postcode = '' WHERE id IN (?)`
	eraseIdentifiers = `DELETE FROM customer_identifiers WHERE customer_id IN (?)`
	eraseMerges      = `UPDATE customer_merges SET reason = '` + Erased + `', snapshot = '{}', undo_reason = CASE WHEN undo_reason IS NULL THEN NULL ELSE '` + Erased + `' END
 WHERE survivor_id IN (?) OR duplicate_id IN (?)`
	eraseContacts = `UPDATE contacts SET summary = '', identifiers = '[]' WHERE customer_id IN (?)`
	eraseCases    = `UPDATE cases SET summary = '' WHERE id IN (?)`
	eraseHandoffs = `UPDATE case_handoffs SET note = '' WHERE case_id IN (?)`
	eraseRefs     = `UPDATE referrals SET reason = '` + Erased + `' WHERE case_id IN (?)`
	eraseRatings  = `UPDATE ratings SET comment = '' WHERE customer_id IN (?) OR case_id IN (?)
 OR contact_id IN (SELECT id FROM contacts WHERE customer_id IN (?))`
	eraseSurveys = `UPDATE surveys SET phone = '' WHERE customer_id IN (?)`
)

// anonymise runs the erasure's statements and scrubs the text held in event documents.
func anonymise(ctx context.Context, tx *sqlx.Tx, ids, cases []string) error {
	caseIDs := append([]string{noID}, cases...) // IN () is not SQL
	for _, s := range []struct {
		query string
		args  []any
	}{
		{eraseCustomers, []any{ids}},
		{eraseIdentifiers, []any{ids}},
		{eraseMerges, []any{ids, ids}},
		{eraseContacts, []any{ids}},
		{eraseCases, []any{caseIDs}},
		{eraseHandoffs, []any{caseIDs}},
		{eraseRefs, []any{caseIDs}},
		{eraseRatings, []any{ids, caseIDs, ids}},
		{eraseSurveys, []any{ids}},
	} {
		q, args, err := sqlx.In(s.query, s.args...)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("erase: %w", store.MapError(err))
		}
	}
	return scrubDocuments(ctx, tx, ids, caseIDs)
}

// The documents that repeat free text: timeline events (data), outbox messages and
// webhook deliveries (the whole message, keyed by case or customer).
const (
	selectEvents     = `SELECT id, kind, data FROM timeline_events WHERE customer_id IN (?) OR case_id IN (?)`
	updateEvent      = `UPDATE timeline_events SET data = ? WHERE id = ?`
	selectOutbox     = `SELECT id, payload AS doc FROM outbox WHERE msg_key IN (?) OR msg_key IN (?)`
	updateOutbox     = `UPDATE outbox SET payload = ? WHERE id = ?`
	selectDeliveries = `SELECT id, body AS doc FROM webhook_deliveries WHERE msg_key IN (?) OR msg_key IN (?)`
	updateDelivery   = `UPDATE webhook_deliveries SET body = ? WHERE id = ?`
)

func scrubDocuments(ctx context.Context, tx *sqlx.Tx, ids, caseIDs []string) error {
	var events []struct {
		ID   string `db:"id"`
		Kind string `db:"kind"`
		Data string `db:"data"`
	}
	if err := selectIn(ctx, tx, &events, selectEvents, ids, caseIDs); err != nil {
		return fmt.Errorf("read events to erase: %w", err)
	}
	for _, ev := range events {
		scrubbed, changed, err := ScrubData(ev.Kind, []byte(ev.Data))
		if err != nil || !changed {
			continue // a document we cannot read holds nothing we wrote as text
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(updateEvent), scrubbed, ev.ID); err != nil {
			return fmt.Errorf("erase event: %w", store.MapError(err))
		}
	}
	for _, d := range []struct{ read, write string }{{selectOutbox, updateOutbox}, {selectDeliveries, updateDelivery}} {
		var docs []struct {
			ID  string `db:"id"`
			Doc string `db:"doc"`
		}
		if err := selectIn(ctx, tx, &docs, d.read, ids, caseIDs); err != nil {
			return fmt.Errorf("read messages to erase: %w", err)
		}
		for _, doc := range docs {
			scrubbed, changed, err := scrubMessage([]byte(doc.Doc))
			if err != nil || !changed {
				continue
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(d.write), scrubbed, doc.ID); err != nil {
				return fmt.Errorf("erase message: %w", store.MapError(err))
			}
		}
	}
	return nil
}

func selectIn(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	q, expanded, err := sqlx.In(query, args...)
	if err != nil {
		return err
	}
	return store.MapError(tx.SelectContext(ctx, dest, tx.Rebind(q), expanded...))
}

// freeText names the payload members people write in their own words. A hand-off's
// and a skipped survey's reason are codes the reports count, so they stay.
var freeText = map[string]bool{"text": true, "note": true, "comment": true, "summary": true, "reason": true}

var codedReason = map[string]bool{event.CaseHandedOff.Name: true, event.SurveySkipped.Name: true}

// ScrubData removes the free text from one event's data; changed is false when there
// was none.
func ScrubData(kind string, data []byte) ([]byte, bool, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, false, err
	}
	changed := false
	for k, v := range m {
		if !freeText[k] || (k == "reason" && codedReason[kind]) {
			continue
		}
		if s, ok := v.(string); ok && s != "" && s != Erased {
			m[k] = Erased
			changed = true
		}
	}
	if !changed {
		return data, false, nil
	}
	out, err := json.Marshal(m)
	return out, true, err
}

// scrubMessage scrubs the data of an outbox message or webhook delivery body.
func scrubMessage(doc []byte) ([]byte, bool, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, false, err
	}
	var kind string
	if err := json.Unmarshal(m["type"], &kind); err != nil {
		return nil, false, err
	}
	data, changed, err := ScrubData(kind, m["data"])
	if err != nil || !changed {
		return doc, false, err
	}
	m["data"] = data
	out, err := json.Marshal(m)
	return out, true, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
