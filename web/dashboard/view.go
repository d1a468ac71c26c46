package dashboard

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/pilot"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// cell is one estimate with its interval, formatted.
type cell struct{ Est, CI string }

// liftRow is one metric (plain or CUPED) of the lift table.
type liftRow struct {
	Label                string
	CUPED                bool
	Control, Treatment   cell
	Difference, Relative cell
	P                    string
	Significant          bool
}

// costRow is one arm's cost per debtor by component, and in total.
type costRow struct {
	Arm, LLM, Templates, OperatorMin, PerDebtor, CI, Total string
	N                                                      int
}

type atRiskRow struct {
	Arm    string
	Counts []int
}

type download struct{ Table, URL string }

// funnelRow is one stage of the funnel, both arms.
type funnelRow struct{ Label, Control, Treatment string }

// funnelRows shows each stage as a count and its share of the denominator.
func funnelRows(fs []store.Funnel, t map[string]string) []funnelRow {
	by := map[string]store.Funnel{}
	for _, f := range fs {
		by[f.Arm] = f
	}
	share := func(k, n int) string {
		if n == 0 {
			return "–"
		}
		return fmt.Sprintf("%d (%s)", k, fmtNum(float64(k)/float64(n), true))
	}
	stage := func(label string, get func(store.Funnel) string) funnelRow {
		return funnelRow{t[label], get(by[acuerdo.ArmControl]), get(by[acuerdo.ArmTreatment])}
	}
	return []funnelRow{
		stage("f_assigned", func(f store.Funnel) string { return fmt.Sprint(f.Assigned) }),
		stage("f_reached", func(f store.Funnel) string { return share(f.Reached, f.Assigned) }),
		stage("f_verified", func(f store.Funnel) string { return share(f.Verified, f.Assigned) }),
		stage("f_promised", func(f store.Funnel) string { return share(f.Promised, f.Assigned) }),
		stage("f_kept", func(f store.Funnel) string { return share(f.Kept, f.Assigned) }),
		stage("f_opted_out", func(f store.Funnel) string { return share(f.OptedOut, f.Assigned) }),
		stage("f_escalated", func(f store.Funnel) string { return share(f.Escalated, f.Assigned) }),
		stage("f_useful", func(f store.Funnel) string { return share(f.Useful, f.Judged) }),
		stage("f_rating", func(f store.Funnel) string {
			if f.Rated == 0 {
				return "–"
			}
			return fmt.Sprintf("%.1f (n = %d)", f.RatingMean, f.Rated)
		}),
	}
}

// noLiftTable are results shown elsewhere on the page: the SRM in its banner,
// model cost in the cost table, the log-rank test under the chart.
var noLiftTable = map[string]bool{"sample_ratio": true, "logrank_time_to_pay": true,
	"llm_cost_usd_per_debtor": true, "template_cost_usd_per_debtor": true, "operator_minutes_per_debtor": true,
	"operator_cost_usd_per_debtor": true, "cost_usd_per_debtor": true}

func (s *server) experiment(w http.ResponseWriter, r *http.Request) {
	rep, ok := s.buildPilot(w, r)
	if !ok {
		return
	}
	lang := httpx.PickLang(r)
	t := dashboardText[lang]
	d := rep.Data
	srm := rep.SRM
	srmDetail := fmt.Sprintf(t["srm_detail"], d.Counts[acuerdo.ArmControl], d.Counts[acuerdo.ArmTreatment],
		100*(1-d.Treatment), 100*d.Treatment, fmtP(srm.P))

	asOf := rep.AsOf.Format(time.RFC3339)
	base := "/dashboard/" + url.PathEscape(d.Name)
	var downloads []download
	for _, table := range pilot.Tables {
		q := url.Values{"as_of": {asOf}}
		downloads = append(downloads, download{table, base + "/export/" + table + ".csv?" + q.Encode()})
	}
	days := chartDays(rep.Curves)
	ticks := chartTicks(days)
	var atRisk []atRiskRow
	for a, k := range rep.Curves {
		row := atRiskRow{Arm: t[experiments.ArmName(uint8(a))]}
		for _, tick := range ticks {
			row.Counts = append(row.Counts, k.AtRiskAt(tick))
		}
		atRisk = append(atRisk, row)
	}
	logrank := ""
	for _, x := range rep.Results {
		if x.Metric == "logrank_time_to_pay" {
			logrank = "log-rank p = " + fmtP(x.PValue)
		}
	}
	s.render(w, "experiment", map[string]any{
		"Lang": lang, "T": t, "Langs": httpx.Langs, "Nonce": pageHeaders(w), "Path": base,
		"X": d, "AsOf": rep.AsOf.Format("2006-01-02 15:04 UTC"), "Debtors": len(d.Rows),
		"SRMFlag": srm.Flag, "SRMDetail": srmDetail,
		"Decision": decision(rep, t, math.Pow10(acuerdo.MinorDigits(d.Currency))), "Primary": metricLabel(t, primaryMetric(rep)),
		"Segments":  segments(rep, t),
		"Lift":      liftRows(shown(rep), t, math.Pow10(acuerdo.MinorDigits(d.Currency)), false),
		"Scenarios": liftRows(rep.Results, t, 1, true), "Chart": kmSVG(rep.Curves, t), "Ticks": ticks, "AtRisk": atRisk, "Logrank": logrank,
		"Cost": costRows(rep.Results, t), "Funnel": funnelRows(rep.Funnel, t), "Downloads": downloads,
	})
}

// shown are the results the lift table shows: without an exchange rate, net
// recovery and cost to collect count no cost at all, and a row of zeros would
// read as a measurement.
func shown(rep *pilot.Report) []experiments.Result {
	if rep.CostCounted {
		return rep.Results
	}
	var out []experiments.Result
	for _, x := range rep.Results {
		if x.Metric != "cost_to_collect" && x.Metric != "net_recovery_per_debtor" {
			out = append(out, x)
		}
	}
	return out
}

// moneyMetrics are in minor units in the results (like the CSV exports); the
// page shows them in the currency's major units, as people read money.
var moneyMetrics = map[string]bool{"recovery_per_debtor": true, "net_recovery_per_debtor": true}

// liftRows groups the results by metric and CUPED, in the report's order;
// minor is the currency's minor units per major unit.
// With scenarios it takes only the conversion-by-scenario rows, which have a
// table of their own; without, it leaves them out.
func liftRows(rs []experiments.Result, t map[string]string, minor float64, scenarios bool) []liftRow {
	type key struct {
		metric string
		cuped  bool
	}
	var order []key
	by := map[key]*liftRow{}
	for _, x := range rs {
		if noLiftTable[x.Metric] || strings.HasPrefix(x.Metric, "funnel_") || x.Metric == "satisfaction_mean" {
			continue // the funnel has its own table
		}
		if strings.HasPrefix(x.Metric, "conversion_") != scenarios {
			continue
		}
		if x.Segment != "" {
			continue // exploratory segment rows are not the pilot's lift
		}
		k := key{x.Metric, x.CUPED}
		row := by[k]
		if row == nil {
			row = &liftRow{Label: metricLabel(t, x.Metric), CUPED: x.CUPED,
				Control: cell{"–", ""}, Treatment: cell{"–", ""}, Difference: cell{"–", ""}, Relative: cell{"–", ""}, P: "–"}
			by[k] = row
			order = append(order, k)
		}
		pct := strings.HasPrefix(x.Metric, "liquidation_rate_") || strings.HasPrefix(x.Metric, "share_paid_") || x.Metric == "sequential_share_paid" || scenarios
		scale := 1.0
		if moneyMetrics[x.Metric] {
			scale = minor
		}
		c := cell{fmtNum(x.Estimate/scale, pct), "[" + fmtNum(x.CILow/scale, pct) + ", " + fmtNum(x.CIHigh/scale, pct) + "]"}
		switch x.Arm {
		case "control":
			row.Control = c
		case "treatment":
			row.Treatment = c
		case experiments.ArmDifference:
			row.Difference, row.P = c, fmtP(x.PValue)
			// An interval clear of zero is what an analyst scans the table for.
			row.Significant = x.CILow > 0 || x.CIHigh < 0
		case experiments.ArmRelative:
			row.Relative = cell{fmtNum(x.Estimate, true), "[" + fmtNum(x.CILow, true) + ", " + fmtNum(x.CIHigh, true) + "]"}
		}
	}
	out := make([]liftRow, len(order))
	for i, k := range order {
		out[i] = *by[k]
	}
	return out
}

// costRows are each arm's cost per debtor in USD by component (model,
// templates, operator minutes) and in total with its bootstrap interval.
func costRows(rs []experiments.Result, t map[string]string) []costRow {
	var out []costRow
	idx := map[string]int{}
	for _, x := range rs {
		if x.Arm != "control" && x.Arm != "treatment" {
			continue
		}
		i, ok := idx[x.Arm]
		switch x.Metric {
		case "llm_cost_usd_per_debtor", "template_cost_usd_per_debtor", "operator_minutes_per_debtor", "cost_usd_per_debtor":
			if !ok {
				i = len(out)
				idx[x.Arm] = i
				out = append(out, costRow{Arm: t[x.Arm], N: x.N})
			}
		default:
			continue
		}
		c := &out[i]
		switch x.Metric {
		case "llm_cost_usd_per_debtor":
			c.LLM = fmt.Sprintf("%.4f", x.Estimate)
		case "template_cost_usd_per_debtor":
			c.Templates = fmt.Sprintf("%.4f", x.Estimate)
		case "operator_minutes_per_debtor":
			c.OperatorMin = fmt.Sprintf("%.2f", x.Estimate)
		case "cost_usd_per_debtor":
			c.PerDebtor, c.CI = fmt.Sprintf("%.4f", x.Estimate), fmt.Sprintf("[%.4f, %.4f]", x.CILow, x.CIHigh)
			c.Total = fmt.Sprintf("%.2f", x.Estimate*float64(x.N))
		}
	}
	return out
}
