package policy

import "strings"

// Disclosure returns the line code appends to the messages that need it, in
// the debtor's locale (es, pt-BR or en; others fall back by country): who the
// creditor is, plus the CNPJ for Brazil and the debt-collector notice of the
// FDCPA for the United States. It is added by code because a model may drop it.
func Disclosure(country, locale string, cfg Config) string {
	country = strings.ToUpper(strings.TrimSpace(country))
	lang := language(locale, country)
	name := strings.TrimSpace(cfg.CreditorName)
	var b strings.Builder
	switch lang {
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
	if country == "US" {
		switch lang {
		case "pt":
			b.WriteString(" Esta é uma tentativa de cobrar uma dívida e qualquer informação obtida será usada para esse fim. Esta comunicação é de um cobrador de dívidas.")
		case "es":
			b.WriteString(" Este es un intento de cobrar una deuda y cualquier información obtenida se usará para ese fin. Esta comunicación es de un cobrador de deudas.")
		default:
			b.WriteString(" This is an attempt to collect a debt and any information obtained will be used for that purpose. This communication is from a debt collector.")
		}
	}
	return b.String()
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
