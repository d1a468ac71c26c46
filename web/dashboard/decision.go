package dashboard

import (
	"fmt"
	"math"
	"strings"

	"acuerdo/experiments"
	"acuerdo/pilot"
)

// decisionRow is one arm's verdict on the pilot's primary metric, its
// sequential reading and its guardrails: what the page opens with.
type decisionRow struct {
	Arm, Difference, PAdj, Verdict, Sequential string
	Guardrails                                 []string
	Class                                      string // win, lose or none
}

// segmentRow is an exploratory per-segment lift.
type segmentRow struct {
	Segment, Arm, Difference, PAdj string
}

// primaryMetric is the metric the pilot was created to be decided on;
// liquidation at the horizon when none was chosen.
func primaryMetric(rep *pilot.Report) string {
	if p := rep.Data.Primary; p != "" && p != "share_paid" {
		return p
	}
	return fmt.Sprintf("liquidation_rate_d%d", rep.Data.HorizonDays)
}

// guardrailFunnel maps a guardrail to the funnel metric that measures it.
var guardrailFunnel = map[string]string{"opt_outs": "funnel_opted_out", "escalations": "funnel_escalated"}

// decision reads the report into one verdict per arm: the primary metric's
// difference with control, Holm-adjusted; the sequential boundary; and each
// guardrail's share in the arm beside control's.
func decision(rep *pilot.Report, t map[string]string, minor float64) []decisionRow {
	primary := primaryMetric(rep)
	scale := 1.0
	if moneyMetrics[primary] {
		scale = minor
	}
	pct := strings.HasPrefix(primary, "liquidation_rate_")
	funnel := map[[2]string]float64{}
	for _, x := range rep.Results {
		if strings.HasPrefix(x.Metric, "funnel_") {
			funnel[[2]string{x.Metric, x.Arm}] = x.Estimate
		}
	}
	var out []decisionRow
	for _, x := range rep.Results {
		arm, ok := experiments.ComparedArm(x.Arm)
		if !ok || x.Metric != primary || x.CUPED || x.Segment != "" || !strings.HasPrefix(x.Arm, experiments.ArmDifference) {
			continue
		}
		name := arm
		if l, ok := t[arm]; ok {
			name = l
		}
		r := decisionRow{Arm: name, PAdj: fmtP(x.PAdjusted), Verdict: t["verdict_none"], Class: "none",
			Difference: fmtNum(x.Estimate/scale, pct) + " [" + fmtNum(x.CILow/scale, pct) + ", " + fmtNum(x.CIHigh/scale, pct) + "]"}
		switch {
		case x.PAdjusted < 0.05 && x.Estimate > 0:
			r.Verdict, r.Class = t["verdict_win"], "win"
		case x.PAdjusted < 0.05 && x.Estimate < 0:
			r.Verdict, r.Class = t["verdict_lose"], "lose"
		}
		r.Sequential = t["seq_none"]
		for _, s := range rep.Results {
			if s.Metric == "sequential_share_paid" && s.Arm == x.Arm {
				r.Sequential = t["seq_not"]
				if strings.Contains(s.Method, "boundary crossed") {
					r.Sequential = t["seq_crossed"]
				}
				r.Sequential += " " + fmtNum(s.Estimate, true) + " [" + fmtNum(s.CILow, true) + ", " + fmtNum(s.CIHigh, true) + "]"
			}
		}
		for _, g := range rep.Data.Guardrails {
			f, ok := guardrailFunnel[g]
			if !ok {
				r.Guardrails = append(r.Guardrails, fmt.Sprintf("%s: %s", t["g_"+g], t["g_unmeasured"]))
				continue
			}
			a, c := funnel[[2]string{f, arm}], funnel[[2]string{f, "control"}]
			r.Guardrails = append(r.Guardrails, fmt.Sprintf("%s: %s (%s %s)", t["g_"+g], fmtNum(a, true), t["control"], fmtNum(c, true)))
		}
		out = append(out, r)
	}
	return out
}

// segments are the exploratory per-segment differences, in report order.
func segments(rep *pilot.Report, t map[string]string) []segmentRow {
	var out []segmentRow
	for _, x := range rep.Results {
		arm, ok := experiments.ComparedArm(x.Arm)
		if x.Segment == "" || !ok || !strings.HasPrefix(x.Arm, experiments.ArmDifference) || math.IsNaN(x.Estimate) {
			continue
		}
		if l, ok := t[arm]; ok {
			arm = l
		}
		out = append(out, segmentRow{Segment: x.Segment, Arm: arm, PAdj: fmtP(x.PAdjusted),
			Difference: fmtNum(x.Estimate, true) + " [" + fmtNum(x.CILow, true) + ", " + fmtNum(x.CIHigh, true) + "]"})
	}
	return out
}
