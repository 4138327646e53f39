"""``plan --pattern``: the cheapest team pattern that meets the recommendation, judged by
simulation (roster space: ``roster_space.py``).

The target is a shape by hour of week scaled by k, never under ``[plan] min_on_duty``; two
shapes: stage 1's requirement, and the cover of the template optimum (the cheapest weekly
template the planner found and checked). For each k the cheapest pattern covering k x shape is
built in roster space and simulated with common random numbers on the planner's search runs
(the same seed, so every pattern meets the same callers); k is found by bisection, the
cheapest that meets. The cheapest pattern that meets is then checked over the scenario's own
length and replications, paired with today's rota (a pattern that fails there gives way to the
next dearer one that met). ``--overlay`` and ``--unequal-teams`` widen the roster space the
same search runs in (``roster_space.Space``: an overlay team sized with the teams, team sizes
that differ).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sim.plan import handlers as hd
from sim.plan import roster_space as rs
from sim.plan.floor import below_floor, floor_of
from sim.plan.refine import Planner, PlanResult, Step, _meets, template_hours, with_rota
from sim.plan.shifts import Candidate, half_hour_cover
from sim.scenario import DAYS, Scenario

BISECTIONS = 5
FINAL_TRIES = 3     # the cheapest patterns that met in the search, checked at full length in turn
RAISES = 3          # then the cheapest one's k raised by 5%, 10%, 15%


@dataclass
class PatternAnswer:
    """The pattern search's answer."""
    roster: rs.Roster | None
    meets: bool = False
    final: object = None                  # ExperimentResult: today (a) against the pattern (b), paired
    families: list[dict] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    tried: list[dict] = field(default_factory=list)   # each simulated pattern: shape, k, hours, meets
    template_hours: float = 0.0
    anchor: dt.date | None = None
    limits: dict = field(default_factory=dict)

    @property
    def officer_hours(self) -> float:
        return self.roster.officer_hours if self.roster is not None else float("nan")


def with_pattern(s: Scenario, pattern: dict, handlers: dict | None = None, name: str | None = None) -> Scenario:
    """The scenario with its response rota replaced by the team ``pattern``."""
    return with_rota(s, "pattern", pattern, name, handlers, "planned pattern")


def anchor_of(s: Scenario) -> dt.date:
    """The Monday on or before the run's start (team T01 starts week 1 of the cycle then)."""
    return s.run.start_date - dt.timedelta(days=s.run.start_date.weekday())


def space_of(s: Scenario, planner: Planner, template: dict | None, max_teams: int = rs.MAX_TEAMS,
             overlay: rs.OverlayTour | None = None, unequal: bool = False) -> rs.Space:
    limits = rs.fatigue_limits(s)
    families = dict(rs.FAMILIES)
    if template:
        families.update(rs.template_family(template, limits) or {})
    fixed, left = rs.fixed_cycles(limits)
    return rs.Space(families, fixed, left, limits, s.response.contracted_hours_per_week, planner.briefing, anchor_of(s),
                    tuple(range(rs.MIN_TEAMS, max_teams + 1)), overlay, unequal)


def free_cover(template: dict, briefing: float) -> np.ndarray:
    """336: the template's officers on duty past their briefing, by half-hour of the week (what
    stage 2 counts): the template optimum's shape as a target. A pattern at least this high in
    every half-hour has at least the template's officers free for incidents at every moment,
    with no call to match its hand-over overlaps."""
    cands, x = [], []
    for v in template.values():
        h, mm = (int(q) for q in v["start"].split(":"))
        cands.append(Candidate(h, float(v["hours"]) - (mm > 0) * 0.5))
        units = v["units"] if isinstance(v["units"], list) else [v["units"]] * 7
        x += [units[d] if DAYS[d] in v.get("days", DAYS) else 0 for d in range(7)]
    return half_hour_cover(cands, briefing) @ np.asarray(x, dtype=float)


class PatternSearch:
    """The search, on a planner (its search runs, seed, store and progress) and its result."""

    def __init__(self, planner: Planner, result: PlanResult, max_teams: int = rs.MAX_TEAMS,
                 overlay: rs.OverlayTour | None = None, unequal: bool = False):
        self.p, self.result = planner, result
        self.s = planner.s
        self.floor = floor_of(self.s)
        self.space = space_of(self.s, planner, result.proposed if result.meets else None, max_teams, overlay, unequal)
        self.cache: dict[tuple, tuple] = {}
        self.families: list[dict] = []
        self.tried: list[dict] = []

    def _target(self, shape: np.ndarray, k: float) -> np.ndarray:
        floor = self.floor if shape.size == self.floor.size else np.repeat(self.floor, 2)
        return np.maximum(np.ceil(k * shape - 1e-9), floor)

    def _build(self, shape_name: str, shape: np.ndarray, k: float) -> rs.Roster | None:
        roster, rows = rs.cheapest(self.space, self._target(shape, k))
        if not self.families:
            self.families = [{**r, "shape": shape_name, "k": k} for r in rows]
        return roster

    def _simulate(self, roster: rs.Roster, label: str) -> bool:
        key = self._key(roster)
        if key in self.cache:
            return self.cache[key][0]
        pat = roster.pattern(self.space.anchor, self.space.limits)
        sc = with_pattern(self.p.search_base, pat, handlers=self.p.handlers)
        res = self.p._experiment("search", {"": sc}, self.p.opts.search_reps)
        summary = res.result.summary
        met = _meets(summary)
        week = hd.pool_template(sc.response, sc.run.start_date)
        step = Step(label, week, roster.officer_hours, summary, met, roster.describe(), self.p.handlers,
                    hd.answering_ok(summary))
        self.p.steps.append(step)
        t = summary.set_index("kpi")["mean"]
        self.p.say(f"  {label}: {roster.officer_hours:,.0f} officer-hours ({roster.people} people), downgrades/week "
                   f"{t['resource_downgrades_per_week']:.1f}, G1 {t['g1_in_target']:.1%}, G2 {t['g2_in_target']:.1%}"
                   f" -> {'meets' if met else 'does not meet'} ({roster.describe()})")
        self.cache[key] = (met, roster)
        self.tried.append({"stage": label, "officer_hours": roster.officer_hours, "people": roster.people,
                           "meets": met, "pattern": roster.describe(),
                           "resource_downgrades_per_week": float(t["resource_downgrades_per_week"]),
                           "g1_in_target": float(t["g1_in_target"]), "g2_in_target": float(t["g2_in_target"])})
        return met

    def _bisect(self, name: str, shape: np.ndarray, lo: float, hi: float) -> list[tuple]:
        """(pattern, shape, k) that met, for k in [lo, hi] (hi raised until one meets, at most 1.5)."""
        met: list[tuple] = []
        roster = self._build(name, shape, hi)
        while roster is not None and not self._simulate(roster, f"pattern {name} x{hi:g}") and hi < 1.5:
            lo, hi = hi, round(hi + 0.1, 4)
            roster = self._build(name, shape, hi)
        if roster is None or not self.cache[self._key(roster)][0]:
            return met
        met.append((roster, name, hi))
        for _ in range(BISECTIONS):
            mid = round((lo + hi) / 2, 4)
            r = self._build(name, shape, mid)
            if r is None:
                lo = mid
                continue
            if self._simulate(r, f"pattern {name} x{mid:g}"):
                hi = mid
                met.append((r, name, mid))
            else:
                lo = mid
        return met

    def within(self, budget: float, steps: int = 8) -> rs.Roster | None:
        """The cheapest pattern covering the largest k x stage 1's requirement that fits ``budget``
        officer-hours a week (no simulation; None if even the floor does not fit)."""
        shape = self.result.requirement.rostered
        lo, hi, best = 0.0, 1.5, None
        for _ in range(steps):
            mid = (lo + hi) / 2
            r, _ = rs.cheapest(self.space, self._target(shape, mid))
            if r is not None and r.officer_hours <= budget + 1e-9:
                lo, best = mid, r
            else:
                hi = mid
        return best

    @staticmethod
    def _key(roster):
        return (tuple(roster.cycle), tuple(sorted(roster.teams.items())), tuple(sorted(roster.types.items())),
                roster.overlay)

    def run(self) -> PatternAnswer:
        s, o, say = self.s, self.p.opts, self.p.say
        req = self.result.requirement
        shapes = {"stage 1": req.rostered}
        if self.result.meets:
            shapes["template optimum"] = free_cover(self.result.proposed, self.p.briefing)
        sp = self.space
        extra = "" if sp.overlay is None else f", an overlay team on {sp.overlay.describe()} sized by the search"
        say(f"pattern 1/3: roster space ({len(sp.families)} families of tours as variable shift "
            f"arrangements of {sp.teams_range[0]}-{sp.teams_range[-1]} {'unequal' if sp.unequal else 'equal'} teams, "
            f"{len(sp.fixed)} fixed cycles{extra}; fatigue limits: "
            + ", ".join(f"{k} {v:g}" for k, v in self.space.limits.items()) + ")")
        for why in self.space.left_out:
            say(f"  left out: {why}")
        say(f"pattern 2/3: the cheapest pattern covering k x each shape, k by bisection on simulation "
            f"({o.search_days:g} days x {o.search_reps} replications, seed {self.p.seed})")
        met: list[tuple] = []
        met += self._bisect("stage 1", shapes["stage 1"], 0.6, 1.0)
        if "template optimum" in shapes:
            met += self._bisect("template optimum", shapes["template optimum"], 0.85, 1.0)
        ans = PatternAnswer(None, families=self.families, left_out=self.space.left_out, tried=self.tried,
                            template_hours=template_hours(self.result.proposed), anchor=self.space.anchor,
                            limits=self.space.limits)
        met = [m for m in met if not below_floor(m[0].cover, self.floor).size]
        if not met:
            say("  no pattern met the recommendation in the search runs")
            return ans
        met.sort(key=lambda m: m[0].officer_hours)
        say(f"pattern 3/3: final check over {s.run.days:g} days x {o.final_reps} replications, paired with "
            f"today's rota (seed {self.p.seed})")
        checked = set()
        candidates = [m[0] for m in met[:FINAL_TRIES]]
        # the short runs may pass a pattern the full length does not: then the next dearer one, or
        # the cheapest one's k raised by 5% at a time, whichever costs less
        roster, name, k = met[0]
        for step in range(1, RAISES + 1):
            r = self._build(name, shapes[name], round(k * (1 + 0.05 * step), 4))
            if r is not None and r.officer_hours > roster.officer_hours:
                candidates.append(r)
        candidates.sort(key=lambda r: r.officer_hours)
        for roster in candidates:
            if self._key(roster) in checked:
                continue
            checked.add(self._key(roster))
            pat = roster.pattern(self.space.anchor, self.space.limits)
            cmp_ = self.p._experiment("final", {"a": s, "b": with_pattern(s, pat, self.p.handlers,
                                                                          f"{s.meta.name}-planned-pattern")},
                                      o.final_reps)
            ok = _meets(cmp_.arms["b"].summary)
            t = cmp_.arms["b"].summary.set_index("kpi")["mean"]
            say(f"  {roster.officer_hours:,.0f} officer-hours: {'meets' if ok else 'does not meet'}: downgrades/week "
                f"{t['resource_downgrades_per_week']:.2f}, G1 {t['g1_in_target']:.1%}, G2 {t['g2_in_target']:.1%}"
                f" ({roster.describe()})")
            ans.roster, ans.final, ans.meets = roster, cmp_, ok
            if ok:
                break
        return ans
