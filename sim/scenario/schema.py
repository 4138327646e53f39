"""Scenario files: TOML in, a validated and frozen ``Scenario`` out.

Loading is three steps, kept apart so each can be tested:
1. ``read_layers`` reads a file and, recursively, the ``base`` file it names, merging
   tables key by key (a variant file only says what differs);
2. ``apply_overrides`` applies ``--set key=value`` pairs (dotted keys, TOML values);
3. ``validate`` builds the pydantic model, then checks what spans several fields
   (rota coverage, probabilities, standards per area).

Every failure raises ``ScenarioError`` naming the file, the dotted field path, the value
and what was expected, so the command line can print one line and exit 2.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.util.distributions import Distribution, Fixed

GRADES = ("G1", "G2", "G3", "G4")
RISKS = ("none",) + GRADES
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHANNELS = ("999", "101")
Grade = Literal["G1", "G2", "G3", "G4"]
Day = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_PROB_TOL = 1e-6


class ScenarioError(Exception):
    """A scenario that cannot be used, with where and why."""

    def __init__(self, file: str | Path | None, path: str, value: Any, expected: str):
        self.file, self.path, self.value, self.expected = str(file or "<scenario>"), path, value, expected
        where = f"{self.file}: {path}" if path else self.file
        shown = "" if value is _NO_VALUE else f" = {_show(value)}"
        super().__init__(f"{where}{shown}: {expected}")


_NO_VALUE = object()


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Strict(BaseModel):
    # strict: "5" is not a number and "yes" is not true; no inf/nan where a finite number is meant
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False, strict=True,
                              allow_inf_nan=False)


def _check_probabilities(mix: dict[str, float], what: str) -> dict[str, float]:
    bad = {k: v for k, v in mix.items() if not (0.0 <= v <= 1.0)}
    if bad:
        raise ValueError(f"{what}: each probability must lie in [0, 1]")
    total = sum(mix.values())
    if abs(total - 1.0) > _PROB_TOL:
        raise ValueError(f"{what}: probabilities must sum to 1 (they sum to {total:.6g})")
    return mix


# ---------------------------------------------------------------------------- meta, run
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
    days: float = Field(default=28, gt=0)
    warmup_days: float = Field(default=3, ge=0)
    seed: int = Field(default=1, ge=0)
    start_date: dt.date = dt.date(2016, 9, 5)

    @field_validator("start_date")
    @classmethod
    def _monday(cls, v: dt.date):
        if v.weekday() != 0:
            raise ValueError(f"expected a Monday (simulated time starts Monday 00:00); {v} is a {DAYS[v.weekday()]}")
        return v


# ---------------------------------------------------------------------------- demand
class Adjust(_Strict):
    """Multiply the hour-of-day shape on some days between two hours (e.g. weekend nights)."""
    days: list[Day] = list(DAYS)
    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=1, le=24)
    factor: float = Field(ge=0, le=1000)

    @model_validator(mode="after")
    def _order(self):
        if self.end_hour <= self.start_hour:
            raise ValueError(f"end_hour ({self.end_hour}) must be after start_hour ({self.start_hour})")
        return self


class Retry(_Strict):
    """What an abandoned caller does: call again after ``delay``, on 999 with ``to_999``."""
    probability: float = Field(default=0.0, ge=0, le=1)
    to_999: float = Field(default=0.0, ge=0, le=1)
    delay: Distribution = Fixed(family="fixed", value=30.0)


class ChannelDemand(_Strict):
    calls_per_day: float = Field(ge=0, le=1e6)   # a force's busiest day is ~1e4: 1e6 is a typo, not a force
    hour_of_day: list[float] | None = Field(default=None, min_length=24, max_length=24)
    hour_of_week: list[float] | None = Field(default=None, min_length=168, max_length=168)
    day_of_week: list[float] = Field(default=[1.0] * 7, min_length=7, max_length=7)
    adjust: list[Adjust] = []
    handling: Distribution
    patience: Distribution | None = None  # None: callers never abandon
    risk: dict[Literal["none", "G1", "G2", "G3", "G4"], float]
    retry: Retry = Retry()
    # share of the handling time after which the handler has graded the call and created the
    # incident (dispatch can start while the handler is still on the line); 1 = at the end
    graded_at: float = Field(default=1.0, ge=0, le=1)

    @field_validator("hour_of_day", "hour_of_week", "day_of_week")
    @classmethod
    def _non_negative(cls, v):
        if v is not None and (min(v) < 0 or sum(v) <= 0):
            raise ValueError("expected non-negative weights, not all zero")
        return v

    @field_validator("risk")
    @classmethod
    def _risk_sums(cls, v):
        return _check_probabilities(v, "risk mix")

    @model_validator(mode="after")
    def _one_shape(self):
        if self.hour_of_day is not None and self.hour_of_week is not None:
            raise ValueError("give hour_of_day or hour_of_week, not both")
        return self

    def week_shape(self) -> np.ndarray:
        """168 relative rates, mean 1 over the week, day-of-week multipliers applied after."""
        if self.hour_of_week is not None:
            shape = np.asarray(self.hour_of_week, dtype=float)
        else:
            day = np.ones(24) if self.hour_of_day is None else np.asarray(self.hour_of_day, float)
            shape = np.tile(day, 7)
        shape = shape.copy()
        for adj in self.adjust:
            for d in adj.days:
                i = DAYS.index(d) * 24
                shape[i + adj.start_hour : i + adj.end_hour] *= adj.factor
        mean = shape.mean()
        shape = shape / mean if mean > 0 else shape
        return shape * np.repeat(np.asarray(self.day_of_week, float), 24)


class Channels(_Strict):
    c999: ChannelDemand | None = Field(default=None, alias="999")
    c101: ChannelDemand | None = Field(default=None, alias="101")

    def get(self, name: str) -> ChannelDemand | None:
        return self.c999 if name == "999" else self.c101


class Surge(_Strict):
    """A window of extra (or less) demand, e.g. a bank holiday or a heatwave."""
    start: dt.datetime
    end: dt.datetime
    factor: float = Field(ge=0, le=1000)
    channels: list[Literal["999", "101"]] = list(CHANNELS)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _datetime(cls, v):
        """A TOML datetime, or a string "YYYY-MM-DDTHH:MM" (seconds optional, 'T' or a space)."""
        if isinstance(v, str):
            try:
                return dt.datetime.fromisoformat(v.strip())
            except ValueError:
                raise ValueError("expected a date and time YYYY-MM-DDTHH:MM (seconds optional), "
                                 "e.g. 2016-09-09T18:00") from None
        return v

    @model_validator(mode="after")
    def _hours(self):
        for name in ("start", "end"):
            t = getattr(self, name)
            if t.tzinfo is not None:
                raise ValueError(f"{name}: expected a local date and time without a time zone (the run's clock is local)")
            if t.minute or t.second or t.microsecond:
                raise ValueError(f"{name} must be on the hour (demand is piecewise constant per hour)")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


MAX_FACTOR = 1000.0   # a demand multiplier or surge beyond x1000 is a typo, not a scenario


class Demand(_Strict):
    multiplier: float = Field(default=1.0, ge=0, le=MAX_FACTOR)
    month: list[Annotated[float, Field(ge=0, le=100)]] = Field(default=[1.0] * 12, min_length=12, max_length=12)
    channels: Channels
    surges: list[Surge] = []
    # a trace of observed calls (sim/scenario/trace.py) replayed instead of sampled arrivals; the path
    # is resolved against the folder of the file that names it, as ``base`` is (see read_layers)
    trace: str | None = None

    @field_validator("trace")
    @classmethod
    def _trace_file(cls, v):
        if v is not None and not Path(v).is_file():
            what = "is a folder, not a trace file" if Path(v).is_dir() else "trace file not found"
            raise ValueError(f"{what} (looked for {Path(v).resolve()})")
        return v


# ---------------------------------------------------------------------------- rotas
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


MAX_HEADS = 100_000   # people on one shift or in one team: beyond any force (the Met has ~34,000 officers)


class Team(_Strict):
    size: int = Field(ge=0, le=MAX_HEADS)
    offset: int = Field(ge=0)   # the cycle day (0 = first) the team is on at the anchor date


class Pattern(_Strict):
    """A rotating team rota: every team works the same cycle of day codes (shift-type codes,
    ``R`` for rest), each from its own offset; ``anchor`` is the calendar date on which a team
    with offset 0 works the cycle's first day. The fatigue limits are checked over the cycle."""
    anchor: dt.date
    shift_types: dict[str, ShiftType] = Field(min_length=1)
    cycle: list[str] = Field(min_length=1, max_length=366)   # a year at most
    teams: dict[str, Team] = Field(min_length=1)
    min_rest_hours: float = Field(default=11.0, ge=0)      # between the end of one tour and the next
    max_consecutive_duties: int = Field(default=7, ge=1, le=366)
    max_consecutive_nights: int = Field(default=4, ge=1, le=366)   # a night tour: 3 h or more within 23:00-06:00
    max_tour_hours: float = Field(default=10.0, gt=0, le=24)

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

    @property
    def days(self) -> int:
        return len(self.cycle)


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
        tours = self.pattern.shift_types.values() if self.pattern is not None else self.shifts.values()
        return min((t.hours * 60.0 for t in tours), default=math.inf)


class CallHandling(_Pool):
    shifts: dict[str, HandlerShift] = {}


# ---------------------------------------------------------------------------- THRIVE
class Thrive(_Strict):
    """Assessment at first contact: the misgrading matrix maps true risk to assessed grade."""
    misgrading_enabled: bool = True
    misgrading: dict[Grade, dict[Grade, float]] = {}
    categories: dict[Grade, dict[str, float]] = {}

    @field_validator("misgrading")
    @classmethod
    def _rows(cls, v):
        for g, row in v.items():
            _check_probabilities(row, f"misgrading row {g}")
        return v

    @field_validator("categories")
    @classmethod
    def _cats(cls, v):
        for g, row in v.items():
            _check_probabilities(row, f"category mix {g}")
        return v

    def matrix(self) -> np.ndarray:
        """4x4 row-stochastic matrix, true grade (row) -> assessed grade (column)."""
        m = np.eye(4)
        if self.misgrading_enabled:
            for g, row in self.misgrading.items():
                i = GRADES.index(g)
                m[i] = 0.0
                for h, p in row.items():
                    m[i, GRADES.index(h)] = p
        return m

    def category_names(self) -> list[str]:
        names: list[str] = []
        for row in self.categories.values():
            names += [c for c in row if c not in names]
        return names or ["unspecified"]


# ---------------------------------------------------------------------------- response
class Area(_Strict):
    share: float = Field(ge=0, le=1)
    blue_light: Distribution
    normal: Distribution


class NonIncidentBlock(_Strict):
    """Time a unit spends off incidents (briefing, refreshment break, statements), taken at the
    first free moment after it falls due. Due times are staggered evenly over
    ``spread_hours`` from ``after_hours`` into the shift, as supervisors stagger breaks."""
    after_hours: float = Field(ge=0)
    minutes: float = Field(gt=0)
    spread_hours: float = Field(default=0.0, ge=0)


class Response(_Pool):
    shifts: dict[str, UnitShift] = {}
    areas: dict[str, Area]
    units_needed: dict[Grade, dict[str, float]] = {}
    on_scene: dict[Grade, Distribution]
    arrest_probability: dict[Grade, float] = {}
    custody: Distribution = Fixed(family="fixed", value=180.0)
    admin: Distribution = Fixed(family="fixed", value=0.0)
    non_incident: dict[str, NonIncidentBlock] = {}
    blue_light_grades: list[Grade] = ["G1"]
    reserve_for_g1: int = Field(default=0, ge=0)
    divert_to_g1_from: list[Literal["G2", "G3"]] = []
    # end-of-shift protection: no new job of these grades for a unit (or a borrowed neighbourhood
    # officer) with less than this many minutes of its shift left; it is kept for G1s (and for
    # G2s when only G3 is protected). 0 = any job up to the last minute
    end_of_shift_minutes: float = Field(default=0.0, ge=0)
    end_of_shift_grades: list[Literal["G2", "G3"]] = Field(default=["G2", "G3"], min_length=1)

    @field_validator("areas")
    @classmethod
    def _shares(cls, v):
        if not v:
            raise ValueError("expected at least one area")
        _check_probabilities({k: a.share for k, a in v.items()}, "area shares")
        return v

    @field_validator("end_of_shift_grades")
    @classmethod
    def _end_of_shift_grades(cls, v):
        if "G2" in v and "G3" not in v:
            raise ValueError('expected ["G3"] or ["G2", "G3"]: a unit kept back from G2s is kept back from '
                             "the less urgent G3s too (otherwise G3s would wait behind a G2 it may not take)")
        return v

    @field_validator("units_needed")
    @classmethod
    def _units_needed(cls, v):
        for g, row in v.items():
            for k in row:
                if not k.isdigit() or int(k) < 1:
                    raise ValueError(f"units_needed.{g}: keys are unit counts 1, 2, 3...; got {k!r}")
            _check_probabilities(row, f"units_needed.{g}")
        return v

    @field_validator("arrest_probability")
    @classmethod
    def _arrest(cls, v):
        for g, p in v.items():
            if not 0 <= p <= 1:
                raise ValueError(f"arrest_probability.{g} must lie in [0, 1]")
        return v

    @field_validator("on_scene")
    @classmethod
    def _all_grades(cls, v):
        missing = [g for g in GRADES if g not in v]
        if missing:
            raise ValueError(f"expected an on-scene distribution for every grade; missing {missing}")
        return v


class Appointments(_Strict):
    """G3 scheduled response: capacity of appointment slots per hour (24 or 168 values)."""
    slots_per_hour: list[float] = [0.0] * 24
    min_lead_hours: float = Field(default=2.0, ge=0)
    attended_by: Literal["response", "dedicated"] = "response"
    # false: no diary; G3 incidents join the pending list at once, behind G1 and G2
    booking: bool = True
    # each day's slots (Mon..Sun) times this, rounded down: fewer or none at weekends
    day_of_week: list[float] = Field(default=[1.0] * 7, min_length=7, max_length=7)
    # at the appointment time with no unit free for it, the appointment is cancelled and re-booked
    # (the first free slot after the minimum lead) with this probability; after max_rebookings
    # re-bookings the next cancellation escalates it to escalate_to (the pending list, reason
    # "escalation") instead
    cancel_probability: float = Field(default=0.0, ge=0, le=1)
    max_rebookings: int = Field(default=3, ge=0, le=1000)
    escalate_to: Literal["G1", "G2"] = "G2"

    @field_validator("day_of_week")
    @classmethod
    def _days(cls, v):
        if min(v) < 0 or max(v) > MAX_FACTOR:
            raise ValueError(f"expected multipliers between 0 and {MAX_FACTOR:g}")
        return v

    @field_validator("slots_per_hour")
    @classmethod
    def _len(cls, v):
        if len(v) not in (24, 168):
            raise ValueError(f"expected 24 (hour of day) or 168 (hour of week) values, got {len(v)}")
        if min(v) < 0 or any(x != int(x) for x in v):
            raise ValueError("expected whole numbers of slots >= 0")
        if max(v) > MAX_HEADS:
            raise ValueError(f"expected at most {MAX_HEADS:,} slots an hour")
        return v

    def week_slots(self) -> np.ndarray:
        s = np.asarray(self.slots_per_hour, dtype=np.int64)
        s = np.tile(s, 7) if len(s) == 24 else s
        if any(f != 1.0 for f in self.day_of_week):
            s = np.floor(s * np.repeat(np.asarray(self.day_of_week, float), 24) + 1e-9).astype(np.int64)
        return s


class Neighbourhood(_Pool):
    shifts: dict[str, UnitShift] = {}


# ---------------------------------------------------------------------------- policies
class ResourceLedRule(_Strict):
    after: float = Field(gt=0)          # minutes unresourced before the controller looks
    to: Grade
    probability: float = Field(ge=0, le=1)
    recheck_every: float | None = Field(default=None, gt=0)


class ResourceLed(_Strict):
    rules: dict[Grade, ResourceLedRule] = {}

    @field_validator("rules")
    @classmethod
    def _lower(cls, v):
        for g, rule in v.items():
            if GRADES.index(rule.to) <= GRADES.index(g):
                raise ValueError(f"rules.{g}.to = {rule.to!r}: a downgrade must go to a lower grade than {g}")
        return v


class Escalation(_Strict):
    """Borrow neighbourhood officers for G1/G2 incidents waiting too long (risk-led)."""
    enabled: bool = True
    borrow_after: dict[Literal["G1", "G2"], float] = {"G1": 10.0, "G2": 60.0}
    retry_every: float = Field(default=10.0, gt=0)


class RiskLed(_Strict):
    review_after: dict[Grade, float] = {"G1": 20.0, "G2": 45.0}
    accuracy: float = Field(default=0.8, ge=0, le=1)
    escalation: Escalation = Escalation()


class Policy(_Strict):
    kind: Literal["resource_led", "risk_led", "none"] = "none"
    resource_led: ResourceLed = ResourceLed()
    risk_led: RiskLed = RiskLed()


# ---------------------------------------------------------------------------- assessment (issue 15)
class BlendStep(_Strict):
    at: float = Field(ge=0)          # pressure from which ...
    weight: float = Field(ge=0, le=1)   # ... grading is this far toward the rushed matrix


class Workload(_Strict):
    """Assessment under pressure: grading moves from ``thrive.misgrading`` toward ``rushed`` as
    calls wait (``calls_waiting``: 999 + 101 calls queued when a call is answered) or handlers
    are busy (``occupancy``: share of handlers on a call). Linear: no effect up to ``start``,
    fully rushed from ``full``. Step: the weight of the highest step reached."""
    rushed: dict[Grade, dict[Grade, float]] = {}   # rows left out: as the normal matrix
    measure: Literal["calls_waiting", "occupancy"] = "calls_waiting"
    blend: Literal["linear", "step"] = "linear"
    start: float = Field(default=0.0, ge=0)
    # checked even when left at its default: start = 30 alone would make the weight negative
    full: float = Field(default=20.0, gt=0, validate_default=True)
    steps: list[BlendStep] = []

    @field_validator("rushed")
    @classmethod
    def _rows(cls, v):
        for g, row in v.items():
            _check_probabilities(row, f"rushed row {g}")
        return v

    @field_validator("start", "full", "steps")
    @classmethod
    def _pressure(cls, v, info):
        top = max((s.at for s in v), default=0.0) if info.field_name == "steps" else v
        if info.data.get("measure") == "occupancy" and top > 1:
            raise ValueError("expected a share of handlers <= 1 (measure = 'occupancy')")
        if info.field_name == "full" and info.data.get("blend") == "linear" and v <= info.data.get("start", 0.0):
            raise ValueError(f"expected full above start ({info.data.get('start', 0.0):g})")
        return v

    @model_validator(mode="after")
    def _shape(self):
        if self.blend == "step" and self.rushed and not self.steps:
            raise ValueError("blend = 'step' needs steps, e.g. [{ at = 10, weight = 1.0 }]")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.rushed)


class Vulnerability(_Strict):
    """Vulnerable and repeat victims: a flag per caller (share by incident category), identified
    at first contact with a probability; an identified caller's grade is raised to at least
    ``raise_to`` and to their true risk. ``identification_rushed``: the probability when grading
    is fully rushed (blended with the workload's weight; unset = no effect of pressure)."""
    share: dict[str, float] = {}
    identification: float = Field(default=1.0, ge=0, le=1)
    identification_rushed: float | None = Field(default=None, ge=0, le=1)
    raise_to: Grade = "G2"

    @field_validator("share")
    @classmethod
    def _shares(cls, v):
        bad = {k: x for k, x in v.items() if not 0 <= x <= 1}
        if bad:
            raise ValueError(f"shares must lie in [0, 1]: {bad}")
        return v

    @property
    def enabled(self) -> bool:
        return any(x > 0 for x in self.share.values())


class Supervisors(_Pool):
    shifts: dict[str, HandlerShift] = {}


class Supervision(_Strict):
    """Supervisor review of gradings: a ``share`` of eligible gradings (all, 999 only, or the
    flagged categories) asked for ``delay`` after grading; a supervisor takes it when free
    (FIFO) and spends ``review_minutes``; not started ``within`` minutes of the request, it is
    never done (capacity ran out). A review finds the true risk with probability ``accuracy``;
    an incident not yet attended is re-graded (reason "supervision")."""
    share: float = Field(default=0.0, ge=0, le=1)
    reviews: Literal["all", "999", "flagged"] = "all"
    flagged_categories: list[str] = []
    delay: Distribution = Fixed(family="fixed", value=10.0)
    review_minutes: Distribution = Fixed(family="fixed", value=3.0)
    within: float = Field(default=60.0, gt=0)
    accuracy: float = Field(default=1.0, ge=0, le=1)
    supervisors: Supervisors = Supervisors()

    @property
    def enabled(self) -> bool:
        return self.share > 0


class Assessment(_Strict):
    """HMIC's first recommendation: the initial assessment (issue 15). Absent: grading as before."""
    workload: Workload = Workload()
    vulnerability: Vulnerability = Vulnerability()
    supervision: Supervision = Supervision()


class Standards(_Strict):
    g1_minutes: dict[str, float] = {"urban": 15.0, "rural": 20.0}
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

    def to_dict(self) -> dict:
        return self.model_dump(mode="python", by_alias=True, exclude_none=True)


# ---------------------------------------------------------------------------- loading
MAX_FILE_BYTES = 10 * 10**6   # a scenario is a few kB; a bigger file is not one (and would fill memory)
MAX_BASE_CHAIN = 32        # files in one base chain: deeper is a mistake (or an attack), not a scenario
SHIPPED_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
# folders a base file may also come from, named by the user on the command line (--base-root DIR)
BASE_ROOTS: list[Path] = []


def base_roots(top: Path) -> list[Path]:
    """Where a scenario's ``base`` files may come from: the folder of the file given, the nearest
    enclosing folder called ``scenarios``, the shipped scenarios/, and any --base-root. A scenario
    file from someone else cannot make the tool read /etc/passwd or a home folder."""
    here = top.resolve().parent
    roots = [here]
    if (here / "manifest.json").is_file():   # a folder this tool wrote (a plan, a fit) refers to its input beside it
        roots.append(here.parent)
    roots += [p for p in here.parents if p.name == "scenarios"][:1]
    return roots + [SHIPPED_SCENARIOS] + [Path(r).resolve() for r in BASE_ROOTS]


def read_toml(path: Path, what: str = "scenario") -> dict:
    """A TOML file the user gave (a scenario layer, a CAD map): size-capped, UTF-8, and a parse
    error as the usual one-line ScenarioError naming the file."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ScenarioError(path, "", _NO_VALUE, f"a {what} file of at most {MAX_FILE_BYTES // 10**6} MB "
                            f"(this one is {path.stat().st_size / 1e6:,.0f} MB)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"malformed TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(path, "", _NO_VALUE, "expected a UTF-8 text file") from None


def read_layers(path: str | Path, _seen: tuple[Path, ...] = (), _roots: list[Path] | None = None) -> dict:
    """Read a scenario file and merge it over the ``base`` file it names (recursively); base
    files are confined to ``base_roots`` of the file given, and a chain to ``MAX_BASE_CHAIN``."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(path, "", _NO_VALUE, "file not found")
    if not path.is_file():
        raise ScenarioError(path, "", _NO_VALUE, "expected a scenario file, not a folder")
    resolved = path.resolve()
    if resolved in _seen:
        raise ScenarioError(path, "base", str(path), "a base chain must not loop back to a file it came from")
    data = read_toml(path)
    roots = _roots if _roots is not None else base_roots(path)
    _resolve_trace(data, path, roots)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(path, "base", base, "expected a file name (a string)")
    if "\x00" in base or len(base) > 4096:
        raise ScenarioError(path, "base", base[:80], "expected a file name (no NUL byte, at most 4096 characters)")
    if len(_seen) + 1 >= MAX_BASE_CHAIN:
        raise ScenarioError(path, "base", base, f"a base chain of at most {MAX_BASE_CHAIN} files")
    base_path = (path.parent / base)
    where = base_path.resolve()
    if not any(where.is_relative_to(r) for r in roots):
        raise ScenarioError(path, "base", base, "a file in the scenario's own folder, the nearest enclosing "
                            "'scenarios' folder or the shipped scenarios/ (it resolves to "
                            f"{where}); to use another folder, name it with --base-root DIR")
    if not base_path.is_file():
        what = "is a folder, not a scenario file" if base_path.is_dir() else "base file not found"
        raise ScenarioError(path, "base", base, f"{what} (looked for {where})")
    return deep_merge(read_layers(base_path, _seen + (resolved,), roots), data)


def _resolve_trace(data: dict, path: Path, roots: list[Path]) -> None:
    """A layer's ``demand.trace`` names a file relative to that layer's folder and confined to the
    same folders as ``base`` files (``base_roots``): made absolute here, so a merged (or
    written-out) scenario still finds it, and a missing or misnamed trace is reported against the
    file that named it."""
    demand = data.get("demand")
    trace = demand.get("trace") if isinstance(demand, dict) else None
    if trace is None:
        return
    if not isinstance(trace, str) or not trace.strip() or "\x00" in trace or len(trace) > 4096:
        raise ScenarioError(path, "demand.trace", trace, "expected a file name (a string, no NUL byte, at most 4096 characters)")
    found = path.parent / trace
    if not any(found.resolve().is_relative_to(r) for r in roots):
        raise ScenarioError(path, "demand.trace", trace, "a file in the scenario's own folder, the nearest enclosing "
                            "'scenarios' folder or the shipped scenarios/ (it resolves to "
                            f"{found.resolve()}); to use another folder, name it with --base-root DIR")
    if not found.is_file():
        what = "is a folder, not a trace file" if found.is_dir() else "trace file not found"
        raise ScenarioError(path, "demand.trace", trace, f"{what} (looked for {found.resolve()})")
    demand["trace"] = str(found.resolve())


def layer_files(path: str | Path) -> list[Path]:
    """The scenario file and the chain of base files under it, top first (already validated)."""
    out, path = [], Path(path)
    while path is not None and path.is_file() and path.resolve() not in [p.resolve() for p in out]:
        out.append(path)
        base = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("base")
        path = path.parent / base if isinstance(base, str) else None
    return out


# Keys of a pool's table (``call_handling``, ``response``, ``neighbourhood``) that are
# alternatives to each other: a layer that writes one drops the other from the layers below,
# so a file based on a weekly template can give a team pattern instead.
ALTERNATIVES = (("shifts", "pattern"), ("hour_of_day", "hour_of_week"))
ROTA_POOLS = ("call_handling", "response", "neighbourhood")


def deep_merge(base: dict, top: dict, _path: tuple[str, ...] = ()) -> dict:
    """Tables merge key by key; any other value (lists included) is replaced, and so is a
    distribution table (one with a ``family`` key): its parameters belong to its family.
    An empty table replaces (clears) the base's table, e.g. ``[response.non_incident]``.
    In a pool's table, of two ``ALTERNATIVES`` the one the top layer writes replaces the other."""
    out = dict(base)
    # a pool's rota, or a channel's demand shape (hour_of_day / hour_of_week): one replaces the other
    if (len(_path) == 1 and _path[0] in ROTA_POOLS) or (len(_path) == 3 and _path[:2] == ("demand", "channels")):
        for key in top:
            _drop_alternative(out, key)
    for k, v in top.items():
        mergeable = isinstance(v, dict) and isinstance(out.get(k), dict) and v and "family" not in v
        out[k] = deep_merge(out[k], v, _path + (k,)) if mergeable else v
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """``key.sub=value``: the value is read as TOML where it parses, else as a plain string."""
    if "=" not in text:
        raise ScenarioError("--set", "", text, "expected KEY=VALUE, e.g. policy.kind=risk_led")
    key, raw = text.split("=", 1)
    keys = [k.strip() for k in key.strip().split(".")]
    if not all(keys):
        raise ScenarioError("--set", key, raw, "expected a dotted key such as response.shifts.late.units")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return keys, value


def apply_overrides(data: dict, overrides: list[str], dropped: list[str] | None = None) -> dict:
    """Each ``--set`` is a layer of its own: setting a pool's ``pattern`` (or anything inside
    it) on a file with that pool's ``shifts`` drops the ``shifts``, and the other way round;
    ``dropped`` collects a sentence for each such replacement, for error messages."""
    data = deep_merge(data, {})
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for i, k in enumerate(keys[:-1]):
            if i == 1 and keys[0] in ROTA_POOLS:
                _drop_alternative(node, k, dropped, f"--set {text} replaced {keys[0]}.{{gone}} by {keys[0]}.{k}")
            nxt = node.get(k)
            if nxt is None:
                nxt = node[k] = {}
            elif not isinstance(nxt, dict):
                raise ScenarioError("--set", ".".join(keys[: i + 1]), nxt, "is not a table, cannot set a key inside it")
            else:
                nxt = node[k] = dict(nxt)
            node = nxt
        if len(keys) == 2 and keys[0] in ROTA_POOLS:
            _drop_alternative(node, keys[1], dropped, f"--set {text} replaced {keys[0]}.{{gone}} by {keys[0]}.{keys[1]}")
        node[keys[-1]] = value
    return data


def _drop_alternative(node: dict, key: str, dropped: list[str] | None = None, note: str = "") -> None:
    for pair in ALTERNATIVES:
        if key in pair:
            gone = pair[1 - pair.index(key)]
            if node.pop(gone, None) is not None and dropped is not None:
                dropped.append(note.replace("{gone}", gone))


def load_written(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load a scenario the tool itself wrote: its ``base`` names the file the user gave on the
    command line, so that file's folder is trusted for this load only."""
    path = Path(path)
    try:
        base = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("base")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        base = None
    extra = [(path.parent / base).resolve().parent] if isinstance(base, str) and "\x00" not in base else []
    saved = BASE_ROOTS[:]
    BASE_ROOTS.extend(extra)
    try:
        return load_scenario(path, overrides)
    finally:
        BASE_ROOTS[:] = saved


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Read, merge, override and validate a scenario file."""
    data = read_layers(path)
    dropped: list[str] = []
    data = apply_overrides(data, overrides or [], dropped)
    try:
        return validate(data, source=path)
    except ScenarioError as err:
        err = _blame(err, path, overrides or [])
        if dropped:   # the error may come from what the replacement left out
            err = ScenarioError(err.file, err.path, err.value, f"{err.expected}; note: {'; '.join(dropped)}")
        raise err from None


def _blame(err: ScenarioError, path, overrides: list[str]) -> ScenarioError:
    """Point an error at the layer that wrote the field: a --set option, or a base file."""
    parts = err.path.split(".") if err.path else []
    if not parts:
        return err
    for text in reversed(overrides):
        keys = parse_override(text)[0]
        if keys[: len(parts)] == parts[: len(keys)]:
            return ScenarioError(err.file, err.path, err.value, f"{err.expected} (set by --set {text})")
    best, depth = None, 0
    for layer in layer_files(path):  # top first: on a tie the file nearest the top wins
        node, d = tomllib.loads(layer.read_text(encoding="utf-8-sig")), 0
        for key in parts:
            if not isinstance(node, dict) or key not in node:
                break
            node, d = node[key], d + 1
        if d > depth:
            best, depth = layer, d
    if best is None or best == Path(path):
        return err
    return ScenarioError(best, err.path, err.value, f"{err.expected} (in a base file of {path})")


def validate(data: dict, source: str | Path | None = None) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, source) from None
    check_consistency(scenario, source)
    return scenario


def _first_error(exc: ValidationError, source) -> ScenarioError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    path_parts, model, parent = [], Scenario, None
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad dict key: the key is already in the path
            continue
        # drop discriminated-union tags (e.g. 'lognormal') that pydantic inserts in the path
        if isinstance(model, _Tagged) and part in model.tags:
            model = model.tags[part]
            continue
        path_parts.append(part)
        parent, model = model, _descend(model, part)
    path = ".".join(path_parts)
    etype, ctx = err["type"], err.get("ctx", {})
    value = err.get("input", _NO_VALUE)
    if etype == "value_error" and isinstance(value, dict):
        # a check on a whole table keyed by grade names the bad row (e.g. 'misgrading row G4'):
        # point at that row, so the message shows its value rather than a truncated table
        named = re.search(r"\bG[1-4]\b", str(ctx.get("error", err["msg"])))
        if named and named.group() in value:
            path, value = f"{path}.{named.group()}", value[named.group()]
    if etype == "extra_forbidden":
        known = sorted(_field_names(parent)) if _is_model(parent) else []
        hint = difflib.get_close_matches(path_parts[-1], known, n=1)
        expected = "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "") + (
            f"; expected one of: {', '.join(known)}" if known else "")
    elif etype == "missing":
        expected, value = "required key is missing", _NO_VALUE
    elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[etype]
        bound = next(iter(ctx.values()))
        expected = f"expected a number {op} {bound}"
    elif etype in ("int_type", "int_parsing", "int_from_float"):
        expected = "expected an integer"
    elif etype in ("float_type", "float_parsing"):
        expected = "expected a number"
    elif etype == "finite_number":
        expected = "expected a finite number"
    elif etype in ("bool_type", "bool_parsing"):
        expected = "expected true or false"
    elif etype in ("string_type",):
        expected = "expected a string"
    elif etype in ("list_type",):
        expected = "expected a list"
    elif etype in ("dict_type", "model_type", "model_attributes_type"):
        expected = "expected a table"
    elif etype in ("too_short", "too_long"):
        n = ctx.get("min_length") if etype == "too_short" else ctx.get("max_length")
        exact = _exact_length(path_parts, parent)
        expected = (err["msg"] if n is None else "expected at least one value" if (etype, n) == ("too_short", 1)
                    else f"expected a list of {n} values" if exact else
                    f"expected {'at least' if etype == 'too_short' else 'at most'} {n} values")
    elif etype == "literal_error":
        expected = f"expected one of {ctx.get('expected')}"
    elif etype == "union_tag_invalid":
        expected = f"unknown distribution family; expected one of {ctx.get('expected_tags')}"
    elif etype == "union_tag_not_found":
        expected = "expected a distribution table with a 'family' key (fixed, exponential, lognormal, gamma, empirical)"
    elif etype in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        expected = "expected a date YYYY-MM-DD" + (" written as a TOML date, without quotes" if isinstance(value, str) else "")
    elif etype in ("datetime_type", "datetime_parsing", "datetime_from_date_parsing"):
        expected = "expected a date and time YYYY-MM-DDTHH:MM"
    elif etype == "value_error":
        expected = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    else:
        expected = err["msg"]
    return ScenarioError(source, path, value, expected)


def _exact_length(path_parts: list[str], parent) -> bool:
    """Whether the field at the end of an error path must have an exact length (min = max)."""
    if not _is_model(parent) or not path_parts:
        return True
    for n, f in parent.model_fields.items():
        if (f.alias or n) == path_parts[-1]:
            lengths = {getattr(m, "min_length", None) for m in f.metadata} | {getattr(m, "max_length", None) for m in f.metadata}
            lengths.discard(None)
            return len(lengths) <= 1
    return True


def _is_model(model) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel)


def _field_names(model) -> set[str]:
    return {f.alias or n for n, f in model.model_fields.items()}


def _descend(model, part: str):
    """What lies one step down an error path: a model class, a ``_DictOf`` (dict of models),
    a ``_Tagged`` (discriminated union of models), or None (anything else)."""
    if isinstance(model, _DictOf):
        return model.model  # ``part`` is a dict key
    if not _is_model(model):
        return None
    for n, f in model.model_fields.items():
        if (f.alias or n) == part:
            return _as_model(f.annotation)
    return None


def _as_model(ann):
    if _is_model(ann):
        return ann
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Annotated:
        return _as_model(args[0])
    if origin is dict and len(args) == 2:
        inner = _as_model(args[1])
        return None if inner is None else _DictOf(inner)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:  # Optional[X]
            return _as_model(options[0])
        tags = {}
        for a in options:
            a = _as_model(a)
            family = a.model_fields.get("family") if _is_model(a) else None
            if family is None or typing.get_origin(family.annotation) is not typing.Literal:
                return None
            tags.update({t: a for t in typing.get_args(family.annotation)})
        return _Tagged(tags)
    return None


class _DictOf:
    """Marks 'a dict whose values are model M' while walking an error path."""
    def __init__(self, model):
        self.model = model


class _Tagged:
    """Marks 'one of several models, chosen by a family tag' while walking an error path."""
    def __init__(self, tags: dict):
        self.tags = tags


# ---------------------------------------------------------------------------- consistency
def check_consistency(s: Scenario, source=None) -> None:
    """Checks that need several fields at once."""
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
    from sim.scenario.rota import fatigue_problem, first_date_on  # local import: rota depends on this module's types

    for name, team in p.teams.items():
        if team.offset >= p.days:
            raise ScenarioError(source, f"{path}.teams.{name}.offset", team.offset,
                                f"expected an offset from 0 to {p.days - 1} (the {p.days}-day cycle's days count from 0)")
    problem = fatigue_problem(p)
    if problem is None:
        return
    field, index, what = problem
    if index < 0:
        raise ScenarioError(source, f"{path}.shift_types", _NO_VALUE, what)
    name, team = next(iter(p.teams.items()))
    date = first_date_on(p, team, index, start)
    raise ScenarioError(source, f"{path}.cycle", _NO_VALUE,
                        f"team {name} from {date} ({DAYS[date.weekday()]}, cycle day {index + 1}): {what}"
                        + ("" if field == "cycle" else f" ({path}.{field})") + "; every team works this cycle")


def _fewest_on_duty(s: Scenario) -> int:
    """The fewest response units rostered at any moment of the rota's period."""
    from sim.scenario.rota import headcount, period_days

    if not s.response.has_rota:
        return 0
    return int(headcount(s.response, s.run.start_date, period_days(s.response)).min())


def _check_coverage(s: Scenario, source) -> None:
    from sim.scenario.rota import headcount, period_days

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
            q = int(gaps[0])
            day, minute = divmod(q * 15, 1440)
            when = f"{DAYS[day % 7]} {minute // 60:02d}:{minute % 60:02d}"
            if pool.pattern is not None:
                date = s.run.start_date + dt.timedelta(days=day)
                when += f" ({date})"
            rota = f"{path}.pattern" if pool.pattern is not None else f"{path}.shifts"
            raise ScenarioError(source, rota, f"no {who} on duty at {when}",
                                f"expected at least one {who} on duty whenever {what}")


def horizon_minutes(s: Scenario) -> float:
    return (s.run.warmup_days + s.run.days) * 1440.0

