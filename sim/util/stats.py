"""Confidence intervals over replications (95%, Student t), paired and unpaired: the one place
the project computes a t-interval, so every table, figure and verdict uses the same numbers."""
from __future__ import annotations

import math

import numpy as np


def _t_quantile(q: float, dof: float) -> float:
    # scipy.special's stdtrit is what scipy.stats.t.ppf computes, without scipy.stats's
    # 0.6 s import (a quarter of a short run's wall time)
    from scipy.special import stdtrit

    return float(stdtrit(dof, q))


def t_quantiles(n, level: float = 0.95) -> np.ndarray:
    """The two-sided Student-t factor for a mean of ``n`` values, per element of an array of
    counts (NaN where n < 2): for intervals drawn column by column."""
    from scipy.special import stdtrit

    n = np.asarray(n, float)
    out = np.full(n.shape, np.nan)
    ok = n >= 2
    out[ok] = stdtrit(n[ok] - 1, 0.5 + level / 2)
    return out


def t_half_width(sd: float, n: int, level: float = 0.95) -> float:
    """Half-width of the two-sided Student-t interval for the mean of ``n`` values whose sample
    standard deviation is ``sd`` (NaN for n < 2; a NaN or infinite ``sd`` gives NaN)."""
    if n < 2:
        return math.nan
    return _t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)


def prediction_half_width(sd: float, n: int, level: float = 0.95) -> float:
    """Half-width of the Student-t prediction interval for one more value, around the mean of
    ``n`` values whose sample standard deviation is ``sd`` (NaN for n < 2)."""
    if n < 2:
        return math.nan
    return _t_quantile(0.5 + level / 2, n - 1) * sd * math.sqrt(1 + 1 / n)


def mean_ci(values, level: float = 0.95) -> dict[str, float]:
    """Mean and t-interval of the non-missing values. One value: no interval (NaN half-width);
    identical values: a zero-width interval."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "half_width": math.nan, "reps": 0}
    mean = float(x.mean())
    if n == 1:
        hw = math.nan
    else:
        sd = float(x.std(ddof=1))
        hw = 0.0 if sd == 0 else t_half_width(sd, n, level)
    return {"mean": mean, "ci_low": mean - hw, "ci_high": mean + hw, "half_width": hw, "reps": n}


def welch_half_width(a, b, level: float = 0.95) -> float:
    """Half-width of the unpaired (Welch) interval for mean(b) - mean(a), for comparison."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        return math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:
        return 0.0
    dof = se2 ** 2 / ((va ** 2) / (a.size - 1) + (vb ** 2) / (b.size - 1))
    return _t_quantile(0.5 + level / 2, dof) * math.sqrt(se2)


def relative_half_width(ci: dict[str, float]) -> float:
    if ci["reps"] < 2 or math.isnan(ci["half_width"]):
        return math.inf
    if ci["half_width"] == 0:
        return 0.0
    return abs(ci["half_width"] / ci["mean"]) if ci["mean"] != 0 else math.inf


def clip_ci(ci: dict[str, float], lower: float = -math.inf, upper: float = math.inf) -> dict[str, float]:
    """The interval kept inside the quantity's range [lower, upper] (a count is never below 0, a
    share never above 1): with few replications a t-interval can spill over. ``clipped`` says
    whether it did; the half-width stays the t-interval's."""
    lo, hi = ci["ci_low"], ci["ci_high"]
    out = dict(ci)
    out["clipped"] = bool(lo < lower or hi > upper)   # False for NaN (no interval)
    if lo < lower:
        out["ci_low"] = float(lower)
    if hi > upper:
        out["ci_high"] = float(upper)
    return out
