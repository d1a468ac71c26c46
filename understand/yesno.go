package understand

import (
	"strings"
)

// Yes and no in their many forms: "claro que sí", "dale", "bora", "sim, pode
// ser", "yep", "👍". They count when they are most of a short message: in a
// long one "sí" is a word among others.
var (
	yesRe = mustQuick(`^(?:(?:si|sim|yes|yeah|yep|yup|ya|ok|okay|okey|oki|va|vale|dale|sale|bora|claro|listo|perfecto|perfeito|exacto|exato|correcto|correto|certo|isso|eso|sure|right|correct|affirmative|absolutely|definitely|beleza|fechado|fechou|fecho|firmeza|demorou|suave|sure thing|yes maam|yes sir|claro q si|obvio que si|va que va|simon que si|confirmo|confirmado|acepto|aceito|accept|agreed|agree|de acuerdo|de acordo|por supuesto|of course|obvio|simon|sip|sep|aja|uhum|uhum|ss|s|y|k|hagamoslo|bueno|pode ser|pode|pode sim|puede ser|esta bien|ta bom|ta|tudo bem|tudo certo|sounds good|lets do it|lets go|go ahead|do it|deal|fine|good|great|thats right|thats it|esa|ese|eso es|asi es|de una|hecho|feito|manda|mande|manda ver|vamos|vamo|andale|orale|confirm|confirmed|yes please|claro que si|claro que sim|sim claro|si claro|si por favor|sim por favor|yes sure|ok dale|si dale|dale si|si si|sim sim|yes yes)\b ?)+(?:(?:por favor|please|pls|gracias|obrigad[oa]|thanks|thank you|senor|senora|amigo|amiga|nomas|ya|entonces|then|mano|cara|mesmo|perfeito|perfecto|claro|de una|hagamoslo|pode|confirmo|confirmado|acepto|aceito|listo|dale|bora|sim|si|yes|ok|vale|bueno|va|sale|certo|isso|sure|fine|good|great|go ahead)\b ?)*$`)
	noRe  = mustQuick(`^(?:(?:no|nao|nop|nope|nah|naw|nel|negativo|negative|jamas|nunca|never|para nada|de ninguna manera|no way|not really|not now|todavia no|aun no|ainda nao|agora nao|ahora no|mejor no|melhor nao|no gracias|nao obrigado|nao obrigada|no thanks|no thank you|nem pensar|tampoco|ni modo|no puedo|nao posso|i cant|cant|no quiero|nao quero|i dont want|dont want|rather not|i dont think so|not that|ese no|esse nao|no ese|no esa|no me sirve|nao serve|doesnt work|no acepto|nao aceito|i decline|cancel that|no no|nao nao|no no no)\b ?)+(?:(?:por favor|please|gracias|obrigad[oa]|thanks|senor|senora|amigo|amiga|mejor|better|entonces|then|ahora|agora|now|todavia|ainda|yet)\b ?)*$`)
)

var yesEmoji = []string{"👍", "👌", "✅", "🙆", "🤝", "✔", "☑", "🆗", "💯"}
var noEmoji = []string{"👎", "❌", "🙅", "✖", "🚫"}

// yesNo reads yes (1), no (-1) or neither (0).
func yesNo(text, words string) int {
	if words == "" {
		for _, e := range yesEmoji {
			if strings.Contains(text, e) {
				return 1
			}
		}
		for _, e := range noEmoji {
			if strings.Contains(text, e) {
				return -1
			}
		}
		return 0
	}
	if len(strings.Fields(words)) > 10 {
		return 0
	}
	switch {
	case noRe.MatchString(words):
		return -1
	case yesRe.MatchString(words):
		return 1
	}
	return 0
}

// menuChoice reads a bare menu number, 1 to 9, with punctuation around it
// ("1", "1.", "opción 3", "la 2", "#4").
func menuChoice(text string) int {
	w := strings.Fields(Normalize(text))
	switch {
	case len(w) == 1:
	case len(w) == 2 && (w[0] == "opcion" || w[0] == "opcao" || w[0] == "option" || w[0] == "la" || w[0] == "el" || w[0] == "a" || w[0] == "o" || w[0] == "numero" || w[0] == "number"):
		w = w[1:]
	default:
		return 0
	}
	if len(w[0]) == 1 && w[0][0] >= '1' && w[0][0] <= '9' {
		return int(w[0][0] - '0')
	}
	return 0
}
