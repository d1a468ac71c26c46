package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/pilot"
	"acuerdo/store"
)

func init() {
	register(command{name: "report", summary: "a pilot's results: sample-ratio check, recovery, cost, time to pay, with CIs", run: runReport})
}

const reportAbout = `Reports an experiment, intention-to-treat over every assigned debtor: the
sample-ratio check first (a loud warning when p < 0.001), then liquidation rate
by day 30/60/90 (delta method, plain and CUPED on balance and prior payments),
recovery per debtor and net of cost (stratified bootstrap), cost to collect,
time to first payment (Kaplan-Meier, log-rank) and the LLM cost in USD.

Placed is the balance of the debtor's accounts at assignment; outcomes are the
payments on those accounts after assignment, by day since assignment, observed
for min(horizon, as-of - assignment) whole days. Payments in the 90 days up to
assignment are the prior-payments covariate.

Cost is what serving each debtor cost since assignment, in USD: the model
calls' cost_usd in the audit log (priced when they happened), plus WhatsApp
template messages by country and category and operator minutes (cases a person
took, messages an operator wrote), each at the dated rate in force that day.
Rates come from the built-in table (pilot/prices.yaml) or --prices FILE /
ACUERDO_PRICES, a YAML file of the same shape. Costs are always reported in USD
per component; with --fx they are also converted to the experiment's currency
and enter net recovery and cost to collect (without it those two count no
cost).

Conversion by scenario: per days-past-due band, the share of debtors who paid
within follow-up; per payment method, the share whose first payment used it.

--format csv|json writes the results table to stdout (the SRM line then goes
to stderr). --out DIR writes assignments.csv, debtor_outcomes.csv,
payments.csv, messages.csv (no message text), llm_calls.csv and results.csv:
snake_case, UTC times, money in minor units plus currency.`

func runReport(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "report", "report EXPERIMENT [--as-of DATE] [--format text|csv|json] [--out DIR] [--fx RATE] [--prices FILE]", reportAbout)
	asOfFlag := fs.String("as-of", "", "report as of this `date` (YYYY-MM-DD, through its end, UTC) or RFC 3339 instant; default now")
	format := fs.String("format", "text", "results `format`: text, csv or json")
	outDir := fs.String("out", "", "write the tidy CSV exports to this `directory`")
	fx := fs.Float64("fx", 0, "experiment-currency units per USD, to count cost in net recovery; 0 leaves cost in USD only")
	pricesPath := fs.String("prices", e.getenv("ACUERDO_PRICES"), "YAML `file` of template and operator rates (env ACUERDO_PRICES; default built in)")
	resamples := fs.Int("resamples", experiments.DefaultBootstrap.Resamples, "bootstrap `resamples` (at least 2000 for published numbers)")
	name, err := parseWithName(e, fs, args)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "csv" && *format != "json" {
		return usageErr("--format %q: use text, csv or json", *format)
	}
	if *fx < 0 || *resamples < 100 {
		return usageErr("--fx must be ≥ 0 and --resamples ≥ 100")
	}
	asOf, err := parseAsOf(*asOfFlag, time.Now())
	if err != nil {
		return usageErr("%v", err)
	}
	prices, err := pilot.LoadPrices(*pricesPath)
	if err != nil {
		return usageErr("%v", err)
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := pilot.Build(ctx, db, name, asOf, pilot.Options{FX: *fx, Resamples: *resamples, Prices: &prices})
	if err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
			return &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
		}
		return err
	}
	if *outDir != "" {
		if err := r.WriteExports(*outDir); err != nil {
			return &exitError{2, err}
		}
	}
	switch *format {
	case "csv":
		writeSRM(e.stderr, r)
		return pilot.WriteResultsCSV(e.stdout, r.Results)
	case "json":
		writeSRM(e.stderr, r)
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r.Results)
	}
	writeText(e.stdout, r)
	if *outDir != "" {
		fmt.Fprintf(e.stdout, "\nexports written to %s\n", *outDir)
	}
	return nil
}

// parseAsOf reads a date (meaning the end of that UTC day, so a report "as of
// the 30th" includes the 30th's payments) or an RFC 3339 instant.
func parseAsOf(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now.UTC(), nil
	}
	if d, err := acuerdo.ParseDate(s); err == nil {
		return d.Time(time.UTC).AddDate(0, 0, 1), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of %q: write YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// report is one computed report; pilot builds it so that the dashboard shows
// the same numbers.
type report = pilot.Report

const day = 24 * time.Hour

func writeSRM(w io.Writer, r *report) {
	s := r.SRM
	tot := 0.0
	for _, c := range s.Counts {
		tot += float64(c)
	}
	var got, plan []string
	for i, a := range r.Data.Arms {
		if i < len(s.Counts) {
			got = append(got, fmt.Sprintf("%s %d (%.2f%%)", a.Name, s.Counts[i], 100*float64(s.Counts[i])/tot))
		}
		plan = append(plan, fmt.Sprintf("%.1f%%", 100*a.Share))
	}
	fmt.Fprintf(w, "sample ratio: %s; planned %s; chi-square p = %.4g (df %d)\n", strings.Join(got, ", "), strings.Join(plan, " / "), s.P, s.DF)
	if s.Flag {
		fmt.Fprintf(w, "!!! WARNING: SAMPLE RATIO MISMATCH (p < %g): the arms are not the planned split; assignment or data is broken and EVERY METRIC BELOW IS SUSPECT !!!\n", experiments.SRMThreshold)
	}
}

func writeText(w io.Writer, r *report) {
	d := r.Data
	fmt.Fprintf(w, "experiment %s as of %s: %d debtors, %s, horizon %d days, assigned %s\n", d.Name, r.AsOf.Format(time.RFC3339), len(d.Rows),
		d.Currency, d.HorizonDays, d.CreatedAt.UTC().Format(time.RFC3339))
	writeSRM(w, r)
	unknown := 0
	for _, row := range d.Rows {
		if row.Placed < 0 {
			unknown++
		}
	}
	if unknown > 0 {
		fmt.Fprintf(w, "note: %d debtors had no known balance at assignment; they place nothing but their payments count\n", unknown)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tarm\tn\testimate\tci_low\tci_high\tlift_abs\tlift_rel\tp_value\tcuped\tmethod")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%t\t%s\n", x.Metric, x.Arm, x.N, g(x.Estimate), g(x.CILow), g(x.CIHigh),
			g(x.LiftAbs), g(x.LiftRel), g(x.PValue), x.CUPED, x.Method)
	}
	tw.Flush()
}

func g(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}
