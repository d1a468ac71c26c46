package policy

import "strings"

// Disclosure returns both lines a debtor is owed: Identification and, where
// the law requires one, DebtNotice.
func Disclosure(country, locale string, cfg Config) string {
	id := Identification(country, locale, cfg)
	if n := DebtNotice(country, locale); n != "" {
		return id + " " + n
	}
	return id
}

// Identification is who writes, in the debtor's language (es, pt-BR or en;
// others fall back by country): the creditor, plus the CNPJ for Brazil. It
// opens the first reply of a session, added by code because a model may drop
// it, and says nothing of a debt.
func Identification(country, locale string, cfg Config) string {
	country = strings.ToUpper(strings.TrimSpace(country))
	name := strings.TrimSpace(cfg.CreditorName)
	var b strings.Builder
	switch language(locale, country) {
	case "pt":
		b.WriteString("Mensagem de " + name)
	case "en":
		b.WriteString("This message is from " + name)
	default:
		b.WriteString("Mensaje de " + name)
	}
	if country == "BR" && cfg.CNPJ != "" {
		b.WriteString(", CNPJ " + cfg.CNPJ)
	}
	b.WriteString(".")
	return b.String()
}

// DebtNotice is the notice the law requires of a debt collector, in the
// language the debtor reads, or "" where none is required: the FDCPA's for
// the United States. It states that a debt is being collected, so it goes
// only to the debtor, once identity is verified, never to a third party.
func DebtNotice(country, locale string) string {
	country = strings.ToUpper(strings.TrimSpace(country))
	if country != "US" {
		return ""
	}
	switch language(locale, country) {
	case "pt":
		return "Esta é uma tentativa de cobrar uma dívida e qualquer informação obtida será usada para esse fim. Esta comunicação é de um cobrador de dívidas."
	case "es":
		return "Este es un intento de cobrar una deuda y cualquier información obtenida se usará para ese fin. Esta comunicación es de un cobrador de deudas."
	}
	return "This is an attempt to collect a debt and any information obtained will be used for that purpose. This communication is from a debt collector."
}

// DebtNotices lists DebtNotice in every language, so a conversation can tell
// whether the notice was given whatever language it was given in.
func DebtNotices(country string) []string {
	var out []string
	for _, l := range []string{"es", "pt-BR", "en"} {
		if n := DebtNotice(country, l); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// language reduces a locale to es, pt or en; without one, the country decides.
func language(locale, country string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	switch {
	case strings.HasPrefix(l, "pt"):
		return "pt"
	case strings.HasPrefix(l, "en"):
		return "en"
	case strings.HasPrefix(l, "es"):
		return "es"
	}
	switch country {
	case "BR":
		return "pt"
	case "US":
		return "en"
	}
	return "es"
}
