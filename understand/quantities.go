package understand

import (
	"regexp"
	"strconv"
	"strings"

	"acuerdo"
)

// Amount is a sum of money the debtor wrote, in the account's currency.
type Amount struct {
	Money    acuerdo.Money
	Text     string // the words it was read from
	PerMonth bool   // "$40 a month", "50 mil al mes": a plan's installment
	// Sure is false for a bare number with nothing saying it is money
	// ("puedo 80"): the dialogue confirms before using it.
	Sure bool
}

// multipliers after a number: "50 mil", "50k", "50 lucas", "2 palos", "1.5
// millones". Country slang: lucas and barras (thousands, CO/AR/CL), palos
// (millions, CO), grand (thousands, en).
var multipliers = map[string]int64{
	"mil": 1000, "k": 1000, "lucas": 1000, "luca": 1000, "lukas": 1000, "luka": 1000, "grand": 1000, "thousand": 1000,
	"palos": 1_000_000, "palo": 1_000_000, "millones": 1_000_000, "millon": 1_000_000, "milhoes": 1_000_000, "milhao": 1_000_000,
	"million": 1_000_000, "mill": 1_000_000, "kilos": 1000, "barao": 1000, "baroes": 1000, "barras": 1000, "barra": 1000,
}

// moneyWords after a number mark it as money without changing it.
var moneyWords = map[string]bool{
	"pesos": true, "peso": true, "reais": true, "real": true, "dolares": true, "dolar": true, "dollars": true, "dollar": true, "bucks": true,
	"usd": true, "cop": true, "mxn": true, "brl": true, "ars": true, "clp": true, "pen": true, "varos": true, "bolas": true, "mangos": true,
	"conto": true, "contos": true, "pila": true, "pilas": true, "mangos ": true, "soles": true, "quetzales": true, "lempiras": true,
}

// currencyMarks before a number.
var currencyMarks = map[string]bool{"$": true, "r$": true, "us$": true, "usd": true, "cop": true, "mxn": true, "brl": true}

// installmentWords after a count: "6 cuotas", "em 8 parcelas", "in four payments".
var installmentWords = map[string]bool{
	"cuotas": true, "cuota": true, "partes": true, "pagos": true, "mensualidades": true, "meses": true, "quincenas": true,
	"parcelas": true, "parcela": true, "vezes": true, "prestacoes": true, "x": true,
	"payments": true, "installments": true, "instalments": true, "months": true, "parts": true,
}

// perMonth words after an amount: "al mes", "por mes", "a month", "mensuales".
var perMonthRe = mustQuick(`^(?:(?:al|por|cada|a|per|each|every|todo|o) (?:mes|month|mes)\b|mensual(?:es)?\b|monthly\b|mensais\b|mensal\b|por mes\b)`)

var numberToken = regexp.MustCompile(`^(\d+(?:[.,]\d+)*)(k|mil|x|lucas|luca)?$`)

// findQuantities reads installment counts and amounts from what the date
// reader left. Numbers of four or more digits with no money word may be an
// identity answer and are left alone unless money is plainly meant.
func findQuantities(s string, c Context) (installments int, amounts []Amount, days int) {
	tokens := numberWordsToDigits(strings.Fields(s))
	cur := currencyOf(c)
	for i := 0; i < len(tokens); i++ {
		if t := tokens[i]; t[0] < '0' || t[0] > '9' {
			continue // not a number: numberToken starts with a digit
		}
		m := numberToken.FindStringSubmatch(tokens[i])
		if m == nil {
			continue
		}
		num, suffix := m[1], m[2]
		next := func(k int) string {
			if i+k < len(tokens) {
				return tokens[i+k]
			}
			return ""
		}
		prev := ""
		if i > 0 {
			prev = tokens[i-1]
		}
		// Installments: "8x", "em 8x", "6 cuotas", "a 4 meses".
		if suffix == "x" || installmentWords[next(1)] && !(next(1) == "meses" || next(1) == "months") || (next(1) == "meses" || next(1) == "months") && (prev == "a" || prev == "en" || prev == "em" || prev == "in" || prev == "over" || prev == "durante" || prev == "por") {
			if n, err := strconv.Atoi(num); err == nil && n >= 1 && n <= 120 && installments == 0 {
				installments = n
			}
			continue
		}
		if next(1) == "dias" || next(1) == "days" || next(1) == "dia" || next(1) == "day" {
			if n, err := strconv.Atoi(num); err == nil && days == 0 {
				days = n
			}
			continue
		}
		if weekWords[next(1)] {
			// "2 semanas", "3 weeks": days, not money.
			if n, err := strconv.Atoi(num); err == nil && days == 0 && n <= 8 {
				days = 7 * n
			}
			continue
		}
		mult := int64(1)
		marked := currencyMarks[prev]
		used := 1
		if suffix != "" && suffix != "x" {
			mult = multipliers[suffix]
			marked = true
		} else if mm, ok := multipliers[next(1)]; ok {
			mult, marked, used = mm, true, 2
			if moneyWords[next(2)] || next(2) == "de" && moneyWords[next(3)] {
				used++
			}
		} else if moneyWords[next(1)] {
			marked, used = true, 2
		}
		digitsOnly := strings.Trim(num, ".,")
		if !marked && len(digitsOnly) == 4 {
			// "4050" alone is more likely the last four digits of a document.
			continue
		}
		money, ok := parseAmount(num, mult, cur)
		if !ok || money.Amount <= 0 {
			continue
		}
		text := strings.Join(tokens[max(0, i-btoi(currencyMarks[prev])):min(len(tokens), i+used)], " ")
		a := Amount{Money: money, Text: text, Sure: marked || payVerb(prev, tokens, i)}
		rest := strings.Join(tokens[min(len(tokens), i+used):], " ")
		a.PerMonth = perMonthRe.MatchString(rest)
		amounts = append(amounts, a)
		i += used - 1
	}
	if days == 0 {
		days = weeksInWords(tokens)
	}
	return installments, amounts, days
}

// weekWords count days by the week.
var weekWords = map[string]bool{"semana": true, "semanas": true, "week": true, "weeks": true, "wk": true, "wks": true}

// weeksInWords reads a week or two said in words: "una semana", "a week",
// "un par de semanas", "a couple of weeks", "uma quinzena".
func weeksInWords(tokens []string) int {
	for i := 1; i < len(tokens); i++ {
		switch w, prev := tokens[i], tokens[i-1]; {
		case (w == "semana" || w == "week") && (article[prev] || prev == "one" || prev == "otra" || prev == "outra" || prev == "another"):
			return 7
		case (w == "semanas" || w == "weeks") && (prev == "par" || prev == "couple" || i >= 2 && (tokens[i-2] == "par" || tokens[i-2] == "couple")):
			return 14
		case (w == "quincena" || w == "quinzena" || w == "fortnight") && (article[prev] || prev == "one" || prev == "otra" || prev == "outra" || prev == "another"):
			return 15
		}
	}
	return 0
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// payVerb reports whether a bare number follows a verb of paying ("pago 80",
// "can pay 80", "abono 200"), which makes it money.
func payVerb(prev string, tokens []string, i int) bool {
	for k := i - 1; k >= 0 && k >= i-3; k-- {
		switch tokens[k] {
		case "pagar", "pago", "pagaria", "pagare", "abonar", "abono", "depositar", "deposito", "pay", "paying", "send", "pagamos", "pagarei", "pagaria ", "transferir", "transfiero", "mandar", "tengo", "tenho", "have", "puedo", "posso", "can":
			return true
		}
	}
	return false
}

// parseAmount reads a number as people write money in the currency's
// countries ("18.450" is eighteen thousand pesos in Mexico and Colombia,
// "150,50" a hundred and fifty reais and fifty centavos) and multiplies it.
func parseAmount(num string, mult int64, cur string) (acuerdo.Money, bool) {
	if mult > 1 {
		// "1,5 millones", "1.5 palos", "2.5k": a decimal before a multiplier.
		f, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", "."), 64)
		if err != nil || strings.Count(num, ".")+strings.Count(num, ",") > 1 {
			m, err := acuerdo.ParseLocalizedMoney(num, cur)
			if err != nil {
				return acuerdo.Money{}, false
			}
			f = float64(m.Amount) / pow10(acuerdo.MinorDigits(cur))
		}
		m, err := acuerdo.ParseMoney(strconv.FormatFloat(f*float64(mult), 'f', acuerdo.MinorDigits(cur), 64), cur)
		return m, err == nil
	}
	m, err := acuerdo.ParseLocalizedMoney(num, cur)
	return m, err == nil
}

func pow10(n int) float64 {
	f := 1.0
	for range n {
		f *= 10
	}
	return f
}

// currencyOf is the currency amounts are read in: the debtor's country's.
func currencyOf(c Context) string {
	if cur := acuerdo.CurrencyOf(c.Country); cur != "" {
		return cur
	}
	switch c.Locale {
	case "pt-BR":
		return "BRL"
	case "en":
		return "USD"
	}
	return "COP"
}
