"""What a CAD extract says about the control room's dispatch practice (issue 23): the dispatcher's
decision time, and the holds (call stacking) per priority code.

The evidence is the time from ready for dispatch (queue time) to the first dispatch of the incidents
that became ready while **no other incident was waiting for dispatch**: nothing else competes for a
unit then, so the time is the control room's own, not a queue's. Two parts are separated:

* **decision time**: the G1 incidents' times. A G1 is never held back on purpose, so its time is the
  dispatcher's own work (reading, choosing a unit, the radio call). Taken as the same for every
  grade [A: the extract cannot separate a lower grade's decision from its hold].
* **hold** per priority code (G2/G3 codes only): what, added to an independent decision time, gives
  that code's times (``deconvolve``: its quantiles corrected until the sum's match; the round-trip
  test recovers a known hold to within its sampling error).

The data argue for a *hold* (a distribution drawn per incident) over a free-units rule as the main
stacking mechanism: with nothing else waiting, P4 incidents still wait minutes to hours, which no
rule about free units can produce when units are free. The free-units rule
(``response.stacking.min_free``) stays available for a force that stacks only at peaks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.data.extract import Records
from sim.data.fit import MIN_FIT_ROWS, DurationFit, _code_key, fit_duration

MIN_ROWS = 20   # fewer quiet-time rows than this for a code: its hold is not fitted (the grade's is used)


@dataclass
class Practice:
    pending_at_ready: np.ndarray            # per demand row: other incidents waiting for dispatch when it became ready
    quiet: dict                             # priority -> ready -> dispatch times with nothing else waiting
    decision: DurationFit | None            # from the G1 codes' quiet times
    holds: dict                             # priority code -> DurationFit (G2/G3 codes with MIN_ROWS quiet rows)
    grade_holds: dict                       # "G2"/"G3" -> DurationFit over its codes' quiet rows
    grade_of: dict = field(default_factory=dict)   # priority code -> grade


def waiting_at(ready: np.ndarray, dispatched: np.ndarray) -> np.ndarray:
    """For each incident, how many others were ready and not yet dispatched when it became ready
    (intervals [ready, dispatched); NaN ready: counted as 0, and not counted for others)."""
    ok = ~np.isnan(ready) & ~np.isnan(dispatched)
    starts, ends = np.sort(ready[ok]), np.sort(dispatched[ok])
    t = np.where(ok, ready, -np.inf)
    n = np.searchsorted(starts, t, side="right") - np.searchsorted(ends, t, side="right")
    n = n - (ok & (dispatched > ready))      # not itself
    return np.where(ok, n, 0).astype(np.int64)


def fit_practice(rec: Records) -> Practice:
    d = rec.demand
    opts = rec.map.fit
    handling = d["handling"].to_numpy(float)
    ready = d["created"].to_numpy(float) + handling
    dispatched = d["created"].to_numpy(float) + d["dispatch"].to_numpy(float)
    others = waiting_at(ready, dispatched)
    wait = dispatched - ready
    prio = d["priority"].to_numpy(str)
    grade = d["grade"].to_numpy(str)
    quiet_rows = (others == 0) & ~np.isnan(wait) & (wait >= 0)
    grade_of = {p: str(grade[prio == p][0]) for p in sorted(set(prio), key=_code_key)}
    quiet = {p: wait[quiet_rows & (prio == p)] for p in grade_of}
    g1 = np.concatenate([quiet[p] for p, g in grade_of.items() if g == "G1"] or [np.zeros(0)])
    decision = fit_duration(g1, "decision time (G1, nothing else waiting)", opts, empirical=True) if g1.size >= MIN_FIT_ROWS else None
    holds, grade_holds = {}, {}
    for p, g in grade_of.items():
        if g in ("G2", "G3") and quiet[p].size >= MIN_ROWS:
            holds[p] = _hold(quiet[p], decision, f"hold P{p}", opts)
    for g in ("G2", "G3"):
        x = np.concatenate([quiet[p] for p, gg in grade_of.items() if gg == g] or [np.zeros(0)])
        if x.size >= MIN_ROWS:
            grade_holds[g] = _hold(x, decision, f"hold {g}", opts)
    return Practice(others, quiet, decision, holds, grade_holds, grade_of)


def _hold(quiet: np.ndarray, decision: DurationFit | None, what: str, opts) -> DurationFit:
    k = opts.empirical_points
    q = (np.arange(k) + 0.5) / k
    total = np.quantile(quiet, q)
    values = deconvolve(total, q, decision.values if decision is not None else None)
    table = {"family": "empirical", "values": [round(float(v), 3) for v in values]}
    return DurationFit(what, int(quiet.size), "empirical", table, float("nan"), float(np.median(values)),
                       float(np.quantile(values, 0.9)), values)


def deconvolve(total: np.ndarray, q: np.ndarray, decision: np.ndarray | None, iterations: int = 40) -> np.ndarray:
    """The hold's quantiles at ``q`` such that decision + hold (independent) has the quantiles
    ``total``: start from the difference of quantiles, then correct each quantile by what the
    convolution (Monte Carlo, fixed draws: the fit is deterministic) still misses, keeping them
    increasing and >= 0. Converges in a few tens of steps because the decision time is short
    against the hold."""
    if decision is None or decision.size == 0:
        return np.maximum(total, 0.0)
    hold = np.maximum(total - np.quantile(decision, q), 0.0)
    rng = np.random.default_rng(20230)
    d = rng.choice(np.asarray(decision, float), size=40_000)
    u = rng.random(40_000)
    for _ in range(iterations):
        conv = np.quantile(d + np.interp(u, q, hold), q)
        hold = np.maximum.accumulate(np.maximum(hold + (total - conv), 0.0))
    return hold
