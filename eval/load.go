package eval

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed scenarios/*.yaml
var embedded embed.FS

// Embedded returns the scenarios shipped with acuerdo, in file order.
func Embedded() ([]*Scenario, error) {
	return load(embedded, "scenarios", func(name string) string { return path.Join("eval/scenarios", name) })
}

// LoadDir reads the scenarios of every .yaml and .yml file in dir.
func LoadDir(dir string) ([]*Scenario, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	if !info.IsDir() {
		// A single file is a directory of one, which is what people try first.
		b, err := os.ReadFile(dir)
		if err != nil {
			return nil, err
		}
		return Parse(dir, b)
	}
	return load(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, name) })
}

func load(fsys fs.FS, dir string, display func(string) string) ([]*Scenario, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	var names []string
	for _, e := range entries {
		if ext := path.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("no scenario files (*.yaml) in %s", display("."))
	}
	var all []*Scenario
	var errs []error
	seen := map[string]string{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, path.Join(dir, n))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ss, err := Parse(display(n), b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range ss {
			if f, dup := seen[s.Name]; dup {
				errs = append(errs, fmt.Errorf("%s: scenario %q: name: already used in %s; names must be unique", s.File, s.Name, f))
				continue
			}
			seen[s.Name] = s.File
			all = append(all, s)
		}
	}
	return all, errors.Join(errs...)
}

// Parse reads the scenarios of one YAML file: one per YAML document. Errors name
// the file, the scenario and the field at fault.
func Parse(file string, data []byte) ([]*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var out []*Scenario
	var errs []error
	for doc := 1; ; doc++ {
		s := &Scenario{File: file}
		err := dec.Decode(s)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", where(file, doc, s.Name), yamlMessage(err)))
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				break // a syntax error leaves the rest of the stream unreadable
			}
			continue
		}
		if s.Name == "" && len(s.Messages) == 0 && s.Debtor.Phone == "" {
			continue // an empty document, as after a trailing "---"
		}
		if verr := s.validate(); verr != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where(file, doc, s.Name), verr))
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: no scenario in the file", file))
	}
	return out, errors.Join(errs...)
}

func where(file string, doc int, name string) string {
	if name != "" {
		return fmt.Sprintf("%s: scenario %q", file, name)
	}
	return fmt.Sprintf("%s: document %d", file, doc)
}

var (
	unknownField = regexp.MustCompile(`field (\S+) not found in type eval\.(\w+)`)
	goType       = regexp.MustCompile(`into (\[\])?(\*)?eval\.(\w+)`)
)

// yamlSection names, for messages, where in a scenario each type appears.
var yamlSection = map[string]string{
	"Scenario": "the scenario", "Debtor": "debtor", "Account": "debtor.accounts[]", "Conversation": "conversation",
	"Message": "messages[]", "Expect": "expect", "Outcome": "expect.outcomes[]", "State": "expect.state",
	"PromiseState": "expect.state.promise", "PlanState": "expect.state.plan_accepted", "AccountDate": "expect.state date",
}

// yamlMessage turns the YAML library's errors, which speak of Go types, into
// ones that speak of the scenario's fields.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		m = unknownField.ReplaceAllStringFunc(m, func(s string) string {
			p := unknownField.FindStringSubmatch(s)
			return fmt.Sprintf("unknown field %q in %s", p[1], yamlSection[p[2]])
		})
		m = goType.ReplaceAllStringFunc(m, func(s string) string {
			p := goType.FindStringSubmatch(s)
			if p[1] != "" {
				return "into a list of " + yamlSection[p[3]]
			}
			return "into " + yamlSection[p[3]]
		})
		msgs[i] = m
	}
	return strings.Join(msgs, "; ")
}
