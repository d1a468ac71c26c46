package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"acuerdo"
	"acuerdo/demo"
	"acuerdo/experiments"
	"acuerdo/phone"
	"acuerdo/store"
)

func init() {
	register(command{name: "simulate", summary: "a synthetic pilot with a known lift, to check that report finds it", run: runSimulate})
}

const simulateAbout = `Builds a synthetic pilot in an empty database and reports it next to the truth.

It generates a portfolio with experiments.Simulate's model (days past due in
five bands, log-normal balances, latent good payers, prior payments), imports
it, creates an experiment assigned exactly as "experiment create" does,
launches it (the treatment's first contacts are queued, control is never
contacted), and records the payments of --days days of follow-up, in which
treatment multiplies each debtor's probability of paying by 1 + --lift (and
pays sooner). Everything is dated so that assignment was --days days ago:
"acuerdo report NAME" then shows the lift. It prints the true liquidation
rates next to the estimates and their 95 % intervals.

Treatment debtors' simulated model costs go to the audit log as model entries
(cost_usd, at --fx units per USD), so reports show cost too. Agent
conversations are not simulated: outcomes come from the model, not from turns.

The phone numbers look real. Do not serve a simulated database with live
Twilio credentials: the queued first contacts would go out.`

func runSimulate(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "simulate", "simulate [--debtors N] [--days D] [--lift L] [--seed S] [--name NAME]", simulateAbout)
	n := fs.Int("debtors", 2000, "how many debtors")
	days := fs.Int("days", 90, "days of follow-up since assignment (the horizon)")
	lift := fs.Float64("lift", 0.3, "true relative lift of treatment's payment probability")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same pilot")
	share := fs.Float64("treatment", 0.5, "planned treatment `share`")
	name := fs.String("name", "", "experiment `name` (default sim-SEED)")
	fx := fs.Float64("fx", 4000, "COP per USD, to turn simulated costs into cost_usd and back")
	resamples := fs.Int("resamples", experiments.DefaultBootstrap.Resamples, "bootstrap `resamples`")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("simulate takes no arguments")
	case *n < 10 || *days < 1 || *lift <= -1 || *share <= 0 || *share >= 1 || *fx <= 0 || *resamples < 100:
		return usageErr("want --debtors ≥ 10, --days ≥ 1, --lift > -1, 0 < --treatment < 1, --fx > 0, --resamples ≥ 100")
	}
	if *name == "" {
		*name = fmt.Sprintf("sim-%d", *seed)
	}
	// Assignment is dated --days ago (plus an hour, so the last day is whole),
	// and every store write of the setup carries that time.
	now := time.Now().UTC().Truncate(time.Second)
	start := now.Add(-time.Duration(*days)*day - time.Hour)
	db, err := openDB(ctx, *dbPath, store.Options{Clock: func() time.Time { return start }})
	if err != nil {
		return err
	}
	defer db.Close()
	if c, err := db.Count(ctx); err != nil {
		return err
	} else if c.Debtors > 0 {
		return usageErr("simulate needs an empty database, and %s has %d debtors: pass --db NEW.db", *dbPath, c.Debtors)
	}

	cfg := experiments.SimConfig{N: *n, Seed: *seed, Salt: *name, TreatmentShare: *share, Lift: *lift, Horizon: *days}
	sim := experiments.Simulate(cfg)
	if err := importSim(ctx, db, sim, start); err != nil {
		return err
	}
	// The experiment's salt is the simulation's, so Assign over the same debtors
	// (ids 1..N in a fresh database) reproduces the simulation's arms; checked below.
	created, err := createExperiment(ctx, db, store.NewExperiment{Name: *name, Salt: cfg.Salt, Treatment: *share,
		Stratify: []string{"dpd", "balance"}, HorizonDays: *days})
	if err != nil {
		return err
	}
	printCreated(e.stdout, created)
	data, err := db.ExperimentData(ctx, *name, start)
	if err != nil {
		return err
	}
	for i, row := range data.Rows {
		if a := sim.Assignments[i]; row.DebtorID != a.DebtorID || row.Arm != a.Arm {
			return fmt.Errorf("simulate: debtor %d is in %s but the simulation put it in %s; the database was not empty", row.DebtorID, row.Arm, a.Arm)
		}
	}
	pol, err := loadPolicy(readConfig(e))
	if err != nil {
		return &exitError{2, err}
	}
	l, err := launch(ctx, db, *name, pol.CreditorName)
	if err != nil {
		return err
	}
	printLaunched(e.stdout, *name, l)
	npay, nprior, err := recordSimPayments(ctx, db, sim, start)
	if err != nil {
		return err
	}
	if err := recordSimCosts(ctx, db, sim, start, *fx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "recorded %d payments in the %d days since assignment on %s, and %d prior payments\n\n", npay, *days, start.Format(time.RFC3339), nprior)

	r, err := buildReport(ctx, db, *name, now, 0, *resamples)
	if err != nil {
		return err
	}
	printTruth(e.stdout, cfg, r)
	fmt.Fprintf(e.stdout, "\nthe full report: acuerdo report %s --db %s --fx %g\n", *name, *dbPath, *fx)
	return nil
}

// simAccount is the account reference of simulated debtor i (0-based).
func simAccount(i int) string { return fmt.Sprintf("SIM-%08d", i+1) }

// importSim imports the simulated debtors in order, so that in an empty database
// debtor ids are 1..N like the simulation's. Names and numbers come from the demo
// generator; balances and days past due from the simulation; all consented.
func importSim(ctx context.Context, db *store.DB, sim *experiments.Sim, now time.Time) error {
	g := demo.New(sim.Config.Seed, now, false)
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		return err
	}
	yes := true
	for i, u := range sim.Units {
		row := g.Next()
		num, err := phone.Normalize(row.Phone, "CO")
		if err != nil {
			im.Rollback()
			return fmt.Errorf("simulate: demo phone %s: %w", row.Phone, err)
		}
		if err := im.Add(store.PortfolioRow{
			Debtor:  acuerdo.Debtor{Phone: num.E164, Name: row.Name, Country: "CO", TimeZone: "America/Bogota", Locale: "es", Segment: row.Segment},
			Account: acuerdo.Account{Ref: simAccount(i), Balance: &acuerdo.Money{Amount: u.Balance, Currency: "COP"}, DaysPastDue: u.DaysPastDue},
			Consent: &yes, KnownDaysPastDue: true,
		}); err != nil {
			im.Rollback()
			return err
		}
	}
	_, err = im.Commit()
	return err
}

// recordSimPayments records the simulated payments, each in the middle of its
// day since assignment, and the prior payments (the CUPED covariate) 30 days
// before assignment.
func recordSimPayments(ctx context.Context, db *store.DB, sim *experiments.Sim, start time.Time) (after, prior int, err error) {
	pi, err := db.BeginPaymentImport(ctx, "simulation")
	if err != nil {
		return 0, 0, err
	}
	add := func(i int, at time.Time, amount float64, id string) error {
		if amount < 1 {
			return nil // the payments table holds positive amounts only
		}
		acct, cur, err := pi.Account(simAccount(i))
		if err != nil {
			return err
		}
		return pi.Add(acuerdo.Payment{AccountID: acct, Amount: acuerdo.Money{Amount: int64(amount), Currency: cur}, PaidAt: at, ExternalID: id, Method: "simulated"})
	}
	covariate := sim.Cohort.Covariates[1]
	for i := range sim.Units {
		if !math.IsNaN(covariate[i]) && covariate[i] >= 1 {
			prior++
			if err := add(i, start.AddDate(0, 0, -30), covariate[i], fmt.Sprintf("sim-prior-%d", i+1)); err != nil {
				pi.Rollback()
				return 0, 0, err
			}
		}
	}
	p := sim.Payments
	for k := range p.Unit {
		at := start.Add(time.Duration(p.Day[k]-1)*day + 12*time.Hour)
		if err := add(int(p.Unit[k]), at, p.Amount[k], fmt.Sprintf("sim-%d", k+1)); err != nil {
			pi.Rollback()
			return 0, 0, err
		}
	}
	c, err := pi.Commit()
	return c.Inserted - prior, prior, err
}

// recordSimCosts writes one model audit entry per treatment debtor with the
// simulation's cost in USD, on the conversation launch created. Control costs
// are business as usual, which acuerdo does not see, so they are left out.
func recordSimCosts(ctx context.Context, db *store.DB, sim *experiments.Sim, start time.Time, fx float64) error {
	var entries []acuerdo.AuditEntry
	digits := math.Pow10(acuerdo.MinorDigits("COP"))
	for i, a := range sim.Assignments {
		if a.Arm != acuerdo.ArmTreatment || sim.Cohort.Cost[i] <= 0 {
			continue
		}
		d, err := db.DebtorByID(ctx, a.DebtorID)
		if err != nil {
			return err
		}
		conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, d.Phone)
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"provider": "simulation", "cost_usd": sim.Cohort.Cost[i] / digits / fx})
		entries = append(entries, acuerdo.AuditEntry{Time: start.Add(time.Hour), ConversationID: conv.ID, Kind: acuerdo.AuditModel,
			Name: "simulation", Outcome: acuerdo.Allowed, Rule: "simulated_cost", Detail: string(detail)})
	}
	return db.AppendAudit(ctx, entries...)
}

// printTruth puts the model's true liquidation rates beside the report's
// estimates of the treatment − control difference.
func printTruth(w io.Writer, cfg experiments.SimConfig, r *report) {
	writeSRM(w, r)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tcuped\ttrue control\ttrue treatment\ttrue diff\testimated diff\t95% ci\tcovers truth")
	for _, x := range r.Results {
		var d int
		if x.Arm != experiments.ArmDifference || !sscanDay(x.Metric, &d) {
			continue
		}
		h := min(d, cfg.Horizon)
		tc, tt := cfg.TrueLiquidation(experiments.Control, h), cfg.TrueLiquidation(experiments.Treatment, h)
		truth := tt - tc
		fmt.Fprintf(tw, "%s\t%t\t%.4f\t%.4f\t%.4f\t%.4f\t[%.4f, %.4f]\t%t\n", x.Metric, x.CUPED, tc, tt, truth, x.Estimate, x.CILow, x.CIHigh,
			x.CILow <= truth && truth <= x.CIHigh)
	}
	tw.Flush()
	fmt.Fprintf(w, "true relative lift in payment probability: %g (liquidation also rises because treatment pays sooner)\n", cfg.Lift)
}

// sscanDay reads d from a metric named liquidation_rate_dD.
func sscanDay(metric string, d *int) bool {
	n, err := fmt.Sscanf(metric, "liquidation_rate_d%d", d)
	return n == 1 && err == nil
}
