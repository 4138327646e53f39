"""Stage 3: check the proposed rota in the simulator and correct it.

The analytic requirement treats each hour as a stationary queue; the simulator knows about
re-grading, appointments, multi-unit jobs, breaks and hand-overs. So the proposal is run with
common random numbers (the same seed as the input scenario); in the hours where resource
downgrades happen or G1/G2 incidents wait unresourced, the requirement is raised and the shifts
re-solved (iterative staffing: Feldman, Mandelbaum, Massey & Whitt 2008). Once the
recommendation is met, units are trimmed shift by shift while it still holds. Searching uses
short runs; the answer is checked with the input scenario's own length and more replications.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from sim.experiment.summary import ExperimentResult
from sim.experiment.task import Plan
from sim.experiment.replications import execute, with_overrides
from sim.scenario import Scenario, ScenarioError, validate
from sim.plan import handlers as hd
from sim.plan import shifts as sh
from sim.plan.floor import below_floor, floor_of
from sim.plan.establishment import at_work, budget_hours, hours_per_person
from sim.plan.requirement import HOURS, Requirement, practice_assumptions, requirement
from sim.plan.store import PlanStore, arrays_from_json, arrays_to_json, digest

HEADLINE = ("meets_recommendation", "resource_downgrades_per_week", "high_risk_resource_downgrades",
            "g1_in_target", "g2_in_target", "g1_response_p90", "g2_response_p90", "pending_at_0700_mean",
            "unit_utilisation", "officer_hours_rostered", "overtime_hours")


@dataclass
class Options:
    """What the planner is asked for (the command line's options)."""
    search_days: float = 14.0
    search_reps: int = 10
    final_reps: int = 10
    lengths: list[float] | None = None          # None: the scenario's shift lengths
    starts: list[int] | None = None             # None: every hour
    max_starts: int | None = 4
    min_per_shift: int = 5
    officers: int | None = None
    max_iterations: int = 8
    max_trims: int = 24
    jobs: int | None = None
    seed: int | None = None
    solver_seconds: float = 120.0               # a safety net: the solver stops at a 1% gap or its node limit
    units_only: bool = False                    # True: today's call handlers are kept
    dask: str | None = None                     # a Dask scheduler for the simulations ('local' or tcp://HOST:PORT)


@dataclass
class Step:
    """One simulated rota of the search."""
    stage: str
    template: dict
    officer_hours: float
    summary: pd.DataFrame
    meets: bool
    note: str = ""
    handlers: dict | None = None     # the handlers' template simulated (None: today's)
    answering_ok: bool = True        # 999 and 101 answered within their targets


    def row(self) -> dict:
        t = self.summary.set_index("kpi")
        out = {"stage": self.stage, "officer_hours": self.officer_hours, "meets": self.meets, "note": self.note,
               "rota": _rota_text(self.template), "answering_ok": self.answering_ok,
               "handler_hours": None if self.handlers is None else template_hours(self.handlers),
               "handlers": "" if self.handlers is None else _rota_text(self.handlers)}
        for k in HEADLINE + tuple(hd.HANDLER_TARGETS):
            out[k] = t.loc[k, "mean"]
            out[f"{k}_ci_low"], out[f"{k}_ci_high"] = t.loc[k, "ci_low"], t.loc[k, "ci_high"]
        return out


@dataclass
class PlanResult:
    scenario: Scenario
    requirement: Requirement
    current: dict                    # today's template
    proposed: dict                   # the recommended template
    analytic: dict                   # stage 2's answer to stage 1's requirement, before simulation
    steps: list[Step] = field(default_factory=list)
    final: object = None             # ExperimentResult of compare(current, proposed)
    meets: bool = False
    scale_up: dict | None = None     # cheapest uniform scale-up of today's shifts that meets
    officers: int | None = None
    simulations: int = 0
    handlers_current: dict = field(default_factory=dict)
    handlers_proposed: dict | None = None   # None: today's handlers kept (--units-only, --officers)
    solver: list = field(default_factory=list)   # each integer program: pool, stage, status, hours

    def iterations(self) -> pd.DataFrame:
        return pd.DataFrame([s.row() for s in self.steps])


def _units_text(units) -> str:
    return "x".join(str(u) for u in units) if len(set(units)) > 1 else str(units[0])


def _rota_text(template: dict) -> str:
    return "; ".join(f"{n} {v['start']} {v['hours']:g}h {_units_text(v['units'])}" for n, v in template.items())


# ---------------------------------------------------------------------------- rota <-> scenario
def template_of(s: Scenario) -> dict:
    """Today's response rota as a weekly template (a team pattern: its average week, rounded)."""
    return hd.pool_template(s.response, s.run.start_date)


def with_template(s: Scenario, template: dict, name: str | None = None, handlers: dict | None = None) -> Scenario:
    """The scenario with its response rota replaced by ``template`` (a pattern is dropped), and
    its call handlers' by ``handlers`` if given."""
    return with_rota(s, "shifts", {k: dict(v) for k, v in template.items()}, name, handlers, "planned rota")


def with_rota(s: Scenario, kind: str, rota: dict, name: str | None, handlers: dict | None, what: str) -> Scenario:
    """The scenario with its response rota replaced: ``kind`` is "shifts" (a weekly template) or
    "pattern" (a team rota), and the other is dropped (a pool has one or the other)."""
    data = s.to_dict()
    data["response"].pop("pattern" if kind == "shifts" else "shifts", None)
    data["response"][kind] = rota
    if handlers is not None:
        data["call_handling"].pop("pattern", None)
        data["call_handling"]["shifts"] = hd.as_handler_shifts(handlers)
    if name:
        data["meta"]["name"] = name
    return validate(data, source=f"{s.meta.name} ({what})")


def template_hours(template: dict) -> float:
    return float(sum(v["hours"] * sum(v["units"]) for v in template.values()))


def _meets(summary: pd.DataFrame) -> bool:
    t = summary.set_index("kpi")["mean"]
    return bool(t["meets_recommendation"] == 1.0 and t["resource_downgrades_per_week"] == 0.0)


# ---------------------------------------------------------------------------- the planner
class Planner:
    """The three stages. With a ``store`` every step is kept in the plan folder as it finishes
    and looked up before it is computed (so a stopped plan resumes); ``progress`` is told the
    replications of each simulation step."""

    def __init__(self, s: Scenario, opts: Options, say: Callable[[str], None] = lambda _: None,
                 store: PlanStore | None = None, progress: Callable[[int], None] = lambda _: None):
        self.s, self.opts, self.say, self.store, self.progress = s, opts, say, store, progress
        self.seed = s.run.seed if opts.seed is None else opts.seed
        self.search_base = with_overrides(s, [f"run.days={opts.search_days:g}"])
        # the scenario's own lengths, capped at the fatigue limit; lengths asked for are checked
        lengths = opts.lengths or sorted({min(v["hours"], sh.MAX_TOUR_HOURS) for v in template_of(s).values()})
        self.cands = sh.candidates(opts.starts, lengths)
        self.handlers_current = hd.pool_template(s.call_handling, s.run.start_date)
        # handlers: one length, the longest of today's tours (capped): with two lengths the integer
        # program on the default reaches its time limit instead of its 1% gap, so it is not reproducible
        hlength = max((min(v["hours"], sh.MAX_TOUR_HOURS) for v in self.handlers_current.values()), default=lengths[-1])
        self.hcands = sh.candidates(opts.starts, [hlength])
        self.handlers: dict | None = None        # the handlers simulated (None: today's)
        self.solver: list[dict] = []
        self.sims = 0
        self.briefing = briefing_minutes(s)
        self.floor = floor_of(s)                 # officers on duty every hour needs, whatever demand says

    def _experiment(self, kind: str, scenarios: dict[str, Scenario], reps: int) -> ExperimentResult:
        """One simulation step (a run, or a paired compare of arms a and b), from the store if done."""
        arms = [{"name": n, "label": sc.meta.name, "values": {}} for n, sc in scenarios.items()]
        plan = Plan("run" if list(scenarios) == [""] else "compare", arms, self.seed, 0, reps)
        if self.store is None:
            res = execute(plan, scenarios, jobs=self.opts.jobs, dask=self.opts.dask)
        else:
            res = self.store.experiment(kind, plan, scenarios, self.opts.jobs, self.opts.dask)
        self.sims += reps * len(scenarios)
        self.progress(reps * len(scenarios))
        return res

    def simulations_up_front(self) -> int:
        """The most simulations (replications) the plan can run, said before it starts."""
        o = self.opts
        if o.officers is not None:
            return 2 * o.final_reps
        search = 1 + o.max_iterations + o.max_trims + 6   # analytic, raises, trims, scale-up (at most)
        search_final = 4                                  # the scale-up confirmed at full length
        checks = math.ceil(math.log2(o.max_trims + 2)) + 1   # bisection over the trims
        return search * o.search_reps + search_final * o.final_reps + checks * 2 * o.final_reps

    def _simulate(self, template: dict, stage: str, note: str = "", handlers=...) -> Step:
        """Simulate ``template`` on the search runs, with ``handlers`` (default: the planner's
        current handlers; None: today's)."""
        handlers = self.handlers if handlers is ... else handlers
        sc = with_template(self.search_base, template, handlers=handlers)
        res = self._experiment("search", {"": sc}, self.opts.search_reps)
        summary = res.result.summary
        step = Step(stage, template, template_hours(template), summary, _meets(summary), note, handlers,
                    hd.answering_ok(summary))
        step.profiles = res.result.profiles
        self.steps.append(step)
        t = summary.set_index("kpi")["mean"]
        self.say(f"  {stage}: {step.officer_hours:,.0f} officer-hours, downgrades/week "
                 f"{t['resource_downgrades_per_week']:.1f}, G1 {t['g1_in_target']:.1%}, G2 {t['g2_in_target']:.1%}"
                 f" -> {'meets' if step.meets else 'does not meet'}"
                 + ("" if self.opts.units_only or step.answering_ok else ", answering short of its targets")
                 + (f" ({note})" if note else ""))
        return step

    def _design(self, need: np.ndarray, cands=None, max_starts=None, budget=None, stage: str = "",
                pool: str = "units") -> dict:
        """Stage 2 for units (or, with ``pool="handlers"``, call handlers), from the store if solved."""
        units = pool == "units"
        cands = cands or (self.cands if units else self.hcands)
        kw = dict(max_starts=max_starts, min_per_shift=self.opts.min_per_shift if units else hd.MIN_PER_SHIFT,
                  officer_hours=budget, time_limit=self.opts.solver_seconds, briefing=self.briefing if units else 0.0)
        key = digest("design", [int(x) for x in need], [(c.start, c.hours) for c in cands], kw,
                     *([[int(x) for x in self.floor]] if units and self.floor.any() else []))
        if units and self.floor.any():
            kw["floor"] = self.floor
        saved = self.store.get("design", key) if self.store is not None else None
        if saved is None:
            d = sh.design(need, cands, **kw)
            saved = {"template": d.template(), "status": d.status, "officer_hours": d.officer_hours}
            if self.store is not None:
                self.store.put("design", key, saved)
        self.solver.append({"pool": pool, "stage": stage, "status": saved["status"],
                            "hours": saved["officer_hours"]})
        return _named(saved["template"], template_of(self.s) if units else self.handlers_current)

    def _requirement(self) -> Requirement:
        """Stage 1, from the store if computed."""
        hours = float(np.mean([c.hours for c in self.cands]))
        key = digest("requirement", self.s.to_dict(), hours)
        saved = self.store.get("requirement", key) if self.store is not None else None
        if saved is not None:
            try:
                return arrays_from_json(Requirement, saved)
            except (KeyError, TypeError, ValueError) as exc:
                raise self.store.damaged(self.store.steps / f"requirement-{key}.json", str(exc)) from None
        req = requirement(self.s, shift_hours=hours)
        if self.store is not None:
            self.store.put("requirement", key, arrays_to_json(req))
        return req

    def run(self) -> PlanResult:
        s, o = self.s, self.opts
        self.steps: list[Step] = []
        self.say("stage 1/3: requirement by hour of week (lagged load, priority M/M/c per hour)")
        for line in practice_assumptions(s):
            self.say(f"  stage 1 assumes: {line}")
        req = self._requirement()
        current = template_of(s)
        self.say(f"  {req.rostered.sum():,.0f} rostered unit-hours a week needed (peak {req.rostered.max()} units); "
                 f"today's rota has {template_hours(current):,.0f}")
        if o.officers is not None:
            return self._spread(req, current)
        self.say(f"stage 2/3: shift design (integer program, at most {o.max_starts or 'any'} start times, "
                 f"lengths {', '.join(f'{c:g}' for c in sorted({c.hours for c in self.cands}))} h, "
                 f"at least {o.min_per_shift} a shift)")
        analytic = self._design(req.rostered, max_starts=o.max_starts, stage="analytic")
        self.say(f"  {template_hours(analytic):,.0f} officer-hours a week: " +
                 ", ".join(f"{v['start']} {v['hours']:g}h" for v in analytic.values()))
        fixed = _fixed_starts(self.cands, analytic)
        if not o.units_only:
            self.handlers = self._design(req.handlers_rostered, max_starts=o.max_starts, stage="analytic",
                                         pool="handlers")
            self.say(f"  call handlers: {template_hours(self.handlers):,.0f} handler-hours a week (today "
                     f"{template_hours(self.handlers_current):,.0f}): " +
                     ", ".join(f"{v['start']} {v['hours']:g}h" for v in self.handlers.values()))
            hfixed = _fixed_starts(self.hcands, self.handlers)
        self.say(f"stage 3/3: simulation refinement ({o.search_days:g} days x {o.search_reps} replications "
                 f"per rota while searching, seed {self.seed})")
        need, hneed = req.rostered.copy(), req.handlers_rostered.copy()

        def ok(st: Step) -> bool:
            return st.meets and (o.units_only or st.answering_ok)

        step = self._simulate(analytic, "analytic", "stage 1 + 2 answer")
        best = step if ok(step) else None
        for it in range(1, o.max_iterations + 1):
            if ok(step):
                break
            template, notes = step.template, []
            if not step.meets:
                raise_in = self._short_hours(step)
                if not raise_in.any():
                    raise_in[:] = True           # no hour stands out: raise everywhere a little
                need = need + np.where(raise_in, np.maximum(1, np.ceil(0.05 * need)).astype(int), 0)
                template = self._design(need, cands=fixed, stage=f"raise {it}")
                notes.append(f"raised {int(raise_in.sum())} hours")
            if not o.units_only and not step.answering_ok:
                raise_in = hd.short_hours(step.summary, step.profiles)
                hneed = hneed + np.where(raise_in, np.maximum(1, np.ceil(0.05 * hneed)).astype(int), 0)
                self.handlers = self._design(hneed, cands=hfixed, stage=f"raise {it}", pool="handlers")
                notes.append(f"raised handlers in {int(raise_in.sum())} hours")
            step = self._simulate(template, f"raise {it}", "; ".join(notes))
            if ok(step):
                best = step
        if best is None and any(st.meets for st in self.steps):
            best = [st for st in self.steps if st.meets][-1]
            self.say("  the answering targets were not met within the iterations; trimming the last rota that meets")
        if best is not None:
            self.handlers = best.handlers
        if best is None:
            self.say("  the recommendation was not met within the iterations; reporting the closest rota")
            closest = min(self.steps, key=lambda st: (st.summary.set_index("kpi").loc["resource_downgrades_per_week", "mean"],
                                                      st.officer_hours))
            proposed = closest.template
            self.handlers = closest.handlers
            options = [proposed]
        else:
            options = self._trim(best)
        scale = self._scale_up(current)
        result = PlanResult(s, req, current, options[-1], analytic, self.steps, scale_up=scale,
                            handlers_current=self.handlers_current, handlers_proposed=self.handlers)
        return self._final(result, options)

    def _short_hours(self, step: Step) -> np.ndarray:
        """Hours of the week where downgrades happened or G1/G2 waited unresourced, and the hour
        before each (congestion builds before the incident is downgraded)."""
        p = step.profiles
        dg = p[p["profile"] == "resource_downgrades"].groupby("x")["value"].mean().reindex(range(HOURS), fill_value=0)
        pend = p[p["profile"] == "pending"].groupby("x")["value"].mean()
        pend_h = pend.groupby(np.floor(pend.index.to_numpy(float)).astype(int)).max().reindex(range(HOURS), fill_value=0)
        bad = (dg.to_numpy() > 0) | (pend_h.to_numpy() >= 0.5)
        return bad | np.roll(bad, -1)

    def _trim(self, best: Step) -> list[dict]:
        """Remove units shift by shift while it still meets: 10% of a shift (at least one a
        day), then 5%, then 2%, passing over the shifts until none can lose any (a shift whose
        cut failed is not cut again at that size), at most ``max_trims`` simulations. Returns
        the rotas accepted, the leanest last."""
        accepted = [best.template]
        template = best.template
        tries = 0
        for share in (0.10, 0.05, 0.02):
            progress, failed = True, set()
            while progress and tries < self.opts.max_trims:
                progress = False
                for name in sorted(template, key=lambda k: -template[k]["hours"] * sum(template[k]["units"])):
                    if tries >= self.opts.max_trims:
                        break
                    if name in failed:       # this cut failed once: try the next size down instead
                        continue
                    v = template[name]
                    cut = [max(u - max(1, math.ceil(share * u)), self.opts.min_per_shift) if u > 0 else 0
                           for u in v["units"]]
                    if cut == v["units"]:
                        continue
                    trial = {**template, name: {**v, "units": cut}}
                    if below_floor(sh.coverage_of(trial), self.floor).size:
                        continue                 # the minimum on duty is a hard floor
                    tries += 1
                    if self._simulate(trial, f"trim {name} -{share:.0%}").meets:
                        template, progress = trial, True
                        accepted.append(trial)
                    else:
                        failed.add(name)
        return accepted

    def _scale_up(self, current: dict) -> dict | None:
        """The cheapest uniform scale-up (every shift x k, rounded up) of today's response rota
        that meets, by bisection on k over the search runs. The call handlers are the plan's, so
        the comparison is of the response rotas alone."""
        def scaled(k):
            return {n: {**v, "units": [math.ceil(u * k) for u in v["units"]]} for n, v in current.items()}
        lo, hi = 1.0, 3.0
        step = self._simulate(scaled(hi), f"scale x{hi:g}", "uniform scale-up")
        if not step.meets:
            return None
        best = (hi, step)
        for _ in range(5):
            mid = round((lo + hi) / 2, 4)
            step = self._simulate(scaled(mid), f"scale x{mid:g}", "uniform scale-up")
            if step.meets:
                hi, best = mid, (mid, step)
            else:
                lo = mid
        # the search runs are short: confirm with the final check's length and replications,
        # stepping up by 1/16 until it holds (so the comparison with the plan is like for like)
        factor = best[0]
        for _ in range(4):
            template = scaled(factor)
            res = self._experiment("scale", {"": with_template(self.s, template, handlers=self.handlers)},
                                   self.opts.final_reps)
            met = _meets(res.result.summary)
            self.say(f"  scale x{factor:g} checked over {self.s.run.days:g} days x {self.opts.final_reps} replications: "
                     f"{template_hours(template):,.0f} officer-hours, {'meets' if met else 'does not meet'}")
            if met:
                return {"factor": factor, "template": template, "officer_hours": template_hours(template),
                        "confirmed": True}
            factor = round(factor + 0.0625, 4)
        return {"factor": best[0], "template": best[1].template, "officer_hours": best[1].officer_hours,
                "confirmed": False}

    def _spread(self, req: Requirement, current: dict) -> PlanResult:
        o, s = self.opts, self.s
        budget = budget_hours(o.officers, s)
        if budget < HOURS:
            raise ScenarioError("plan", "--officers", o.officers,
                                f"{budget:g} officer-hours a week cannot keep one officer on duty every hour; "
                                "expected a larger establishment")
        self.say(f"stage 2/3: best spread of {o.officers} officers ({budget:,.0f} officer-hours a week at "
                 f"{hours_per_person(s):g} h each, ~{at_work(o.officers, s):,.0f} at work after abstraction; "
                 f"at most {o.max_starts or 'any'} start times): worst hourly shortfall minimised")
        try:
            spread = self._design(req.rostered, max_starts=o.max_starts, budget=budget, stage="spread")
        except ScenarioError:
            raise ScenarioError("plan", "--officers", o.officers,
                                f"{budget:g} officer-hours a week cannot keep one officer (on a shift of at least "
                                f"{o.min_per_shift}) on duty every hour; expected a larger establishment") from None
        cover = sh.coverage_of(spread)
        gap = np.maximum(req.rostered - cover, 0)
        self.say(f"  {template_hours(spread):,.0f} officer-hours used; worst shortfall {gap.max()} units "
                 f"({int((gap > 0).sum())} hours short of the requirement)")
        result = PlanResult(s, req, current, spread, spread, self.steps, officers=o.officers,
                            handlers_current=self.handlers_current)
        self.say("stage 3/3: simulation check of the spread")
        return self._final(result, [spread])

    def _final(self, result: PlanResult, options: list[dict]) -> PlanResult:
        """Check with the input scenario's run length and ``final_reps`` replications, paired with
        today's rota. ``options`` run from the first rota that met in the search to the leanest
        trim; a trim that passed only the short search runs may fail here, so the leanest option
        that passes is found by bisection (at most ~log2(n) + 1 checks)."""
        s, o = self.s, self.opts
        checked: dict[int, tuple] = {}

        def check(i: int) -> bool:
            template = options[i]
            self.say(f"  final check of {template_hours(template):,.0f} officer-hours (option {i + 1} of "
                     f"{len(options)}): {s.run.days:g} days x {o.final_reps} replications, paired with today's "
                     f"rota (seed {self.seed})")
            cmp_ = self._experiment("final", {"a": s, "b": with_template(s, template, f"{s.meta.name}-planned",
                                                                         handlers=self.handlers)}, o.final_reps)
            met = _meets(cmp_.arms["b"].summary)
            t = cmp_.arms["b"].summary.set_index("kpi")["mean"]
            self.say(f"  {'meets' if met else 'does not meet'}: downgrades/week {t['resource_downgrades_per_week']:.2f}, "
                     f"G1 {t['g1_in_target']:.1%}, G2 {t['g2_in_target']:.1%}, met in "
                     f"{t['meets_recommendation']:.0%} of replications")
            checked[i] = (cmp_, met)
            return met

        lo, hi = 0, len(options) - 1
        if len(options) > 1 and check(hi):
            lo = hi
        else:
            hi -= 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if check(mid):
                    lo = mid
                else:
                    hi = mid - 1
        if lo not in checked:
            check(lo)
        cmp_, met = checked[lo]
        result.final, result.proposed, result.meets = cmp_, options[lo], met
        result.simulations = self.sims
        result.solver = self.solver
        return result


def briefing_minutes(s: Scenario) -> float:
    """Minutes at the start of every shift its units are not free for incidents (blocks due
    at once, e.g. the briefing)."""
    return float(sum(b.minutes for b in s.response.non_incident.values() if b.after_hours == 0 and b.spread_hours == 0))


def _fixed_starts(cands: list, template: dict) -> list:
    """The candidates starting when the template's shifts start (raises keep the start times)."""
    starts = {int(v["start"][:2]) for v in template.values()}
    return [c for c in cands if c.start in starts]


def _named(template: dict, current: dict) -> dict:
    """Give a proposed shift the name of today's shift with the same start and length."""
    same = {(v["start"], float(v["hours"])): n for n, v in current.items()}
    out = {}
    for n, v in template.items():
        out[same.get((v["start"], float(v["hours"])), n)] = v
    return out

