package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"acuerdo"
	"acuerdo/demo"
	"acuerdo/experiments"
	"acuerdo/phone"
	"acuerdo/pilot"
	"acuerdo/store"
)

func init() {
	register(command{name: "simulate", summary: "a synthetic pilot with a known lift, to check that report finds it", run: runSimulate})
}

const simulateAbout = `Builds a synthetic pilot and reports it next to the truth.

It generates a portfolio with experiments.Simulate's model (days past due in
five bands, log-normal balances, latent good payers, self-cure in control,
prior payments), imports it, creates an experiment assigned exactly as
"experiment create" does (over the simulated debtors only), launches it, and
plays --days days of follow-up in which treatment multiplies each debtor's
probability of paying by 1 + --lift and pays sooner. With --arms
"control=0.34,a=0.33,b=0.33" the pilot has those arms and --lift gives each
arm its own true lift, e.g. --lift "a=0.05,b=0.4". Everything is dated so
that assignment was --days days ago: "acuerdo report NAME" and the dashboard
then show the pilot. It prints the true liquidation rates next to the
estimates and their 95 % intervals.

Treatment debtors live through it: their first contact counts as a delivered
WhatsApp template (the simulation stands in for Twilio), and those who answer
talk to the real agent (ACUERDO_MODEL, offline by default) on the day they do,
with simulated replies: payers verify and ask for a link before they pay, or
promise a date a few days ahead and confirm it;
others move a date, ask for a person, opt out or just look. So the funnel,
the messages and the model's cost in the report are the agent's own. Control
is never contacted. --converse=false skips the conversations.

The phone numbers look real. Do not serve a simulated database with live
Twilio credentials.`

func runSimulate(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "simulate", "simulate [--debtors N] [--days D] [--lift L] [--arms A=S,... --lift A=L,...] [--seed S] [--name NAME]", simulateAbout)
	n := fs.Int("debtors", 2000, "how many debtors")
	days := fs.Int("days", 90, "days of follow-up since assignment (the horizon)")
	liftFlag := fs.String("lift", "0.3", "true relative `lift` of treatment's payment probability; with --arms, per arm: a=0.05,b=0.4")
	armsFlag := fs.String("arms", "", "`arms` and shares, e.g. control=0.34,a=0.33,b=0.33 (instead of --treatment)")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same pilot")
	share := fs.Float64("treatment", 0.5, "planned treatment `share`")
	name := fs.String("name", "", "experiment `name` (default sim-SEED)")
	converse := fs.Bool("converse", true, "treatment debtors who answer talk to the agent")
	resamples := fs.Int("resamples", experiments.DefaultBootstrap.Resamples, "bootstrap `resamples`")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	cfg := experiments.SimConfig{N: *n, Seed: *seed, TreatmentShare: *share, Horizon: *days}
	if err := simArms(&cfg, *armsFlag, *liftFlag); err != nil {
		return usageErr("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("simulate takes no arguments")
	case *n < 10 || *days < 1 || cfg.Lift <= -1 || *share <= 0 || *share >= 1 || *resamples < 100:
		return usageErr("want --debtors ≥ 10, --days ≥ 1, --lift > -1, 0 < --treatment < 1, --resamples ≥ 100")
	}
	if *name == "" {
		*name = fmt.Sprintf("sim-%d", *seed)
	}
	cfg.Salt = *name
	now := time.Now().UTC().Truncate(time.Second)
	if err := simulatePilot(ctx, e, *dbPath, cfg, now, *converse, e.stdout); err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := pilot.Build(ctx, db, *name, now, pilot.Options{Resamples: *resamples})
	if err != nil {
		return err
	}
	printTruth(e.stdout, cfg, r)
	fmt.Fprintf(e.stdout, "\nthe full report: acuerdo report %s --db %s\n", *name, store.RedactDSN(*dbPath))
	return nil
}

// simulatePilot writes a simulated pilot named cfg.Salt into the database at
// dbPath, dated so that assignment was cfg.Horizon days before now. The
// database may hold other debtors (serve --demo's sandbox portfolio); the
// experiment only takes the simulated ones, by their segment.
func simulatePilot(ctx context.Context, e *env, dbPath string, cfg experiments.SimConfig, now time.Time, converse bool, out io.Writer) error {
	// Assignment is dated --days ago (plus an hour, so the last day is whole).
	// Every store write carries the simulated clock, which the conversations
	// move forward day by day.
	start := now.Add(-time.Duration(cfg.Horizon)*day - time.Hour)
	clock := &simClock{}
	clock.set(start)
	db, err := openDB(ctx, dbPath, store.Options{Clock: clock.now})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExperimentByName(ctx, cfg.Salt); err == nil {
		return usageErr("experiment %s already exists in %s: pass --name NEW or --db NEW.db", cfg.Salt, dbPath)
	}
	c, err := db.Count(ctx)
	if err != nil {
		return err
	}
	// In a database nobody deleted debtors from, new ids follow the count;
	// the check after assignment catches it when they do not.
	cfg.FirstID = int64(c.Debtors) + 1
	sim := experiments.Simulate(cfg)
	phones, err := importSim(ctx, db, sim, start)
	if err != nil {
		return err
	}
	segment, err := store.ParseFilter("SEGMENT=" + simSegment(cfg))
	if err != nil {
		return err
	}
	created, err := createExperiment(ctx, db, store.NewExperiment{Name: cfg.Salt, Salt: cfg.Salt, Treatment: cfg.TreatmentShare, Arms: cfg.Arms,
		Stratify: []string{"dpd", "balance"}, HorizonDays: cfg.Horizon, Filters: []store.Filter{segment}})
	if err != nil {
		return err
	}
	printCreated(out, created)
	data, err := db.ExperimentData(ctx, cfg.Salt, start)
	if err != nil {
		return err
	}
	if len(data.Rows) != len(sim.Assignments) {
		return fmt.Errorf("simulate: %d debtors assigned, but the simulation has %d", len(data.Rows), len(sim.Assignments))
	}
	for i, row := range data.Rows {
		if a := sim.Assignments[i]; row.DebtorID != a.DebtorID || row.Arm != a.Arm {
			return fmt.Errorf("simulate: debtor %d is in %s but the simulation put it in %s (debtor ids are not contiguous); simulate into a new database with --db NEW.db", row.DebtorID, row.Arm, a.Arm)
		}
	}
	pol, err := loadPolicy(readConfig(e))
	if err != nil {
		return &exitError{2, err}
	}
	l, err := launch(ctx, db, cfg.Salt, pol.CreditorName, e.getenv("TWILIO_WHATSAPP_FROM"))
	if err != nil {
		return err
	}
	printLaunched(out, cfg.Salt, l)
	delivered, err := deliverFirstContacts(ctx, db, phones)
	if err != nil {
		return err
	}
	plan := planConversations(sim, start)
	if converse {
		st, err := playConversations(ctx, e, db, clock, sim, plan)
		if err != nil {
			return err
		}
		worked, err := workEscalations(ctx, db, clock, cfg.Salt, cfg.Seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d first contacts delivered; %d debtors answered and talked to the agent (%d turns, %d escalated, %d opted out); a simulated operator worked %d cases\n",
			delivered, st.conversations, st.turns, st.escalated, st.optedOut, worked)
	}
	clock.set(start)
	npay, nprior, err := recordSimPayments(ctx, db, sim, start, plan)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "recorded %d payments in the %d days since assignment on %s, and %d prior payments\n\n", npay, cfg.Horizon, start.Format(time.RFC3339), nprior)
	return nil
}

// simSegment marks a simulation's debtors, so its experiment takes them and
// nobody else.
func simSegment(cfg experiments.SimConfig) string { return "simulated-" + cfg.Salt }

// simClock is the simulation's settable clock, shared by the store and the agent.
type simClock struct{ t atomic.Int64 }

func (c *simClock) set(t time.Time) { c.t.Store(t.UnixMicro()) }
func (c *simClock) now() time.Time  { return time.UnixMicro(c.t.Load()).UTC() }

// simAccount is the account reference of simulated debtor i (0-based) of
// the simulation named name (several can share a database).
func simAccount(name string, i int) string { return fmt.Sprintf("%s-%08d", strings.ToUpper(name), i+1) }

// importSim imports the simulated debtors in order, so that their ids follow
// the database's last like the simulation's. Names, numbers and documents come
// from the demo generator; balances and days past due from the simulation; all
// consented, all in the simulation's segment. It returns their numbers.
func importSim(ctx context.Context, db *store.DB, sim *experiments.Sim, now time.Time) (map[string]bool, error) {
	g := demo.New(sim.Config.Seed, now, false)
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		return nil, err
	}
	im.Synthetic()
	yes := true
	taken := map[string]bool{}
	known := func(e164 string) bool {
		_, err := db.DebtorByPhone(ctx, e164)
		return err == nil
	}
	for i, u := range sim.Units {
		row := g.Next()
		num, err := phone.Normalize(row.Phone, "CO")
		if err != nil {
			im.Rollback()
			return nil, fmt.Errorf("simulate: demo phone %s: %w", row.Phone, err)
		}
		// A number someone in the database already has would update that
		// debtor instead of adding one: take the next free number.
		for taken[num.E164] || known(num.E164) {
			if num, err = phone.Normalize(nextNumber(num.E164), "CO"); err != nil {
				im.Rollback()
				return nil, fmt.Errorf("simulate: demo phone: %w", err)
			}
		}
		taken[num.E164] = true
		if err := im.Add(store.PortfolioRow{
			Debtor: acuerdo.Debtor{Phone: num.E164, Name: row.Name, Country: "CO", TimeZone: "America/Bogota", Locale: "es",
				Segment: simSegment(sim.Config), DocumentID: row.Document},
			Account: acuerdo.Account{Ref: simAccount(sim.Config.Salt, i), Balance: &acuerdo.Money{Amount: u.Balance, Currency: "COP"}, DaysPastDue: u.DaysPastDue},
			Consent: &yes, KnownDaysPastDue: true,
		}); err != nil {
			im.Rollback()
			return nil, err
		}
	}
	_, err = im.Commit()
	return taken, err
}

// nextNumber is the E.164 number one above e164 ("+573001234567" →
// "+573001234568"), wrapping the last digits.
func nextNumber(e164 string) string {
	b := []byte(e164)
	for i := len(b) - 1; i > 0; i-- {
		if b[i] < '9' {
			b[i]++
			break
		}
		b[i] = '0'
	}
	return string(b)
}

// recordSimPayments records the simulated payments, each in the middle of its
// day since assignment with the plan's method, and the prior payments (the
// CUPED covariate) 30 days before assignment.
func recordSimPayments(ctx context.Context, db *store.DB, sim *experiments.Sim, start time.Time, plan simPlan) (after, prior int, err error) {
	pi, err := db.BeginPaymentImport(ctx, "simulation")
	if err != nil {
		return 0, 0, err
	}
	add := func(i int, at time.Time, amount float64, id, method string) error {
		if amount < 1 {
			return nil // the payments table holds positive amounts only
		}
		acct, cur, err := pi.Account(simAccount(sim.Config.Salt, i))
		if err != nil {
			return err
		}
		return pi.Add(acuerdo.Payment{AccountID: acct, Amount: acuerdo.Money{Amount: int64(amount), Currency: cur}, PaidAt: at, ExternalID: id, Method: method})
	}
	covariate := sim.Cohort.Covariates[1]
	for i := range sim.Units {
		if !math.IsNaN(covariate[i]) && covariate[i] >= 1 {
			prior++
			if err := add(i, start.AddDate(0, 0, -30), covariate[i], fmt.Sprintf("%s-prior-%d", sim.Config.Salt, i+1), plan.method[i]); err != nil {
				pi.Rollback()
				return 0, 0, err
			}
		}
	}
	p := sim.Payments
	for k := range p.Unit {
		at := start.Add(time.Duration(p.Day[k]-1)*day + 12*time.Hour)
		if err := add(int(p.Unit[k]), at, p.Amount[k], fmt.Sprintf("%s-%d", sim.Config.Salt, k+1), plan.method[p.Unit[k]]); err != nil {
			pi.Rollback()
			return 0, 0, err
		}
	}
	c, err := pi.Commit()
	return c.Inserted - prior, prior, err
}

// printTruth puts the model's true liquidation rates beside the report's
// estimates of every arm − control difference.
func printTruth(w io.Writer, cfg experiments.SimConfig, r *report) {
	writeSRM(w, r)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tarm\tcuped\ttrue control\ttrue arm\ttrue diff\testimated diff\t95% ci\tp_adjusted\tcovers truth")
	for _, x := range r.Results {
		var d int
		arm, ok := experiments.ComparedArm(x.Arm)
		if !ok || !strings.HasPrefix(x.Arm, experiments.ArmDifference) || !sscanDay(x.Metric, &d) || x.Segment != "" {
			continue
		}
		h := min(d, cfg.Horizon)
		tc, tt := cfg.TrueLiquidationOf(acuerdo.ArmControl, h), cfg.TrueLiquidationOf(arm, h)
		truth := tt - tc
		fmt.Fprintf(tw, "%s\t%s\t%t\t%.4f\t%.4f\t%.4f\t%.4f\t[%.4f, %.4f]\t%.4g\t%t\n", x.Metric, arm, x.CUPED, tc, tt, truth, x.Estimate, x.CILow, x.CIHigh,
			x.PAdjusted, x.CILow <= truth && truth <= x.CIHigh)
	}
	tw.Flush()
	if cfg.Arms == nil {
		fmt.Fprintf(w, "true relative lift in payment probability: %g (liquidation also rises because treatment pays sooner)\n", cfg.Lift)
		return
	}
	for _, a := range cfg.Arms[1:] {
		fmt.Fprintf(w, "true relative lift of %s in payment probability: %g\n", a.Name, cfg.Lifts[a.Name])
	}
}

// simArms reads simulate's --arms and --lift into cfg: without --arms, --lift
// is one number; with it, NAME=LIFT pairs for the arms other than control
// (an arm left out has no lift).
func simArms(cfg *experiments.SimConfig, armsFlag, liftFlag string) error {
	if armsFlag == "" {
		l, err := strconv.ParseFloat(strings.TrimSpace(liftFlag), 64)
		if err != nil {
			return fmt.Errorf("--lift %q: a number such as 0.3 (with --arms: a=0.05,b=0.4)", liftFlag)
		}
		cfg.Lift = l
		return nil
	}
	arms, err := acuerdo.ParseArms(armsFlag)
	if err != nil {
		return fmt.Errorf("--arms: %s", acuerdo.ErrorMessage(err))
	}
	cfg.Arms, cfg.Lifts = arms, map[string]float64{}
	if liftFlag == "0.3" { // the flag's default: no per-arm lifts given
		return nil
	}
	for _, kv := range strings.Split(liftFlag, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		l, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		i := slices.IndexFunc(arms, func(a acuerdo.Arm) bool { return a.Name == strings.TrimSpace(k) })
		switch {
		case !ok || err != nil:
			return fmt.Errorf("--lift %q: with --arms write ARM=LIFT pairs, e.g. a=0.05,b=0.4", liftFlag)
		case i <= 0:
			return fmt.Errorf("--lift %q: %q is not an arm other than control", liftFlag, k)
		case l <= -1:
			return fmt.Errorf("--lift %q: a lift must be above -1", liftFlag)
		}
		cfg.Lifts[arms[i].Name] = l
	}
	return nil
}

// sscanDay reads d from a metric named liquidation_rate_dD.
func sscanDay(metric string, d *int) bool {
	n, err := fmt.Sscanf(metric, "liquidation_rate_d%d", d)
	return n == 1 && err == nil
}
