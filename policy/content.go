package policy

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"acuerdo"
)

// MaxReplyLength is the most characters one WhatsApp message may carry
// through Twilio; longer replies are refused (too_long) or split (SplitMessage).
const MaxReplyLength = 1600

// Allowed lists what the tools of this conversation produced. A reply may
// mention these amounts, dates, URLs and plan ids, and nothing else of the kind:
// a number the model made up is worse than no number.
type Allowed struct {
	Amounts []string       // decimal strings as tools return them ("150000.00"); Money.Decimal gives one
	Dates   []acuerdo.Date // due dates, promise dates, plan dates
	URLs    []string       // payment links and any other link a tool returned
	PlanIDs []string       // ids of plans offered in this conversation
	// Verbatim strings the reply may quote as they are (the debtor's name, an
	// account reference, the debtor's email, the creditor's CNPJ); they are
	// skipped before any check, so "Sue" is a name and not a lawsuit.
	Verbatim []string
}

// Violation is one content rule a reply breaks.
type Violation struct {
	Rule   string // forbidden_language, unverified_amount, unverified_date, unverified_url, unverified_plan, too_long
	Text   string // the offending fragment of the reply
	Reason string
}

// CheckReply checks one outgoing reply of the bot and returns every violation,
// or none. See amounts.go for what counts as an amount.
func CheckReply(text string, a Allowed) []Violation {
	var vs []Violation
	add := func(v Violation) {
		for _, o := range vs {
			if o.Rule == v.Rule && o.Text == v.Text {
				return
			}
		}
		vs = append(vs, v)
	}
	if n := utf8.RuneCountInString(text); n > MaxReplyLength {
		add(Violation{RuleTooLong, "", "the reply has " + strconv.Itoa(n) + " characters; the most is " + strconv.Itoa(MaxReplyLength) + ": shorten it or split it"})
	}
	f := foldAligned(text)
	for _, s := range a.Verbatim {
		f.blankAll(s)
	}
	checkFolded(f, a, add)
	return vs
}

// checkFolded runs the fact and language rules on folded text whose verbatim
// strings are already blanked.
func checkFolded(f *folded, a Allowed, add func(Violation)) {
	for _, id := range a.PlanIDs {
		f.blankAll(id)
	}
	checkURLs(f, a, add)
	for _, m := range forbidden.FindAllIndex(f.b, -1) {
		add(Violation{RuleForbiddenLanguage, f.original(m[0], m[1]), "threats, legal action, credit bureaus and shaming are never allowed; speak of options and help"})
	}
	checkDates(f, a, add)
	checkPlans(f, a, add)
	checkAmounts(f, a, add)
}

// blankAll blanks every case- and accent-insensitive occurrence of s that
// stands as whole words, so the name "Ana" does not blank part of "mañana".
func (f *folded) blankAll(s string) {
	needle := string(foldAligned(strings.TrimSpace(s)).b)
	if needle == "" {
		return
	}
	for i := 0; ; {
		j := strings.Index(string(f.b[i:]), needle)
		if j < 0 {
			return
		}
		start, end := i+j, i+j+len(needle)
		if (start == 0 || !isWordByte(f.b[start-1])) && (end == len(f.b) || !isWordByte(f.b[end])) {
			f.blank(start, end)
		}
		i = start + 1
	}
}

// forbidden is the language a collection message never uses, in es, pt and en:
// threats, jail, seizure, lawsuits, credit bureaus, and shaming or insults.
var forbidden = func() *regexp.Regexp {
	terms := []string{
		// threats
		`amenaza\w*`, `consecuencias (legales|graves|juridicas)`, `atengase a las consecuencias`, `ultima advertencia`, `se (va a )?arrepentir\w*`,
		`(visitaremos|iremos a) (su|tu) (casa|domicilio|trabajo)`, `(contactaremos|llamaremos|avisaremos) a (su|tu|sus|tus) (familia\w*|jefe|empleador|trabajo|referencias)`,
		`ameaca\w*`, `consequencias (legais|graves|juridicas)`, `ultimo aviso`, `vai se arrepender`,
		`threat\w*`, `or else`, `(last|final) warning`, `you will regret`, `legal consequences`, `we know where you (live|work)`,
		// jail
		`carcel`, `prision`, `preso`, `presa`, `arrest\w*`, `policia`, `prisao`, `cadeia`, `jail`, `prison`, `police`,
		// seizure
		`embarg\w*`, `incauta\w*`, `secuestro de bienes`, `decomis\w*`, `penhor\w*`, `bloqueio (judicial|de bens)`, `confisca\w*`,
		`seiz\w*`, `garnish\w*`, `repossess\w*`, `lien`,
		// lawsuits
		`demanda\w*`, `proceso judicial`, `cobro juridico`, `accion(es)? (judicial|judiciales|legal|legales)`, `juicio`, `juzgado`, `tribunal\w*`, `abogad\w*`,
		`processo judicial`, `acao judicial`, `acoes judiciais`, `medidas judiciais`, `cobranca judicial`, `processar (voce|vc|o senhor|a senhora)`, `justica`, `advogad\w*`,
		`lawsuit`, `sue`, `suing`, `sued`, `legal action`, `court`, `attorney`, `lawyer`,
		// credit bureaus and reporting
		`datacredito`, `centrales? de riesgo`, `cifin`, `transunion`, `experian`, `equifax`, `buro de credito`, `circulo de credito`, `veraz`,
		`report(arlo|arla|arte|arle|arles|aremos)`, `reportad[oa]s? (a|ante|en) (las )?centrales`, `reportes? negativos?`, `(lo|la|te|le|los|las) (vamos a |van a |podemos |podriamos |podria )?reportar`,
		`reportar (ante|a las centrales|en las centrales)`, `historial crediticio`, `vida crediticia`,
		`serasa`, `spc`, `scpc`, `boa vista scpc`, `nome sujo`, `negativa(r|do|da|cao)`, `sujar (o|seu) nome`,
		`credit (bureau|bureaus|report|reporting|score|rating|history)`, `report (you|this debt|your debt|the debt)`, `reported to`,
		// shaming and insults
		`verguenza`, `sinverguenza`, `irresponsable`, `moros[oa]s?`, `tramposo`, `estafador`, `ladron`, `mentiros[oa]`, `idiota`, `estupid[oa]`, `inutil`,
		`vergonha`, `caloteir[oa]`, `vagabund[oa]`, `mau pagador`, `ma pagadora`, `irresponsavel`, `mentiros[oa]`, `ladrao`,
		`deadbeat`, `shame\w*`, `ashamed`, `irresponsible`, `liar`, `thief`, `stupid`, `idiot`, `loser`, `lazy`, `pathetic`,
	}
	return regexp.MustCompile(`\b(?:` + strings.ReplaceAll(strings.Join(terms, "|"), " ", `\s+`) + `)\b`)
}()
