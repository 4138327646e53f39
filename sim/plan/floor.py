"""The minimum on duty (``[plan] min_on_duty``): a hard floor under every rota the planner
proposes, and where it, not demand, sets the number."""
from __future__ import annotations

import numpy as np

from sim.scenario import DAYS, Scenario

HOURS = 168


def floor_of(s: Scenario) -> np.ndarray:
    """Rostered response officers on duty needed in each hour of the week by the scenario's floor
    (zeros without one)."""
    return s.plan.floor() if s.plan is not None else np.zeros(HOURS, dtype=int)


def below_floor(cover: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Hours of the week a rota's cover (officers on duty for the whole hour) is under the floor."""
    return np.flatnonzero(np.asarray(cover) < floor)


def _spans(hours: np.ndarray) -> list[str]:
    """Hours of the week as runs: 'Mon 02:00-06:00'."""
    out, hs = [], sorted(int(h) for h in hours)
    i = 0
    while i < len(hs):
        j = i
        while j + 1 < len(hs) and hs[j + 1] == hs[j] + 1:
            j += 1
        a, b = hs[i], hs[j] + 1
        out.append(f"{DAYS[a // 24]} {a % 24:02d}:00-{b % 24:02d}:00")
        i = j + 1
    return out


def floor_sentence(floor: np.ndarray, demand: np.ndarray, cover: np.ndarray) -> str:
    """Where the floor, not demand, sets the number: hours whose floor is above what demand asks
    (stage 1's requirement) and where the rota stands at the floor."""
    if not floor.any():
        return ""
    sets = np.flatnonzero(floor > demand)
    at = np.flatnonzero((floor > demand) & (np.asarray(cover) <= floor))
    if sets.size == 0:
        return (f"The minimum on duty ({int(floor.min())} to {int(floor.max())} a hour) is below what demand needs "
                "in every hour of the week: demand, not the floor, sets the numbers.")
    shown = _spans(sets)
    more = f" and {len(shown) - 6} more spans" if len(shown) > 6 else ""
    return (f"The minimum on duty sets the number, not demand, in {sets.size} hours of the week "
            f"({', '.join(shown[:6])}{more}): there the floor asks for up to {int((floor - demand)[sets].max())} "
            f"more officers than demand does; the proposed rota stands exactly at the floor in {at.size} of them.")
