"""Demand: calls per day on each channel (999, 101), their hour-of-week shape, handling and
patience times, the true-risk mix, callers who try again, and surges; or a trace of observed
calls replayed instead (its file is found by ``loading``).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.scenario.base import CHANNELS, DAYS, MAX_FACTOR, Day, _check_probabilities, _Strict
from sim.util.distributions import Distribution, Fixed

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



class Demand(_Strict):
    multiplier: float = Field(default=1.0, ge=0, le=MAX_FACTOR)
    month: list[Annotated[float, Field(ge=0, le=100)]] = Field(default=[1.0] * 12, min_length=12, max_length=12)
    channels: Channels
    surges: list[Surge] = Field(default=[], max_length=1000)   # a year has 8,760 hours; 1,000 windows is any plan
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


