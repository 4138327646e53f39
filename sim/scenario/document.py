"""The whole scenario: ``Scenario`` gathers the topic tables (demand, call handling, THRIVE and
assessment, response, appointments, neighbourhood, policy) and adds the few that belong to no
topic: ``meta`` (what the file is), ``run`` (how long, from when, which seed) and what results
are judged against (``standards``, ``recommendation``).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, field_validator

from sim.scenario.assessment import Assessment, Thrive
from sim.scenario.base import DAYS, _Strict
from sim.scenario.demand import Demand
from sim.scenario.planning import Planning
from sim.scenario.policies import Policy
from sim.scenario.pools import CallHandling
from sim.scenario.response import Appointments, Neighbourhood, Response
from sim.util.bounds import MAX_SEED

class Meta(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    sources: list[str] = []

    @field_validator("name", "description")
    @classmethod
    def _printable(cls, v):
        if any(not ch.isprintable() for ch in v):
            raise ValueError("expected printable text (no control characters such as NUL or newlines)")
        return v


class Run(_Strict):
    days: float = Field(default=28, gt=0, le=3660)          # ten years: beyond, a study is several runs
    warmup_days: float = Field(default=3, ge=0, le=366)
    seed: int = Field(default=1, ge=0, le=MAX_SEED)   # what replications.csv and numpy hold (sim.util.bounds)
    start_date: dt.date = dt.date(2016, 9, 5)

    @field_validator("start_date")
    @classmethod
    def _monday(cls, v: dt.date):
        if v.weekday() != 0:
            raise ValueError(f"expected a Monday (simulated time starts Monday 00:00); {v} is a {DAYS[v.weekday()]}")
        return v


class Standards(_Strict):
    """What response times are judged against; each a time after the call, so above zero (a
    standard of 0 or -5 minutes would count every attendance as late, or none as on time)."""
    g1_minutes: dict[str, Annotated[float, Field(gt=0)]] = {"urban": 15.0, "rural": 20.0}
    g2_minutes: float = Field(default=60.0, gt=0)
    g3_hours: float = Field(default=48.0, gt=0)


class Recommendation(_Strict):
    downgrades_per_week_tolerance: float = Field(default=0.0, ge=0)
    g1_aim: float = Field(default=0.9, ge=0, le=1)
    g2_aim: float = Field(default=0.9, ge=0, le=1)


class Scenario(_Strict):
    meta: Meta
    run: Run = Run()
    demand: Demand
    call_handling: CallHandling
    thrive: Thrive = Thrive()
    response: Response
    appointments: Appointments = Appointments()
    assessment: Assessment = Assessment()
    neighbourhood: Neighbourhood = Neighbourhood()
    policy: Policy = Policy()
    standards: Standards = Standards()
    recommendation: Recommendation = Recommendation()
    plan: Planning | None = None      # what the planner must respect (a minimum on duty)

    def to_dict(self) -> dict:
        return self.model_dump(mode="python", by_alias=True, exclude_none=True)


def horizon_minutes(s: Scenario) -> float:
    return (s.run.warmup_days + s.run.days) * 1440.0

