"""Rotas: shift definitions turned into concrete shift instances in simulated time.

A shift belongs to the day it starts on (a 22:00-07:00 night shift on Sunday runs into
Monday), so instances are generated from the day before time 0: at Monday 00:00 of
week 1 the Sunday night shift is already on duty.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import DAYS


@dataclass(frozen=True, slots=True)
class ShiftInstance:
    """``staff`` people (or units) on duty from ``start`` to ``end`` (minutes)."""
    name: str
    start: float
    end: float
    staff: int


def shift_instances(shifts: dict, horizon: float) -> list[ShiftInstance]:
    """Every shift instance overlapping [0, horizon), ordered by start time then name."""
    out = []
    n_days = int(np.ceil(horizon / 1440.0))
    for name, sh in shifts.items():
        days = {DAYS.index(d) for d in sh.days}
        heads = sh.headcount()
        for day in range(-1, n_days):
            dow = day % 7
            if dow not in days or heads[dow] == 0:
                continue
            start = day * 1440.0 + sh.start_minute
            end = start + sh.hours * 60.0
            if end <= 0 or start >= horizon:
                continue
            prev = out[-1] if out else None
            if prev and prev.name == name and prev.end == start and prev.staff == heads[dow]:
                # back-to-back (e.g. a 24-hour post every day): the same people carry on, no handover
                out[-1] = ShiftInstance(name, prev.start, end, prev.staff)
            else:
                out.append(ShiftInstance(name, start, end, heads[dow]))
    out.sort(key=lambda s: (s.start, s.name))
    return out


def weekly_headcount(shifts: dict, step: float = 15.0) -> np.ndarray:
    """Staff on duty at each ``step`` minutes of a typical week (shifts wrap round the week)."""
    n = int(7 * 1440 / step)
    t = np.arange(n) * step
    on = np.zeros(n, dtype=np.int64)
    week = 7 * 1440.0
    for sh in shifts.values():
        heads = sh.headcount()
        for d in sh.days:
            dow = DAYS.index(d)
            start = dow * 1440.0 + sh.start_minute
            end = start + sh.hours * 60.0
            for offset in (-week, 0.0):  # a Sunday night shift covers Monday morning
                s, e = start + offset, end + offset
                on[(t >= s) & (t < e)] += heads[dow]
    return on
