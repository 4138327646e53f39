"""``[plan]``: what the staffing planner must respect besides demand.

``min_on_duty`` is a minimum staffing level a force sets for resilience (a firearms-capable
crew, a custody escort, a rural car): response officers rostered on duty in every hour, a hard
floor for every rota the planner proposes, template or team pattern, whatever demand says.
"On duty" counts rostered officers, as the rota's head-count does (abstraction then takes its
share in the simulation, as for every other officer). It is given as

- one number (every hour of the week),
- 24 numbers (by hour of day, 00:00 first),
- 168 numbers (by hour of week, Monday 00:00 first), or
- a table by area (``min_on_duty = { urban = 20, rural = [4, ...] }``), each value one of the
  above. Response units are one pool in the model (not stationed by area), so an area floor
  is added up into the pool's floor; the areas must be the scenario's ``response.areas``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import field_validator

from sim.scenario.base import MAX_HEADS, _Strict

HOURS = 168


def _one_floor(v: Any, where: str) -> int | list[int]:
    values = [v] if isinstance(v, (int, float)) and not isinstance(v, bool) else v
    if not isinstance(values, list) or len(values) not in (1, 24, HOURS):
        raise ValueError(f"{where}expected a number, 24 numbers (by hour of day) or 168 (by hour of week)")
    out = []
    for x in values:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or x != x or x < 0 or x > MAX_HEADS \
                or float(x) != int(x):
            raise ValueError(f"{where}expected whole numbers of officers from 0 to {MAX_HEADS:,}, got {x!r}")
        out.append(int(x))
    return out[0] if len(out) == 1 else out


def by_hour_of_week(values) -> np.ndarray:
    """168 values from one number, 24 or 168."""
    a = np.atleast_1d(np.asarray(values, dtype=int))
    return np.full(HOURS, int(a[0])) if a.size == 1 else (np.tile(a, 7) if a.size == 24 else a.copy())


class Planning(_Strict):
    # a number, 24 or 168 numbers, or {area: one of those}
    min_on_duty: Any = 0

    @field_validator("min_on_duty")
    @classmethod
    def _floor(cls, v):
        if isinstance(v, dict):
            if not v:
                raise ValueError("expected at least one area, or a number")
            return {str(k): _one_floor(x, f"area {k!r}: ") for k, x in v.items()}
        return _one_floor(v, "")

    def floor(self) -> np.ndarray:
        """Response officers rostered on duty needed in each hour of the week (168, the areas added up)."""
        v = self.min_on_duty
        if isinstance(v, dict):
            return sum((by_hour_of_week(x) for x in v.values()), np.zeros(HOURS, dtype=int))
        return by_hour_of_week(v)
