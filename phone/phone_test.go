package phone

import (
	"errors"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		raw, region string
		want        string
		country     string
		bad         bool
	}{
		{"3001234567", "CO", "+573001234567", "CO", false},
		{"573001234567", "CO", "+573001234567", "CO", false},
		{"+57 300 123 4567", "CO", "+573001234567", "CO", false},
		{"whatsapp:+573001234567", "", "+573001234567", "CO", false},
		{"(11) 98765-4321", "BR", "+5511987654321", "BR", false},
		{"+55 11 98765 4321", "CO", "+5511987654321", "BR", false},
		{"55 1234 5678", "MX", "+525512345678", "MX", false},
		{"+1 (123) 456-7890", "CO", "", "", true}, // no US area code starts with 1
		{"+1 415 523 8886", "", "+14155238886", "US", false},
		{"12345", "CO", "", "", true},
		{"300123456", "CO", "", "", true},
		{"abc", "CO", "", "", true},
		{"", "CO", "", "", true},
		{"3001234567", "", "", "", true}, // national number with no region
	}
	for _, tt := range tests {
		got, err := Normalize(tt.raw, tt.region)
		if tt.bad {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Normalize(%q, %q) = %v, %v; want ErrInvalid", tt.raw, tt.region, got, err)
			}
			continue
		}
		if err != nil || got.E164 != tt.want || got.Country != tt.country {
			t.Errorf("Normalize(%q, %q) = %+v, %v; want %s %s", tt.raw, tt.region, got, err, tt.want, tt.country)
		}
	}
}

func TestMask(t *testing.T) {
	if got := Mask("+573001234567"); got != "*********4567" {
		t.Fatalf("Mask = %q", got)
	}
}

// FuzzNormalize checks the fast path against the reference parser: whenever
// Normalize accepts a number, phonenumbers.Parse must give the same E.164, and
// whenever the reference accepts a valid number, Normalize must too.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"3001234567", "573001234567", "+5511987654321", "011987654321", "0443001234567", "15512345678", "+5491123456789", "911234567", "+34612345678", "whatsapp:+14155238886"} {
		f.Add(s, "CO")
		f.Add(s, "BR")
		f.Add(s, "MX")
		f.Add(s, "AR")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		got, err := Normalize(raw, region)
		ref, refErr := slow(clean(raw), region)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("Normalize(%q, %q) = %+v, %v; reference %+v, %v", raw, region, got, err, ref, refErr)
		}
		if got != ref {
			t.Fatalf("Normalize(%q, %q) = %+v; reference %+v", raw, region, got, ref)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for _, tc := range []struct{ name, raw, region string }{
		{"national-CO", "3001234567", "CO"},
		{"e164-BR", "+5511987654321", "CO"},
		{"formatted-MX", "55 1234 5678", "MX"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Normalize(tc.raw, tc.region); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/reference", func(b *testing.B) {
			for b.Loop() {
				if _, err := phonenumbers.Parse(clean(tc.raw), tc.region); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
