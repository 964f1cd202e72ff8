package workcal

// The bank holidays of the United Kingdom's three divisions as GOV.UK publishes them
// (the divisions of its bank-holidays data: england-and-wales, scotland,
// northern-ireland), 2025 to 2028. A holiday that falls on a weekend is replaced by a
// "substitute day", the next weekday that is not already a holiday; the table holds the
// days offices are shut, so it lists the substitute, not the weekend date. Years after
// 2028 are not known here: add them to this table when GOV.UK publishes them, or list
// them in the closures file (CONTACTHUB_CLOSURES) until a release does.
var published = map[Region][]Day{
	EnglandAndWales: {
		{"2025-01-01", "New Year's Day"},
		{"2025-04-18", "Good Friday"},
		{"2025-04-21", "Easter Monday"},
		{"2025-05-05", "Early May bank holiday"},
		{"2025-05-26", "Spring bank holiday"},
		{"2025-08-25", "Summer bank holiday"},
		{"2025-12-25", "Christmas Day"},
		{"2025-12-26", "Boxing Day"},

		{"2026-01-01", "New Year's Day"},
		{"2026-04-03", "Good Friday"},
		{"2026-04-06", "Easter Monday"},
		{"2026-05-04", "Early May bank holiday"},
		{"2026-05-25", "Spring bank holiday"},
		{"2026-08-31", "Summer bank holiday"},
		{"2026-12-25", "Christmas Day"},
		{"2026-12-28", "Boxing Day (substitute day)"},

		{"2027-01-01", "New Year's Day"},
		{"2027-03-26", "Good Friday"},
		{"2027-03-29", "Easter Monday"},
		{"2027-05-03", "Early May bank holiday"},
		{"2027-05-31", "Spring bank holiday"},
		{"2027-08-30", "Summer bank holiday"},
		{"2027-12-27", "Christmas Day (substitute day)"},
		{"2027-12-28", "Boxing Day (substitute day)"},

		{"2028-01-03", "New Year's Day (substitute day)"},
		{"2028-04-14", "Good Friday"},
		{"2028-04-17", "Easter Monday"},
		{"2028-05-01", "Early May bank holiday"},
		{"2028-05-29", "Spring bank holiday"},
		{"2028-08-28", "Summer bank holiday"},
		{"2028-12-25", "Christmas Day"},
		{"2028-12-26", "Boxing Day"},
	},
	// Scotland: 2 January, no Easter Monday, the summer holiday on the first Monday of
	// August, and St Andrew's Day (30 November).
	Scotland: {
		{"2025-01-01", "New Year's Day"},
		{"2025-01-02", "2nd January"},
		{"2025-04-18", "Good Friday"},
		{"2025-05-05", "Early May bank holiday"},
		{"2025-05-26", "Spring bank holiday"},
		{"2025-08-04", "Summer bank holiday"},
		{"2025-12-01", "St Andrew's Day (substitute day)"},
		{"2025-12-25", "Christmas Day"},
		{"2025-12-26", "Boxing Day"},

		{"2026-01-01", "New Year's Day"},
		{"2026-01-02", "2nd January"},
		{"2026-04-03", "Good Friday"},
		{"2026-05-04", "Early May bank holiday"},
		{"2026-05-25", "Spring bank holiday"},
		{"2026-08-03", "Summer bank holiday"},
		{"2026-11-30", "St Andrew's Day"},
		{"2026-12-25", "Christmas Day"},
		{"2026-12-28", "Boxing Day (substitute day)"},

		{"2027-01-01", "New Year's Day"},
		{"2027-01-04", "2nd January (substitute day)"},
		{"2027-03-26", "Good Friday"},
		{"2027-05-03", "Early May bank holiday"},
		{"2027-05-31", "Spring bank holiday"},
		{"2027-08-02", "Summer bank holiday"},
		{"2027-11-30", "St Andrew's Day"},
		{"2027-12-27", "Christmas Day (substitute day)"},
		{"2027-12-28", "Boxing Day (substitute day)"},

		{"2028-01-03", "New Year's Day (substitute day)"},
		{"2028-01-04", "2nd January (substitute day)"},
		{"2028-04-14", "Good Friday"},
		{"2028-05-01", "Early May bank holiday"},
		{"2028-05-29", "Spring bank holiday"},
		{"2028-08-07", "Summer bank holiday"},
		{"2028-11-30", "St Andrew's Day"},
		{"2028-12-25", "Christmas Day"},
		{"2028-12-26", "Boxing Day"},
	},
	// Northern Ireland: England and Wales's days plus St Patrick's Day (17 March) and the
	// Battle of the Boyne (12 July).
	NorthernIreland: {
		{"2025-01-01", "New Year's Day"},
		{"2025-03-17", "St Patrick's Day"},
		{"2025-04-18", "Good Friday"},
		{"2025-04-21", "Easter Monday"},
		{"2025-05-05", "Early May bank holiday"},
		{"2025-05-26", "Spring bank holiday"},
		{"2025-07-14", "Battle of the Boyne (Orangemen's Day) (substitute day)"},
		{"2025-08-25", "Summer bank holiday"},
		{"2025-12-25", "Christmas Day"},
		{"2025-12-26", "Boxing Day"},

		{"2026-01-01", "New Year's Day"},
		{"2026-03-17", "St Patrick's Day"},
		{"2026-04-03", "Good Friday"},
		{"2026-04-06", "Easter Monday"},
		{"2026-05-04", "Early May bank holiday"},
		{"2026-05-25", "Spring bank holiday"},
		{"2026-07-13", "Battle of the Boyne (Orangemen's Day) (substitute day)"},
		{"2026-08-31", "Summer bank holiday"},
		{"2026-12-25", "Christmas Day"},
		{"2026-12-28", "Boxing Day (substitute day)"},

		{"2027-01-01", "New Year's Day"},
		{"2027-03-17", "St Patrick's Day"},
		{"2027-03-26", "Good Friday"},
		{"2027-03-29", "Easter Monday"},
		{"2027-05-03", "Early May bank holiday"},
		{"2027-05-31", "Spring bank holiday"},
		{"2027-07-12", "Battle of the Boyne (Orangemen's Day)"},
		{"2027-08-30", "Summer bank holiday"},
		{"2027-12-27", "Christmas Day (substitute day)"},
		{"2027-12-28", "Boxing Day (substitute day)"},

		{"2028-01-03", "New Year's Day (substitute day)"},
		{"2028-03-17", "St Patrick's Day"},
		{"2028-04-14", "Good Friday"},
		{"2028-04-17", "Easter Monday"},
		{"2028-05-01", "Early May bank holiday"},
		{"2028-05-29", "Spring bank holiday"},
		{"2028-07-12", "Battle of the Boyne (Orangemen's Day)"},
		{"2028-08-28", "Summer bank holiday"},
		{"2028-12-25", "Christmas Day"},
		{"2028-12-26", "Boxing Day"},
	},
}

// FirstYear and LastYear bound the years the published table covers.
const (
	FirstYear = 2025
	LastYear  = 2028
)
