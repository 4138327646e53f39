"""A verdict for each of HMIC's two recommendations separately (issue 15), from KPIs alone.

1. "initial assessment": improve the initial assessment and response to incidents involving
   all vulnerable people (assessed to appropriate standards, recorded, supervised effectively).
   Read from vulnerable callers under-graded at first contact and the share identified.
2. "response follows assessment": response determined by the initial assessment of risk, not
   by the availability of response officers. Read from resource-driven downgrades a week.

A comparison says, per recommendation, whether B improves on A: the paired 95% CI of B - A lies
wholly on the better side of zero (worse: wholly on the other side; else no clear change).
"""
from __future__ import annotations

import math

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

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


def compare_lines(comparison: pd.DataFrame) -> list[str]:
    """One line per recommendation for a paired comparison table (kpi, mean_a, mean_b, diff,
    ci_low, ci_high); a recommendation whose KPIs the table lacks is left out."""
    t = comparison.set_index("kpi")
    out = []
    if "vulnerable_undergraded_per_week" in t.index and "vulnerable_identified" in t.index:
        u, i = t.loc["vulnerable_undergraded_per_week"], t.loc["vulnerable_identified"]
        if _n(u["mean_a"]) and (u["mean_a"] > 0 or u["mean_b"] > 0 or _n(i["mean_a"]) or _n(i["mean_b"])):
            du, di = _direction(u, -1), (_direction(i, +1) if _n(i["diff"]) else 0)
            verdict = 1 if (du > 0 or di > 0) and min(du, di) >= 0 else (-1 if (du < 0 or di < 0) and max(du, di) <= 0
                                                                         else 0)
            out.append(f"{FIRST}: {_WORD[verdict]}; vulnerable callers under-graded a week {_change(u, 'count')}, "
                       f"identified at first contact {_change(i, 'share') if _n(i['diff']) else 'n/a'}")
        else:
            out.append(f"{FIRST}: not modelled in these scenarios (no vulnerable callers)")
    if "resource_downgrades_per_week" in t.index:
        r = t.loc["resource_downgrades_per_week"]
        text = f"{SECOND}: {_WORD[_direction(r, -1)]}; resource-driven downgrades a week {_change(r, 'count')}"
        if "meets_recommendation" in t.index:
            m = t.loc["meets_recommendation"]
            text += f"; meets it in {_share(m['mean_a'])} (A) and {_share(m['mean_b'])} (B) of replications"
        out.append(text)
    return out


def _share(v) -> str:
    return f"{v:.0%}" if _n(v) else "n/a"


def run_lines(kpis: dict[str, float]) -> list[str]:
    """One line per recommendation for one scenario (means over replications)."""
    out = []
    ident, under = kpis.get("vulnerable_identified", math.nan), kpis.get("vulnerable_undergraded_per_week", math.nan)
    if _n(ident):
        out.append(f"{FIRST}: {ident:.0%} of vulnerable callers identified at first contact, {under:.1f} a week "
                   f"under-graded, {kpis.get('vulnerable_resource_downgraded_per_week', math.nan):.1f} a week "
                   "downgraded for lack of a unit")
    d = kpis.get("resource_downgrades_per_week", math.nan)
    m = kpis.get("meets_recommendation", math.nan)
    if _n(d):
        out.append(f"{SECOND}: {d:.1f} resource-driven downgrades a week; meets it in {_share(m)} of replications")
    return out
