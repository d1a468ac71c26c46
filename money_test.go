package acuerdo_test

import (
	"encoding/json"
	"errors"
	"testing"

	"acuerdo"
)

func TestParseLocalizedMoney(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		bad     bool
	}{
		{"1.234.567", "COP", 123456700, false},
		{"1.234,56", "BRL", 123456, false},
		{"1,234.56", "USD", 123456, false},
		{"$ 250000", "COP", 25000000, false},
		{"R$ 99,90", "BRL", 9990, false},
		{"COP 150000", "COP", 15000000, false},
		{"150.000", "COP", 15000000, false}, // a lone separator before three digits groups thousands
		{"150,5", "COP", 15050, false},
		{"1.5", "USD", 150, false},
		{"-5000", "COP", -500000, false},
		{"12 345,00", "EUR", 1234500, false},
		{"1000", "CLP", 1000, false},
		{"", "COP", 0, true},
		{"cien", "COP", 0, true},
		{"1.2.3,4,5", "COP", 0, true},
		{"10", "pesos", 0, true},
	}
	for _, tt := range tests {
		got, err := acuerdo.ParseLocalizedMoney(tt.in, tt.cur)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseLocalizedMoney(%q) = %v; want error", tt.in, got)
			}
			continue
		}
		if err != nil || got.Amount != tt.want || got.Currency != tt.cur {
			t.Errorf("ParseLocalizedMoney(%q, %s) = %v, %v; want %d", tt.in, tt.cur, got, err, tt.want)
		}
	}
}

func TestParseMoneyAndDecimal(t *testing.T) {
	for _, tt := range []struct {
		in, cur, dec string
		bad          bool
	}{
		{"1250.50", "COP", "1250.50", false},
		{"1250.5", "BRL", "1250.50", false},
		{"0.05", "USD", "0.05", false},
		{"1000", "CLP", "1000", false},
		{"10.5", "CLP", "", true}, // CLP has no minor unit
		{"1.234", "USD", "", true},
		{"1,000", "USD", "", true}, // the strict form takes no separators
		{".", "USD", "", true},
		{"99999999999999999999", "USD", "", true},
	} {
		m, err := acuerdo.ParseMoney(tt.in, tt.cur)
		if tt.bad {
			if err == nil || acuerdo.ErrorCode(err) != acuerdo.EINVALID {
				t.Errorf("ParseMoney(%q, %s) = %v, %v; want EINVALID", tt.in, tt.cur, m, err)
			}
			continue
		}
		if err != nil || m.Decimal() != tt.dec {
			t.Errorf("ParseMoney(%q, %s).Decimal() = %q, %v; want %q", tt.in, tt.cur, m.Decimal(), err, tt.dec)
		}
	}
	if s := (acuerdo.Money{Amount: -1505, Currency: "COP"}).String(); s != "COP -15.05" {
		t.Errorf("String = %q", s)
	}
	if _, err := (acuerdo.Money{Amount: 1, Currency: "COP"}).Add(acuerdo.Money{Amount: 1, Currency: "BRL"}); err == nil {
		t.Error("adding two currencies succeeded")
	}
}

// FuzzParseLocalizedMoney: never panics, and whatever it accepts renders back to
// a decimal that the strict parser reads as the same amount.
func FuzzParseLocalizedMoney(f *testing.F) {
	for _, s := range []string{"1.234.567", "R$ 99,90", "-0,5", "1,234.56", "$", "9223372036854775807"} {
		f.Add(s, "COP")
		f.Add(s, "CLP")
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		m, err := acuerdo.ParseLocalizedMoney(s, cur)
		if err != nil {
			return
		}
		back, err := acuerdo.ParseMoney(m.Decimal(), m.Currency)
		if err != nil || back != m {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, m, m.Decimal(), back, err)
		}
	})
}

func TestDate(t *testing.T) {
	d, err := acuerdo.ParseDate("2026-12-31")
	if err != nil || d.AddDays(1).String() != "2027-01-01" || d.DaysUntil(d.AddDays(30)) != 30 || !d.Before(d.AddDays(1)) {
		t.Fatalf("date arithmetic: %v %v", d, err)
	}
	if _, err := acuerdo.ParseDate("31/12/2026"); err == nil {
		t.Fatal("ParseDate accepted DD/MM/YYYY")
	}
	b, _ := json.Marshal(struct{ D, Z acuerdo.Date }{D: d})
	if string(b) != `{"D":"2026-12-31","Z":null}` {
		t.Fatalf("json %s", b)
	}
	var back struct{ D, Z acuerdo.Date }
	if err := json.Unmarshal(b, &back); err != nil || back.D != d || !back.Z.IsZero() {
		t.Fatalf("unmarshal %+v %v", back, err)
	}
}

func TestErrorCodes(t *testing.T) {
	err := acuerdo.Errorf(acuerdo.ENOTFOUND, "no debtor %d", 7)
	wrapped := errors.Join(errors.New("context"), err)
	if acuerdo.ErrorCode(wrapped) != acuerdo.ENOTFOUND || acuerdo.ErrorMessage(wrapped) != "no debtor 7" {
		t.Fatalf("code %q message %q", acuerdo.ErrorCode(wrapped), acuerdo.ErrorMessage(wrapped))
	}
	plain := errors.New("disk on fire")
	if acuerdo.ErrorCode(plain) != acuerdo.EINTERNAL || acuerdo.ErrorMessage(plain) == plain.Error() {
		t.Fatal("internal errors must not leak their text")
	}
	if acuerdo.ErrorCode(nil) != "" {
		t.Fatal("nil has a code")
	}
}
