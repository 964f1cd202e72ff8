package privacy

import (
	"time"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/timeline"
)

// ResidentExport is what a resident may see of everything held about them: their
// cases with the events a resident is shown, their contacts and their own ratings.
// Its types cannot carry internal notes or staff names, and it has no audit (which
// names staff).
type ResidentExport struct {
	GeneratedAt time.Time
	Cases       []ResidentCase
	Contacts    []ResidentContact
	Ratings     []ResidentRating
}

// ResidentCase is a case (shown through the citizen's case shape) and its events in
// the resident's words.
type ResidentCase struct {
	Case   casework.Case
	Events []ResidentEvent
}

// ResidentEvent is one event as My Account words it.
type ResidentEvent struct {
	Kind       string
	OccurredAt time.Time
	Summary    string
}

// ResidentContact is a contact without its agent, summary or routing.
type ResidentContact struct {
	ID, Channel, CaseID string
	LGSL                int
	StartedAt           time.Time
}

// ResidentRating is a score the resident gave.
type ResidentRating struct {
	ID, Comment, CaseID, ContactID string
	Score                          int
	CreatedAt                      time.Time
}

// ForResident keeps of x what its resident may see; views word the events (each
// package answers for its own kinds, see timeline.ForResident).
func ForResident(x Export, views ...timeline.ResidentView) ResidentExport {
	out := ResidentExport{GeneratedAt: x.GeneratedAt, Cases: []ResidentCase{}, Contacts: []ResidentContact{}, Ratings: []ResidentRating{}}
	for _, c := range x.Cases {
		rc := ResidentCase{Case: c.Case, Events: []ResidentEvent{}}
		for _, ev := range c.Timeline {
			if summary, ok := timeline.ForResident(ev, views...); ok {
				rc.Events = append(rc.Events, ResidentEvent{Kind: ev.Kind, OccurredAt: ev.OccurredAt, Summary: summary})
			}
		}
		out.Cases = append(out.Cases, rc)
	}
	for _, c := range x.Contacts {
		out.Contacts = append(out.Contacts, ResidentContact{ID: c.ID, Channel: string(c.Channel), CaseID: c.CaseID,
			LGSL: c.Service.LGSL, StartedAt: c.StartedAt})
	}
	for _, r := range x.Ratings {
		// A score the resident gave; one an agent recorded for them is the council's note.
		if r.Score == nil || r.Source == satisfaction.AgentRecorded {
			continue
		}
		out.Ratings = append(out.Ratings, ResidentRating{ID: r.ID, Comment: r.Comment, CaseID: r.CaseID, ContactID: r.ContactID,
			Score: *r.Score, CreatedAt: r.CreatedAt})
	}
	return out
}
