"""Warm-up help (Welch's method): how long until the force settles into its steady pattern?

A run starts empty: no pending incidents, an empty appointment diary, every unit free. We
run R replications with no warm-up, average each daily series across them, smooth it
with Welch's moving average over a week (the weekly cycle would otherwise dominate) and
suggest the first day after which the smoothed series stays inside a band around its
steady level (the mean of the second half of the run).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.measures.kpis import pending_counts
from sim.model.log import ACTIVITIES, POOLS, EventLog

SERIES = {
    "pending": "unresourced G1/G2 incidents (mean over the day)",
    "g2_response": "call-to-scene minutes, initial G2 (mean of the day's calls)",
    "utilisation": "response units busy on incidents / on duty",
    "appointment_lead": "days from call to booked appointment (G3)",
    "answer_wait_101": "seconds to answer a 101 call",
}


def daily_series(log: EventLog) -> pd.DataFrame:
    """One row per simulated day, one column per series (pure function of the log)."""
    days = int(log.horizon // 1440)
    c = log.calls
    day = (c["arrival"] // 1440).astype(int)
    out = {"day": np.arange(days)}
    t = np.arange(0, days * 1440, 15.0)
    out["pending"] = pending_counts(log, t).reshape(days, -1).mean(axis=1)
    g2 = c[c["initial_grade"] == 2]
    out["g2_response"] = _by_day((g2["first_on_scene"] - g2["arrival"]), day[g2.index], days)
    out["appointment_lead"] = _by_day((c["appointment"] - c["arrival"]) / 1440.0, day, days)
    w = c[c["channel"] == 1]
    out["answer_wait_101"] = _by_day((w["answered"] - w["arrival"]) * 60.0, day[w.index], days)
    out["utilisation"] = _daily_utilisation(log, days)
    return pd.DataFrame(out)


def _by_day(values: pd.Series, day: pd.Series, days: int) -> np.ndarray:
    ok = values.notna().to_numpy()
    d = day.to_numpy()[ok]
    s = np.bincount(d, weights=values.to_numpy()[ok], minlength=days)[:days]
    n = np.bincount(d, minlength=days)[:days]
    return np.divide(s, n, out=np.full(days, np.nan), where=n > 0)


def _daily_minutes(start: np.ndarray, end: np.ndarray, days: int) -> np.ndarray:
    edges = np.arange(days + 1) * 1440.0
    total = np.zeros(days)
    for k in range(days):
        lo, hi = edges[k], edges[k + 1]
        total[k] = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0, None).sum()
    return total


def _daily_utilisation(log: EventLog, days: int) -> np.ndarray:
    sh = log.unit_shifts[log.unit_shifts["pool"] == POOLS.index("response")]
    duty = _daily_minutes(sh["start"].to_numpy(), sh["end_actual"].fillna(log.horizon).to_numpy(), days)
    a = log.activities
    a = a[a["unit"].isin(set(sh["unit"])) & a["activity"].isin([ACTIVITIES.index(x) for x in ("incident", "custody", "admin")])]
    busy = _daily_minutes(a["start"].to_numpy(), a["end"].to_numpy(), days)
    return np.divide(busy, duty, out=np.full(days, np.nan), where=duty > 0)


WINDOW = 3                  # days each side of Welch's moving average
MIN_DAYS = 2 * WINDOW + 1   # fewer, and no day has a full window: nothing to suggest from


def welch_moving_average(y: np.ndarray, w: int) -> np.ndarray:
    """Welch's moving average (Law & Kelton): a centred window of 2w+1 values, shrinking at the start."""
    y = np.asarray(y, float)
    m = y.size
    out = np.full(m - w, np.nan)
    for i in range(m - w):
        lo = max(0, i - w) if i >= w else 0
        hi = i + w + 1 if i >= w else 2 * i + 1
        out[i] = np.nanmean(y[lo:hi])
    return out


def suggest_warmup(smoothed: np.ndarray, tolerance: float = 0.10) -> int:
    """First day after which the smoothed series stays within the band around its steady level."""
    s = np.asarray(smoothed, float)
    s = s[~np.isnan(s)]
    if s.size < 4:
        return 0
    tail = s[s.size // 2:]
    level = tail.mean()
    band = max(tolerance * abs(level), 2 * tail.std(ddof=1) if tail.size > 1 else 0.0)
    outside = np.flatnonzero(np.abs(s - level) > band)
    return int(outside[-1] + 1) if outside.size else 0


def analyse(series: list[pd.DataFrame], window: int = WINDOW) -> tuple[pd.DataFrame, dict[str, int]]:
    """Average per-replication daily series, smooth them, and suggest a warm-up per series."""
    stacked = pd.concat([s.assign(replication=i) for i, s in enumerate(series)])
    mean = stacked.groupby("day")[list(SERIES)].mean()
    suggestions = {}
    rows = []
    for name in SERIES:
        smooth = welch_moving_average(mean[name].to_numpy(), window)
        suggestions[name] = suggest_warmup(smooth)
        for d, (raw, sm) in enumerate(zip(mean[name].to_numpy(), np.append(smooth, [math.nan] * window))):
            rows.append({"series": name, "day": d, "mean": raw, "welch": sm})
    return pd.DataFrame(rows), suggestions


def replication_series(task) -> pd.DataFrame:
    """Worker: one replication with no warm-up, reduced to its daily series."""
    from sim.model.core import run_model

    scenario, seed, replication = task
    return daily_series(run_model(scenario, seed, replication))
