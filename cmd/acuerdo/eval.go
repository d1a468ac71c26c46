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
policy made and the model calls and prompt tokens of each message; then the
results per category and a last line "N passed, M failed". The exit status is
1 when any scenario failed.

--model SPEC evaluates a language model (openai:MODEL, anthropic:MODEL,
gemini:MODEL, with the provider's usual variables) instead of ACUERDO_MODEL.
-k N runs each scenario N times: a model answers differently each time, and a
debtor meets one run, so a scenario passes only if all N runs passed; each
category then reports pass^k. With a model, eval first checks that it answers
and stops with exit status 2 if it does not; a turn where the model failed
mid-run (and the offline engine answered instead) fails that run, since it
tested nothing.`

func runEval(ctx context.Context, e *env, args []string) error {
	fs, _ := flags(e, "eval", "eval [--run REGEX] [--model SPEC] [-k N] [--v] [DIR]", evalAbout)
	modelSpec := fs.String("model", "", "evaluate this model `spec` (openai:MODEL, anthropic:MODEL, gemini:MODEL, offline) instead of ACUERDO_MODEL")
	k := fs.Int("k", 1, "run each scenario `n` times; a scenario passes only if every run passed (pass^k)")
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
	if *k < 1 || *k > 100 {
		return usageErr("-k must be between 1 and 100")
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

	ee := evalEnv(e, *modelSpec)
	model, err := checkModelConfig(ctx, ee)
	if err != nil {
		return err
	}
	// Warnings would repeat once per scenario; errors still show.
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	wire := func(ctx context.Context, db *store.DB, clock acuerdo.Clock) (*agent.Agent, func(), error) {
		return newAgent(ctx, ee, db, clock, logger)
	}
	if model != "" {
		fmt.Fprintf(e.stdout, "model %s, %d scenarios x %d runs\n", model, len(scenarios), *k)
	}
	var runs []*eval.Scenario
	for _, s := range scenarios {
		for range *k {
			runs = append(runs, s)
		}
	}
	opt := eval.Options{Wire: wire, RequireModel: model != ""}
	results := runScenarios(ctx, runs, opt, *parallel, func(r *eval.Result, i int) {
		// runs holds each scenario's k runs one after the other.
		r.Run, r.Of = i%*k+1, *k
		r.Write(e.stdout, *verbose)
	})
	fmt.Fprint(e.stdout, eval.ByCategory(results))
	fmt.Fprintln(e.stdout, eval.Summary(results))
	if err := ctx.Err(); err != nil {
		return err
	}
	modelFailed := 0
	for _, r := range results {
		if r.ModelFailed {
			modelFailed++
		}
	}
	if modelFailed > 0 {
		return &exitError{1, fmt.Errorf("the model %s failed to answer in %d of %d runs (the offline engine answered instead); those runs count as failed", model, modelFailed, len(results))}
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
func runScenarios(ctx context.Context, ss []*eval.Scenario, opt eval.Options, n int, report func(r *eval.Result, i int)) []eval.Result {
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
		report(&results[i], i)
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
// A model given with --model replaces ACUERDO_MODEL.
func evalEnv(e *env, model string) *env {
	ee := *e
	ee.getenv = func(k string) string {
		if k == "ACUERDO_MODEL" && model != "" {
			return model
		}
		if v := e.getenv(k); v != "" || k != "ACUERDO_PAYLINK_SECRET" {
			return v
		}
		return "acuerdo-eval-payment-links"
	}
	return &ee
}

// checkModelConfig fails once, up front, on a policy file or ACUERDO_MODEL that
// newAgent would refuse, instead of once per scenario; and on a model that
// does not answer: an eval of a model that is not there must not quietly
// become an eval of the offline engine. It returns the model's spec, or ""
// for the offline engine.
func checkModelConfig(ctx context.Context, e *env) (string, error) {
	c := readConfig(e)
	if _, err := loadPolicy(c); err != nil {
		return "", &exitError{2, err}
	}
	m, err := llm.FromSpec(c.model, e.getenv)
	switch {
	case errors.Is(err, llm.ErrOffline):
		return "", nil
	case err != nil:
		return "", &exitError{2, fmt.Errorf("ACUERDO_MODEL: %w", err)}
	}
	if cl, ok := m.(io.Closer); ok {
		defer cl.Close()
	}
	_, err = m.Generate(ctx, agent.Request{System: "Reply with the word ok.", Messages: []agent.Message{{Role: agent.RoleUser, Content: "ok?"}}, MaxTokens: 5})
	if err != nil {
		return "", &exitError{2, fmt.Errorf("the model %s is unreachable, so nothing was evaluated: %w", c.model, err)}
	}
	return c.model, nil
}
