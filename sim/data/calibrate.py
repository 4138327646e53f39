"""``fit --calibrate-units``: the units per shift with which the back-test's dispatch delays match
the observed ones (extracts rarely hold staffing).

One scale per shift of the base's weekly template (a shift's units on every day times its scale,
rounded, at least 1). Each call is attributed to the shift that started most recently among those
on duty when it arrived; the target for a shift is its calls' observed call -> first dispatch: the
median alone (``tails=False``, a scenario without holds: waiting for a unit is then the only way a
call waits, and the median says how many units there are), or the median and the p90 together
(``tails=True``, the gap being the mean of the two log-ratios simulated / observed: once the
control room's holds are in the model, holds set the median and the units set the tail). The search: first one scale for all shifts, bisected on the log scale until the overall
median matches; then each shift's own scale bisected in turn (two passes), the others held. Every
evaluation replays the same trace with the same seed and replications (common random numbers), so
a change in the medians is the units' doing, not noise. The remaining distance per grade is in the
back-test that follows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.scenario.rota import shift_instances
from sim.scenario import Scenario, ScenarioError, validate
from sim.scenario.base import _NO_VALUE
from sim.data.backtest import replay


@dataclass
class Calibration:
    units: dict                   # shift -> units (an int, or 7 ints Mon..Sun)
    scales: dict                  # shift -> scale of the base's units
    observed: dict                # shift -> observed median dispatch delay of its calls
    simulated: dict               # shift -> simulated median with the calibrated units
    n_calls: dict                 # shift -> calls attributed
    history: list = field(default_factory=list)   # (step, units, simulated medians, overall median)
    evaluations: int = 0
    tails: bool = False           # calibrated on the p90s as well as the medians
    observed_p90: dict = field(default_factory=dict)
    simulated_p90: dict = field(default_factory=dict)


@dataclass
class Preemption:
    """The share of G1s with no unit free whose controller takes a busy unit, calibrated so the
    replayed G1s' p90 call -> first dispatch matches the observed (the extract holds no unit ids,
    so a pre-emption cannot be seen in it, only its effect: G1s dispatched in minutes whatever the load)."""
    probability: float
    observed_p90: float
    simulated_p90: float
    preempted: float              # units taken for the grade's incidents per replication, at that probability
    g1_calls: int                 # calls of the grade calibrated on
    history: list = field(default_factory=list)   # (probability, simulated p90)
    grade: str = "G1"


def attribute_shifts(s: Scenario, arrival: np.ndarray) -> np.ndarray:
    """For each arrival (minutes), the name of the latest-starting shift on duty ('' if none)."""
    out = np.full(arrival.size, "", dtype=object)
    best = np.full(arrival.size, -np.inf)
    for inst in shift_instances(s.response, s.run.days * 1440.0 + s.run.warmup_days * 1440.0, s.run.start_date):
        m = (arrival >= inst.start) & (arrival < inst.end) & (inst.start > best)
        out[m] = inst.name
        best[m] = inst.start
    return out


def _with_units(s: Scenario, units: dict) -> Scenario:
    data = s.to_dict()
    for name, u in units.items():
        data["response"]["shifts"][name]["units"] = u
    return validate(data, source=s.meta.name)


def calibrate_units(s: Scenario, reps: int, seed: int, warmup_hours: float, say=lambda msg: None,
                    jobs: int = 1, tails: bool = False) -> Calibration:
    """``s``: a replay scenario (``backtest.replay_scenario``) whose base rota is a weekly template."""
    if s.response.pattern is not None or not s.response.shifts:
        raise ScenarioError(s.meta.name, "response.shifts", _NO_VALUE,
                            "--calibrate-units scales a weekly template's shifts; this scenario's response rota is a "
                            "team pattern (calibrate its team sizes by hand, or give a --base with response.shifts)")
    base = {name: sh.units for name, sh in s.response.shifts.items()}
    probe = replay(s, 1, seed, warmup_hours)   # the observed side and the arrivals (cheap: one replication)
    obs = probe.observed["dispatch"]
    use = probe.compared & ~np.isnan(obs)
    owner = attribute_shifts(s, probe.arrival)
    names = [n for n in base if (use & (owner == n)).sum() >= 20]
    if not names:
        raise ScenarioError(s.meta.name, "response.shifts", _NO_VALUE, "no shift has 20 or more observed calls to calibrate on")
    target = {n: float(np.median(obs[use & (owner == n)])) for n in names}
    target90 = {n: float(np.quantile(obs[use & (owner == n)], 0.9)) for n in names}
    target_all = float(np.median(obs[use]))
    target_all90 = float(np.quantile(obs[use], 0.9))
    cal = Calibration({}, {}, target, {}, {n: int((use & (owner == n)).sum()) for n in names}, tails=tails,
                      observed_p90=target90)
    cache: dict = {}

    def units_for(scales: dict) -> dict:
        return {n: _scaled(base[n], scales.get(n, 1.0)) for n in base}

    def evaluate(scales: dict, step: str) -> tuple[dict, float]:
        units = units_for(scales)
        key = tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in units.items()))
        if key not in cache:
            rp = replay(_with_units(s, units), reps, seed, warmup_hours, jobs=jobs)
            sim = rp.simulated["dispatch"]
            med = {n: _quantile(sim[:, use & (owner == n)], 0.5) for n in names}
            p90 = {n: _quantile(sim[:, use & (owner == n)], 0.9) for n in names}
            cache[key] = (med, _quantile(sim[:, use], 0.5), p90, _quantile(sim[:, use], 0.9))
            cal.evaluations += 1
            cal.history.append((step, units, med, cache[key][1]))
            say(f"  {step}: units {_show(units)} -> dispatch delay median {cache[key][1]:.1f} min, p90 "
                f"{cache[key][3]:.1f} (observed {target_all:.1f}, {target_all90:.1f})")
        return cache[key]

    def gap_all(x):
        r = evaluate({n: x for n in base}, "all shifts")
        return _gap(r[1], target_all, r[3], target_all90, tails)

    # 1. one scale for every shift, on all calls
    lo, hi = 1e-3, 4.0
    scale = _bisect(gap_all, lo, hi, lambda x: units_for({n: x for n in base}))
    scales = {n: scale for n in base}
    # 2. each shift on its own calls, the others held
    for sweep in range(2):
        for n in names:
            def gap(x, n=n):
                r = evaluate({**scales, n: x}, f"pass {sweep + 1}, {n}")
                return _gap(r[0][n], target[n], r[2][n], target90[n], tails)
            scales[n] = _bisect(gap, scales[n] / 4, scales[n] * 4, lambda x, n=n: units_for({**scales, n: x}))
    cal.scales = scales
    cal.units = units_for(scales)
    final = evaluate(scales, "calibrated")
    cal.simulated, cal.simulated_p90 = final[0], final[2]
    return cal


def _gap(sim50: float, obs50: float, sim90: float, obs90: float, tails: bool) -> float:
    """Simulated against observed, decreasing in units: the median's difference, or with ``tails``
    the mean of the median's and the p90's log-ratios (each counts alike, whatever its size)."""
    if not tails:
        return sim50 - obs50
    return 0.5 * (_log_ratio(sim50, obs50) + _log_ratio(sim90, obs90))


def _log_ratio(sim: float, obs: float) -> float:
    if not math.isfinite(sim):
        return math.inf
    return math.log(max(sim, 1e-3) / max(obs, 1e-3))


SHARE_KEY = {"G1": "probability", "G2": "probability_g2"}


def calibrate_preemption(s: Scenario, reps: int, seed: int, warmup_hours: float, say=lambda msg: None,
                         jobs: int = 1, grade: str = "G1") -> Preemption:
    """Bisect the pre-emption share of ``grade`` (G1: ``probability``, G2: ``probability_g2``) on
    that grade's p90 call -> first dispatch: more pre-emption, shorter waits for it. 1 if even that
    leaves its tail too long, 0 if none is needed."""
    key = SHARE_KEY[grade]
    probe = replay(s, 1, seed, warmup_hours)
    g1 = probe.compared & (probe.grade == grade) & ~np.isnan(probe.observed["dispatch"])
    if g1.sum() < 20:
        raise ScenarioError(s.meta.name, f"response.preemption.{key}", _NO_VALUE,
                            f"fewer than 20 {grade} calls to calibrate pre-emption on")
    target = float(np.quantile(probe.observed["dispatch"][g1], 0.9))
    hist: list = []
    runs: dict = {}

    def evaluate(p: float) -> float:
        data = s.to_dict()
        data["response"]["preemption"].update({"enabled": True, key: p})
        rp = replay(validate(data, source=s.meta.name), reps, seed, warmup_hours, jobs=jobs)
        v = _quantile(rp.simulated["dispatch"][:, g1], 0.9)
        runs[p] = rp
        hist.append((p, v))
        say(f"  pre-emption share for {grade}s {p:.3f} -> {grade} p90 call -> first dispatch {v:.2f} min "
            f"(observed {target:.2f})")
        return v - target

    lo, hi = 0.0, 1.0
    flo, fhi = evaluate(lo), evaluate(hi)
    if flo <= 0:
        best = lo
    elif fhi >= 0:
        best = hi
    else:
        for _ in range(6):
            mid = round((lo + hi) / 2, 4)
            fm = evaluate(mid)
            if fm > 0:
                lo, flo = mid, fm
            else:
                hi, fhi = mid, fm
        best = lo if abs(flo) < abs(fhi) else hi
    rp = runs[best]
    return Preemption(best, target, dict(hist)[best], float(np.mean(rp.preemptions[grade])), int(g1.sum()), hist, grade)


@dataclass
class RankLead:
    """How strictly the force serves a grade's more urgent code first (``response.rank_lead_minutes``),
    calibrated so the replayed calls of those codes (rank 0 in a grade that has ranked codes: P3
    beside P4) have the observed p90 call -> first dispatch. Strict precedence gives them the
    shortest tail, none (first come, first served) the longest; the extract cannot show the order a
    controller chose in, only its effect."""
    minutes: float | None         # None: strictly by rank
    observed_p90: float
    simulated_p90: float
    calls: int
    codes: list                   # the priority codes calibrated on
    history: list = field(default_factory=list)   # (minutes or None, simulated p90)


STRICT = None
LEAD_RANGE = (1.0, 10_080.0)      # minutes: from a minute to a week (beyond it, strict in practice)


def calibrate_rank_lead(s: Scenario, reps: int, seed: int, warmup_hours: float, say=lambda msg: None,
                        jobs: int = 1) -> RankLead | None:
    """Bisect the rank lead (log scale, LEAD_RANGE) on the p90 of the urgent codes of ranked grades;
    strict when even strict precedence leaves their tail too long, 0 when even first come, first
    served leaves it too short. None when no grade has ranked codes or they have fewer than 20 calls."""
    probe = replay(s, 1, seed, warmup_hours)
    if probe.rank is None or not (probe.rank > 0).any():
        return None
    ranked = set(probe.grade[probe.rank > 0])
    rows = probe.compared & (probe.rank == 0) & np.isin(probe.grade, list(ranked)) & ~np.isnan(probe.observed["dispatch"])
    if rows.sum() < 20:
        return None
    codes = sorted(set(probe.priority[rows]))
    target = float(np.quantile(probe.observed["dispatch"][rows], 0.9))
    hist: list = []

    def evaluate(lead: float | None) -> float:
        data = s.to_dict()
        data["response"]["rank_lead_minutes"] = lead
        rp = replay(validate(data, source=s.meta.name), reps, seed, warmup_hours, jobs=jobs)
        v = _quantile(rp.simulated["dispatch"][:, rows], 0.9)
        hist.append((lead, v))
        say(f"  rank lead {'strict' if lead is None else f'{lead:.0f} min'} -> priority {'/'.join(codes)} p90 call -> "
            f"first dispatch {v:.1f} min (observed {target:.1f})")
        return v - target

    def done(lead, v):
        return RankLead(lead, target, v + target, int(rows.sum()), codes, hist)

    f_strict = evaluate(STRICT)
    if f_strict >= 0:
        return done(STRICT, f_strict)
    f0 = evaluate(0.0)
    if f0 <= 0:
        return done(0.0, f0)
    lo, hi = LEAD_RANGE                 # f(lo) > 0 > f(hi) assumed between the ends just measured
    flo, fhi = evaluate(lo), evaluate(hi)
    if flo <= 0:
        return done(0.0, f0) if abs(f0) < abs(flo) else done(lo, flo)
    if fhi >= 0:
        return done(hi, fhi) if abs(fhi) < abs(f_strict) else done(STRICT, f_strict)
    for _ in range(7):
        mid = round(math.sqrt(lo * hi), 1)
        fm = evaluate(mid)
        if fm > 0:
            lo, flo = mid, fm
        else:
            hi, fhi = mid, fm
    return done(lo, flo) if abs(flo) < abs(fhi) else done(hi, fhi)


def _scaled(units, scale: float):
    vals = [max(1, int(round(u * scale))) for u in units]
    return vals[0] if len(set(vals)) == 1 else vals


def _quantile(sim: np.ndarray, q: float) -> float:
    v = sim[np.isfinite(sim)]
    return float(np.quantile(v, q)) if v.size else math.inf


def _show(units: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in units.items())


def _bisect(f, lo: float, hi: float, units_of, steps: int = 12) -> float:
    """Where the decreasing ``f`` (delay gap; more units -> shorter delays) crosses 0, on the log
    scale; stops when the rounded units no longer change. Returns the end with the smaller |f|."""
    flo, fhi = f(lo), f(hi)
    if flo <= 0:
        return lo
    if fhi >= 0:
        return hi
    for _ in range(steps):
        mid = math.sqrt(lo * hi)
        if units_of(mid) in (units_of(lo), units_of(hi)):
            break
        fm = f(mid)
        if fm > 0:
            lo, flo = mid, fm
        else:
            hi, fhi = mid, fm
    return lo if abs(flo) < abs(fhi) else hi


def calibrate_all(write, tails: bool, reps: int, seed: int, warmup: float, say, jobs: int, source: str, tag: str):
    """Units per shift, then the rank lead (where the map ranks codes within a grade), then the G1s'
    and the G2s' pre-emption shares, in two rounds (the shares change how many units the tails need,
    and the units how much pre-emption the G1s need). Units are first calibrated with every G1
    taking a busy unit when none is free, no G2 doing so and ranks strict.
    ``write(units, note, shares, rank_lead)`` writes the fitted scenario with them (each value with
    its note: ``shares`` the pre-emption shares, ``rank_lead`` the lead) and returns its replay
    scenario; ``tails``: calibrate units on the p90 as well (holds fitted)."""
    what = "median and p90" if tails else "median"
    shares = {"probability": (1.0, "[D: provisional, while units are calibrated]"),
              "probability_g2": (0.0, "[D: provisional, while units are calibrated]")}
    s = write(shares=shares)
    first = {k: sh.units[0] for k, sh in s.response.shifts.items()}    # the base's, for the notes
    units = note = cal = lead = written_lead = None
    pre = {}
    for rnd in (1, 2):
        say(f"round {rnd}: units per shift")
        cal = calibrate_units(s, reps, seed, warmup, say, jobs=jobs, tails=tails)
        note = (f"[D: calibrated by triage-sim fit --calibrate-units on {source} ({tag}): units per shift with which "
                f"the replayed calls' {what} call -> first dispatch match the observed, {reps} replications, seed {seed}]")
        units = {k: (v, f"[D: calibrated, x{(v if isinstance(v, int) else v[0]) / first[k]:.3f} of the base's; its calls' observed dispatch "
                     f"median {cal.observed.get(k, math.nan):.1f} min, p90 {cal.observed_p90.get(k, math.nan):.1f}; "
                     f"simulated {cal.simulated.get(k, math.nan):.1f}, {cal.simulated_p90.get(k, math.nan):.1f}]")
                 for k, v in cal.units.items()}
        s = write(units, note, shares, written_lead)
        say(f"round {rnd}: the rank lead within a grade, on its urgent codes' p90")
        lead = calibrate_rank_lead(s, reps, seed, warmup, say, jobs=jobs)
        if lead is not None:
            written_lead = (lead.minutes, f"[D: calibrated by triage-sim fit --calibrate-units: the replayed "
                                f"priority {'/'.join(lead.codes)} calls' p90 call -> first dispatch {lead.simulated_p90:.1f} "
                                f"min against {lead.observed_p90:.1f} observed (n={lead.calls:,}); "
                                + ("strict: served before every lower-ranked call of the grade]" if lead.minutes is None
                                   else "served before lower-ranked calls of the grade that became ready less than this "
                                   "long before them]"))
            s = write(units, note, shares, written_lead)
        for grade, key in (("G1", "probability"), ("G2", "probability_g2")):
            say(f"round {rnd}: the {grade}s' pre-emption share, on their p90")
            p = pre[grade] = calibrate_preemption(s, reps, seed, warmup, say, jobs=jobs, grade=grade)
            shares[key] = (round(p.probability, 4), f"[D: calibrated by triage-sim fit --calibrate-units: the replayed "
                           f"{grade}s' p90 call -> first dispatch {p.simulated_p90:.2f} min against {p.observed_p90:.2f} "
                           f"observed (n={p.g1_calls:,}); {p.preempted:.0f} units taken from other work for them per replay]")
            s = write(units, note, shares, written_lead)
    cal.scales = {k: (v if isinstance(v, int) else v[0]) / first[k] for k, v in cal.units.items()}   # of the base's
    return cal, units, note, pre, shares, lead
