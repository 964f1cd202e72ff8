package identifier

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func gb(t testing.TB) *Rules {
	t.Helper()
	r, err := NewRules("GB", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNormalise_PhoneEveryUKFormIsOneNumber(t *testing.T) {
	r := gb(t)
	for _, in := range []string{"07700 900123", "07700900123", "+44 7700 900123", "447700900123", "0044 7700 900123",
		"+44 (0)7700 900123"[:0] + "+447700-900-123", " 07700.900.123 "} {
		got, err := r.Normalise(Phone, in)
		if err != nil || got != "+447700900123" {
			t.Errorf("Normalise(phone, %q) = %q, %v; want +447700900123", in, got, err)
		}
	}
	landline, err := r.Normalise(Phone, "(020) 7946 0018")
	if err != nil || landline != "+442079460018" {
		t.Errorf("London landline = %q, %v", landline, err)
	}
	foreign, err := r.Normalise(Phone, "+33 1 42 68 53 00")
	if err != nil || foreign != "+33142685300" {
		t.Errorf("French number = %q, %v", foreign, err)
	}
}

func TestNormalise_RejectsWhatIsNotAnIdentifier(t *testing.T) {
	r := gb(t)
	for _, tc := range []struct {
		kind Kind
		in   string
	}{
		{Phone, ""}, {Phone, "not a phone"}, {Phone, "0770"}, {Phone, "07700 900123 ext 4"}, {Phone, strings.Repeat("1", 40)},
		{Email, ""}, {Email, "bob"}, {Email, "Bob <bob@example.org>"}, {Email, "bob@localhost"}, {Email, "bo b@example.org"},
		{UPRN, ""}, {UPRN, "0"}, {UPRN, "000000000000"}, {UPRN, "1234567890123"}, {UPRN, "12a4"}, {UPRN, "-5"},
		{CouncilTaxAccount, "12-AB"}, {CouncilTaxAccount, "123"}, {ParkingReference, "ABCD123456"},
		{Kind("shoe_size"), "9"},
	} {
		_, err := r.Normalise(tc.kind, tc.in)
		var inv *InvalidError
		if !errors.As(err, &inv) || inv.Reason == "" {
			t.Errorf("Normalise(%s, %q) = %v, want an InvalidError", tc.kind, tc.in, err)
		} else if tc.in != "" && len(tc.in) > 3 && strings.Contains(inv.Error(), tc.in) {
			t.Errorf("error %q repeats the value", inv.Error())
		}
	}
}

func TestNormalise_CanonicalForms(t *testing.T) {
	r := gb(t)
	for _, tc := range []struct {
		kind     Kind
		in, want string
	}{
		{Email, "  Amara.Okafor@Example.ORG ", "amara.okafor@example.org"},
		{UPRN, "000000199356", "199356"},
		{UPRN, " 100023336956 ", "100023336956"},
		{CouncilTaxAccount, "5123 45678", "512345678"},
		{ParkingReference, "cq 12345678", "CQ12345678"},
		{BenefitClaim, "hb123456", "HB123456"},
		{MyAccountSubject, " auth0|AbC123 ", "auth0|AbC123"},
		{LandlordReference, "ll-0042", "LL-0042"},
	} {
		got, err := r.Normalise(tc.kind, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Normalise(%s, %q) = %q, %v; want %q", tc.kind, tc.in, got, err, tc.want)
		}
	}
}

func TestNewRules_OverridesTightenAReference(t *testing.T) {
	patterns, err := ParsePatterns(`{"council_tax_account":"5[0-9]{8}"}`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRules("gb", patterns)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Normalise(CouncilTaxAccount, "12345678"); err == nil {
		t.Error("12345678 accepted by a council whose accounts are 9 digits starting 5")
	}
	if got, err := r.Normalise(CouncilTaxAccount, "512345678"); err != nil || got != "512345678" {
		t.Errorf("512345678 = %q, %v", got, err)
	}
	if r.Region() != "GB" {
		t.Errorf("region = %q", r.Region())
	}
}

func TestParsePatterns_NamesWhatIsWrong(t *testing.T) {
	for in, want := range map[string]string{
		`{"phone":"[0-9]+"}`:             "phone",
		`{"council_tax_account":"[0-9"}`: "council_tax_account",
		`{"nope":"x"}`:                   "nope",
		`[1,2]`:                          "JSON object",
	} {
		if _, err := ParsePatterns(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePatterns(%s) = %v, want an error naming %s", in, err, want)
		}
	}
	if _, err := NewRules("ZZ", nil); err == nil {
		t.Error("region ZZ accepted")
	}
}

func TestNormalisePostcode(t *testing.T) {
	for in, want := range map[string]string{"sw1a1aa": "SW1A 1AA", " N15 4QR ": "N15 4QR", "n8  7pb": "N8 7PB", "M1 1AE": "M1 1AE"} {
		if got, err := NormalisePostcode(in); err != nil || got != want {
			t.Errorf("NormalisePostcode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "NOT A POSTCODE", "12345", "N15 4Q", "SW1A 1AAA"} {
		if _, err := NormalisePostcode(in); err == nil {
			t.Errorf("NormalisePostcode(%q) accepted", in)
		}
	}
}

func TestIsUKMobile(t *testing.T) {
	for in, want := range map[string]bool{"+447700900123": true, "+442079460018": false, "+33612345678": false, "garbage": false} {
		if got := IsUKMobile(in); got != want {
			t.Errorf("IsUKMobile(%q) = %v", in, got)
		}
	}
}

func fuzzIdempotent(f *testing.F, kind Kind, seeds []string, check func(t *testing.T, out string)) {
	for _, s := range seeds {
		f.Add(s)
	}
	r := gb(f)
	f.Fuzz(func(t *testing.T, in string) {
		out, err := r.Normalise(kind, in)
		if err != nil {
			return
		}
		again, err := r.Normalise(kind, out)
		if err != nil || again != out {
			t.Fatalf("normalising %q twice: %q then %q, %v", in, out, again, err)
		}
		check(t, out)
	})
}

func FuzzNormalisePhone(f *testing.F) {
	fuzzIdempotent(f, Phone, []string{"07700 900123", "+447700900123", "447700900123", "(020) 7946 0018", "+1 202 555 0100", "++44", "0"},
		func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "+") || strings.Trim(out[1:], "0123456789") != "" {
				t.Fatalf("%q is not E.164", out)
			}
		})
}

func FuzzNormaliseUPRN(f *testing.F) {
	fuzzIdempotent(f, UPRN, []string{"000000199356", "1", "999999999999", "0", "１２３"},
		func(t *testing.T, out string) {
			if len(out) > 12 || out[0] == '0' || strings.Trim(out, "0123456789") != "" {
				t.Fatalf("%q is not a canonical UPRN", out)
			}
		})
}

func FuzzNormaliseReference(f *testing.F) {
	fuzzIdempotent(f, CouncilTaxAccount, []string{"5123 45678", "ab12cd", "ǅ12345", "ß12345"},
		func(t *testing.T, out string) {
			if out != strings.ToUpper(out) || strings.ContainsAny(out, " \t") {
				t.Fatalf("%q is not canonical", out)
			}
		})
}

func FuzzNormalisePostcode(f *testing.F) {
	for _, s := range []string{"sw1a1aa", "N15 4QR", "", "ǅ1 1AA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormalisePostcode(in)
		if err != nil {
			return
		}
		if again, err := NormalisePostcode(out); err != nil || again != out {
			t.Fatalf("normalising %q twice: %q then %q", in, out, again)
		}
	})
}

func TestNormalise_PhoneMemoAgreesAndStaysBounded(t *testing.T) {
	r := gb(t)
	for range 2 { // the second pass is answered from the memo
		if got, err := r.Normalise(Phone, "07700 900123"); err != nil || got != "+447700900123" {
			t.Fatalf("Normalise = %q, %v", got, err)
		}
		if _, err := r.Normalise(Phone, "0770"); err == nil {
			t.Fatal("a short number was accepted (an invalid number must not be remembered as valid)")
		}
	}
	for i := range phoneMemoSize + 10 {
		if _, err := r.Normalise(Phone, fmt.Sprintf("07700 9%05d", i%100000)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.phones.seen); n > phoneMemoSize {
		t.Fatalf("the memo holds %d numbers, more than %d", n, phoneMemoSize)
	}
}

func BenchmarkNormalisePhone(b *testing.B) {
	r := gb(b)
	b.Run("parsed", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := r.parsePhone("07700 900123"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain UK number", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := r.Normalise(Phone, "+447700900123"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Normalise(Phone, "07700 900123"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPlainUKNumber_AgreesWithTheNumberingPlan holds the shortcut to libphonenumber's
// answer for every shape it takes: each leading four digits of the national number, in
// both written forms, with tails of all zeros, all nines and a spread of others (the
// library's GB answer for these depends on the length, which this would catch changing).
func TestPlainUKNumber_AgreesWithTheNumberingPlan(t *testing.T) {
	r := gb(t)
	tails := []string{"000000", "999999", "123456", "900123"}
	if testing.Short() {
		tails = tails[:2]
	}
	for lead := 1000; lead <= 9999; lead++ {
		for _, tail := range tails {
			nsn := strconv.Itoa(lead) + tail
			for _, in := range []string{"+44" + nsn, "0" + nsn, " 0" + nsn + "\t"} {
				fast, ok := r.plainUKNumber(in)
				if !ok {
					t.Fatalf("the shortcut did not take %q", in)
				}
				if slow, err := r.parsePhone(in); err != nil || slow != fast {
					t.Fatalf("%q: shortcut %q, libphonenumber %q (%v)", in, fast, slow, err)
				}
			}
		}
	}
}

func TestPlainUKNumber_LeavesOtherShapesToTheNumberingPlan(t *testing.T) {
	gbRules := gb(t)
	for _, in := range []string{"07700 900123", "+4407700900123", "00447700900123", "447700900123", "+44770090012",
		"077009001234", "0770090012", "+447700９00123", "+337700900123", "+44+700900123", "07700-900123", ""} {
		if got, ok := gbRules.plainUKNumber(in); ok {
			t.Errorf("the shortcut took %q (as %q): it is the numbering plan's to judge", in, got)
		}
	}
	ie, err := NewRules("IE", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ie.plainUKNumber("01234567890"); ok {
		t.Errorf("a hub in Ireland took 01234567890 as the UK number %q", got)
	}
}

func FuzzPlainUKNumber(f *testing.F) {
	for _, s := range []string{"+447700900123", "07700900123", " 01632960001 ", "+4400000000000", "0 7700900123", "+447700900１23"} {
		f.Add(s)
	}
	r := gb(f)
	f.Fuzz(func(t *testing.T, in string) {
		fast, ok := r.plainUKNumber(in)
		if !ok {
			return
		}
		if slow, err := r.parsePhone(in); err != nil || slow != fast {
			t.Fatalf("%q: shortcut %q, libphonenumber %q (%v)", in, fast, slow, err)
		}
	})
}
