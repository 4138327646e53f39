"""Call handlers in the plan: their shifts are designed like the units' (stage 1's handler
requirement, its own integer program) and raised in stage 3 where the simulated answering
misses its targets (999 answered within 10 s and 101 within 180 s, each for 90% of calls,
the standards in sim/plan/requirement.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario import DAYS
from sim.plan.requirement import HANDLER_TARGETS, HOURS

MIN_PER_SHIFT = 2      # never a lone handler on a shift


def pool_template(pool, start_date) -> dict:
    """A pool's rota as a weekly template ``{name: {start, hours, units[7], days}}`` (a team
    pattern: its average week, rounded)."""
    from sim.scenario.rota import weekly_shifts
    out = {}
    for w in weekly_shifts(pool, start_date):
        h = int(w["start_h"])
        mm = int(round((w["start_h"] - h) * 60))
        units = [int(round(w["heads"][d])) for d in range(7)]
        out[w["name"]] = {"start": f"{h:02d}:{mm:02d}", "hours": w["hours"], "units": units,
                          "days": [DAYS[d] for d in range(7) if units[d] > 0]}
    return out


def as_handler_shifts(template: dict) -> dict:
    """A template in the scenario's handler form (``staff`` instead of ``units``)."""
    return {n: {"start": v["start"], "hours": v["hours"], "staff": list(v["units"]), "days": list(v["days"])}
            for n, v in template.items()}


def answering_ok(summary: pd.DataFrame) -> bool:
    """The simulated answering meets both targets (mean over replications)."""
    t = summary.set_index("kpi")["mean"]
    return all(not t[kpi] < aim for kpi, (_, aim) in HANDLER_TARGETS.items())


def short_hours(summary: pd.DataFrame, profiles: pd.DataFrame) -> np.ndarray:
    """Hours of the week to raise: the hours of day where 999 answering misses its aim; if
    only 101 misses, the hours of day where 101 callers abandon more than on average; if no
    hour stands out, every hour."""
    aim999 = HANDLER_TARGETS["sl_999_10s"][1]
    p = profiles
    sl = p[p["profile"] == "sl_999_10s"].groupby("x")["value"].mean().reindex(range(24))
    bad = (sl.to_numpy() < aim999)
    t = summary.set_index("kpi")["mean"]
    if not bad.any() and t["sl_101_180s"] < HANDLER_TARGETS["sl_101_180s"][1]:
        ab = p[p["profile"] == "abandon_rate_101"].groupby("x")["value"].mean().reindex(range(24)).to_numpy()
        bad = ab > np.nanmean(ab)
    if not bad.any():
        bad[:] = True
    return np.tile(bad, HOURS // 24)
