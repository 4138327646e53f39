"""Stage 2: shifts that cover the rostered requirement at least officer-hours.

An integer program (``scipy.optimize.milp``, HiGHS): units per candidate shift (start hour x
length) and day of week, every hour of the week covered (a shift covers the whole hours inside
it; a Sunday night shift runs into Monday), with what a planner expects of a rota: at most K
distinct start times, at least a minimum on any shift that runs, tours no longer than the
fatigue limit. With an establishment (``officers``) the hours are fixed instead and the worst
shortfall against the requirement is made as small as it can be (then the total shortfall).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.scenario import DAYS, ScenarioError

HOURS = 168
MAX_TOUR_HOURS = 10.0


@dataclass(frozen=True)
class Candidate:
    start: int        # hour of day
    hours: float

    @property
    def name(self) -> str:
        return f"h{self.start:02d}_{self.hours:g}h".replace(".", "_")


@dataclass
class Design:
    """Units per shift and day (Mon..Sun), what they cover and what they cost."""
    units: dict[Candidate, list[int]]
    cover: np.ndarray                 # 168: rostered units on duty for the whole hour
    required: np.ndarray              # 168
    officer_hours: float              # rostered officer-hours a week
    status: str = ""
    names: dict[Candidate, str] = field(default_factory=dict)

    @property
    def shortfall(self) -> np.ndarray:
        return np.maximum(self.required - self.cover, 0)

    def template(self) -> dict[str, dict]:
        """The design as a weekly template: ``{name: {start, hours, units[7], days}}``."""
        out = {}
        for cand, units in sorted(self.units.items(), key=lambda kv: (kv[0].start, kv[0].hours)):
            if not any(units):
                continue
            days = [DAYS[d] for d in range(7) if units[d] > 0]
            out[self.names.get(cand, cand.name)] = {"start": f"{cand.start:02d}:00", "hours": cand.hours,
                                                    "units": list(units), "days": days}
        return out


def covered_hours(c: Candidate, day: int) -> list[int]:
    """Hours of the week a shift starting on ``day`` covers in full (wrapping past Sunday)."""
    return [(day * 24 + c.start + k) % HOURS for k in range(int(c.hours + 1e-9))]


def candidates(starts: list[int] | None, lengths: list[float], max_tour_hours: float = MAX_TOUR_HOURS) -> list[Candidate]:
    too_long = [h for h in lengths if h > max_tour_hours]
    if too_long:
        raise ScenarioError("plan", "--lengths", too_long, f"expected tours of at most {max_tour_hours:g} hours")
    bad = [h for h in lengths if h < 1]
    if bad:
        raise ScenarioError("plan", "--lengths", bad, "expected shift lengths of at least 1 hour")
    starts = list(range(24)) if starts is None else sorted(set(starts))
    if any(not 0 <= s < 24 for s in starts):
        raise ScenarioError("plan", "--starts", starts, "expected start hours 0..23")
    return [Candidate(s, float(h)) for s in starts for h in sorted(set(lengths))]


def half_hour_cover(cands: list[Candidate], briefing: float = 0.0) -> np.ndarray:
    """(336, 7 x candidates): the share of each half-hour of the week a unit on candidate i
    starting on day d (column ``i * 7 + d``) is on duty and past the ``briefing``."""
    halves = 2 * HOURS
    cover = np.zeros((halves, len(cands) * 7))
    for i, c in enumerate(cands):
        for d in range(7):
            first = 2 * (d * 24 + c.start)
            for k in range(int(2 * c.hours + 1e-9)):
                cover[(first + k) % halves, i * 7 + d] = 1.0 - min(max(briefing - 30.0 * k, 0.0), 30.0) / 30.0
    return cover


def design(required: np.ndarray, cands: list[Candidate], *, max_starts: int | None = None,
           min_per_shift: int = 1, officer_hours: float | None = None, time_limit: float = 60.0,
           gap: float = 0.01, briefing: float = 0.0, node_limit: int = 3000,
           floor: np.ndarray | None = None) -> Design:
    """Solve the integer program (``floor``: officers on duty every hour needs whatever the
    requirement or budget, a hard constraint); with at most K start times, if HiGHS finds no solution within
    its limits, the K starts carrying most officer-hours without that limit are kept and the
    program solved again over them (feasible whenever those starts cover every hour)."""
    kw = dict(min_per_shift=min_per_shift, officer_hours=officer_hours, time_limit=time_limit, gap=gap,
              briefing=briefing, node_limit=node_limit, floor=floor)
    try:
        return _solve(required, cands, max_starts=max_starts, **kw)
    except _NoSolution:
        if max_starts is None:
            raise _NoSolution.error() from None
    free = _solve(required, cands, max_starts=None, **kw)
    by_start: dict[int, float] = {}
    for c, units in free.units.items():
        by_start[c.start] = by_start.get(c.start, 0.0) + c.hours * sum(units)
    keep = _covering_starts(required if floor is None else np.maximum(required, floor), cands, sorted(by_start, key=lambda st: -by_start[st]), max_starts)
    try:
        return _solve(required, [c for c in cands if c.start in keep], max_starts=None, **kw)
    except _NoSolution:
        raise _NoSolution.error() from None


def _covering_starts(required: np.ndarray, cands: list[Candidate], ranked: list[int], k: int) -> list[int]:
    """At most ``k`` start times, by rank (officer-hours in the unrestricted answer), that still
    cover every hour needing units: each pick is the start covering most hours not yet covered."""
    needed = set(np.flatnonzero(np.asarray(required) > 0))
    reach = {st: {h for c in cands if c.start == st for d in range(7) for h in covered_hours(c, d)}
             for st in {c.start for c in cands}}
    order = ranked + [st for st in sorted(reach) if st not in ranked]
    keep: list[int] = []
    while needed and len(keep) < k:
        best = max(order, key=lambda st: (len(reach[st] & needed), -order.index(st)))
        if not reach[best] & needed:
            break
        keep.append(best)
        needed -= reach[best]
    return keep + [st for st in ranked if st not in keep][:k - len(keep)]


class _NoSolution(Exception):
    @staticmethod
    def error() -> ScenarioError:
        return ScenarioError("plan", "--max-starts/--min-per-shift/--lengths", None,
                             "no rota satisfies the constraints; allow more start times (--max-starts), "
                             "a lower minimum per shift, or other --lengths")


def _solve(required: np.ndarray, cands: list[Candidate], *, max_starts: int | None, min_per_shift: int,
           officer_hours: float | None, time_limit: float, gap: float, briefing: float,
           node_limit: int, floor: np.ndarray | None = None) -> Design:
    """Solve the integer program. ``officer_hours``: a fixed weekly budget (establishment x
    contracted hours) within which the worst hourly shortfall is minimised. Coverage is
    counted per half-hour, each needing its hour's requirement; a shift's units do not count
    during the ``briefing`` minutes at its start (without this, a hand-over with no overlap
    leaves nobody free while the incoming shift is briefed)."""
    required = np.asarray(required, dtype=float)
    floor = np.zeros(HOURS) if floor is None else np.asarray(floor, dtype=float)
    if officer_hours is None:
        required = np.maximum(required, floor)
    n = len(cands) * 7
    halves = 2 * HOURS
    cover = half_hour_cover(cands, briefing)
    need = np.repeat(required, 2)
    uncovered = np.flatnonzero(((need > 0) | (np.repeat(floor, 2) > 0)) & (cover.sum(axis=1) == 0))
    if uncovered.size:
        h = int(uncovered[0]) // 2
        raise ScenarioError("plan", "--starts/--lengths", f"{DAYS[h // 24]} {h % 24:02d}:00",
                            "no candidate shift covers this hour, which needs units; add start times or longer shifts")
    hours = np.repeat([c.hours for c in cands], 7)
    big = float(max(required.max(), floor.max(), 1.0))
    starts = sorted({c.start for c in cands})
    use_starts = max_starts is not None and max_starts < len(starts)
    n_y = len(starts) if use_starts else 0
    budget = officer_hours is not None
    n_s = HOURS + 1 if budget else 0     # per-hour shortfall, then the worst one
    total = n + n_y + n_s
    y0, s0 = n, n + n_y
    rows, lo, hi = [], [], []

    def row(coeffs: dict[int, float], low: float, high: float):
        r = np.zeros(total)
        for k, v in coeffs.items():
            r[k] += v
        rows.append(r), lo.append(low), hi.append(high)

    # coverage: A x (+ shortfall) >= required
    a = np.hstack([cover, np.zeros((halves, total - n))])
    if budget:
        a[np.arange(halves), s0 + np.arange(halves) // 2] = 1.0
    cons = [LinearConstraint(a, need, np.inf)]
    if budget:   # however short, someone on duty whenever work is expected, and the floor
        cons.append(LinearConstraint(np.hstack([cover, np.zeros((halves, total - n))]),
                                     np.maximum((need > 0).astype(float), np.repeat(floor, 2)), np.inf))
    if n_y:   # a shift may run only from a chosen start time; at most K of them
        for i, c in enumerate(cands):
            for d in range(7):
                tight = float(max(np.maximum(required, floor)[covered_hours(c, d)].max(), 1.0))
                row({i * 7 + d: 1.0, y0 + starts.index(c.start): -tight}, -np.inf, 0.0)
        row({y0 + j: 1.0 for j in range(n_y)}, 0.0, float(max_starts))
    if budget:
        row({k: hours[k] for k in range(n)}, 0.0, float(officer_hours))
        for h in range(HOURS):
            row({s0 + h: 1.0, s0 + HOURS: -1.0}, -np.inf, 0.0)
    if rows:
        cons.append(LinearConstraint(np.array(rows), lo, hi))
    cost = np.zeros(total)
    if budget:   # worst shortfall first, then the total, then (barely) hours
        cost[s0:s0 + HOURS] = 1.0
        cost[s0 + HOURS] = 1000.0
        cost[:n] = 1e-4 * hours
    else:
        cost[:n] = hours
    # units per shift: 0, or between the minimum and the largest requirement (semi-integer)
    integrality = np.concatenate([np.full(n, 3 if min_per_shift > 1 else 1), np.ones(n_y), np.zeros(n_s)])
    lower = np.concatenate([np.full(n, float(min_per_shift) if min_per_shift > 1 else 0.0), np.zeros(n_y + n_s)])
    upper = np.concatenate([np.full(n, big), np.ones(n_y), np.full(n_s, np.inf)])
    res = milp(cost, constraints=cons, integrality=integrality, bounds=Bounds(lower, upper),
               options={"time_limit": time_limit, "mip_rel_gap": gap, "disp": False, "node_limit": node_limit})
    if res.x is None:
        raise _NoSolution()
    x = np.rint(res.x[:n]).astype(int)
    units = {c: [int(v) for v in x[i * 7:(i + 1) * 7]] for i, c in enumerate(cands) if x[i * 7:(i + 1) * 7].any()}
    return Design(units, (cover @ x).reshape(HOURS, 2).min(axis=1), required, float(hours @ x), res.message)


def coverage_of(template: dict[str, dict]) -> np.ndarray:
    """Units on duty for the whole of each hour of the week, from a template's start/hours/units."""
    out = np.zeros(HOURS, dtype=int)
    for sh in template.values():
        h, m = (int(v) for v in sh["start"].split(":"))
        c = Candidate(h, float(sh["hours"]) - (m > 0))
        units = sh["units"] if isinstance(sh["units"], list) else [sh["units"]] * 7
        for d in range(7):
            if DAYS[d] in sh.get("days", DAYS):
                out[covered_hours(c, d)] += units[d]
    return out
