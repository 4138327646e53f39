"""The back-test's verdict: is the replayed call -> first dispatch close enough to the observed one,
priority by priority? The tolerances are one named structure (``Tolerances``); ``verdict`` reads
the back-test table (``sim.data.backtest.compare``) and says, per police priority and for all
priorities pooled, each criterion's value, its limit and pass or fail; ``verdict_sentence`` says it
in one sentence.

The most urgent priority (the one whose rows all map to ``Tolerances.urgent_grade``, G1: found from
the data, not from the code "1", since forces number their priorities differently) is judged in
minutes instead of a ratio: its delays are a minute or two, where a ratio of 1.2 is a few seconds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

PASS, FAIL, NOT_ASSESSED = "pass", "fail", "n/a"


@dataclass(frozen=True)
class Tolerances:
    """How close simulated must be to observed for the back-test to pass (``measure``: call ->
    first dispatch). Per police priority: simulated / observed p50 within ``p50_ratio`` and p90
    within ``p90_ratio``, except for the urgent priority (its rows map to ``urgent_grade``): |simulated
    - observed| p50 at most ``urgent_p50_minutes`` and p90 at most ``urgent_p90_minutes``; the KS
    distance between observed and simulated at most ``ks_priority``. All priorities pooled: KS at
    most ``ks_pooled``."""
    measure: str = "dispatch"
    p50_ratio: tuple[float, float] = (0.85, 1.20)
    p90_ratio: tuple[float, float] = (0.75, 1.35)
    urgent_grade: str = "G1"
    urgent_p50_minutes: float = 0.3
    urgent_p90_minutes: float = 1.0
    ks_priority: float = 0.10
    ks_pooled: float = 0.05


TOLERANCES = Tolerances()


def priority_label(code: str) -> str:
    """'P1' for the code '1'; a code that is not a number as it is."""
    return f"P{code}" if str(code).replace(".", "", 1).isdigit() else str(code)


def verdict(bt, tol: Tolerances = TOLERANCES):
    """verdict.csv: one row per police priority, one for all priorities pooled ('all') and a last
    row 'overall'. Per criterion (p50, p90, ks): what it measures, its value, its limit and
    pass / fail ('n/a': not a criterion for that row); ``pass`` for the row, ``fails`` in words."""
    import pandas as pd

    d = bt[bt["measure"] == tol.measure]
    rows = []
    for _, r in d[d["group"].isin(["priority", "all"])].iterrows():
        pooled = r["group"] == "all"
        urgent = not pooled and str(r.get("grades", "")) == tol.urgent_grade
        row = {"priority": "all" if pooled else str(r["value"]),
               "label": "all (pooled)" if pooled else priority_label(r["value"]),
               "grades": r.get("grades", ""), "n": int(r["n_observed"]),
               "obs_p50": r["obs_p50"], "obs_p50_band_lo": r.get("obs_p50_band_lo", math.nan),
               "obs_p50_band_hi": r.get("obs_p50_band_hi", math.nan), "sim_p50": r["sim_p50"],
               "obs_p90": r["obs_p90"], "obs_p90_band_lo": r.get("obs_p90_band_lo", math.nan),
               "obs_p90_band_hi": r.get("obs_p90_band_hi", math.nan), "sim_p90": r["sim_p90"]}
        fails = []
        for qn, ratio, minutes in (("p50", tol.p50_ratio, tol.urgent_p50_minutes),
                                   ("p90", tol.p90_ratio, tol.urgent_p90_minutes)):
            obs, sim = r[f"obs_{qn}"], r[f"sim_{qn}"]
            if pooled:
                crit, value, limit, ok = "not a criterion for the pool", math.nan, "", None
            elif urgent:
                crit, value, limit = "|sim - obs| min", abs(sim - obs), f"<= {minutes:g}"
                ok = bool(value <= minutes)
                if not ok:
                    fails.append(f"{qn} |sim - obs| {_num(value)} min > {minutes:g}")
            else:
                crit, value, limit = "sim / obs", sim / obs if obs > 0 else math.nan, f"{ratio[0]:g}-{ratio[1]:g}"
                ok = bool(ratio[0] <= value <= ratio[1])
                if not ok:
                    fails.append(f"{qn} sim / obs {_num(value)} outside {limit}")
            row.update({f"{qn}_criterion": crit, f"{qn}_value": value, f"{qn}_limit": limit,
                        f"{qn}_pass": _word(ok)})
        ks_limit = tol.ks_pooled if pooled else tol.ks_priority
        ks = r["ks_distance"]
        ok = bool(ks <= ks_limit)
        row.update({"ks_value": ks, "ks_limit": f"<= {ks_limit:g}", "ks_pass": _word(ok)})
        if not ok:
            fails.append(f"KS {_num(ks)} > {ks_limit:g}")
        row["pass"] = _word(not fails)
        row["fails"] = "; ".join(fails)
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out = pd.concat([out[out["priority"] != "all"], out[out["priority"] == "all"]], ignore_index=True)
    bad = out[out["pass"] == FAIL]
    overall = {"priority": "overall", "label": "overall", "n": int(out.loc[out["priority"] == "all", "n"].sum()),
               "pass": _word(bad.empty),
               "fails": " | ".join(f"{r['label']}: {r['fails']}" for _, r in bad.iterrows())}
    return pd.concat([out, pd.DataFrame([overall])], ignore_index=True)


def verdict_sentence(v, tol: Tolerances = TOLERANCES) -> str:
    """One sentence: every priority meets the tolerances, or which priority fails on what."""
    if v is None or v.empty:
        return "No call -> first dispatch was observed: no verdict."
    what = "call -> first dispatch"
    rows = v[v["priority"] != "overall"]
    bad = rows[rows["pass"] == FAIL]
    if bad.empty:
        return f"The replay meets the tolerances for every priority ({what}) and for all priorities pooled."
    parts = []
    for _, r in bad.iterrows():
        crit = [c for c, name in (("p50", "p50"), ("p90", "p90"), ("ks", "KS")) if r.get(f"{c}_pass") == FAIL]
        who = "all priorities pooled" if r["priority"] == "all" else r["label"]
        parts.append(f"{who} on " + _and([{"ks": "KS"}.get(c, c) for c in crit]))
    n_ok = int((rows["pass"] == PASS).sum())
    tail = f"; {n_ok} of {len(rows)} rows pass" if n_ok else ""
    return f"The replay does not meet the tolerances ({what}): it fails for {'; '.join(parts)}{tail}."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _word(ok) -> str:
    return NOT_ASSESSED if ok is None else PASS if ok else FAIL


def _num(x: float) -> str:
    return "nan" if x != x else f"{x:.2f}"
