"""``fit --calibrate-units``: the units per shift with which the back-test's dispatch delays match
the observed ones (extracts rarely hold staffing).

One scale per shift of the base's weekly template (a shift's units on every day times its scale,
rounded, at least 1). Each call is attributed to the shift that started most recently among those
on duty when it arrived; the target for a shift is the observed median call -> first dispatch of
its calls. The search: first one scale for all shifts, bisected on the log scale until the overall
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
    history: list = field(default_factory=list)   # (step, units, simulated medians)
    evaluations: int = 0


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
                    jobs: int = 1) -> Calibration:
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
    target_all = float(np.median(obs[use]))
    cal = Calibration({}, {}, target, {}, {n: int((use & (owner == n)).sum()) for n in names})
    cache: dict = {}

    def units_for(scales: dict) -> dict:
        return {n: _scaled(base[n], scales.get(n, 1.0)) for n in base}

    def evaluate(scales: dict, step: str) -> tuple[dict, float]:
        units = units_for(scales)
        key = tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in units.items()))
        if key not in cache:
            rp = replay(_with_units(s, units), reps, seed, warmup_hours, jobs=jobs)
            sim = rp.simulated["dispatch"]
            med = {n: _median(sim[:, use & (owner == n)]) for n in names}
            cache[key] = (med, _median(sim[:, use]))
            cal.evaluations += 1
            cal.history.append((step, units, med, cache[key][1]))
            say(f"  {step}: units {_show(units)} -> median dispatch delay {cache[key][1]:.1f} min "
                f"(observed {target_all:.1f})")
        return cache[key]

    # 1. one scale for every shift, on the overall median
    lo, hi = 1e-3, 4.0
    scale = _bisect(lambda x: evaluate({n: x for n in base}, "all shifts")[1] - target_all, lo, hi,
                    lambda x: units_for({n: x for n in base}))
    scales = {n: scale for n in base}
    # 2. each shift on its own calls' median, the others held
    for sweep in range(2):
        for n in names:
            def gap(x, n=n):
                return evaluate({**scales, n: x}, f"pass {sweep + 1}, {n}")[0][n] - target[n]
            scales[n] = _bisect(gap, scales[n] / 4, scales[n] * 4, lambda x, n=n: units_for({**scales, n: x}))
    cal.scales = scales
    cal.units = units_for(scales)
    cal.simulated = evaluate(scales, "calibrated")[0]
    return cal


def _scaled(units, scale: float):
    vals = [max(1, int(round(u * scale))) for u in units]
    return vals[0] if len(set(vals)) == 1 else vals


def _median(sim: np.ndarray) -> float:
    v = sim[np.isfinite(sim)]
    return float(np.median(v)) if v.size else math.inf


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
