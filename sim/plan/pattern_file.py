"""The pattern search's files: ``pattern.toml`` (runnable like ``scenarios/patterns/*.toml``),
``patterns.csv`` (each family's cheapest pattern and each simulated one) and the sentences the
report and the command line say about it: its officer-hours against the template optimum, and
why it costs more."""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim import __version__
from sim.plan.refine import PlanResult
from sim.plan.roster_search import PatternAnswer
from sim.plan.shifts import coverage_of
from sim.scenario.writing import array_rows, number


def pattern_toml(result: PlanResult, ans: PatternAnswer, out) -> str:
    from sim.plan.folder import add_handlers, planned_document

    s, r = result.scenario, ans.roster
    weeks = len(r.cycle) // 7 if len(r.cycle) % 7 == 0 else 0
    doc = planned_document(result, [
        f"The planned response rota as a team pattern, by triage-sim plan --pattern {__version__}: {r.describe()}.",
        f"{r.officer_hours:,.0f} officer-hours a week ({r.people} officers); the template optimum (rota.toml) has "
        f"{ans.template_hours:,.0f}.",
        ("Each row of the cycle is a week (Mon..Sun); team k starts on week k." if weeks else
         "Each team starts the cycle on its own offset (days).")
        + ("" if len({size for size, _ in r.teams.values()}) == 1 else
           " Teams differ in size (plan --unequal-teams): every week of the cycle covers the target."),
        f"{'Meets' if ans.meets else 'Does NOT meet'} the recommendation in the final check. Fatigue limits checked: "
        + ", ".join(f"{k} = {v:g}" for k, v in ans.limits.items()) + ".",
        f"Run it: triage-sim run {out / 'pattern.toml'} --reps 10"], f"{s.meta.name}-planned-pattern")
    if s.response.pattern is not None:
        # the input has a team pattern: layers merge key by key, so its teams (and overlay) would
        # stay beside the new ones; writing the alternative `shifts` drops the base's pattern whole
        doc.table("response")
        doc.set("shifts", {}, "none: the pattern below replaces the input's pattern whole, not key by key")
    doc.table("response.pattern")
    doc.set("anchor", ans.anchor, "a Monday")
    rows = [r.cycle[7 * k:7 * k + 7] for k in range(weeks)] if weeks else [r.cycle]
    doc.set("cycle", array_rows(rows, " " * len("cycle = [")) if len(r.cycle) > 1 else list(r.cycle))
    for c, (st, h) in r.types.items():
        doc.set(f"shift_types.{c}", {"start": st, "hours": number(h, "g")})
    for name, (size, offset) in r.teams.items():
        doc.set(f"teams.{name}", {"size": size, "offset": offset})
    if r.overlay is not None:   # an overlay team on a fixed weekly tour, sized by the search
        tour, size = r.overlay
        doc.set(f"overlay.{tour.name}", {"days": list(tour.days), "start": tour.start,
                                         "hours": number(tour.hours, "g"), "size": size},
                f"{size} officers every {', '.join(tour.days)}, beside the teams")
    for k, v in ans.limits.items():
        doc.set(k, number(v, "g") if isinstance(v, float) else v)
    add_handlers(doc, result)
    return doc.text()


def _window(by_hour: np.ndarray, width: int = 4) -> str:
    """The ``width``-hour window of the day with the largest sum (wrapping midnight)."""
    sums = [by_hour[[(h + k) % 24 for k in range(width)]].sum() for h in range(24)]
    h = int(np.argmax(sums))
    return f"{h:02d}:00-{(h + width) % 24:02d}:00"


def why_dearer(result: PlanResult, ans: PatternAnswer) -> str:
    """How far the pattern is above the template optimum in officer-hours, and why."""
    r = ans.roster
    if r is None:
        return ""
    tmpl = coverage_of(result.proposed)
    diff = r.cover.astype(float) - tmpl
    more, fewer = np.maximum(diff, 0).sum(), np.maximum(-diff, 0).sum()
    by_hour = np.maximum(diff, 0).reshape(7, 24).mean(axis=0)
    gap = r.officer_hours - ans.template_hours
    heads = [u for v in result.proposed.values() for u in v["units"] if u > 0]
    sizes = sorted({size for size, _ in r.teams.values()})
    rest = f"team size {sizes[0]}" if len(sizes) == 1 else f"team sizes {sizes[0]}-{sizes[-1]}"
    if r.overlay is not None:
        rest += f"; an overlay team of {r.overlay[1]} on {r.overlay[0].describe()} every week"
    day_swing = np.ptp(tmpl.reshape(7, 24), axis=0).max()
    return (f"The pattern needs {r.officer_hours:,.0f} officer-hours a week ({r.people} officers) against the "
            f"template optimum's {ans.template_hours:,.0f} ({gap:+,.0f}, {gap / ans.template_hours:+.1%}). "
            f"Hour by hour it has {more:,.0f} officer-hours a week more on duty than the template, most in "
            f"{_window(by_hour)}, and {fewer:,.0f} fewer elsewhere: in a team pattern a tour's head-count on any day "
            f"is a whole number of teams ({rest}) and every team works the same hours a week over the cycle, so its "
            f"cover moves in steps of a team, while the template's shifts run from {min(heads)} to {max(heads)} "
            f"officers and its cover in the same hour of day differs by up to {day_swing:.0f} between days.")


def patterns_frame(ans: PatternAnswer) -> pd.DataFrame:
    rows = [{"stage": "family (stage-1 shape, k = 1)", **{k: f.get(k) for k in ("family", "officer_hours", "pattern")}}
            for f in ans.families]
    rows += [{"stage": t["stage"], "family": "", **{k: v for k, v in t.items() if k != "stage"}} for t in ans.tried]
    return pd.DataFrame(rows)
