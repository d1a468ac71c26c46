package httpx

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Lang is one language the pages speak, by its code and its own name.
type Lang struct{ Code, Name string }

// Langs are the languages every door speaks, in the order the pages' language
// switchers list them.
var Langs = []Lang{{"es", "Español"}, {"pt-BR", "Português"}, {"en", "English"}}

// PickLang chooses the page's language: ?lang= when it names one we speak,
// else the best match of Accept-Language, else Spanish.
func PickLang(r *http.Request) string {
	if l := MatchLang(r.URL.Query().Get("lang")); l != "" {
		return l
	}
	type cand struct {
		tag string
		q   float64
	}
	var cands []cand
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if tag != "" && q > 0 {
			cands = append(cands, cand{tag, q})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].q > cands[j].q })
	for _, c := range cands {
		if l := MatchLang(c.tag); l != "" {
			return l
		}
	}
	return "es"
}

// MatchLang maps a language tag to one of ours by its primary subtag: any
// Portuguese gets pt-BR, any Spanish es, any English en.
func MatchLang(tag string) string {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	primary, _, _ = strings.Cut(primary, "_")
	switch primary {
	case "es":
		return "es"
	case "pt":
		return "pt-BR"
	case "en":
		return "en"
	}
	return ""
}
