"""Who is on duty, as written: shift types (a start and a length), a weekly template's shifts
with a head-count per day, a team ``Pattern`` (a cycle of shift codes worked by teams from
their own offsets), and the ``_Pool`` every rostered group is (call handlers here; response,
neighbourhood and supervisors beside their topics), with the share of staff absent. What the
rota means hour by hour is ``rota.py``'s business.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from sim.scenario.base import DAYS, MAX_HEADS, Day, _Strict
from sim.util.distributions import Distribution, Fixed

def _parse_hhmm(v: str) -> float:
    try:
        hh, mm = v.split(":")
        h, m = int(hh), int(mm)
    except (ValueError, AttributeError):
        raise ValueError('expected a time of day "HH:MM"') from None
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError('expected a time of day "HH:MM" between 00:00 and 23:59')
    return h * 60.0 + m


def _per_day(v: Any, what: str) -> tuple[int, ...]:
    """A head-count: one integer for every day, or 7 integers Mon..Sun."""
    expected = f"expected {what} as an integer >= 0 or a list of 7 integers >= 0 (Mon..Sun)"
    if isinstance(v, bool):
        raise ValueError(expected)
    if isinstance(v, int):
        values = [v] * 7
    elif isinstance(v, (list, tuple)) and len(v) == 7 and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        values = list(v)
    else:
        raise ValueError(expected)
    if min(values) < 0:
        raise ValueError(expected)
    if max(values) > MAX_HEADS:
        raise ValueError(f"expected at most {MAX_HEADS:,} {what} on a shift")
    return tuple(values)


class ShiftType(_Strict):
    """A tour: when it starts and how long it lasts (a pattern's shift types are just this)."""
    start: str
    hours: float = Field(gt=0, le=24)

    @field_validator("start")
    @classmethod
    def _start(cls, v):
        _parse_hhmm(v)
        return v

    @property
    def start_minute(self) -> float:
        return _parse_hhmm(self.start)


class _Shift(ShiftType):
    """A weekly template's shift: a tour on the days listed, with a head-count per day."""
    days: list[Day] = list(DAYS)

    def headcount(self) -> tuple[int, ...]:  # pragma: no cover - overridden
        raise NotImplementedError


class HandlerShift(_Shift):
    staff: Any

    @field_validator("staff")
    @classmethod
    def _staff(cls, v):
        return _per_day(v, "staff")

    def headcount(self):
        return self.staff


class UnitShift(_Shift):
    units: Any

    @field_validator("units")
    @classmethod
    def _units(cls, v):
        return _per_day(v, "units")

    def headcount(self):
        return self.units


REST = "R"  # the rest-day code of a team pattern


class Team(_Strict):
    size: int = Field(ge=0, le=MAX_HEADS)
    offset: int = Field(ge=0)   # the cycle day (0 = first) the team is on at the anchor date


class Overlay(ShiftType):
    """An overlay team on a fixed weekly tour: ``size`` officers on duty on every day listed, from
    ``start`` for ``hours`` (e.g. Thu-Sat 17:00 for 10 h over the weekend's evening peak), beside
    the pattern's rotating teams; the same fatigue limits apply (its week is its cycle)."""
    days: list[Day] = Field(min_length=1)
    size: int = Field(ge=0, le=MAX_HEADS)

    @field_validator("days")
    @classmethod
    def _distinct(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("expected each day once")
        return sorted(v, key=DAYS.index)


class Pattern(_Strict):
    """A rotating team rota: every team works the same cycle of day codes (shift-type codes,
    ``R`` for rest), each from its own offset; ``anchor`` is the calendar date on which a team
    with offset 0 works the cycle's first day. The fatigue limits are checked over the cycle.
    ``overlay`` (optional): teams on a fixed weekly tour beside the rotating ones, each named
    once (its name is its tour's code and its team's name)."""
    anchor: dt.date
    shift_types: dict[str, ShiftType] = Field(min_length=1)
    cycle: list[str] = Field(min_length=1, max_length=366)   # a year at most
    teams: dict[str, Team] = Field(min_length=1)
    min_rest_hours: float = Field(default=11.0, ge=0)      # between the end of one tour and the next
    max_consecutive_duties: int = Field(default=7, ge=1, le=366)
    max_consecutive_nights: int = Field(default=4, ge=1, le=366)   # a night tour: 3 h or more within 23:00-06:00
    max_tour_hours: float = Field(default=10.0, gt=0, le=24)
    overlay: dict[str, Overlay] | None = None

    @field_validator("shift_types")
    @classmethod
    def _codes(cls, v):
        if REST in v:
            raise ValueError(f"{REST!r} is the rest-day code; give the shift type another code")
        if any(not code.strip() for code in v):
            raise ValueError("a shift type code must not be blank")
        return v

    @field_validator("cycle")
    @classmethod
    def _cycle_codes(cls, v, info):
        types = info.data.get("shift_types")
        if types is None:
            return v   # the shift types were wrong: that error is reported
        for i, code in enumerate(v):
            if code != REST and code not in types:
                raise ValueError(f"cycle day {i + 1} is {code!r}: expected {REST!r} (rest) or a shift type code "
                                 f"({', '.join(types)})")
        return v

    @model_validator(mode="after")
    def _overlay_names(self):
        for name in self.overlay or {}:
            if not name.strip() or name == REST:
                raise ValueError(f"overlay {name!r}: expected a name, not blank or the rest-day code {REST!r}")
            if name in self.shift_types or name in self.teams:
                raise ValueError(f"overlay {name!r}: expected a name that is not also a shift type code or a team")
        return self

    @property
    def days(self) -> int:
        return len(self.cycle)

    @property
    def overlays(self) -> dict[str, Overlay]:
        """The overlay teams (none: an empty table)."""
        return self.overlay or {}


def _abstraction(v):
    """A share in [0, 1), or a distribution table of the share (drawn per shift instance)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if not 0.0 <= v < 1.0:
            raise ValueError("expected the share of rostered staff absent, a number in [0, 1)")
        return float(v)
    if isinstance(v, dict):
        from pydantic import TypeAdapter
        try:
            dist = TypeAdapter(Distribution).validate_python(v, strict=True)
        except ValidationError as exc:
            raise ValueError(f"expected a distribution of the share absent: {exc.errors()[0]['msg']}") from None
        values = [dist.value] if isinstance(dist, Fixed) else getattr(dist, "values", [dist.mean])
        if max(values) >= 1.0:
            raise ValueError("expected a distribution of the share absent with values (or mean) below 1; "
                             "draws of a continuous family are clipped to [0, 1]")
        return dist
    raise ValueError("expected the share of rostered staff absent (a number in [0, 1)) or a distribution table")


class _Pool(_Strict):
    """Who is on duty: a weekly template (``shifts``) or a team ``pattern``, and the share of
    rostered staff absent on each shift (leave, sickness, training, court)."""
    pattern: Pattern | None = None
    # a share (binomial absences per shift), or a distribution of the share drawn per shift
    abstraction: Any = 0.0
    # one person's contracted hours a week: a weekly template's establishment is its rostered
    # hours over this (a pattern's is its team sizes added up)
    contracted_hours_per_week: float = Field(default=40.0, gt=0, le=168)

    @field_validator("abstraction")
    @classmethod
    def _share(cls, v):
        return _abstraction(v)

    @model_validator(mode="after")
    def _one_rota(self):
        if self.shifts and self.pattern is not None:
            raise ValueError("give shifts (a weekly template) or pattern (a team rota), not both")
        return self

    @property
    def has_rota(self) -> bool:
        return bool(self.shifts) or self.pattern is not None

    def shortest_tour_minutes(self) -> float:
        tours = [*self.pattern.shift_types.values(), *self.pattern.overlays.values()] \
            if self.pattern is not None else self.shifts.values()
        return min((t.hours * 60.0 for t in tours), default=math.inf)


class CallHandling(_Pool):
    shifts: dict[str, HandlerShift] = {}

