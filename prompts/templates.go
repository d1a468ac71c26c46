package prompts

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

//go:embed templates.json
var templatesJSON []byte

// Template is an approved WhatsApp message template: the only way to write to a
// debtor outside the 24-hour window. Its text is what was submitted for approval;
// the provider knows it by a content id configured per locale.
type Template struct {
	Name      string
	Category  string   // utility, marketing, authentication: WhatsApp prices by category
	Variables []string // the names of {{1}}, {{2}}, ... in order
	Text      map[string]string
}

var templates = map[string]Template{}

func init() {
	var raw map[string]Template
	if err := json.Unmarshal(templatesJSON, &raw); err != nil {
		panic(fmt.Sprintf("prompts: templates.json: %v", err))
	}
	for name, t := range raw {
		t.Name = name
		templates[name] = t
	}
}

// Templates lists the catalogue's template names.
func Templates() []string {
	var out []string
	for n := range templates {
		out = append(out, n)
	}
	return out
}

// LookupTemplate returns a template of the catalogue.
func LookupTemplate(name string) (Template, bool) {
	t, ok := templates[name]
	return t, ok
}

// Render fills a template's text for a locale with named variables, as the
// debtor will read it.
func (t Template) Render(locale string, vars map[string]string) string {
	s := t.Text[Locale(locale)]
	for i, v := range t.Variables {
		s = strings.ReplaceAll(s, "{{"+strconv.Itoa(i+1)+"}}", vars[v])
	}
	return s
}

// Positional maps named variables to the provider's positional ones ("1", "2").
func (t Template) Positional(vars map[string]string) map[string]string {
	out := map[string]string{}
	for i, v := range t.Variables {
		out[strconv.Itoa(i+1)] = vars[v]
	}
	return out
}
