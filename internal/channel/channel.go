// Package channel is the one home of what the hub knows about each way a resident gets in
// touch: whether it counts as digital in the council's channel-shift figures, how its
// work is handled (self-served, answered live by an advisor, or taken from a queue of
// written work), whether its contacts are surveyed by SMS, whether it needs a centre or
// may act on someone's behalf, and how staff and residents name it. Intake, routing,
// satisfaction, My Account, reports and staffing all read this table, so a new channel
// is one new row here (and one value in the contract's Channel enum, which a test holds
// to this table).
package channel

import "slices"

// Channel is how a contact reached the council, as the contract names it.
type Channel string

const (
	WebSelfService Channel = "web_self_service"
	WebForm        Channel = "web_form"
	Phone          Channel = "phone"
	IVR            Channel = "ivr"
	FaceToFace     Channel = "face_to_face"
	LandlordPortal Channel = "landlord_portal"
	SMS            Channel = "sms"
	Email          Channel = "email"
	Letter         Channel = "letter"
)

// Handling is how the council's staff meet a channel's demand, which decides how it is
// staffed: live work needs an advisor free when the resident arrives (Erlang), written
// work waits in a queue and is staffed by workload within its service level, and
// self-service needs nobody.
type Handling string

const (
	SelfService Handling = "self_service"
	Live        Handling = "live"
	Written     Handling = "written"
)

// Properties are the facts about one channel.
type Properties struct {
	Channel Channel
	// Label is the channel's name in reports and charts, for staff and managers.
	Label string
	// ResidentWords completes "You contacted us …" on a resident's own timeline.
	ResidentWords string
	// Digital counts the channel in the digital share of channel-shift reports.
	Digital  bool
	Handling Handling
	// SMSSurveyed says whether a contact on the channel is followed by an SMS survey
	// (the conversations a resident had with a person, where a text afterwards is asked
	// for by the council's satisfaction policy).
	SMSSurveyed bool
	// NeedsCentre says a contact must name the centre it happened at (and others must not).
	NeedsCentre bool
	// OnBehalf says a contact may be made on behalf of a tenant or property.
	OnBehalf bool
}

var table = []Properties{
	{Channel: WebSelfService, Label: "Web self-service", ResidentWords: "online", Digital: true, Handling: SelfService},
	{Channel: WebForm, Label: "Web form", ResidentWords: "online", Digital: true, Handling: Written},
	{Channel: Phone, Label: "Phone", ResidentWords: "by phone", Handling: Live, SMSSurveyed: true},
	{Channel: IVR, Label: "Phone (IVR)", ResidentWords: "by phone", Handling: Live, SMSSurveyed: true},
	{Channel: FaceToFace, Label: "Face to face", ResidentWords: "in person", Handling: Live, SMSSurveyed: true, NeedsCentre: true},
	{Channel: LandlordPortal, Label: "Landlord portal", ResidentWords: "through your landlord", Digital: true, Handling: Written, OnBehalf: true},
	{Channel: SMS, Label: "SMS", ResidentWords: "by text", Digital: true, Handling: Written},
	{Channel: Email, Label: "Email", ResidentWords: "by email", Digital: true, Handling: Written},
	{Channel: Letter, Label: "Letter", ResidentWords: "by letter", Handling: Written},
}

var byName = func() map[Channel]Properties {
	m := make(map[Channel]Properties, len(table))
	for _, p := range table {
		m[p.Channel] = p
	}
	return m
}()

// All lists every channel's properties, in the contract's order.
func All() []Properties { return slices.Clone(table) }

// Names lists every channel, in the contract's order.
func Names() []Channel {
	names := make([]Channel, len(table))
	for i, p := range table {
		names[i] = p.Channel
	}
	return names
}

// Known reports whether c is a channel.
func (c Channel) Known() bool { _, ok := byName[c]; return ok }

// Props answers c's properties; an unknown channel has none (zero values: not digital,
// not surveyed, no handling), which is the safe reading of each fact.
func (c Channel) Props() Properties { return byName[c] }

// ResidentWords says how a resident would say they got in touch on c.
func (c Channel) ResidentWords() string {
	if p, ok := byName[c]; ok {
		return p.ResidentWords
	}
	return "with us"
}

// Where lists the channels whose properties satisfy keep, in the contract's order.
func Where(keep func(Properties) bool) []Channel {
	var out []Channel
	for _, p := range table {
		if keep(p) {
			out = append(out, p.Channel)
		}
	}
	return out
}
