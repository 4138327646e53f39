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

import base64
import io

import numpy as np
import pandas as pd

from sim.experiment.summary import paired_differences
from sim.plan.establishment import people_for, today_people
from sim.plan.refine import Planner, PlanResult, template_hours, with_template
from sim.plan.roster_search import PatternAnswer, PatternSearch, with_pattern

RUNGS = 5           # budgets strictly between today's and the answer's
KPIS = ("resource_downgrades_per_week", "g1_in_target", "g2_in_target")


def budgets(low: float, high: float, rungs: int = RUNGS) -> list[float]:
    """Officer-hours a week from ``low`` to ``high`` (both included), evenly spaced, rounded to 10."""
    if high <= low:
        return [round(low, -1)]
    return [float(round(x, -1)) for x in np.linspace(low, high, rungs + 2)]


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
        rows.append(_row("template", b, h, people_for(h, s), today, arm, f"{len(template)} shifts"))
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


def marginal_sentence(df: pd.DataFrame) -> str:
    """'each further 1,000 officer-hours a week removes about X downgrades a week', from today's rota
    to the first template rung without downgrades (least squares over the template rungs up to it)."""
    t = df[df["kind"].isin(["today", "template"])].sort_values("officer_hours")
    first_zero = t.index[t[KPIS[0]] <= 0.0]
    upto = t.loc[:first_zero[0]] if len(first_zero) else t
    x, y = upto["officer_hours"].to_numpy(float), upto[KPIS[0]].to_numpy(float)
    if len(x) < 2 or np.ptp(x) == 0:
        return ""
    slope = -np.polyfit(x / 1000.0, y, 1)[0]
    today = df[df["kind"] == "today"].iloc[0]
    return (f"From today's rota ({today['officer_hours']:,.0f} officer-hours a week, {today[KPIS[0]]:.1f} resource "
            f"downgrades a week) up to {x[-1]:,.0f} officer-hours, each further 1,000 officer-hours a week removes "
            f"about {slope:.1f} resource downgrades a week (least squares over the template rotas of frontier.csv).")


def monotone(df: pd.DataFrame, kind: str = "template") -> bool:
    """More officer-hours, no more downgrades, within noise: each step's downgrades at most the
    previous one's upper interval bound."""
    t = df[df["kind"].isin(["today", kind])].sort_values(["officer_hours", KPIS[0]], ascending=[True, False])
    ys, hi = t[KPIS[0]].to_numpy(float), t[f"{KPIS[0]}_ci_high"].to_numpy(float)
    return bool(all(ys[i + 1] <= max(hi[i], ys[i]) + 1e-9 for i in range(len(ys) - 1)))


def figure_png(df: pd.DataFrame) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=100)
    styles = {"template": ("tab:blue", "o", "cheapest weekly template"), "pattern": ("tab:green", "s",
                                                                                   "cheapest team pattern")}
    for kind, (colour, marker, label) in styles.items():
        t = df[df["kind"] == kind].sort_values("officer_hours")
        if t.empty:
            continue
        y = t[KPIS[0]].to_numpy(float)
        err = [y - t[f"{KPIS[0]}_ci_low"].to_numpy(float), t[f"{KPIS[0]}_ci_high"].to_numpy(float) - y]
        ax.errorbar(t["officer_hours"], y, yerr=err, color=colour, marker=marker, capsize=3, label=label)
    today = df[df["kind"] == "today"].iloc[0]
    ax.errorbar([today["officer_hours"]], [today[KPIS[0]]],
                yerr=[[today[KPIS[0]] - today[f"{KPIS[0]}_ci_low"]], [today[f"{KPIS[0]}_ci_high"] - today[KPIS[0]]]],
                color="tab:red", marker="*", markersize=12, capsize=3, ls="none", label="today's rota")
    ax.set_xlabel("officer-hours rostered a week")
    ax.set_ylabel("resource-led downgrades a week (95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def figure_b64(df: pd.DataFrame) -> str:
    return base64.b64encode(figure_png(df)).decode("ascii")
