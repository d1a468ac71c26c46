package understand

import (
	"math/bits"
	"regexp"
	"slices"
	"strings"
)

// The lexicons. Patterns are regular expressions over Normalize's output
// (lower-case ASCII words separated by single spaces), so they are accent-
// and case-insensitive and \b marks a word boundary. They list how people
// say each thing in es, pt-BR and en; the classifier reads the rest.

// phrases compiles each pattern to match whole words. Each keeps the
// three-letter beginnings of the words it names, so that a message sharing
// none of them skips it: one alternation of hundreds of phrases costs
// milliseconds on a long voice-note message, a handful of small ones does not.
// Each also keeps the literal text every match contains (literals.go), which
// a message must hold for the pattern to be tried.
func phrases(patterns ...string) *phraseSet {
	ps := &phraseSet{}
	for _, p := range patterns {
		pt := phrase{re: regexp.MustCompile(`\b(?:` + p + `)\b`)}
		for _, w := range literalWord.FindAllString(p, -1) {
			pt.keys = append(pt.keys, w[:3])
		}
		pt.needs = needsOf(pt.re)
		ps.parts = append(ps.parts, pt)
	}
	return ps
}

// literalWord finds the literal words of a pattern.
var literalWord = regexp.MustCompile(`[a-z]{3,}`)

type phrase struct {
	re    *regexp.Regexp
	keys  []string // three-letter beginnings of its words; none: always tried
	needs needs    // literal text every match holds
	id    int      // its bit in phraseBits
}

// phraseSet is one intent's patterns.
type phraseSet struct{ parts []phrase }

// tried reports whether a message may match the phrase: it shares one of
// the phrase's keys (or the phrase has none) and holds the text every match
// holds.
func (pt *phrase) tried(words string, v *view) bool {
	return v.keyed.has(pt.id) && pt.needs.inGrams(words, &v.grams)
}

// find returns the matches of every pattern that may match.
func (ps *phraseSet) find(words string, v *view) [][]int {
	var out [][]int
	for i := range ps.parts {
		if pt := &ps.parts[i]; pt.tried(words, v) {
			out = append(out, pt.re.FindAllStringIndex(words, -1)...)
		}
	}
	return out
}

// match reports whether some pattern that may match does.
func (ps *phraseSet) match(words string, v *view) bool {
	for i := range ps.parts {
		if pt := &ps.parts[i]; pt.tried(words, v) && pt.re.MatchString(words) {
			return true
		}
	}
	return false
}

// MatchString reports whether some pattern matches.
func (ps *phraseSet) MatchString(words string) bool {
	var v view
	v.of(words)
	return ps.match(words, &v)
}

// String is the patterns' source, for the vocabulary of the spell checker.
func (ps *phraseSet) String() string {
	var b strings.Builder
	for _, pt := range ps.parts {
		b.WriteString(pt.re.String())
		b.WriteByte(' ')
	}
	return b.String()
}

// keyIndex finds the phrases that share a key with a message by looking its
// words up, instead of asking every phrase about every key.
type keyIndex struct {
	byKey   map[string][]int // key → the phrases that name it
	always  phraseBits       // the phrases with no keys
	phrases []*phrase        // by id
	ruleOf  []int            // a phrase's rule, by id
}

// keys indexes the phrases of every lexicon.
var keys = indexKeys(rules)

func indexKeys(rules []rule) *keyIndex {
	x := &keyIndex{byKey: map[string][]int{}}
	id := 0
	for ri, r := range rules {
		for i := range r.pattern.parts {
			if id == maxPhrases {
				panic("understand: more than maxPhrases lexicon phrases")
			}
			pt := &r.pattern.parts[i]
			pt.id = id
			x.phrases, x.ruleOf = append(x.phrases, pt), append(x.ruleOf, ri)
			if len(pt.keys) == 0 {
				x.always.add(id)
			}
			for _, k := range pt.keys {
				if ids := x.byKey[k]; len(ids) == 0 || ids[len(ids)-1] != id {
					x.byKey[k] = append(ids, id)
				}
			}
			id++
		}
	}
	return x
}

// maxPhrases bounds the lexicons' phrases, so that a message's bits fit
// in an array.
const maxPhrases = 1024

// phraseBits are phrases, a bit each.
type phraseBits [maxPhrases / 64]uint64

func (c *phraseBits) add(id int)      { c[id/64] |= 1 << (id % 64) }
func (c *phraseBits) has(id int) bool { return c[id/64]&(1<<(id%64)) != 0 }

// each yields the phrases in the set, by id: in the order of rules.
func (c *phraseBits) each(yield func(int) bool) {
	for i, w := range c {
		for ; w != 0; w &= w - 1 {
			if !yield(i*64 + bits.TrailingZeros64(w)) {
				return
			}
		}
	}
}

// view is what the lexicons look at in a message before trying a pattern:
// the phrases it shares a key with, and its three-byte strings.
type view struct {
	keyed phraseBits
	grams grams
}

// of looks at words: the phrases sharing a key with their three-letter
// beginnings, those with no keys, and the words' grams.
func (v *view) of(words string) {
	v.keyed = keys.always
	for w := range strings.FieldsSeq(words) {
		if len(w) >= 3 {
			for _, id := range keys.byKey[w[:3]] {
				v.keyed.add(id)
			}
		}
	}
	v.grams.of(words)
}

// rule is one intent's lexicon.
type rule struct {
	intent   Intent
	pattern  *phraseSet
	negation bool // a preceding negation cancels a match ("no estoy enfermo")
}

// shortOfMoney marks the everyday words for having no money; Read makes it
// Hardship unless the message also names a day to pay.
const shortOfMoney Intent = "short_of_money"

// optOutWords are opt-out keywords that count only when they are essentially
// the whole message: "STOP", "Baja 🙏", "cancelar por favor". Inside a sentence
// they mean other things ("quiero cancelar mi deuda", "end of month").
var optOutWords = []string{
	"baja", "parar", "alto", "cancelar", "basta", // es
	"sair", "pare", "parem", "chega", // pt (parar, cancelar above)
	"stop", "stopall", "unsubscribe", "quit", "end", "revoke", "cancel", "optout", // en
}

// fillers may surround a lone opt-out keyword without changing its meaning.
var fillers = []string{
	"por", "favor", "please", "gracias", "thanks", "thank", "you", "obrigado", "obrigada", "ok", "okay", "ya", "ja",
	"ahora", "agora", "now", "hola", "oi", "ola", "hi", "hello", "si", "sim", "yes", "all", "todo", "tudo", "ahi", "ai",
	"mas", "more", "mais", "ja", "de", "una", "vez", "now", "already", "just", "enough",
}

// isLoneOptOut reports whether the message is an opt-out keyword with at
// most some courtesy around it.
func isLoneOptOut(words string) bool {
	keyword := ""
	for _, w := range strings.Fields(words) {
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

var rules = []rule{
	{OptOut, phrases(
		// es
		`no me (vuelvan a |vuelva a |vuelvas a |sigan |siga )?(escriban|escriba|escribas|contacten|contacte|llamen|manden|envien|molesten|jodan|busquen|hablen)`,
		`no (me )?(vuelvan|vuelva|vuelvas|sigan|siga) (a |mas )?(escribir|escribiendo|contactar|mandar|mandando|molestar|molestando)`,
		`(dejen|deje|deja|dejar|paren|pare|para|basta) de (escribirme|contactarme|enviarme|mandarme|molestarme|llamarme|escribir|mandar|enviar|molestar|joder|fastidiar|acosar|spamear)`,
		`no (quiero|deseo|necesito) (recibir |que me (manden|envien|escriban) )?(mas |ningun |ningunos |estos |sus )?(mensajes|mensaje|notificaciones|whatsapps?|recordatorios|cobros por (aqui|whatsapp|este medio))`,
		`(darme|dar|doy|dame|deme|denme|dan|den|quiero) de baja`, `quiero (la )?baja`, `(cancelar|cancelen|cancela|cancelo) (la |mi |las |los )?(suscripcion|mensajes|notificaciones|envios)`,
		`(borren|eliminen|saquen|quiten|borra|elimina|quita|saca) (mi )?(numero|contacto|telefono|celular) de`, `(borren|eliminen) mi (numero|contacto|telefono)`,
		`(sacarme|sacame|saquenme|quitenme|borrenme|eliminenme|sacame) de (la|su|sus|esta|tu) (lista|base|sistema)`, `ya no (me )?(escriban|manden|molesten)`,
		`(ya )?no me (esten|este|sigan|siga) (mandando|enviando|escribiendo|molestando|marcando)`, `no mas (mensajes|msgs?|whatsapps?|spam)`, `basta de (mensajes|msgs?|whatsapps?|spam)`, `(stop|alto) (a los )?mensajes`,
		// pt
		`(nao|n) (quero|desejo) (mais )?(receber )?(mais )?(mensagens|mensagem|msgs?|notificacoes|whatsapp|cobranca por aqui|essas mensagens)`,
		`(parem|pare|parar|para) de (me )?(mandar|enviar|escrever|contatar|ligar|encher|perturbar|incomodar|mandando|enviando)`,
		`nao me (mandem|mande|enviem|envie|escrevam|escreva|contatem|contate|procurem|procure|liguem|perturbem|incomodem)( mais)?`,
		`(me )?(tire|tirem|remova|removam|exclua|excluam|tira) (da|dessa|desta|de sua|da sua) (lista|base)`, `quero sair( da lista)?`, `descadastr(ar|e|em|o)`,
		`cancelar (a )?inscricao`, `chega de (mensagem|mensagens|msgs?|cobranca)`, `(apaguem|apague) meu (numero|contato)`,
		// en
		`opt ?out`, `unsubscribe`, `stop (all|texting|messaging|sending|contacting|writing|calling|bothering|harassing|spamming|the messages|these messages|with the messages)( me)?`,
		`(dont|do not|never|stop|quit) (text|message|contact|write|call|whatsapp|bother|msg)(ing)? me`,
		`(remove|take|delete) (me|my number) (off|from)`, `no more (messages|texts|text|msgs|whatsapps?)`, `leave me alone`,
		`cancel (my )?(subscription|messages|notifications|texts)`, `(dont|do not) (want|wish) (any )?(more )?(messages|texts)`,
		`lose my number`, `(quit|stop) (texting|messaging|hitting) me`,
		// "No molesten más" needs no "me"; a profane "go away" is a stop too.
		`(ya )?(no|nao) (molesten|moleste|jodan|joda|fastidien|chinguen|encham|perturbem|incomodem|amolen)( mas| o saco| mais)?`,
		`(vete|vayanse|vayase|anda|andate|idos) a la (mierda|verga|chingada)`, `(vai|vao|va) (se foder|tomar no cu|a merda|pro inferno|pro caralho|catar coquinho)`,
		`(fuck|f|piss|bugger) (off|outta here)`, `go away`, `go to hell`,
	), false},
	{WrongNumber, phrases(
		`(numero|telefono|celular|linea) equivocad[oa]`, `equivocad[oa]s? de (numero|persona)`, `se equivoc(o|aron|an|a) de (numero|persona)`,
		`ya no es (el|su|mi) (numero|telefono|celular|linea)`, `ya no es de`, `(este|el|ese) (numero|telefono|celular) ya no es de`,
		`(este|el|ese) (numero|telefono|celular) (ahora )?es mio`, `(este|el) numero (me lo|lo) (asignaron|dieron|compre)`, `(numero|linea|chip) nuev[oa]`,
		`(compre|tengo|saque) (este|el) (numero|chip|celular) (hace|nuevo)`, `ya no (usa|tiene|ocupa) (este|ese|el) (numero|telefono|celular|linea)`,
		`(cambio|cambiaron) de numero`, `no (existe|vive) (nadie|ninguna persona|ningun)( con ese nombre)?`, `aqui no (vive|hay) (nadie|ningun)`,
		`no (hay|tengo) (ningun|ninguna) (.{1,30})? (con ese nombre|que se llame)`,
		`(esta|este|ese|esa)( \w+)? no es (su|el|de) (linea|numero|telefono|celular)`, `no es (su|el) (linea|numero|telefono|celular)`, `numero errado`, `engano`, `(esse|este|o) numero (nao e mais|agora e|ja nao e|nao e) (dele|dela|do|da|meu)`, `(esse|este) numero (agora )?e meu`,
		`(numero|chip) novo`, `nao (tem|existe|mora) ninguem (aqui )?com (esse|este) nome`, `(trocou|mudou) de numero`, `numero (e|eh) de outra pessoa`,
		`wrong (number|person|guy|girl|contact)`, `no one (here )?(by|with|named) that name`, `nobody (here )?(by|with|named) that name`,
		`(this|that) is not (his|her|their|his or her) (number|phone)( anymore)?`, `(this|its) my number now`, `(new|recycled|reassigned) number`,
		`(got|have|had|bought) this (number|phone number|sim)`, `(this|that|it) (is not|isnt) (his|her|their) (number|phone)`, `(number|phone) (is not|isnt) (his|hers|theirs) anymore`, `(doesnt|does not) (live|have this number) here`,
		`no longer (his|her|their) (number|phone)`, `you have the wrong`,
		// Whoever does not know the debtor has the wrong number, whatever
		// else they say: the reply promises not to write again, and no word
		// about the debt reaches them.
		`no (lo|la) conozco`, `no (conozco|se quien es|se quien sea|tengo idea (de )?quien es) (a )?(esa persona|ese senor|esa senora|el senor|la senora|ese man|ese tipo|esa muchacha|ese muchacho)`,
		`no conozco (a )?(ningun|ninguna|ningun senor|ninguna senora|nadie)`, `(quien|quienes) (es|son) (ese|esa) (senor|senora|persona|man|tipo|man)`,
		`nao (conheco|sei quem e) (essa pessoa|ele|ela|esse cara|essa mulher|esse homem|esse senhor|essa senhora|nenhum|nenhuma|ninguem)`, `(vcs|voces|voce) (erraram|errou|se enganaram|se enganou)( o| de)? (numero|pessoa)`, `(erraram|errou) (o|de) numero`,
		`(dont|do not|never) (know|heard of) (him|her|this person|that person|who that is|anyone (by|with) that name|anybody (by|with) that name)`,
		`(este|ese|el|esse|o|this|that) (numero|telefono|celular|cel|whatsapp|telefone|number|phone|cell)( (ya|ahora|mais|ja))? (no|nao|is not|isnt) ((es|e|eh) )?(de|do|da|del|his|hers)`,
		`(no|nao) (vive|mora) (nadie|ninguem|ningun|ninguna)?( \w+)? ?(aqui|aca|aki)`, `^(no|nao) (es|e) (aqui|aca)$`, `(nobody|no one|noone) (by|with|named|called) (that|this) name`,
		`^(\w+ )?(creo que |parece que |ustedes )?se (equivocaron|equivoco|confundieron)( (de )?(numero|persona|contacto|whatsapp))?$`, `^(wrong|equivocad[oa]|errad[oa]|engano|numero errado)$`,
	), false},
	{ThirdParty, phrases(
		`no soy (yo|el|ella|esa persona|la persona|quien (busca|buscan)|el titular|la titular|su cliente|el deudor|la deudora|quien debe)`,
		`(soy|habla|le habla|te habla|les habla|escribe|le escribe) (la|el|su) (mama|papa|madre|padre|esposa|esposo|marido|mujer|hija|hijo|hermana|hermano|tia|tio|abuela|abuelo|prima|primo|novia|novio|pareja|suegra|suegro|nuera|yerno|cunada|cunado|sobrina|sobrino|vecina|vecino|amiga|amigo|jefa|jefe|secretaria|companera|companero)( de)?`,
		`(escribo|llamo|hablo|pregunto|contesto|respondo) (por|de parte de|en nombre de) (mi|el|la) `, `de parte de (mi|su) (mama|papa|madre|padre|esposa|esposo|marido|mujer|hija|hijo|hermana|hermano)`,
		`(el|ella) (no esta|esta (trabajando|ocupad[oa]|de viaje|hospitalizad[oa]|preso|en el hospital))`,
		`(este|esta) (es el )?(celular|telefono|numero) (es )?de (mi|su) (mama|papa|madre|padre|esposa|esposo|marido|mujer|hija|hijo|hermana|hermano)`,
		`(le|les) (paso el mensaje|doy el recado)`,
		`nao sou (eu|ele|ela|essa pessoa|a pessoa|o titular|a titular|o devedor|a devedora|quem voces procuram)`,
		`(sou|aqui e|quem fala e|fala) (a|o) (mae|pai|esposa|esposo|marido|mulher|filha|filho|irma|irmao|tia|tio|avo|prima|primo|namorada|namorado|sogra|sogro|cunhada|cunhado|vizinha|vizinho|amiga|amigo|patroa|patrao|chefe)( dele| dela| do| da)?`,
		`(estou|to) (escrevendo|falando) (pela|pelo|por) (minha|meu|ele|ela)`, `ele (nao esta|ta preso|esta viajando)`,
		`(esse|este) (celular|numero|telefone) e (da|do) (minha|meu) (mae|pai|esposa|marido|filha|filho|irma|irmao)`, `(eu )?(aviso|falo|passo o recado) (pra|para) (ele|ela)`,
		`(im|i am|this is) (his|her|their|the debtors|the) (mom|mother|dad|father|wife|husband|daughter|son|sister|brother|aunt|uncle|grandmother|grandfather|girlfriend|boyfriend|partner|roommate|neighbor|neighbour|friend|boss|cousin|niece|nephew|caretaker|caregiver)`,
		`(calling|writing|texting|messaging|asking|answering) (for|on behalf of) (my|his|her) `, `on behalf of (my|his|her) `, `(its|it is|this is) not me`, `not me`,
		`(he|she) (is not|isnt) (here|available|home)`, `ill (tell|let) (him|her)`,
		// The debtor died: whoever tells it is someone else (a person follows
		// up, with the hardship lexicon's bereavement).
		`(el|ella|ele|ela|he|she|el titular|la titular|el senor|la senora|o titular|a titular|o senhor|a senhora) (ya )?(fallecio|murio|se murio|faleceu|morreu|died|passed away|passed|has passed|has died|is dead|esta muert[oa]|ta mort[oa]|esta mort[oa]|e falecid[oa])`,
		`(es|era|e|was|is) (fallecid[oa]|falecid[oa]|finad[oa]|deceased)`,
		// The holder spoken of by someone else: "ella era la titular", "a titular é minha mãe".
		`(el|ella|ele|ela|he|she) (era|es|fue|foi|e|was|is) (el |la |o |a |the )?(titular|deudor|deudora|devedor|devedora|account holder|cliente)`,
		`(el|la|o|a|the) (titular|account holder) (es|era|e|is|was) (mi|minha|meu|my)`,
		// Someone answers for a debtor who cannot: in jail, in hospital, away.
		`(hes|he is|shes|she is|theyre|they are) (in jail|in prison|locked up|incarcerated|in the hospital|hospitalized|deployed|abroad|out of the country)`,
		`(no|nao) (puede|pode|consegue) (contestar|responder|atender)`, `(he|she) (cant|cannot|can not) (answer|talk|respond|reply|text|come to the phone)`,
		`(soy|sou|i am|im) (mama|papa|madre|padre|esposa|esposo|marido|mujer|hija|hijo|hermana|hermano|mae|pai|mulher|filha|filho|irma|irmao|wife|husband|mother|father|mom|dad|son|daughter|sister|brother) (de|do|da|dele|dela|of)`,
		`(this|that|its|it is) (is )?(my|his|her) (mom|mother|dad|father|wife|husband|son|daughter|sister|brother|boyfriend|girlfriend|partner)s? (number|phone|cell)`,
	), false},
	{Legal, phrases(
		`abogad[oa]s?`, `licenciad[oa] en derecho`, `demanda(s|r|re|remos|rlos|rles|ria|do)?`, `los voy a demandar`, `tutela`, `derecho de peticion`,
		`habeas data`, `denuncia(r|re|rlos)?`, `fiscalia`, `juez`, `jueza`, `juzgado`, `proceso judicial`, `accion(es)? legal(es)?`, `via legal`, `ministerio publico`,
		`(abogado|licenciado) (de|del) consumidor`, `ley de (proteccion|habeas)`, `ilegal`, `prescrit[oa]`, `prescripcion`,
		`advogad[oa]s?`, `(vou|vamos|irei) (te |os |lhes )?processar`, `processar (voces|vcs|voce|vc|a empresa)`, `(abrir|entrar com|mover)( um)? processo`, `processo (judicial|contra)`,
		`entrar na justica`, `acao judicial`, `juizado`, `justica`, `defensoria publica`, `ministerio publico`, `boletim de ocorrencia`, `delegacia`,
		`lawyer`, `attorney`, `sue`, `suing`, `lawsuit`, `legal action`, `court`, `fdcpa`, `cease and desist`, `small claims`, `legal aid`, `statute of limitations`, `time barred`,
	), false},
	{Complaint, phrases(
		`queja(s|rme|re)?`, `reclamo`, `reclamacion`, `acoso`, `acosando`, `acosador`, `hostiga(miento|ndo|n)`, `abuso`, `abusivo`, `maltrato`, `grosero`, `groseria`,
		`(sic|superfinanciera|superintendencia( financiera| de industria)?|profeco|condusef|defensor(ia)? del consumidor( financiero)?|buro de entidades financieras|redeco|sernac|indecopi)`,
		`pqrs?`, `reportar(los|las)? (a|con|ante)`, `los voy a reportar`, `(esto|eso) (es|es un) (robo|abuso|acoso)`, `mala atencion`, `pesimo servicio`, `falta de respeto`,
		`reclamacao`, `(vou|vamos|quero|voy a|vamos a|quiero) reclamar`, `reclamar (no|na|com|ao|ante|en la|a la|en)`, `procon`, `reclame aqui`, `reclameaqui`, `ouvidoria`, `assedio`,
		`banco central`, `bacen`, `consumidor gov`, `consumidor gov br`, `senacon`, `denunciar (voces|a empresa)`, `falta de respeito`, `constrangimento`, `abusiv[oa]`,
		// Name-calling is anger a person should answer, not the menu.
		`(ladrones|ladron|rateros|estafadores|usureros|sinverguenzas|extorsionadores|delincuentes|malparidos|hijueputas|gonorreas|hdp|hps|hijos de (puta|perra)|pendejos|imbeciles|idiotas|estupidos|cabrones|ratas|buitres|abusivos)`,
		`(ladroes|ladrao|safados|vagabundos|golpistas|picaretas|caloteiros|agiotas|filhos da puta|fdp|otarios|imbecis|babacas|sanguessugas)`, `(encheu|encher|enchendo) o saco`, `saco cheio`,
		`(thieves|crooks|scammers|scumbags|bloodsuckers|leeches|idiots|morons|assholes|loan sharks|vultures)`, `(fuck|f) (you|u|this|yourselves|your company)`, `sick (and tired )?of (you|this|these|your)`,
		// Contact too often, or at work: the frequency rules' business.
		`(keep|keeps|kept) (calling|texting|messaging|bugging|bothering) me`, `(calling|texting|messaging) me (at work|all day|every day|nonstop|at night|every hour)`,
		`me (llaman|escriben|marcan|mandan mensajes) (todo el dia|a cada rato|a toda hora|cada rato|en el trabajo|a cada momento|de noche|varias veces al dia)`,
		`(me ligam|me ligando|me mandam mensagem|me mandando mensagem) (toda hora|o dia todo|o tempo todo|no trabalho|de madrugada|toda hora do dia)`,
		`complaint`, `complain(ing)?`, `abuse`, `abusive`, `harass(ment|ing|ed)?`, `cfpb`, `consumer (financial )?protection`, `better business bureau`, `bbb`,
		`attorney general`, `ftc`, `report (you|this|your company)`, `unprofessional`, `rude`,
	), false},
	{Dispute, phrases(
		`no reconozco (esta|esa|la|dicha|este|ese|el|ningun|ninguna|esas|esos|estos|estas)( \w+)?( \w+)? (deuda|deudas|cobro|credito|prestamo|saldo|obligacion|cuenta|valor|monto|compra|cargo)`,
		`(esa|esta|la) deuda no es mia`, `no es mi deuda`, `no debo nada`, `yo no (le |les )?debo`, `no les debo`, `no tengo (ninguna )?deuda`, `(eso|esto) no es mio`,
		`nunca (pedi|saque|tuve|solicite|firme|abri|use|compre|contrate) (un|ese|este|esa|esta|ningun|ninguna|el|la|nada)( \w+)? ?(credito|prestamo|tarjeta|deuda|producto|cuenta)`, `nunca (pedi|saque|solicite|firme|contrate) nada`, `no (hice|pedi|saque|firme|contrate|solicite) (ninguna|ningun|esa|ese|esta|este)( \w+)? (compra|credito|prestamo|tarjeta|deuda|cuenta|contrato)`,
		`cobro indebido`, `(robo|suplantacion|usurpacion) de identidad`, `(se hizo|se hicieron|se hace) pasar por mi`, `(a|en) mi nombre`, `(usaron|uso|usan|tomaron|clonaron|robaron) mis? (datos|documentos|identidad|papeles|nombre|cedula|tarjeta|ine|dni|firma)`, `(cifra|cantidad|monto|valor|saldo|cobro|suma|numero|total|cuenta)( \w+){0,5} (esta |estan |es |son )?(equivocad[oa]s?|errad[oa]s?|incorrect[oa]s?|mal|erroneo|erronea|inflad[oa])`, `no (es|son) (correcto|correcta|real|cierto)`, `fraude`, `me suplantaron`, `(usaron|robaron) mis (datos|documentos)`, `me robaron (la cedula|los documentos|mis datos|la identidad)`,
		`(monto|valor|saldo|cobro|cuota) (esta )?(mal|equivocad[oa]|incorrect[oa]|erroneo|inflad[oa])`, `no (es|son) (lo que|eso lo que) (debo|les debo)`, `me (estan )?cobrando (de mas|demas|doble|algo que)`, `cobr(o|aron|an) (de mas|doble)`, `no (me )?corresponde`,
		`nao reconheco (essa|esta|a|esse|este|o|nenhuma|nenhum)( \w+)? (divida|cobranca|debito|emprestimo|valor|compra|conta)`, `(essa|esta|a) divida nao e minha`,
		`isso nao e meu`, `nao e minha divida`, `nao devo nada`, `eu nao devo`, `nao tenho (nenhuma )?divida`,
		`nunca (fiz|pedi|peguei|contratei|tive|assinei) (esse|este|essa|esta|um|uma|nenhum|nenhuma|o|a)( \w+)? ?(emprestimo|credito|cartao|divida|conta)`, `cobranca indevida`, `(nao|n) (fiz|pedi|contratei|assinei|peguei|tenho) (nenhum|nenhuma|esse|essa|este|esta)( \w+)? (compra|emprestimo|credito|cartao|divida|conta|contrato)`,
		`(valor|cobranca|conta|saldo|quantia|cifra)( \w+){0,4} (esta |ta |e )?(errad[oa]|indevid[oa]|abusiv[oa]|incorret[oa])`, `(usou|usaram|pegaram|clonaram|roubaram) (meu|meus|minha|minhas) (documentos|documento|dados|nome|cpf|identidade|rg)`, `(no|em) meu nome`, `se passou por mim`, `clonaram`, `(e|isso e|isso e um|e um) golpe`, `usaram (meu|meus) (nome|cpf|dados|documentos)`,
		`not my (debt|loan|account)`, `(this|that|it) (is not|isnt) (my debt|mine|my loan)`, `i (dont|do not|never) owe`, `i never (took|borrowed|signed|opened|applied|had)`,
		`(dont|do not|doesnt) recognize (this|that|the|any)( \w+)? (debt|charge|account|loan|balance)`, `identity theft`, `fraud`, `fraudulent`, `scam`, `i dispute`, `dispute (this|the|my)`,
		`(amount|balance|charge) is (wrong|incorrect|not right)`, `wrong amount`, `stolen identity`, `(someone|somebody|they) (used|stole|took|opened|took out)`, `in my name`, `(pretended|pretending) to be me`, `(amount|balance|charge|figure|number|total|bill)( \w+){0,4} (is |are |looks )?(wrong|incorrect|not right|off|inflated)`,
	), false},
	{Hardship, phrases(
		// es: work and money
		`perdi (mi|el) (trabajo|empleo|chamba|negocio)`, `me quede sin (trabajo|empleo|chamba|chamba|ingresos|plata|dinero|sueldo)`, `sin (trabajo|empleo|chamba)`,
		`desemplead[oa]`, `me (despidieron|echaron|corrieron|liquidaron|botaron)`, `(me )?(recortaron|redujeron|bajaron|quitaron) (las |mis )?(horas|turnos|sueldo|salario)`,
		`(cerro|quebro|cerraron|quebraron) (la empresa|el negocio|mi negocio|la fabrica|la tienda|el local|mi trabajo)`, `(empresa|fabrica|negocio|tienda|local|restaurante|oficina|planta)( \w+){0,4} (cerro|quebro|cerraron|quebraron)`, `(redujeron|recortaron|bajaron|rebajaron) (mi |el )?(sueldo|salario|pago|horario)`, `no me (han )?pagad[oa]`, `no me pagan`, `(estoy|ando) (muy )?(mal|apretad[oa]|quebrad[oa]) (de|con) (plata|dinero|la plata)`,
		`no (tengo|me alcanza|alcanzo) (ni )?(para|pa) (comer|la comida|el mercado|la renta|el arriendo|los pasajes)`, // es: health, family, life
		`(estoy|ando|estuve) (enferm[oa]|hospitalizad[oa]|internad[oa]|incapacitad[oa]|en (el )?hospital|en tratamiento|en quimio|en reposo|en cama|embarazada|de licencia)`,
		`enfermedad`, `hospital`, `clinica`, `cancer`, `cirugia`, `(tuve|me hicieron|despues de|recuperandome de|recuperando de|me van a hacer|me hacen) (una|la) operacion`, `me (operaron|van a operar|internaron|hospitalizaron)`, `incapacidad`, `discapacidad`, `quimio(terapia)?`, `dialisis`,
		`diabet(es|ico|ica)`, `infarto`, `derrame`, `tumor`, `depresion`, `ansiedad`, `covid`, `fractur(a|e)`, `(tuve|sufri|un|del|de|en) accidente`, `embarazo`, `parto`, `dengue`,
		`(mama|papa|madre|padre|esposo|esposa|marido|mujer|hijo|hija|hermano|hermana|abuelo|abuela|pareja|bebe|nino|nina) (murio|fallecio|se murio|esta (enferm[oa]|hospitalizad[oa]|grave|internad[oa]))`,
		`(murio|fallecio|perdi a) mi`, `fallecio`, `(el|ella|ele|ela|he|she) (ya )?(se murio|murio|morreu|died|is dead|esta muert[oa]|ta mort[oa]|esta mort[oa])`, `fallecimiento`, `(estoy|estamos) de luto`, `funeral`, `velorio`, `entierro`, `sepelio`,
		`(mi )?(esposo|esposa|marido|mujer|pareja|novio|novia) (me )?(dejo|abandono|se fue|me abandono)`, `me (separe|divorcie|abandono|dejo sol[oa])`, `divorcio`, `separacion`,
		`(me )?(robaron|asaltaron)`, `(se )?(inundo|quemo|incendio) (mi|la) casa`, `(inundacion|incendio|terremoto|huracan)`, `(madre|padre) soltera?`, `cuido (a )?mi (mama|papa|hijo|hija)`,
		`(no puedo|no he podido) trabajar`, `situacion (muy )?(dificil|complicada|critica)`, `(mala|dificil) racha`, `(muy )?dificil (situacion|momento)`, `estoy pasando (por )?(un )?(mal|dificil)`,
		// pt
		`perdi (meu|o) (emprego|trabalho|servico)`, `(estou|to|fiquei) (desempregad[oa]|sem (emprego|trabalho|servico|renda|dinheiro))`, `fui (demitid[oa]|mandad[oa] embora)`, `me (demitiram|mandaram embora)`,
		`(cortaram|reduziram|diminuiram|baixaram|abaixaram) (minhas |as |meu |o )?(horas|salario|turno|pagamento|ganho)`, `(empresa|fabrica|loja|firma|comercio)( \w+){0,4} (fechou|faliu|quebrou)`, `(estou|to|fiquei) (doente|internad[oa]|hospitalizad[oa]|gravida|de atestado|afastad[oa]|encostad[oa])`, `doenca`, `cirurgia`,
		`(mae|pai|marido|esposa|esposo|mulher|filho|filha|irmao|irma|avo) (morreu|faleceu|esta (doente|internad[oa]))`, `morreu (meu|minha)`, `faleceu`, `falecimento`, `enterro`, `velorio`,
		`(estou|estamos) de luto`, `passando (fome|necessidade|dificuldade|aperto)`, `nao tenho (dinheiro )?(nem )?(para|pra) (comer|o aluguel|a comida)`, `(sofri|tive) um acidente`,
		`(meu )?(marido|esposo|esposa|mulher|namorad[oa]) (me )?(largou|deixou|abandonou|foi embora)`, `me separei`, `(situacao|fase) (muito )?(dificil|complicada|apertada)`, `(fui )?assaltad[oa]`,
		`(operei|fui operad[oa]|vou operar)`, `(tratamento|quimioterapia|hemodialise)`, `licenca maternidade`, `(nao posso|nao consigo) trabalhar`, `sem renda`, `empresa (fechou|faliu)`,
		// en
		`lost my (job|work|income|business)`, `laid off`, `unemployed`, `out of work`, `got fired`, `(im|i am|been|got|was) (very |really )?(sick|ill|in the hospital|hospitalized|pregnant|on disability|on leave)`,
		`illness`, `hospitali[sz]ed`, `hospital`, `surgery`, `(had|having|after|recovering from) (an|my|the) operation`, `chemo(therapy)?`, `cancer`, `dialysis`, `disability`, `medical (bills|leave|emergency)`,
		`passed away`, `(mom|mother|dad|father|husband|wife|son|daughter|brother|sister|child|partner|grandmother|grandfather|baby) (died|is sick|is in the hospital)`,
		`death in (my|the) family`, `funeral`, `(cant|cannot|can not) (afford|buy|pay for) (food|groceries|to eat|rent)`, `(had|was in) an? (car )?accident`,
		`(hours|shifts|pay|wages|salary) (got |were |was |have been |has been )?(cut|reduced|slashed)`, `(company|factory|store|shop|business|plant|restaurant)( \w+){0,4} (closed|shut down|went under)`, `(cut|reduced) my (hours|shifts|pay)`, `(wife|husband|partner|boyfriend|girlfriend) (left|walked out)`, `(divorce|separated|separation)`,
		`(going|been going) through (a lot|a hard time|hard times|a rough patch|some stuff)`, `hard times`, `struggling`, `(im|i am|totally|completely|flat|so|dead) broke`, `evicted`, `eviction`, `homeless`,
		`(house|home|apartment) (burned|flooded)`, `(hurricane|flood|wildfire)`, `(cant|cannot) work`, `single (mom|mother|dad|father)`, `(got|been) robbed`,
	), true},
	// Short of money, in everyday words: hardship, unless the same message
	// names the day they will pay ("no tengo plata hoy, el viernes sí").
	{shortOfMoney, phrases(
		`no (tengo|tenemos|hay) (nada de )?(plata|dinero|lana|billete|feria|un peso|ni un peso|ni un centavo|ni un quinto|ingresos|trabajo|empleo|chamba|con que pagar|como pagar)`,
		`(ando|estoy|quede|me quede|estamos|andamos) (muy |bien |super )?(cort[oa]s?|apretad[oa]s?|pelad[oa]s?|quebrad[oa]s?|en la ruina|sin un peso|sin plata|sin dinero|sin lana|sin un centavo|sin un quinto|limpi[oa])( de (plata|dinero|lana|billete))?`,
		`(nao|n) (tenho|temos|tem) (nenhum |nem um )?(dinheiro|grana|renda|real|emprego|trabalho|como pagar)`, `sem (grana|dinheiro|um real|trampo|emprego|trabalho|renda)`,
		`(estou|to|tou|ando|fiquei|estamos|tamo|tamos|ta) (muito |bem |super |mt )?(apertad[oa]s?|quebrad[oa]s?|lis[oa]|dur[oa]|na pior|zerad[oa]|sem grana|sem dinheiro|no vermelho|endividad[oa])`,
		`(dont|do not|didnt) have (any |the )?(money|cash|income|a job|the money)`, `(have|got) no (money|cash|income|job)`, `(out of|low on|short on|short of|tight on) (money|cash|funds)`,
		`(money|things|cash) (is|are|s|has been|have been) (really |very |so |super )?(tight|short)`, `(cant|cannot) make ends meet`, `between jobs`, `living paycheck to paycheck`,
	), true},
	{Human, phrases(
		`(hablar|comunicarme|conversar|chatear|pasar|pasame|pasenme|comuniqueme|comunicame|comunica|comunique|comuniquen|pasa|pase|pasen|contactar|comunicar|conectame|conectenme|transferir|transfiere|transfieranme) (con|a) (alguien|(un|una|el|la|algun|alguna|otra) (persona|asesor|asesora|humano|humana|agente|operador|operadora|ejecutivo|ejecutiva|funcionario|funcionaria|supervisor|supervisora|gerente|encargado|encargada|empleado|empleada|ser humano))`,
		`(quiero|necesito|pido|dame|deme|quisiera|prefiero) (un|una|a un|a una|con un|con una|hablar con un|hablar con una) (asesor|asesora|persona|humano|agente|operador|ejecutivo|ser humano)`,
		`persona real`, `persona de verdad`, `(un|una) (humano|ser humano|persona) (por favor|porfa|ya)`, `atencion (humana|personalizada)`, `no (quiero|me gusta) (hablar|chatear) con (un )?(robot|bot|maquina|contestadora)`,
		`(eres|es) (un )?(robot|bot|maquina)`, `(hay|habra) alguien (ahi|real)`, `(hay|habra) (alguna )?persona`, `(un|con un) (asesor|humano|agente)`,
		`falar com (alguem|(um|uma|o|a|algum|alguma) (atendente|pessoa|humano|agente|operador|operadora|consultor|consultora|gerente|supervisor|funcionario|ser humano))`,
		`(quero|preciso de|queria) (um|uma|falar com um|falar com uma) (atendente|pessoa|humano|consultor|ser humano)`, `atendente`, `atendimento humano`, `pessoa de verdade`, `pessoa real`,
		`(nao|n) (quero|gosto de) (falar|conversar) com (robo|bot|maquina)`, `(voce )?(e|eh) (um )?(robo|bot)`, `(tem|existe|ha) alguem (ai|real|de verdade)`, `alguem de verdade`, `me (passa|transfere) (pra|para) (alguem|um atendente|uma pessoa)`,
		`(talk|speak|chat) (to|with) (someone|somebody|anyone|a human|(a|an|the|some|your) (real |live |actual )?(human|agent|person|representative|rep|operator|supervisor|manager|employee|somebody)|(real|live|actual) (human|agent|person))`,
		`real person`, `live (agent|person|human|chat|rep)`, `(transfer|connect|pass|forward|escalate) me (to|with)`, `(transfiere|transfieran|pasen|conecten|comuniquen|passa|transfere|passe) (me |la llamada )?(a|con|pra|para)`, `(que me atienda|me atienda|me atiendan|me atenda) (una persona|alguien|un humano|un asesor|um atendente|uma pessoa|alguem)`, `human (agent|being)`, `actual (human|person)`, `customer (service|support)`, `representative`,
		`(are you|is this) (a )?(bot|robot|machine|real)`, `(not|dont want to) (talk|speak|chat) (to|with) (a )?(bot|robot|machine)`, `(get|give|put) me (a |an |to a |to an |through to a |through to an )?(human|person|agent|rep|operator)`,
		`(humano|humana|human|robot|robo|bot|maquina|machine)`,
		// A message that is just the word.
		`^(asesor|asesora|humano|agente|operador|persona|atendente|human|agent|representative|operator|person|rep)$`,
	), true},
	{Callback, phrases(
		`(que me llamen|llamenme|llamame|me (pueden|puede|podrian|podria) llamar|me llaman|me llamas|marcame|marquenme|una llamada|por telefono|hablar por telefono)`,
		`me (liguem|ligue|ligar|ligam|liga)`, `(ligue|liga|liguem) (para mim|pra mim)`, `(uma )?ligacao`, `por telefone`,
		`call me`, `(give|gimme) me a call`, `(can|could) (you|someone|somebody) call`, `phone call`, `call (me )?back`, `callback`, `ring me`,
	), true},
	{Balance, phrases(
		`cuanto (debo|le debo|les debo|es lo que debo|tengo que pagar|me falta|falta|es la deuda|es mi deuda|seria|es el total|sale|es)`, `(mi|el) saldo`, `saldo (pendiente|total|actual)`,
		`cuanto (estoy )?debiendo`, `(que|cual) (es )?(mi|la) deuda`, `(estado de cuenta|estado de mi cuenta)`, `cuanto (va|van) a cobrar`, `(valor|monto) (de|a pagar|total|de la deuda)`,
		`quanto (devo|eu devo|e|ta|esta|falta|fica|tenho que pagar|e a divida|e minha divida)`, `(meu|o) saldo`, `(qual|quanto) (e )?(o valor|minha divida|a divida)`, `valor (total|da divida|atualizado)`,
		`how much (do i owe|i owe|is (it|my debt|the debt|my balance|the balance|left|the total)|do i have to pay|do i need to pay|is owed)`, `(my|the) balance`, `what do i owe`, `(amount|total) (due|owed)`,
	), false},
	{PayLink, phrases(
		`(quiero|quisiera|voy a|puedo|necesito|deseo|me gustaria) (pagar|abonar|cancelar|saldar|liquidar)`, `(link|enlace|liga|vinculo) (de|para) pago`, `(mandame|enviame|pasame|manda|envia|pasa|mande|envie|me mandas|me envias|me pasas) (el|un|la)? ?(link|enlace|liga)`,
		`(como|donde|por donde) (puedo |le )?(pago|pagar|deposito|depositar|hago el pago|transfiero)`, `(cuenta|numero de cuenta|clabe|datos) para (pagar|depositar|transferir|consignar|hacer el pago|la consignacion)`, `pagar (todo|el total|ya|hoy|ahora|lo vencido|la cuota)`,
		`(quero|queria|vou|posso|preciso|gostaria de) (pagar|quitar)`, `(link|boleto|pix|codigo) (de|para|pra) pagamento`, `(manda|envia|me manda|me envia|mande|passa) (o )?(link|boleto|pix|codigo)`,
		`(como|onde) (eu )?(pago|faco o pagamento|posso pagar)`, `chave pix`, `boleto`, `(quitar|pagar) (a divida|tudo|o total)`,
		`(want|like|need|ready|going) to pay`, `(send|give|text) me (the |a )?(link|payment link)`, `payment link`, `(how|where) (can|do) i pay`, `pay (it )?(off|now|today|in full|the total|everything)`, `(i ?ll|let me) pay`,
	), false},
	{DateChange, phrases(
		`(cambiar|mover|correr|pasar|aplazar|posponer|postergar|extender|prorrogar|cambiame|muevame|muevanme|correme|pasame) (la |mi |el )?(fecha|pago|vencimiento|dia de pago|cuota)`, `(otra|nueva) fecha`, `mas (tiempo|plazo|dias)`,
		`(prorroga|aplazamiento|extension)`, `(me )?(pueden|puede|podrian|podes|puedes) (dar|esperar) (hasta|unos dias|mas tiempo|un poco)`, `(esperenme|espereme|esperame|aguantenme|aguantame) (hasta|unos|un)`,
		`(mudar|trocar|adiar|prorrogar|passar|empurrar|estender) (a |o |minha )?(data|vencimento|pagamento|dia)`, `(outra|nova) data`, `mais (prazo|tempo|uns dias)`, `(prorrogacao|adiamento)`,
		`(me )?(esperar|esperem|espera) (ate|uns dias)`,
		`(change|move|push|postpone|extend|delay|reschedule|shift) (my |the )?(due )?(date|payment|deadline)`, `(more|extra) time`, `(an|a) extension`, `(new|different|later) (date|day)`, `(can|could) (you|it|i) wait`, `pay (it )?(later|next month|at the end of the month)`,
		`pagar (lo |la |mas )?(despues|mas tarde|el otro mes|el mes que viene|a fin de mes)`, `pagar (mais tarde|depois|mes que vem|no fim do mes)`,
	), false},
	{Pause, phrases(
		`pausa(r)?`, `(congelar|suspender|detener|frenar|parar) (los )?(cobros|pagos|la cuenta|el credito)`, `(unos|algunos) dias (sin|de) (cobro|cobros|mensajes|respiro)`, `un respiro`, `(dame|denme|deme) (unos|un par de) dias`, `(dame|denme|deme|me das|me da|me dan|me pueden dar|me puede dar|me podrian dar) (una|un par de|unas|dos|tres|\d+) (semana|semanas|dias)( mas)?`,
		`pausar`, `(congelar|suspender) (a |as )?(cobranca|cobrancas|pagamentos|divida)`, `(uns|alguns) dias (sem|de) (cobranca|folga)`, `(me )?(dar|de|deem) uns dias`, `(preciso|necessito|necesito|i need|need) (de )?(\w+ )?(dias|semanas?|days|weeks)( a mais| mas| more)?`, `(me )?(da|de|deem|dao|dar) (uma|umas|uns|duas|dois|tres|\d+) (semana|semanas|dias)( a mais)?`, `uma pausa`,
		`pause`, `(freeze|suspend|hold off) (the |my )?(payments|collections|account|debt)`, `(a|some) (few )?days (off|of break|to breathe)`, `(give|gimme) me (a few|some) days`, `(give|gimme|get|have) (me )?(a|one|two|three|\d+|a couple( of)?|a few) (more )?(week|weeks|days)`, `breathing room`, `(a )?break from (payments|paying)`,
	), false},
	{Plan, phrases(
		`(plan|acuerdo|convenio|arreglo) de (pago|pagos)`, `(en|a) (\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|varias|unas) (cuotas|partes|pagos|mensualidades|meses|quincenas)`,
		`(pagar|pago|dividir|diferir|financiar) (en|por) (cuotas|partes|pagos|mensualidades|meses)`, `cuotas`, `(plan|planes) de (cuotas|pago)`, `por partes`, `a plazos`, `mensualidades`, `diferir`, `refinanci(ar|acion)`,
		`parcel(ar|amento|ado|as|inha|inhas)`, `(em|de) (\d+|duas|dois|tres|quatro|cinco|seis|sete|oito|nove|dez|onze|doze|varias) ?(x|vezes|parcelas|prestacoes|meses)`, `\d+ ?x\b`, `(fazer|um|o|quero) acordo`, `negociar`, `negociacao`, `renegoci(ar|acao)`,
		`payment plan`, `installments?`, `(in|over) (\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|a few) (payments|installments|months|parts)`, `split (it|the payment|the balance)`,
		`(monthly|weekly) payments`, `pay (it |this |the balance )?(monthly|weekly|every month|each month|per month|by the month)`,
		`pagar(lo|la)? (mensualmente|mensual|cada mes|por mes|semanal|cada semana|por semana|por quincena)`, `pagar (mensal|por mes|todo mes|cada mes|por semana)`, `\d+ (dollars |bucks )?(a|per|each|every) month`, `\d+ (mil |pesos |reais )?(al|por|cada|todo) (mes|mes)`, `pay (it )?(in|over) (parts|time|installments)`, `little by little`, `bit by bit`, `poco a poco`, `poquito a poquito`, `de a poco`, `de a poquito`, `de a poquitos`, `aos poucos`, `aos pouquinhos`, `pouco a pouco`,
	), false},
	{Promise, phrases(
		`(te|les|le) (pago|deposito|transfiero|abono|cancelo) (el|la|este|esta|mañana|manana|hoy|en|antes|a fin|el dia|la proxima|el proximo)`, `(pago|pagare|voy a pagar|puedo pagar|podria pagar|pagaria|deposito|abono) (el|la|este|esta|manana|hoy|en|antes|a fin|el dia|la proxima|el proximo|el resto|lo demas|\d+)`,
		`(me comprometo|prometo|sin falta|les prometo)`, `(el resto|lo demas|lo que falta) (el|la|en|para|a fin)`,
		`(pago|vou pagar|posso pagar|pagaria|pagarei|deposito|transfiro) (dia|na|no|amanha|hoje|semana|sexta|segunda|terca|quarta|quinta|sabado|o resto|\d+)`, `(prometo|sem falta|me comprometo)`, `(o resto|o restante) (dia|no|na|em|para)`,
		`(i ?ll|i will|i can|i could|let me|going to|gonna) pay (\w+ )?(on|by|next|this|tomorrow|today|friday|monday|tuesday|wednesday|thursday|saturday|sunday|in|at|the rest|\d+)`, `(i )?promise`, `the rest (on|by|next|in)`,
	), false},
	{PaymentRep, phrases(
		`ya (le |les |te )?(pague|pagamos|cancele|deposite|transferi|hice el pago|realice el pago|abone|consigne)`, `(pague|deposite|transferi|consigne|abone) (ayer|hoy|el|la|esta|antier|anoche|hace)`, `comprobante`, `(el|un|mi|del|este|ese|o|um|meu|esse|the|mando|envio|paso|adjunto|segue) recibo`, `recibo (de|del|do|da) (pago|pagamento|deposito|transferencia|consignacion)`, `^recibo$`, `voucher`, `(te|les|le) (mando|envio|paso) (el|la) (comprobante|captura|foto|recibo)`,
		`(hice|realice) (el|la|una) (pago|transferencia|deposito|consignacion)`, `ya (esta|quedo) (pago|pagado|paga)`, `captura (de pantalla)?`, `pantallazo`,
		`(ja )?(paguei|quitei|transferi|depositei|fiz o pix|fiz o pagamento|fiz a transferencia)`, `comprovante`, `(manda|mandei|enviei|segue) (o )?(comprovante|print|recibo)`, `ja (esta|ta) pag[oa]`,
		`(already|just) (paid|payed|sent|transferred|made the payment)`, `i paid`, `i (made|sent) (the|a) payment`, `receipt`, `(proof|confirmation) of payment`, `screenshot`, `i have paid`, `paid (it )?(yesterday|today|last)`,
	), false},
	{Discount, phrases(
		`descuento`, `rebaja`, `(quita|condonacion|condonar)`, `(me )?(pueden|puede) (bajar|rebajar|descontar|perdonar)`, `(bajar|rebajar|reducir) (el|la) (monto|deuda|valor|saldo|total)`, `(perdonar|perdonen) (los )?(intereses|la deuda|algo)`, `pagar menos`,
		`desconto`, `(abatimento|abater)`, `(baixar|reduzir|diminuir) (o valor|a divida|o saldo)`, `pagar menos`, `(perdoar|perdoem) (os )?juros`, `(tem|da|dao|fazem) (algum )?desconto`,
		`discount`, `(settle|settlement) for less`, `(lower|reduce) (the|my) (amount|balance|debt)`, `pay less`, `(forgive|waive) (the )?(interest|fees|debt)`, `any deals?`, `(special|better) (offer|deal)`, `settlement`,
	), false},
	{Interest, phrases(
		`interes(es)?`, `(mora|recargo|recargos|cargos|comision|comisiones|multa|multas|penalidad|gastos de cobranza)`, `(por que|porque) (subio|aumento|crecio|es tan alta|tanto)`, `(tasa|cuanto) de interes`,
		`juros`, `(multa|encargos|taxa|taxas|correcao)`, `(por que|porque) (aumentou|subiu|ta tao alto|esta tao alto|cresceu)`,
		`interest`, `(late )?fees?`, `(penalty|penalties|charges)`, `why (is it|did it go up|so much|so high|did the balance)`, `apr`,
	), false},
	{Options, phrases(
		`(que|q) (puedo|podemos|me pueden|opciones|alternativas|hago|hacemos)`, `(que|cuales) (son )?(mis |las )?(opciones|alternativas|posibilidades)`, `(que|como) (me )?(pueden|puedes|podrian) (ayudar|ofrecer|hacer)`, `(ayudame|ayudeme|ayuda)`, `no se que hacer`, `(alguna|otra) (opcion|alternativa|solucion|salida)`,
		`(o que|oque) (eu )?(posso|podemos|da pra|voces podem|tem|fazer)`, `(quais|que) (sao )?(as )?(opcoes|alternativas)`, `(como|me) (voces )?(podem )?ajuda(r)?`, `nao sei o que fazer`, `(alguma|outra) (opcao|alternativa|saida|solucao)`,
		`what (can|could) (i|we|you) do`, `(my|the|what are (my|the)) (options|alternatives)`, `(any|other) (options|way|solution|alternative)`, `help me`, `(how|what) can you help`, `i dont know what to do`, `what now`,
	), false},
	{Language, phrases(
		`(en|in|em) (ingles|english|espanol|espanhol|castellano|spanish|portugues|portuguese|portugues brasil)( (por favor|please|pls))?$`, `(hablas|habla|hablan|speak|speaks|fala|falam|falar|hablar|talk|write|escribir|escreve|escrever|escribe) (in |en |em )?(ingles|english|espanol|espanhol|spanish|castellano|portugues|portuguese)`,
		`(prefiero|prefiro|i prefer|can we|podemos|pode ser|puede ser|switch to|cambiar a|cambia a|mudar para|muda pra) (en |em |in |el |o )?(ingles|english|espanol|spanish|portugues|portuguese)`,
		`^(ingles|english|espanol|espanhol|spanish|castellano|portugues|portuguese)$`, `(no|dont|nao) (hablo|entiendo|speak|understand|falo|entendo) (bien )?(el )?(ingles|english|espanol|spanish|portugues|portuguese)`,
	), false},
	{Thanks, phrases(`gracias`, `muchas gracias`, `mil gracias`, `obrigad[oa]`, `valeu`, `thanks?`, `thank you`, `agradezco`, `agradecid[oa]`, `appreciate`, `muito obrigado`), false},
	{Greeting, phrases(`hola`, `buen(as|os)? (dias|tardes|noches)`, `buenas`, `saludos`, `que tal`, `oi`, `ola`, `bom dia`, `boa (tarde|noite)`, `e ai`, `hi`, `hello`, `hey`, `good (morning|afternoon|evening)`, `howdy`, `alo`, `hello there`), false},
	{Menu, phrases(`menu`, `(ver|mostrar|muestrame|mostrame|enviame) (el menu|las opciones|opciones)`, `(ver|mostra|mostrar|me mostra) (o menu|as opcoes)`, `(show|send) (me )?(the )?(menu|options)`, `main menu`, `opciones`, `opcoes`, `inicio`, `start over`, `volver`, `voltar`), false},
}

// negations that cancel a following hardship or request phrase.
var negations = mustQuick(`\b(no|nao|not|dont|never|nunca|ni|nem|sin)( (quiero|necesito|quero|preciso|want|need|want to|need to|estoy|estou|am|soy|sou|tengo|tenho|have|estaba|estava|was|he|tuve|tive|es|e|is|hay))?( (hablar|falar|talk|speak|conversar|chatear|chat|to talk|to speak|to chat))?( (con|com|to|with))?( (un|una|a|an|um|uma|el|la|o))?( de| que)? $`)

// negatedBefore reports whether the words before position i end in a
// negation. A bare "no" is Portuguese for "in the" when the message reads
// Portuguese: "minha mãe tá no hospital" is not "no hospital".
func negatedBefore(words string, i int) bool {
	before := words[:i]
	if !negations.MatchString(before) {
		return false
	}
	if before == "no " || strings.HasSuffix(before, " no ") {
		score := langScores(words)
		return score[1] <= score[0]
	}
	return true
}

// lexicon reports which intents some lexicon matches in the words.
func lexicon(words string) map[Intent]bool {
	found := map[Intent]bool{}
	if isLoneOptOut(words) {
		found[OptOut] = true
	}
	// Only the phrases sharing a key with the words are looked at; an
	// intent found is not looked for again.
	var v view
	v.of(words)
	for id := range v.keyed.each {
		r := &rules[keys.ruleOf[id]]
		pt := keys.phrases[id]
		if found[r.intent] || !pt.needs.inGrams(words, &v.grams) {
			continue
		}
		if !r.negation {
			if pt.re.MatchString(words) {
				found[r.intent] = true // never false: disambiguate counts the intents found
			}
			continue
		}
		for _, m := range pt.re.FindAllStringIndex(words, -1) {
			if !negatedBefore(words, m[0]) {
				found[r.intent] = true
				break
			}
		}
	}
	fuzzy(words, found)
	disambiguate(words, found)
	return found
}

// disambiguate settles lexicon matches that mean something else together.
func disambiguate(words string, found map[Intent]bool) {
	// "Ya no es el número de Juan" is a wrong number, not a third party.
	if found[WrongNumber] {
		delete(found, ThirdParty)
	}
	// "No quiero hablar con un robot, ¡basta de mensajes!" is an opt-out; a
	// menu word inside a longer request is not the menu.
	if found[Menu] && len(strings.Fields(words)) > 6 {
		delete(found, Menu)
	}
	// Greetings and thanks around a real request are courtesy.
	if len(found) > 1 {
		delete(found, Greeting)
		if len(found) > 1 {
			delete(found, Thanks)
		}
	}
	// "Denunciar ante el Banco Central" is a complaint to a regulator, not a
	// lawsuit, unless lawyers or courts are named too.
	if found[Legal] && found[Complaint] && regulator(words) != "" && !strongLegal.MatchString(words) {
		delete(found, Legal)
	}
	if found[Callback] && found[Human] {
		delete(found, Human)
	}
}

// keywords are single words that mark a guard intent however they are
// spelt: matched with one typo allowed ("abogadp", "desenpleado", "procom").
var keywords = map[string]Intent{
	"abogado": Legal, "abogada": Legal, "advogado": Legal, "advogada": Legal, "lawyer": Legal, "attorney": Legal, "demandar": Legal, "processar": Legal, "lawsuit": Legal, "juzgado": Legal,
	"profeco": Complaint, "condusef": Complaint, "superfinanciera": Complaint, "superintendencia": Complaint, "procon": Complaint, "ouvidoria": Complaint, "reclamacao": Complaint, "harassment": Complaint, "complaint": Complaint, "hostigamiento": Complaint,
	"fraude": Dispute, "fraud": Dispute, "suplantacion": Dispute,
	"desempleado": Hardship, "desempleada": Hardship, "desempregado": Hardship, "desempregada": Hardship, "unemployed": Hardship, "hospitalizado": Hardship, "hospitalizada": Hardship,
	"hospital": Hardship, "cirugia": Hardship, "cirurgia": Hardship, "surgery": Hardship, "enfermedad": Hardship, "fallecio": Hardship, "faleceu": Hardship, "quimioterapia": Hardship, "internado": Hardship, "internada": Hardship,
	"unsubscribe": OptOut, "descadastrar": OptOut,
	"equivocado": WrongNumber, "equivocada": WrongNumber,
	"atendente": Human, "asesor": Human, "representative": Human,
}

// fuzzy matches keywords with one edit, for words long enough that one edit
// does not make another word.
func fuzzy(words string, found map[Intent]bool) {
	for _, w := range strings.Fields(words) {
		if len(w) < 6 {
			continue
		}
		if i, ok := keywords[w]; ok {
			if !found[i] && !negatedAt(words, w) {
				found[i] = i != WrongNumber || strings.Contains(words, "numero")
			}
			continue
		}
		for k, i := range keywords {
			if found[i] || len(k) < 7 || abs(len(k)-len(w)) > 1 {
				continue
			}
			if within1(w, k) && !negatedAt(words, w) {
				found[i] = i != WrongNumber || strings.Contains(words, "numero")
			}
		}
	}
}

// negatedAt reports whether the first occurrence of w follows a negation.
func negatedAt(words, w string) bool {
	i := strings.Index(words, w)
	return i > 0 && negatedBefore(words, i)
}

// negatedGuard reports whether the words deny the guard intent the
// classifier proposes ("no estoy enfermo", "I don't want a person").
func negatedGuard(words string, i Intent) bool {
	var v *view
	for _, r := range rules {
		if r.intent != i || !r.negation {
			continue
		}
		if v == nil {
			v = new(view)
			v.of(words)
		}
		for _, m := range r.pattern.find(words, v) {
			if negatedBefore(words, m[0]) {
				return true
			}
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// within1 reports whether a and b are at most one edit apart (insertion,
// deletion, substitution or transposition of neighbours).
func within1(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	switch len(b) - len(a) {
	case 0:
		diff := -1
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] {
				if diff >= 0 {
					// a transposition: ab/ba at diff, diff+1
					return i == diff+1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:]
				}
				diff = i
			}
		}
		return true
	case 1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return a[i:] == b[i+1:]
	}
	return false
}

// regulators a debtor may take a complaint to, by folded name.
var regulators = []struct {
	re   quickRe
	name string
}{
	{mustQuick(`\b(sic|superintendencia de industria)\b`), "SIC"},
	{mustQuick(`\b(superfinanciera|superintendencia financiera|superintendencia)\b`), "Superfinanciera"},
	{mustQuick(`\bprofeco\b`), "PROFECO"}, {mustQuick(`\bcondusef\b`), "CONDUSEF"},
	{mustQuick(`\bprocon\b`), "Procon"}, {mustQuick(`\b(banco central|bacen)\b`), "Banco Central"},
	{mustQuick(`\bconsumidor gov\b`), "consumidor.gov.br"}, {mustQuick(`\breclame ?aqui\b`), "Reclame Aqui"},
	{mustQuick(`\b(cfpb|consumer financial protection)\b`), "CFPB"}, {mustQuick(`\b(better business bureau|bbb)\b`), "BBB"},
	{mustQuick(`\bftc\b`), "FTC"}, {mustQuick(`\battorney general\b`), "Attorney General"},
}

func regulator(words string) string {
	for _, r := range regulators {
		if r.re.MatchString(words) {
			return r.name
		}
	}
	return ""
}

// strongLegal words name lawyers, lawsuits and courts.
var strongLegal = mustQuick(`\b(abogad[oa]s?|advogad[oa]s?|lawyer|attorney|demand\w*|process\w*|justica|juez|juzgado|juizado|court|sue|suing|lawsuit|tutela)\b`)
