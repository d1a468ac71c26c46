package understand

import (
	"regexp"
	"strings"
)

// Words that mark a language: frequent, and rare in the other two.
var langWords = map[string][3]bool{} // es, pt, en

func init() {
	add := func(i int, words string) {
		for _, w := range strings.Fields(words) {
			v := langWords[w]
			v[i] = true
			langWords[w] = v
		}
	}
	add(0, `el los las del al y pero porque que quiero puedo tengo estoy hola gracias usted ustedes mi mis tu su sus es esta este eso esto
		cuanto cuando donde como pagar deuda credito cuota fecha semana mes dia dias hoy manana ahora ya muy bien buenas buenos tardes noches
		necesito hablar persona por favor ayuda porfa voy hacer puede pueden sin con pago pague pesos mil yo soy hay algo nada todo otro otra
		despues luego entonces tambien aqui alla si mucho poco trabajo dinero plata lunes martes miercoles jueves viernes sabado domingo`)
	add(1, `o os as do da dos das no na nos nas e mas porque que quero posso tenho estou oi ola obrigado obrigada voce voces meu minha seu sua
		isso esse essa este esta quanto quando onde como pagar divida credito parcela data semana mes dia dias hoje amanha agora ja muito bem
		boa bom tarde noite preciso falar pessoa por favor ajuda vou fazer pode podem sem com pagamento paguei reais mil eu sou tem algo nada
		tudo outro outra depois entao tambem aqui ali sim nao trabalho dinheiro segunda terca quarta quinta sexta sabado domingo gostaria ta`)
	add(2, `the an of to in on and but because i im my you your it is are was can want need have has does dont hi hello thanks thank
		please pay debt loan payment date week month day days today tomorrow now already very good morning afternoon evening talk person help
		will would could with without money dollars what when where how much yes no not this that there here work job monday tuesday wednesday
		thursday friday saturday sunday ill id ive balance owe`)
	// Words of two languages mark both: "para" is Spanish and Portuguese;
	// "me", "a" and "plan" are not English evidence in "me gustaría un plan".
	add(0, `un una unos en le lo para gustaria quisiera`)
	add(1, `para gostaria queria`)
}

// GuessLanguage guesses the language of a first message from someone whose
// language nothing else gives ("hi" is English, "oi" Portuguese): the
// language with the most marking words, or "" on a tie or none.
func GuessLanguage(text string) string {
	words := Normalize(text)
	if l := detectLang(words); l != "" {
		return l
	}
	score := langScores(words)
	best := 0
	for i := 1; i < 3; i++ {
		if score[i] > score[best] {
			best = i
		}
	}
	for i := range 3 {
		if i != best && score[i] == score[best] {
			return ""
		}
	}
	return [3]string{"es", "pt-BR", "en"}[best]
}

// detectLang says which of es, pt-BR and en the words are clearly written in,
// or "" when the message is too short or mixed to tell.
func detectLang(words string) string {
	score := langScores(words)
	best, second := 0, -1
	for i := 1; i < 3; i++ {
		if score[i] > score[best] {
			best = i
		}
	}
	for i := range 3 {
		if i != best && (second < 0 || score[i] > score[second]) {
			second = i
		}
	}
	// Clear: at least three marking words and twice the runner-up's; or, in
	// a short sentence of three words or more, two marking words, none of
	// another language, not all of them courtesy ("Wrong number, I'm not
	// Juan" is English; "ok thank you" from a Colombian may not be).
	clear := score[best] >= 3 && score[best] >= 2*score[second]+1 ||
		score[best] >= 2 && score[second] == 0 && len(strings.Fields(words)) >= 3 && !onlyCourtesy(words, best)
	if !clear {
		return ""
	}
	return [3]string{"es", "pt-BR", "en"}[best]
}

// courtesy words mark a language weakly: people borrow them across languages.
var courtesy = map[string]bool{
	"hola": true, "gracias": true, "por": true, "favor": true, "si": true, "buenas": true, "buenos": true,
	"oi": true, "ola": true, "obrigado": true, "obrigada": true, "sim": true, "bom": true, "boa": true,
	"hi": true, "hello": true, "thanks": true, "thank": true, "you": true, "please": true, "yes": true, "no": true, "good": true, "morning": true,
}

// onlyCourtesy reports whether every word marking language i is a courtesy word.
func onlyCourtesy(words string, i int) bool {
	for _, w := range strings.Fields(words) {
		if v := langWords[w]; v[i] && !(v[0] && v[1] && v[2]) && !courtesy[w] {
			return false
		}
	}
	return true
}

// langScores counts each language's marking words among the words.
func langScores(words string) [3]int {
	var score [3]int
	for _, w := range strings.Fields(words) {
		v, ok := langWords[w]
		if !ok || v[0] && v[1] && v[2] {
			continue
		}
		for i := range 3 {
			if v[i] {
				score[i]++
			}
		}
	}
	return score
}

var switchRe = mustQuick(`\b(ingles|english|espanol|espanhol|spanish|castellano|portugues|portuguese)\b`)

// switchRequest returns the language a message asks to be spoken to in, or "".
func switchRequest(words string) string {
	if !rules[langRule].pattern.MatchString(words) {
		return ""
	}
	m := switchRe.FindAllString(words, -1)
	if len(m) == 0 {
		return ""
	}
	// "No hablo bien el español, ¿en inglés?": the last named is wanted, unless
	// the message says it does not understand that one.
	name := m[len(m)-1]
	if notSpoken(words, name) {
		if len(m) == 1 {
			// "Sorry I don't speak Spanish": the language they write in,
			// when it is plain, is the one they want.
			score := langScores(words)
			for i, l := range [3]string{"es", "pt-BR", "en"} {
				if score[i] > 0 && score[i] > score[(i+1)%3] && score[i] > score[(i+2)%3] && langName(name) != l {
					return l
				}
			}
			return ""
		}
		name = m[0]
	}
	return langName(name)
}

// notSpoken reports whether the words say the writer does not speak or
// understand the language called name.
func notSpoken(words, name string) bool {
	return regexp.MustCompile(`\b(no|dont|nao|cant|can not|cannot) (hablo|entiendo|speak|understand|read|falo|entendo|leo|leio) (bien |well |bem |mucho |muito |much )?(el |o )?` + name).MatchString(words)
}

// langName is the locale a language's folded name stands for.
func langName(name string) string {
	switch name {
	case "ingles", "english":
		return "en"
	case "portugues", "portuguese":
		return "pt-BR"
	}
	return "es"
}

// langRule is the index of the Language lexicon in rules.
var langRule = func() int {
	for i, r := range rules {
		if r.intent == Language {
			return i
		}
	}
	panic("understand: no language lexicon")
}()
