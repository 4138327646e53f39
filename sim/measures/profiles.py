"""Profiles: small per-replication summaries over the week, for figures and reports.

Like KPIs, these are pure functions of the event log. They are what a replication sends
back besides its KPIs, so that reports can draw "when" (hour of week, hour of day) and
"how" (response-time distributions) without keeping any event log in memory.

Long format: one row per (profile, key, x) with a ``value``; ``x`` is an hour of the
week (0 = Monday 00:00-01:00), a 15-minute slot of the week, an hour of day, or a
percentile, depending on the profile (see ``PROFILES``).
"""
from __future__ import annotations

import numpy as np

from sim.measures.kpis import _window_calls, pending_counts, resource_downgrades
from sim.measures.assessment import PROFILES as ASSESSMENT_PROFILES, profiles as assessment_profiles
from sim.measures.breakdowns import PROFILES as BREAKDOWN_PROFILES, profiles as breakdown_profiles
from sim.model.log import ABANDONED, ACTIVITIES, POOLS, EventLog
from sim.util.lazy import LazyModule

pd = LazyModule("pandas")   # on a replication's path: see sim.util.lazy

PROFILES = {
    "incidents_to_attend": "G1/G2 incidents graded, plus G3 appointments due, per hour of week (mean per week)",
    "units_on_duty": "response units on duty per hour of week (mean)",
    "units_available": "response units on duty and not in briefing/breaks/statements per hour of week (mean)",
    "units_busy": "response units on incidents (travel, scene, custody, admin) per hour of week (mean)",
    "resource_downgrades": "resource-driven downgrades per hour of week (mean per week)",
    "pending": "unresourced G1/G2 incidents at each 15-minute slot of the week (mean over weeks)",
    "overtime_hours": "overtime hours by hour of week of the shift end (mean per week)",
    "neighbourhood_hours": "neighbourhood officer hours borrowed per hour of week (mean per week)",
    "sl_999_10s": "999 answered within 10 s by hour of day",
    "abandon_rate_101": "101 abandoned / offered by hour of day",
    "response_by_initial_grade": "call-to-scene minutes at percentiles 0..100, by initial grade (attended only)",
    "response_by_true_risk": "call-to-scene minutes at percentiles 0..100, by true risk (attended only)",
    "attended_share": "share of incidents ever attended, by initial grade (key) and true risk (key 'true G..')",
}
PROFILES.update(ASSESSMENT_PROFILES)
PROFILES.update(BREAKDOWN_PROFILES)
HOURS_OF_WEEK = 168
PERCENTILES = np.arange(101)
_GRADES = {1: "G1", 2: "G2", 3: "G3"}


def hour_of_week(minutes) -> np.ndarray:
    """The hour of the week (0 = Monday 00:00-01:00) of times in minutes from a Monday 00:00 on the
    wall clock: the one rule for simulated events (minutes from the run's start, a Monday) and for
    a force's own records (``sim.data.audit``, local wall clock from a Monday)."""
    return (np.asarray(minutes, float) // 60).astype(np.int64) % HOURS_OF_WEEK


def hour_exposure(lo: float, hi: float) -> np.ndarray:
    """How many times each hour of the week occurs in [lo, hi) minutes (fractions at the ends)."""
    hours = np.arange(int(lo // 60), int(np.ceil(hi / 60)))
    inside = (np.minimum((hours + 1) * 60.0, hi) - np.maximum(hours * 60.0, lo)) / 60.0
    return np.bincount(hours % HOURS_OF_WEEK, weights=inside, minlength=HOURS_OF_WEEK)


def hour_of_week_counts(times, lo: float, hi: float, weights=None) -> np.ndarray:
    """Events in [lo, hi) per hour of the week (168 counts, or sums of ``weights``)."""
    t = np.asarray(times, float)
    keep = (t >= lo) & (t < hi)
    w = None if weights is None else np.asarray(weights, float)[keep]
    return np.bincount(hour_of_week(t[keep]), weights=w, minlength=HOURS_OF_WEEK)


def _hour_exposure(log: EventLog) -> np.ndarray:
    """How many times each hour of the week occurs in the measured window (fractions at the ends)."""
    return hour_exposure(log.warmup, log.horizon)


def _per_hour_of_week(times: np.ndarray, weights: np.ndarray | None, log: EventLog) -> np.ndarray:
    """Events per hour of the week, averaged over the weeks in which that hour was observed."""
    counts = hour_of_week_counts(times, log.warmup, log.horizon, weights)
    exposure = _hour_exposure(log)
    return np.divide(counts, exposure, out=np.full(HOURS_OF_WEEK, np.nan), where=exposure > 0)


def _occupancy(starts: np.ndarray, ends: np.ndarray, log: EventLog) -> np.ndarray:
    """Mean number of intervals open in each hour of the week, over the measured window."""
    lo, hi = log.warmup, log.horizon
    first_h, last_h = int(lo // 60), int(np.ceil(hi / 60))
    edges = np.arange(first_h, last_h + 1) * 60.0
    s = np.clip(np.asarray(starts, float), lo, hi)
    e = np.clip(np.nan_to_num(np.asarray(ends, float), nan=hi), lo, hi)
    if s.size == 0:
        return np.where(_hour_exposure(log) > 0, 0.0, np.nan)
    cov = _coverage(s, e, edges)
    per_hour = np.diff(cov) / 60.0
    # weight each absolute hour by how much of it lies in the window
    hours = np.arange(first_h, last_h)
    num = np.bincount(hours % HOURS_OF_WEEK, weights=per_hour, minlength=HOURS_OF_WEEK)
    den = _hour_exposure(log)
    return np.divide(num, den, out=np.full(HOURS_OF_WEEK, np.nan), where=den > 0)


def _coverage(s: np.ndarray, e: np.ndarray, t: np.ndarray) -> np.ndarray:
    """sum over intervals of |[s, e) ∩ (-inf, t)| for each t, in O((n + m) log n)."""
    s_sorted, e_sorted = np.sort(s), np.sort(e)
    cs, ce = np.concatenate([[0], np.cumsum(s_sorted)]), np.concatenate([[0], np.cumsum(e_sorted)])
    ns = np.searchsorted(s_sorted, t, side="right")
    ne = np.searchsorted(e_sorted, t, side="right")
    # started before t contribute (t - s); ended before t contribute (e - t) back
    return (ns * t - cs[ns]) - (ne * t - ce[ne])


def _response_percentiles(minutes: pd.Series) -> np.ndarray:
    r = minutes.dropna().to_numpy()
    return np.percentile(r, PERCENTILES) if r.size else np.full(PERCENTILES.size, np.nan)


def compute_profiles(log: EventLog) -> pd.DataFrame:
    rows: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    how = np.arange(HOURS_OF_WEEK, dtype=float)
    c = log.calls
    grade = c["initial_grade"].to_numpy()
    urgent_graded = c["graded"].to_numpy()[(grade == 1) | (grade == 2)]
    appointment = c["appointment"].to_numpy()
    g3_due = appointment[~np.isnan(appointment)]
    demand = _per_hour_of_week(urgent_graded, None, log) + _per_hour_of_week(g3_due, None, log)
    rows.append(("incidents_to_attend", "", how, demand))

    sh = log.unit_shifts[log.unit_shifts["pool"] == POOLS.index("response")]
    duty_end = sh["end_actual"].fillna(log.horizon).to_numpy()
    on_duty = _occupancy(sh["start"].to_numpy(), duty_end, log)
    acts = log.activities
    unit, activity = acts["unit"].to_numpy(), acts["activity"].to_numpy()
    start, end = acts["start"].to_numpy(), acts["end"].to_numpy()
    of_response = np.isin(unit, sh["unit"].to_numpy())
    blocks = of_response & (activity == ACTIVITIES.index("non_incident"))
    busy = of_response & np.isin(activity, [ACTIVITIES.index(a) for a in ("incident", "custody", "admin")])
    rows.append(("units_on_duty", "", how, on_duty))
    rows.append(("units_available", "", how, on_duty - _occupancy(start[blocks], end[blocks], log)))
    rows.append(("units_busy", "", how, _occupancy(start[busy], end[busy], log)))

    d = resource_downgrades(log)
    rows.append(("resource_downgrades", "", how, _per_hour_of_week(d["time"].to_numpy(), None, log)))

    slots = np.arange(log.warmup - log.warmup % 15 + 15, log.horizon, 15.0)
    slots = slots[slots >= log.warmup]
    counts = pending_counts(log, slots) if slots.size else np.zeros(0)
    slot_of_week = ((slots // 15) % 672).astype(np.int64)
    num = np.bincount(slot_of_week, weights=counts, minlength=672)
    den = np.bincount(slot_of_week, minlength=672)
    rows.append(("pending", "", np.arange(672) * 15 / 60.0, np.divide(num, den, out=np.zeros(672), where=den > 0)))

    all_shifts = log.unit_shifts
    over = (all_shifts["end_actual"] - all_shifts["end"]).clip(lower=0).fillna(0) / 60.0
    rows.append(("overtime_hours", "", how, _per_hour_of_week(all_shifts["end"].to_numpy(), over.to_numpy(), log)))
    borrowed = activity == ACTIVITIES.index("borrowed")
    rows.append(("neighbourhood_hours", "", how, _occupancy(start[borrowed], end[borrowed], log)))
    # the calls are selected in two narrow pieces, each dropped after use, not as one wide
    # selection kept for the whole function: for a year that wide copy set the replication's
    # memory peak (139 MB; 129 MB in two pieces, where the simulation's own peak now decides)
    win = _window_calls(log, "channel", "arrival", "answered", "abandoned", "outcome")
    hod = np.arange(24, dtype=float)
    for name, channel, seconds in (("sl_999_10s", 0, 10), ("abandon_rate_101", 1, None)):
        cc = win[win["channel"] == channel]
        hour = ((cc["arrival"] // 60) % 24).astype(int).to_numpy()
        if seconds is None:
            num = np.bincount(hour, weights=(cc["outcome"] == ABANDONED).to_numpy(float), minlength=24)
            den = np.bincount(hour, minlength=24)
        else:
            t = seconds / 60.0
            ok = ((cc["answered"] - cc["arrival"]) <= t).to_numpy(float)
            short = ((cc["abandoned"] - cc["arrival"]) <= t).to_numpy()
            num = np.bincount(hour, weights=ok, minlength=24)
            den = np.bincount(hour, weights=(~short).astype(float), minlength=24)
        rows.append((name, "", hod, np.divide(num, den, out=np.full(24, np.nan), where=den > 0)))

    del win, cc
    inc = _window_calls(log, "initial_grade", "true_risk", "first_on_scene", "arrival")
    inc = inc[inc["initial_grade"] >= 1]
    response = inc["first_on_scene"] - inc["arrival"]
    pct = PERCENTILES.astype(float)
    for code, label in _GRADES.items():
        m = inc["initial_grade"] == code
        rows.append(("response_by_initial_grade", label, pct, _response_percentiles(response[m])))
        rows.append(("attended_share", label, np.array([0.0]), np.array([response[m].notna().mean() if m.any() else np.nan])))
        t = inc["true_risk"] == code
        rows.append(("response_by_true_risk", label, pct, _response_percentiles(response[t])))
        rows.append(("attended_share", f"true {label}", np.array([0.0]), np.array([response[t].notna().mean() if t.any() else np.nan])))

    rows += assessment_profiles(log, _per_hour_of_week)   # issue 15: vulnerable callers, downgrades' wait
    rows += breakdown_profiles(log)   # issue 25: by incident category and by calendar month

    return _table(rows)


def _table(rows: list[tuple[str, str, np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """The rows (profile, key, x, values) as one long table, built at once (a frame per row and a
    concat of ~130 of them was most of a short run's profile time)."""
    sizes = [len(x) for _, _, x, _ in rows]
    return pd.DataFrame({"profile": np.repeat([p for p, _, _, _ in rows], sizes),
                         "key": np.repeat([k for _, k, _, _ in rows], sizes),
                         "x": np.concatenate([x for _, _, x, _ in rows]),
                         "value": np.concatenate([v for _, _, _, v in rows])})
