package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// sandboxLang is one language the sandbox page speaks.
type sandboxLang struct{ Code, Name string }

var sandboxLangs = []sandboxLang{{"es", "Español"}, {"pt-BR", "Português"}, {"en", "English"}}

// sandboxText holds every user-visible string of the sandbox page, per language.
var sandboxText = map[string]map[string]string{
	"es": {
		"title":       "acuerdo · sandbox",
		"intro":       "Conversa con el agente como una persona del portafolio de demostración, por el mismo motor que atiende WhatsApp. Todos los datos son sintéticos.",
		"pick":        "Elige a quién representar",
		"unknown":     "Número desconocido (fuera del portafolio)",
		"doc":         "Documento termina en",
		"locale":      "Idioma",
		"none":        "Elige una persona de la lista para empezar a conversar.",
		"empty":       "Aún no hay mensajes. Escribe «hola» para empezar.",
		"placeholder": "Escribe un mensaje",
		"attach":      "Adjuntar comprobante (imagen o PDF)",
		"attached":    "📎 archivo adjunto",
		"too_big":     "El archivo supera 5 MB.",
		"send":        "Enviar",
		"error":       "No se pudo enviar. Intenta de nuevo.",
		"you":         "Tú",
		"bot":         "Agente",
		"operator":    "Asesor",
		"failed":      "no entregado",
		"language":    "Idioma de la página",
		"no_debtors":  "No hay deudores en la base. Inicia «acuerdo serve --demo» con una base vacía para cargar el portafolio de demostración.",
	},
	"pt-BR": {
		"title":       "acuerdo · sandbox",
		"intro":       "Converse com o agente como uma pessoa da carteira de demonstração, pelo mesmo motor que atende o WhatsApp. Todos os dados são sintéticos.",
		"pick":        "Escolha quem representar",
		"unknown":     "Número desconhecido (fora da carteira)",
		"doc":         "Documento termina em",
		"locale":      "Idioma",
		"none":        "Escolha uma pessoa da lista para começar a conversar.",
		"empty":       "Ainda não há mensagens. Escreva «oi» para começar.",
		"placeholder": "Escreva uma mensagem",
		"attach":      "Anexar comprovante (imagem ou PDF)",
		"attached":    "📎 arquivo anexado",
		"too_big":     "O arquivo passa de 5 MB.",
		"send":        "Enviar",
		"error":       "Não foi possível enviar. Tente de novo.",
		"you":         "Você",
		"bot":         "Agente",
		"operator":    "Atendente",
		"failed":      "não entregue",
		"language":    "Idioma da página",
		"no_debtors":  "Não há devedores no banco. Inicie «acuerdo serve --demo» com um banco vazio para carregar a carteira de demonstração.",
	},
	"en": {
		"title":       "acuerdo · sandbox",
		"intro":       "Chat with the agent as someone from the demo portfolio, through the same engine that serves WhatsApp. All data is synthetic.",
		"pick":        "Pick who to be",
		"unknown":     "Unknown number (not in the portfolio)",
		"doc":         "Document ends in",
		"locale":      "Language",
		"none":        "Pick someone from the list to start chatting.",
		"empty":       "No messages yet. Say “hi” to start.",
		"placeholder": "Type a message",
		"attach":      "Attach a receipt (image or PDF)",
		"attached":    "📎 file attached",
		"too_big":     "The file is over 5 MB.",
		"send":        "Send",
		"error":       "Could not send. Please try again.",
		"you":         "You",
		"bot":         "Agent",
		"operator":    "Operator",
		"failed":      "not delivered",
		"language":    "Page language",
		"no_debtors":  "There are no debtors in the database. Start “acuerdo serve --demo” on an empty database to load the demo portfolio.",
	},
}

// pickLang chooses the page's language: ?lang= when it names one we speak,
// else the best match of Accept-Language, else Spanish.
func pickLang(r *http.Request) string {
	if l := matchLang(r.URL.Query().Get("lang")); l != "" {
		return l
	}
	type cand struct {
		tag string
		q   float64
	}
	var cands []cand
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if tag != "" && q > 0 {
			cands = append(cands, cand{tag, q})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].q > cands[j].q })
	for _, c := range cands {
		if l := matchLang(c.tag); l != "" {
			return l
		}
	}
	return "es"
}

// matchLang maps a language tag to one of ours by its primary subtag: any
// Portuguese gets pt-BR, any Spanish es, any English en.
func matchLang(tag string) string {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	primary, _, _ = strings.Cut(primary, "_")
	switch primary {
	case "es":
		return "es"
	case "pt":
		return "pt-BR"
	case "en":
		return "en"
	}
	return ""
}
