"""Breakdowns by incident category and by calendar month (issue 25): the same few measures the
headline KPIs give for the whole run, split by what the incident was and by when in the year.

Pure functions of the event log, returned as profile rows (``sim.measures.profiles``): for a
category, key = its name and x = 0; for a month, key = "YYYY-MM" and x = the month's place in the
run (0 = the month the measured window starts in). Counts are per week of the measured time they
fall in (one period rule, ``sim.measures.catalogue.PERIOD_RULE``); shares are over that time.
Incidents are calls graded G1-G3 at first contact and arriving in the measured window; downgrades
are those made in the window (as ``resource_downgrades`` counts them) whatever day the call came.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from sim.measures.kpis import _standard_minutes, _window_calls, resource_downgrades
from sim.model.log import EventLog

DAY = 1440.0
PROFILES = {
    "category_incidents": "incidents graded G1-G3 at first contact, per week, by incident category (key)",
    "category_g12": "incidents graded G1 or G2 at first contact, per week, by incident category (key)",
    "category_in_target": "initial G1/G2 incidents attended within their standard (share), by incident category",
    "category_resource_downgrades": "resource-driven downgrades per week, by incident category (key)",
    "month_days": "measured days in each calendar month (key YYYY-MM, x its place in the run)",
    "month_calls": "calls offered per day, by calendar month",
    "month_incidents": "incidents graded G1-G3 at first contact, per week, by calendar month",
    "month_in_target": "initial G1/G2 incidents attended within their standard (share), by calendar month",
    "month_resource_downgrades": "resource-driven downgrades per week, by calendar month",
}


def _met(log: EventLog, inc) -> tuple[np.ndarray, np.ndarray]:
    """For initial G1/G2 incidents: attended within standard, and whether that is known yet
    (as ``in_target``: one still waiting counts once its standard has passed)."""
    grade = inc["initial_grade"].to_numpy()
    std = np.where(grade == 1, _standard_minutes(log, inc, 1), float(log.meta["g2_minutes"]))
    response = (inc["first_on_scene"] - inc["arrival"]).to_numpy()
    met = response <= std
    known = ~np.isnan(response) | (log.horizon - inc["arrival"].to_numpy() > std)
    return met, known


def _share(met: np.ndarray, known: np.ndarray, sel: np.ndarray) -> float:
    k = known & sel
    return float(met[k].mean()) if k.any() else float("nan")


def _months(log: EventLog) -> list[tuple[str, float, float]]:
    """(YYYY-MM, start, end) in minutes from the start, for each calendar month the measured window touches."""
    start = dt.date.fromisoformat(log.meta.get("start_date", "2016-09-05"))
    lo, hi = log.warmup, log.horizon
    out = []
    day = start + dt.timedelta(minutes=lo)
    first = dt.date(day.year, day.month, 1)
    while True:
        nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        a = max(lo, (first - start).days * DAY)
        b = min(hi, (nxt - start).days * DAY)
        if a >= hi:
            break
        if b > a:
            out.append((f"{first.year:04d}-{first.month:02d}", a, b))
        first = nxt
    return out


def profiles(log: EventLog) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Rows (profile, key, x, values) for ``sim.measures.profiles``."""
    rows: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    zero = np.array([0.0])
    weeks = (log.horizon - log.warmup) / (7 * DAY)
    inc = _window_calls(log, "initial_grade", "arrival", "first_on_scene", "area", "category")
    inc = inc[(inc["initial_grade"] >= 1) & (inc["initial_grade"] <= 3)]
    grade, cat, arrival = inc["initial_grade"].to_numpy(), inc["category"].to_numpy(), inc["arrival"].to_numpy()
    urgent = grade <= 2
    met, known = _met(log, inc[urgent])
    d = resource_downgrades(log)
    d_cat = log.calls["category"].to_numpy()[d["incident"].to_numpy()]
    d_time = d["time"].to_numpy()
    for code, name in enumerate(log.meta["categories"]):
        sel = cat == code
        rows.append(("category_incidents", name, zero, np.array([sel.sum() / weeks if weeks > 0 else np.nan])))
        rows.append(("category_g12", name, zero, np.array([(sel & urgent).sum() / weeks if weeks > 0 else np.nan])))
        rows.append(("category_in_target", name, zero, np.array([_share(met, known, sel[urgent])])))
        rows.append(("category_resource_downgrades", name, zero,
                     np.array([(d_cat == code).sum() / weeks if weeks > 0 else np.nan])))
    calls = _window_calls(log, "arrival")["arrival"].to_numpy()
    for i, (key, a, b) in enumerate(_months(log)):
        x = np.array([float(i)])
        days = (b - a) / DAY
        in_m = (arrival >= a) & (arrival < b)
        rows.append(("month_days", key, x, np.array([days])))
        rows.append(("month_calls", key, x, np.array([((calls >= a) & (calls < b)).sum() / days])))
        rows.append(("month_incidents", key, x, np.array([in_m.sum() / days * 7])))
        rows.append(("month_in_target", key, x, np.array([_share(met, known, in_m[urgent])])))
        rows.append(("month_resource_downgrades", key, x,
                     np.array([((d_time >= a) & (d_time < b)).sum() / days * 7])))
    return rows
