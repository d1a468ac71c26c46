package kb

import "strings"

// Debtors and creditors name the same things differently ("queja" and
// "reclamo", "celular" and "teléfono", "app" and "aplicación"); a lexical
// index only meets them if both become one term. These groups are the
// collection domain's common synonyms in the three languages, written from
// the domain, not from any creditor's documents: the first word of a group
// is the term every other one becomes. Words are folded (no accents); a
// group applies to the word before stemming (wordSynonyms) or to its stem
// (stemSynonyms) — before, where stems would collide ("aplicación" and
// "aplica" share "aplic").
var wordGroups = []string{
	"app aplicacion aplicaciones aplicativo aplicativos application apps",
	"pazysalvo pazisalvo",
	"correo email mail emails correos",
}

var stemGroups = []string{
	"reclam quej queix complaint pqr pqrs",
	"telefon celular movil phon cel whatsapp",
	"oficin sede sucursal agenci office branch",
	"horari hor hour schedul",
	"diner plat dinheir money",
	"prestam emprestim loan credito",
	"certific constanci certida certificat",
	"anticip adelant antecip prepay abon",
	"comision tarif fee taxa",
	"buro datacredit transunion serasa spc equifax experian bureau negativ negativac central",
	"mor atras late overdu inadimpl vencid",
	"interes jur interest",
	"actualiz atualiz updat",
	"direccion enderec address domicili",
	"tard demor",
	"asesor agent atendent advisor",
	"suprim elimin borr exclu delet remov",
	"fraud estaf golp scam sospech",
}

var wordSynonyms, stemSynonyms = map[string]string{}, map[string]string{}

func init() {
	for _, g := range wordGroups {
		f := strings.Fields(g)
		for _, w := range f[1:] {
			wordSynonyms[w] = f[0]
		}
	}
	for _, g := range stemGroups {
		f := strings.Fields(g)
		for _, w := range f[1:] {
			stemSynonyms[w] = f[0]
		}
	}
}
