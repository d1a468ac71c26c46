package kb

import (
	"regexp"
	"strings"
)

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
	"horari hor hour schedul abr abren abrem abre open abiert abert",
	"atencion atiend atend attend",
	"diner plat dinheir money",
	"prestam emprestim loan credito",
	"certific constanci certida certificat",
	"anticip adelant antecip prepay abon",
	"comision tarif fee taxa",
	"buro datacredit transunion serasa spc equifax experian bureau negativ negativac central score",
	"mor atras late overdu inadimpl vencid",
	"interes jur interest",
	"direccion enderec address domicili",
	"tard demor",
	"asesor agent atendent advisor",
	"suprim elimin borr exclu delet remov",
	"fraud estaf golp scam sospech",
	"cost cuest cust gratis gratuit",
	"deud deb owe debt divid",
	"actualiz atualiz updat cambi troc chang",
	"reflej aparec show post compens caiu cai baixou baix",
}

// phrases are what debtors say in several words for one of the documents'
// concepts; the concept's word is added to the question's (the words stay).
// "¿Qué pasa si no pago?" is about arrears: "no" is a stop word, so without
// this it is only "pasa" and "pago", and the payment methods answer it. "Si
// no puedo pagar" is not here: it asks for a payment arrangement.
var phrases = []struct {
	re   *regexp.Regexp
	term string
}{
	{regexp.MustCompile(`\b(si|se|if|when) (yo |eu |i )?(no|nao|dont|do not|didnt|did not|never) (pago|pagar|pague|pagas|pagamos|pay|paid)\b`), "mora"},
	{regexp.MustCompile(`\b(pago|pagar|pague|pagamento|pay|paid|payment) (tarde|atrasad[oa]|late)\b`), "mora"},
	{regexp.MustCompile(`\b(miss|missed|skip|skipped) (a |my |one )?payments?\b`), "mora"},
	{regexp.MustCompile(`\bnome (sujo|limpo)\b|\blimpar (o |meu )?nome\b`), "negativacao"},
	{regexp.MustCompile(`\bcredit (score|report|history)\b`), "bureau"},
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
