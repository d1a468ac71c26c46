package experiments

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"acuerdo"
)

// Reference buckets from Python: int.from_bytes(sha256((salt+str(id)).encode()).digest()[:8], "big") % 10000.
func TestBucket(t *testing.T) {
	for _, tc := range []struct {
		salt string
		id   int64
		want int
	}{
		{"s1", 42, 1916},
		{"pilot-2026-03", 1, 3212},
		{"pilot-2026-03", 987654321, 8927},
		{"", 0, 6040},
		{"sal", -7, 4659},
		{"ñandú", 123, 7233},
	} {
		if got := Bucket(tc.salt, tc.id); got != tc.want {
			t.Errorf("Bucket(%q, %d) = %d, want %d", tc.salt, tc.id, got, tc.want)
		}
	}
}

func TestBands(t *testing.T) {
	for dpd, want := range map[int]string{-3: "dpd_000", 0: "dpd_000", 1: "dpd_001_030", 30: "dpd_001_030", 31: "dpd_031_060",
		60: "dpd_031_060", 61: "dpd_061_090", 90: "dpd_061_090", 91: "dpd_091_180", 180: "dpd_091_180", 181: "dpd_181p", 5000: "dpd_181p"} {
		if got := DPDBand(dpd); got != want {
			t.Errorf("DPDBand(%d) = %s, want %s", dpd, got, want)
		}
	}
	// Terciles of 1..9 cut at ranks 3 and 6; ties never split; unknown balances ignored.
	cuts := BalanceCuts([]int64{9, 1, 8, 2, 7, 3, 6, 4, 5, -1}, 3)
	if !reflect.DeepEqual(cuts, []int64{3, 6}) {
		t.Fatalf("cuts = %v, want [3 6]", cuts)
	}
	for b, want := range map[int64]string{1: "bal_q1", 3: "bal_q1", 4: "bal_q2", 6: "bal_q2", 7: "bal_q3", 100: "bal_q3", -1: "bal_na"} {
		if got := BalanceBand(b, cuts); got != want {
			t.Errorf("BalanceBand(%d) = %s, want %s", b, got, want)
		}
	}
	if got := BalanceCuts([]int64{5, 5, 5, 5}, 3); !reflect.DeepEqual(got, []int64{5, 5}) {
		t.Errorf("constant balances: cuts %v", got)
	}
	if got := BalanceCuts(nil, 3); got != nil {
		t.Errorf("no balances: cuts %v", got)
	}
}

func randomUnits(rng *rand.Rand, n int) []Unit {
	us := make([]Unit, n)
	for i := range us {
		us[i] = Unit{DebtorID: int64(1000 + 3*i), DaysPastDue: rng.IntN(400), Balance: int64(rng.ExpFloat64() * 1e6)}
	}
	return us
}

func TestAssignDeterministicAndOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	us := randomUnits(rng, 3000)
	a := Assign("exp-7", 0.5, us)
	shuffled := append([]Unit(nil), us...)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// a duplicate of an existing debtor must not change anything
	shuffled = append(shuffled, us[17])
	b := Assign("exp-7", 0.5, shuffled)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("assignment depends on input order or duplicates")
	}
	for i := 1; i < len(a); i++ {
		if a[i].DebtorID <= a[i-1].DebtorID {
			t.Fatal("assignments not sorted by debtor id")
		}
	}
	for _, x := range a {
		if x.Bucket != Bucket("exp-7", x.DebtorID) {
			t.Fatalf("debtor %d: bucket %d, want %d", x.DebtorID, x.Bucket, Bucket("exp-7", x.DebtorID))
		}
	}
	c := Assign("exp-8", 0.5, us)
	same := 0
	for i := range a {
		if a[i].Arm == c[i].Arm {
			same++
		}
	}
	if same < 1300 || same > 1700 {
		t.Errorf("another salt agrees on %d of 3000 arms; want about half", same)
	}
}

func TestAssignBalancedPerStratum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, share := range []float64{0.5, 0.3, 0.9, 0.01} {
		us := randomUnits(rng, 5000)
		a := Assign("s", share, us)
		n, tr := map[string]int{}, map[string]int{}
		total := 0
		for _, x := range a {
			n[x.Stratum]++
			if x.Arm == acuerdo.ArmTreatment {
				tr[x.Stratum]++
				total++
			}
		}
		if len(n) < 10 {
			t.Fatalf("only %d strata", len(n))
		}
		for s, m := range n {
			if d := float64(tr[s]) - share*float64(m); math.Abs(d) >= 1 {
				t.Errorf("share %.2f stratum %s: %d of %d treated, want within one of %.1f", share, s, tr[s], m, share*float64(m))
			}
		}
		// the per-stratum random phase keeps the total within a few units of plan
		if d := math.Abs(float64(total) - share*5000); d > float64(len(n)) {
			t.Errorf("share %.2f: %d treated of 5000", share, total)
		}
	}
}

// Each debtor must be treated with probability share over salts: exact quotas over
// a hash-random ranking are complete randomisation within the stratum.
func TestAssignIsRandomisation(t *testing.T) {
	us := []Unit{{1, 10, 100}, {2, 10, 100}, {3, 10, 100}, {4, 10, 100}, {5, 10, 100}}
	const salts = 2000
	count := make([]int, len(us))
	for s := 0; s < salts; s++ {
		a := Assign("salt-"+string(rune(0x4e00+s)), 0.4, us)
		tr := 0
		for i, x := range a {
			if x.Arm == acuerdo.ArmTreatment {
				count[i]++
				tr++
			}
		}
		if tr != 2 {
			t.Fatalf("5 debtors at 40%%: %d treated", tr)
		}
	}
	for i, c := range count {
		// 800 expected, sd ≈ 22
		if c < 710 || c > 890 {
			t.Errorf("debtor %d treated under %d of %d salts; want about 800", i+1, c, salts)
		}
	}
}

// TestAssignArms: three arms get their planned shares in every stratum (within
// two debtors), the same input in any order gives the same arms, and the two
// classic arms are assigned exactly as Assign does.
func TestAssignArms(t *testing.T) {
	var us []Unit
	for i := range 5000 {
		us = append(us, Unit{DebtorID: int64(i + 1), DaysPastDue: (i * 37) % 400, Balance: int64((i * 7919) % 100000)})
	}
	arms := []acuerdo.Arm{{Name: "control", Share: 0.34}, {Name: "warm", Share: 0.33}, {Name: "brief", Share: 0.33}}
	as := AssignArms("s3", arms, us)
	per := map[string]map[string]int{}
	size := map[string]int{}
	for _, a := range as {
		if per[a.Stratum] == nil {
			per[a.Stratum] = map[string]int{}
		}
		per[a.Stratum][a.Arm]++
		size[a.Stratum]++
	}
	for s, m := range per {
		for _, a := range arms {
			if want := a.Share * float64(size[s]); math.Abs(float64(m[a.Name])-want) > 2 {
				t.Errorf("stratum %s: %s has %d of %d, want %.1f", s, a.Name, m[a.Name], size[s], want)
			}
		}
	}
	rev := slices.Clone(us)
	slices.Reverse(rev)
	if again := AssignArms("s3", arms, rev); !slices.Equal(again, as) {
		t.Error("assignment depends on input order")
	}
	two := []acuerdo.Arm{{Name: "control", Share: 0.5}, {Name: "treatment", Share: 0.5}}
	if !slices.Equal(AssignArms("s3", two, us), Assign("s3", 0.5, us)) {
		t.Error("two classic arms must be assigned as Assign does")
	}
}

// TestRolloutKeepsHoldout: after a rollout, the debtors of the segment are
// split between the winning arm and a holdout of the planned share (10 % ± 3
// standard errors over 20,000 debtors), the split is a pure function of the
// debtor, and another segment's split is independent of it.
func TestRolloutKeepsHoldout(t *testing.T) {
	const n = 20000
	held, both := 0, 0
	for id := int64(1); id <= n; id++ {
		a := RolloutArm("s1", "dpd_031_060", 0.1, "warm", id)
		if a != RolloutArm("s1", "dpd_031_060", 0.1, "warm", id) {
			t.Fatal("a debtor's side changed between calls")
		}
		if a == Holdout {
			held++
			if RolloutArm("s1", "dpd_061_090", 0.1, "warm", id) == Holdout {
				both++
			}
		} else if a != "warm" {
			t.Fatalf("arm %q", a)
		}
	}
	share := float64(held) / n
	if se := math.Sqrt(0.1 * 0.9 / n); math.Abs(share-0.1) > 3*se {
		t.Errorf("holdout share %.4f, want 0.10 ± %.4f", share, 3*se)
	}
	// Independent segments: about 10 % of one holdout is in the other.
	if r := float64(both) / float64(held); r < 0.07 || r > 0.13 {
		t.Errorf("%.3f of one segment's holdout is in another's; the splits should be independent", r)
	}
}
