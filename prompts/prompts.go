// Package prompts holds every text acuerdo shows a debtor, in Spanish, Brazilian
// Portuguese and English, and the system prompt of the language model. Texts are
// embedded so the binary carries them; tests check that every locale has every
// text.
package prompts

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

//go:embed texts/*.json system.txt
var files embed.FS

// Locales acuerdo speaks.
var Locales = []string{"es", "pt-BR", "en"}

var texts = map[string]map[string]string{}

var system string

func init() {
	for _, l := range Locales {
		b, err := files.ReadFile("texts/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("prompts: texts/%s.json: %v", l, err))
		}
		texts[l] = m
	}
	b, err := files.ReadFile("system.txt")
	if err != nil {
		panic(err)
	}
	system = string(b)
}

// Locale maps a language tag or country to a locale acuerdo speaks: pt and
// pt-PT to pt-BR, en-US to en, anything else (or nothing) to es, the language of
// most debtors.
func Locale(tag string) string {
	t := strings.ToLower(tag)
	switch {
	case strings.HasPrefix(t, "pt") || t == "br":
		return "pt-BR"
	case strings.HasPrefix(t, "en") || t == "us":
		return "en"
	}
	return "es"
}

// T returns the text key in locale with {placeholders} filled from vars (pairs
// of name, value). A missing text is a bug the tests catch; at run time it falls
// back to Spanish rather than showing a key.
func T(locale, key string, vars ...string) string {
	s, ok := texts[Locale(locale)][key]
	if !ok {
		s = texts["es"][key]
	}
	if len(vars) > 0 {
		s = strings.NewReplacer(vars...).Replace(s)
	}
	return s
}

// Keys returns the text keys of a locale, for tests.
func Keys(locale string) []string {
	var out []string
	for k := range texts[locale] {
		out = append(out, k)
	}
	return out
}

// Language names a locale for the system prompt.
func Language(locale string) string {
	switch Locale(locale) {
	case "pt-BR":
		return "Brazilian Portuguese"
	case "en":
		return "English"
	}
	return "Spanish (Latin American, using 'tú')"
}

// SystemVars fill the system prompt.
type SystemVars struct {
	Creditor      string
	Name          string // the debtor's first name
	Locale        string
	Today         acuerdo.Date
	Verified      bool
	AccountDigits bool   // no document on file: identity is checked with the account number
	Style         string // a prompt variant of Styles, from the debtor's pilot arm; "" for none
}

// Styles are the prompt variants a pilot arm may choose (Variant.Prompt): one
// instruction added to the system prompt. The model writes in the debtor's
// language whatever the instruction's, so each is written once.
var Styles = map[string]string{
	"warm":   "Tone for this conversation: especially warm and patient; acknowledge their situation before any figure, and thank them for answering.",
	"brief":  "Tone for this conversation: brief and direct; one or two short sentences per reply, the figure or option first.",
	"formal": "Tone for this conversation: formal and courteous (usted in Spanish, o senhor/a senhora in Portuguese); no emoji.",
}

// System returns the model's system prompt.
func System(v SystemVars) string {
	hint := ""
	if v.AccountDigits {
		hint = " (none on file: ask for the last 4 of their account number, passed as document_last4)"
	}
	name := v.Name
	if name == "" {
		name = "unknown (this number is not in the portfolio)"
	}
	// Lines marked [unverified] only matter until identity is verified; a
	// verified conversation's prompt is shorter by them on every call.
	var lines []string
	for _, l := range strings.Split(system, "\n") {
		if rest, ok := strings.CutPrefix(l, "[unverified] "); ok {
			if v.Verified {
				continue
			}
			l = rest
		}
		lines = append(lines, l)
	}
	out := strings.NewReplacer("{creditor}", v.Creditor, "{today}", v.Today.String(), "{language}", Language(v.Locale),
		"{account_hint}", hint, "{name}", name, "{verified}", strconv.FormatBool(v.Verified)).Replace(strings.Join(lines, "\n"))
	if s, ok := Styles[v.Style]; ok {
		out += "\n" + s
	}
	return out
}

// moneyStyle is how a country writes its currency: symbol, thousands and
// decimal marks, and how many decimals (-1: only when there are cents).
type moneyStyle struct {
	prefix, suffix string
	thou, dec      string
	decimals       int
}

// moneyStyles are the currencies' home conventions: in Mexico and the US
// "$18,450.00" (so a Mexican never reads $18.450 as eighteen pesos), in
// Colombia "$18.450" (pesos without cents), in Brazil "R$ 18.450,00".
var moneyStyles = map[string]moneyStyle{
	"COP": {"$", "", ".", ",", -1},
	"CLP": {"$", "", ".", ",", 0},
	"ARS": {"$", "", ".", ",", 2},
	"MXN": {"$", "", ",", ".", 2},
	"USD": {"$", "", ",", ".", 2},
	"BRL": {"R$ ", "", ".", ",", 2},
	"PEN": {"S/ ", "", ",", ".", 2},
	"EUR": {"", " €", ".", ",", 2},
}

// Money renders an amount as the debtor reads it: in the convention of the
// currency's country ($18,450.00 in Mexico and the US, $18.450 in Colombia,
// R$ 18.450,00 in Brazil). Someone reading English an amount in a currency
// other than dollars gets the ISO code and English marks ("COP 18,450"), so
// "$18.450" is never read as eighteen dollars. This is the one home of money
// formatting: offline replies, templates, the model's placeholders and the
// console all come here.
func Money(locale string, m acuerdo.Money) string {
	st, ok := moneyStyles[m.Currency]
	if !ok {
		st = moneyStyle{m.Currency + " ", "", ".", ",", 2}
		if Locale(locale) == "en" {
			st.thou, st.dec = ",", "."
		}
	}
	if Locale(locale) == "en" && m.Currency != "USD" {
		st.prefix, st.suffix, st.thou, st.dec = m.Currency+" ", "", ",", "."
	}
	dec := m.Decimal()
	whole, frac, _ := strings.Cut(dec, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(st.thou)
		}
		b.WriteRune(c)
	}
	out := b.String()
	switch {
	case st.decimals < 0 && strings.Trim(frac, "0") != "", st.decimals > 0:
		for len(frac) < max(st.decimals, 2) {
			frac += "0"
		}
		out += st.dec + frac
	}
	sign := ""
	if neg {
		sign = "-"
	}
	return sign + st.prefix + out + st.suffix
}

var monthNames = map[string][12]string{
	"es":    {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"pt-BR": {"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"},
	"en":    {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
}

// Date renders a date with its month's name, which no reader can take the
// wrong way round: "14 de diciembre de 2026", "14 de dezembro de 2026",
// "Dec 14, 2026". The one home of date formatting for debtors and operators.
func Date(locale string, d acuerdo.Date) string {
	if d.IsZero() || d.Month < 1 || d.Month > 12 {
		return d.String()
	}
	l := Locale(locale)
	name := monthNames[l][d.Month-1]
	if l == "en" {
		return fmt.Sprintf("%s %d, %d", name, d.Day, d.Year)
	}
	return fmt.Sprintf("%d de %s de %d", d.Day, name, d.Year)
}

// DateTime renders a day and hour for the locale, in the zone t carries (the
// debtor's): "15 de diciembre de 2026, 10:30", "Dec 15, 2026, 10:30 AM".
func DateTime(locale string, t time.Time) string {
	return Date(locale, acuerdo.DateOf(t)) + ", " + Time(locale, t)
}

// Time renders an hour of the day: 15:30 in es and pt-BR, 3:30 PM in en.
func Time(locale string, t time.Time) string {
	if Locale(locale) == "en" {
		return t.Format("3:04 PM")
	}
	return t.Format("15:04")
}
