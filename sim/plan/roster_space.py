"""Roster space: the team patterns ``plan --pattern`` chooses from, and the cheapest of them
covering a target by hour of week (no simulation; ``roster_search.py`` judges them).

Two kinds of pattern:

- **variable shift arrangements** (VSA): T teams of m officers on a 7T-day cycle, team k a
  week behind team k-1 (the 5-week VSA's construction), so on each weekday the T teams stand
  on the T cells of that weekday's column and a shift's head-count that day is m x its cells
  in the column. Which tours fill the columns is an integer program (``scipy.optimize.milp``):
  the fewest officer-hours covering the target every half-hour (each tour's briefing not
  counted, as in stage 2), every team working the contracted hours a week ± ``HOURS_BAND``
  over the cycle. It runs over families of shift types (8-hour earlies, lates and nights;
  10-hour tours with a late or "power" tour over the evening peak; the template optimum's own
  start times), T from ``MIN_TEAMS`` to ``MAX_TEAMS``, and the smallest m that covers; the
  cells are then ordered into a cycle within the fatigue limits (``pattern._arrange``).
- **fixed cycles**: those shipped in ``scenarios/patterns/`` (2-2-2, 4-on-4-off, the 5-week
  VSA), at the team size that covers the target. A cycle whose tours break the scenario's
  fatigue limits (4-on-4-off's 12-hour tours against a 10-hour limit) is left out, and said.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.plan.pattern import CODES, _arrange
from sim.plan.shifts import Candidate, half_hour_cover
from sim.scenario import REST, Pattern, ScenarioError
from sim.scenario.rota import fatigue_problem, headcount, hours_per_week

HOURS = 168
MIN_TEAMS, MAX_TEAMS = 4, 12   # a cycle of more than 12 weeks is not a rota a force runs
HOURS_BAND = 2.0               # each team's hours a week: the contracted hours +- this, over the cycle
FIXED_CYCLES = ("2-2-2", "4-on-4-off", "5-week-vsa")

# shift-type families (code: start, hours): 8-hour and 10-hour tours, with late/power tours
FAMILIES = {
    "8 h: early, late, night": {"E": ("07:00", 8.0), "L": ("15:00", 8.0), "N": ("23:00", 8.0)},
    "8 h: six tours, one every 4 h (each hand-over overlapped)": {
        "X": ("03:00", 8.0), "E": ("07:00", 8.0), "D": ("11:00", 8.0), "L": ("15:00", 8.0), "P": ("19:00", 8.0),
        "N": ("23:00", 8.0)},
    "10 h: early, late, night": {"E": ("07:00", 10.0), "L": ("14:00", 10.0), "N": ("22:00", 10.0)},
    "10 h: early, day, power, night": {"E": ("07:00", 10.0), "D": ("12:00", 10.0), "P": ("17:00", 10.0),
                                       "N": ("22:00", 10.0)},
}


@dataclass
class Roster:
    """A team pattern: its cycle, shift types, teams (name: size, offset) and what it costs."""
    family: str
    types: dict[str, tuple[str, float]]
    cycle: list[str]
    teams: dict[str, tuple[int, int]]
    officer_hours: float
    cover: np.ndarray = field(repr=False, default=None)   # 168: officers on duty for the whole hour (least week)

    @property
    def people(self) -> int:
        return sum(size for size, _ in self.teams.values())

    @property
    def size(self) -> int:
        return max(size for size, _ in self.teams.values())

    def pattern(self, anchor: dt.date, limits: dict) -> dict:
        """The ``[response.pattern]`` table."""
        return {"anchor": anchor, "cycle": list(self.cycle),
                "shift_types": {c: {"start": st, "hours": h} for c, (st, h) in self.types.items()
                                if c in self.cycle},
                "teams": {n: {"size": size, "offset": off} for n, (size, off) in self.teams.items()}, **limits}

    def describe(self) -> str:
        sizes = {size for size, _ in self.teams.values()}
        teams = f"{len(self.teams)} teams of {sizes.pop()}" if len(sizes) == 1 else f"{len(self.teams)} teams"
        tours = ", ".join(f"{c} {st} {h:g}h" for c, (st, h) in self.types.items() if c in self.cycle)
        return f"{self.family}: {teams}, a {len(self.cycle)}-day cycle ({tours})"


def fatigue_limits(s) -> dict:
    """The fatigue limits the scenario states (its response pattern's), else the defaults."""
    keys = ("min_rest_hours", "max_consecutive_duties", "max_consecutive_nights", "max_tour_hours")
    src = s.response.pattern if s.response.pattern is not None else Pattern.model_validate(
        {"anchor": dt.date(2016, 9, 5), "cycle": ["A"], "shift_types": {"A": {"start": "07:00", "hours": 8}},
         "teams": {"T": {"size": 1, "offset": 0}}})
    return {k: getattr(src, k) for k in keys}


def template_family(template: dict, limits: dict) -> dict[str, dict] | None:
    """The template optimum's start times and lengths as a family of its own."""
    types = {}
    for i, v in enumerate(sorted(template.values(), key=lambda v: v["start"])):
        if v["hours"] > limits["max_tour_hours"] or i >= len(CODES) or not v["start"].endswith(":00"):
            return None
        types[CODES[i]] = (v["start"], float(v["hours"]))
    return {"template optimum's tours": types} if types else None


# ---------------------------------------------------------------------------- VSA by integer program
def _fill(need: np.ndarray, cover: np.ndarray, hours: np.ndarray, teams: int, contracted: float,
          m: int) -> np.ndarray | None:
    """Cells (shift type x weekday) of T teams of m covering ``need`` (336 half-hours), fewest
    hours; None if none."""
    n = cover.shape[1]
    n_types = n // 7
    h = np.repeat(hours, 7)
    day_rows = np.zeros((7, n))
    for d in range(7):
        day_rows[d, [s * 7 + d for s in range(n_types)]] = 1.0
    cons = [LinearConstraint(cover * m, need, np.inf), LinearConstraint(day_rows, 0, teams),
            LinearConstraint(h[None, :], teams * (contracted - HOURS_BAND), teams * (contracted + HOURS_BAND))]
    res = milp(h, constraints=cons, integrality=np.ones(n), bounds=Bounds(0, teams),
               options={"time_limit": 10.0, "mip_rel_gap": 0.01, "disp": False})
    if res.x is None:
        return None
    return np.rint(res.x).astype(int).reshape(n_types, 7)


def _people_bound(need: np.ndarray, cover: np.ndarray, hours: np.ndarray, contracted: float) -> float:
    """A lower bound on the officers any VSA of these tours needs: the linear relaxation with
    y = m x (officers on each tour and weekday) and P = m T people, whatever T is."""
    n = cover.shape[1]
    n_types = n // 7
    h = np.repeat(hours, 7)
    # variables: y (n), P; minimise P
    rows, lo, hi = [], [], []
    for d in range(7):
        r = np.zeros(n + 1)
        r[[s * 7 + d for s in range(n_types)]] = 1.0
        r[n] = -1.0
        rows.append(r), lo.append(-np.inf), hi.append(0.0)          # officers on duty a day <= P
    r = np.concatenate([h, [-(contracted - HOURS_BAND)]])
    rows.append(r), lo.append(0.0), hi.append(np.inf)                # hours >= P (c - band)
    r = np.concatenate([h, [-(contracted + HOURS_BAND)]])
    rows.append(r), lo.append(-np.inf), hi.append(0.0)               # hours <= P (c + band)
    cons = [LinearConstraint(np.hstack([cover, np.zeros((cover.shape[0], 1))]), need, np.inf),
            LinearConstraint(np.array(rows), lo, hi)]
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    res = milp(cost, constraints=cons, bounds=Bounds(0, np.inf), options={"disp": False})
    return float(res.x[n]) if res.x is not None else math.inf


def _vsa_options(target: np.ndarray, family: str, types: dict, contracted: float, briefing: float,
                 teams_range) -> list[tuple[float, int, int, np.ndarray]]:
    """(officer-hours, T, m, cells) for each T: the smallest team size m that covers (and m + 1).
    The search for m starts at the linear relaxation's bound (people / T), so it takes a few
    integer programs per T, not a bisection."""
    cands = [Candidate(int(st[:2]), h) for st, h in types.values()]
    cover = half_hour_cover(cands, briefing)
    hours = np.array([h for _, h in types.values()])
    need = half_hours(target).astype(float)
    people = _people_bound(need, cover, hours, contracted)
    if not math.isfinite(people):
        return []
    out = []
    peak = max(int(need.max()), 1)
    for t in teams_range:
        m = max(1, math.ceil(people / t - 1e-6))
        bad, cells = m - 1, None
        while m <= 2 * peak:                  # up from the bound in growing steps to one that covers
            cells = _fill(need, cover, hours, t, contracted, m)
            if cells is not None:
                break
            bad, m = m, m + max(1, (m - max(1, math.ceil(people / t - 1e-6))) // 2 + 1)
        if cells is None:
            continue
        while m - bad > 1:                    # then the smallest that covers, between
            mid = (bad + m) // 2
            c = _fill(need, cover, hours, t, contracted, mid)
            if c is None:
                bad = mid
            else:
                m, cells = mid, c
        out.append((float(m * (cells.sum(axis=1) * hours).sum()), t, m, cells))
        nxt = _fill(need, cover, hours, t, contracted, m + 1)
        if nxt is not None:
            out.append((float((m + 1) * (nxt.sum(axis=1) * hours).sum()), t, m + 1, nxt))
    return out


def half_hours(target: np.ndarray) -> np.ndarray:
    """A target by hour (168) or by half-hour (336), as 336 half-hours."""
    target = np.asarray(target)
    return target if target.size == 2 * HOURS else np.repeat(target, 2)


def by_hour(target: np.ndarray) -> np.ndarray:
    """A target by hour (168) or by half-hour (336), as 168 hours (the larger half)."""
    target = np.asarray(target)
    return target.reshape(HOURS, 2).max(axis=1) if target.size == 2 * HOURS else target


def cover_of(p: dict) -> np.ndarray:
    """168: officers rostered on duty for the whole hour, the least over the weeks of the period."""
    pat = Pattern.model_validate(p)
    pool = SimpleNamespace(pattern=pat, shifts={}, abstraction=0.0)
    days = math.lcm(pat.days, 7)
    q = headcount(pool, pat.anchor, days, 15.0).reshape(days // 7, HOURS, 4)
    return q.min(axis=2).min(axis=0)


def _arranged(family: str, types: dict, t: int, m: int, cells: np.ndarray, limits: dict,
              anchor: dt.date) -> Roster | None:
    used = {c: types[c] for c, row in zip(types, cells) if row.any()}
    arr = _arrange(cells[[i for i, row in enumerate(cells) if row.any()]], t, used)
    if arr is None:
        return None
    teams = {f"T{k + 1:02d}": (m, 7 * k) for k in range(t)}
    r = Roster(family, used, arr, teams, 0.0)
    p = r.pattern(anchor, limits)
    if fatigue_problem(Pattern.model_validate(p)) is not None:
        return None
    r.cover = cover_of(p)
    r.officer_hours = hours_per_week(SimpleNamespace(pattern=Pattern.model_validate(p)))
    return r


# ---------------------------------------------------------------------------- fixed cycles
def fixed_cycles(limits: dict) -> tuple[dict[str, Pattern], list[str]]:
    """The shipped cycles within the fatigue limits, and why the others are left out."""
    from sim.scenario import load_scenario
    from sim.scenario.shipped import SHIPPED_SCENARIOS

    ok, left = {}, []
    for name in FIXED_CYCLES:
        path = SHIPPED_SCENARIOS / "patterns" / f"{name}.toml"
        try:
            p = load_scenario(path).response.pattern
        except (ScenarioError, OSError):
            continue
        trial = Pattern.model_validate({**p.model_dump(), **limits})
        why = fatigue_problem(trial)
        if why is not None:
            left.append(f"{name}: {why[2]}")
            continue
        ok[name] = trial
    return ok, left


def _fixed_roster(name: str, p: Pattern, target: np.ndarray, limits: dict) -> Roster | None:
    target = by_hour(target)
    one = {**p.model_dump(), "teams": {n: {"size": 1, "offset": t.offset} for n, t in p.teams.items()}, **limits}
    cover = cover_of(one)
    if (cover[target > 0] == 0).any():
        return None
    m = max(1, int(np.ceil((target / np.maximum(cover, 1e-9))[target > 0].max())))
    teams = {n: (m, t.offset) for n, t in p.teams.items()}
    types = {c: (st.model_dump()["start"] if isinstance(st.model_dump()["start"], str) else
                 f"{int(st.start_minute // 60):02d}:{int(st.start_minute % 60):02d}", float(st.hours))
             for c, st in p.shift_types.items()}
    r = Roster(f"fixed cycle {name}", types, list(p.cycle), teams, 0.0)
    pat = r.pattern(p.anchor, limits)
    r.cover = cover_of(pat)
    r.officer_hours = hours_per_week(SimpleNamespace(pattern=Pattern.model_validate(pat)))
    return r


# ---------------------------------------------------------------------------- the cheapest
@dataclass
class Space:
    """What the search may use: families of shift types, fixed cycles, limits, hours, briefing."""
    families: dict[str, dict]
    fixed: dict[str, Pattern]
    left_out: list[str]
    limits: dict
    contracted: float
    briefing: float
    anchor: dt.date
    teams_range: tuple = tuple(range(MIN_TEAMS, MAX_TEAMS + 1))


def cheapest(space: Space, target: np.ndarray) -> tuple[Roster | None, list[dict]]:
    """The cheapest pattern covering ``target`` in every hour (168: officers rostered on duty) or
    every half-hour (336: officers on duty past their briefing), and each family's best."""
    best, rows = None, []
    for family, types in space.families.items():
        options = sorted(_vsa_options(target, family, types, space.contracted, space.briefing, space.teams_range),
                         key=lambda o: o[0])
        found = None
        for hours, t, m, cells in options:
            found = _arranged(family, types, t, m, cells, space.limits, space.anchor)
            if found is not None:
                break
        why = (f"no team size covers every half-hour with {space.teams_range[0]} to {space.teams_range[-1]} teams "
               "(a hand-over without overlap leaves nobody free during the briefing)" if not options else
               "none of its fills could be ordered within the fatigue limits")
        rows.append({"family": family, "officer_hours": None if found is None else found.officer_hours,
                     "pattern": why if found is None else found.describe()})
        if found is not None and (best is None or found.officer_hours < best.officer_hours):
            best = found
    for name, p in space.fixed.items():
        found = _fixed_roster(name, p, target, space.limits)
        rows.append({"family": f"fixed cycle {name}", "officer_hours": None if found is None else found.officer_hours,
                     "pattern": "does not cover every hour" if found is None else found.describe()})
        if found is not None and (best is None or found.officer_hours < best.officer_hours):
            best = found
    return best, rows


def rest_share(r: Roster) -> float:
    return r.cycle.count(REST) / len(r.cycle)
