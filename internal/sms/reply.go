// Package sms talks to the SMS providers that carry satisfaction surveys — GOV.UK
// Notify and Twilio — sending messages, verifying their callbacks, and reading what
// residents reply.
package sms

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// ReplyKind is what a reply to a survey means.
type ReplyKind int

const (
	// Comment: no score could be read; the text is kept as a comment.
	Comment ReplyKind = iota
	// Score: a score on the scale, perhaps with a comment after it.
	Score
	// OptOut: the resident asked for no more messages.
	OptOut
)

// Reply is a parsed survey reply.
type Reply struct {
	Kind    ReplyKind
	Score   int
	Comment string
}

// optOutWords are the keywords carriers and providers treat as opting out.
var optOutWords = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true, "OPTOUT": true}

var numberWords = map[string]int{"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
	"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

// leadingScore reads a score at the start of a reply: "5", "5/5", "4 stars", "4 out of 5",
// "five", then whatever follows.
var leadingScore = regexp.MustCompile(`(?i)^([0-9]{1,3}|zero|one|two|three|four|five|six|seven|eight|nine|ten)\b(?:\s*/\s*[0-9]{1,3}|\s+out\s+of\s+[0-9]{1,3}|\s*stars?)?(.*)$`)

// ParseReply reads a reply against the scale [min, max]. A number outside the scale is
// not a score: the reply is kept as a comment.
func ParseReply(text string, min, max int) Reply {
	text = strings.TrimSpace(text)
	if optOutWords[strings.ToUpper(strings.Trim(text, " .!"))] {
		return Reply{Kind: OptOut}
	}
	m := leadingScore.FindStringSubmatch(text)
	if m == nil {
		return Reply{Kind: Comment, Comment: clean(text)}
	}
	n, ok := numberWords[strings.ToLower(m[1])]
	if !ok {
		var err error
		if n, err = strconv.Atoi(m[1]); err != nil {
			return Reply{Kind: Comment, Comment: clean(text)}
		}
	}
	if n < min || n > max {
		return Reply{Kind: Comment, Comment: clean(text)}
	}
	return Reply{Kind: Score, Score: n, Comment: clean(strings.TrimLeft(m[2], " -–—:,.;!"))}
}

// maxComment bounds what is kept of a reply.
const maxComment = 500

// clean keeps printable text without emoji or control characters, trimmed and bounded.
func clean(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(' ')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsPunct(r) || r == ' ' || unicode.Is(unicode.Sc, r):
			b.WriteRune(r)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(out) > maxComment {
		out = strings.ToValidUTF8(out[:maxComment], "")
	}
	return out
}
