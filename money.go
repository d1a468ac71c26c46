package acuerdo

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in the minor units of an ISO 4217 currency. Integers, never
// floats: a balance must add up to the cent in reports and payment links.
type Money struct {
	Amount   int64  `json:"amount"`   // minor units (cents, centavos)
	Currency string `json:"currency"` // ISO 4217 code, upper case
}

// minorDigits lists the ISO 4217 exponent of the currencies acuerdo expects; any
// other well-formed code is assumed to have two.
var minorDigits = map[string]int{
	"CLP": 0, "PYG": 0, "JPY": 0, "KRW": 0, "UYI": 0, "ISK": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}

// MinorDigits returns how many decimal digits the currency's minor unit has.
func MinorDigits(currency string) int {
	if d, ok := minorDigits[currency]; ok {
		return d
	}
	return 2
}

// ValidCurrency reports whether code looks like an ISO 4217 code.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

// CurrencyOf returns the currency of a country (ISO 3166 alpha-2), or "" when unknown.
func CurrencyOf(country string) string {
	switch country {
	case "CO":
		return "COP"
	case "BR":
		return "BRL"
	case "MX":
		return "MXN"
	case "AR":
		return "ARS"
	case "CL":
		return "CLP"
	case "PE":
		return "PEN"
	case "ES":
		return "EUR"
	case "US":
		return "USD"
	}
	return ""
}

// ParseMoney parses a plain decimal string such as "1250.50" (a dot, no thousands
// separators) in the given currency. It is the strict form the agent's tools take.
func ParseMoney(s, currency string) (Money, error) {
	if !ValidCurrency(currency) {
		return Money{}, Errorf(EINVALID, "unknown currency %q: use an ISO 4217 code such as COP, BRL or USD", currency)
	}
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !digits(whole) || !digits(frac) {
		return Money{}, Errorf(EINVALID, "amount %q is not a number: write it like 1250.50", s)
	}
	d := MinorDigits(currency)
	if len(frac) > d {
		return Money{}, Errorf(EINVALID, "amount %q has more than %d decimals for %s", s, d, currency)
	}
	frac += strings.Repeat("0", d-len(frac))
	if whole == "" {
		whole = "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || len(whole) > 15 {
		return Money{}, Errorf(EINVALID, "amount %q is too large", s)
	}
	if neg {
		n = -n
	}
	return Money{Amount: n, Currency: currency}, nil
}

// ParseLocalizedMoney parses amounts as spreadsheets and people write them in Latin
// America, Spain, Brazil and the US: "1.234.567", "1.234,56", "1,234.56",
// "$ 250000", "R$ 99,90". With both separators the last one is the decimal mark; a
// lone separator followed by exactly three digits is a thousands separator,
// because no supported currency has three decimals.
func ParseLocalizedMoney(s, currency string) (Money, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, currency)
	s = strings.TrimLeft(s, "R$€US ")
	s = strings.TrimSpace(strings.TrimSuffix(s, currency))
	s = strings.ReplaceAll(s, " ", "")
	s = strings.ReplaceAll(s, "\u00a0", "")
	s = strings.ReplaceAll(s, "'", "")
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	lastDot, lastComma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	var dec byte
	switch {
	case lastDot >= 0 && lastComma >= 0:
		dec = '.'
		if lastComma > lastDot {
			dec = ','
		}
	case lastDot >= 0 || lastComma >= 0:
		sep := byte('.')
		if lastComma >= 0 {
			sep = ','
		}
		i := strings.LastIndexByte(s, sep)
		if strings.Count(s, string(sep)) == 1 && len(s)-i-1 != 3 {
			dec = sep
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == dec:
			b.WriteByte('.')
		case c == '.' || c == ',':
		default:
			return Money{}, Errorf(EINVALID, "amount %q is not a number", orig)
		}
	}
	plain := b.String()
	if neg {
		plain = "-" + plain
	}
	m, err := ParseMoney(plain, currency)
	if err != nil {
		return Money{}, Errorf(EINVALID, "amount %q is not a number", orig)
	}
	return m, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Decimal renders the amount as a plain decimal string ("1250.50"), the form the
// agent's tools exchange and payment links carry.
func (m Money) Decimal() string {
	d := MinorDigits(m.Currency)
	n := m.Amount
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	if d == 0 {
		return sign + strconv.FormatInt(n, 10)
	}
	p := int64(1)
	for i := 0; i < d; i++ {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, n/p, d, n%p)
}

// String renders the amount with its currency, e.g. "COP 150000.00".
func (m Money) String() string { return m.Currency + " " + m.Decimal() }

// Add returns m+o; both must share a currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, Errorf(EINVALID, "cannot add %s to %s", o.Currency, m.Currency)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}
