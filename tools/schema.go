package tools

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// schema is the subset of JSON Schema the tools use. It is defined once here,
// sent to every model as-is, and enforced in code on every call: a model's
// arguments are untrusted input.
type schema struct {
	Type                 string             `json:"type"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	MaxLength            int                `json:"maxLength,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`

	re *regexp.Regexp
}

// forModel is the schema as the model sees it: types, enums, descriptions and
// what is required. Bounds, lengths and patterns are enforced in code on every
// call, so sending them would only spend prompt tokens on every model call.
func (s *schema) forModel() map[string]any {
	m := map[string]any{"type": s.Type}
	if s.Description != "" {
		m["description"] = s.Description
	}
	if len(s.Enum) > 0 {
		m["enum"] = s.Enum
	}
	if s.Type == "object" {
		props := map[string]any{}
		for k, p := range s.Properties {
			props[k] = p.forModel()
		}
		m["properties"] = props
		if len(s.Required) > 0 {
			m["required"] = s.Required
		}
	}
	return m
}

func object(required []string, props map[string]*schema) *schema {
	no := false
	if props == nil {
		props = map[string]*schema{}
	}
	return &schema{Type: "object", Properties: props, Required: required, AdditionalProperties: &no}
}

func str(desc string) *schema { return &schema{Type: "string", Description: desc, MaxLength: 500} }

func pattern(desc, re string) *schema {
	return &schema{Type: "string", Description: desc, Pattern: re, MaxLength: 40, re: regexp.MustCompile(re)}
}

func enum(desc string, values ...string) *schema {
	return &schema{Type: "string", Description: desc, Enum: values}
}

func integer(desc string, lo, hi float64) *schema {
	return &schema{Type: "integer", Description: desc, Minimum: &lo, Maximum: &hi}
}

const (
	decimalPattern = `^[0-9]{1,15}(\.[0-9]{1,3})?$`
	datePattern    = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
)

// parseArgs decodes and validates a tool call's raw JSON arguments.
func (s *schema) parseArgs(raw string) (map[string]any, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "null" {
		raw = "{}"
	}
	var args map[string]any
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&args); err != nil {
		return nil, fmt.Errorf("arguments are not a JSON object: %v", err)
	}
	// More misses a stray closing "}" or "]" after the object; only input that
	// is one JSON value as a whole passes.
	if d.More() || !json.Valid([]byte(raw)) {
		return nil, fmt.Errorf("arguments have trailing data after the JSON object")
	}
	if err := s.check("", args); err != nil {
		return nil, err
	}
	return args, nil
}

func (s *schema) check(path string, v any) error {
	name := path
	if name == "" {
		name = "arguments"
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s must be an object", name)
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				return fmt.Errorf("missing required argument %q", r)
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, ok := s.Properties[k]
			if !ok {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					return fmt.Errorf("unknown argument %q", k)
				}
				continue
			}
			if err := p.check(k, m[k]); err != nil {
				return err
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s must be a string", name)
		}
		// JSON Schema's maxLength counts characters, not bytes.
		if s.MaxLength > 0 && utf8.RuneCountInString(str) > s.MaxLength {
			return fmt.Errorf("%s is longer than %d characters", name, s.MaxLength)
		}
		if len(s.Enum) > 0 && !contains(s.Enum, str) {
			return fmt.Errorf("%s must be one of %s", name, strings.Join(s.Enum, ", "))
		}
		if s.re != nil {
			if !s.re.MatchString(str) {
				return fmt.Errorf("%s %q does not match the expected format", name, str)
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s must be a whole number", name)
		}
		i, err := n.Int64()
		if err != nil {
			return fmt.Errorf("%s must be a whole number", name)
		}
		if s.Minimum != nil && float64(i) < *s.Minimum || s.Maximum != nil && float64(i) > *s.Maximum {
			return fmt.Errorf("%s must be between %g and %g", name, *s.Minimum, *s.Maximum)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func argString(args map[string]any, k string) string {
	s, _ := args[k].(string)
	return strings.TrimSpace(s)
}

func argInt(args map[string]any, k string) int {
	n, _ := args[k].(json.Number)
	i, _ := n.Int64()
	return int(i)
}
