package understand

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"acuerdo"
)

// Intent is what a debtor's message asks for or tells.
type Intent string

// Intents. The guard intents come first: code acts on them before any model.
const (
	OptOut      Intent = "opt_out"      // stop writing to me
	Hardship    Intent = "hardship"     // illness, job loss, a death, a partner who left…
	Dispute     Intent = "dispute"      // not my loan, identity theft, wrong amount
	Complaint   Intent = "complaint"    // a complaint, to the company or a regulator
	Legal       Intent = "legal"        // a lawyer, a lawsuit, a court
	Human       Intent = "human"        // a person, not a bot
	ThirdParty  Intent = "third_party"  // someone other than the debtor writes
	WrongNumber Intent = "wrong_number" // the number is not (or no longer) the debtor's
	Greeting    Intent = "greeting"
	Balance     Intent = "balance"        // how much do I owe
	PayLink     Intent = "pay_link"       // I want to pay / send me the link
	DateChange  Intent = "date_change"    // move my due date
	Pause       Intent = "pause"          // give me some days
	Plan        Intent = "plan"           // installments
	Promise     Intent = "promise"        // I will pay X on D
	PaymentRep  Intent = "payment_report" // I already paid
	Discount    Intent = "discount"
	Interest    Intent = "interest"
	Options     Intent = "options"  // what can I do?
	Callback    Intent = "callback" // call me
	Language    Intent = "language" // speak to me in another language
	Thanks      Intent = "thanks"
	Yes         Intent = "yes"
	No          Intent = "no"
	Menu        Intent = "menu" // show me the options / the menu
	Other       Intent = "other"
)

// Intents lists every intent, guard intents first.
var Intents = []Intent{OptOut, Hardship, Dispute, Complaint, Legal, Human, ThirdParty, WrongNumber,
	Greeting, Balance, PayLink, DateChange, Pause, Plan, Promise, PaymentRep, Discount, Interest, Options,
	Callback, Language, Thanks, Yes, No, Menu, Other}

// GuardIntents are decided in code before any model, favouring recall.
var GuardIntents = []Intent{OptOut, Hardship, Dispute, Complaint, Legal, Human, ThirdParty, WrongNumber}

// IsGuard reports whether i is a guard intent.
func IsGuard(i Intent) bool { return slices.Contains(GuardIntents, i) }

// guardOrder ranks guard intents by urgency: stopping contact first, then
// the number not being the debtor's, then escalations, the one that most needs
// a specialist first (a legal threat goes to legal even when the debtor also
// asks for a person).
var guardOrder = []Intent{OptOut, WrongNumber, ThirdParty, Legal, Complaint, Dispute, Hardship, Human}

// Context is what the reader needs to know about the conversation to read
// dates and amounts right.
type Context struct {
	Locale  string       // the conversation's language: es, pt-BR or en
	Country string       // the debtor's country (ISO 3166 alpha-2): slang, date order, currency
	Now     time.Time    // now, in the debtor's time zone (dates are anchored to it)
	DueDate acuerdo.Date // the next due date, when known: "10 days after my date"
	// Name is the debtor's name as the creditor has it, when known: "¿quién
	// es Juan?" and "not Juan lol" are read against it (see aboutName).
	Name string
}

// Reading is what a message says.
type Reading struct {
	// Intent is the best reading; Score its confidence (1 for a lexicon match,
	// else the classifier's posterior).
	Intent Intent
	Score  float64
	// Sure is false when the reader is guessing: ask one short question
	// instead of acting (or showing the menu).
	Sure bool
	// Guards are the guard intents found, most urgent first.
	Guards []Intent
	// Also are the other intents a lexicon found, for run-on messages that
	// ask several things ("I paid 80, can you move the rest to the 20th?").
	Also []Intent
	// Lang is the language the message is clearly written in ("" when too
	// short or mixed to tell); SwitchTo a language explicitly asked for.
	Lang     string
	SwitchTo string
	// Entities.
	Dates        []Date
	Time         *Time // a time of day, placed on the day named (or the next it is ahead)
	Amounts      []Amount
	Installments int    // "em 8x", "a 4 meses", "in four payments"
	Days         int    // a number of days: "15 días", "a pause of 10 days"
	YesNo        int    // 1 yes, -1 no, 0 neither
	Choice       int    // a bare menu number, 1-9
	Regulator    string // a regulator named in a complaint (PROFECO, Procon, CFPB…)
}

// Has reports whether the message carries intent i, as its best reading, a
// guard or a secondary intent.
func (r Reading) Has(i Intent) bool {
	return r.Intent == i || slices.Contains(r.Guards, i) || slices.Contains(r.Also, i)
}

// Guard returns the most urgent guard intent, or "".
func (r Reading) Guard() Intent {
	if len(r.Guards) == 0 {
		return ""
	}
	return r.Guards[0]
}

// Read understands one message (or several folded into one).
func Read(text string, c Context) Reading {
	var r Reading
	if n, ok := bareNumber(text); ok {
		// A menu number or the last digits of a document: nothing else to read.
		if n >= 1 && n <= 9 {
			return Reading{Intent: Menu, Score: 1, Sure: true, Choice: n}
		}
		if n >= 1000 {
			return Reading{Intent: Other, Score: 1}
		}
	}
	words := spell(Normalize(text))
	r.Lang = detectLang(words)
	r.SwitchTo = switchRequest(words)
	r.YesNo = yesNo(text, words)
	r.Choice = menuChoice(text)
	r.Regulator = regulator(words)

	// Entities first: dates are taken out before amounts, so "el 20" is a
	// day and not twenty pesos, and installment counts before both.
	rest := dateSlang(foldKeep(text))
	clock, rest := findTime(rest)
	r.Dates, rest = findDates(rest, c)
	r.Dates = dropRefused(r.Dates, words)
	if clock != nil {
		now := c.Now
		if now.IsZero() {
			now = time.Now()
		}
		r.Time = clock.on(r.Dates, now)
	}
	r.Installments, r.Amounts, r.Days = findQuantities(rest, c)

	found := lexicon(words)
	if notNamed.MatchString(text) {
		found[ThirdParty] = true
	}
	if ahead(r.Dates, c.Now) && !found[PaymentRep] {
		// A day ahead and a verb of paying are a promise however worded
		// ("consigo pagar 150 na sexta", "I get paid on the 15th, I'll pay
		// then"): with an amount, or where a lexicon read wanting to pay.
		if found[PayLink] || len(r.Amounts) > 0 && payingWord.MatchString(words) {
			found[Promise] = true
			delete(found, PayLink)
		}
	}
	if found[shortOfMoney] {
		if len(r.Dates) == 0 && !found[Promise] {
			found[Hardship] = true
		}
		delete(found, shortOfMoney)
	}
	switch wrong, other := aboutName(words, c.Name); {
	case wrong:
		found[WrongNumber] = true
		delete(found, ThirdParty)
	case other && !found[WrongNumber]:
		found[ThirdParty] = true
	}
	for _, i := range guardOrder {
		if found[i] {
			r.Guards = append(r.Guards, i)
		}
	}
	scores := classify(words)
	best, p := top(scores)

	// Guards favour recall: the classifier may add a guard the lexicons
	// missed ("me operaron y estoy en reposo") when it is confident enough.
	if escalation(best) && p >= guardThreshold && len(strings.Fields(words)) >= 3 && !identityAnswer.MatchString(words) && !slices.Contains(r.Guards, best) && !negatedGuard(words, best) && !(best == Human && found[Callback]) && !shortRequest(words, found) {
		r.Guards = append(r.Guards, best)
		slices.SortStableFunc(r.Guards, func(a, b Intent) int { return slices.Index(guardOrder, a) - slices.Index(guardOrder, b) })
	}
	// Several messages folded into one turn ("4050", then "BAJA" while the
	// verification was being answered) are also read one by one for guards:
	// a stop or a hand-over said on its own line must not be lost because a
	// neighbouring line (a document number, a greeting) changes how the
	// whole text reads.
	if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) > 1 {
		for _, line := range lines {
			for _, g := range Read(line, c).Guards {
				if !slices.Contains(r.Guards, g) {
					r.Guards = append(r.Guards, g)
				}
			}
		}
		slices.SortStableFunc(r.Guards, func(a, b Intent) int { return slices.Index(guardOrder, a) - slices.Index(guardOrder, b) })
	}
	for _, i := range Intents {
		if found[i] && !IsGuard(i) {
			r.Also = append(r.Also, i)
		}
	}
	switch {
	case len(r.Guards) > 0:
		r.Intent, r.Score, r.Sure = r.Guards[0], 1, true
	case r.Choice > 0:
		r.Intent, r.Score, r.Sure = Menu, 1, true
	case r.YesNo != 0 && !slices.ContainsFunc(r.Also, func(i Intent) bool { return i != Thanks && i != Greeting }):
		r.Intent, r.Score, r.Sure = Yes, 1, true
		if r.YesNo < 0 {
			r.Intent = No
		}
	case len(r.Also) > 0:
		r.Intent, r.Score, r.Sure = pickAlso(r.Also, best), 1, true
	case r.SwitchTo != "":
		r.Intent, r.Score, r.Sure = Language, 1, true
	default:
		r.Intent, r.Score = best, p
		r.Sure = p >= sureThreshold && best != Other
		if words == "" {
			r.Intent, r.Score, r.Sure = Other, 1, false
		}
	}
	if r.Intent == Other && len(r.Dates) > 0 && !slices.Contains(r.Also, Promise) {
		// A date alone is an answer to a date question; the dialogue knows which.
		r.Sure = true
	}
	return r
}

// shortRequest reports whether a short message is a request a lexicon read
// ("me da uma semana" is a pause): the classifier raises guards for stories,
// which are longer, not over a plain request.
func shortRequest(words string, found map[Intent]bool) bool {
	if len(strings.Fields(words)) >= 6 {
		return false
	}
	for _, i := range []Intent{Pause, Plan, Promise, DateChange, PayLink, Balance, PaymentRep} {
		if found[i] {
			return true
		}
	}
	return false
}

// escalation reports whether the classifier alone may raise guard intent i:
// the escalations people tell as stories (an illness, a loan they never took,
// mistreatment), where a false alarm costs an operator minutes. A false
// opt-out, third party or wrong number silences a debtor, and requests for a
// person or a lawyer are said in words the lexicons list, so those need a
// lexicon's words.
func escalation(i Intent) bool {
	return i == Hardship || i == Dispute || i == Complaint
}

// pickAlso chooses among the intents lexicons found: the classifier's choice
// when it is one of them, else the most specific.
func pickAlso(also []Intent, best Intent) Intent {
	if slices.Contains(also, best) {
		return best
	}
	for _, i := range []Intent{PaymentRep, Promise, DateChange, Pause, Plan, Discount, Interest, Callback, Balance, PayLink, Options, Menu, Language, Thanks, Greeting} {
		if slices.Contains(also, i) {
			return i
		}
	}
	return also[0]
}

// Normalize folds a message to the words the lexicons and the classifier
// read: lower-case ASCII words (acuerdo.FoldWords), letters repeated for
// emphasis squeezed ("siiii" → "si"), and common chat abbreviations spelled
// out ("xq" → "porque", "vc" → "voce", "pls" → "please").
func Normalize(text string) string {
	f := strings.Fields(acuerdo.FoldWords(text))
	for i, w := range f {
		w = squeeze(w)
		if s, ok := slang[w]; ok {
			w = s
		}
		f[i] = w
	}
	return strings.Join(f, " ")
}

// squeeze reduces runs of three or more of the same letter to one: people
// stretch words ("nooo", "holaaa", "porfaaa") but rarely write a letter three
// times on purpose.
func squeeze(w string) string {
	if len(w) < 3 {
		return w
	}
	b := []byte(w)
	out := b[:0]
	for i := 0; i < len(b); i++ {
		j := i
		for j+1 < len(b) && b[j+1] == b[i] {
			j++
		}
		if j-i >= 2 && (b[i] < '0' || b[i] > '9') {
			out = append(out, b[i])
		} else {
			out = append(out, b[i:j+1]...)
		}
		i = j
	}
	return string(out)
}

// slang spells out chat abbreviations (folded forms). "msg" is not among
// them: it is Spanish, Portuguese and English alike, and the lexicons list it.
var slang = map[string]string{
	// es
	"q": "que", "k": "que", "ke": "que", "xq": "porque", "pq": "porque", "porq": "porque", "xk": "porque",
	"x": "por", "xfa": "por favor", "xfavor": "por favor", "porfa": "por favor", "porfis": "por favor", "plis": "por favor", "porfavor": "por favor",
	"tmb": "tambien", "tb": "tambien", "tmbn": "tambien", "d": "de", "dl": "del", "ud": "usted", "uds": "ustedes", "cel": "celular",
	"nro": "numero", "num": "numero", "msj": "mensaje", "msjs": "mensajes", "mje": "mensaje", "mjes": "mensajes", "wsp": "whatsapp",
	"wpp": "whatsapp", "whats": "whatsapp", "wasap": "whatsapp", "guasap": "whatsapp", "zap": "whatsapp", "zapzap": "whatsapp",
	"aki": "aqui", "kiero": "quiero", "kieres": "quieres", "kien": "quien", "kiere": "quiere", "aca": "aqui", "pa": "para", "toy": "estoy", "soi": "soy", "estoi": "estoy", "tamos": "estamos", "bn": "bien", "grax": "gracias", "grs": "gracias",
	"graciass": "gracias", "mxo": "mucho", "salu2": "saludos", "dnd": "donde", "cdo": "cuando", "qdo": "cuando",
	"hrs": "horas", "hr": "hora", "bno": "bueno", "sta": "esta", "tas": "estas",
	// pt
	"vc": "voce", "vcs": "voces", "voc": "voce", "ce": "voce", "tbm": "tambem", "tbem": "tambem", "hj": "hoje", "amanha": "amanha",
	"dps": "depois", "blz": "beleza", "vlw": "valeu", "obg": "obrigado", "obgd": "obrigado", "obgda": "obrigada", "mto": "muito", "mt": "muito",
	"mta": "muita", "pfv": "por favor", "pf": "por favor", "nd": "nada", "td": "tudo", "tds": "todos", "qnd": "quando", "qto": "quanto",
	"qnto": "quanto", "cmg": "comigo", "sla": "sei la", "eh": "e", "naum": "nao", "n": "nao", "s": "sim", "ss": "sim",
	"kd": "cade", "fds": "fim de semana", "oq": "o que",
	// en
	"u": "you", "w": "with", "ur": "your", "r": "are", "pls": "please", "plz": "please", "pleas": "please", "thx": "thanks", "thnx": "thanks", "ty": "thanks",
	"tks": "thanks", "tnx": "thanks", "idk": "i dont know", "dont": "dont", "cant": "cant", "wont": "wont", "gonna": "going to",
	"wanna": "want to", "gotta": "have to", "b4": "before", "2morrow": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow", "tmw": "tomorrow",
	"2day": "today", "bc": "because", "cuz": "because", "coz": "because", "ppl": "people", "txt": "text", "txts": "texts", "msging": "messaging",
	"yea": "yeah", "ya": "ya", "rn": "right now", "asap": "as soon as possible", "hrly": "hourly", "pmt": "payment", "pymt": "payment",
}

// A capitalised name after "no soy" / "não sou" / "I'm not" in the original
// text: "No soy Juan", "Não sou a Maria", "I'm not Robert".
var notNamed = mustQuick(`(?:\b[Nn]o soy|\b[Nn][aã]o sou(?: [oa])?|\bI['’]?m not|\bI am not|\b[Tt]his is not|\b[Tt]his isn'?t)\s+\p{Lu}\p{Ll}+`)

// dropRefused drops a day named only to say it will not do ("ahorita no
// tengo, le pago el viernes", "not today, friday"), when another day is
// named: the promise is for the other.
func dropRefused(dates []Date, words string) []Date {
	if len(dates) < 2 {
		return dates
	}
	out := dates[:0:0]
	for _, d := range dates {
		if t := Normalize(d.Text); t != "" && refused(words, t) {
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return dates
	}
	return out
}

// refused reports whether the words say no to the day named t: "no
// mañana", "hoy no", "friday i cant".
func refused(words, t string) bool {
	for _, no := range []string{"no", "nao", "not"} {
		if hasWords(words, no+" "+t) {
			return true
		}
	}
	for _, no := range []string{"no", "nao", "n", "not", "i cant", "i cannot", "i can not", "i dont", "cant", "cannot", "tampoco"} {
		if hasWords(words, t+" "+no) {
			return true
		}
	}
	return false
}

// hasWords reports whether phrase is in words as whole words; both are
// Normalize's output, words of letters and digits between single spaces.
func hasWords(words, phrase string) bool {
	for i := 0; i <= len(words); {
		j := strings.Index(words[i:], phrase)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(phrase)
		if (j == 0 || words[j-1] == ' ') && (end == len(words) || words[end] == ' ') {
			return true
		}
		i = j + 1
	}
	return false
}

// dateSlangs are chat spellings of days ("tmrw", "hj", "mñn", "prox
// viernes"), spelt out for the date reader, which reads the text as typed.
var dateSlangs = map[string]string{
	"tmrw": "tomorrow", "tmr": "tomorrow", "tmw": "tomorrow", "tmrrw": "tomorrow", "2morrow": "tomorrow", "2moro": "tomorrow", "2day": "today",
	"hj": "hoje", "amnh": "amanha", "mnn": "manana", "mnana": "manana",
	"prox": "proximo", "prx": "proximo", "fds": "fim de semana", "finde": "fin de semana",
}

var slangToken = regexp.MustCompile(`[\p{L}0-9]+`)

func dateSlang(s string) string {
	return slangToken.ReplaceAllStringFunc(s, func(w string) string {
		if d, ok := dateSlangs[strings.ToLower(w)]; ok {
			return d
		}
		return w
	})
}

// payingWord finds a verb of paying, in any of the three languages.
var payingWord = mustQuick(`\b(pag[a-z]*|pay[a-z]*|deposit[a-z]*|consign[a-z]*|transfer[a-z]*|abon[a-z]*|pix|send|mando|mandar|envio|enviar|doy|dou|give|paid|can do|could do|puedo hacer|posso fazer|faco)\b`)

// ahead reports whether some date is after the day of now: a day still to
// come, on which something can be promised.
func ahead(dates []Date, now time.Time) bool {
	if now.IsZero() {
		now = time.Now()
	}
	today := acuerdo.DateOf(now)
	for _, d := range dates {
		if today.Before(d.Date) {
			return true
		}
	}
	return false
}

// identityAnswer is a message carrying four or more digits: most likely the
// last digits of a document, which the classifier must not read as a story.
var identityAnswer = mustQuick(`\b\d{4,}\b`)

// bareNumber reads a message that is only a number (with spaces or a final
// period around it).
func bareNumber(text string) (int, bool) {
	t := strings.TrimRight(strings.TrimSpace(text), ".!)")
	if t == "" || len(t) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
		n = n*10 + int(t[i]-'0')
	}
	return n, true
}
