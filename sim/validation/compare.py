"""The verdict on one quantity: its analytic value against the replications' Student-t interval.

A stochastic quantity passes when the analytic value lies inside the interval; a deterministic
one when every call equals the analytic value to ``EXACT_TOL``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.util.stats import t_half_width
from sim.validation.estimators import Quantity

LEVEL = 0.95
EXACT_TOL = 1e-6  # minutes


@dataclass(frozen=True)
class Row:
    case: str
    kind: str
    quantity: str
    analytic: float
    mean: float
    half_width: float
    rel_error: float
    passed: bool
    exact: bool
    reps: int
    seed: int


def summarise(q: Quantity, values: list[float], level: float = LEVEL) -> tuple[float, float, float, bool]:
    """Mean, half-width, relative error, pass of one quantity over the replications."""
    x = np.asarray(values, float)
    n = x.size
    if q.exact:
        worst = float(np.max(np.abs(x - q.analytic))) if n else math.inf
        mean, hw, ok = float(x.mean()), worst, worst <= EXACT_TOL
    else:
        mean = float(x.mean())
        hw = t_half_width(float(x.std(ddof=1)), n, level) if n > 1 else math.nan
        ok = bool(np.isfinite(mean) and abs(mean - q.analytic) <= hw)
    scale = q.scale if q.scale is not None else q.analytic
    rel = (mean - q.analytic) / scale if scale else math.nan
    return mean, hw, rel, ok
