package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/agent/llm"
	"acuerdo/eval"
	"acuerdo/store"
)

func init() {
	register(command{name: "eval", summary: "run scripted conversations against the agent, pass/fail per scenario", run: runEval})
}

const evalAbout = `Plays scripted debtor conversations against the agent configured by
ACUERDO_MODEL (offline, the menu engine, by default) and ACUERDO_POLICY, and
checks each against its expectations: the tools called and how policy answered,
what changed in the database, what the replies said and must not say.

Without DIR the scenarios shipped with acuerdo run; with DIR, those of every
*.yaml file in it (see eval/scenarios/ for the format). Each scenario runs in
its own temporary database, so --db is not used.

For each scenario it prints PASS or FAIL, the failed expectations, the refusals
policy made and the model calls and prompt tokens of each message; then a last
line "N passed, M failed". The exit status is 1 when any scenario failed.`

func runEval(ctx context.Context, e *env, args []string) error {
	fs, _ := flags(e, "eval", "eval [--run REGEX] [--v] [DIR]", evalAbout)
	runRe := fs.String("run", "", "run only the scenarios whose name matches this `regex`")
	verbose := fs.Bool("v", false, "print each conversation's transcript")
	parallel := fs.Int("parallel", 1, "run up to `n` scenarios at once (useful with a remote model)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	// The flag package stops at the first argument; let flags follow DIR too.
	var dirs []string
	for fs.NArg() > 0 {
		dirs = append(dirs, fs.Arg(0))
		if err := parse(e, fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	if len(dirs) > 1 {
		return usageErr("one DIR at most, got %d", len(dirs))
	}
	if *parallel < 1 {
		return usageErr("--parallel must be at least 1")
	}
	sel, err := regexp.Compile(*runRe)
	if err != nil {
		return usageErr("--run: %v", err)
	}
	var all []*eval.Scenario
	if len(dirs) == 0 {
		all, err = eval.Embedded()
	} else {
		all, err = eval.LoadDir(dirs[0])
	}
	if err != nil {
		return &exitError{2, err}
	}
	var scenarios []*eval.Scenario
	for _, s := range all {
		if sel.MatchString(s.Name) {
			scenarios = append(scenarios, s)
		}
	}
	if len(scenarios) == 0 {
		return usageErr("no scenario matches --run %q (%d scenarios loaded)", *runRe, len(all))
	}

	ee := evalEnv(e)
	if err := checkModelConfig(ee); err != nil {
		return err
	}
	// Warnings would repeat once per scenario; errors still show.
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	wire := func(ctx context.Context, db *store.DB, clock acuerdo.Clock) (*agent.Agent, func(), error) {
		return newAgent(ctx, ee, db, clock, logger)
	}
	results := runScenarios(ctx, scenarios, eval.Options{Wire: wire}, *parallel, func(r eval.Result) { r.Write(e.stdout, *verbose) })
	fmt.Fprint(e.stdout, eval.ByCategory(results))
	fmt.Fprintln(e.stdout, eval.Summary(results))
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, r := range results {
		if !r.Passed() {
			return &exitError{1, errors.New("some scenarios failed")}
		}
	}
	return nil
}

// runScenarios runs up to n scenarios at once and reports each result, in
// scenario order, as soon as it and those before it are done.
func runScenarios(ctx context.Context, ss []*eval.Scenario, opt eval.Options, n int, report func(eval.Result)) []eval.Result {
	results := make([]eval.Result, len(ss))
	done := make([]chan struct{}, len(ss))
	sem := make(chan struct{}, n)
	for i := range ss {
		done[i] = make(chan struct{})
		go func() {
			defer close(done[i])
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = eval.Run(ctx, ss[i], opt)
		}()
	}
	var out []eval.Result
	for i := range ss {
		<-done[i]
		if ctx.Err() != nil {
			break // interrupted: what ran half-way is not a result
		}
		report(results[i])
		out = append(out, results[i])
	}
	for _, d := range done {
		<-d // let interrupted scenarios remove their temporary databases
	}
	return out
}

// evalEnv is the environment scenarios run with: the real one, except that
// payment links get a fixed signing key when none is configured, so the links
// in transcripts are stable and no warning repeats per scenario.
func evalEnv(e *env) *env {
	ee := *e
	ee.getenv = func(k string) string {
		if v := e.getenv(k); v != "" || k != "ACUERDO_PAYLINK_SECRET" {
			return v
		}
		return "acuerdo-eval-payment-links"
	}
	return &ee
}

// checkModelConfig fails once, up front, on a policy file or ACUERDO_MODEL that
// newAgent would refuse, instead of once per scenario.
func checkModelConfig(e *env) error {
	c := readConfig(e)
	if _, err := loadPolicy(c); err != nil {
		return &exitError{2, err}
	}
	m, err := llm.FromSpec(c.model, e.getenv)
	switch {
	case errors.Is(err, llm.ErrOffline):
	case err != nil:
		return &exitError{2, fmt.Errorf("ACUERDO_MODEL: %w", err)}
	default:
		if cl, ok := m.(io.Closer); ok {
			cl.Close()
		}
	}
	return nil
}
