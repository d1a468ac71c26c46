#!/usr/bin/env python3
"""Independent reference values for the golden tests of package experiments.

Standard library only. Reads testdata/golden/*.input.json and writes the matching
*.want.json. It implements every estimator from its textbook formula, deliberately
not the way the Go code does it (sorted event times instead of dense day arrays,
explicit covariance formulas for the delta method, Cramer's rule for CUPED,
segment-wise integration for the RMST), so agreement is evidence both are right.

    python3 testdata/reference.py      # from the experiments directory
"""
import glob
import json
import math
import os
from statistics import NormalDist

Z = NormalDist().inv_cdf(0.975)
NAN = float("nan")


def num(x):
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else x


def p2(z):
    if z is None or math.isnan(z):
        return NAN
    return 2 * (1 - NormalDist().cdf(abs(z))) if abs(z) < 8 else math.erfc(abs(z) / math.sqrt(2))


def chi2_sf_df1(x):
    return math.erfc(math.sqrt(x / 2))


def mean(v):
    return sum(v) / len(v)


def cov(a, b):
    ma, mb = mean(a), mean(b)
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / (len(a) - 1)


def collected(ds, unit, upto):
    fu = ds["units"][unit][4]
    return float(sum(a for u, d, a in ds["payments"] if u == unit and d <= fu and (upto is None or d <= upto)))


def ratio_arm(y, x):
    """Delta method: Var(ȳ/x̄) ≈ (s_yy − 2R s_xy + R² s_xx) / (n x̄²)."""
    n = len(y)
    r = sum(y) / sum(x) if sum(x) != 0 else NAN
    if math.isnan(r) or n < 2:
        return r, NAN
    xb = mean(x)
    v = (cov(y, y) - 2 * r * cov(y, x) + r * r * cov(x, x)) / (n * xb * xb)
    return r, math.sqrt(max(v, 0.0))


def compare(rc, sc, rt, st):
    d = rt - rc
    se = math.sqrt(sc * sc + st * st)
    p = 1.0 if se == 0 and d == 0 else p2(d / se if se > 0 else NAN)
    if rc != 0 and not math.isnan(rc):
        rel = rt / rc - 1
        rse = math.sqrt((st / rc) ** 2 + (rt * sc / rc ** 2) ** 2)
    else:
        rel, rse = NAN, NAN
    lo, hi = fieller(rt, st, rc, sc)
    return {"diff": d, "diff_se": se, "p": p, "rel": rel, "rel_se": rse, "rel_low": lo, "rel_high": hi}


Z95 = 1.959963984540054


def fieller(t, st, c, sc, z=Z95):
    """Fieller's interval for t/c − 1 (independent t, c): the ρ with
    (t − ρc)² ≤ z²(st² + ρ²sc²); None when it is not a bounded interval."""
    if c == 0 or any(math.isnan(v) for v in (t, st, c, sc)):
        return NAN, NAN
    a = c * c - z * z * sc * sc
    b = t * c
    cc = t * t - z * z * st * st
    disc = b * b - a * cc
    if a <= 0 or disc < 0:
        return NAN, NAN
    r = math.sqrt(disc)
    return (b - r) / a - 1, (b + r) / a - 1


def solve(a, b):
    """Cramer's rule for 1×1 and 2×2 systems."""
    if len(b) == 1:
        return [b[0] / a[0][0]]
    det = a[0][0] * a[1][1] - a[0][1] * a[1][0]
    return [(b[0] * a[1][1] - a[0][1] * b[1]) / det, (a[0][0] * b[1] - b[0] * a[1][0]) / det]


def ratio_metric(ds, ys, xs, keep, cuped):
    arms = {"control": [], "treatment": []}
    for i, u in enumerate(ds["units"]):
        if keep(i):
            arms[u[0]].append(i)
    out = {}
    est = {}
    for arm, idx in arms.items():
        r, se = ratio_arm([ys[i] for i in idx], [xs[i] for i in idx])
        est[arm] = (r, se)
    plain = {"control": {"n": len(arms["control"]), "value": est["control"][0], "se": est["control"][1]},
             "treatment": {"n": len(arms["treatment"]), "value": est["treatment"][0], "se": est["treatment"][1]}}
    plain.update(compare(est["control"][0], est["control"][1], est["treatment"][0], est["treatment"][1]))
    out["plain"] = plain
    if not cuped:
        return out
    # Linearised values z_i = (y_i − R_arm x_i) / x̄_arm.
    z = {}
    for arm, idx in arms.items():
        r = est[arm][0]
        xb = mean([xs[i] for i in idx])
        for i in idx:
            z[i] = (ys[i] - r * xs[i]) / xb
    allidx = arms["control"] + arms["treatment"]
    names = ds["covariate_names"]
    cols = []
    used = []
    for j, name in enumerate(names):
        obs = [ds["units"][i][5][j] for i in allidx if ds["units"][i][5][j] is not None]
        if not obs:
            continue
        fill = mean(obs)
        col = {i: (ds["units"][i][5][j] if ds["units"][i][5][j] is not None else fill) for i in allidx}
        # within-arm variance
        sw = sum(sum((col[i] - mean([col[k] for k in idx])) ** 2 for i in idx) for idx in arms.values())
        if sw <= 0:
            continue
        cols.append(col)
        used.append(name)
    if not cols:
        c = dict(plain)
        c["theta"] = []
        c["covariates"] = []
        out["cuped"] = c
        return out
    wbar = {arm: [mean([col[i] for i in idx]) for col in cols] for arm, idx in arms.items()}
    wall = [mean([col[i] for i in allidx]) for col in cols]
    p = len(cols)
    S = [[0.0] * p for _ in range(p)]
    b = [0.0] * p
    for arm, idx in arms.items():
        for i in idx:
            d = [cols[j][i] - wbar[arm][j] for j in range(p)]
            for j in range(p):
                b[j] += d[j] * z[i]
                for k in range(p):
                    S[j][k] += d[j] * d[k]
    theta = solve(S, b)
    c = {}
    for arm, idx in arms.items():
        res = [z[i] - sum(theta[j] * (cols[j][i] - wbar[arm][j]) for j in range(p)) for i in idx]
        n = len(idx)
        var = sum(v * v for v in res) / (n - 1) / n
        val = est[arm][0] - sum(theta[j] * (wbar[arm][j] - wall[j]) for j in range(p))
        c[arm] = {"n": n, "value": val, "se": math.sqrt(var)}
    c.update(compare(c["control"]["value"], c["control"]["se"], c["treatment"]["value"], c["treatment"]["se"]))
    c["theta"] = theta
    c["covariates"] = used
    out["cuped"] = c
    return out


def km(times_events):
    """Kaplan–Meier over sorted distinct event times: [(t, n_at_risk, d, S, greenwood_sum)]."""
    evt = sorted({t for t, e in times_events if e})
    rows, s, g = [], 1.0, 0.0
    for t in evt:
        n = sum(1 for u, _ in times_events if u >= t)
        d = sum(1 for u, e in times_events if u == t and e)
        s = s * (n - d) / n
        if n > d:
            g += d / (n * (n - d))
        rows.append((t, n, d, s, g))
    return rows


def s_at(rows, t):
    s, g = 1.0, 0.0
    for u, _, _, su, gu in rows:
        if u <= t:
            s, g = su, gu
    return s, g


def loglog(s, g):
    if s <= 0 or s >= 1:
        return s, s
    se = math.sqrt(g) / abs(math.log(s))
    return s ** math.exp(Z * se), s ** math.exp(-Z * se)


def rmst(rows, tau):
    def area(a):
        # ∫_a^tau S(u) du, S right-continuous step
        knots = sorted({a} | {t for t, *_ in rows if a < t < tau} | {tau})
        return sum(s_at(rows, lo)[0] * (hi - lo) for lo, hi in zip(knots, knots[1:]))
    total = area(0)
    var = sum(area(t) ** 2 * d / (n * (n - d)) for t, n, d, *_ in rows if t <= tau and n > d)
    return total, math.sqrt(var)


def survival(ds):
    per = {"control": [], "treatment": []}
    for i, u in enumerate(ds["units"]):
        fu = u[4]
        pays = [d for uu, d, a in ds["payments"] if uu == i and a > 0 and d <= fu]
        per[u[0]].append((min(pays), True) if pays else (fu, False))
    out = {}
    for arm, te in per.items():
        rows = km(te)
        maxday = max(t for t, _ in te)
        curve = []
        for t in range(maxday + 1):
            s, g = s_at(rows, t)
            lo, hi = loglog(s, g)
            curve.append({"day": t, "s": s, "greenwood_var": s * s * g, "lower": lo, "upper": hi})
        med = next((t for t, _, _, s, _ in rows if s <= 0.5), None)
        r, rse = rmst(rows, ds["tau"])
        out[arm] = {
            "n": len(te),
            "curve": curve,
            "at_risk": {str(d): sum(1 for t, _ in te if t >= d) for d in ds["at_risk_days"]},
            "median": med,
            "rmst": r, "rmst_se": rse,
        }
    # log-rank, treatment as group 1
    t1, t0 = per["treatment"], per["control"]
    O = E = V = 0.0
    for t in sorted({t for t, e in t1 + t0 if e}):
        n1 = sum(1 for u, _ in t1 if u >= t)
        n0 = sum(1 for u, _ in t0 if u >= t)
        d1 = sum(1 for u, e in t1 if u == t and e)
        d0 = sum(1 for u, e in t0 if u == t and e)
        n, d = n1 + n0, d1 + d0
        if n < 2:
            continue
        O += d1
        E += d * n1 / n
        V += n1 * n0 * d * (n - d) / (n * n * (n - 1))
    chi = (O - E) ** 2 / V
    out["logrank"] = {"observed": O, "expected": E, "chi2": chi, "p": chi2_sf_df1(chi)}
    return out


def means(ds, vals):
    out = {}
    m = {}
    for arm in ("control", "treatment"):
        v = [vals[i] for i, u in enumerate(ds["units"]) if u[0] == arm]
        m[arm] = (mean(v), cov(v, v) / len(v), len(v))
        out[arm] = {"n": len(v), "value": m[arm][0]}
    d = m["treatment"][0] - m["control"][0]
    se = math.sqrt(m["treatment"][1] + m["control"][1])
    out["diff"] = d
    out["rel"] = m["treatment"][0] / m["control"][0] - 1 if m["control"][0] != 0 else NAN
    out["p"] = 1.0 if se == 0 and d == 0 else p2(d / se)
    out["rel_low"], out["rel_high"] = fieller(m["treatment"][0], math.sqrt(m["treatment"][1]), m["control"][0], math.sqrt(m["control"][1]))
    return out


def reference(ds):
    n = len(ds["units"])
    counts = [sum(1 for u in ds["units"] if u[0] == a) for a in ("control", "treatment")]
    share = ds["treatment_share"]
    exp_ = [n * (1 - share), n * share]
    chi = sum((o - e) ** 2 / e for o, e in zip(counts, exp_))
    want = {"srm": {"counts": counts, "chi2": chi, "p": chi2_sf_df1(chi)}}
    placed = [float(u[2]) for u in ds["units"]]
    want["liquidation"] = {}
    for d in ds["days"]:
        y = [collected(ds, i, d) for i in range(n)]
        want["liquidation"][str(d)] = ratio_metric(ds, y, placed, lambda i, d=d: ds["units"][i][4] >= d, True)
    todate = [collected(ds, i, None) for i in range(n)]
    cost = [float(u[3]) for u in ds["units"]]
    want["cost_to_collect"] = ratio_metric(ds, cost, todate, lambda i: True, False)["plain"]
    want["recovery"] = means(ds, todate)
    want["net_recovery"] = means(ds, [a - c for a, c in zip(todate, cost)])
    want["survival"] = survival(ds)
    return want


def clean(o):
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, list):
        return [clean(v) for v in o]
    if isinstance(o, float):
        return num(o)
    return o


def holm(ps):
    """Holm's step-down adjustment, written from its definition."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    m, run, out = len(ps), 0.0, [NAN] * len(ps)
    for j, i in enumerate(order):
        run = max(run, min(1.0, (m - j) * ps[i]))
        out[i] = run
    return out


def chi2_sf_even(x, df):
    """Chi-square upper tail for even df: e^(−x/2) Σ_{k<df/2} (x/2)^k / k!."""
    return math.exp(-x / 2) * sum((x / 2) ** k / math.factorial(k) for k in range(df // 2))


def reference_arms(ds):
    """Every arm against control: the two-arm reference on control plus that
    arm, SRM over all arms (k − 1 df), and Holm over the arms per metric."""
    arms, shares = ds["arms"], ds["shares"]
    n = len(ds["units"])
    counts = [sum(1 for u in ds["units"] if u[0] == a) for a in arms]
    tot = sum(shares)
    exp_ = [n * s / tot for s in shares]
    chi = sum((o - e) ** 2 / e for o, e in zip(counts, exp_))
    df = len(arms) - 1
    sf = chi2_sf_even(chi, df) if df % 2 == 0 else chi2_sf_df1(chi) if df == 1 else NAN
    want = {"srm": {"counts": counts, "chi2": chi, "df": df, "p": sf}, "arms": {}}
    for a in arms[1:]:
        keep = [i for i, u in enumerate(ds["units"]) if u[0] in ("control", a)]
        where = {i: j for j, i in enumerate(keep)}
        sub = dict(ds)
        sub["units"] = [["treatment" if ds["units"][i][0] == a else "control"] + ds["units"][i][1:] for i in keep]
        sub["payments"] = [[where[u], d, amt] for u, d, amt in ds["payments"] if u in where]
        want["arms"][a] = reference(sub)
    holms = {}
    paths = [("liquidation", str(d), "plain") for d in ds["days"]] + [("liquidation", str(d), "cuped") for d in ds["days"]]
    for metric in ["recovery", "net_recovery", "cost_to_collect"] + [p for p in paths]:
        ps = []
        for a in arms[1:]:
            w = want["arms"][a]
            if isinstance(metric, tuple):
                w = w[metric[0]][metric[1]][metric[2]]
            else:
                w = w[metric]
            ps.append(w["p"])
        key = metric if isinstance(metric, str) else "_".join(metric)
        holms[key] = dict(zip(arms[1:], holm(ps)))
    want["holm"] = holms
    return want


if __name__ == "__main__":
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
    for path in sorted(glob.glob(os.path.join(here, "*.input.json"))):
        with open(path) as f:
            ds = json.load(f)
        out = path.replace(".input.json", ".want.json")
        with open(out, "w") as f:
            json.dump(clean(reference_arms(ds) if "arms" in ds else reference(ds)), f, indent=1, sort_keys=True)
            f.write("\n")
        print("wrote", os.path.basename(out))
