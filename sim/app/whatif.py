"""What-if: a trainer's change to the default force, run against the unchanged force on the
same callers (common random numbers), with the verdict and paired differences.

Controls are plain values (a form in the app); ``build`` turns them into a validated
scenario or one clear message; ``run`` runs both arms replication by replication (each
replication r of both arms meets the same callers) and reports progress as it goes.
"""
from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from sim.util.executors import SerialExecutor, make_executor
from sim.experiment.task import Task, run_task
from sim.experiment.summary import paired_differences, summarise
from sim.experiment.replications import with_overrides
from sim.measures.catalogue import words
from sim.report.figures.arms import ArmView
from sim.report.figures.downgrades import fig_downgrades
from sim.report.figures.drawing import Fig, render
from sim.report.figures.pending import fig_pending
from sim.report.folder import Folder
from sim.report.labels import fmt_kpi
from sim.report.verdict_sentence import verdict
from sim.scenario import DAYS, Scenario, ScenarioError, default_scenario, load_scenario

DEFAULT_SCENARIO = default_scenario()
PATTERNS = DEFAULT_SCENARIO.parent / "patterns"   # team patterns a trainer can put the response officers on
POLICIES = {"resource_led": "resource-led", "risk_led": "risk-led", "none": "none (grades never change)"}
HEADLINE = ("resource_downgrades_per_week", "high_risk_resource_downgrades_per_week", "g1_in_target", "g2_in_target",
            "g1_response_p90", "max_pending", "neighbourhood_hours_lost_per_week", "overtime_hours_per_week",
            "unit_utilisation")
LIMITS = {"days": (1, 28), "reps": (2, 20), "demand": (0.2, 3.0), "units": (0, 300), "handlers": (0, 100),
          "surge_pct": (-90, 300), "surge_hours": (1, 24)}


class ControlError(ValueError):
    """A control value out of range: the message names the control, the value and what is expected."""


@dataclass
class Surge:
    day: str = "Fri"          # the day it starts, every week of the run
    start_hour: int = 18
    hours: int = 8
    percent: float = 40.0


@dataclass
class Controls:
    units: dict[str, int] = field(default_factory=dict)      # response shift -> units (empty: unchanged)
    handlers: dict[str, int] = field(default_factory=dict)   # call-handler shift -> staff
    late_start: str | None = None                             # "HH:MM": move the late response shift
    pattern: str | None = None                                # a team pattern from scenarios/patterns/ instead
    policy: str = "resource_led"
    borrow: bool = True                                       # risk-led: borrow neighbourhood officers
    demand: float = 1.0
    surge: Surge | None = None
    days: int = 7
    reps: int = 5
    seed: int | None = None


PRESETS: dict[str, tuple[str, Controls]] = {
    "Friday-night surge": (
        "Demand 40% above normal every Friday 18:00 to Saturday 02:00 (a big match, the pubs): what happens to "
        "downgrades and G1 response with the same officers?",
        Controls(surge=Surge("Fri", 18, 8, 40.0))),
    "Move the late shift": (
        "The late response shift starts at 16:00 instead of 14:00, so it covers the 18:00-22:00 peak and overlaps "
        "the night shift until 02:00 - the same officers, at different hours.",
        Controls(late_start="16:00")),
    "Borrow neighbourhood officers": (
        "A risk-led controller who also borrows neighbourhood officers for G1s waiting 10 min and G2s waiting an "
        "hour: response follows risk, and neighbourhood policing pays in hours.",
        Controls(policy="risk_led", borrow=True)),
    "Risk-led controller": (
        "No downgrades for lack of officers: unresourced incidents are re-assessed (re-THRIVE) and keep the grade "
        "their risk deserves, with nobody borrowed - who waits longer?",
        Controls(policy="risk_led", borrow=False)),
}


def patterns() -> list[str]:
    return sorted(p.stem for p in PATTERNS.glob("*.toml"))


def base_scenario(path: str | Path | None = None) -> Scenario:
    return load_scenario(path or DEFAULT_SCENARIO)


def _check(name: str, value, what: str | None = None) -> None:
    lo, hi = LIMITS[name.split(".")[0] if name in LIMITS else name]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
            or not lo <= value <= hi:
        raise ControlError(f"{what or name}: {value!r}; expected a number from {lo} to {hi}")


def _whole(name: str, value, what: str) -> None:
    _check(name, value, what)
    if int(value) != value:
        raise ControlError(f"{what}: {value!r}; expected a whole number")


def surges(s: Scenario, surge: Surge) -> list[dict]:
    """The surge as one window per week of the run (warm-up included), from its start day."""
    if surge.day not in DAYS:
        raise ControlError(f"surge day: {surge.day!r}; expected one of {', '.join(DAYS)}")
    _whole("surge_hours", surge.hours, "surge length (hours)")
    _check("surge_pct", surge.percent, "surge (+%)")
    if not (isinstance(surge.start_hour, int) and 0 <= surge.start_hour <= 23):
        raise ControlError(f"surge start hour: {surge.start_hour!r}; expected a whole hour from 0 to 23")
    start = dt.datetime.combine(s.run.start_date, dt.time()) + dt.timedelta(days=DAYS.index(surge.day),
                                                                           hours=surge.start_hour)
    end_run = dt.datetime.combine(s.run.start_date, dt.time()) + dt.timedelta(days=s.run.warmup_days + s.run.days)
    out = []
    while start < end_run:
        out.append({"start": start.isoformat(timespec="minutes"),
                    "end": (start + dt.timedelta(hours=surge.hours)).isoformat(timespec="minutes"),
                    "factor": round(1 + surge.percent / 100.0, 6)})
        start += dt.timedelta(days=7)
    return out


def build(c: Controls, base: Scenario) -> tuple[Scenario, Scenario]:
    """(baseline, variant): the base scenario for the run length, and the same with the
    controls applied. Raises ControlError or ScenarioError with a one-line message."""
    _whole("days", c.days, "days")
    _whole("reps", c.reps, "replications")
    _check("demand", c.demand, "demand multiplier")
    if c.policy not in POLICIES:
        raise ControlError(f"policy: {c.policy!r}; expected one of {', '.join(POLICIES)}")
    run = [f"run.days={int(c.days)}"] + ([f"run.seed={int(c.seed)}"] if c.seed is not None else [])
    baseline = with_overrides(base, run)
    sets = list(run)
    start = base
    if c.pattern is not None:
        if c.units or c.late_start is not None:
            raise ControlError(f"pattern: {c.pattern!r} replaces the response shifts; leave units per shift and the "
                               "late shift's start as they are")
        if c.pattern not in patterns():
            raise ControlError(f"pattern: {c.pattern!r}; expected one of {', '.join(patterns()) or 'none found'}")
        # the pattern's response rota on this force (whatever scenario the app started from)
        start = base.model_copy(update={"response": load_scenario(PATTERNS / f"{c.pattern}.toml").response})
    for name, n in c.units.items():
        if name not in base.response.shifts:
            raise ControlError(f"units: no response shift named {name!r}; expected one of {', '.join(base.response.shifts)}")
        _whole("units", n, f"units on the {name} shift")
        sets.append(f"response.shifts.{name}.units={int(n)}")
    for name, n in c.handlers.items():
        if name not in base.call_handling.shifts:
            raise ControlError(f"handlers: no call-handling shift named {name!r}; expected one of "
                               f"{', '.join(base.call_handling.shifts)}")
        _whole("handlers", n, f"call handlers on the {name} shift")
        sets.append(f"call_handling.shifts.{name}.staff={int(n)}")
    if c.late_start is not None:
        if "late" not in base.response.shifts:
            raise ControlError("late shift start: this scenario has no response shift named 'late'")
        sets.append(f'response.shifts.late.start="{c.late_start}"')
    sets.append(f"policy.kind={c.policy}")
    if c.policy == "risk_led":
        sets.append(f"policy.risk_led.escalation.enabled={'true' if c.borrow else 'false'}")
    if c.demand != 1.0:
        sets.append(f"demand.multiplier={float(c.demand)!r}")
    variant = with_overrides(start, sets)
    if c.surge is not None:
        data = variant.to_dict()
        data["demand"]["surges"] = list(data["demand"].get("surges", [])) + surges(variant, c.surge)
        from sim.scenario import validate
        variant = validate(data, source="what-if (surge)")
    return baseline, variant


@dataclass
class WhatIf:
    controls: Controls
    baseline: object      # ArmResult
    variant: object
    comparison: object    # pandas DataFrame of paired differences
    wall_s: float
    label: str = "what-if"

    def folder(self) -> Folder:
        reps, days = self.controls.reps, self.controls.days
        arms = [_view("a", "the default force", self.baseline), _view("b", self.label, self.variant)]
        return Folder(Path("."), "compare", {"reps": reps}, {"replications": reps, "days": days}, arms,
                      self.comparison)

    def verdict(self) -> tuple[str, str]:
        return verdict(self.folder())

    def headline(self) -> list[dict]:
        """Per headline KPI: the what-if's mean and CI, the baseline's mean, the paired difference."""
        t = self.comparison.set_index("kpi")
        s = self.variant.summary.set_index("kpi")
        out = []
        for k in HEADLINE:
            r, v = t.loc[k], s.loc[k]
            out.append({"kpi": k, "label": words(k).app, "unit": v["unit"], "mean": v["mean"], "ci_low": v["ci_low"],
                        "ci_high": v["ci_high"], "baseline": r["mean_a"], "diff": r["diff"],
                        "diff_low": r["ci_low"], "diff_high": r["ci_high"]})
        return out

    def what_changed(self) -> str:
        """One sentence: the biggest changes whose paired interval excludes zero."""
        moved = []
        for h in self.headline():
            lo, hi = h["diff_low"], h["diff_high"]
            if lo == lo and hi == hi and (lo > 0 or hi < 0) and h["kpi"] != "unit_utilisation":
                moved.append(h)
        if not moved:
            return ("Nothing in the headline numbers moved beyond chance: every paired 95% interval against the "
                    "baseline includes zero.")
        parts = [f"{words(h['kpi']).phrase} {fmt_kpi(h['unit'], h['baseline'])} → {fmt_kpi(h['unit'], h['mean'])}"
                 for h in moved[:3]]
        return "Against the same callers, " + "; ".join(parts) + " (paired 95% intervals exclude zero)."

    def figures(self) -> list[Fig]:
        arms = [_view("a", "baseline", self.baseline), _view("b", self.label, self.variant)]
        return [render(fig_downgrades, arms), render(fig_pending, arms)]


def _view(name: str, label: str, arm) -> ArmView:
    kpis = {r["kpi"]: {"mean": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                       "half_width": r["half_width"], "reps": r["reps"], "unit": r["unit"]}
            for _, r in arm.summary.iterrows()}
    return ArmView(name, label, arm.profiles, kpis, arm.scenario.to_dict())


def run(c: Controls, base: Scenario | None = None, progress=None, label: str = "what-if",
        jobs: int = 1) -> WhatIf:
    """Both arms, replication by replication; ``progress(done, total)`` after each. ``jobs``
    > 1 runs them on a process pool (results identical: each replication has its own seed)."""
    baseline, variant = build(c, base or base_scenario())
    seed = baseline.run.seed
    tasks = [Task(arm, sc, seed, r) for r in range(int(c.reps)) for arm, sc in (("a", baseline), ("b", variant))]
    t0 = time.perf_counter()
    results = []
    executor = make_executor(jobs, None) if jobs > 1 else SerialExecutor()
    try:
        for i, result in enumerate(executor.run(run_task, tasks)):
            results.append(result)
            if progress:
                progress(i + 1, len(tasks))
    finally:
        executor.close()
    failed = [r for r in results if not r["ok"]]
    if failed:
        last = failed[0]["error"].strip().splitlines()[-1]
        raise ControlError(f"replication {failed[0]['replication']} failed: {last}")
    a = summarise([r for r in results if r["arm"] == "a"], baseline, "a")
    b = summarise([r for r in results if r["arm"] == "b"], variant, "b")
    return WhatIf(c, a, b, paired_differences(a, b), time.perf_counter() - t0, label)


def preset(name: str, **changes) -> Controls:
    """A copy of a preset's controls (e.g. with other days or replications)."""
    return replace(PRESETS[name][1], **changes)
