package policy

import (
	"regexp"
	"strings"
)

// A number in a reply is a money amount when
//
//  1. a currency marker touches it: $, R$, US$, €, £, an ISO code (COP, BRL,
//     USD, ...) or a currency word after it (pesos, reais, dólares, euros);
//  2. a magnitude word follows it: mil, millón/millones, milhão/milhões,
//     thousand, million, k ("1.5 millones", "150 mil", "20k");
//  3. it is written like money: thousands separators ("150.000", "1,234,567")
//     or exactly two decimals ("99,90", "150.50"); or
//  4. it is a plain whole number of four or more digits that is not a year
//     (1900–2100), such as "250000".
//
// Everything else is a count, not an amount: "2 cuotas", "opción 3", "día 15",
// "30 días", "3.5". Percentages and times of day are skipped; dates and URLs
// were removed before. Separators read as in Latin America, Spain, Brazil and
// the US: with both "." and "," the last one is the decimal mark; a lone
// separator followed by exactly three digits groups thousands.
//
// An amount is verified when its value equals one of Allowed.Amounts; how it
// is written does not matter, so "$150.000", "COP 150000" and "150 mil pesos"
// all match "150000.00".

var (
	numberRe  = regexp.MustCompile(`\d(?:[\d.,]*\d)?`)
	skipRe    = regexp.MustCompile(`\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:am|pm|a\.\s?m\.|p\.\s?m\.|hrs|hs|h)\b)?|\b\d{1,2}\s*(?:am|pm|a\.\s?m\.|p\.\s?m\.)|\d+(?:[.,]\d+)?\s*(?:%|por\s?ciento\b|por\s?cento\b|percent\b|per\s?cent\b)`)
	wordAfter = regexp.MustCompile(`^\s?([a-z]+)`)
)

var currencyCodes = map[string]bool{
	"cop": true, "brl": true, "mxn": true, "usd": true, "ars": true, "eur": true, "clp": true, "pen": true, "gbp": true,
}

var currencyWords = map[string]bool{
	"peso": true, "pesos": true, "real": true, "reais": true, "dolar": true, "dolares": true, "dollar": true, "dollars": true,
	"euro": true, "euros": true, "cop": true, "brl": true, "mxn": true, "usd": true, "ars": true, "eur": true, "clp": true, "pen": true,
}

// magnitudes multiply the number before them, in thousandths' terms.
var magnitudes = map[string]int64{
	"mil": 1e3, "thousand": 1e3, "k": 1e3,
	"millon": 1e6, "millones": 1e6, "milhao": 1e6, "milhoes": 1e6, "million": 1e6, "millions": 1e6, "mm": 1e6,
}

func checkAmounts(f *folded, a Allowed, add func(Violation)) {
	for _, m := range skipRe.FindAllIndex(f.b, -1) {
		f.blank(m[0], m[1])
	}
	allowed := map[int64]bool{}
	for _, s := range a.Amounts {
		if v, ok := parseAllowedAmount(s); ok {
			allowed[v] = true
		}
	}
	b := f.b
	for _, m := range numberRe.FindAllIndex(b, -1) {
		i, j := m[0], m[1]
		start, end := i, j
		currency := false
		// Before: "$", "€", "£" (with "R$", "US$"), or an ISO code, possibly one space away.
		k := i
		if k > 0 && b[k-1] == ' ' {
			k--
		}
		if k > 0 && b[k-1] == '$' {
			currency, start = true, k-1
			for n := 0; n < 3 && start > 0 && b[start-1] >= 'a' && b[start-1] <= 'z'; n++ {
				start-- // "R$", "US$", "COL$"
			}
		} else if s := string(b[:k]); strings.HasSuffix(s, "€") || strings.HasSuffix(s, "£") {
			currency, start = true, k-len("€")
			if strings.HasSuffix(s, "£") {
				start = k - len("£")
			}
		} else if w := lastWord(b[:k]); currencyCodes[w] {
			currency, start = true, k-len(w)
		} else if i > 0 && isWordByte(b[i-1]) {
			continue // part of an identifier such as "abc123"
		}
		val, shaped, ok := parseNumber(string(b[i:j]))
		if !ok {
			continue
		}
		mult := int64(1)
		rest := b[j:]
		if w := wordAfter.FindSubmatchIndex(rest); w != nil {
			word := string(rest[w[2]:w[3]])
			attached := w[2] == 0
			switch {
			case magnitudes[word] != 0 || word == "mi" && currency:
				mult = magnitudes[word]
				if word == "mi" {
					mult = 1e6
				}
				end = j + w[3]
				if c := wordAfter.FindSubmatchIndex(b[end:]); c != nil && string(b[end+c[2]:end+c[3]]) == "de" {
					if c2 := wordAfter.FindSubmatchIndex(b[end+c[3]:]); c2 != nil && currencyWords[string(b[end+c[3]+c2[2]:end+c[3]+c2[3]])] {
						currency, end = true, end+c[3]+c2[3]
					}
				} else if c != nil && currencyWords[string(b[end+c[2]:end+c[3]])] {
					currency, end = true, end+c[3]
				}
			case currencyWords[word]:
				currency, end = true, j+w[3]
			case attached:
				continue // "3ra", "15h", "2x": not an amount
			}
		}
		digits := 0
		for _, c := range b[i:j] {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		plainYear := !shaped && digits == 4 && val >= 1900_000 && val <= 2100_000
		if !(currency || mult > 1 || shaped || digits >= 4 && !plainYear) {
			continue
		}
		if val >= 0 && (mult == 1 || val <= (1<<62)/mult) {
			val *= mult
		} else {
			val = -1
		}
		if !allowed[val] {
			add(Violation{RuleUnverifiedAmount, strings.TrimSpace(f.original(start, end)), "only amounts the tools returned in this conversation may be mentioned"})
		}
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// lastWord returns the letters that end b.
func lastWord(b []byte) string {
	k := len(b)
	for k > 0 && b[k-1] >= 'a' && b[k-1] <= 'z' {
		k--
	}
	if k > 0 && isWordByte(b[k-1]) {
		return ""
	}
	return string(b[k:])
}

// parseNumber reads a number with "." and "," separators as explained above
// and returns its value in thousandths. shaped reports thousands grouping or
// exactly two decimals, the way money is written. A value too large for
// int64 comes back as -1, which no allowed amount equals.
func parseNumber(s string) (val int64, shaped bool, ok bool) {
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	var dec byte
	switch {
	case dots > 0 && commas > 0:
		dec = '.'
		if strings.LastIndexByte(s, ',') > strings.LastIndexByte(s, '.') {
			dec = ','
		}
		if strings.Count(s, string(dec)) > 1 {
			return 0, false, false
		}
	case dots == 1 || commas == 1:
		sep := byte('.')
		if commas == 1 {
			sep = ','
		}
		if len(s)-strings.IndexByte(s, sep)-1 != 3 {
			dec = sep
		}
	}
	whole, frac := s, ""
	if dec != 0 {
		i := strings.LastIndexByte(s, dec)
		whole, frac = s[:i], s[i+1:]
	}
	groups := strings.FieldsFunc(whole, func(r rune) bool { return r == '.' || r == ',' })
	if len(groups) > 1 {
		if len(groups[0]) > 3 || len(groups[0]) == 0 {
			return 0, false, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false, false
			}
		}
		shaped = true
	}
	if len(frac) > 3 {
		return 0, false, false
	}
	if len(frac) == 2 {
		shaped = true
	}
	digits := strings.Join(groups, "")
	if len(digits) > 15 {
		return -1, shaped, true
	}
	for len(frac) < 3 {
		frac += "0"
	}
	for _, c := range digits + frac {
		val = val*10 + int64(c-'0')
	}
	return val, shaped, true
}

// parseAllowedAmount reads an amount as tools return it ("150000.00",
// "COP 150000.00") in thousandths.
func parseAllowedAmount(s string) (int64, bool) {
	s = strings.TrimSpace(strings.Trim(strings.ToUpper(strings.TrimSpace(s)), "ABCDEFGHIJKLMNOPQRSTUVWXYZ$ "))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !digitsOnly(whole) || !digitsOnly(frac) || len(frac) > 3 || len(whole) > 15 {
		return 0, false
	}
	for len(frac) < 3 {
		frac += "0"
	}
	var v int64
	for _, c := range whole + frac {
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
