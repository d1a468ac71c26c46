package eval

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Write prints the result: a PASS or FAIL line, the model calls and prompt
// tokens of each message, the refusals policy made, and, when it failed, every
// expectation that did not hold with the transcript. verbose adds the
// transcript of passing scenarios too.
func (r Result) Write(w io.Writer, verbose bool) {
	status := "PASS"
	if !r.Passed() {
		status = "FAIL"
	}
	s := r.Scenario
	fmt.Fprintf(w, "%s %s (%s, %d messages, %s)\n", status, s.Name, s.Locale, len(r.Turns), r.Elapsed.Round(time.Millisecond))
	calls, tokens := make([]string, len(r.Turns)), make([]string, len(r.Turns))
	var refusals []string
	for i, t := range r.Turns {
		calls[i], tokens[i] = strconv.Itoa(t.ModelCalls), strconv.Itoa(t.PromptTokens)
		if len(t.Refusals) > 0 {
			refusals = append(refusals, fmt.Sprintf("#%d %s", i+1, strings.Join(t.Refusals, " ")))
		}
	}
	fmt.Fprintf(w, "    model calls per message: [%s]  prompt tokens per message: [%s]\n", strings.Join(calls, " "), strings.Join(tokens, " "))
	if len(refusals) > 0 {
		fmt.Fprintf(w, "    refusals: %s\n", strings.Join(refusals, "; "))
	}
	// A failure is read with its transcript; a pass only when asked.
	if verbose || !r.Passed() {
		if s.Description != "" {
			fmt.Fprintf(w, "    # %s\n", strings.TrimSpace(s.Description))
		}
		for i, t := range r.Turns {
			fmt.Fprintf(w, "    %d> %s\n", i+1, indent(t.Text, "       "))
			for _, m := range t.Media {
				fmt.Fprintf(w, "       [media %s]\n", m)
			}
			for _, rep := range t.Replies {
				fmt.Fprintf(w, "     < %s\n", indent(rep, "       "))
			}
			fmt.Fprintf(w, "       [%s; tools: %s]\n", t.Handler, list(t.Tools))
		}
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "    ✗ %s\n", f)
	}
	if r.Err != nil {
		fmt.Fprintf(w, "    ✗ could not run: %v\n", r.Err)
	}
}

// Category is the scenario's category: the name of the file it came from
// ("third_party" for scenarios/third_party.yaml).
func (s Scenario) Category() string {
	base := s.File
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	return strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
}

// ByCategory reports passes and failures per category and language, one
// line each, sorted by category.
func ByCategory(results []Result) string {
	type count struct{ pass, fail int }
	per := map[string]*count{}
	var keys []string
	for _, r := range results {
		k := r.Scenario.Category()
		if per[k] == nil {
			per[k] = &count{}
			keys = append(keys, k)
		}
		if r.Passed() {
			per[k].pass++
		} else {
			per[k].fail++
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("by category:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-24s %4d passed, %d failed\n", k, per[k].pass, per[k].fail)
	}
	return b.String()
}

// Summary is the last line of a run, alone on its line: "N passed, M failed".
func Summary(results []Result) string {
	passed := 0
	for _, r := range results {
		if r.Passed() {
			passed++
		}
	}
	return fmt.Sprintf("%d passed, %d failed", passed, len(results)-passed)
}

func indent(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }
