"""Establishment: officer-hours a week as people, and people as officer-hours.

``--officers N`` counts people. A person works the hours of the rota they are on: a team
pattern's hours (its tours over its cycle, per team member: 42 h on 4-on-4-off), or, for a
weekly template, the scenario's ``response.contracted_hours_per_week``. N people therefore
roster N x those hours a week; abstraction (leave, sickness, training, court) then takes its
share of each shift in the simulation, so about N x (1 - abstraction) are at work on average.
The report's "today" column counts today's rota by the same rule: a pattern's team sizes
added up, a template's hours over the contracted hours.
"""
from __future__ import annotations

from sim.scenario import Scenario
from sim.scenario.rota import establishment, hours_per_week, mean_share_absent


def hours_per_person(s: Scenario) -> float:
    """Rostered hours a week of one response officer: the pattern's, or the contracted hours."""
    pool = s.response
    if pool.pattern is not None:
        people = establishment(pool, pool.contracted_hours_per_week)
        if people > 0:
            return hours_per_week(pool) / people
    return float(pool.contracted_hours_per_week)


def today_people(s: Scenario) -> float:
    """Today's establishment in people (a pattern: its team sizes added up)."""
    return establishment(s.response, hours_per_person(s))


def people_for(hours: float, s: Scenario) -> float:
    """People needed to roster ``hours`` officer-hours a week at the scenario's hours per person."""
    return hours / hours_per_person(s)


def budget_hours(officers: int, s: Scenario) -> float:
    """Officer-hours a week that ``officers`` people roster."""
    return officers * hours_per_person(s)


def at_work(officers: float, s: Scenario) -> float:
    """Of ``officers`` people, how many are at work on average after abstraction."""
    return officers * (1.0 - mean_share_absent(s.response.abstraction))
