package casework

import "github.com/council/contacthub/internal/fault"

// Caller is who asks to change a case, as the tier rules see them.
type Caller struct {
	Actor
	Tier       int  // the token's tier, 1–3; 0 (absent) counts as tier 1
	Supervisor bool // supervisors and admins may work any case
	// System marks an integration acting for a system rather than a person: the
	// telephony platform handing off the case of a call it transfers. Systems have no
	// tier; the routing that sent the call is their authority, and their changes are on
	// the timeline under their own subject.
	System bool
}

// Claimant is the agent claiming work from a queue.
type Claimant = Caller

// tier is the caller's tier, with an absent tier read as the first.
func (c Caller) tier() int { return max(c.Tier, 1) }

// MayChange says whether the caller may change the case (resolve, reopen, note,
// hand off, release or update it). An agent works cases at or below their tier, or one
// they hold the claim on (a supervisor may give a higher-tier case to an agent);
// supervisors and systems work any. Claiming from a queue is checked the same way, by
// the queue's tier, so the tiers hold whether a case is reached by queue or by id.
func MayChange(who Caller, c Case) error {
	switch {
	case who.Supervisor, who.System:
		return nil
	case c.Assignee != "" && c.Assignee == who.Subject:
		return nil
	case who.tier() >= c.Tier:
		return nil
	}
	return fault.New(fault.Forbidden, "case %s is at tier %d and your token is tier %d; "+
		"a case above your tier is changed by its assignee, an officer of its tier or a supervisor", c.ID, c.Tier, who.tier())
}
