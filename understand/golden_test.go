package understand

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"acuerdo"
	"go.yaml.in/yaml/v3"
)

// The golden readings guard speed work on the reader: every message text the
// repository holds (the labelled corpus, the eval scenarios, the string
// literals of the tests that read messages) is read in a few fixed contexts,
// and each full Reading is kept in testdata/read.golden. A faster Read must
// give every one of them unchanged.
//
// A change that means to read differently regenerates the file, after
// reviewing its diff:
//
//	go test ./understand -run TestReadGolden -update
var update = flag.Bool("update", false, "rewrite testdata/read.golden from the texts of the repository and the current Read")

const goldenFile = "testdata/read.golden"

// goldenNow is the fixed clock of the corpus texts: a Wednesday, with the
// next due date eleven days ahead. It is in Bogotá's offset so that times
// of day are placed in a zone other than UTC.
var goldenNow = time.Date(2026, 12, 9, 10, 0, 0, 0, time.FixedZone("-0500", -5*3600))

// corpusContexts are the contexts every text is read in: its own language's
// and one other, so that locale-dependent readings (date order, currency)
// are covered both ways.
func corpusContexts(lang string) []Context {
	due := acuerdo.Date{Year: 2026, Month: 12, Day: 20}
	es := Context{Locale: "es", Country: "CO", Now: goldenNow, DueDate: due, Name: "Juan Sánchez Torres"}
	pt := Context{Locale: "pt-BR", Country: "BR", Now: goldenNow, DueDate: due, Name: "Maria da Silva"}
	en := Context{Locale: "en", Country: "US", Now: goldenNow, DueDate: due, Name: "Robert Smith"}
	mx := Context{Locale: "es", Country: "MX", Now: goldenNow, Name: "Ana López"}
	switch lang {
	case "pt-BR", "pt":
		return []Context{pt, en}
	case "en":
		return []Context{en, mx}
	}
	return []Context{es, pt}
}

// TestReadGolden reads every golden text and compares the whole Reading.
func TestReadGolden(t *testing.T) {
	if *update {
		writeGolden(t)
	}
	groups, err := readGolden(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	n, bad := 0, 0
	for _, g := range groups {
		for _, e := range g.entries {
			n++
			if got := describe(Read(e.text, g.ctx)); got != e.want {
				bad++
				if bad <= 20 {
					t.Errorf("Read(%q) in %s:\n got %s\nwant %s", e.text, contextLine(g.ctx), got, e.want)
				}
			}
		}
	}
	if n < 5000 {
		t.Errorf("%s holds %d readings; want the repository's texts (regenerate with -update)", goldenFile, n)
	}
	if bad > 0 {
		t.Errorf("%d of %d readings differ from %s", bad, n, goldenFile)
	}
}

type goldenEntry struct{ text, want string }

type goldenGroup struct {
	ctx     Context
	entries []goldenEntry
}

// The file is a sequence of groups: a line "== <context>", then one line per
// text, the text quoted as in Go, a tab, and its reading (describe).
func readGolden(path string) ([]goldenGroup, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []goldenGroup
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		switch {
		case s == "" || strings.HasPrefix(s, "#"):
		case strings.HasPrefix(s, "== "):
			c, err := parseContextLine(strings.TrimPrefix(s, "== "))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
			out = append(out, goldenGroup{ctx: c})
		default:
			q, want, ok := strings.Cut(s, "\t")
			text, err := strconv.Unquote(q)
			if !ok || err != nil || len(out) == 0 {
				return nil, fmt.Errorf("%s:%d: want a quoted text, a tab and a reading after a context line", path, line)
			}
			g := &out[len(out)-1]
			g.entries = append(g.entries, goldenEntry{text, want})
		}
	}
	return out, sc.Err()
}

// contextLine writes a context as locale|country|name|now|due date.
func contextLine(c Context) string {
	due := ""
	if !c.DueDate.IsZero() {
		due = c.DueDate.String()
	}
	return strings.Join([]string{c.Locale, c.Country, c.Name, c.Now.Format(time.RFC3339), due}, "|")
}

func parseContextLine(s string) (Context, error) {
	f := strings.Split(s, "|")
	if len(f) != 5 {
		return Context{}, fmt.Errorf("context %q: want locale|country|name|now|due", s)
	}
	now, err := time.Parse(time.RFC3339, f[3])
	if err != nil {
		return Context{}, err
	}
	c := Context{Locale: f[0], Country: f[1], Name: f[2], Now: now}
	if f[4] != "" {
		if c.DueDate, err = acuerdo.ParseDate(f[4]); err != nil {
			return Context{}, err
		}
	}
	return c, nil
}

// describe writes every field of a Reading that is not zero, pointers
// followed, floats in full: two readings describe alike only when they are
// alike.
func describe(r Reading) string {
	var b strings.Builder
	v := reflect.ValueOf(r)
	for i := range v.NumField() {
		f := v.Field(i)
		if f.IsZero() {
			continue
		}
		if f.Kind() == reflect.Pointer {
			f = f.Elem()
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%+v", v.Type().Field(i).Name, f.Interface())
	}
	return b.String()
}

// writeGolden collects the repository's texts and writes their readings.
func writeGolden(t *testing.T) {
	t.Helper()
	byCtx := map[string]map[string]bool{}
	add := func(c Context, text string) {
		k := contextLine(c)
		if byCtx[k] == nil {
			byCtx[k] = map[string]bool{}
		}
		byCtx[k][text] = true
	}
	addAll := func(lang, text string) {
		for _, c := range corpusContexts(lang) {
			add(c, text)
		}
	}
	for _, e := range append(ParseCorpus(trainTSV), ParseCorpus(heldoutTSV)...) {
		addAll(e.Lang, e.Text)
	}
	scenarios, err := filepath.Glob("../eval/scenarios/*.yaml")
	if err != nil || len(scenarios) == 0 {
		t.Fatalf("no eval scenarios: %v", err)
	}
	for _, path := range scenarios {
		for _, s := range scenarioTexts(t, path) {
			addAll(s.ctx.Locale, s.text)
			add(s.ctx, s.text)
		}
	}
	for _, dir := range []string{".", "../agent", "../engine"} {
		for _, text := range testLiterals(t, dir) {
			addAll("es", text)
		}
	}
	keys := make([]string, 0, len(byCtx))
	for k := range byCtx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("# Read's full result for every message text of the repository; see golden_test.go.\n")
	b.WriteString("# Regenerate: go test ./understand -run TestReadGolden -update\n")
	for _, k := range keys {
		c, err := parseContextLine(k)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== %s\n", k)
		texts := make([]string, 0, len(byCtx[k]))
		for text := range byCtx[k] {
			texts = append(texts, text)
		}
		slices.Sort(texts)
		for _, text := range texts {
			fmt.Fprintf(&b, "%s\t%s\n", strconv.Quote(text), describe(Read(text, c)))
		}
	}
	if err := os.WriteFile(goldenFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

type scenarioText struct {
	ctx  Context
	text string
}

// scenarioTexts reads the debtor's messages of an eval scenario file, each
// with the context the agent reads it in.
func scenarioTexts(t *testing.T, path string) []scenarioText {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var out []scenarioText
	for {
		var s struct {
			Locale string `yaml:"locale"`
			Now    string `yaml:"now"`
			Debtor struct {
				Name    string `yaml:"name"`
				Country string `yaml:"country"`
			} `yaml:"debtor"`
			Messages []struct {
				Text string `yaml:"text"`
			} `yaml:"messages"`
		}
		if err := dec.Decode(&s); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("%s: %v", path, err)
		}
		c := Context{Locale: s.Locale, Country: s.Debtor.Country, Name: s.Debtor.Name, Now: goldenNow}
		if c.Locale == "" {
			c.Locale = "es"
		}
		if now, err := time.Parse(time.RFC3339, s.Now); err == nil {
			c.Now = now
		}
		for _, m := range s.Messages {
			if strings.TrimSpace(m.Text) != "" {
				out = append(out, scenarioText{c, m.Text})
			}
		}
	}
}

// testLiterals are the string literals of a package's tests that could be
// a message: some letter or digit, at most 1,000 bytes.
func testLiterals(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, path := range files {
		if filepath.Base(path) == "golden_test.go" {
			continue
		}
		f, err := goparser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && len(s) <= 1000 && strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				out = append(out, s)
			}
			return true
		})
	}
	return out
}
