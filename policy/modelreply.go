package policy

import (
	"regexp"
	"strings"
)

// A language model's reply is held to more than CheckReply's rules. The
// model never states a fact: amounts, dates, links and plans reach the debtor
// only through placeholders ({{balance}}, {{pay_link}}) that code fills from
// the conversation's tool results and renders in the debtor's locale. So a
// model reply, placeholders aside, may contain no money amount (in digits or
// in words, slang included), no date, no link (obfuscated ones included), no
// plan id, no percentage or discount, no deadline, no threat and no threat to
// contact the debtor's employer, neighbours or family, in es, pt or en.
//
// The words are looked for in several views of the reply, each undoing one
// disguise: Unicode look-alikes and invisible characters (foldAligned), leet
// spellings ("3mb4rg0", with "1" read as "i" and as "l"), letters split by
// punctuation or spaces ("e.m.b.a.r.g.o", "e m b a r g o") and stretched
// letters ("embaaargo").

// Rules only model replies can break.
const (
	RulePercentage         = "percentage"          // a percentage or a discount
	RuleDeadline           = "deadline"            // a relative deadline ("before Friday", "in 48 hours")
	RuleThreat             = "threat"              // a consequence or pressure
	RuleThirdPartyContact  = "third_party_contact" // contacting employer, neighbours, family
	RuleUnknownPlaceholder = "unknown_placeholder" // set by the agent: a placeholder with no value
)

// PlaceholderRe is how a model writes a fact it wants code to fill: two
// braces around a name ("{{balance}}").
var PlaceholderRe = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// CheckModelReply checks a language model's reply, placeholders included,
// and returns every violation or none. verbatim lists strings the reply may
// quote as they are (the debtor's name).
func CheckModelReply(text string, verbatim []string) []Violation {
	var vs []Violation
	add := func(v Violation) {
		for _, o := range vs {
			if o.Rule == v.Rule && o.Text == v.Text {
				return
			}
		}
		vs = append(vs, v)
	}
	base := foldAligned(text)
	for _, m := range PlaceholderRe.FindAllIndex(base.b, -1) {
		base.blank(m[0], m[1])
	}
	for _, s := range verbatim {
		base.blankAll(s)
	}
	// Facts in digits, dates and links: CheckReply's rules with nothing
	// allowed, on the text and on a copy where letters posing as digits
	// ("15O.OOO") are read as digits.
	checkFolded(base.copy(), Allowed{}, add)
	if d := digitView(base); d != nil {
		checkFolded(d, Allowed{}, add)
	}
	for _, v := range wordViews(base) {
		checkWords(v, add)
	}
	return vs
}

func (f *folded) copy() *folded {
	c := *f
	c.b = append([]byte(nil), f.b...)
	return &c
}

// derive returns a view of f: the bytes for which keep is true, mapped by m.
// Each kept byte still points at its original rune.
func (f *folded) derive(keep func(b []byte, i int) bool, m func(b []byte, i int) byte) *folded {
	v := &folded{orig: f.orig, b: make([]byte, 0, len(f.b)), off: make([]int, 0, len(f.off)), end: make([]int, 0, len(f.end))}
	for i := range f.b {
		if keep != nil && !keep(f.b, i) {
			continue
		}
		c := f.b[i]
		if m != nil {
			c = m(f.b, i)
		}
		v.b = append(v.b, c)
		v.off = append(v.off, f.off[i])
		v.end = append(v.end, f.end[i])
	}
	v.off = append(v.off, len(f.orig))
	return v
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// tokenBounds returns the start and end of the run of bytes around i for
// which in is true.
func tokenBounds(b []byte, i int, in func(byte) bool) (int, int) {
	s, e := i, i
	for s > 0 && in(b[s-1]) {
		s--
	}
	for e < len(b) && in(b[e]) {
		e++
	}
	return s, e
}

// digitView reads letters posing as digits inside numbers ("15O.OOO",
// "l.5OO"), or returns nil when there are none.
func digitView(f *folded) *folded {
	in := func(c byte) bool { return isDigit(c) || c == 'o' || c == 'l' || c == 'i' || c == '.' || c == ',' }
	changed := false
	v := f.derive(nil, func(b []byte, i int) byte {
		c := b[i]
		if c != 'o' && c != 'l' && c != 'i' {
			return c
		}
		s, e := tokenBounds(b, i, in)
		if (s > 0 && isLetter(b[s-1])) || (e < len(b) && isLetter(b[e])) {
			return c // part of a word
		}
		digits := 0
		for _, x := range b[s:e] {
			if isDigit(x) {
				digits++
			}
		}
		if digits == 0 {
			return c
		}
		changed = true
		if c == 'o' {
			return '0'
		}
		return '1'
	})
	if !changed {
		return nil
	}
	return v
}

// leet maps the digits and symbols that stand for letters in leet spellings.
func leet(one byte) map[byte]byte {
	return map[byte]byte{'0': 'o', '1': one, '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', '$': 's', '!': 'i', '|': 'l', '+': 't'}
}

// wordViews returns the views the word rules read: the folded text, and
// leet-decoded, joined and squeezed copies of it.
func wordViews(f *folded) []*folded {
	views := []*folded{f}
	for _, one := range []byte{'i', 'l'} {
		m := leet(one)
		inTok := func(c byte) bool { _, ok := m[c]; return isLetter(c) || isDigit(c) || ok }
		v := f.derive(nil, func(b []byte, i int) byte {
			c := b[i]
			r, ok := m[c]
			if !ok {
				return c
			}
			s, e := tokenBounds(b, i, inTok)
			for _, x := range b[s:e] {
				if isLetter(x) {
					return r // a token with letters: "3mb4rg0"
				}
			}
			return c // a number stays a number
		})
		// Letters split by punctuation inside a word: "em.bar.go", "de-man-da".
		v = v.derive(func(b []byte, i int) bool {
			c := b[i]
			if c != '.' && c != '-' && c != '_' && c != '*' && c != '\'' && c != '~' && c != '^' {
				return true
			}
			return !(i > 0 && i+1 < len(b) && isLetter(b[i-1]) && isLetter(b[i+1]))
		}, nil)
		// Letters spelled one by one: "e m b a r g o", "E.M.B.A.R.G.O".
		v = v.derive(func(b []byte, i int) bool {
			if isLetter(b[i]) || !singleLetterRun(b, i) {
				return true
			}
			return false
		}, nil)
		// Stretched letters: "embaaaargo" (a run of three or more is one).
		v = v.derive(func(b []byte, i int) bool {
			if i == 0 || !isLetter(b[i]) || b[i] != b[i-1] {
				return true
			}
			s, e := tokenBounds(b, i, func(c byte) bool { return c == b[i] })
			return e-s < 3
		}, nil)
		views = append(views, v)
	}
	return views
}

// singleLetterRun reports whether separator byte i sits inside a run of at
// least four single letters each separated by one separator ("e m b a").
func singleLetterRun(b []byte, i int) bool {
	sep := func(c byte) bool {
		return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*' || c == '/' || c == '|' || c == ','
	}
	if !sep(b[i]) || i == 0 || i+1 >= len(b) || !isLetter(b[i-1]) || !isLetter(b[i+1]) {
		return false
	}
	single := func(j int) bool { // b[j] is a letter standing alone between separators
		return j >= 0 && j < len(b) && isLetter(b[j]) && (j == 0 || sep(b[j-1])) && (j+1 == len(b) || sep(b[j+1]))
	}
	if !single(i-1) || !single(i+1) {
		return false
	}
	n := 2
	for j := i - 3; single(j) && j >= 0; j -= 2 {
		n++
	}
	for j := i + 3; single(j); j += 2 {
		n++
	}
	return n >= 4
}

func checkWords(f *folded, add func(Violation)) {
	for _, r := range wordRules {
		for _, m := range r.re.FindAllIndex(f.b, -1) {
			if r.except != nil && r.except(f, m) {
				continue
			}
			add(Violation{r.rule, strings.TrimSpace(f.original(m[0], m[1])), r.reason})
		}
	}
	checkNumberWords(f, add)
	checkThirdParty(f, add)
}

type wordRule struct {
	rule, reason string
	re           *regexp.Regexp
	except       func(f *folded, m []int) bool
}

// words compiles alternatives into one regexp of whole words; a space in an
// alternative matches any run of spaces and punctuation.
func words(alts ...string) *regexp.Regexp {
	s := strings.Join(alts, "|")
	s = strings.ReplaceAll(s, " ", `[\s,.;:!¡?¿"()-]+`)
	return regexp.MustCompile(`\b(?:` + s + `)\b`)
}

const (
	reasonMoney    = "amounts reach the debtor only as placeholders that code fills from the tools ({{balance}}, {{pay_amount}}); write no amount yourself"
	reasonDate     = "dates reach the debtor only as placeholders that code fills from the tools ({{due_date}}); write no date or deadline yourself"
	reasonPercent  = "no percentages, discounts or offers that no tool made; if asked, say a person can review it"
	reasonThreat   = "no threats, consequences or pressure; speak of options and help"
	reasonThird    = "never threaten to contact or tell the debtor's employer, neighbours, family or anyone else"
	reasonLink     = "links reach the debtor only as {{pay_link}}, which code fills from send_payment_link; write no link yourself"
	timeUnits      = `(?:horas?|hrs?|minutos?|mins?|dias?|semanas?|hours?|days?|weeks?|minutes?)`
	longUnits      = `(?:meses|mes|months?)`
	numberWordsAlt = `(?:\d+|un|una|uno|um|uma|dos|duas|dois|tres|cuatro|quatro|cinco|seis|siete|sete|ocho|oito|nueve|nove|diez|dez|quince|quinze|veinte|vinte|treinta|trinta|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty eight|twenty four|veinticuatro|cuarenta y ocho|vinte e quatro|quarenta e oito|a|an)`
	weekdays       = `lunes|martes|miercoles|jueves|viernes|sabado|domingo|monday|tuesday|wednesday|thursday|friday|saturday|sunday|segunda(?: feira)?|terca(?: feira)?|quarta(?: feira)?|quinta(?: feira)?|sexta(?: feira)?`
	timeWords      = `hoy|manana|pasado manana|esta noche|esta tarde|esta semana|este mes|este fin de semana|fin de mes|fin del mes|finales de mes|medianoche|mediodia|today|tonight|tomorrow|this week|this weekend|this month|end of (?:the )?(?:day|week|month)|midnight|noon|eod|hoje|amanha|esta noite|fim do mes|final do mes|fim de semana|meia noite|meio dia|` + weekdays
	monthNames     = `enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|abril|maio|junho|julho|setembro|outubro|novembro|dezembro|january|february|march|april|june|july|august|september|october|november|december`
)

var wordRules = []wordRule{
	// Links in any disguise: a scheme or "www" however spelled, a domain with
	// its dot written out, shorteners.
	{rule: RuleUnverifiedURL, reason: reasonLink, re: words(`h\s*[tx]\s*[tx]\s*p\s*s?`, `w\s*w\s*w`, `bit ly`, `bitly`, `tinyurl`, `wa me`, `t me`, `goo gl`, `cutt ly`, `is gd`, `rb gy`,
		`[a-z0-9-]{2,}\s*(?:\[\s*(?:\.|dot|punto|ponto)\s*\]|\(\s*(?:\.|dot|punto|ponto)\s*\)|\{\s*(?:\.|dot|punto|ponto)\s*\}|\s+(?:dot|punto|ponto)\s+|\s+\.\s+)\s*(?:com|net|org|ly|co|io|me|link|app|pay|site|xyz|info|br|mx|us|gl|to|cc|biz|online|store|shop|top|ar|cl|pe)`,
		`[a-z0-9-]{3,}\s+(?:com|net|org|ly|io)\s*/\s*[a-z0-9]+`)},
	{rule: RuleUnverifiedURL, reason: reasonLink, re: regexp.MustCompile(`://|\[\.\]|\(\.\)|\(dot\)|\[dot\]`)},
	// Percentages, discounts, invented offers.
	{rule: RulePercentage, reason: reasonPercent, re: regexp.MustCompile(`%|‰|\bpor\s*cientos?\b|\bpor\s*cento\b|\bper\s*cent\w*|\bpercent\w*|\bpct\b|\bporcentaj\w*|\bporcentage\w*|\bpercentua\w*`)},
	{rule: RulePercentage, reason: reasonPercent, except: negatedOffer, re: words(`descuent\w*`, `descont\w*`, `discount\w*`, `rebaj\w*`, `quita`, `quitas`, `condon\w*`, `bonificac\w*`, `abatimento\w*`,
		`\d+ off`, `half off`, `half price`, `mitad`, `metade`, `half`, `a mitad de precio`, `pela metade`,
		`perdon\w* (?:de |los |tus |sus |la |el )?(?:intereses|interes|deuda|mora|recargos)`, `perdo\w* (?:os |a |seus |sua )?(?:juros|divida|multa)`, `forgiv\w*`, `waiv\w*`,
		`cancel\w* (?:los |tus |sus |os |seus |the |your )?(?:intereses|juros|interest|recargos)`, `sin (?:intereses|recargos|mora)`, `sem juros`, `interest free`, `no interest`, `zero interest`,
		`(?:cero|zero) (?:intereses|juros|interest)`, `ahorr\w* \d+`, `econom\w* \d+`, `save \d+`, `oferta especial`, `oferta exclusiva`, `special offer`, `exclusive offer`, `promoci\w*`, `promoc\w*`, `promo`,
		`cashback`, `(?:quit|tir|retir|elimin|remov|drop|borr|apag|tirar|tiramos|zer)\w* (?:os |los |las |the |your |tus |sus |seus |suas |todos os |todos los |all )?(?:juros|intereses|interes|interest|multas?|recargos|late fees|fees|cargos)`, `reembolso`, `rebate\w*`, `reduc\w* (?:tu |su |la |your |the )?(?:deuda|saldo|debt|balance)`, `reduz\w* (?:sua |a |seu |o )?(?:divida|saldo)`)},
	// Deadlines: the model sets no date, least of all one to pressure with.
	{rule: RuleDeadline, reason: reasonDate, re: words(
		`(?:antes del?|antes de la|hasta el|hasta la|hasta|a mas tardar|maximo|como maximo|como muy tarde|dentro de|en las proximas|en los proximos|en menos de|by|before|until|till|no later than|within|in the next|ate o|ate a|ate|no maximo|em ate|nas proximas|nos proximos|em menos de|o mais tardar|vence|vencen|vencera|venceran|expira|expiran|expirara|caduca|caducara|expires?|will expire|expiring|valid until|valida hasta|valido hasta|vale hasta|vale ate|valido ate|valida ate|solo por|only for|so por|solo hasta|only until|te quedan|le quedan|quedan|restan|faltan|faltam) (?:el |la |o |a |the |this |este |esta |next |proximo |proxima |que vem )?(?:`+timeWords+`)`,
		`(?:en|em|in|dentro de|within|tienes|tiene|you have|voce tem|tem|te quedan|quedan|restan|faltan|faltam|solo|only|apenas|just|plazo de|prazo de|a deadline of|deadline of) (?:solo |only |apenas |just |unas |unos |uns |umas |las |los |the |next |proximas |proximos )?`+numberWordsAlt+` `+timeUnits,
		`(?:tienes|tiene|you have|voce tem|tem|te quedan|quedan|dentro de|within|plazo de|prazo de) (?:solo |only |apenas |just |unos |uns |the next |los proximos |os proximos )?`+numberWordsAlt+` `+longUnits,
		`\d+ ?(?:horas|hrs|hours)`, `(?:em|en|in|dentro de|within|ate|hasta|until|by|antes de|before) (?:ate )?\d+ ?(?:h|hs|hr)`, `(?:veinticuatro|cuarenta y ocho|setenta y dos|vinte e quatro|quarenta e oito|setenta e duas|twenty four|forty eight|seventy two) (?:horas|hours)`,
		`(?:hoy|today|hoje) (?:mismo|solamente|solo|only|somente|mesmo)`, `(?:manana|tomorrow|amanha) (?:mismo|sin falta|without fail|sem falta|mesmo)`,
		`(?:solo|only|so|somente|apenas) (?:por )?(?:hoy|today|hoje)`, `(?:ultimo|ultima|last|final) (?:dia|day|plazo|prazo|chance|oportunidad|oportunidade|opportunity|aviso|notice|call|llamado)`,
		`plazo (?:final|maximo|limite)`, `prazo (?:final|maximo|limite)`, `fecha limite`, `data limite`, `deadline`, `due (?:by|before|on)`, `vencimiento (?:es |sera )?(?:hoy|manana|el)`,
		`(?:expira|vence|caduca|expires|vencera|expirara) (?:pronto|soon|en breve|em breve|ya|shortly)`, `cuenta regresiva`, `countdown`, `contagem regressiva`, `tic tac`, `el tiempo se (?:acaba|agota)`, `time is running out`, `o tempo esta acabando`,
		`(?:antes de|hasta|a fines de|a finales de|a principios de|before|until|by the end of|by|ate o fim de|ate|no fim de|em|en|in) (?:`+monthNames+`)`,
		`(?:el|o|the|on the|dia|day|del|hasta el|antes del|ate o|ate dia) \d{1,2} (?:de este mes|de cada mes|do mes|deste mes|of this month|of the month|de este|deste)`, `(?:dia|day) \d{1,2}\b`, `\d{1,2} ?(?:st|nd|rd|th) (?:of )?(?:this|the|next) month`)},
	// Threats, consequences and pressure beyond the forbidden words.
	{rule: RuleForbiddenLanguage, reason: reasonThreat, re: forbidden},
	{rule: RuleThreat, reason: reasonThreat, re: words(
		`si no (?:(?:lo|la|te|se|me|nos|realizas|realiza|haces|hace|efectuas|efectua|recibimos|vemos|tenemos|tu|su|el|hay|ha|has|se ha|realizan)\s+){0,3}(?:pag|cumpl|regulariz|abon|respond|contest|liquid|sald|pongas|pone|ponen|cancel)\w*`,
		`if (?:you|u) (?:dont|do not|fail to|refuse to|wont|will not|neglect to|ignore)(?: \w+)? (?:pay\w*|settle|respond|reply|answer|this|us|our)`, `failure to (?:pay|respond|comply)`,
		`se (?:voce |vc |o senhor |a senhora |tu )?nao (?:pagar|quitar|regularizar|responder|efetuar|fizer|pagarem|cumprir)`, `de lo contrario`, `caso contrario`, `en caso contrario`, `do contrario`, `otherwise`, `ou entao`, `o si no`, `y si no`, `de no (?:pagar|realizar|cumplir|regularizar)`, `al no pagar`,
		`(?:deuda|saldo|intereses|interes|recargos|divida|juros|debt|balance|interest|fees|cargos|valor)\s+(?:\w+\s+){0,3}(?:aumentar\w*|aumenta\w*|crecer\w*|crece\w*|crecera\w*|sube|subira\w*|subir|increase\w*|grow\w*|go up|goes up|dispar\w*|crescer\w*|cresce\w*|duplic\w*|double\w*|triplic\w*|acumul\w*|pile up|keep adding)`,
		`multas?`, `recargos?`, `penalidad\w*`, `penalizac\w*`, `penalt\w*`, `late fees?`, `cargos? (?:adicionales|extra|extras)`, `cobros? (?:adicionales|extra)`, `honorarios`, `gastos de cobranza`, `collection fees?`, `custas`, `juros de mora`, `intereses (?:de mora|moratorios)`,
		`(?:no podras|no podra|no vas a poder|nunca podras|nao vai (?:conseguir|poder)|nao podera|nao conseguira|wont be able to|will not be able to|will never be able to|never be able to) (?:\w+ ){0,3}(?:credito\w*|prestamo\w*|emprestimo\w*|credit|loans?|tarjetas?|cartao|cartoes|financ\w*|mortgage|hipoteca)`,
		`(?:perder|perderas|perdera|perderia|perderias|lose|losing|will lose|vai perder|podria perder|podrias perder|pode perder) (?:\w+ ){0,2}(?:casa|trabajo|empleo|carro|auto|coche|house|home|job|car|emprego|trabalho|bienes|bens|propiedad\w*|property|propriedade\w*)`,
		`(?:bloque\w*|block\w*|freez\w*|congel\w*|retener|retendremos|reteniendo|withhold\w*|deduct\w*|descontar\w* de|descontaremos|embarg\w*) (?:\w+ ){0,2}(?:cuentas?|conta|contas|accounts?|salario|sueldo|nomina|salary|wages?|paycheck|folha|pagamento|pension|aposentadoria)`,
		`(?:visit\w*|iremos|ire|vamos a ir|ira|iran|pasaremos|pasara|apareceremos|aparecera|go to|come to|show up|stop by|knock on|passaremos|vamos ate|vai ate|irao|vamos a pasar|llegaremos|llegara|aparecer) (?:\w+ ){0,2}(?:tu|su|your|seu|sua|teu|tua|sus|tus) (?:casa|domicilio|hogar|trabajo|oficina|house|home|door|work|office|workplace|job|trabalho|escritorio|residencia|endereco|direccion|address|puerta|porta|negocio|business|empresa)`,
		`consecuencias`, `consequencias`, `consequences?`, `repercusion\w*`, `repercuss\w*`,
		`(?:enviaremos|mandaremos|enviar|mandar|send\w*|vamos a enviar|vamos a mandar|vamos enviar|vamos mandar) (?:\w+ ){0,2}(?:cobrador\w*|collectors?|bailiffs?|oficial de justicia|oficial de justica|sheriff|agentes de cobr\w*|gestor\w* de cobr\w*|visitador\w*)`,
		`cobranza (?:judicial|prejudicial|prejuridica|juridica|coactiva|externa)`, `cobro (?:prejuridico|coactivo)`, `cobranca (?:judicial|extrajudicial|externa)`, `protest\w*`, `cartorio\w*`, `lista negra`, `listas negras`, `blacklist\w*`, `lista de (?:morosos|deudores|devedores|inadimplentes)`, `inadimplente`, `debtors list`,
		`antecedentes`, `record negativo`, `registro negativo`, `manch\w* (?:tu|su|seu) (?:nombre|nome|historial|record)`, `(?:tu|su|your|seu) (?:nombre|nome|name|reputacion|reputacao|reputation) (?:\w+ ){0,2}(?:manchad\w*|sucio|sujo|ruined|damaged|danado|arruinad\w*)`,
		`denuncia penal`, `denunci\w*`, `boletim de ocorrencia`, `delito\w*`, `crimen\w*`, `crime\w*`, `criminal\w*`, `penal\w*`, `carcel\w*`, `cadeia`,
		`(?:todos|todo el mundo|todo mundo|everyone|everybody|all your contacts|tus contactos|seus contatos|your contacts|la gente|people) (?:\w+ ){0,3}(?:sabr\w*|va a saber|van a saber|se enter\w*|vai saber|vao saber|will know|will find out|will hear|find out|will see|veran|vao ver)`,
		`redes sociales`, `redes sociais`, `social media`, `facebook`, `instagram`, `linkedin`, `publicar\w*`, `publicaremos`, `publish\w*`, `exhib\w*`, `expondremos`, `expor`, `exponer\w*`, `expose\w*`,
		`urgent\w*`, `urgencia`, `inmediatamente`, `de inmediato`, `immediately`, `imediatamente`, `right away`, `ahora mismo`, `agora mesmo`, `ya mismo`, `asap`, `sin excusas`, `no excuses`, `sem desculpas`, `sin mas demora`, `sin falta`, `sem falta`, `without fail`,
		`(?:ultima|ultimo|last|final) (?:advertencia|aviso|warning|notice|oportunidad|oportunidade|chance)`, `(?:medidas|acciones|acoes|providencias|steps|measures|action) (?:\w+ ){0,2}(?:necesarias|correspondientes|pertinentes|cabiveis|necessarias|further|serias|serious|drasticas|drastic|firmes)`,
		`tomaremos (?:medidas|acciones|cartas)`, `tomaremos providencias`, `we will take (?:action|steps|measures)`, `no nos deja(?:s|ra)? (?:otra|opcion|alternativa)`, `no tendremos (?:otra|mas) (?:opcion|alternativa|remedio)`, `nao teremos (?:outra|escolha|alternativa)`, `leave us no (?:choice|option)`, `we will have no choice`,
		`se (?:va|van) a complicar`, `se (?:va|van) a poner (?:feo|peor|dificil)`, `sera peor`, `sera mucho peor`, `vai ficar pior`, `will get worse`, `will be worse`, `it gets worse`, `peor para (?:ti|usted)`, `pior para (?:voce|vc)`, `worse for you`)},
}

// negatedOffer spares a discount word in an honest "no": "no tengo
// descuentos para ofrecerte", "não há desconto", "I can't offer a discount".
var negatedOfferRe = regexp.MustCompile(`\b(?:no|nao|not|can'?t|cannot|don'?t|won'?t|sin|sem|ningun|ninguna|ninguno|nenhum|nenhuma|no hay|nao ha|nao temos|no tenemos|there are no|there is no)\s+(?:(?:hay|tengo|tenemos|puedo|podemos|ofrecer\w*|manej\w*|aplic\w*|dar|darte|darle|damos|offer|have|any|a|an|um|uma|un|una|tenho|temos|posso|podemos|oferec\w*|existe\w*|there|are|is|de|con|com|hacer|fazer|give|authorize|autorizar|conceder|otorgar|i|we|currently|ahora|agora|por ahora|por agora|ningun|nenhum)\s+){0,4}$`)

func negatedOffer(f *folded, m []int) bool {
	start := max(0, m[0]-80)
	return negatedOfferRe.Match(f.b[start:m[0]])
}

// Number words, es, pt, en (folded), for amounts in words: "dos mil
// quinientos pesos", "cento e cinquenta reais", "two hundred dollars".
var (
	unitWordSet = wordSet(`cero un uno una dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciseis diecisiete dieciocho diecinueve veinte
		veintiun veintiuno veintiuna veintidos veintitres veinticuatro veinticinco veintiseis veintisiete veintiocho veintinueve treinta cuarenta cincuenta sesenta setenta ochenta noventa medio media
		zero um uma dois duas quatro sete oito nove dez onze doze treze catorze quatorze quinze dezesseis dezasseis dezessete dezoito dezenove vinte trinta quarenta cinquenta sessenta oitenta meio meia
		one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fourty fifty sixty seventy eighty ninety half`)
	hundredWordSet = wordSet(`cien ciento cientos doscientos doscientas trescientos trescientas cuatrocientos cuatrocientas quinientos quinientas seiscientos seiscientas setecientos setecientas ochocientos ochocientas novecientos novecientas
		cem cento duzentos duzentas trezentos trezentas quatrocentos quatrocentas quinhentos quinhentas seiscentos seiscentas setecentos setecentas oitocentos oitocentas novecentos novecentas hundred hundreds`)
	// Magnitudes and slang multipliers: "50 lucas", "dos palos", "20 contos", "5 grand".
	bigWordSet = wordSet(`mil miles millon millones milhao milhoes milhares million millions billion billions bilhao bilhoes thousand thousands grand grands luca lucas palo palos kilo kilos conto contos pau paus mango mangos k`)
	// Always an amount, even alone.
	alwaysAmountSet = wordSet(`millon millones milhao milhoes million millions billion billions bilhao bilhoes doscientos doscientas trescientos trescientas cuatrocientos cuatrocientas quinientos quinientas seiscientos seiscientas setecientos setecientas ochocientos ochocientas novecientos novecientas
		duzentos duzentas trezentos trezentas quatrocentos quatrocentas quinhentos quinhentas seiscentos seiscentas setecentos setecentas oitocentos oitocentas novecentos novecentas lucas palos contos paus grand`)
	currencyWordSet = wordSet(`peso pesos pesitos dolar dolares dollar dollars bucks buck real reais reales reaizinhos euro euros varos centavo centavos cent cents quid libras pounds soles cop brl mxn usd ars clp pen eur`)
	connectorSet    = wordSet(`y e and`)
	// Words after a number that make it a count, not an amount.
	countWordSet = wordSet(`cuota cuotas parcela parcelas installment installments payment payments pago pagos abono abonos mensualidad mensualidades mensalidade mensalidades prestacao prestacoes
		vez veces vezes time times dia dias day days mes meses month months semana semanas week weeks ano anos year years hora horas hour hours minuto minutos minute minutes x opcion opcao option
		digito digitos digits digit persona personas pessoa pessoas person people`)
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

type token struct {
	w          string
	start, end int
}

func tokens(b []byte) []token {
	var out []token
	for i := 0; i < len(b); {
		if !isLetter(b[i]) && !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && (isLetter(b[j]) || isDigit(b[j])) {
			j++
		}
		out = append(out, token{string(b[i:j]), i, j})
		i = j
	}
	return out
}

func isNumberToken(w string) bool {
	return unitWordSet[w] || hundredWordSet[w] || bigWordSet[w] || digitsOnly(w)
}

// checkNumberWords finds amounts written in words or slang: a run of number
// words with a magnitude ("dos mil", "cincuenta lucas", "two hundred"),
// one followed by a currency ("veinte dólares"), one after an installment
// word ("cuotas de cien"), or one after a verb of paying ("paga
// quinientos").
func checkNumberWords(f *folded, add func(Violation)) {
	ts := tokens(f.b)
	for i := 0; i < len(ts); i++ {
		if !isNumberToken(ts[i].w) || ts[i].w == "k" && i == 0 {
			continue
		}
		j := i // the run is ts[i..j]
		for j+1 < len(ts) {
			if isNumberToken(ts[j+1].w) && !(ts[j+1].w == "k" && !digitsOnly(ts[j].w)) {
				j++
			} else if j+2 < len(ts) && connectorSet[ts[j+1].w] && isNumberToken(ts[j+2].w) {
				j += 2
			} else {
				break
			}
		}
		run := ts[i : j+1]
		words, big, always := 0, false, false
		for _, t := range run {
			if !connectorSet[t.w] {
				words++
			}
			big = big || hundredWordSet[t.w] || bigWordSet[t.w]
			always = always || alwaysAmountSet[t.w]
		}
		amount := always || big && words >= 2
		next := j + 1
		if next < len(ts) && (ts[next].w == "de" || ts[next].w == "of") {
			next++
		}
		if next < len(ts) && currencyWordSet[ts[next].w] && !(words == 1 && (run[0].w == "un" || run[0].w == "um" || run[0].w == "one") && false) {
			amount = true
			j = next
		}
		if !amount && i > 0 && !(j+1 < len(ts) && countWordSet[ts[j+1].w]) {
			prev := ts[i-1].w
			if prev == "de" || prev == "of" || prev == "por" || prev == "solo" || prev == "only" || prev == "apenas" || prev == "just" {
				if i > 1 {
					prev = ts[i-2].w
				}
			}
			single := words == 1 && (run[0].w == "un" || run[0].w == "una" || run[0].w == "uno" || run[0].w == "um" || run[0].w == "uma" || run[0].w == "one" || run[0].w == "medio" || run[0].w == "media" || run[0].w == "meio" || run[0].w == "meia" || run[0].w == "half")
			if !single && (paymentNoun[prev] || payVerb(prev)) {
				amount = true
			}
		}
		if amount {
			add(Violation{RuleUnverifiedAmount, strings.TrimSpace(f.original(ts[i].start, ts[j].end)), reasonMoney})
		}
		i = j
	}
}

var paymentNoun = wordSet(`cuota cuotas parcela parcelas installment installments payment payments pago pagos abono abonos mensualidad mensualidades mensalidade mensalidades prestacao prestacoes saldo balance deuda divida debt total valor monto importe amount`)

func payVerb(w string) bool {
	switch w {
	case "debes", "debe", "debo", "deben", "deve", "devo", "devem", "owe", "owes", "cuesta", "cuestan", "cost", "costs", "custa", "custam":
		return true
	}
	for _, p := range []string{"pag", "pay", "abon", "deposit", "transfier", "transfer", "liquid", "send", "envi", "mand"} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// Third parties: a verb of contacting or telling, then a possessive and one
// of the debtor's people or places ("contactaremos a tu jefe", "we'll call
// your family", "vamos ligar para seus vizinhos"), or those people finding
// out ("tus vecinos se van a enterar"). An honest "nunca contactamos a tu
// familia" is spared.
const (
	contactVerbs = `contact(?:ar|aremos|ara|aran|amos|ariamos|aria|arnos|ing|ed)?|contat(?:ar|aremos|ara|arao|amos|ariamos)|entrar\w* em contato|llam(?:ar|aremos|ara|aran|amos|ariamos|aria)|ligar\w*|ligaremos|ligamos|avis(?:ar|aremos|ara|aran|amos|ariamos|aria|arao)|notific(?:ar|aremos|ara|aran|amos|ariamos|arao)|inform(?:ar|aremos|ara|aran|amos|ariamos|arao|ing|ed)?|comunic(?:ar|aremos|ara|aran|ariamos|arnos)|escrib(?:ir|iremos|ira|iran)|escrev(?:er|eremos|era|erao)|visit(?:ar|aremos|ara|aran|ing|ed)?|buscar(?:emos|an|a|te|lo|la)|procurar(?:emos|ao)?|hablar(?:emos|an|a)?|fal(?:ar|aremos|amos|arao|ara)|contar(?:emos|le|les|a|an|iamos)|dec(?:ir|irle|irles|iremos|irselo)|dir(?:emos|ia|iamos)|tell(?:ing)?|told|call(?:ing|ed)?|phon(?:e|ing)|text(?:ing)?|email(?:ing)?|messag(?:e|ing)|reach(?:ing)? out|notify(?:ing)?|alert(?:ing)?|involv(?:e|ing)|involucr(?:ar|aremos|ara)|envolv(?:er|eremos)|molest(?:ar|aremos|ara)|localiz(?:ar|aremos)|enviar(?:emos|a|an)?|mandar(?:emos|a|an)?|send(?:ing)?`
	thirdNouns   = `emplead(?:or|ora|ores)|jefe|jefa|jefes|patron|patrona|trabajo|companer\w*|colegas?|vecin\w*|familia|familiares|parientes|referencias|referencia|esposa|esposo|pareja|marido|mujer|padres|madre|mama|papa|hijos|hijas|hermanos|hermanas|amigos|amigas|conocidos|suegr\w*|empregador\w*|chefe|chefes|patrao|trabalho|vizinh\w*|parentes|companheir\w*|pais|mae|pai|filhos|filhas|irmaos|irmas|employer|employers|boss|manager|supervisor|workplace|work|job|coworkers?|co workers?|colleagues?|hr|human resources|recursos humanos|rrhh|neighbou?rs?|family|relatives?|references?|spouse|wife|husband|partner|parents|mother|father|mom|dad|kids|children|siblings|brother|sister|friends?|contacts|contactos|contatos|in laws|landlord|casero|arrendador|senhorio`
	possessives  = `tu|tus|su|sus|your|his|her|their|seu|sua|seus|suas|teu|tua|teus|tuas|the|os|as|la|el|los|las|o|a|al|aos|con|com|with|to|at|para|pro|pra|em|no|na|nos|nas`
)

var (
	thirdPartyRe  = regexp.MustCompile(`\b(` + contactVerbs + `)\b(?:\s+\S+){0,2}?\s+(?:` + possessives + `)\s+(?:\S+\s+)?(?:` + thirdNouns + `)\b`)
	thirdFindRe   = regexp.MustCompile(`\b(?:tu|tus|su|sus|your|seu|sua|seus|suas|teu|tua|teus|tuas)\s+(?:` + thirdNouns + `)\s+(?:\S+\s+){0,4}?(?:se\s+)?(?:enter\w*|sabr\w*|sabe\w*|va a saber|van a saber|vai saber|vao saber|will know|would know|will find out|find out|will hear|hear about|will be (?:called|contacted|told|notified|informed)|sera (?:contactad|notificad|informad|llamad)\w*|seran (?:contactad|notificad|informad|llamad)\w*|recibir\w*|receber\w*|vai receber|vao receber|will receive|will get a call|get a call)\b`)
	innerNegation = regexp.MustCompile(`\b(?:no|nunca|jamas|nao|never|not|won'?t)\b`)
	negationRe    = regexp.MustCompile(`\b(?:no|nunca|jamas|nao|never|not|won'?t|don'?t|doesn'?t|nobody|nadie|ninguem)\s+(?:(?:vamos|vou|vai|vao|will|would|we|i|te|le|lo|la|les|a|se|va|van|voy|iremos|ira|podemos|pode|can|do|does|ever|jamas|nunca|nadie|ninguem|nobody|ni|nem|siquiera|going|to|gonna|estamos|estaremos|autorizados|permitido|permitida|allowed|debemos|devemos|should|must|sera|hacemos|fazemos|and|y|e|o|or|nos|us|nor)\s+){0,4}$`)
)

func checkThirdParty(f *folded, add func(Violation)) {
	for _, m := range thirdPartyRe.FindAllSubmatchIndex(f.b, -1) {
		start := max(0, m[2]-80)
		if negationRe.Match(f.b[start:m[2]]) {
			continue // "nunca contactamos a tu familia"
		}
		add(Violation{RuleThirdPartyContact, strings.TrimSpace(f.original(m[0], m[1])), reasonThird})
	}
	for _, m := range thirdFindRe.FindAllIndex(f.b, -1) {
		start := max(0, m[0]-80)
		if negationRe.Match(f.b[start:m[0]]) || innerNegation.Match(f.b[m[0]:m[1]]) {
			continue // "tu familia no se va a enterar"
		}
		add(Violation{RuleThirdPartyContact, strings.TrimSpace(f.original(m[0], m[1])), reasonThird})
	}
}
