"""The back-test by load, with honest noise: how busy the force was when each replayed call came in
(``open_incidents``, from the observed trace alone), bins of that load (``load_bins``), and a
weekly block bootstrap of the observed quantiles (``week_blocks``, ``block_draws``,
``bootstrap_band``). The by-load table is ``sim.data.backtest.by_load``.

**Load.** For each trace row, the number of other observed incidents open at its arrival: created
strictly before it and not yet closed. An incident is open from its arrival to its observed close,
``arrival + scene_min + on_scene_min`` when both are recorded. Otherwise (no arrival on scene or no
close recorded) the close is estimated: ``arrival + dispatch_min + D``, D the median of
``scene_min + on_scene_min - dispatch_min`` over the rows where all three are recorded (the
typical time from first dispatch to close); without ``dispatch_min``, ``arrival + T``, T the median
of ``scene_min + on_scene_min``. A trace without any row holding both ``scene_min`` and
``on_scene_min`` has no observed close at all: the load is then the calls not yet attended (open
until ``scene_min``, else ``dispatch_min``), and ``Replay.load_rule`` says so. Only the trace's
rows count (demand for dispatch): officer-initiated work and excluded codes are not in a trace, nor
incidents created before its first row (the comparison's warm-up, 24 h by default, leaves out the
calls whose load would miss them).
The load is the observed one, so observed and simulated delays are binned by the same number for
the same replayed call.

**Bootstrap.** Calls are not independent (a busy evening delays many calls at once), so the
observed p50/p90 are resampled by whole weeks: 7-day blocks of the trace by arrival, counted from
the first compared arrival (the last block may be shorter). ``BOOT_REPS`` resamples of as many
weeks as the trace has, drawn with replacement from a ``numpy`` Generator with a fixed seed (the
same draws for every group, so the bands of different groups come from the same resampled
periods); the 2.5% and 97.5% points of the resampled quantiles are the observed band. A quantile
that would need more than half the resamples to be empty has no band (NaN).
"""
from __future__ import annotations

import math

import numpy as np

WEEK_MIN = 7 * 1440.0
BOOT_REPS = 200
BOOT_SEED = 20251116        # fixed: the same trace gives the same bands, run after run
QUANTILES = (0.5, 0.9)


def open_incidents(t: np.ndarray, dispatch: np.ndarray, scene: np.ndarray, on_scene: np.ndarray) -> tuple[np.ndarray, str]:
    """Incidents open at each row's arrival (``t``, minutes), and the rule used for the closes."""
    t = np.asarray(t, float)
    full = ~np.isnan(scene) & ~np.isnan(on_scene)
    close = np.where(full, t + scene + on_scene, np.nan)
    n_full = int(full.sum())
    if n_full:
        rule = f"closed at arrival + call -> on scene + on scene ({n_full:,} of {t.size:,} rows)"
        rest = ~full
        both = full & ~np.isnan(dispatch)
        if rest.any() and both.any():
            d = float(np.median(scene[both] + on_scene[both] - dispatch[both]))
            use = rest & ~np.isnan(dispatch)
            close[use] = t[use] + dispatch[use] + d
            rule += (f"; else arrival + call -> first dispatch + {d:.1f} min, the median of first dispatch -> close "
                     f"where recorded ({int(use.sum()):,} rows)")
            rest = rest & ~use
        if rest.any():
            d = float(np.median(scene[full] + on_scene[full]))
            close[rest] = t[rest] + d
            rule += f"; else arrival + {d:.1f} min, the median call -> close ({int(rest.sum()):,} rows)"
    else:
        close = np.where(~np.isnan(scene), t + scene, t + dispatch)
        close = np.where(np.isnan(close), t, close)
        rule = ("no row records both on scene and close: load = calls not yet attended (open until first on "
                "scene, else first dispatch)")
    close = np.maximum(close, t)
    a = np.sort(t)
    c = np.sort(close)
    before = np.searchsorted(a, t, side="left")                     # created strictly before
    closed = np.searchsorted(c, t, side="right")                    # closed at or before t ...
    zero = np.sort(t[close == t])                                   # ... less those created at t itself
    closed -= np.searchsorted(zero, t, side="right") - np.searchsorted(zero, t, side="left")
    return (before - closed).astype(np.int64), rule


def load_bins(load: np.ndarray, compared: np.ndarray, k: int = 5) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
    """Quantile bins (quintiles by default) of the load over the compared calls: the bin of each row
    (-1 if not compared), each bin's label (its observed load range, e.g. '0-7') and (lo, hi).
    Tied loads stay in one bin, so there may be fewer than ``k`` bins; none is empty."""
    x = np.asarray(load)[compared]
    out = np.full(np.asarray(load).size, -1, dtype=np.int64)
    if x.size == 0:
        return out, [], []
    cuts = np.unique(np.quantile(x, np.arange(1, k) / k, method="lower"))
    cuts = cuts[cuts < x.max()]
    b = np.searchsorted(cuts, x, side="left")
    out[compared] = b
    ranges = [(int(x[b == i].min()), int(x[b == i].max())) for i in range(cuts.size + 1)]
    labels = [f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in ranges]
    return out, labels, ranges


def week_blocks(arrival: np.ndarray, compared: np.ndarray) -> np.ndarray:
    """The 7-day block of each compared row, counted from the first compared arrival (-1: not compared)."""
    out = np.full(np.asarray(arrival).size, -1, dtype=np.int64)
    if compared.any():
        t0 = arrival[compared].min()
        out[compared] = np.floor((arrival[compared] - t0) / WEEK_MIN).astype(np.int64)
    return out


def block_draws(n_blocks: int, reps: int = BOOT_REPS, seed: int = BOOT_SEED) -> np.ndarray:
    """``reps`` resamples of ``n_blocks`` block numbers drawn with replacement (reps x n_blocks)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, max(n_blocks, 1), size=(reps, max(n_blocks, 0)))


def bootstrap_band(values: np.ndarray, blocks: np.ndarray, draws: np.ndarray, qs=QUANTILES,
                   level: float = 0.95) -> np.ndarray:
    """(len(qs), 2): the ``level`` percentile band of each quantile of ``values`` (NaN: not
    observed) over the resampled blocks (``blocks``: block per value, -1 left out)."""
    ok = ~np.isnan(values) & (blocks >= 0)
    v, bl = values[ok], blocks[ok]
    out = np.full((len(qs), 2), math.nan)
    if v.size == 0 or draws.size == 0:
        return out
    n_blocks = draws.shape[1]
    order = np.argsort(bl, kind="stable")
    v, bl = v[order], bl[order]
    bounds = np.searchsorted(bl, np.arange(n_blocks + 1))
    per_block = [v[bounds[i]:bounds[i + 1]] for i in range(n_blocks)]
    est = np.full((draws.shape[0], len(qs)), math.nan)
    for r, d in enumerate(draws):
        sample = np.concatenate([per_block[b] for b in d])
        if sample.size:
            est[r] = np.quantile(sample, qs)
    if np.isnan(est[:, 0]).mean() > 0.5:
        return out
    tail = (1 - level) / 2
    return np.nanquantile(est, [tail, 1 - tail], axis=0).T
