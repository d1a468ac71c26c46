package experiments

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"acuerdo"
)

// SimConfig describes a synthetic portfolio and pilot. Zero fields take the
// defaults noted.
//
// The model, chosen so the true liquidation rates have a closed form
// (TrueLiquidation) for calibration tests: days past due fall in five bands with
// weights simBandWeight; balances are log-normal, exp(N(μ_band, 1)); a latent 30 %
// of "good payers" pay twice as often as the rest (multipliers averaging one, so
// the latent trait changes nothing on average). A control debtor pays at all with the
// band's probability × PayScale × multiplier — the self-cure that business as usual
// gets anyway — and treatment multiplies it by 1 + Lift. A payer's first payment
// comes on day 1 + ⌊Exp(mean)⌋, with mean MeanDaysToPay in control and
// MeanDaysToPay/(1 + Lift) in treatment; the payer then pays a fraction U(0.2, 1) of
// the balance in K ~ U{1..MaxInstallments} equal installments InstallmentGap days
// apart. Payments after Horizon are not observed. Prior payments (the CUPED
// covariate) are a larger share of the balance for good payers; 20 % are missing.
type SimConfig struct {
	N               int
	Seed            uint64
	Salt            string  // default "sim"
	TreatmentShare  float64 // default 0.5
	Lift            float64 // relative lift of treatment's payment probability
	Horizon         int     // default 90
	MeanDaysToPay   float64 // default 30
	MaxInstallments int     // default 3
	InstallmentGap  int     // default 15
	PayScale        float64 // default 1
	// Arms, when set, are the pilot's arms (control first) and Lifts the true
	// relative lift of each non-control arm; TreatmentShare and Lift then
	// play no part.
	Arms  []acuerdo.Arm
	Lifts map[string]float64
	// FirstID is the first simulated debtor's id (default 1): a simulation
	// added to a database that already holds debtors starts after them.
	FirstID int64
}

var (
	simBandWeight = [5]float64{0.35, 0.25, 0.15, 0.15, 0.10}
	simBandDPD    = [5][2]int{{1, 30}, {31, 60}, {61, 90}, {91, 180}, {181, 720}}
	// Log balance in minor units: a median near 43,000,000 centavos (≈430,000
	// COP, about 100 USD), the size of a Colombian consumer debt in arrears. The
	// simulator once used values a hundred times smaller, which read as a few
	// thousand pesos on the dashboard.
	simBandMu  = [5]float64{17.5, 17.6, 17.7, 17.8, 17.9}
	simBandPay = [5]float64{0.35, 0.25, 0.18, 0.12, 0.06}
)

const (
	simMoneyScale = 100
	simSigma      = 1.0
	simGoodRate   = 0.3
	simGoodMult   = 2.0
	simFracLo     = 0.2
	simFracHi     = 1.0
)

func (c SimConfig) withDefaults() SimConfig {
	if c.Salt == "" {
		c.Salt = "sim"
	}
	if c.TreatmentShare == 0 {
		c.TreatmentShare = 0.5
	}
	if c.Horizon == 0 {
		c.Horizon = 90
	}
	if c.MeanDaysToPay == 0 {
		c.MeanDaysToPay = 30
	}
	if c.MaxInstallments == 0 {
		c.MaxInstallments = 3
	}
	if c.InstallmentGap == 0 {
		c.InstallmentGap = 15
	}
	if c.PayScale == 0 {
		c.PayScale = 1
	}
	if c.FirstID == 0 {
		c.FirstID = 1
	}
	return c
}

// Sim is a simulated pilot: the debtors, their assignment and what happened.
type Sim struct {
	Config      SimConfig
	Units       []Unit
	Assignments []acuerdo.Assignment // sorted by debtor id; Units[i] has id FirstID+i
	Cohort      *Cohort
	Payments    *Payments
}

// Simulate generates a pilot, assigning arms with Assign. The same config gives the
// same pilot.
func Simulate(cfg SimConfig) *Sim {
	cfg = cfg.withDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	n := cfg.N
	units := make([]Unit, n)
	band := make([]uint8, n)
	bal := make([]float64, n)
	for i := range units {
		b := pickBand(rng.Float64())
		lo, hi := simBandDPD[b][0], simBandDPD[b][1]
		bal[i] = math.Round(math.Exp(simBandMu[b] + simSigma*rng.NormFloat64()))
		band[i] = uint8(b)
		units[i] = Unit{DebtorID: cfg.FirstID + int64(i), DaysPastDue: lo + rng.IntN(hi-lo+1), Balance: int64(bal[i])}
	}
	arms := cfg.armList()
	asg := AssignArms(cfg.Salt, arms, units)
	armIndex := map[string]uint8{}
	var names []string
	for i, a := range arms {
		armIndex[a.Name] = uint8(i)
		names = append(names, a.Name)
	}

	c := &Cohort{
		Arm:            make([]uint8, n),
		Stratum:        make([]int32, n),
		Placed:         bal,
		Cost:           make([]float64, n),
		FollowUp:       make([]int32, n),
		CovariateNames: []string{"balance", "prior_payments"},
	}
	if cfg.Arms != nil {
		c.ArmNames = names
	}
	prior := make([]float64, n)
	c.Covariates = [][]float64{bal, prior}
	index := map[string]int32{}
	p := &Payments{}
	for i, a := range asg {
		s, ok := index[a.Stratum]
		if !ok {
			s = int32(len(c.Strata))
			index[a.Stratum] = s
			c.Strata = append(c.Strata, a.Stratum)
		}
		c.Stratum[i] = s
		c.FollowUp[i] = int32(cfg.Horizon)
		treat := a.Arm != acuerdo.ArmControl
		c.Arm[i] = armIndex[a.Arm]
		lift := 1 + cfg.liftOf(a.Arm)
		good := rng.Float64() < simGoodRate
		mult := (1 - simGoodRate*simGoodMult) / (1 - simGoodRate)
		if good {
			mult = simGoodMult
			prior[i] = bal[i] * (0.05 + 0.25*rng.Float64())
		} else {
			prior[i] = bal[i] * 0.05 * rng.Float64()
		}
		prior[i] = math.Round(prior[i])
		if rng.Float64() < 0.2 {
			prior[i] = math.NaN()
		}
		// Cost to serve, in minor units (a few thousand pesos), scaled with the
		// balances so net recovery keeps its proportions.
		if treat {
			c.Cost[i] = math.Round(simMoneyScale * (1500 + 1000*rng.ExpFloat64()))
		} else {
			c.Cost[i] = math.Round(simMoneyScale * (300 + 200*rng.Float64()))
		}
		if rng.Float64() >= math.Min(1, simBandPay[band[i]]*cfg.PayScale*mult*lift) {
			continue
		}
		first := 1 + int(math.Floor(rng.ExpFloat64()*cfg.MeanDaysToPay/lift))
		k := 1 + rng.IntN(cfg.MaxInstallments)
		amt := math.Round(bal[i] * (simFracLo + (simFracHi-simFracLo)*rng.Float64()) / float64(k))
		for j := 0; j < k; j++ {
			d := first + j*cfg.InstallmentGap
			if d > cfg.Horizon {
				break
			}
			p.Unit = append(p.Unit, int32(i))
			p.Day = append(p.Day, int32(d))
			p.Amount = append(p.Amount, amt)
		}
	}
	return &Sim{Config: cfg, Units: units, Assignments: asg, Cohort: c, Payments: p}
}

// armList is the configured arms, or control and treatment.
func (cfg SimConfig) armList() []acuerdo.Arm {
	if cfg.Arms != nil {
		return cfg.Arms
	}
	return []acuerdo.Arm{{Name: acuerdo.ArmControl, Share: 1 - cfg.TreatmentShare}, {Name: acuerdo.ArmTreatment, Share: cfg.TreatmentShare}}
}

// liftOf is an arm's true relative lift: 0 for control.
func (cfg SimConfig) liftOf(arm string) float64 {
	switch {
	case arm == acuerdo.ArmControl:
		return 0
	case cfg.Arms != nil:
		return cfg.Lifts[arm]
	}
	return cfg.Lift
}

func pickBand(u float64) int {
	for b, w := range simBandWeight {
		if u < w {
			return b
		}
		u -= w
	}
	return len(simBandWeight) - 1
}

// TrueLiquidation is the population liquidation rate of an arm by day under cfg's
// model (exact as long as no payment probability is capped at one):
// Σ_b w_b E[B|b] p_b · PayScale · lift · E[F] · G(day) / Σ_b w_b E[B|b], where G is
// the expected share of a payer's installments paid by day.
func (cfg SimConfig) TrueLiquidation(arm uint8, day int) float64 {
	name := acuerdo.ArmControl
	if arm == Treatment {
		name = acuerdo.ArmTreatment
	}
	return cfg.TrueLiquidationOf(name, day)
}

// TrueLiquidationOf is TrueLiquidation of the arm named arm.
func (cfg SimConfig) TrueLiquidationOf(arm string, day int) float64 {
	cfg = cfg.withDefaults()
	lift := 1 + cfg.liftOf(arm)
	var num, den float64
	for b, w := range simBandWeight {
		eb := math.Exp(simBandMu[b] + simSigma*simSigma/2)
		num += w * eb * simBandPay[b]
		den += w * eb
	}
	mean := cfg.MeanDaysToPay / lift
	g := 0.0
	for k := 1; k <= cfg.MaxInstallments; k++ {
		for j := 0; j < k; j++ {
			if t := day - j*cfg.InstallmentGap; t > 0 {
				g += (1 - math.Exp(-float64(t)/mean)) / float64(k)
			}
		}
	}
	g /= float64(cfg.MaxInstallments)
	return num / den * cfg.PayScale * lift * (simFracLo + simFracHi) / 2 * g
}

// TrueRecoveryPerDebtor is the population mean collected per debtor of an arm by
// day under cfg's model: E[B] × TrueLiquidation.
func (cfg SimConfig) TrueRecoveryPerDebtor(arm uint8, day int) float64 {
	eb := 0.0
	for b, w := range simBandWeight {
		eb += w * math.Exp(simBandMu[b]+simSigma*simSigma/2)
	}
	return eb * cfg.TrueLiquidation(arm, day)
}

// SimCounts draws arm counts of n debtors assigned by independent fair coins with
// probability share of treatment, for SRM calibration (Assign's exact quotas would
// never trip the check). It sums bits of random words, so it is exact for share 0.5
// and uses Bernoulli draws otherwise.
func SimCounts(rng *rand.Rand, n int, share float64) [2]int {
	t := 0
	if share == 0.5 {
		for left := n; left > 0; left -= 64 {
			w := rng.Uint64()
			if left < 64 {
				w &= (1 << uint(left)) - 1
			}
			t += bits.OnesCount64(w)
		}
	} else {
		for range n {
			if rng.Float64() < share {
				t++
			}
		}
	}
	return [2]int{n - t, t}
}
