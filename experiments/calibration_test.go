package experiments

import (
	"math/rand/v2"
	"testing"
)

// within reports whether a rate is inside [lo, hi], logging it either way.
func checkRate(t *testing.T, name string, hits, sims int, lo, hi float64) {
	t.Helper()
	r := float64(hits) / float64(sims)
	t.Logf("%s: %d/%d = %.4f (accept %.4f–%.4f)", name, hits, sims, r, lo, hi)
	if r < lo || r > hi {
		t.Errorf("%s = %.4f, want within [%.4f, %.4f]", name, r, lo, hi)
	}
}

// TestCalibrationLiquidation simulates many pilots of 4,000 debtors and checks that
// the 95 % delta-method intervals for the liquidation-rate difference (plain and
// CUPED) cover the true difference about 95 % of the time, with a real lift and
// without, and that with no lift about 5 % of pilots are significant. With 400
// pilots a rate's standard error is 1.1 points, so [0.90, 0.99] and [0.015, 0.09]
// are ±4 standard errors: a failure is a real miscalibration, not bad luck.
func TestCalibrationLiquidation(t *testing.T) {
	sims, covLo, covHi, fpHi := 400, 0.90, 0.99, 0.09
	if testing.Short() {
		sims, covLo, covHi, fpHi = 100, 0.86, 1.0, 0.13
	}
	const day = 60
	for _, lift := range []float64{0.25, 0} {
		cfg := SimConfig{N: 4000, Lift: lift}
		truth := cfg.TrueLiquidation(Treatment, day) - cfg.TrueLiquidation(Control, day)
		var cover, coverC, sig, sigC, lrSig int
		for i := 0; i < sims; i++ {
			cfg.Seed = uint64(1000*i) + 7
			s := Simulate(cfg)
			plain, cuped := LiquidationRate(s.Cohort, s.Payments, day, 0.95)
			if plain.Diff.Low <= truth && truth <= plain.Diff.High {
				cover++
			}
			if cuped.Diff.Low <= truth && truth <= cuped.Diff.High {
				coverC++
			}
			if plain.P < 0.05 {
				sig++
			}
			if cuped.P < 0.05 {
				sigC++
			}
			if lift == 0 {
				t, paid := TimeToFirstPayment(s.Cohort, s.Payments)
				km := KaplanMeierByArm(s.Cohort.Arm, t, paid, 0.95)
				if LogRank(km[1], km[0]).P < 0.05 {
					lrSig++
				}
			}
		}
		name := map[bool]string{true: "no lift", false: "lift 0.25"}[lift == 0]
		checkRate(t, name+": coverage of delta-method CI", cover, sims, covLo, covHi)
		checkRate(t, name+": coverage of CUPED CI", coverC, sims, covLo, covHi)
		if lift == 0 {
			checkRate(t, "no lift: false positives (delta)", sig, sims, 0.015*float64(sims)/400, fpHi)
			checkRate(t, "no lift: false positives (CUPED)", sigC, sims, 0.015*float64(sims)/400, fpHi)
			checkRate(t, "no lift: false positives (log-rank)", lrSig, sims, 0.015*float64(sims)/400, fpHi)
		} else {
			t.Logf("lift 0.25: power %.3f (CUPED %.3f)", float64(sig)/float64(sims), float64(sigC)/float64(sims))
		}
	}
}

// TestCalibrationBootstrap checks the stratified bootstrap percentile interval of
// net incremental recovery per debtor covers the truth about 95 % of the time.
func TestCalibrationBootstrap(t *testing.T) {
	sims, lo := 200, 0.89
	if testing.Short() {
		sims, lo = 50, 0.82
	}
	cfg := SimConfig{N: 2000, Lift: 0.25}
	truth := cfg.TrueRecoveryPerDebtor(Treatment, 90) - cfg.TrueRecoveryPerDebtor(Control, 90)
	cover := 0
	for i := 0; i < sims; i++ {
		cfg.Seed = uint64(7919*i) + 3
		s := Simulate(cfg)
		rec, _ := NetRecovery(s.Cohort, s.Payments, BootstrapConfig{Resamples: 300, Seed: uint64(i)}, 0.95)
		if rec.Diff.Low <= truth && truth <= rec.Diff.High {
			cover++
		}
	}
	checkRate(t, "bootstrap coverage of recovery difference", cover, sims, lo, 0.995)
}

// TestCalibrationSRM: the check must fire on a broken split and stay quiet on a fair
// one at its nominal 0.1 % rate.
func TestCalibrationSRM(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	fair := 100000
	if testing.Short() {
		fair = 20000
	}
	flags := 0
	for i := 0; i < fair; i++ {
		c := SimCounts(rng, 20000, 0.5)
		if SRM(c[:], []float64{0.5, 0.5}).Flag {
			flags++
		}
	}
	// Expected 0.1 %: 100 of 100,000, standard deviation 10.
	checkRate(t, "SRM false alarms, fair 50/50 coin at n=20,000", flags, fair, 0.0005, 0.0016)

	broken := 0
	for i := 0; i < 100; i++ {
		c := SimCounts(rng, 20000, 0.55)
		if SRM(c[:], []float64{0.5, 0.5}).Flag {
			broken++
		}
	}
	checkRate(t, "SRM alarms, 55/45 split planned 50/50 at n=20,000", broken, 100, 1, 1)

	// Assign's exact quotas never trip it, whatever the salt.
	for i := 0; i < 20; i++ {
		s := Simulate(SimConfig{N: 20000, Seed: uint64(i), Salt: "salt" + string(rune('a'+i)), TreatmentShare: 0.3})
		n := ArmCounts(s.Cohort.Arm)
		if r := SRM(n[:], []float64{0.7, 0.3}); r.Flag || r.P < 0.5 {
			t.Errorf("stratified assignment %v gives SRM p=%g", n, r.P)
		}
	}
}
