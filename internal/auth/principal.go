// Package auth verifies bearer JWTs and says who is calling: a Principal with roles, a
// tier for agents, and the customer or landlord a citizen or landlord token speaks for.
// It also keeps the development signing key that `contacthub token` mints with.
package auth

// Role is what a caller may do.
type Role string

const (
	Citizen     Role = "citizen"
	Landlord    Role = "landlord"
	Agent       Role = "agent"
	Supervisor  Role = "supervisor"
	Admin       Role = "admin"
	Integration Role = "integration"
	// QA is the compliance and control team: it samples and reviews resolved work and
	// reads exception reports; it is not an agent and works no cases.
	QA Role = "qa"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case Citizen, Landlord, Agent, Supervisor, Admin, Integration, QA:
		return true
	}
	return false
}

// Principal is who is calling, from verified claims.
type Principal struct {
	Subject    string
	Roles      []Role
	Tier       int    // 1-3 for agents; 0 when absent
	CustomerID string // citizens
	LandlordID string // landlords
}

// implies lists, for each staff role, the roles it includes: staff roles nest.
var implies = map[Role][]Role{
	Admin:      {Admin, Supervisor, Agent, QA},
	Supervisor: {Supervisor, Agent},
}

// Has reports whether p holds r, directly or through a more senior staff role.
func (p Principal) Has(r Role) bool {
	for _, held := range p.Roles {
		if held == r {
			return true
		}
		for _, inner := range implies[held] {
			if inner == r {
				return true
			}
		}
	}
	return false
}

// HasAny reports whether p holds one of roles.
func (p Principal) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// IsStaff reports whether p is an agent or more senior.
func (p Principal) IsStaff() bool { return p.Has(Agent) }

// precedence orders roles from most to least privileged, for Kind.
var precedence = []Role{Admin, Supervisor, QA, Agent, Integration, Landlord, Citizen}

// Kind names p's most privileged role, for logs and timelines ("" for none). It never
// carries personal data.
func (p Principal) Kind() string {
	for _, r := range precedence {
		for _, held := range p.Roles {
			if held == r {
				return string(r)
			}
		}
	}
	return ""
}
