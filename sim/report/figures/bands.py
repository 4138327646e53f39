"""Summaries over replications, as the figures draw them: the mean with its 95% t-interval
(the shaded band), kept inside the quantity's range, and NaN-quiet means and medians for
hours a run never reached. One definition of "the band" for every figure.
"""
from __future__ import annotations

import numpy as np

from sim.util.stats import t_quantiles

MIN_PERCENTILE_REPS = 5   # a 5th-95th percentile band from fewer replications would be their min and max


def mean_band(m: np.ndarray, upper: float = np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replications (rows) and its 95% t-interval per column (NaN band with one rep),
    kept inside the quantity's range [0, upper] (a share: upper = 1)."""
    import warnings

    m = np.asarray(m, float)
    n = np.sum(~np.isnan(m), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN columns (e.g. hours with no 999 call)
        mean = np.nanmean(m, axis=0) if m.shape[0] else np.full(m.shape[1], np.nan)
        sd = np.nanstd(m, axis=0, ddof=1) if m.shape[0] > 1 else np.full(m.shape[1], np.nan)
        hw = t_quantiles(n) * sd / np.sqrt(np.maximum(n, 1))
    return mean, np.maximum(mean - hw, 0.0), np.minimum(mean + hw, upper)


def _nanmean0(m: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(m, axis=0)


def _quiet(fn, *args, **kw):
    import warnings

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kw)
