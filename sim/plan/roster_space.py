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

Two options (``plan --overlay``, ``plan --unequal-teams``):

- **an overlay team** on a fixed weekly tour (e.g. Thu-Sat 17:00 for 10 h): its size is one more
  integer variable of the fill, its cover added to the rotating teams'; the VSA's teams cover the
  rest. Fixed cycles take it the same way (their team size and the overlay's, by ``_sizes``).
- **unequal teams**: with teams of different sizes the head-count differs from week to week (in
  calendar week w, team k stands on cycle week (w + k) mod T), so once a fill is ordered into a
  cycle the team sizes m_k are an integer program of their own (``_sizes``): the fewest
  officer-hours such that in every week of the period, Σ_k m_k × team k's cover that week
  (+ the overlay's) covers the target. Every team still works the same cycle, so every officer
  the same hours; only the head-counts move.
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
from sim.scenario import DAYS, REST, Pattern, ScenarioError
from sim.scenario.rota import DAY, _pattern_instances, fatigue_problem, headcount, hours_per_week

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


OVERLAY = "OV"   # the overlay team's name (and its tour's code): never a one-letter shift code


@dataclass(frozen=True)
class OverlayTour:
    """An overlay team's fixed weekly tour (``plan --overlay "Thu-Sat 17:00 10h"``); the search
    chooses how many officers work it."""
    days: tuple[str, ...]
    start: str            # "HH:MM", on the hour or the half-hour
    hours: float
    name: str = OVERLAY

    @property
    def start_minute(self) -> int:
        return int(self.start[:2]) * 60 + int(self.start[3:])

    @property
    def week_hours(self) -> float:
        """One officer's hours a week on it."""
        return self.hours * len(self.days)

    def table(self, size: int) -> dict:
        """The ``[response.pattern.overlay.<name>]`` table."""
        return {"days": list(self.days), "start": self.start, "hours": self.hours, "size": size}

    def describe(self) -> str:
        return f"{'/'.join(self.days)} {self.start} {self.hours:g}h"

    def half_hour_cover(self, briefing: float) -> np.ndarray:
        """336: the share of each half-hour of the week one officer on it is on duty past the
        briefing (``shifts.half_hour_cover``'s rule)."""
        cover = np.zeros(2 * HOURS)
        for d in (DAYS.index(x) for x in self.days):
            first = 48 * d + self.start_minute // 30
            for k in range(int(2 * self.hours + 1e-9)):
                cover[(first + k) % (2 * HOURS)] += 1.0 - min(max(briefing - 30.0 * k, 0.0), 30.0) / 30.0
        return cover

    def hour_cover(self) -> np.ndarray:
        """168: 1 in each hour one officer on it is rostered on duty for the whole hour."""
        return cover_of({"anchor": dt.date(2016, 9, 5), "cycle": [REST],
                         "shift_types": {"A": {"start": "07:00", "hours": 8}}, "teams": {"T": {"size": 0, "offset": 0}},
                         "overlay": {self.name: self.table(1)}})


def parse_overlay(text: str) -> OverlayTour:
    """``"Thu-Sat 17:00 10h"``: days (a range, wrapping past Sunday, or a comma list of days and
    ranges), a start on the hour or the half-hour, a length in hours (``10h`` or ``10``).
    ValueError with what was expected."""
    expected = ('expected "DAYS HH:MM Nh", e.g. "Thu-Sat 17:00 10h" or "Fri,Sat 19:30 8h" (days Mon..Sun, a range '
                "or a comma list; a start on the hour or half-hour; 1 to 24 hours)")
    parts = str(text).split()
    if len(parts) != 3:
        raise ValueError(f"{text!r}: {expected}")
    days_text, start, length = parts
    names = {d.lower(): i for i, d in enumerate(DAYS)}
    picked: list[int] = []
    for item in days_text.split(","):
        ends = item.split("-")
        if len(ends) not in (1, 2) or any(e.lower() not in names for e in ends):
            raise ValueError(f"{item!r} is not a day or a range of days; {expected}")
        a, b = names[ends[0].lower()], names[ends[-1].lower()]
        picked += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    if len(set(picked)) != len(picked):
        raise ValueError(f"{days_text!r} names a day twice; {expected}")
    hh, _, mm = start.partition(":")
    if not (hh.isdigit() and mm.isdigit() and len(mm) == 2 and int(hh) < 24 and int(mm) in (0, 30)):
        raise ValueError(f"the start {start!r} is not HH:00 or HH:30; {expected}")
    try:
        hours = float(length[:-1] if length.lower().endswith("h") else length)
    except ValueError:
        hours = math.nan
    if not (math.isfinite(hours) and 1.0 <= hours <= 24.0 and (2 * hours).is_integer()):
        raise ValueError(f"the length {length!r} is not 1 to 24 hours in half-hours; {expected}")
    return OverlayTour(tuple(DAYS[i] for i in sorted(picked)), f"{int(hh):02d}:{mm}", hours)


@dataclass
class Roster:
    """A team pattern: its cycle, shift types, teams (name: size, offset) and what it costs;
    ``overlay``: an overlay team on a fixed weekly tour (its tour and size), or None."""
    family: str
    types: dict[str, tuple[str, float]]
    cycle: list[str]
    teams: dict[str, tuple[int, int]]
    officer_hours: float
    cover: np.ndarray = field(repr=False, default=None)   # 168: officers on duty for the whole hour (least week)
    overlay: tuple[OverlayTour, int] | None = None

    @property
    def people(self) -> int:
        return sum(size for size, _ in self.teams.values()) + (self.overlay[1] if self.overlay else 0)

    @property
    def size(self) -> int:
        return max(size for size, _ in self.teams.values())

    def pattern(self, anchor: dt.date, limits: dict) -> dict:
        """The ``[response.pattern]`` table."""
        out = {"anchor": anchor, "cycle": list(self.cycle),
               "shift_types": {c: {"start": st, "hours": h} for c, (st, h) in self.types.items()
                               if c in self.cycle},
               "teams": {n: {"size": size, "offset": off} for n, (size, off) in self.teams.items()}, **limits}
        if self.overlay is not None:
            tour, size = self.overlay
            out["overlay"] = {tour.name: tour.table(size)}
        return out

    def describe(self) -> str:
        sizes = [size for size, _ in self.teams.values()]
        teams = (f"{len(self.teams)} teams of {sizes[0]}" if len(set(sizes)) == 1 else
                 f"{len(self.teams)} teams of {'+'.join(map(str, sizes))}")
        tours = ", ".join(f"{c} {st} {h:g}h" for c, (st, h) in self.types.items() if c in self.cycle)
        overlay = "" if self.overlay is None else \
            f", an overlay team {self.overlay[0].name} of {self.overlay[1]} ({self.overlay[0].describe()})"
        return f"{self.family}: {teams}, a {len(self.cycle)}-day cycle ({tours}){overlay}"


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
          m: int, overlay: tuple[np.ndarray, float] | None = None) -> tuple[np.ndarray, int] | None:
    """Cells (shift type x weekday) of T teams of m covering ``need`` (336 half-hours), fewest
    hours, and the overlay team's size (0 without one); None if none. ``overlay``: its cover
    (336) and one officer's hours a week on it: its size a variable, its cover added."""
    if overlay is not None:
        return _fill_with_overlay(need, cover, hours, teams, contracted, m, *overlay)
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
    return np.rint(res.x).astype(int).reshape(n_types, 7), 0


def _fill_with_overlay(need, cover, hours, teams, contracted, m, ov_cover, ov_hours):
    """``_fill`` with one more integer variable, the overlay team's size z: m x cover x cells +
    z x the overlay's cover covers ``need``; officer-hours m x the cells' hours + z x its hours."""
    n = cover.shape[1]
    n_types = n // 7
    h = np.repeat(hours, 7)
    day_rows = np.zeros((7, n + 1))
    for d in range(7):
        day_rows[d, [s * 7 + d for s in range(n_types)]] = 1.0
    team_hours = np.concatenate([h, [0.0]])[None, :]
    cons = [LinearConstraint(np.hstack([cover * m, ov_cover[:, None]]), need, np.inf),
            LinearConstraint(day_rows, 0, teams),
            LinearConstraint(team_hours, teams * (contracted - HOURS_BAND), teams * (contracted + HOURS_BAND))]
    peak = max(float(need.max()), 1.0)
    res = milp(np.concatenate([m * h, [ov_hours]]), constraints=cons, integrality=np.ones(n + 1),
               bounds=Bounds(0, np.concatenate([np.full(n, teams), [math.ceil(peak)]])),
               options={"time_limit": 10.0, "mip_rel_gap": 0.01, "disp": False})
    if res.x is None:
        return None
    x = np.rint(res.x).astype(int)
    return x[:n].reshape(n_types, 7), int(x[n])


def _team_covers(p: dict, briefing: float | None) -> tuple[list[np.ndarray], int]:
    """Each team's cover at size 1, by week of the rota's period: (weeks, 336) officers on duty
    past the ``briefing`` by half-hour (``shifts.half_hour_cover``'s rule), or with ``briefing``
    None (weeks, 168) rostered on duty for the whole hour (``cover_of``'s rule); and the weeks."""
    pat = Pattern.model_validate(p)
    days = math.lcm(pat.days, 7)
    out = []
    for name, team in pat.teams.items():
        one = {**p, "teams": {name: {"size": 1, "offset": team.offset}}}
        one.pop("overlay", None)
        if briefing is None:
            pool = SimpleNamespace(pattern=Pattern.model_validate(one), shifts={}, abstraction=0.0)
            q = headcount(pool, pat.anchor, days, 15.0).reshape(days // 7, HOURS, 4)
            out.append(q.min(axis=2).astype(float))
            continue
        cover = np.zeros(days * 48)
        for inst in _pattern_instances(Pattern.model_validate(one), days, pat.anchor):
            first = int(inst.start // 30)
            for k in range(int((inst.end - inst.start) / 30 + 1e-9)):
                if 0 <= first + k < cover.size:
                    cover[first + k] += 1.0 - min(max(briefing - 30.0 * k, 0.0), 30.0) / 30.0
        out.append(cover.reshape(days // 7, 2 * HOURS))
    return out, days // 7


def _sizes(covers: list[np.ndarray], need: np.ndarray, team_hours: float, equal: bool,
           overlay: tuple[np.ndarray, float] | None = None) -> tuple[list[int], int] | None:
    """The team sizes (and the overlay team's) with the fewest officer-hours such that in every
    week of the period the teams' covers that week (``covers[k]``: weeks x slots, at size 1)
    times their sizes, plus the overlay's, cover ``need`` in every slot; ``equal``: one size for
    every team. Each team at least 1 officer. None if the solver finds none."""
    weeks, slots = covers[0].shape
    t = len(covers)
    nv = t + (overlay is not None)
    rows = np.zeros((weeks * slots, nv))
    for k, c in enumerate(covers):
        rows[:, k] = c.reshape(-1)
    if overlay is not None:
        rows[:, t] = np.tile(overlay[0], weeks)
    lo = np.tile(need, weeks).astype(float)
    keep = lo > 0
    cons = []
    if keep.any():   # slots alike in cover need only the largest of their needs: far fewer rows
        alike, which = np.unique(rows[keep], axis=0, return_inverse=True)
        most = np.full(len(alike), -np.inf)
        np.maximum.at(most, which.reshape(-1), lo[keep])
        cons.append(LinearConstraint(alike, most, np.inf))
    if equal and t > 1:
        eq = np.zeros((t - 1, nv))
        eq[np.arange(t - 1), 0], eq[np.arange(t - 1), np.arange(1, t)] = 1.0, -1.0
        cons.append(LinearConstraint(eq, 0.0, 0.0))
    cost = np.concatenate([np.full(t, team_hours), [overlay[1]] if overlay is not None else []])
    top = math.ceil(max(float(need.max()), 1.0)) * max(weeks, 1)
    res = milp(cost, constraints=cons, integrality=np.ones(nv),
               bounds=Bounds(np.concatenate([np.ones(t), [0.0] * (nv - t)]), np.full(nv, top)),
               options={"time_limit": 10.0, "mip_rel_gap": 0.0, "disp": False})
    if res.x is None:
        return None
    x = np.rint(res.x).astype(int)
    return [int(v) for v in x[:t]], int(x[t]) if overlay is not None else 0


def _people_bound(need: np.ndarray, cover: np.ndarray, hours: np.ndarray, contracted: float,
                  ov_cover: np.ndarray | None = None) -> float:
    """A lower bound on the officers any VSA of these tours needs: the linear relaxation with
    y = m x (officers on each tour and weekday) and P = m T people, whatever T is (with an
    overlay team, z of its officers, not counted in P, take their part of ``need``)."""
    n = cover.shape[1]
    n_types = n // 7
    h = np.repeat(hours, 7)
    extra = 0 if ov_cover is None else 1
    # variables: y (n), z (with an overlay), P; minimise P
    nv = n + extra + 1
    rows, lo, hi = [], [], []
    for d in range(7):
        r = np.zeros(nv)
        r[[s * 7 + d for s in range(n_types)]] = 1.0
        r[-1] = -1.0
        rows.append(r), lo.append(-np.inf), hi.append(0.0)          # officers on duty a day <= P
    r = np.concatenate([h, np.zeros(extra), [-(contracted - HOURS_BAND)]])
    rows.append(r), lo.append(0.0), hi.append(np.inf)                # hours >= P (c - band)
    r = np.concatenate([h, np.zeros(extra), [-(contracted + HOURS_BAND)]])
    rows.append(r), lo.append(-np.inf), hi.append(0.0)               # hours <= P (c + band)
    cols = [cover] + ([ov_cover[:, None]] if extra else []) + [np.zeros((cover.shape[0], 1))]
    cons = [LinearConstraint(np.hstack(cols), need, np.inf),
            LinearConstraint(np.array(rows), lo, hi)]
    cost = np.zeros(nv)
    cost[-1] = 1.0
    res = milp(cost, constraints=cons, bounds=Bounds(0, np.inf), options={"disp": False})
    return float(res.x[-1]) if res.x is not None else math.inf


def _vsa_options(target: np.ndarray, family: str, types: dict, contracted: float, briefing: float,
                 teams_range, overlay: OverlayTour | None = None) -> list[tuple[float, int, int, np.ndarray, int]]:
    """(officer-hours, T, m, cells, overlay size) for each T: the smallest team size m that covers
    (and m + 1). The search for m starts at the linear relaxation's bound (people / T), so it
    takes a few integer programs per T, not a bisection. With an ``overlay`` its team's size is
    a variable of every fill."""
    cands = [Candidate(int(st[:2]), h) for st, h in types.values()]
    cover = half_hour_cover(cands, briefing)
    hours = np.array([h for _, h in types.values()])
    need = half_hours(target).astype(float)
    ov = None if overlay is None else (overlay.half_hour_cover(briefing), overlay.week_hours)
    people = _people_bound(need, cover, hours, contracted, None if ov is None else ov[0])
    if not math.isfinite(people):
        return []
    out = []
    peak = max(int(need.max()), 1)

    def cost(m, fill):
        cells, z = fill
        return float(m * (cells.sum(axis=1) * hours).sum()) + (z * ov[1] if ov is not None else 0.0)

    for t in teams_range:
        m = max(1, math.ceil(people / t - 1e-6))
        bad, fill = m - 1, None
        while m <= 2 * peak:                  # up from the bound in growing steps to one that covers
            fill = _fill(need, cover, hours, t, contracted, m, ov)
            if fill is not None:
                break
            bad, m = m, m + max(1, (m - max(1, math.ceil(people / t - 1e-6))) // 2 + 1)
        if fill is None:
            continue
        while m - bad > 1:                    # then the smallest that covers, between
            mid = (bad + m) // 2
            c = _fill(need, cover, hours, t, contracted, mid, ov)
            if c is None:
                bad = mid
            else:
                m, fill = mid, c
        out.append((cost(m, fill), t, m, *fill))
        nxt = _fill(need, cover, hours, t, contracted, m + 1, ov)
        if nxt is not None:
            out.append((cost(m + 1, nxt), t, m + 1, *nxt))
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
              anchor: dt.date, z: int = 0, overlay: OverlayTour | None = None) -> Roster | None:
    used = {c: types[c] for c, row in zip(types, cells) if row.any()}
    arr = _arrange(cells[[i for i, row in enumerate(cells) if row.any()]], t, used)
    if arr is None:
        return None
    teams = {f"T{k + 1:02d}": (m, 7 * k) for k in range(t)}
    r = Roster(family, used, arr, teams, 0.0, overlay=None if overlay is None or z == 0 else (overlay, z))
    p = r.pattern(anchor, limits)
    if fatigue_problem(Pattern.model_validate(p)) is not None:
        return None
    return _costed(r, p)


def _costed(r: Roster, p: dict) -> Roster:
    r.cover = cover_of(p)
    r.officer_hours = hours_per_week(SimpleNamespace(pattern=Pattern.model_validate(p)))
    return r


def _resized(r: Roster, anchor: dt.date, limits: dict, need: np.ndarray, briefing: float | None,
             overlay: OverlayTour | None, equal: bool) -> Roster | None:
    """``r``'s cycle with its team sizes (and its overlay team's) chosen by ``_sizes``: ``need``
    (336 past the ``briefing``, or 168 rostered with ``briefing`` None) covered in every week of
    the period. None if the solver finds none."""
    p = {**r.pattern(anchor, limits), "overlay": None}
    covers, _ = _team_covers(p, briefing)
    ov = None
    if overlay is not None:
        ov = (overlay.half_hour_cover(briefing) if briefing is not None else overlay.hour_cover(), overlay.week_hours)
    team_hours = hours_per_week(SimpleNamespace(pattern=Pattern.model_validate(
        {**p, "teams": {"T": {"size": 1, "offset": 0}}})))
    got = _sizes(covers, need, team_hours, equal, ov)
    if got is None:
        return None
    sizes, z = got
    teams = {n: (size, off) for (n, (_, off)), size in zip(r.teams.items(), sizes)}
    out = Roster(r.family, r.types, r.cycle, teams, 0.0, overlay=None if overlay is None or z == 0 else (overlay, z))
    return _costed(out, out.pattern(anchor, limits))


# ---------------------------------------------------------------------------- fixed cycles
def _start_text(st) -> str:
    return f"{int(st.start_minute // 60):02d}:{int(st.start_minute % 60):02d}"


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


def _fixed_roster(name: str, p: Pattern, target: np.ndarray, limits: dict, overlay: OverlayTour | None = None,
                  unequal: bool = False) -> Roster | None:
    target = by_hour(target)
    one = {**p.model_dump(), "teams": {n: {"size": 1, "offset": t.offset} for n, t in p.teams.items()}, **limits}
    cover = cover_of(one)
    if overlay is not None:
        cover = cover + overlay.hour_cover()
    if (cover[target > 0] == 0).any():
        return None
    if overlay is not None or unequal:   # the team size(s) and the overlay's by integer program
        types = {c: (_start_text(st), float(st.hours)) for c, st in p.shift_types.items()}
        start = Roster(f"fixed cycle {name}", types, list(p.cycle), {n: (1, t.offset) for n, t in p.teams.items()},
                       0.0)
        return _resized(start, p.anchor, limits, target, None, overlay, equal=not unequal)
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
    overlay: OverlayTour | None = None      # plan --overlay: an overlay team's tour, its size searched
    unequal: bool = False                   # plan --unequal-teams: team sizes by integer program


def cheapest(space: Space, target: np.ndarray) -> tuple[Roster | None, list[dict]]:
    """The cheapest pattern covering ``target`` in every hour (168: officers rostered on duty) or
    every half-hour (336: officers on duty past their briefing), and each family's best."""
    best, rows = None, []
    for family, types in space.families.items():
        options = sorted(_vsa_options(target, family, types, space.contracted, space.briefing, space.teams_range,
                                      space.overlay), key=lambda o: o[0])
        found = None
        if space.unequal:
            found = _unequal(space, family, types, options, target)
        else:
            for hours, t, m, cells, z in options:
                found = _arranged(family, types, t, m, cells, space.limits, space.anchor, z, space.overlay)
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
        found = _fixed_roster(name, p, target, space.limits, space.overlay, space.unequal)
        rows.append({"family": f"fixed cycle {name}", "officer_hours": None if found is None else found.officer_hours,
                     "pattern": "does not cover every hour" if found is None else found.describe()})
        if found is not None and (best is None or found.officer_hours < best.officer_hours):
            best = found
    return best, rows


UNEQUAL_TRIES = 6   # with unequal teams: the cheapest fills ordered into cycles and resized


def _unequal(space: Space, family: str, types: dict, options: list, target: np.ndarray) -> Roster | None:
    """The cheapest of the first ``UNEQUAL_TRIES`` fills that order into a cycle, each with its
    team sizes chosen by ``_sizes`` (at worst its equal teams)."""
    best, tries = None, 0
    need = half_hours(target).astype(float)
    for hours, t, m, cells, z in options:
        if tries >= UNEQUAL_TRIES:
            break
        r = _arranged(family, types, t, m, cells, space.limits, space.anchor, z, space.overlay)
        if r is None:
            continue
        tries += 1
        sized = _resized(r, space.anchor, space.limits, need, space.briefing, space.overlay, equal=False)
        for cand in (r, sized):
            if cand is not None and (best is None or cand.officer_hours < best.officer_hours - 1e-9):
                best = cand
    return best


def rest_share(r: Roster) -> float:
    return r.cycle.count(REST) / len(r.cycle)
