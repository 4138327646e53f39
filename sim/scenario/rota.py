"""Rotas: who is rostered when, and who of them is actually on duty.

A pool (call handlers, response units, neighbourhood officers) is rostered by a weekly
template (``shifts``: the same week every week) or by a team pattern (``pattern``: teams
working a cycle of shift codes of any length from their own offsets, anchored to a
calendar date), optionally with overlay teams on a fixed weekly tour beside the rotating ones
(``pattern.overlay``: an overlay is a team and its tour at once, both called by its name). Both
become the same ``ShiftInstance`` list, so the model never knows
which was written. A shift belongs to the day it starts on (a 22:00-07:00 night shift on
Sunday runs into Monday), so instances are generated from the day before time 0: at
Monday 00:00 of week 1 the Sunday night shift is already on duty.

Abstraction: a share of the rostered staff of each shift instance is absent (annual leave,
sickness, training, court). Each rostered person's absence is one uniform from a stream
keyed by the pool, the shift, the team and the day, so two scenarios run with the same seed
and replication see the same people absent on the same shifts (common random numbers), and
a scenario with ten more people on a shift keeps the first ones' absences.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.base import DAYS
from sim.scenario.pools import REST, Pattern

DAY = 1440.0
NIGHT = (23 * 60.0, 30 * 60.0)   # 23:00-06:00: a tour with 3 h or more in it is a night tour
NIGHT_MINUTES = 180.0


@dataclass(frozen=True, slots=True)
class ShiftInstance:
    """``staff`` people (or units) rostered from ``start`` to ``end`` (minutes)."""
    name: str          # the weekly shift's name, or the pattern's shift-type code
    start: float
    end: float
    staff: int
    team: str = ""     # pattern rotas: the team working it


def shift_names(pool) -> list[str]:
    """Names a pool's instances can carry, in the order the scenario gives them."""
    if pool.pattern is not None:
        return [*pool.pattern.shift_types, *pool.pattern.overlays]
    return list(pool.shifts)


def team_names(pool) -> list[str]:
    """A pattern's teams then its overlay teams, in the order the scenario gives them (a weekly
    template has none)."""
    return [*pool.pattern.teams, *pool.pattern.overlays] if pool.pattern is not None else []


def shift_instances(pool, horizon: float, start_date: dt.date) -> list[ShiftInstance]:
    """Every rostered shift instance overlapping [0, horizon), ordered by start, name, team."""
    n_days = int(np.ceil(horizon / DAY))
    if pool.pattern is not None:
        out = _pattern_instances(pool.pattern, n_days, start_date)
    else:
        # with abstraction, a 24-hour post is a new instance every day, so its absences vary by day
        out = _weekly_instances(pool.shifts, n_days, merge=getattr(pool, "abstraction", 0.0) == 0.0)
    out = [i for i in out if i.end > 0 and i.start < horizon]
    out.sort(key=lambda s: (s.start, s.name, s.team))
    return out


def _weekly_instances(shifts: dict, n_days: int, merge: bool = True) -> list[ShiftInstance]:
    out: list[ShiftInstance] = []
    for name, sh in shifts.items():
        days = {DAYS.index(d) for d in sh.days}
        heads = sh.headcount()
        for day in range(-1, n_days):
            dow = day % 7
            if dow not in days or heads[dow] == 0:
                continue
            start = day * DAY + sh.start_minute
            end = start + sh.hours * 60.0
            prev = out[-1] if out else None
            if merge and prev and prev.name == name and prev.end == start and prev.staff == heads[dow]:
                # back-to-back (e.g. a 24-hour post every day): the same people carry on, no handover
                out[-1] = ShiftInstance(name, prev.start, end, prev.staff)
            else:
                out.append(ShiftInstance(name, start, end, heads[dow]))
    return out


def cycle_day(pattern: Pattern, team, date: dt.date) -> int:
    """Position in the cycle (0 = first day) of ``team`` on calendar ``date``."""
    return ((date - pattern.anchor).days + team.offset) % pattern.days


def _pattern_instances(p: Pattern, n_days: int, start_date: dt.date) -> list[ShiftInstance]:
    out = []
    for day in range(-1, n_days):
        date = start_date + dt.timedelta(days=day)
        for name, team in p.teams.items():
            code = p.cycle[cycle_day(p, team, date)]
            if code == REST or team.size == 0:
                continue
            st = p.shift_types[code]
            start = day * DAY + st.start_minute
            out.append(ShiftInstance(code, start, start + st.hours * 60.0, team.size, name))
        for name, ov in p.overlays.items():
            if ov.size == 0 or DAYS[date.weekday()] not in ov.days:
                continue
            start = day * DAY + ov.start_minute
            out.append(ShiftInstance(name, start, start + ov.hours * 60.0, ov.size, name))
    return out


def overlay_hours(p: Pattern) -> float:
    """Person-hours a week of the pattern's overlay teams."""
    return float(sum(ov.size * ov.hours * len(ov.days) for ov in p.overlays.values()))


# ---------------------------------------------------------------------------- abstraction
def present(inst: ShiftInstance, abstraction, streams, pool: str) -> int:
    """How many of the instance's rostered staff are on duty (the rest are abstracted)."""
    if abstraction == 0.0:
        return inst.staff
    rng = streams.keyed(f"abstraction.{pool}.{inst.name}.{inst.team}", int(inst.start // DAY) + 1)
    share = abstraction if isinstance(abstraction, float) else \
        min(max(float(abstraction.sample(rng, 1)[0]), 0.0), 1.0)
    return inst.staff - int((rng.random(inst.staff) < share).sum())


def mean_share_absent(abstraction) -> float:
    return abstraction if isinstance(abstraction, float) else min(max(abstraction.mean, 0.0), 1.0)


# ---------------------------------------------------------------------------- headcounts
def period_days(pool) -> int:
    """Days after which the rota repeats against the week (7 for a weekly template)."""
    if pool.pattern is None:
        return 7
    return math.lcm(pool.pattern.days, 7)


def headcount(pool, start_date: dt.date, days: int, step: float = 15.0) -> np.ndarray:
    """Rostered staff on duty at each ``step`` minutes of ``days`` days from ``start_date``."""
    horizon = days * DAY
    n = int(round(horizon / step))
    diff = np.zeros(n + 1, dtype=np.int64)
    for inst in shift_instances(pool, horizon, start_date):
        a = int(math.ceil(max(inst.start, 0.0) / step))
        b = int(math.ceil(min(inst.end, horizon) / step))
        diff[a] += inst.staff
        diff[b] -= inst.staff
    return np.cumsum(diff)[:n]


def average_week(pool, start_date: dt.date, step: float = 15.0) -> np.ndarray:
    """Rostered staff on duty at each ``step`` minutes of the week, averaged over the weeks
    of the rota's period (a weekly template: its one week). ``start_date`` is a Monday."""
    weeks = period_days(pool) // 7
    return headcount(pool, start_date, weeks * 7, step).reshape(weeks, -1).mean(axis=0)


def weeks_alike(pool, start_date: dt.date) -> bool:
    """Whether every week of the rota has the same staff on duty hour by hour (a weekly
    template always; a pattern whose teams fill the same shifts each week, e.g. a 5-week cycle
    worked by 5 teams a week apart)."""
    weeks = period_days(pool) // 7
    h = headcount(pool, start_date, weeks * 7, 60.0).reshape(weeks, -1)
    return bool((h == h[0]).all())


def hours_per_week(pool) -> float:
    """Rostered person-hours a week, on average over the rota's cycle."""
    if pool.pattern is None:
        return float(sum(sh.hours * sum(sh.headcount()[DAYS.index(d)] for d in sh.days) for sh in pool.shifts.values()))
    p = pool.pattern
    hours_per_cycle = sum(p.shift_types[c].hours for c in p.cycle if c != REST)
    rotating = sum(t.size for t in p.teams.values()) * hours_per_cycle * 7.0 / p.days
    return rotating + overlay_hours(p) if p.overlays else rotating


def establishment(pool, contracted_hours_per_week: float) -> float:
    """Officers needed to staff the rota: a pattern's team sizes (overlay teams included) added
    up; a weekly template's rostered hours over one officer's contracted hours a week."""
    if pool.pattern is not None:
        p = pool.pattern
        return float(sum(t.size for t in p.teams.values()) + sum(ov.size for ov in p.overlays.values()))
    return hours_per_week(pool) / contracted_hours_per_week


def weekly_shifts(pool, start_date: dt.date) -> list[dict]:
    """Each shift (or shift type) with its start, length and rostered staff by day of week
    (a pattern: averaged over its period), for drawing a rota as a week."""
    if pool.pattern is None:
        return [{"name": n, "start_h": sh.start_minute / 60.0, "hours": float(sh.hours),
                 "days": [DAYS.index(d) for d in sh.days], "heads": list(sh.headcount())}
                for n, sh in pool.shifts.items()]
    p = pool.pattern
    days = period_days(pool)
    heads = {code: np.zeros(7) for code in [*p.shift_types, *p.overlays]}
    for inst in _pattern_instances(p, days, start_date):
        if inst.start >= 0:
            heads[inst.name][int(inst.start // DAY) % 7] += inst.staff
    weeks = days // 7
    return [{"name": code, "start_h": st.start_minute / 60.0, "hours": float(st.hours),
             "days": [d for d in range(7) if heads[code][d] > 0], "heads": list(heads[code] / weeks)}
            for code, st in [*p.shift_types.items(), *p.overlays.items()]]


# ---------------------------------------------------------------------------- fatigue
def _night_minutes(start: float, end: float) -> float:
    """Minutes of a tour (minutes from a midnight) inside 23:00-06:00 of any night."""
    total, day = 0.0, math.floor((start - NIGHT[1]) / DAY)
    while day * DAY + NIGHT[0] < end:
        a, b = day * DAY + NIGHT[0], day * DAY + NIGHT[1]
        total += max(0.0, min(end, b) - max(start, a))
        day += 1
    return total


def fatigue_problem(p: Pattern) -> tuple[str, int, str] | None:
    """The first breach of the pattern's fatigue limits, as (field, cycle day (0-based), what),
    or None. Every team works the same cycle, so a breach is the cycle's; it wraps round. An
    overlay team's week is its cycle: its breach is ``("overlay.<name>", -1, what)``."""
    for name, ov in p.overlays.items():
        week = Pattern.model_validate({
            "anchor": dt.date(2016, 9, 5), "shift_types": {name: {"start": ov.start, "hours": ov.hours}},
            "cycle": [name if d in ov.days else REST for d in DAYS], "teams": {name: {"size": 1, "offset": 0}},
            **{k: getattr(p, k) for k in ("min_rest_hours", "max_consecutive_duties", "max_consecutive_nights",
                                          "max_tour_hours")}})
        problem = fatigue_problem(week)
        if problem is not None:
            return (f"overlay.{name}", -1, f"overlay {name}: {problem[2]} (its week is its cycle, cycle day 1 a "
                                           "Monday)")
    n = p.days
    for code, st in p.shift_types.items():
        if code in p.cycle and st.hours > p.max_tour_hours:
            return ("shift_types", -1, f"shift type {code} is a {st.hours:g}-hour tour; expected at most "
                                       f"max_tour_hours = {p.max_tour_hours:g}")
    tours = [(i, p.cycle[i % n]) for i in range(2 * n) if p.cycle[i % n] != REST]
    for (i, a), (j, b) in zip(tours, tours[1:]):
        if i >= n:
            break
        end = i * DAY + p.shift_types[a].start_minute + p.shift_types[a].hours * 60.0
        gap = (j * DAY + p.shift_types[b].start_minute - end) / 60.0
        if gap < 0:
            return ("cycle", i, f"the {a} tour on cycle day {i % n + 1} overlaps the {b} tour on cycle day "
                                f"{j % n + 1} by {-gap:g} h")
        if gap < p.min_rest_hours:
            return ("min_rest_hours", i, f"only {gap:g} h between the {a} tour on cycle day {i % n + 1} and the "
                                         f"{b} tour on cycle day {j % n + 1}; expected at least {p.min_rest_hours:g} h")
    for limit, is_counted, what in (
        (p.max_consecutive_duties, lambda c: c != REST, "duties"),
        (p.max_consecutive_nights, lambda c: c != REST and _night_minutes(
            p.shift_types[c].start_minute, p.shift_types[c].start_minute + p.shift_types[c].hours * 60.0)
            >= NIGHT_MINUTES, "night tours"),
    ):
        field = f"max_consecutive_{'duties' if what == 'duties' else 'nights'}"
        if all(map(is_counted, p.cycle)):
            return (field, 0, f"more than {limit} {what} in a row from cycle day 1 (the cycle has no break in them)")
        run = 0
        for i in range(n + min(limit, n) + 1):   # a run longer than the limit starts within the first cycle
            run = run + 1 if is_counted(p.cycle[i % n]) else 0
            if run > limit:
                first = (i - run + 1) % n
                return (field, first, f"more than {limit} {what} in a row from cycle day {first + 1}")
    return None


def first_date_on(p: Pattern, team, cycle_index: int, after: dt.date) -> dt.date:
    """The first date on or after ``after`` on which ``team`` is on cycle day ``cycle_index``."""
    return after + dt.timedelta(days=(cycle_index - cycle_day(p, team, after)) % p.days)
