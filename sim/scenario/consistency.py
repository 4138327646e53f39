"""Checks that need several fields at once, run after the schema: a run that ends on a calendar
date, a G1 standard for every area, breaks and reserves that fit the rota, fatigue limits of team
patterns, someone on duty whenever demand is expected (rostered, and not all abstracted),
categories that exist, appointment slots for G3s. The rota
arithmetic comes from ``rota.py``, which needs only the schema's types (no circle).
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from sim.scenario.base import _NO_VALUE, CHANNELS, DAYS, GRADES, ScenarioError
from sim.scenario.document import Scenario
from sim.scenario.pools import Pattern
from sim.scenario.rota import fatigue_problem, first_date_on, headcount, mean_share_absent, period_days

# an abstraction that leaves nobody on duty on at least this share of the thinnest shifts is refused
MOST_SHIFTS = 0.5

def check_consistency(s: Scenario, source=None) -> None:
    """Checks that need several fields at once."""
    _check_calendar(s, source)
    for area in s.response.areas:
        if area not in s.standards.g1_minutes:
            raise ScenarioError(source, f"standards.g1_minutes.{area}", _NO_VALUE,
                                f"expected a G1 attendance standard for area {area!r} (areas are {sorted(s.response.areas)})")
    shortest = s.response.shortest_tour_minutes()
    for name, block in s.response.non_incident.items():
        if block.after_hours * 60.0 + block.minutes > shortest:
            raise ScenarioError(source, f"response.non_incident.{name}", _NO_VALUE,
                                f"falls due {block.after_hours:g} h into a shift and lasts {block.minutes:g} min: "
                                f"expected it to fit in the shortest response shift ({shortest:g} min)")
    if s.plan is not None and isinstance(s.plan.min_on_duty, dict):
        for area in s.plan.min_on_duty:
            if area not in s.response.areas:
                raise ScenarioError(source, f"plan.min_on_duty.{area}", _NO_VALUE,
                                    f"expected an area of response.areas ({', '.join(s.response.areas)})")
    fewest = _fewest_on_duty(s)
    if s.response.reserve_for_g1 > fewest:
        raise ScenarioError(source, "response.reserve_for_g1", s.response.reserve_for_g1,
                            f"expected at most the fewest response units rostered at any time ({fewest}): "
                            "a larger reserve would keep every unit from G2 and G3 incidents then")
    if s.response.end_of_shift_minutes >= shortest:
        raise ScenarioError(source, "response.end_of_shift_minutes", s.response.end_of_shift_minutes,
                            f"expected fewer minutes than the shortest response shift ({shortest:g} min): "
                            "a unit must have some time in which it can be given any job")
    for path, pool in (("call_handling", s.call_handling), ("response", s.response), ("neighbourhood", s.neighbourhood)):
        if pool.pattern is not None:
            _check_pattern(pool.pattern, f"{path}.pattern", source, s.run.start_date)
    _check_coverage(s, source)
    _check_assessment(s, source)
    if s.appointments.booking and _grade_possible(s, "G3") and s.appointments.week_slots().sum() == 0:
        raise ScenarioError(source, "appointments.slots_per_hour", list(s.appointments.slots_per_hour),
                            "G3 incidents can occur but there are no appointment slots (or set appointments.booking = false)")


def _demand_by_hour(s: Scenario, grades: tuple[str, ...] | None = None) -> np.ndarray:
    """Expected calls per hour of week; with ``grades``, only calls *recorded* at those grades
    (true risk through the misgrading matrix)."""
    total = np.zeros(168)
    m = s.thrive.matrix()
    for name in CHANNELS:
        ch = s.demand.channels.get(name)
        if ch is None or ch.calls_per_day == 0:
            continue
        share = 1.0
        if grades is not None:
            cols = [GRADES.index(g) for g in grades]
            share = sum(ch.risk.get(g, 0.0) * m[i, cols].sum() for i, g in enumerate(GRADES))
        total += ch.week_shape() * ch.calls_per_day * share
    return total * s.demand.multiplier


def _check_assessment(s: Scenario, source) -> None:
    """Categories named in [assessment] exist; supervision with a share has supervisors."""
    cats = s.thrive.category_names()
    a = s.assessment
    for path, names in (("assessment.vulnerability.share", list(a.vulnerability.share)),
                        ("assessment.supervision.flagged_categories", a.supervision.flagged_categories)):
        for c in names:
            if c not in cats:
                raise ScenarioError(source, path, c, f"expected an incident category of thrive.categories ({', '.join(cats)})")
    sup = a.supervision
    if sup.enabled and not sup.supervisors.has_rota:
        raise ScenarioError(source, "assessment.supervision.supervisors", _NO_VALUE,
                            "supervision.share > 0 needs supervisors (shifts or a pattern)")
    if sup.enabled and sup.reviews == "flagged" and not sup.flagged_categories:
        raise ScenarioError(source, "assessment.supervision.flagged_categories", [],
                            "reviews = 'flagged' needs at least one category")
    if sup.supervisors.pattern is not None:
        _check_pattern(sup.supervisors.pattern, "assessment.supervision.supervisors.pattern", source, s.run.start_date)


def _grade_possible(s: Scenario, grade: str) -> bool:
    m = s.thrive.matrix()
    j = GRADES.index(grade)
    for name in CHANNELS:
        ch = s.demand.channels.get(name)
        if ch is None or ch.calls_per_day == 0:
            continue
        for i, g in enumerate(GRADES):
            if ch.risk.get(g, 0) > 0 and m[i, j] > 0:
                return True
    rules = s.policy.resource_led.rules if s.policy.kind == "resource_led" else {}
    return any(r.to == grade for r in rules.values())


def _check_pattern(p: Pattern, path: str, source, start: dt.date) -> None:
    """A team's offset inside the cycle, then the fatigue limits (dated from the run's start)."""
    for name, team in p.teams.items():
        if team.offset >= p.days:
            raise ScenarioError(source, f"{path}.teams.{name}.offset", team.offset,
                                f"expected an offset from 0 to {p.days - 1} (the {p.days}-day cycle's days count from 0)")
    problem = fatigue_problem(p)
    if problem is None:
        return
    field, index, what = problem
    if index < 0:
        raise ScenarioError(source, f"{path}.{field if field.startswith('overlay.') else 'shift_types'}", _NO_VALUE,
                            what)
    name, team = next(iter(p.teams.items()))
    date = first_date_on(p, team, index, start)
    raise ScenarioError(source, f"{path}.cycle", _NO_VALUE,
                        f"team {name} from {date} ({DAYS[date.weekday()]}, cycle day {index + 1}): {what}"
                        + ("" if field == "cycle" else f" ({path}.{field})") + "; every team works this cycle")


def _fewest_on_duty(s: Scenario) -> int:
    """The fewest response units rostered at any moment of the rota's period."""
    if not s.response.has_rota:
        return 0
    return int(headcount(s.response, s.run.start_date, period_days(s.response)).min())


def _check_calendar(s: Scenario, source) -> None:
    """The run must end by the last date a calendar holds (9999-12-31): the model dates every
    day it simulates (the downgrade audit, the report), and a later day fails half-way through
    a replication (OverflowError) instead of here."""
    room = (dt.date.max - s.run.start_date).days
    if s.run.warmup_days + s.run.days > room:
        raise ScenarioError(source, "run.days", s.run.days,
                            f"expected the run (run.warmup_days {s.run.warmup_days:g} + run.days from run.start_date "
                            f"{s.run.start_date}) to end by {dt.date.max}, the last date a calendar holds: at most "
                            f"{max(room - s.run.warmup_days, 0):,.0f} days")


def _when(q: int, pool, start: dt.date) -> str:
    """The quarter-hour ``q`` of the rota's period as 'Mon 03:00' (a pattern: with its date)."""
    day, minute = divmod(q * 15, 1440)
    when = f"{DAYS[day % 7]} {minute // 60:02d}:{minute % 60:02d}"
    if pool.pattern is not None:
        when += f" ({start + dt.timedelta(days=day)})"
    return when


def _check_coverage(s: Scenario, source) -> None:
    checks = [
        ("call_handling", s.call_handling, _demand_by_hour(s), "call handler", "calls are expected"),
        ("response", s.response, _demand_by_hour(s, ("G1", "G2")), "response unit", "G1/G2 incidents are expected"),
    ]
    for path, pool, demand, who, what in checks:
        days = period_days(pool)
        on_duty = headcount(pool, s.run.start_date, days)  # per 15 minutes over the rota's period
        need = np.tile(np.repeat(demand, 4), days // 7) > 0
        gaps = np.flatnonzero(need & (on_duty == 0))
        if gaps.size:
            when = _when(int(gaps[0]), pool, s.run.start_date)
            rota = f"{path}.pattern" if pool.pattern is not None else f"{path}.shifts"
            raise ScenarioError(source, rota, f"no {who} on duty at {when}",
                                f"expected at least one {who} on duty whenever {what}")
        _check_abstraction(path, pool, on_duty, need, who, what, source, s.run.start_date)


def _check_abstraction(path: str, pool, on_duty: np.ndarray, need: np.ndarray, who: str, what: str, source,
                       start: dt.date) -> None:
    """Refuse an abstraction that leaves nobody on duty on most shifts: rostered is not enough
    if (nearly) everyone rostered is absent. Each rostered person is absent with the pool's share
    (its mean, for a distribution), so with n rostered at the thinnest time demand is expected,
    nobody is there on share**n of those shifts; from half of them on, the run would describe a
    control room without that pool (no call answered or no incident attended) rather than the
    rota, so it is the same hole as a rota with nobody rostered and is refused the same way,
    naming the time, the headcount and the share. The model itself copes (the report leaves out
    what has no values), so the line is drawn here, at the input, not in the model."""
    share = mean_share_absent(pool.abstraction)
    if share == 0.0 or not need.any():
        return
    fewest = int(on_duty[need].min())
    nobody = share ** fewest
    if nobody < MOST_SHIFTS:
        return
    when = _when(int(np.flatnonzero(need & (on_duty == fewest))[0]), pool, start)
    value = pool.abstraction if isinstance(pool.abstraction, float) else _NO_VALUE
    mean = "" if isinstance(pool.abstraction, float) else f" (a mean share absent of {share:g})"
    raise ScenarioError(source, f"{path}.abstraction", value,
                        f"expected someone on duty whenever {what}: with {fewest:,} {who}(s) rostered at {when}, "
                        f"all are absent on {nobody:.0%} of those shifts{mean}; expected a share absent that leaves "
                        f"nobody on duty on fewer than {MOST_SHIFTS:.0%} of them")


