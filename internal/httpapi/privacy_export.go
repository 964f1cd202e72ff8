package httpapi

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/privacy"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/timeline"
)

// toSubjectAccessExport is the export as the spec's SubjectAccessExport.
func toSubjectAccessExport(x privacy.Export) api.SubjectAccessExport {
	out := api.SubjectAccessExport{CustomerId: uuid.MustParse(x.CustomerID), GeneratedAt: x.GeneratedAt,
		Records: toCustomers(x.Records), Timeline: toEvents(x.Timeline), Contacts: make([]api.Contact, 0, len(x.Contacts)),
		Cases: make([]api.ExportCase, 0, len(x.Cases)), Ratings: make([]api.Rating, 0, len(x.Ratings)), SmsReplies: []api.Rating{},
		Surveys: make([]api.ExportSurvey, 0, len(x.Surveys)), Tenancies: make([]api.Tenancy, 0, len(x.Tenancies)),
		Audit: make([]api.AuditEntry, 0, len(x.Audit))}
	for _, c := range x.Contacts {
		out.Contacts = append(out.Contacts, toContact(c))
	}
	for _, c := range x.Cases {
		ec := api.ExportCase{Case: toCase(c.Case), Notes: toNotes(c.Timeline), Timeline: toEvents(c.Timeline),
			Referrals: make([]api.Referral, 0, len(c.Referrals))}
		for _, r := range c.Referrals {
			ec.Referrals = append(ec.Referrals, toReferral(r))
		}
		out.Cases = append(out.Cases, ec)
	}
	for _, r := range x.Ratings {
		out.Ratings = append(out.Ratings, toRating(r))
		if r.Source == satisfaction.SMS {
			out.SmsReplies = append(out.SmsReplies, toRating(r))
		}
	}
	for _, s := range x.Surveys {
		out.Surveys = append(out.Surveys, api.ExportSurvey{Id: uuid.MustParse(s.ID), ContactId: uuid.MustParse(s.ContactID),
			Phone: s.Phone, Status: s.Status, Service: s.LGSL, SentAt: s.SentAt, AnsweredAt: s.AnsweredAt, CreatedAt: s.CreatedAt})
	}
	for _, t := range x.Tenancies {
		out.Tenancies = append(out.Tenancies, toTenancy(t))
	}
	for _, e := range x.Audit {
		out.Audit = append(out.Audit, toAuditEntry(e))
	}
	return out
}

func toEvents(evs []timeline.Event) []api.TimelineEvent {
	out := make([]api.TimelineEvent, 0, len(evs))
	for _, ev := range evs {
		out = append(out, toEvent(ev))
	}
	return out
}

// toNotes picks a case's notes from its timeline, each marked internal or resident.
func toNotes(evs []timeline.Event) []api.ExportNote {
	out := []api.ExportNote{}
	for _, ev := range evs {
		if ev.Kind != event.CaseNote.Name {
			continue
		}
		f := ev.Fields()
		text, _ := f["text"].(string)
		visibility := api.ExportNoteVisibility("resident")
		if internal, _ := f["internal"].(bool); internal {
			visibility = api.ExportNoteVisibility("internal")
		}
		out = append(out, api.ExportNote{Id: uuid.MustParse(ev.ID), At: ev.OccurredAt, Text: text, Visibility: visibility,
			Author: api.Actor{Subject: ev.Actor.Subject, Role: ev.Actor.Role}})
	}
	return out
}

// acceptsZip reports whether the caller asked for the zip form.
func acceptsZip(accept string) bool {
	return strings.Contains(strings.ToLower(accept), "application/zip")
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// exportZip is the export as a zip: export.json (the JSON document, whole) and one CSV
// per kind of record, for a reader without a JSON viewer.
func exportZip(doc api.SubjectAccessExport) ([]byte, error) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode export: %w", err)
	}
	if err := addFile(z, "export.json", js); err != nil {
		return nil, err
	}
	for _, t := range exportTables(doc) {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.WriteAll(append([][]string{t.header}, t.rows...)); err != nil {
			return nil, fmt.Errorf("write %s: %w", t.name, err)
		}
		if err := addFile(z, t.name, b.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("close export zip: %w", err)
	}
	return buf.Bytes(), nil
}

func addFile(z *zip.Writer, name string, body []byte) error {
	w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

type csvTable struct {
	name   string
	header []string
	rows   [][]string
}

// exportTables flattens the export into CSV tables (one row per record, nested data as
// JSON in a cell).
func exportTables(d api.SubjectAccessExport) []csvTable {
	records := csvTable{name: "records.csv", header: []string{"id", "givenName", "familyName", "dateOfBirth", "address", "mergedInto", "createdAt"}}
	idents := csvTable{name: "identifiers.csv", header: []string{"customerId", "kind", "value", "addedAt"}}
	for _, c := range d.Records {
		records.rows = append(records.rows, []string{c.Id.String(), deref(c.GivenName), deref(c.FamilyName), dateCell(c.DateOfBirth),
			jsonCell(c.Address), uuidCell(c.MergedInto), timeCell(c.CreatedAt)})
		for _, i := range c.Identifiers {
			idents.rows = append(idents.rows, []string{c.Id.String(), string(i.Kind), i.Value, timeCell(i.AddedAt)})
		}
	}
	contacts := csvTable{name: "contacts.csv", header: []string{"id", "caseId", "channel", "startedAt", "service", "outcome", "summary", "agent"}}
	for _, c := range d.Contacts {
		contacts.rows = append(contacts.rows, []string{c.Id.String(), uuidCell(c.CaseId), string(c.Channel), timeCell(c.StartedAt),
			strconv.Itoa(c.Service.Lgsl), string(c.Outcome), deref(c.Summary), deref(c.Agent)})
	}
	cases := csvTable{name: "cases.csv", header: []string{"id", "status", "tier", "queue", "service", "summary", "createdAt", "resolutionCode"}}
	notes := csvTable{name: "notes.csv", header: []string{"caseId", "id", "at", "visibility", "author", "text"}}
	referrals := csvTable{name: "referrals.csv", header: []string{"caseId", "id", "partner", "status", "reason", "createdAt"}}
	events := csvTable{name: "timeline.csv", header: []string{"id", "customerId", "caseId", "kind", "occurredAt", "actor", "data"}}
	addEvents := func(evs []api.TimelineEvent) {
		for _, e := range evs {
			events.rows = append(events.rows, []string{e.Id.String(), uuidCell(e.CustomerId), uuidCell(e.CaseId), e.Kind,
				timeCell(e.OccurredAt), e.Actor.Subject, jsonCell(e.Data)})
		}
	}
	addEvents(d.Timeline)
	for _, c := range d.Cases {
		cases.rows = append(cases.rows, []string{c.Case.Id.String(), string(c.Case.Status), strconv.Itoa(c.Case.Tier), c.Case.Queue,
			strconv.Itoa(c.Case.Service.Lgsl), deref(c.Case.Summary), timeCell(c.Case.CreatedAt), deref(c.Case.ResolutionCode)})
		for _, n := range c.Notes {
			notes.rows = append(notes.rows, []string{c.Case.Id.String(), n.Id.String(), timeCell(n.At), string(n.Visibility), n.Author.Subject, n.Text})
		}
		for _, r := range c.Referrals {
			referrals.rows = append(referrals.rows, []string{c.Case.Id.String(), r.Id.String(), r.Partner, string(r.Status), r.Reason, timeCell(r.CreatedAt)})
		}
		addEvents(c.Timeline)
	}
	ratings := csvTable{name: "ratings.csv", header: []string{"id", "source", "score", "comment", "channel", "contactId", "caseId", "createdAt"}}
	for _, r := range d.Ratings {
		score := ""
		if r.Score != nil {
			score = strconv.Itoa(*r.Score)
		}
		ratings.rows = append(ratings.rows, []string{r.Id.String(), string(r.Source), score, deref(r.Comment), deref(r.Channel),
			uuidCell(r.ContactId), uuidCell(r.CaseId), timeCell(r.CreatedAt)})
	}
	surveys := csvTable{name: "surveys.csv", header: []string{"id", "contactId", "phone", "status", "service", "sentAt", "answeredAt"}}
	for _, s := range d.Surveys {
		surveys.rows = append(surveys.rows, []string{s.Id.String(), s.ContactId.String(), s.Phone, s.Status, strconv.Itoa(s.Service),
			timePtrCell(s.SentAt), timePtrCell(s.AnsweredAt)})
	}
	tenancies := csvTable{name: "tenancies.csv", header: []string{"id", "propertyId", "customerId", "startsOn", "endsOn"}}
	for _, t := range d.Tenancies {
		tenancies.rows = append(tenancies.rows, []string{t.Id.String(), t.PropertyId.String(), t.CustomerId.String(),
			dateCell(&t.StartsOn), dateCell(t.EndsOn)})
	}
	auditT := csvTable{name: "audit.csv", header: []string{"id", "at", "subject", "roles", "action", "operation", "resource", "purpose", "requestId"}}
	for _, e := range d.Audit {
		auditT.rows = append(auditT.rows, []string{e.Id.String(), timeCell(e.At), e.Subject, strings.Join(e.Roles, " "), string(e.Action),
			e.Operation, e.Resource, deref(e.Purpose), deref(e.RequestId)})
	}
	return []csvTable{records, idents, contacts, cases, notes, referrals, events, ratings, surveys, tenancies, auditT}
}

func timeCell(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func timePtrCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return timeCell(*t)
}

func uuidCell(u *uuid.UUID) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func dateCell(d *openapi_types.Date) string {
	if d == nil {
		return ""
	}
	return d.Time.Format(time.DateOnly)
}

func jsonCell(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return ""
	}
	return string(b)
}
