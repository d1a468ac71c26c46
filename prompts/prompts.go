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
	out := strings.NewReplacer("{creditor}", v.Creditor, "{today}", v.Today.String(), "{language}", Language(v.Locale),
		"{account_hint}", hint, "{name}", name, "{verified}", strconv.FormatBool(v.Verified)).Replace(system)
	if s, ok := Styles[v.Style]; ok {
		out += "\n" + s
	}
	return out
}

// Money renders an amount as people read it in the locale: $1.234.567 in
// Colombia, R$ 1.234,56 in Brazil, $1,234.56 in English.
func Money(locale string, m acuerdo.Money) string {
	dec := m.Decimal()
	whole, frac, _ := strings.Cut(dec, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	thou, point := ".", ","
	if Locale(locale) == "en" {
		thou, point = ",", "."
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(thou)
		}
		b.WriteRune(c)
	}
	out := b.String()
	// Whole pesos are written without cents, as Colombians do.
	if frac != "" && strings.Trim(frac, "0") != "" {
		out += point + frac
	}
	sym := "$"
	switch m.Currency {
	case "BRL":
		sym = "R$ "
	case "EUR":
		sym = "€"
	}
	if neg {
		sym = "-" + sym
	}
	return sym + out
}

// Date renders a date for the locale: 15/12/2026 in es and pt-BR, 2026-12-15
// in en (unambiguous wherever the reader is).
func Date(locale string, d acuerdo.Date) string {
	if Locale(locale) == "en" {
		return d.String()
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// DateTime renders a day and hour for the locale, in the zone t carries (the
// debtor's): 15/12/2026 10:30 in es and pt-BR, 2026-12-15 10:30 AM in en.
func DateTime(locale string, t time.Time) string {
	d := Date(locale, acuerdo.DateOf(t))
	if Locale(locale) == "en" {
		return d + " " + t.Format("3:04 PM")
	}
	return d + " " + t.Format("15:04")
}
