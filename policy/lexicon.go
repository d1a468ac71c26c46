package policy

import (
	"regexp"
	"slices"
	"strings"

	"acuerdo"
)

// The lexicons read what debtors write. Patterns are regular expressions over
// normalize's output (lower-case ASCII words separated by single spaces), so
// they are accent- and case-insensitive and \b marks a word boundary.

// phrases compiles patterns into one expression that matches whole words.
func phrases(patterns ...string) *regexp.Regexp {
	return regexp.MustCompile(`\b(?:` + strings.Join(patterns, "|") + `)\b`)
}

// optOutWords are opt-out keywords that count only when they are essentially
// the whole message: "STOP", "Baja 🙏", "cancelar por favor". Inside a sentence
// they mean other things ("quiero cancelar mi deuda", "end of month").
var optOutWords = []string{
	"baja", "parar", "alto", "cancelar", // es
	"sair", "pare", "parem", // pt (parar, cancelar above)
	"stop", "stopall", "unsubscribe", "quit", "end", "revoke", "cancel", "optout", // en
}

// fillers may surround a lone opt-out keyword without changing its meaning.
var fillers = []string{
	"por", "favor", "porfa", "porfavor", "xfa", "pls", "plz", "please", "gracias", "thanks", "thank", "you",
	"obrigado", "obrigada", "ok", "okay", "ya", "ja", "ahora", "agora", "now", "hola", "oi", "ola", "hi", "hello",
	"si", "sim", "yes", "all", "todo", "tudo",
}

// optOutPhrases count anywhere in a message.
var optOutPhrases = phrases(
	// es
	`no me (vuelvan a |vuelva a |vuelvas a )?(escriban|escriba|escribas|contacten|contacte|llamen|manden|envien|molesten) (mas|nada)`,
	`no me (escriban|escriba|escribas|contacten|contacte|manden mensajes|envien mensajes|molesten)`,
	`no (me )?(vuelvan|vuelva|vuelvas) a (escribir|contactar)(me)?`,
	`(dejen|deje|deja|dejar) de (escribirme|contactarme|enviarme|mandarme|molestarme|escribir|mandar mensajes|enviar mensajes)`,
	`no (quiero|deseo) (recibir )?(mas )?(mensajes|notificaciones|whatsapps?)`,
	`(darme|dar|doy|dame|deme|denme|dan) de baja`, `quiero (la )?baja`, `(cancelar|cancelen|cancela) (la |mi )?(suscripcion|mensajes|notificaciones)`,
	`(borren|eliminen|saquen|quiten) mi (numero|contacto)`, `(sacarme|sacame|saquenme|quitenme|borrenme|eliminenme) de (la|su|sus|esta) (lista|base)`,
	// pt
	`(nao|n) (quero|desejo) (mais )?(receber )?(mais )?(mensagens|mensagem|notificacoes|whatsapp)`,
	`(parem|pare|parar) de (me )?(mandar|enviar|escrever|contatar|ligar)`,
	`nao me (mandem|mande|enviem|envie|escrevam|escreva|contatem|contate|procurem)( mais)?`,
	`(me )?(tire|tirem|remova|removam|exclua|excluam) (da|dessa|desta) (lista|base)`, `quero sair( da lista)?`, `descadastrar`, `cancelar (a )?inscricao`,
	// en
	`opt ?out`, `unsubscribe`, `stop (all|texting|messaging|sending|contacting|writing|calling)( me)?`,
	`(dont|do not|never) (text|message|contact|write|call|whatsapp) me`,
	`(remove|take) me (off|from)`, `no more (messages|texts)`, `leave me alone`,
	`cancel (my )?(subscription|messages|notifications)`,
)

// IsOptOut reports whether an inbound message is a request to stop messages.
func IsOptOut(text string) bool {
	norm := normalize(text)
	if optOutPhrases.MatchString(norm) {
		return true
	}
	var keyword string
	for _, w := range strings.Fields(norm) {
		switch {
		case slices.Contains(optOutWords, w) && (keyword == "" || keyword == w):
			keyword = w
		case slices.Contains(fillers, w):
		default:
			return false
		}
	}
	return keyword != ""
}

// Escalation lexicons. Each reason has patterns; a match preceded by a
// negation that cancels it ("no estoy enfermo", "no quiero hablar con un
// asesor") does not count.
type escalation struct {
	reason   string
	pattern  *regexp.Regexp
	negation bool // whether a preceding negation cancels a match
}

// Reasons are tried in this order, the one that most needs a specialist
// first: a legal threat goes to legal even when the debtor also asks for a
// person.
var escalations = []escalation{
	{acuerdo.ReasonLegal, phrases(
		`abogad[oa]s?`, `demanda(s|r|re|remos|rlos|rles|ria)?`, `los voy a demandar`, `tutela`, `derecho de peticion`,
		`superintendencia`, `habeas data`, `denuncia(r|re)?`, `fiscalia`, `juez`, `juzgado`, `proceso judicial`, `accion(es)? legal(es)?`,
		`advogad[oa]s?`, `(vou|vamos|irei) processar`, `processar (voces|vcs|voce|vc|a empresa|voces)`, `(abrir|entrar com|mover)( um)? processo`, `processo (judicial|contra)`,
		`entrar na justica`, `acao judicial`, `juizado`, `justica`,
		`lawyer`, `attorney`, `sue`, `suing`, `lawsuit`, `legal action`, `court`, `fdcpa`, `cease and desist`,
	), false},
	{acuerdo.ReasonComplaint, phrases(
		`queja(s|rme|re)?`, `reclamo`, `reclamacion`, `acoso`, `me (estan )?acosando`, `hostigamiento`, `abuso`, `abusivo`, `maltrato`,
		`profeco`, `condusef`, `defensor del consumidor( financiero)?`,
		`reclamacao`, `(vou|vamos|quero|voy a|vamos a|quiero) reclamar`, `reclamar (no|na|com|ao|ante|en la|a la)`, `procon`, `reclame aqui`, `ouvidoria`, `assedio`,
		`complaint`, `complain`, `abuse`, `abusive`, `harass(ment|ing)?`, `cfpb`, `better business bureau`,
	), false},
	{acuerdo.ReasonDispute, phrases(
		`no reconozco (esta|esa|la|dicha|este|ese|el|ningun|ninguna)( \w+)? (deuda|cobro|credito|prestamo|saldo|obligacion|cuenta|valor|monto|compra)`,
		`(esa|esta|la) deuda no es mia`, `no es mi deuda`, `no debo nada`, `yo no (le )?debo`, `no les debo`, `no tengo (ninguna )?deuda`,
		`nunca (pedi|saque|tuve|solicite|firme|abri) (un|ese|este|esa|esta|ningun|ninguna|el|la) (credito|prestamo|tarjeta|deuda|producto|cuenta)`,
		`cobro indebido`, `(robo|suplantacion) de identidad`, `fraude`,
		`nao reconheco (essa|esta|a|esse|este|o)( \w+)? (divida|cobranca|debito|emprestimo|valor|compra)`, `(essa|esta|a) divida nao e minha`,
		`isso nao e meu`, `nao e minha divida`, `nao devo nada`, `eu nao devo`, `nao tenho (nenhuma )?divida`,
		`nunca (fiz|pedi|peguei|contratei) (esse|este|essa|esta|um|uma|nenhum|nenhuma|o|a) (emprestimo|credito|cartao|divida)`, `cobranca indevida`,
		`not my debt`, `(this|that|it) (is not|isnt) (my debt|mine)`, `i (dont|do not|never) owe`, `i never (took|borrowed|signed|opened|applied)`,
		`(dont|do not) recognize (this|that|the|any)( \w+)? (debt|charge|account|loan|balance)`, `identity theft`, `fraud`, `i dispute`, `dispute (this|the|my)`,
	), false},
	{acuerdo.ReasonHardship, phrases(
		`perdi (mi|el) (trabajo|empleo)`, `me quede sin (trabajo|empleo)`, `sin (trabajo|empleo)`, `desemplead[oa]`, `me (despidieron|echaron)`,
		`estoy enferm[oa]`, `enfermedad`, `hospital`, `hospitalizad[oa]`, `cancer`, `cirugia`, `incapacidad`, `discapacidad`,
		`(mama|papa|madre|padre|esposo|esposa|marido|mujer|hijo|hija|hermano|hermana|abuelo|abuela|pareja) (murio|fallecio|se murio)`,
		`(murio|fallecio) mi`, `fallecio`, `fallecimiento`, `(estoy|estamos) de luto`,
		`no (tengo|me alcanza) (ni )?para (comer|la comida|el mercado)`, `(tuve|sufri) un accidente`, `accidente de (transito|carro|moto|trabajo)`,
		`perdi (meu|o) emprego`, `desempregad[oa]`, `fui demitid[oa]`, `estou doente`, `doenca`, `internad[oa]`,
		`(mae|pai|marido|esposa|esposo|mulher|filho|filha|irmao|irma|avo) (morreu|faleceu)`, `morreu (meu|minha)`, `faleceu`, `falecimento`,
		`(estou|estamos) de luto`, `passando fome`, `nao tenho (dinheiro )?(nem )?(para|pra) comer`, `sofri um acidente`, `acidente de (carro|moto|transito|trabalho)`,
		`lost my job`, `laid off`, `unemployed`, `got fired`, `(im|i am|been|got) (sick|ill)`, `illness`, `hospitali[sz]ed`, `surgery`,
		`passed away`, `(mom|mother|dad|father|husband|wife|son|daughter|brother|sister|child|partner|grandmother|grandfather) died`,
		`death in (my|the) family`, `funeral`, `(cant|cannot|can not) (afford|buy|pay for) (food|groceries|to eat)`,
		`disability`, `(had|was in) an? (car )?accident`,
	), true},
	{acuerdo.ReasonDebtorRequest, phrases(
		`(hablar|comunicarme|conversar|chatear|pasar|pasame|pasenme|comuniqueme|comunicame|comunica|comunique|comuniquen|pasa|pase|pasen) con (alguien|(un|una|el|la|algun|alguna) (persona|asesor|asesora|humano|agente|operador|operadora|ejecutivo|ejecutiva|funcionario|supervisor|gerente))`,
		`(quiero|necesito|pido) (un|una) (asesor|asesora|persona real|humano|agente|operador|ejecutivo)`, `persona real`, `atencion humana`,
		`(que me llamen|llamenme|me pueden llamar|me puede llamar)`,
		`falar com (alguem|(um|uma|o|a|algum|alguma) (atendente|pessoa|humano|agente|operador|consultor|consultora|gerente|supervisor))`,
		`(quero|preciso de) (um|uma) (atendente|pessoa|humano|consultor)`, `atendente humano`, `pessoa de verdade`, `me liguem`, `(me )?ligue para mim`,
		`(talk|speak|chat) (to|with) (someone|somebody|(a|an|the|some) (real |live )?(human|agent|person|representative|rep|operator|supervisor|manager)|(real|live) (human|agent|person))`,
		`real person`, `live agent`, `human agent`, `customer service`, `call me`,
		// A message that is just the word.
		`^(asesor|humano|agente|operador|atendente|human|agent|representative|operator)$`,
	), true},
}

// negations that cancel a following hardship or request phrase.
var negations = regexp.MustCompile(`\b(no|nao|not|dont|never|nunca|ni|nem)( (quiero|necesito|quero|preciso|want|need|want to|need to|estoy|estou|am|soy|sou))?( de)? $`)

// DetectEscalation reports whether an inbound message calls for a person, and
// why: "legal", "complaint", "dispute", "hardship" or "debtor_request" (the
// escalate_to_human reasons). "Ya pagué" / "I already paid" is not an
// escalation: the agent records it with report_payment; a dispute denies
// owing the debt.
func DetectEscalation(text string) (reason string, ok bool) {
	norm := normalize(text)
	for _, e := range escalations {
		for _, m := range e.pattern.FindAllStringIndex(norm, -1) {
			if e.negation && negations.MatchString(norm[:m[0]]) {
				continue
			}
			return e.reason, true
		}
	}
	return "", false
}

// thirdParty recognises someone saying they are not the debtor.
var thirdParty = phrases(
	`no soy (yo|el|ella|esa persona|la persona|quien (busca|buscan)|el titular|la titular|su cliente)`,
	`(numero|telefono|celular) equivocado`, `se equivoc(o|aron) de (numero|persona)`, `(esta|este|ese|esa) no es (su|el) (linea|numero|telefono|celular)`,
	`no es (su|el) (linea|numero|telefono|celular)`, `ya no (es su|usa este|tiene este) (numero|linea|celular)`,
	`no (conozco|se quien es) (a )?(esa persona|ese senor|esa senora|el senor|la senora)`, `no (lo|la) conozco`, `aqui no vive`,
	`nao sou (eu|ele|ela|essa pessoa|a pessoa|o titular|a titular)`, `numero errado`, `(e|foi) engano`, `nao conheco (essa pessoa|ele|ela|esse|essa)`,
	`(esse|este) numero nao e (dele|dela|do|da)`, `numero (e|eh) de outra pessoa`,
	`wrong (number|person)`, `(its|it is|this is) not me`, `not me`, `no one by that name`, `nobody (here )?by that name`,
	`(dont|do not) know (him|her|this person|that person|who that is)`, `(this|that) is not (his|her|their) (number|phone)`,
)

// A capitalised name after "no soy" / "não sou" / "I'm not" in the original
// text: "No soy Juan", "Não sou a Maria", "I'm not Robert".
var notNamed = regexp.MustCompile(`(?i:\bno soy|\bn[aã]o sou(?: [oa])?|\bi['’]?m not|\bi am not|\bthis is not|\bthis isn'?t)\s+\p{Lu}\p{Ll}+`)

// IsThirdParty reports whether the writer says they are not the debtor, so
// the agent must answer neutrally and disclose nothing.
func IsThirdParty(text string) bool {
	return thirdParty.MatchString(normalize(text)) || notNamed.MatchString(text)
}
