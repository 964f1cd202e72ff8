package sms

import (
	"testing"
	"unicode/utf8"
)

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		in      string
		kind    ReplyKind
		score   int
		comment string
	}{
		{"5", Score, 5, ""},
		{" 5 ", Score, 5, ""},
		{"5 - great", Score, 5, "great"},
		{"5 – great, thanks", Score, 5, "great, thanks"},
		{"five", Score, 5, ""},
		{"Five: very helpful 😀", Score, 5, "very helpful"},
		{"5/5", Score, 5, ""},
		{"4 stars", Score, 4, ""},
		{"3 out of 5 could be quicker", Score, 3, "could be quicker"},
		{"1", Score, 1, ""},
		{"STOP", OptOut, 0, ""},
		{" unsubscribe ", OptOut, 0, ""},
		{"Stop.", OptOut, 0, ""},
		{"6", Comment, 0, "6"},
		{"0", Comment, 0, "0"},
		{"10/10", Comment, 0, "10/10"},
		{"great service", Comment, 0, "great service"},
		{"55", Comment, 0, "55"},
		{"5five", Comment, 0, "5five"},
		{"", Comment, 0, ""},
		{"stop sending me these please", Comment, 0, "stop sending me these please"},
	} {
		got := ParseReply(tc.in, 1, 5)
		if got.Kind != tc.kind || got.Score != tc.score || got.Comment != tc.comment {
			t.Errorf("ParseReply(%q) = %+v, want kind %d score %d comment %q", tc.in, got, tc.kind, tc.score, tc.comment)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"5", "5 - great", "five", "STOP", "10/10", "4 stars", "3 out of 5", "😀", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseReply(s, 1, 5)
		if r.Kind == Score && (r.Score < 1 || r.Score > 5) {
			t.Fatalf("score %d outside the scale from %q", r.Score, s)
		}
		if !utf8.ValidString(r.Comment) || len(r.Comment) > maxComment {
			t.Fatalf("bad comment %q", r.Comment)
		}
	})
}
