package understand

import (
	"regexp"
	"strings"
	"sync"

	"acuerdo"
)

// Whoever holds a number that is not the debtor's often answers with the
// debtor's name: "¿quién es Juan?", "no conozco a ningún Juan", "not Juan
// lol", "aqui não mora nenhum Mateus". The lexicons cannot list names, so
// these forms are read here against the name the creditor has on file
// (Context.Name), lower-case or not, with or without accents.

// namePatterns are the forms, with N where the first name goes. The first
// group says the writer does not know the debtor (a wrong number); the
// second only that the writer is someone else (a third party, who may well
// know the debtor: "no soy Juan, soy la esposa").
var (
	wrongNameForms = []string{
		`(quien|quienes|quem|who|whos|who s) (es|e|eh|is|s|this|that|the hell is|tf is)? ?(el |la |o |a |ese |esa |esse |essa |this )?(senor |senora |senhor |senhora |sr |sra |man |mister |mr |mrs |ms )?N`,
		`(no|nao|dont|do not|never|didnt|nunca) (conozco|conoci|conheco|conheci|know|knew|heard of|ouvi falar de|he oido de|oi) (a |al |a la |o |a |any |anyone named |anybody named |no |ningun |ninguna |nenhum |nenhuma |nadie llamad[oa] |ninguem chamad[oa] )?(senor |senora |senhor |senhora |sr |sra |mr |mrs |ms )?N`,
		`(no|nao) (hay|vive|mora|tem|existe) (aqui |aca |ninguem |nadie )?(ningun |ninguna |nenhum |nenhuma |nadie llamad[oa] |ninguem chamad[oa] |ningun senor |ninguna senora )?N`,
		`N (no|nao|doesnt|does not) (vive|mora|live|lives|trabaja|existe) (aqui|aca|here|mais aqui|ya aqui|anymore)`,
		`(there is|theres|there s) no N`, `(no|nao|there s no|theres no) N (aqui|aca|here)`,
		`(numero|telefono|celular|cel|whatsapp|telefone|number|phone)( \w+){0,3} (no|nao|not|isnt|is not|nunca) (\w+ ){0,3}(de |do |da |del )?N`,
	}
	otherNameForms = []string{
		`(no|nao) (soy|sou|eres|es|e) (yo |eu )?(el |la |o |a |el senor |la senora |o senhor |a senhora )?N`,
		`(im|i m|i am|this is|this isnt|this is not|its|it s|it is) not N`, `^not N`, `N (no|nao) (soy|sou) (yo|eu)`,
		`N (ya )?(fallecio|murio|se murio|faleceu|morreu|died|passed away|passed|has passed|has died|is dead|esta muert[oa]|ta mort[oa]|esta mort[oa]|e falecid[oa])`,
	}
)

var nameRes sync.Map // folded first name → [2][]*regexp.Regexp

// nameForms compiles the forms for one first name.
func nameForms(name string) [2][]*regexp.Regexp {
	if v, ok := nameRes.Load(name); ok {
		return v.([2][]*regexp.Regexp)
	}
	var out [2][]*regexp.Regexp
	for k, forms := range [2][]string{wrongNameForms, otherNameForms} {
		for _, f := range forms {
			out[k] = append(out[k], regexp.MustCompile(`\b(?:`+strings.ReplaceAll(f, "N", regexp.QuoteMeta(name))+`)\b`))
		}
	}
	nameRes.Store(name, out)
	return out
}

// firstName folds the first word of a name of three letters or more: the
// one people use ("Juan Sánchez Torres" → "juan").
func firstName(name string) string {
	f := strings.Fields(acuerdo.FoldWords(name))
	if len(f) == 0 || len(f[0]) < 3 {
		return ""
	}
	return f[0]
}

// aboutName reports whether the words say the writer does not know the
// debtor named name (wrong) or is not them (other).
func aboutName(words, name string) (wrong, other bool) {
	first := firstName(name)
	if first == "" || !strings.Contains(words, first) {
		return false, false
	}
	forms := nameForms(first)
	for _, re := range forms[0] {
		if re.MatchString(words) {
			return true, false
		}
	}
	for _, re := range forms[1] {
		if re.MatchString(words) {
			return false, true
		}
	}
	return false, false
}
