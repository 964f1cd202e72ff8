package satisfaction

import "github.com/council/contacthub/internal/fault"

// Rater is who sends a rating to the hub's general ratings route, as far as the rules
// of each source care.
type Rater struct {
	SignedIn bool // a verified token; false for the anonymous score at the bottom of a page
	Staff    bool // an agent or more senior
	System   bool // an integration: a kiosk, the IVR
}

// attaches reports whether the rater may tie a rating to a contact or case, and so see
// what it attached to. Only staff and systems: a rating on a contact reaches that
// customer's timeline and the agent's score, so nobody else may choose the contact
// (residents rate their own contacts through My Account, which checks they are theirs).
func (r Rater) attaches() bool { return r.Staff || r.System }

// SeesAttachment reports whether the rater is told the case, agent, channel, tier and
// service a rating attached to; anyone else gets only a receipt of what they sent.
func (r Rater) SeesAttachment() bool { return r.attaches() }

// Permit says whether the rater may send the rating: which source needs what kind of
// caller, and who may name a contact or case.
func Permit(r Rater, in Rating) error {
	switch {
	case !r.SignedIn && in.Source != WebPage:
		return fault.New(fault.Unauthenticated, "only web page ratings may be anonymous")
	case in.Source == AgentRecorded && !r.Staff:
		return fault.New(fault.Forbidden, "agents record agent_recorded ratings")
	case (in.Source == Kiosk || in.Source == IVR) && !r.System && !r.Staff:
		return fault.New(fault.Forbidden, "kiosk and keypad ratings come from integrations")
	case in.Source == MyAccount:
		return fault.New(fault.Forbidden, "My Account ratings come through /v1/me/ratings")
	}
	if r.attaches() {
		return nil
	}
	var named fault.Fields
	if in.ContactID != "" {
		named.Add("contactId", "only staff and integrations attach a rating to a contact; rate your own through /v1/me/ratings")
	}
	if in.CaseID != "" {
		named.Add("caseId", "only staff and integrations attach a rating to a case; rate your own through /v1/me/ratings")
	}
	if len(named) == 0 {
		return nil
	}
	return &fault.Error{Kind: fault.Forbidden, Detail: "a page rating cannot name a contact or case", Fields: named}
}
