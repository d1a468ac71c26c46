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
	run := ""
	if r.Of > 1 {
		run = fmt.Sprintf(", run %d/%d", r.Run, r.Of)
	}
	fmt.Fprintf(w, "%s %s (%s, %d messages%s, %s)\n", status, s.Name, s.Locale, len(r.Turns), run, r.Elapsed.Round(time.Millisecond))
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

// scenarioRuns groups results by scenario, in the order scenarios first
// appear: with `acuerdo eval -k N` each scenario has N results (Of = N);
// results without Of stand alone.
func scenarioRuns(results []Result) [][]Result {
	idx := map[*Scenario]int{}
	var out [][]Result
	for _, r := range results {
		i, ok := idx[r.Scenario]
		if !ok || r.Of <= 1 {
			i = len(out)
			idx[r.Scenario] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], r)
	}
	return out
}

// allPassed reports whether every run of a scenario passed: pass^k counts
// a scenario only if it passed all k times, since a debtor meets one run.
func allPassed(runs []Result) bool {
	for _, r := range runs {
		if !r.Passed() {
			return false
		}
	}
	return true
}

// ByCategory reports passes and failures per category, one line each,
// sorted by category. A scenario passes when all its runs passed; with
// several runs per scenario (eval -k) each line adds pass^k, the share of
// the category's scenarios that passed every run, and the runs that passed.
func ByCategory(results []Result) string {
	type count struct{ pass, fail, runs, runsPassed int }
	per := map[string]*count{}
	var keys []string
	k := 1
	for _, runs := range scenarioRuns(results) {
		c := runs[0].Scenario.Category()
		if per[c] == nil {
			per[c] = &count{}
			keys = append(keys, c)
		}
		if allPassed(runs) {
			per[c].pass++
		} else {
			per[c].fail++
		}
		for _, r := range runs {
			per[c].runs++
			if r.Passed() {
				per[c].runsPassed++
			}
		}
		k = max(k, len(runs))
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("by category:\n")
	var total count
	for _, key := range keys {
		c := per[key]
		if k == 1 {
			fmt.Fprintf(&b, "  %-24s %4d passed, %d failed\n", key, c.pass, c.fail)
			continue
		}
		fmt.Fprintf(&b, "  %-24s %4d passed, %d failed   pass^%d %.2f   runs %d/%d passed\n", key, c.pass, c.fail, k,
			float64(c.pass)/float64(c.pass+c.fail), c.runsPassed, c.runs)
		total.pass, total.fail, total.runs, total.runsPassed = total.pass+c.pass, total.fail+c.fail, total.runs+c.runs, total.runsPassed+c.runsPassed
	}
	if k > 1 && total.pass+total.fail > 0 {
		fmt.Fprintf(&b, "  %-24s %4d passed, %d failed   pass^%d %.2f   runs %d/%d passed\n", "all", total.pass, total.fail, k,
			float64(total.pass)/float64(total.pass+total.fail), total.runsPassed, total.runs)
	}
	return b.String()
}

// Summary is the last line of a run, alone on its line: "N passed, M
// failed", counting scenarios (a scenario passes when all its runs did).
func Summary(results []Result) string {
	passed, all := 0, scenarioRuns(results)
	for _, runs := range all {
		if allPassed(runs) {
			passed++
		}
	}
	return fmt.Sprintf("%d passed, %d failed", passed, len(all)-passed)
}

func indent(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }
