"""The downgrade audit: one row per resource-driven downgrade, as an inspector hands it on.

A pure function of the event log (like the KPIs): which incident, when (day, clock time and
calendar date), who called and about what, the risk they really faced and the grade first
given, the change made, how long the incident had waited unresourced before it, when an
officer finally arrived (or the appointment it was given, or never within the run), and
whether the standard of its initial grade was met, and how many times a unit was taken from it
for a more urgent incident before the downgrade (issue 23: an incident an officer left for an
emergency goes back on the list, and may then be downgraded). Its rows are exactly the downgrades the
``resource_downgrades`` KPI counts.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from sim.measures.kpis import resource_downgrades
from sim.model.log import CHANNEL_NAMES, GRADE_NAMES, EventLog
from sim.util.lazy import LazyModule

pd = LazyModule("pandas")   # on a replication's path: see sim.util.lazy

COLUMNS = ("incident", "day", "date", "time", "channel", "category", "area", "true_risk", "initial_grade",
           "from_grade", "to_grade", "waited_unresourced_min", "arrival_min", "downgraded_at_min",
           "first_on_scene_min", "appointment_min", "attended_after_min", "initial_standard_min",
           "initial_standard_met", "units_taken_away")


def downgrade_audit(log: EventLog) -> pd.DataFrame:
    """Resource-driven downgrades in the measured window, oldest first (times in minutes from
    Monday 00:00 of week 1, plus day number, date and clock time for reading)."""
    d = resource_downgrades(log).sort_values(["time", "incident"], kind="stable")
    if d.empty:
        return pd.DataFrame(columns=COLUMNS)
    calls = log.calls
    inc = d["incident"].to_numpy()
    at = d["time"].to_numpy(float)
    c = calls.iloc[inc]
    arrival = c["arrival"].to_numpy(float)
    on_scene = c["first_on_scene"].to_numpy(float)
    appointment = c["appointment"].to_numpy(float)
    initial = c["initial_grade"].to_numpy()
    area = c["area"].to_numpy()
    standard = np.where(initial == 1, np.asarray(log.meta["g1_minutes_by_area"], float)[area],
                        np.where(initial == 2, float(log.meta["g2_minutes"]), float(log.meta["g3_hours"]) * 60.0))
    response = on_scene - arrival
    met = np.where(np.isnan(response), np.where(log.horizon - arrival > standard, "no", "not yet known"),
                   np.where(response <= standard, "yes", "no"))
    start = dt.date.fromisoformat(log.meta.get("start_date", "2016-09-05"))
    day = (at // 1440).astype(int)
    minute = np.round(at % 1440).astype(int)
    minute = np.minimum(minute, 1439)
    names = lambda codes, labels: [labels[k] if 0 <= k < len(labels) else "" for k in codes]  # noqa: E731
    return pd.DataFrame({
        "incident": inc,
        "day": day + 1,
        "date": [(start + dt.timedelta(days=int(k))).isoformat() for k in day],
        "time": [f"{m // 60:02d}:{m % 60:02d}" for m in minute],
        "channel": names(c["channel"].to_numpy(), CHANNEL_NAMES),
        "category": names(c["category"].to_numpy(), log.meta["categories"]),
        "area": names(area, log.meta["areas"]),
        "true_risk": names(c["true_risk"].to_numpy(), GRADE_NAMES),
        "initial_grade": names(initial, GRADE_NAMES),
        "from_grade": names(d["from"].to_numpy(), GRADE_NAMES),
        "to_grade": names(d["to"].to_numpy(), GRADE_NAMES),
        "waited_unresourced_min": np.round(_waited(log, inc, at), 2),
        "arrival_min": np.round(arrival, 2),
        "downgraded_at_min": np.round(at, 2),
        "first_on_scene_min": np.round(on_scene, 2),
        "appointment_min": np.round(appointment, 2),
        "attended_after_min": np.round(response, 2),
        "initial_standard_min": standard,
        "initial_standard_met": met,
        "units_taken_away": _taken_before(log, inc, at),
    }, columns=COLUMNS)


def _taken_before(log: EventLog, incidents: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Times a unit was taken from each incident for a more urgent one before ``times`` (its downgrade)."""
    taken_from, at = log.preemptions["taken_from"].to_numpy(), log.preemptions["time"].to_numpy()
    out = np.zeros(len(incidents), dtype=np.int64)
    for i in np.flatnonzero(np.isin(incidents, taken_from)):   # most downgraded incidents lost no unit
        out[i] = int(((taken_from == incidents[i]) & (at <= times[i])).sum())
    return out


def _waited(log: EventLog, incidents: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Minutes each incident had been unresourced when it was downgraded: its pending interval
    that ends at the downgrade (the regrade closes it)."""
    p = log.pending
    key = pd.MultiIndex.from_arrays([p["incident"].to_numpy(), p["end"].to_numpy()])
    start = pd.Series(p["start"].to_numpy(), index=key)
    start = start[~start.index.duplicated(keep="last")]
    found = start.reindex(pd.MultiIndex.from_arrays([incidents, times])).to_numpy(float)
    return times - found
