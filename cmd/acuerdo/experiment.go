package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/pilot"
	"acuerdo/prompts"
	"acuerdo/store"
	"acuerdo/whatsapp"
)

func init() {
	register(command{name: "experiment", summary: "create, launch and list pilots (treatment: the agent contacts; control: business as usual)", run: runExperiment})
}

const experimentAbout = `Pilots randomise debtors into treatment (the agent contacts them) and control
(business as usual, never contacted by acuerdo).

  acuerdo experiment create NAME [--treatment 0.5] [--stratify dpd,balance]
                                 [--filter SEGMENT=x|COUNTRY=CO|CURRENCY=COP|DPD>30|BALANCE>=N ...]
                                 [--horizon 90d]
                                 [--arms control=0.34,warm=0.33,brief=0.33]
                                 [--variant ARM:template=NAME,window=H-H,nudge=30m,reminder=2d,mode=menu|model,prompt=NAME ...]
                                 [--primary METRIC] [--guardrail METRIC ...]
  acuerdo experiment launch NAME
  acuerdo experiment rollout NAME --arm ARM [--segment dpd_031_060] [--holdout 0.1]
  acuerdo experiment list

--arms declares control and any number of variants with their shares (instead
of --treatment); --variant says what an arm changes: its first-contact
template (a catalogue template, written in es, pt-BR and en), the local hours
its messages go out in, the silence before a nudge, how many days before a
promised date the reminder goes, the agent's mode and its prompt variant
(warm, brief, formal). Every arm but control is contacted, each its own way;
results compare every arm with control (Holm-adjusted p-values).

--primary is the metric the pilot is decided on (default liquidation at the
horizon); --guardrail names metrics that must not get worse: opt_outs,
complaints, escalations, cost_per_recovered.

create assigns every eligible debtor once, with a fresh random salt, stratified
by days-past-due band and balance tercile, and stores the assignment for good.
Eligible: an open account in the experiment's currency, every --filter
matching (BALANCE in whole currency units), and not in another running
experiment (one still inside its horizon), since two treatments at once would
confound both. It prints the arms and the sample-ratio check.

rollout makes ARM's variant the default for the debtors of a days-past-due
band (dpd_000, dpd_001_030, dpd_031_060, dpd_061_090, dpd_091_180, dpd_181p;
all bands without --segment) once their experiments are over, except a
randomised holdout (10 % by default) that stays on the default behaviour, so
the comparison continues. A later rollout of the same band replaces it.

launch queues the first contact (template first_contact, business-initiated)
for every treatment debtor not contacted yet; running it again queues nobody
twice. Debtors who opted out or have no active consent are skipped and counted
(a later launch retries them); the outbox applies contact hours and frequency
caps when "acuerdo serve" sends.`

func runExperiment(ctx context.Context, e *env, args []string) error {
	return subcommands(ctx, e, "experiment", experimentAbout, args,
		sub{"create", runExperimentCreate}, sub{"launch", runExperimentLaunch}, sub{"rollout", runExperimentRollout}, sub{"list", runExperimentList})
}

// parseWithName parses flags given before or after the one positional NAME.
func parseWithName(e *env, fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseMixed(e, fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", usageErr("want exactly one experiment NAME, got %d arguments", len(pos))
	}
	return pos[0], nil
}

type filterList []store.Filter

func (f *filterList) String() string { return fmt.Sprint(*f) }
func (f *filterList) Set(s string) error {
	x, err := store.ParseFilter(s)
	if err == nil {
		*f = append(*f, x)
	}
	return err
}

// parseHorizon reads "90d" or "90" as days.
func parseHorizon(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "d"))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--horizon %q: write whole days, e.g. 90d", s)
	}
	return n, nil
}

func runExperimentCreate(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "experiment", "experiment create NAME [flags]", experimentAbout)
	share := fs.Float64("treatment", 0.5, "planned `share` of debtors in treatment, between 0 and 1")
	strat := fs.String("stratify", "dpd,balance", "stratify assignment by `bands`: dpd, balance, both or none")
	horizon := fs.String("horizon", "90d", "follow-up `days` after assignment")
	var filters filterList
	fs.Var(&filters, "filter", "eligibility `condition`, repeatable: SEGMENT=x, COUNTRY=CO, CURRENCY=COP, DPD>30, BALANCE>=N")
	armsFlag := fs.String("arms", "", "`arms` and shares, e.g. control=0.34,warm=0.33,brief=0.33 (instead of --treatment)")
	var variantFlags, guardrails listFlag
	fs.Var(&variantFlags, "variant", "what an arm changes, repeatable: `ARM:key=value,...` (template, window, nudge, reminder, mode, prompt)")
	primary := fs.String("primary", "", "the `metric` the pilot is decided on (default liquidation at the horizon)")
	fs.Var(&guardrails, "guardrail", "a guardrail `metric`, repeatable: opt_outs, complaints, escalations, cost_per_recovered")
	name, err := parseWithName(e, fs, args)
	if err != nil {
		return err
	}
	if *share <= 0 || *share >= 1 {
		return usageErr("--treatment %g: must be strictly between 0 and 1", *share)
	}
	arms, err := armsOf(*armsFlag, variantFlags)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := checkMetrics(*primary, guardrails); err != nil {
		return usageErr("%v", err)
	}
	h, err := parseHorizon(*horizon)
	if err != nil {
		return usageErr("%v", err)
	}
	stratify, err := parseStratify(*strat)
	if err != nil {
		return usageErr("%v", err)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := createExperiment(ctx, db, store.NewExperiment{Name: name, Salt: hex.EncodeToString(salt), Treatment: *share,
		Stratify: stratify, Filters: filters, HorizonDays: h, Arms: arms, Primary: *primary, Guardrails: guardrails})
	if err != nil {
		return err
	}
	printCreated(e.stdout, c)
	fmt.Fprintf(e.stdout, "next: acuerdo experiment launch %s\n", name)
	return nil
}

func parseStratify(s string) ([]string, error) {
	out := []string{}
	for _, f := range strings.Split(s, ",") {
		switch f = strings.ToLower(strings.TrimSpace(f)); f {
		case "", "none":
		case "dpd", "balance":
			out = append(out, f)
		default:
			return nil, fmt.Errorf("--stratify %q: use dpd, balance, dpd,balance or none", s)
		}
	}
	return out, nil
}

// createExperiment stores an experiment assigned with experiments.Assign; the
// simulator calls it too, so a simulated pilot is assigned exactly like a real one.
func createExperiment(ctx context.Context, db *store.DB, x store.NewExperiment) (store.Created, error) {
	arms := x.Arms
	if arms == nil {
		arms = []acuerdo.Arm{{Name: acuerdo.ArmControl, Share: 1 - x.Treatment}, {Name: acuerdo.ArmTreatment, Share: x.Treatment}}
	}
	c, err := db.CreateExperiment(ctx, x, assigner(x.Salt, arms, x.Stratify))
	if err != nil {
		if code := acuerdo.ErrorCode(err); code == acuerdo.ECONFLICT || code == acuerdo.EINVALID {
			return c, &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
		}
		return c, err
	}
	return c, nil
}

// assigner adapts experiments.Assign, which always stratifies by DPD band ×
// balance tercile, to --stratify: a dimension left out is blanked before
// assignment (everyone in one band) and labelled "all" in the stored stratum.
func assigner(salt string, arms []acuerdo.Arm, stratify []string) func([]store.Candidate) []acuerdo.Assignment {
	byDPD, byBal := false, false
	for _, s := range stratify {
		byDPD, byBal = byDPD || s == "dpd", byBal || s == "balance"
	}
	return func(cs []store.Candidate) []acuerdo.Assignment {
		units := make([]experiments.Unit, len(cs))
		for i, c := range cs {
			units[i] = experiments.Unit{DebtorID: c.DebtorID, DaysPastDue: c.DaysPastDue, Balance: c.Balance}
			if !byDPD {
				units[i].DaysPastDue = 0
			}
			if !byBal {
				units[i].Balance = -1
			}
		}
		as := experiments.AssignArms(salt, arms, units)
		for i := range as {
			dpd, bal, _ := strings.Cut(as[i].Stratum, "|")
			if !byDPD {
				dpd = "dpd_all"
			}
			if !byBal {
				bal = "bal_all"
			}
			as[i].Stratum = dpd + "|" + bal
		}
		return as
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// armsOf reads --arms and --variant: nil (the classic two arms) when neither
// is given. A variant's template and prompt must exist in the catalogue.
func armsOf(armsFlag string, variants []string) ([]acuerdo.Arm, error) {
	if armsFlag == "" {
		if len(variants) > 0 {
			return nil, fmt.Errorf("--variant needs --arms, e.g. --arms control=0.5,warm=0.5 --variant warm:template=first_contact_warm")
		}
		return nil, nil
	}
	arms, err := acuerdo.ParseArms(armsFlag)
	if err != nil {
		return nil, fmt.Errorf("--arms: %s", acuerdo.ErrorMessage(err))
	}
	for _, v := range variants {
		name, spec, ok := strings.Cut(v, ":")
		i := slices.IndexFunc(arms, func(a acuerdo.Arm) bool { return a.Name == strings.TrimSpace(name) })
		switch {
		case !ok:
			return nil, fmt.Errorf("--variant %q: write ARM:key=value,..., e.g. warm:template=first_contact_warm", v)
		case i < 0:
			return nil, fmt.Errorf("--variant %q: no arm %q in --arms", v, name)
		case arms[i].Name == acuerdo.ArmControl:
			return nil, fmt.Errorf("--variant %q: control is business as usual and is never contacted; give the variant its own arm", v)
		}
		x, err := acuerdo.ParseVariant(spec)
		if err != nil {
			return nil, fmt.Errorf("--variant: %s", acuerdo.ErrorMessage(err))
		}
		if x.Template != "" {
			if _, ok := prompts.LookupTemplate(x.Template); !ok {
				return nil, fmt.Errorf("--variant %s: no template %q in the catalogue (prompts/templates.json); first-contact templates: first_contact, first_contact_warm, first_contact_brief", name, x.Template)
			}
		}
		if _, ok := prompts.Styles[x.Prompt]; x.Prompt != "" && !ok {
			return nil, fmt.Errorf("--variant %s: no prompt variant %q (warm, brief, formal)", name, x.Prompt)
		}
		arms[i].Variant = x
	}
	return arms, nil
}

// srmOf tests arm counts against the planned shares.
func srmOf(counts map[string]int, arms []acuerdo.Arm) experiments.SRMResult {
	return pilot.SRMOf(counts, arms)
}

func printCreated(w io.Writer, c store.Created) {
	x := c.Experiment
	n := 0
	for _, k := range c.Arms {
		n += k
	}
	fmt.Fprintf(w, "experiment %s created: %d debtors in %s, horizon %d days, stratified by %s\n", x.Name, n, c.Currency, x.HorizonDays, orNone(strings.Join(x.Stratify, ",")))
	if x.Filter != "" {
		fmt.Fprintf(w, "  filter: %s\n", x.Filter)
	}
	for _, a := range x.Arms {
		fmt.Fprintf(w, "  %-10s %7d  (%.1f%%, planned %.1f%%)\n", a.Name, c.Arms[a.Name], 100*float64(c.Arms[a.Name])/float64(n), 100*a.Share)
	}
	for _, a := range x.Arms {
		if !a.Variant.IsZero() {
			fmt.Fprintf(w, "  %s: %s\n", a.Name, a.Variant)
		}
	}
	if x.Primary != "" || len(x.Guardrails) > 0 {
		fmt.Fprintf(w, "  primary metric: %s; guardrails: %s\n", orNone(x.Primary), orNone(strings.Join(x.Guardrails, ", ")))
	}
	srm := srmOf(c.Arms, x.Arms)
	fmt.Fprintf(w, "sample ratio check: chi-square p = %.4g\n", srm.P)
	if srm.Flag {
		fmt.Fprintf(w, "WARNING: sample ratio mismatch (p < %g): the split is not what was planned\n", experiments.SRMThreshold)
	}
	if c.Busy > 0 {
		fmt.Fprintf(w, "not eligible: %d matching debtors are in another running experiment\n", c.Busy)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func runExperimentLaunch(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "experiment", "experiment launch NAME", experimentAbout)
	name, err := parseWithName(e, fs, args)
	if err != nil {
		return err
	}
	pol, err := loadPolicy(readConfig(e))
	if err != nil {
		return &exitError{2, err}
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := launch(ctx, db, name, pol.CreditorName, e.getenv("TWILIO_WHATSAPP_FROM"))
	if err != nil {
		if code := acuerdo.ErrorCode(err); code == acuerdo.ENOTFOUND || code == acuerdo.EINVALID {
			return &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
		}
		return err
	}
	printLaunched(e.stdout, name, l)
	return nil
}

// launch queues the first contact of every arm but control: the first_contact
// template, or the one the arm's variant chose; an SMS-first arm
// (channel=sms) gets sms_first_contact, whose wa.me link opens a WhatsApp chat
// with whatsappFrom and a first message already typed in their language.
func launch(ctx context.Context, db *store.DB, name, creditor, whatsappFrom string) (store.Launched, error) {
	if _, ok := prompts.LookupTemplate("first_contact"); !ok {
		return store.Launched{}, fmt.Errorf("template first_contact is missing from the catalogue")
	}
	x, err := db.ExperimentByName(ctx, name)
	if err != nil {
		return store.Launched{}, err
	}
	for _, a := range x.Arms {
		if a.Variant.Channel != acuerdo.ChannelSMS {
			continue
		}
		if _, err := whatsapp.WaMeLink(whatsappFrom, ""); err != nil {
			return store.Launched{}, acuerdo.Errorf(acuerdo.EINVALID, "arm %s sends SMS that lead into WhatsApp: set TWILIO_WHATSAPP_FROM (e.g. whatsapp:+14155238886) so the SMS can link to it", a.Name)
		}
	}
	return db.LaunchExperiment(ctx, name, func(t store.LaunchTarget) store.Outgoing {
		first, _, _ := strings.Cut(t.Name, " ")
		vars := map[string]string{"name": first, "creditor": creditor}
		tmpl, ok := prompts.LookupTemplate(t.Variant.Template)
		if t.Variant.Channel == acuerdo.ChannelSMS {
			tmpl, ok = prompts.LookupTemplate("sms_first_contact")
			vars["link"], _ = whatsapp.WaMeLink(whatsappFrom, prompts.T(t.Locale, "sms_prefill"))
		}
		if !ok {
			tmpl, _ = prompts.LookupTemplate("first_contact")
		}
		return store.Outgoing{Body: tmpl.Render(t.Locale, vars), Author: acuerdo.AuthorBot, Template: tmpl.Name, Variables: vars, Business: true}
	})
}

func printLaunched(w io.Writer, name string, l store.Launched) {
	skipped := 0
	var why []string
	for _, r := range []string{"no_consent", "opted_out"} {
		if n := l.Skipped[r]; n > 0 {
			skipped += n
			why = append(why, fmt.Sprintf("%d %s", n, r))
		}
	}
	fmt.Fprintf(w, "launched %s: %d first contacts queued, %d skipped", name, l.Queued, skipped)
	if len(why) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(why, ", "))
	}
	fmt.Fprintf(w, ", %d already queued by an earlier launch; control is never contacted\n", l.Already)
	if l.Queued > 0 {
		fmt.Fprintln(w, "the outbox sends them within contact hours and frequency caps while acuerdo serve runs")
	}
}

func runExperimentList(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "experiment", "experiment list", experimentAbout)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("experiment list takes no arguments")
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	xs, err := db.Experiments(ctx)
	if err != nil {
		return err
	}
	if len(xs) == 0 {
		fmt.Fprintln(e.stdout, "no experiments yet: acuerdo experiment create NAME")
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCREATED\tLAUNCHED\tARMS\tHORIZON\tSTATUS")
	for _, x := range xs {
		launched := "-"
		if x.LaunchedAt != nil {
			launched = x.LaunchedAt.UTC().Format(time.DateTime)
		}
		var arms []string
		for _, a := range x.Arms {
			s := fmt.Sprintf("%s %d (%.0f%%)", a.Name, x.Counts[a.Name], 100*a.Share)
			if a.Name != acuerdo.ArmControl && x.LaunchedAt != nil && len(x.Arms) == 2 {
				s += fmt.Sprintf(" %d queued", x.Queued)
			}
			arms = append(arms, s)
		}
		status := "ended"
		if x.Running(now) {
			status = "running"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%dd\t%s\n", x.Name, x.CreatedAt.UTC().Format(time.DateTime), launched, strings.Join(arms, ", "), x.HorizonDays, status)
	}
	return tw.Flush()
}

// Guardrail metrics a pilot may name at creation, and the primary metrics
// besides liquidation_rate_dN and the report's other metrics.
var guardrailMetrics = []string{"opt_outs", "complaints", "escalations", "cost_per_recovered"}

func checkMetrics(primary string, guardrails []string) error {
	for _, g := range guardrails {
		if !slices.Contains(guardrailMetrics, g) {
			return fmt.Errorf("--guardrail %q: use one of %s", g, strings.Join(guardrailMetrics, ", "))
		}
	}
	if primary == "" {
		return nil
	}
	var d int
	if n, err := fmt.Sscanf(primary, "liquidation_rate_d%d", &d); n == 1 && err == nil && d > 0 {
		return nil
	}
	if slices.Contains([]string{"recovery_per_debtor", "net_recovery_per_debtor", "share_paid"}, primary) {
		return nil
	}
	return fmt.Errorf("--primary %q: use liquidation_rate_dN (e.g. liquidation_rate_d60), recovery_per_debtor, net_recovery_per_debtor or share_paid", primary)
}

var dpdBands = []string{"dpd_000", "dpd_001_030", "dpd_031_060", "dpd_061_090", "dpd_091_180", "dpd_181p"}

func runExperimentRollout(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "experiment", "experiment rollout NAME --arm ARM [--segment BAND] [--holdout 0.1]", experimentAbout)
	arm := fs.String("arm", "", "the winning `arm`")
	segment := fs.String("segment", "", "the days-past-due `band` it becomes the default for, e.g. dpd_031_060 (default: every band)")
	holdout := fs.Float64("holdout", 0.1, "randomised `share` kept on the default behaviour, so measurement continues")
	name, err := parseWithName(e, fs, args)
	if err != nil {
		return err
	}
	if *arm == "" {
		return usageErr("--arm is required: the arm to make the default")
	}
	if *segment != "" && !slices.Contains(dpdBands, *segment) {
		return usageErr("--segment %q: use a days-past-due band: %s", *segment, strings.Join(dpdBands, ", "))
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := db.AddRollout(ctx, name, *arm, *segment, *holdout)
	if err != nil {
		if code := acuerdo.ErrorCode(err); code == acuerdo.ENOTFOUND || code == acuerdo.EINVALID {
			return &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
		}
		return err
	}
	seg := r.Segment
	if seg == "" {
		seg = "every days-past-due band"
	}
	fmt.Fprintf(e.stdout, "rolled out %s of %s for %s: its variant (%s) is the default there; a randomised %.0f%% holdout keeps the default behaviour\n",
		r.Arm, r.Experiment, seg, orNone(r.Variant.String()), 100*r.Holdout)
	return nil
}
