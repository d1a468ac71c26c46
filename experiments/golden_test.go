package experiments

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the report golden files (testdata/golden/*.report.csv)")

// goldenInput is a small hand-made dataset, testdata/golden/NAME.input.json. The
// expected values, NAME.want.json, are computed independently by
// testdata/reference.py (Python standard library, textbook formulas).
type goldenInput struct {
	Name           string          `json:"name"`
	TreatmentShare float64         `json:"treatment_share"`
	Arms           []string        `json:"arms"`
	Shares         []float64       `json:"shares"`
	Days           []int           `json:"days"`
	Tau            int             `json:"tau"`
	AtRiskDays     []int           `json:"at_risk_days"`
	Strata         []string        `json:"strata"`
	CovariateNames []string        `json:"covariate_names"`
	Units          [][]any         `json:"units"`
	Payments       [][]json.Number `json:"payments"`
}

func loadGolden(t *testing.T, name string) (*Cohort, *Payments, goldenInput, map[string]any) {
	t.Helper()
	var in goldenInput
	readJSON(t, filepath.Join("testdata", "golden", name+".input.json"), &in)
	var want map[string]any
	readJSON(t, filepath.Join("testdata", "golden", name+".want.json"), &want)

	c := &Cohort{Strata: in.Strata, CovariateNames: in.CovariateNames, ArmNames: in.Arms}
	c.Covariates = make([][]float64, len(in.CovariateNames))
	for _, u := range in.Units {
		arm := Control
		if u[0] == "treatment" {
			arm = Treatment
		}
		if in.Arms != nil {
			arm = uint8(indexOf(in.Arms, u[0].(string)))
		}
		c.Arm = append(c.Arm, arm)
		c.Stratum = append(c.Stratum, int32(indexOf(in.Strata, u[1].(string))))
		c.Placed = append(c.Placed, u[2].(float64))
		c.Cost = append(c.Cost, u[3].(float64))
		c.FollowUp = append(c.FollowUp, int32(u[4].(float64)))
		for j, v := range u[5].([]any) {
			f := math.NaN()
			if v != nil {
				f = v.(float64)
			}
			c.Covariates[j] = append(c.Covariates[j], f)
		}
	}
	p := &Payments{}
	for _, row := range in.Payments {
		u, _ := row[0].Int64()
		d, _ := row[1].Int64()
		a, _ := row[2].Float64()
		p.Unit, p.Day, p.Amount = append(p.Unit, int32(u)), append(p.Day, int32(d)), append(p.Amount, a)
	}
	if err := c.Validate(p); err != nil {
		t.Fatal(err)
	}
	return c, p, in, want
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// get walks a decoded JSON object by dotted path; null becomes NaN.
func get(t *testing.T, m map[string]any, path string) float64 {
	t.Helper()
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			if !ok {
				t.Fatalf("want has no %s", path)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(c) {
				t.Fatalf("want %s: bad index %s", path, k)
			}
			cur = c[i]
		default:
			t.Fatalf("want %s: %s is not a container", path, k)
		}
	}
	if cur == nil {
		return math.NaN()
	}
	return cur.(float64)
}

// close compares to 1e-9 relative (1e-12 absolute); NaN equals NaN, because "not
// defined" must agree too.
func check(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.IsNaN(want) || math.IsNaN(got) {
		if math.IsNaN(want) != math.IsNaN(got) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
		return
	}
	if d := math.Abs(got - want); d > 1e-12 && d > 1e-9*math.Abs(want) {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

func checkComparison(t *testing.T, what string, c Comparison, want map[string]any, prefix string) {
	t.Helper()
	check(t, what+" control", c.Control.Value, get(t, want, prefix+".control.value"))
	check(t, what+" control n", float64(c.Control.N), get(t, want, prefix+".control.n"))
	check(t, what+" treatment", c.Treatment.Value, get(t, want, prefix+".treatment.value"))
	check(t, what+" treatment n", float64(c.Treatment.N), get(t, want, prefix+".treatment.n"))
	check(t, what+" diff", c.Diff.Value, get(t, want, prefix+".diff"))
	check(t, what+" p", c.P, get(t, want, prefix+".p"))
	check(t, what+" rel", c.Rel.Value, get(t, want, prefix+".rel"))
	if _, ok := get2(want, prefix+".rel_low"); ok {
		check(t, what+" rel low (fieller)", c.Rel.Low, get(t, want, prefix+".rel_low"))
		check(t, what+" rel high (fieller)", c.Rel.High, get(t, want, prefix+".rel_high"))
	}
	if _, ok := get2(want, prefix+".control.se"); ok {
		check(t, what+" control se", c.Control.SE, get(t, want, prefix+".control.se"))
		check(t, what+" treatment se", c.Treatment.SE, get(t, want, prefix+".treatment.se"))
		check(t, what+" diff se", c.Diff.SE, get(t, want, prefix+".diff_se"))
		check(t, what+" rel se", c.Rel.SE, get(t, want, prefix+".rel_se"))
		z := zFor(0.95)
		check(t, what+" diff ci low", c.Diff.Low, c.Diff.Value-z*get(t, want, prefix+".diff_se"))
		check(t, what+" diff ci high", c.Diff.High, c.Diff.Value+z*get(t, want, prefix+".diff_se"))
	}
}

func get2(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		c, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = c[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

var goldenNames = []string{"basic", "zero_control", "single_stratum_nocov"}

func TestGolden(t *testing.T) {
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			c, p, in, want := loadGolden(t, name)

			n := ArmCounts(c.Arm)
			srm := SRM(n[:], []float64{1 - in.TreatmentShare, in.TreatmentShare})
			check(t, "srm chi2", srm.ChiSq, get(t, want, "srm.chi2"))
			check(t, "srm p", srm.P, get(t, want, "srm.p"))

			for _, d := range in.Days {
				plain, cuped := LiquidationRate(c, p, d, 0.95)
				key := fmt.Sprintf("liquidation.%d", d)
				checkComparison(t, fmt.Sprintf("liquidation d%d", d), plain, want, key+".plain")
				checkComparison(t, fmt.Sprintf("liquidation d%d cuped", d), cuped, want, key+".cuped")
				wt, _ := get2(want, key+".cuped.theta")
				if len(cuped.Theta) != len(wt.([]any)) {
					t.Fatalf("d%d: theta %v, want %v", d, cuped.Theta, wt)
				}
				for j := range cuped.Theta {
					check(t, fmt.Sprintf("d%d theta[%d]", d, j), cuped.Theta[j], get(t, want, fmt.Sprintf("%s.cuped.theta.%d", key, j)))
				}
				wc, _ := get2(want, key+".cuped.covariates")
				if fmt.Sprint(cuped.Covariates) != fmt.Sprint(wc) && !(len(cuped.Covariates) == 0 && len(wc.([]any)) == 0) {
					t.Errorf("d%d: CUPED used %v, want %v", d, cuped.Covariates, wc)
				}
			}

			checkComparison(t, "cost to collect", CostToCollect(c, p, 0.95), want, "cost_to_collect")
			rec, net := NetRecovery(c, p, BootstrapConfig{Resamples: 200, Seed: 9}, 0.95)
			checkComparison(t, "recovery", rec, want, "recovery")
			checkComparison(t, "net recovery", net, want, "net_recovery")

			days, paid := TimeToFirstPayment(c, p)
			km := KaplanMeierByArm(c.Arm, days, paid, 0.95)
			for a, arm := range []string{"control", "treatment"} {
				k := km[a]
				w := "survival." + arm
				check(t, arm+" n", float64(k.N), get(t, want, w+".n"))
				curve, _ := get2(want, w+".curve")
				if len(curve.([]any)) != len(k.Surv) {
					t.Fatalf("%s curve has %d days, want %d", arm, len(k.Surv), len(curve.([]any)))
				}
				for d := range k.Surv {
					pre := fmt.Sprintf("%s.curve.%d", w, d)
					check(t, fmt.Sprintf("%s S(%d)", arm, d), k.S(d), get(t, want, pre+".s"))
					check(t, fmt.Sprintf("%s var S(%d)", arm, d), k.Surv[d]*k.Surv[d]*k.GW[d], get(t, want, pre+".greenwood_var"))
					check(t, fmt.Sprintf("%s lower(%d)", arm, d), k.Lower[d], get(t, want, pre+".lower"))
					check(t, fmt.Sprintf("%s upper(%d)", arm, d), k.Upper[d], get(t, want, pre+".upper"))
					sp := k.SharePaid(d)
					check(t, fmt.Sprintf("%s share paid(%d)", arm, d), sp.Value, 1-get(t, want, pre+".s"))
					check(t, fmt.Sprintf("%s share paid high(%d)", arm, d), sp.High, 1-get(t, want, pre+".lower"))
				}
				for _, d := range in.AtRiskDays {
					check(t, fmt.Sprintf("%s at risk day %d", arm, d), float64(k.AtRiskAt(d)), get(t, want, fmt.Sprintf("%s.at_risk.%d", w, d)))
				}
				med, ok := k.Median()
				wm := get(t, want, w+".median")
				if ok != !math.IsNaN(wm) || ok && float64(med) != wm {
					t.Errorf("%s median = %d (reached %v), want %v", arm, med, ok, wm)
				}
				r := k.RMST(in.Tau)
				check(t, arm+" rmst", r.Value, get(t, want, w+".rmst"))
				check(t, arm+" rmst se", r.SE, get(t, want, w+".rmst_se"))
			}
			lr := LogRank(km[1], km[0])
			check(t, "logrank observed", lr.Observed, get(t, want, "survival.logrank.observed"))
			check(t, "logrank expected", lr.Expected, get(t, want, "survival.logrank.expected"))
			check(t, "logrank chi2", lr.ChiSq, get(t, want, "survival.logrank.chi2"))
			check(t, "logrank p", lr.P, get(t, want, "survival.logrank.p"))

			// The whole report, as the CLI will write it: a regression golden file
			// (its numbers are the ones checked above; -update rewrites it).
			rows, err := Report(ReportInput{Experiment: name, AsOf: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
				TreatmentShare: in.TreatmentShare, Cohort: c, Payments: p, Days: in.Days, Tau: in.Tau,
				Bootstrap: BootstrapConfig{Resamples: 2000, Seed: 1}})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			_ = w.Write(Columns)
			for _, r := range rows {
				_ = w.Write(r.Record())
			}
			w.Flush()
			path := filepath.Join("testdata", "golden", name+".report.csv")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			gold, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if !bytes.Equal(gold, buf.Bytes()) {
				t.Errorf("report differs from %s (go test -run TestGolden -update rewrites it):\n%s", path, buf.String())
			}
			if _, err := json.Marshal(rows); err != nil {
				t.Errorf("rows do not marshal to JSON: %v", err)
			}
		})
	}
}

// TestThreeArms: a three-arm pilot against testdata/reference.py, which
// recomputes every arm against control with its own two-arm code, the SRM
// chi-square over all arms with k − 1 degrees of freedom, and Holm's adjusted
// p-values from their definition.
func TestThreeArms(t *testing.T) {
	c, p, in, want := loadGolden(t, "three_arms")
	rows, err := Report(ReportInput{Experiment: "three_arms", AsOf: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Shares: in.Shares,
		Cohort: c, Payments: p, Days: in.Days, Tau: in.Tau, Bootstrap: BootstrapConfig{Resamples: 200, Seed: 9}})
	if err != nil {
		t.Fatal(err)
	}
	find := func(metric, arm string, cuped bool) Result {
		t.Helper()
		for _, r := range rows {
			if r.Metric == metric && r.Arm == arm && r.CUPED == cuped {
				return r
			}
		}
		t.Fatalf("no row %s %s cuped=%v", metric, arm, cuped)
		return Result{}
	}
	srm := find("sample_ratio", "brief", false)
	check(t, "srm p (df 2)", srm.PValue, get(t, want, "srm.p"))
	if !strings.Contains(srm.Method, "df=2") {
		t.Errorf("srm method %q, want df=2", srm.Method)
	}
	for j, arm := range in.Arms {
		check(t, "srm n "+arm, float64(find("sample_ratio", arm, false).N), get(t, want, fmt.Sprintf("srm.counts.%d", j)))
	}
	for _, arm := range in.Arms[1:] {
		pr := SubCohort(c, p, uint8(indexOf(in.Arms, arm)), arm)
		w := "arms." + arm
		for _, d := range in.Days {
			plain, cuped := LiquidationRate(pr.Cohort, pr.Payments, d, 0.95)
			key := fmt.Sprintf("%s.liquidation.%d", w, d)
			checkComparison(t, arm+fmt.Sprintf(" liquidation d%d", d), plain, want, key+".plain")
			checkComparison(t, arm+fmt.Sprintf(" liquidation d%d cuped", d), cuped, want, key+".cuped")
			for _, cu := range []bool{false, true} {
				kind := map[bool]string{false: "plain", true: "cuped"}[cu]
				metric := fmt.Sprintf("liquidation_rate_d%d", d)
				r := find(metric, DiffLabel(arm), cu)
				check(t, arm+" "+metric+" "+kind+" diff row", r.Estimate, get(t, want, key+"."+kind+".diff"))
				check(t, arm+" "+metric+" "+kind+" p", r.PValue, get(t, want, key+"."+kind+".p"))
				check(t, arm+" "+metric+" "+kind+" p_adjusted", r.PAdjusted, get(t, want, fmt.Sprintf("holm.liquidation_%d_%s.%s", d, kind, arm)))
				check(t, arm+" "+metric+" "+kind+" relative p_adjusted", find(metric, RelLabel(arm), cu).PAdjusted, r.PAdjusted)
			}
		}
		checkComparison(t, arm+" cost to collect", CostToCollect(pr.Cohort, pr.Payments, 0.95), want, w+".cost_to_collect")
		rec, net := NetRecovery(pr.Cohort, pr.Payments, BootstrapConfig{Resamples: 200, Seed: 9}, 0.95)
		checkComparison(t, arm+" recovery", rec, want, w+".recovery")
		checkComparison(t, arm+" net recovery", net, want, w+".net_recovery")
		for metric, key := range map[string]string{"recovery_per_debtor": "recovery", "net_recovery_per_debtor": "net_recovery", "cost_to_collect": "cost_to_collect"} {
			r := find(metric, DiffLabel(arm), false)
			check(t, arm+" "+metric+" diff row", r.Estimate, get(t, want, w+"."+key+".diff"))
			check(t, arm+" "+metric+" p_adjusted", r.PAdjusted, get(t, want, "holm."+key+"."+arm))
		}
		if r := find("recovery_per_debtor", arm, false); r.N != int(get(t, want, w+".recovery.treatment.n")) {
			t.Errorf("%s recovery row n %d", arm, r.N)
		}
	}
	// Control is reported once per metric, not once per comparison.
	n := 0
	for _, r := range rows {
		if r.Metric == "recovery_per_debtor" && r.Arm == "control" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d control rows for recovery_per_debtor, want 1", n)
	}
}

func TestHolm(t *testing.T) {
	// Holm (1979) by hand: p = 0.01, 0.04, 0.03, 0.005 → sorted 0.005·4, 0.01·3,
	// 0.03·2, 0.04·1 = 0.02, 0.03, 0.06, 0.06 (monotone).
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	for i, w := range []float64{0.03, 0.06, 0.06, 0.02} {
		check(t, fmt.Sprintf("holm[%d]", i), got[i], w)
	}
	got = Holm([]float64{0.5, math.NaN(), 0.9})
	check(t, "holm with NaN", got[0], 1)
	if !math.IsNaN(got[1]) || got[2] != 1 {
		t.Errorf("holm %v", got)
	}
}

// TestSegmentRows: per-segment lifts are liquidation recomputed by hand on the
// segment's debtors, and their p-values are Holm-adjusted as one family across
// every segment and arm; the rows say they are exploratory.
func TestSegmentRows(t *testing.T) {
	c, p, in, _ := loadGolden(t, "three_arms")
	labels := make([]string, c.Len())
	for i := range labels {
		labels[i] = "seg_" + c.Strata[c.Stratum[i]]
	}
	const day = 60
	rows := SegmentRows(RowContext{Experiment: "x"}, c, p, day, labels, 0.95)
	AdjustHolm(rows)
	y := CollectedBy(c, p, day)
	var ps []float64
	var diffs []Result
	for _, r := range rows {
		if !strings.Contains(r.Method, "exploratory") || r.Segment == "" {
			t.Fatalf("segment row %+v: want exploratory and its segment", r)
		}
		arm, ok := ComparedArm(r.Arm)
		if !ok || !strings.HasPrefix(r.Arm, ArmDifference) {
			continue
		}
		var sy, sx [2]float64
		for i := range labels {
			if labels[i] != r.Segment || int(c.FollowUp[i]) < day {
				continue
			}
			switch in.Units[i][0] {
			case "control":
				sy[0], sx[0] = sy[0]+y[i], sx[0]+c.Placed[i]
			case arm:
				sy[1], sx[1] = sy[1]+y[i], sx[1]+c.Placed[i]
			}
		}
		check(t, r.Segment+" "+arm+" diff", r.Estimate, sy[1]/sx[1]-sy[0]/sx[0])
		ps = append(ps, r.PValue)
		diffs = append(diffs, r)
	}
	if len(diffs) != 4 {
		t.Fatalf("%d segment differences, want 2 segments × 2 arms", len(diffs))
	}
	for i, a := range Holm(ps) {
		check(t, diffs[i].Segment+" "+diffs[i].Arm+" p_adjusted", diffs[i].PAdjusted, a)
	}
}
