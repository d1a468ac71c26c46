package kb

import (
	"strings"

	"acuerdo"
)

// The analyser turns text into index terms: words folded to lower-case ASCII
// (acuerdo.FoldWords, the one home of accent folding), stop words of
// Spanish, Portuguese and English dropped, and each word cut to a light stem
// so that "pagar", "pago", "pagos" and "pagué" meet, and so do "hours" and
// "hour". It is applied in Go to documents and questions alike; the database
// indexes its output as plain tokens. That keeps SQLite's FTS5 and
// PostgreSQL's full-text search finding the same passages, which their own
// language analysers would not (and the question's language is often
// unknown, or mixed).

// stopWords are function words and question words of the three languages:
// they say nothing about which passage answers.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		a al algo algun alguna alguno algunos ante antes aqui asi aun cada como con contra cual cuales cualquier
		de del desde dos durante e el ella ellas ellos en entre era eres es esa ese eso esos esta estas este esto estos estoy fue fueron
		ha han has hay he hola la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros nuestra nuestro nuestros o os otra otro
		para pero poco por porque puede pueden puedo que quien quienes se sea ser si sin sobre son soy su sus tambien tan te tengo tiene tienen
		toda todo todos tu tus un una uno unos usted ustedes vez y ya yo hacer hago hace favor gracias buenas buenos dias tardes noches quiero
		quisiera necesito saber dime decir digan pregunta consulta informacion info alguien ustedes tienes tenemos
		queda quedan quedo quedar estar estan tener ir va van voy dar da dan doy ver veo vez hacen haciendo mandar manda
		fica ficar faz fazer ter vai vou dar ver vejo
		ao aos as ate com da das depois do dos ela elas ele eles em entre essa esse esta estao este eu foi ha isso isto ja lhe mais mas meu minha
		muito na nao nas nem no nos nossa nosso num numa o os ou pela pelas pelo pelos pode podem posso pra pro quais qual
		quem se seja sem ser seu seus sim sua suas tambem te tem tenho voce voces vcs oi ola obrigado obrigada boa bom quero gostaria preciso
		sobre favor algum alguma tudo todos
		about am an and any are as at be been but by can could did do does for from get got had has have how i if im in is it its me my
		no not of on or our please so than that the their them there these they this to us was we what whats which who why will with
		would you your yours hi hello thanks thank hey want need know tell ask question dont do doesnt
		go goes going make makes give gives see`) {
		stopWords[w] = true
	}
}

// softWords are the question words of place and time: "dónde" and "cuándo" tell a passage
// about where to pay from one about when a payment posts, so they rank
// passages, but a question is not less answered for a passage lacking them,
// so they do not count in the confidence (Search).
var softWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`cuando cuanto cuanta cuantos cuantas donde onde quando quanto quantos where when`) {
		softWords[Stem(w)] = true
	}
}

// Soft reports whether an analysed term is a question word (see softWords).
func Soft(term string) bool { return softWords[term] }

// suffixes are cut from the end of a word, longest first, keeping a stem of
// at least three letters. Verbs' plural and past endings (-an, -en, -am,
// -em, -aron, -aram) are there because debtors ask what "they" do
// ("atienden", "atendem", "cobran", "negativam") of documents that name
// the service ("atención", "atendimento", "cobrar"). They are the inflections and derivations the three
// languages share most; a real stemmer per language would split "pago"
// (es) from "pagamento" (pt), which a bilingual FAQ wants together.
var suffixes = []string{
	"amientos", "imientos", "amiento", "imiento", "amentos", "imentos", "amento", "imento",
	"aciones", "iciones", "ations", "acion", "icion", "acoes", "icoes", "acao", "icao", "ation",
	"mente", "ments", "ment", "ando", "iendo", "endo", "indo",
	"ieron", "aron", "aram", "eram", "iram",
	"ados", "idos", "adas", "idas", "ado", "ido", "ada", "ida",
	"ing", "ies", "ed", "ly",
	"ar", "er", "ir", "es", "as", "os", "is", "us", "an", "en", "am", "em",
	"a", "e", "o", "s", "y",
}

// Stem cuts a folded word to its light stem.
func Stem(w string) string {
	if len(w) <= 3 || w[0] >= '0' && w[0] <= '9' {
		return w
	}
	for _, s := range suffixes {
		if len(w)-len(s) >= 3 && strings.HasSuffix(w, s) {
			w = w[:len(w)-len(s)]
			break
		}
	}
	// Spelling that follows the vowel: pague → pagu → pag, busque → busqu → busc.
	switch {
	case strings.HasSuffix(w, "gu") && len(w) >= 4:
		w = w[:len(w)-1]
	case strings.HasSuffix(w, "qu") && len(w) >= 4:
		w = w[:len(w)-2] + "c"
	}
	return w
}

// Terms analyses text into index terms, in order, repeats kept (a passage's
// term frequencies count).
func Terms(text string) []string {
	var out []string
	folded := acuerdo.FoldWords(text)
	words := strings.Fields(folded)
	for _, p := range phrases {
		if p.re.MatchString(folded) {
			words = append(words, p.term)
		}
	}
	for _, w := range words {
		if stopWords[w] || len(w) < 2 {
			continue
		}
		if c, ok := wordSynonyms[w]; ok {
			w = c
		}
		st := Stem(w)
		if c, ok := stemSynonyms[st]; ok {
			st = c
		}
		out = append(out, st)
	}
	return out
}

// QueryTerms analyses a question: its distinct terms, in order.
func QueryTerms(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Terms(text) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
