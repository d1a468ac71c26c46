package understand

import (
	"strings"

	"acuerdo"
)

// Numbers in words, es, pt and en (folded), up to the millions: "treinta
// mil", "cento e cinquenta", "two hundred and fifty".
var unitWords = map[string]int64{
	"cero": 0, "zero": 0,
	"un": 1, "uno": 1, "una": 1, "um": 1, "uma": 1, "one": 1, "a": 1,
	"dos": 2, "dois": 2, "duas": 2, "two": 2, "tres": 3, "three": 3, "cuatro": 4, "quatro": 4, "four": 4,
	"cinco": 5, "five": 5, "seis": 6, "six": 6, "siete": 7, "sete": 7, "seven": 7, "ocho": 8, "oito": 8, "eight": 8,
	"nueve": 9, "nove": 9, "nine": 9, "diez": 10, "dez": 10, "ten": 10, "once": 11, "onze": 11, "eleven": 11,
	"doce": 12, "doze": 12, "twelve": 12, "trece": 13, "treze": 13, "thirteen": 13, "catorce": 14, "catorze": 14, "quatorze": 14, "fourteen": 14,
	"quince": 15, "quinze": 15, "fifteen": 15, "dieciseis": 16, "dezesseis": 16, "dezasseis": 16, "sixteen": 16,
	"diecisiete": 17, "dezessete": 17, "seventeen": 17, "dieciocho": 18, "dezoito": 18, "eighteen": 18,
	"diecinueve": 19, "dezenove": 19, "nineteen": 19, "veinte": 20, "vinte": 20, "twenty": 20,
	"veintiun": 21, "veintiuno": 21, "veintiuna": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
	"veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
	"treinta": 30, "trinta": 30, "thirty": 30, "cuarenta": 40, "quarenta": 40, "forty": 40, "fourty": 40,
	"cincuenta": 50, "cinquenta": 50, "fifty": 50, "sesenta": 60, "sessenta": 60, "sixty": 60, "setenta": 70, "seventy": 70,
	"ochenta": 80, "oitenta": 80, "eighty": 80, "noventa": 90, "ninety": 90,
	"cien": 100, "ciento": 100, "cem": 100, "cento": 100, "doscientos": 200, "doscientas": 200, "duzentos": 200, "duzentas": 200,
	"trescientos": 300, "trescientas": 300, "trezentos": 300, "cuatrocientos": 400, "quatrocentos": 400, "quinientos": 500, "quinientas": 500, "quinhentos": 500,
	"seiscientos": 600, "seiscentos": 600, "setecientos": 700, "setecentos": 700, "ochocientos": 800, "oitocentos": 800,
	"novecientos": 900, "novecentos": 900,
}

// scaleWords multiply what comes before them.
var scaleWords = map[string]int64{
	"hundred": 100, "mil": 1000, "thousand": 1000, "millon": 1_000_000, "millones": 1_000_000, "milhao": 1_000_000, "milhoes": 1_000_000, "million": 1_000_000, "millions": 1_000_000,
}

// connectors join number words: "treinta y cinco", "cento e vinte", "one hundred and five".
var connectors = map[string]bool{"y": true, "e": true, "and": true}

// halfWords make "medio millón" (500 000) and "half a million".
var halfWords = map[string]bool{"medio": true, "media": true, "meio": true, "meia": true, "half": true}

// wordNumber reads number words starting at tokens[i]; n is how many tokens
// it used (0 when tokens[i] starts no number). "a" and "un" alone are not a
// number ("a month", "un pago"), only before a scale or a hundred.
func wordNumber(tokens []string, i int) (value int64, n int) {
	var total, cur int64
	j := i
	seen := false
	for j < len(tokens) {
		w := tokens[j]
		switch {
		case halfWords[w] && j+1 < len(tokens) && scaleWords[tokens[j+1]] >= 1000:
			total += scaleWords[tokens[j+1]] / 2
			j += 2
			seen = true
			continue
		case w == "a" || w == "un" || w == "uma" || w == "um" || w == "una":
			if j+1 < len(tokens) && (scaleWords[tokens[j+1]] > 0 || unitWords[tokens[j+1]] >= 100) && !seen {
				cur = 1
				j++
				continue
			}
			if w == "a" || seen {
				goto done
			}
			if !seen {
				// "un" alone is one only when something counted follows; the
				// caller decides from context, so report it.
				cur, seen = 1, true
				j++
				goto done
			}
		case connectors[w]:
			if seen && j+1 < len(tokens) {
				if _, ok := unitWords[tokens[j+1]]; ok {
					j++
					continue
				}
			}
			goto done
		default:
			if v, ok := unitWords[w]; ok {
				if v >= 100 && cur > 0 && cur < 10 {
					cur *= v // "dos cientos" (rare), "two hundred" below
				} else {
					cur += v
				}
				seen = true
				j++
				continue
			}
			if s, ok := scaleWords[w]; ok {
				if s == 100 {
					if cur == 0 {
						cur = 1
					}
					cur *= 100
				} else {
					if cur == 0 {
						cur = 1
					}
					total += cur * s
					cur = 0
				}
				seen = true
				j++
				continue
			}
			goto done
		}
	}
done:
	if !seen {
		return 0, 0
	}
	return total + cur, j - i
}

// numberWordsToDigits rewrites number words as digits ("quince de enero" →
// "15 de enero"), so the date parser and the amount reader see numbers.
func numberWordsToDigits(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	for i := 0; i < len(tokens); {
		if _, scale := scaleWords[tokens[i]]; scale && len(out) > 0 && isDigits(out[len(out)-1]) {
			out = append(out, tokens[i]) // "80 mil": the amount reader multiplies
			i++
			continue
		}
		if i+1 < len(tokens) && multipliers[tokens[i+1]] > 1000 || i+1 < len(tokens) && tokens[i+1] != "mil" && multipliers[tokens[i+1]] > 0 {
			// "medio palo" (half a million pesos), "media luca", "un palo":
			// a half or one before a slang multiplier is a number.
			switch {
			case half[tokens[i]]:
				out = append(out, "0.5")
				i++
				continue
			case article[tokens[i]]:
				out = append(out, "1")
				i++
				continue
			}
		}
		if v, n := wordNumber(tokens, i); n > 0 && !(n == 1 && article[tokens[i]]) {
			out = append(out, itoa(v))
			i += n
			continue
		}
		out = append(out, tokens[i])
		i++
	}
	return out
}

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// tokenize splits folded text into words and numbers, keeping the
// separators inside numbers ("18.450", "1,5", "14/12", "8x") and the
// currency marks "$" and "r$" as tokens of their own.
func tokenize(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, strings.Trim(b.String(), ".,-/"))
			b.Reset()
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '\'':
		case (r == '.' || r == ',' || r == '/' || r == '-') && b.Len() > 0 && i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9' && isDigitEnd(b.String()):
			b.WriteRune(r)
		case r == '$':
			if b.String() == "r" || b.String() == "us" {
				b.WriteRune(r)
				flush()
			} else {
				flush()
				out = append(out, "$")
			}
		default:
			flush()
		}
	}
	flush()
	res := out[:0]
	for _, t := range out {
		if t != "" {
			res = append(res, t)
		}
	}
	return res
}

func isDigitEnd(s string) bool {
	c := s[len(s)-1]
	return c >= '0' && c <= '9'
}

// foldKeep lower-cases and strips accents, keeping punctuation (dates and
// amounts need their slashes and dots).
func foldKeep(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(acuerdo.FoldRune(r))
	}
	return b.String()
}

// half words before a multiplier: "medio palo", "meio milhão".
var half = map[string]bool{"medio": true, "media": true, "meio": true, "meia": true, "half": true}

// article words are "one" only before something counted; alone they stay words.
var article = map[string]bool{"un": true, "una": true, "um": true, "uma": true, "a": true}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' && s[i] != ',' {
			return false
		}
	}
	return true
}
