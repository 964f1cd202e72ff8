package casework

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
)

// ReasonQAFailed is why a case reopened by a failed quality review went back to work.
const ReasonQAFailed = "qa_failed"

// HandBackTx reopens a resolved case, read and locked in tx (LoadTx), and gives it back
// to officer, the one who resolved it, for reason: a failed quality review. It records
// the reopening and the assignment, each as its own event, with the review's own write.
// Like HandOffTx it checks no tier: the compliance team is not an agent, and the case
// goes to the officer who worked it before.
func (s *Cases) HandBackTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, officer, reason string, now time.Time) (Case, error) {
	if c.Status != Resolved {
		return Case{}, fault.New(fault.Conflict, "only a resolved case can be reopened; this one is %s", c.Status)
	}
	from := c.Assignee
	c.Status, c.ResolutionCode, c.ResolvedAt, c.ResolvedAtFirstContact = Open, "", time.Time{}, false
	c.Assignee, c.ClaimedAt = officer, now
	c, err := save(ctx, tx, c, now)
	if err != nil {
		return Case{}, err
	}
	if err := record(ctx, tx, actor, c, now, event.CaseReopenedData{Reason: reason}); err != nil {
		return Case{}, err
	}
	if from != officer {
		if err := record(ctx, tx, actor, c, now, event.CaseAssignedData{From: from, To: officer}); err != nil {
			return Case{}, err
		}
	}
	return c, nil
}
