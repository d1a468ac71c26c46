package understand

import (
	"slices"
	"testing"
	"time"
)

var testCtx = Context{Locale: "es", Country: "CO", Now: time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC)}

// IsOptOut, DetectEscalation and IsThirdParty read as the guards do.
func IsOptOut(text string) bool { return Read(text, testCtx).Guard() == OptOut }

func DetectEscalation(text string) (string, bool) {
	r := Read(text, testCtx)
	if slices.Contains(r.Also, Callback) {
		return "debtor_request", true
	}
	for _, g := range r.Guards {
		switch g {
		case Legal, Complaint, Dispute, Hardship:
			return string(g), true
		case Human:
			return "debtor_request", true
		}
	}
	return "", false
}

func IsThirdParty(text string) bool {
	g := Read(text, testCtx).Guard()
	return g == ThirdParty || g == WrongNumber
}

func TestIsOptOut(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		// es: keywords alone, with punctuation, emoji, courtesy
		{"BAJA", true}, {"baja", true}, {"Baja.", true}, {"¡BAJA!", true}, {"baja 🙏", true},
		{"Baja por favor", true}, {"baja, gracias", true}, {"PARAR", true}, {"Alto", true}, {"alto!!!", true},
		{"CANCELAR", true}, {"cancelar por favor", true}, {"  cancelar  ", true}, {"Cancelar?", true},
		// es: phrases anywhere
		{"No me escriban", true}, {"no me escriban más", true}, {"Por favor no me escriban mas!", true},
		{"NO ME ESCRIBAN MÁS POR FAVOR", true}, {"dejen de escribirme", true}, {"Ya dejen de escribirme por favor", true},
		{"deja de escribirme", true}, {"no quiero recibir más mensajes", true}, {"no quiero mas mensajes", true},
		{"quiero darme de baja", true}, {"dar de baja", true}, {"no me contacten", true},
		{"no me vuelvan a escribir", true}, {"borren mi número", true}, {"sáquenme de la lista", true},
		// pt
		{"SAIR", true}, {"sair", true}, {"Sair, obrigado", true}, {"PARAR", true}, {"pare", true}, {"CANCELAR", true},
		{"Não quero mais mensagens", true}, {"nao quero receber mais mensagens", true}, {"parem de me mandar mensagens", true},
		{"não me mandem mais nada", true}, {"me tirem da lista", true}, {"quero sair da lista", true},
		// en
		{"STOP", true}, {"stop", true}, {"Stop.", true}, {"STOP please", true}, {"please stop", true}, {"stop!!! 😡", true},
		{"UNSUBSCRIBE", true}, {"how do I unsubscribe?", true}, {"QUIT", true}, {"END", true}, {"end.", true},
		{"REVOKE", true}, {"OPT OUT", true}, {"opt-out", true}, {"optout", true}, {"CANCEL", true}, {"cancel please", true},
		{"STOP ALL", true}, {"stop texting me", true}, {"don't text me", true}, {"do not contact me", true},
		{"remove me from your list", true}, {"leave me alone", true}, {"no more messages", true},
		// false positives: the words inside other sentences
		{"quiero cancelar mi deuda", false}, {"quiero cancelar la cuota de este mes", false}, {"¿cómo puedo cancelar el saldo?", false},
		{"I want to cancel my debt by paying", false}, {"I'll pay at the end of month", false}, {"end of month", false},
		{"can I pay at the end of the week?", false}, {"the amount is too high", false}, {"el monto es muy alto", false},
		{"alto el precio", false}, {"la cuota está muy alta", false}, {"bajó mi sueldo", false}, {"mi sueldo es muy bajo", false},
		{"quiero parar los intereses", false}, {"vou sair do trabalho às 18h", false}, {"posso pagar na saída?", false},
		{"don't stop now, I'll pay", false}, {"hola", false}, {"", false}, {"🙏", false}, {"sí", false},
		{"ok", false}, {"gracias", false}, {"quiero pagar", false}, {"I quit my job", false}, {"cancel my plan please", false},
		{"no me escribieron el valor", false}, {"¿por qué no me escriben?", false},
	}
	for _, tt := range tests {
		if got := IsOptOut(tt.text); got != tt.want {
			t.Errorf("IsOptOut(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestDetectEscalation(t *testing.T) {
	tests := []struct {
		text string
		want string // "" for no escalation
	}{
		// debtor_request
		{"quiero hablar con una persona", "debtor_request"}, {"Quiero hablar con un asesor", "debtor_request"},
		{"necesito hablar con un humano", "debtor_request"}, {"me comunica con un asesor?", "debtor_request"},
		{"ASESOR", "debtor_request"}, {"asesor!", "debtor_request"}, {"que me llamen por favor", "debtor_request"},
		{"quero falar com um atendente", "debtor_request"}, {"posso falar com alguém?", "debtor_request"},
		{"atendente", "debtor_request"}, {"I want to talk to a human", "debtor_request"}, {"let me speak to an agent", "debtor_request"},
		{"can I talk to a real person", "debtor_request"}, {"talk to someone please", "debtor_request"}, {"agent", "debtor_request"},
		// hardship
		{"perdí mi trabajo y no puedo pagar", "hardship"}, {"me quedé sin empleo", "hardship"}, {"estoy enferma", "hardship"},
		{"estoy en el hospital", "hardship"}, {"mi mamá falleció la semana pasada", "hardship"}, {"no tengo ni para comer", "hardship"},
		{"no puedo, estoy enfermo", "hardship"}, {"estou desempregado", "hardship"}, {"perdi meu emprego", "hardship"},
		{"meu pai morreu", "hardship"}, {"estou internada", "hardship"}, {"passando fome aqui", "hardship"},
		{"I lost my job", "hardship"}, {"I got laid off last month", "hardship"}, {"I'm sick", "hardship"},
		{"my husband passed away", "hardship"}, {"there was a death in the family", "hardship"}, {"I can't afford food", "hardship"},
		// dispute
		{"no reconozco esta deuda", "dispute"}, {"esa deuda no es mía", "dispute"}, {"yo no debo nada", "dispute"},
		{"nunca saqué ese crédito", "dispute"}, {"esto es un fraude", "dispute"}, {"não reconheço essa dívida", "dispute"},
		{"isso não é meu", "dispute"}, {"não devo nada", "dispute"}, {"this is not my debt", "dispute"}, {"not my debt", "dispute"},
		{"I don't owe you anything", "dispute"}, {"I never took that loan", "dispute"}, {"I dispute this debt", "dispute"},
		// complaint
		{"quiero poner una queja", "complaint"}, {"voy a poner un reclamo", "complaint"}, {"esto es acoso", "complaint"},
		{"es un abuso", "complaint"}, {"vou reclamar no Procon", "complaint"}, {"vou reclamar no Reclame Aqui", "complaint"},
		{"quero fazer uma reclamação", "complaint"}, {"I want to file a complaint", "complaint"}, {"this is harassment", "complaint"},
		{"I'll report you to the CFPB", "complaint"},
		// legal
		{"hablaré con mi abogado", "legal"}, {"los voy a demandar", "legal"}, {"voy a poner una tutela", "legal"},
		{"me quejaré ante la Superintendencia", "complaint"}, {"meu advogado vai entrar em contato", "legal"},
		{"vou entrar com um processo", "legal"}, {"vou processar vocês", "legal"}, {"my lawyer will call you", "legal"},
		{"I will sue you", "legal"}, {"see you in court", "legal"}, {"this violates the FDCPA", "legal"},
		// not escalations
		{"ya pagué", ""}, {"Ya pagué la cuota", ""}, {"I already paid", ""}, {"já paguei", ""},
		{"quiero pagar", ""}, {"hola", ""}, {"", ""}, {"no quiero hablar con un asesor", ""}, {"I don't want to talk to a human", ""},
		{"no estoy enfermo, solo ocupado", ""}, {"se me murió el celular", ""}, {"my phone died", ""},
		{"pagué por accidente dos veces", ""}, {"qual é o processo para pagar?", ""}, {"o processo de pagamento", ""},
		{"quiero hablar con mi esposa primero", ""}, {"I need to talk to my wife", ""}, {"nunca tuve tiempo", ""},
		{"I'm sick of waiting for the link", "hardship"}, // accepted false positive: a person reads it
		{"cuánto debo?", ""}, {"no tengo dinero hoy, el viernes sí", ""}, {"end of month", ""},
	}
	for _, tt := range tests {
		got, ok := DetectEscalation(tt.text)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("DetectEscalation(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestIsThirdParty(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"No soy Juan", true}, {"no soy yo", true}, {"No soy la persona que buscan", true}, {"número equivocado", true},
		{"Numero equivocado!", true}, {"esta no es su línea", true}, {"este no es su número", true}, {"no lo conozco", true},
		{"se equivocaron de número", true}, {"ya no es su número", true},
		{"não sou eu", true}, {"Não sou a Maria", true}, {"número errado", true}, {"foi engano", true}, {"não conheço essa pessoa", true},
		{"wrong number", true}, {"Wrong number!", true}, {"I'm not Robert", true}, {"I’m not Robert", true}, {"this is not me", true},
		{"I don't know him", true}, {"no one by that name here", true},
		{"no soy capaz de pagar todo", false}, {"no soy de aquí", false}, {"sí soy yo", false}, {"soy Juan", false},
		{"I'm not able to pay", false}, {"I'm not sure", false}, {"é o meu número", false}, {"hola", false}, {"", false},
		{"no tengo el número de cuenta", false}, {"número de referencia?", false},
	}
	for _, tt := range tests {
		if got := IsThirdParty(tt.text); got != tt.want {
			t.Errorf("IsThirdParty(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
