"""``plan --frontier``: what each further officer-hour buys.

A ladder of budgets (officer-hours a week) from today's rota up to the cheapest rota that meets
the recommendation. At each budget: the cheapest weekly template within it (the integer program
with a fixed budget, worst hourly shortfall against stage 1's requirement minimised: the
``--officers`` spread) and the cheapest team pattern within it (roster space, the largest k x
stage 1's requirement whose cheapest pattern fits the budget). Every rota, today's included, is
run over the scenario's own length and ``final_reps`` replications with the same seed, so
replication r of each meets the same callers: each point's interval, and its difference from
today's rota, are over paired replications (common random numbers). ``frontier.csv`` and
``frontier.png`` hold the curve; the marginal cost is read off the template curve.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiment.summary import paired_differences
from sim.plan.establishment import people_for, today_people
from sim.plan.refine import Planner, PlanResult, template_hours, with_template
from sim.plan.frontier_figure import KPIS
from sim.plan.roster_search import PatternAnswer, PatternSearch, with_pattern

RUNGS = 5           # budgets strictly between today's and the answer's


def budgets(low: float, high: float, rungs: int = RUNGS) -> list[float]:
    """Officer-hours a week from ``low`` to ``high`` (both included), evenly spaced, rounded to 10;
    the two ends rounded up, so today's rota fits the first budget and the answer the last."""
    def up(x: float) -> float:
        return float(np.ceil(x / 10.0 - 1e-9) * 10.0)
    if high <= low:
        return [up(low)]
    inner = [float(round(x, -1)) for x in np.linspace(low, high, rungs + 2)[1:-1]]
    return [up(low), *inner, up(high)]


def _row(kind: str, budget: float, hours: float, people: float, today, arm, rota: str) -> dict:
    diffs = paired_differences(today, arm).set_index("kpi")
    row = {"kind": kind, "budget": budget, "officer_hours": hours, "people": round(people, 1), "rota": rota}
    for k in KPIS:
        v = arm.kpi(k)
        row[k], row[f"{k}_ci_low"], row[f"{k}_ci_high"] = v["mean"], v["ci_low"], v["ci_high"]
        d = diffs.loc[k]
        row[f"{k}_vs_today"], row[f"{k}_vs_today_ci_low"], row[f"{k}_vs_today_ci_high"] = \
            d["diff"], d["ci_low"], d["ci_high"]
    row["meets"] = bool(arm.kpi("meets_recommendation")["mean"] == 1.0 and row[KPIS[0]] == 0.0)
    row["reps"] = int(arm.kpi(KPIS[0])["reps"])
    return row


def kept_if_better(row: dict, known: list[dict], budget: float) -> dict:
    """The frontier is the best rota known within each budget: a rota that fits a smaller budget
    fits this one too, so if today's rota (or a cheaper budget's template) has fewer downgrades
    than the integer program's spread here, it is kept as this budget's point, and the row says
    what the spread gave. The spread minimises the worst hourly shortfall against stage 1's
    requirement, which near today's budget can do worse in simulation than the rota a force built
    by experience."""
    key = KPIS[0]
    fits = [r for r in known if r["officer_hours"] <= budget + 1e-9 and r[key] < row[key]]
    if not fits:
        return row
    best = min(fits, key=lambda r: (r[key], r["officer_hours"]))
    return {**best, "kind": "template", "budget": budget,
            "rota": f"{best['rota']} (kept: the spread within {budget:,.0f} gave {row[key]:.2f} downgrades a week)"}


def frontier(planner: Planner, result: PlanResult, search: PatternSearch | None,
             answer: PatternAnswer | None) -> pd.DataFrame:
    """The curve: today's rota, then template and pattern at each budget."""
    s, o, say = planner.s, planner.opts, planner.say
    reps = o.final_reps
    today_hours = template_hours(result.current)
    top = template_hours(result.proposed) if result.meets else today_hours
    if answer is not None and answer.roster is not None and answer.meets:
        top = max(top, answer.officer_hours)
    ladder = budgets(today_hours, top)
    say(f"frontier: {len(ladder)} budgets from {ladder[0]:,.0f} to {ladder[-1]:,.0f} officer-hours a week, "
        f"template and pattern at each, {s.run.days:g} days x {reps} replications (seed {planner.seed})")

    def run(sc):
        return planner._experiment("frontier", {"": sc}, reps).result

    today = run(s)
    rows = [_row("today", today_hours, today_hours, today_people(s), today, today, "today's rota")]
    for b in ladder:
        if b >= ladder[-1] and result.meets:
            template = result.proposed
        else:
            template = planner._design(np.maximum(result.requirement.rostered, planner.floor), max_starts=o.max_starts,
                                       budget=b, stage=f"frontier {b:,.0f}")
        h = template_hours(template)
        arm = run(with_template(s, template, f"{s.meta.name}-frontier", handlers=planner.handlers))
        row = _row("template", b, h, people_for(h, s), today, arm, f"{len(template)} shifts")
        rows.append(kept_if_better(row, [r for r in rows if r["kind"] in ("today", "template")], b))
        say(f"  template within {b:,.0f}: {h:,.0f} officer-hours, downgrades/week {rows[-1][KPIS[0]]:.2f}, "
            f"G1 {rows[-1]['g1_in_target']:.1%}, G2 {rows[-1]['g2_in_target']:.1%}")
        if search is None:
            continue
        roster = answer.roster if (answer is not None and answer.roster is not None and b >= ladder[-1]
                                   and answer.officer_hours <= b + 1e-9) else search.within(b)
        if roster is None:
            say(f"  no pattern within {b:,.0f} officer-hours")
            continue
        pat = roster.pattern(search.space.anchor, search.space.limits)
        arm = run(with_pattern(s, pat, planner.handlers, f"{s.meta.name}-frontier-pattern"))
        rows.append(_row("pattern", b, roster.officer_hours, roster.people, today, arm, roster.describe()))
        say(f"  pattern within {b:,.0f}: {roster.officer_hours:,.0f} officer-hours ({roster.people} people), "
            f"downgrades/week {rows[-1][KPIS[0]]:.2f}")
    return pd.DataFrame(rows)
