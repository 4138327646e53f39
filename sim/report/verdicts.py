"""A verdict for each of HMIC's two recommendations separately (issue 15), from KPIs alone.

1. "initial assessment": improve the initial assessment and response to incidents involving
   all vulnerable people (assessed to appropriate standards, recorded, supervised effectively).
   Judged against a stated standard (``sim.measures.catalogue.RECOMMENDATION_1``: the share of
   vulnerable callers identified at first contact, at least 90%), with the under-graded count beside it.
2. "response follows assessment": response determined by the initial assessment of risk, not
   by the availability of response officers. Judged on resource-driven downgrades a week against
   the scenario's tolerance; the report's whole test (downgrades and the G1/G2 aims) is said apart,
   naming what failed, so "0 downgrades ... meets it in 0%" cannot be read as a contradiction.

A comparison says, per recommendation, whether B improves on A: the paired 95% CI of B - A lies
wholly on the better side of zero (worse: wholly on the other side; else no clear change).
"""
from __future__ import annotations

import math

from typing import TYPE_CHECKING

from sim.measures.catalogue import RECOMMENDATION_1

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_REC = {"tolerance": 0.0, "g1_aim": 0.9, "g2_aim": 0.9}
FIRST = "initial assessment (HMIC recommendation 1: assess vulnerable callers to standard, supervised)"
SECOND = "response follows assessment (HMIC recommendation 2: not officer availability)"


def _n(v) -> bool:
    return v is not None and v == v


def _direction(row, better: int) -> int:
    """+1 B better than A, -1 worse, 0 no clear change (or no CI)."""
    lo, hi = row.get("ci_low", math.nan), row.get("ci_high", math.nan)
    if not (_n(lo) and _n(hi)):
        return 0
    if better < 0:
        return 1 if hi < 0 else (-1 if lo > 0 else 0)
    return 1 if lo > 0 else (-1 if hi < 0 else 0)


def _change(row, unit: str) -> str:
    pct = unit == "share"
    f = (lambda v: f"{v:.1%}") if pct else (lambda v: f"{v:.1f}")
    d = (lambda v: f"{v * 100:+.1f} points") if pct else (lambda v: f"{v:+.1f}")
    ci = (f", paired 95% CI {d(row['ci_low'])} to {d(row['ci_high'])}" if _n(row.get("ci_low")) and _n(row.get("ci_high"))
          else ", no CI")
    return f"{f(row['mean_a'])} -> {f(row['mean_b'])} (B - A {d(row['diff'])}{ci})"


_WORD = {1: "B improves on A", -1: "B is worse than A", 0: "no clear change"}


def compare_lines(comparison: pd.DataFrame, rec: dict | None = None) -> list[str]:
    """One line per recommendation for a paired comparison table (kpi, mean_a, mean_b, diff,
    ci_low, ci_high); a recommendation whose KPIs the table lacks is left out. ``rec``: the
    scenario's tolerance and aims (A's)."""
    rec = {**DEFAULT_REC, **(rec or {})}
    t = comparison.set_index("kpi")
    out = []
    if "vulnerable_undergraded_per_week" in t.index and "vulnerable_identified" in t.index:
        u, i = t.loc["vulnerable_undergraded_per_week"], t.loc["vulnerable_identified"]
        if _n(u["mean_a"]) and (u["mean_a"] > 0 or u["mean_b"] > 0 or _n(i["mean_a"]) or _n(i["mean_b"])):
            du, di = _direction(u, -1), (_direction(i, +1) if _n(i["diff"]) else 0)
            verdict = 1 if (du > 0 or di > 0) and min(du, di) >= 0 else (-1 if (du < 0 or di < 0) and max(du, di) <= 0
                                                                         else 0)
            std = RECOMMENDATION_1
            said = "; ".join(f"{ab} {_meets_word(std.passes(i[col]))}" for ab, col in (("A", "mean_a"), ("B", "mean_b")))
            out.append(f"{FIRST}: {_WORD[verdict]}; against its standard ({std.text}): {said}; vulnerable callers "
                       f"under-graded a week {_change(u, 'count')}, identified at first contact "
                       f"{_change(i, 'share') if _n(i['diff']) else 'n/a'}")
        else:
            out.append(f"{FIRST}: not modelled in these scenarios (no vulnerable callers)")
    if "resource_downgrades_per_week" in t.index:
        r = t.loc["resource_downgrades_per_week"]
        text = (f"{SECOND}: {_WORD[_direction(r, -1)]}; resource-driven downgrades a week {_change(r, 'count')} "
                f"against a tolerance of {rec['tolerance']:g} (A {_within(r['mean_a'], rec)}, B "
                f"{_within(r['mean_b'], rec)})")
        if "meets_recommendation" in t.index:
            m = t.loc["meets_recommendation"]
            text += (f"; the whole test (downgrades within tolerance and G1/G2 at their aims) passes in "
                     f"{_share(m['mean_a'])} (A) and {_share(m['mean_b'])} (B) of replications")
            for ab, col in (("A", "mean_a"), ("B", "mean_b")):
                miss = _misses({k: t.loc[k, col] for k in ("g1_in_target", "g2_in_target") if k in t.index}, rec)
                if miss and _n(r[col]) and r[col] <= rec["tolerance"] and _n(m[col]) and m[col] < 1:
                    text += f"; {ab} keeps downgrades within tolerance but misses {miss}"
        out.append(text)
    return out


def _meets_word(ok: bool | None) -> str:
    return "meets it" if ok else ("cannot be judged" if ok is None else "does not meet it")


def _within(d: float, rec: dict) -> str:
    return "n/a" if not _n(d) else ("within it" if d <= rec["tolerance"] + 1e-9 else "over it")


def _misses(kpis: dict, rec: dict) -> str:
    """The G1/G2 aims the means miss, in words ('G2 in target 85.1% against 90%')."""
    out = []
    for k, g, aim in (("g1_in_target", "G1", rec["g1_aim"]), ("g2_in_target", "G2", rec["g2_aim"])):
        v = kpis.get(k, math.nan)
        if _n(v) and v < aim:
            out.append(f"{g} in target {v:.1%} against {aim:.0%}")
    return " and ".join(out)


def _share(v) -> str:
    return f"{v:.0%}" if _n(v) else "n/a"


def run_lines(kpis: dict[str, float], rec: dict | None = None) -> list[str]:
    """One line per recommendation for one scenario (means over replications), each with the
    standard it is judged against and whether it passes. ``rec``: the scenario's tolerance and aims."""
    rec = {**DEFAULT_REC, **(rec or {})}
    out = []
    std = RECOMMENDATION_1
    ident, under = kpis.get(std.kpi, math.nan), kpis.get("vulnerable_undergraded_per_week", math.nan)
    if _n(ident):
        ok = std.passes(ident)
        out.append(f"{FIRST}: {'MEETS' if ok else 'does NOT meet'} its standard ({std.text}; {std.source}): "
                   f"{ident:.0%} of vulnerable callers identified at first contact, {under:.1f} a week "
                   f"under-graded, {kpis.get('vulnerable_resource_downgraded_per_week', math.nan):.1f} a week "
                   "downgraded for lack of a unit")
    d = kpis.get("resource_downgrades_per_week", math.nan)
    m = kpis.get("meets_recommendation", math.nan)
    if _n(d):
        within = d <= rec["tolerance"] + 1e-9
        text = (f"{SECOND}: {'MEETS' if within else 'does NOT meet'} its standard (resource-driven downgrades "
                f"within a tolerance of {rec['tolerance']:g} a week): {d:.1f} a week")
        if _n(m):
            miss = _misses(kpis, rec)
            text += (f"; the whole test (downgrades within tolerance and G1/G2 at their aims) passes in {_share(m)} "
                     "of replications")
            if within and m < 1 and miss:
                text += f", failing on the attendance aims: {miss}"
            elif within and m < 1:
                text += (" (each replication is judged on its own: some miss the tolerance or an aim even though "
                         "the means do not)")
        out.append(text)
    return out
