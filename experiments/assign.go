package experiments

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"strconv"

	"acuerdo"
)

// Buckets is the number of hash buckets; Bucket returns a value in [0, Buckets).
const Buckets = 10000

// Unit is one debtor as assignment sees it.
type Unit struct {
	DebtorID    int64
	DaysPastDue int
	Balance     int64 // minor units; negative when the creditor has not said
}

// hash64 is the first 8 bytes, big-endian, of SHA-256 over the UTF-8 bytes of salt
// immediately followed by the ASCII decimal form of debtorID (strconv.FormatInt
// base 10, a leading '-' for negatives, no separator, no padding). The salt is fixed
// per experiment, so the missing separator cannot make two debtors collide.
func hash64(salt string, debtorID int64) uint64 {
	b := make([]byte, 0, len(salt)+20)
	b = append(b, salt...)
	b = strconv.AppendInt(b, debtorID, 10)
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// Bucket is SHA-256(salt ‖ decimal debtor_id): the first 8 bytes of the digest read
// as a big-endian uint64, mod 10000. For salt "s1" and debtor 42 the hashed bytes
// are "s142".
func Bucket(salt string, debtorID int64) int {
	return int(hash64(salt, debtorID) % Buckets)
}

// DPDBand labels days past due: dpd_000 (current), dpd_001_030, dpd_031_060,
// dpd_061_090, dpd_091_180, dpd_181p.
func DPDBand(dpd int) string {
	switch {
	case dpd <= 0:
		return "dpd_000"
	case dpd <= 30:
		return "dpd_001_030"
	case dpd <= 60:
		return "dpd_031_060"
	case dpd <= 90:
		return "dpd_061_090"
	case dpd <= 180:
		return "dpd_091_180"
	}
	return "dpd_181p"
}

// BalanceCuts returns the k−1 cut points that split balances into k quantile bands
// (terciles for k = 3): cut j is the balance at rank ceil(j·n/k) of the sorted known
// balances. Quantiles rather than fixed amounts because pilots run in COP, BRL and
// USD alike; the cuts depend only on the multiset of balances, never on input order.
// Unknown (negative) balances are ignored.
func BalanceCuts(balances []int64, k int) []int64 {
	known := make([]int64, 0, len(balances))
	for _, b := range balances {
		if b >= 0 {
			known = append(known, b)
		}
	}
	if k < 2 || len(known) == 0 {
		return nil
	}
	slices.Sort(known)
	cuts := make([]int64, k-1)
	for j := 1; j < k; j++ {
		r := (j*len(known) + k - 1) / k // ceil(j·n/k), 1-based rank
		if r < 1 {
			r = 1
		}
		cuts[j-1] = known[r-1]
	}
	return cuts
}

// BalanceBand labels a balance against BalanceCuts: bal_q1 for b ≤ cuts[0], bal_q2
// for b ≤ cuts[1], and so on; bal_na when the balance is unknown (negative).
// Equal balances always share a band.
func BalanceBand(b int64, cuts []int64) string {
	if b < 0 {
		return "bal_na"
	}
	q := len(cuts) + 1
	for j, c := range cuts {
		if b <= c {
			q = j + 1
			break
		}
	}
	return "bal_q" + strconv.Itoa(q)
}

// Stratum is the stratum label of a unit: its DPD band and balance band, e.g.
// "dpd_031_060|bal_q2".
func Stratum(u Unit, cuts []int64) string {
	return DPDBand(u.DaysPastDue) + "|" + BalanceBand(u.Balance, cuts)
}

// stratumPhase is the random start in [0,1) of the systematic allocation in one
// stratum: the first 8 bytes of SHA-256(salt ‖ 0x00 ‖ "stratum" ‖ 0x00 ‖ label)
// divided by 2^64.
func stratumPhase(salt, label string) float64 {
	sum := sha256.Sum256([]byte(salt + "\x00stratum\x00" + label))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// Assign places debtors in arms, stratified by DPD band × balance tercile.
//
// Within each stratum units are ranked by (bucket, full 64-bit hash, debtor id) and
// walked in that order; the unit of rank k (0-based) goes to treatment exactly when
// floor((k+1)·share + u) − floor(k·share + u) = 1, where u is a per-stratum phase
// drawn from the salt. So after any prefix of the ranking the treatment count is
// within one of share × prefix length, and every stratum's split is as close to the
// plan as whole debtors allow; the random phase makes the expected count exactly
// share × n, so many small odd-sized strata do not all round the same way.
//
// Why not "bucket < share·10000 → treatment": it is an independent coin per debtor,
// so arm sizes and each stratum's split wander by ±√n and covariates can be
// imbalanced by chance. The hash ranking is a uniformly random permutation of the
// stratum, and any fixed pattern applied to a random permutation selects a uniformly
// random subset of the planned size: this is complete randomisation within strata
// with exact quotas. The price is that a debtor's arm depends on who else is in the
// batch, which is why assignments are written once and never recomputed; debtors
// who join later are assigned as a new batch.
//
// The result is sorted by debtor id and does not depend on input order. Debtor ids
// should be unique; duplicates are collapsed to the one with the smallest
// (DaysPastDue, Balance). ExperimentID and AssignedAt are left for the caller.
func Assign(salt string, treatmentShare float64, debtors []Unit) []acuerdo.Assignment {
	us := slices.Clone(debtors)
	slices.SortFunc(us, func(a, b Unit) int {
		if c := cmpInt64(a.DebtorID, b.DebtorID); c != 0 {
			return c
		}
		if c := cmpInt64(int64(a.DaysPastDue), int64(b.DaysPastDue)); c != 0 {
			return c
		}
		return cmpInt64(a.Balance, b.Balance)
	})
	us = slices.CompactFunc(us, func(a, b Unit) bool { return a.DebtorID == b.DebtorID })

	bal := make([]int64, len(us))
	for i, u := range us {
		bal[i] = u.Balance
	}
	cuts := BalanceCuts(bal, 3)

	type ranked struct {
		idx     int
		stratum string
		h       uint64
		bucket  int
	}
	rs := make([]ranked, len(us))
	for i, u := range us {
		h := hash64(salt, u.DebtorID)
		rs[i] = ranked{i, Stratum(u, cuts), h, int(h % Buckets)}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		switch {
		case a.stratum != b.stratum:
			if a.stratum < b.stratum {
				return -1
			}
			return 1
		case a.bucket != b.bucket:
			return a.bucket - b.bucket
		case a.h != b.h:
			if a.h < b.h {
				return -1
			}
			return 1
		}
		return cmpInt64(us[a.idx].DebtorID, us[b.idx].DebtorID)
	})

	share := math.Min(math.Max(treatmentShare, 0), 1)
	out := make([]acuerdo.Assignment, len(us))
	var phase float64
	k := 0
	for j, r := range rs {
		if j == 0 || r.stratum != rs[j-1].stratum {
			phase, k = stratumPhase(salt, r.stratum), 0
		}
		arm := acuerdo.ArmControl
		if math.Floor(float64(k+1)*share+phase)-math.Floor(float64(k)*share+phase) >= 1 {
			arm = acuerdo.ArmTreatment
		}
		k++
		out[r.idx] = acuerdo.Assignment{
			DebtorID: us[r.idx].DebtorID,
			Arm:      arm,
			Bucket:   r.bucket,
			Stratum:  r.stratum,
		}
	}
	return out
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AssignArms places debtors in any number of arms with the planned shares,
// stratified like Assign. With exactly the arms control and treatment it is
// Assign, so two-arm pilots are assigned as they always were.
//
// Within a stratum units are ranked as in Assign and dealt out by quotas: every
// arm holds a credit that grows by its share with each unit, the unit goes to
// the arm with the largest credit (ties to the earlier arm), and that arm's
// credit drops by one. Credits start at per-stratum random phases drawn from
// the salt (centred so they add up to zero), so small strata do not all round
// towards the first arm. Credits always add up to zero, so after any prefix of
// the ranking every arm's count is within one or two of share × prefix length;
// applied to a uniformly random permutation, the result is complete
// randomisation within strata with near-exact quotas.
func AssignArms(salt string, arms []acuerdo.Arm, debtors []Unit) []acuerdo.Assignment {
	if len(arms) == 2 && arms[0].Name == acuerdo.ArmControl && arms[1].Name == acuerdo.ArmTreatment {
		return Assign(salt, arms[1].Share, debtors)
	}
	// Assign with share 0 ranks and labels every unit; the arms are dealt here.
	out := Assign(salt, 0, debtors)
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	h := make([]uint64, len(out))
	for i, a := range out {
		h[i] = hash64(salt, a.DebtorID)
	}
	slices.SortFunc(idx, func(a, b int) int {
		x, y := out[a], out[b]
		switch {
		case x.Stratum != y.Stratum:
			if x.Stratum < y.Stratum {
				return -1
			}
			return 1
		case x.Bucket != y.Bucket:
			return x.Bucket - y.Bucket
		case h[a] != h[b]:
			if h[a] < h[b] {
				return -1
			}
			return 1
		}
		return cmpInt64(x.DebtorID, y.DebtorID)
	})
	total := 0.0
	for _, a := range arms {
		total += a.Share
	}
	credit := make([]float64, len(arms))
	for j, i := range idx {
		if j == 0 || out[i].Stratum != out[idx[j-1]].Stratum {
			mean := 0.0
			for a := range arms {
				credit[a] = stratumPhase(salt, out[i].Stratum+"\x00"+arms[a].Name)
				mean += credit[a]
			}
			for a := range arms {
				credit[a] -= mean / float64(len(arms))
			}
		}
		best := 0
		for a := range arms {
			credit[a] += arms[a].Share / total
			if credit[a] > credit[best] {
				best = a
			}
		}
		credit[best]--
		out[i].Arm = arms[best].Name
	}
	return out
}

// Holdout is the arm label of debtors a rollout keeps out of the winning arm.
const Holdout = "holdout"

// RolloutArm places one debtor under a rollout: the winning arm, or Holdout
// for a randomised share holdout of debtors, by SHA-256(salt ‖ 0x00 ‖ "rollout"
// ‖ 0x00 ‖ segment ‖ decimal id). A pure function of the debtor, so a debtor
// stays on the same side however often the engine asks, and debtors who
// reach the segment later are split with the same share.
func RolloutArm(salt, segment string, holdout float64, arm string, debtorID int64) string {
	sum := sha256.Sum256([]byte(salt + "\x00rollout\x00" + segment + "\x00" + strconv.FormatInt(debtorID, 10)))
	u := float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
	if u < holdout {
		return Holdout
	}
	return arm
}
