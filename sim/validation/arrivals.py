"""Kind ``arrivals``: time-varying Poisson demand against its profile.

The expected calls per hour are written here from the scenario's documented demand semantics,
apart from ``sim.model.demand``, so the comparison checks the generator rather than repeating it.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np

from sim.scenario import CHANNELS, DAYS, Scenario, horizon_minutes
from sim.validation.conditions import Need
from sim.validation.estimators import Quantity, Window


def expected_hourly(s: Scenario, channel: str, n_hours: int) -> np.ndarray:
    """Expected calls in each hour of a run, from the scenario's documented demand semantics
    (written independently of ``sim.model.demand``): calls_per_day / 24 x the hour-of-day (or
    hour-of-week) shape with its adjust windows, normalised to mean 1 over the week, x the
    day-of-week multiplier x the month multiplier x the demand multiplier x any surge."""
    ch = s.demand.channels.get(channel)
    if ch is None:
        return np.zeros(n_hours)
    if ch.hour_of_week is not None:
        week = list(map(float, ch.hour_of_week))
    else:
        day = [1.0] * 24 if ch.hour_of_day is None else list(map(float, ch.hour_of_day))
        week = day * 7
    for adj in ch.adjust:
        for d in adj.days:
            for h in range(adj.start_hour, adj.end_hour):
                week[DAYS.index(d) * 24 + h] *= adj.factor
    mean = sum(week) / 168.0
    t0 = dt.datetime.combine(s.run.start_date, dt.time())
    out = np.empty(n_hours)
    for h in range(n_hours):
        when = t0 + dt.timedelta(hours=h)
        r = ch.calls_per_day / 24.0 * week[h % 168] / mean * ch.day_of_week[when.weekday()]
        r *= s.demand.month[when.month - 1] * s.demand.multiplier
        for surge in s.demand.surges:
            if channel in surge.channels and surge.start <= when < surge.end:
                r *= surge.factor
        out[h] = r
    return out


def kind_arrivals(s: Scenario, need: Need):
    names = need.active_channels()
    need(bool(names), "demand.channels", names, "at least one channel with calls")
    a = s.run.warmup_days * 1440.0
    horizon = horizon_minutes(s)
    need(a % 60 == 0 and horizon % 60 == 0, "run", f"warm-up {a} min, horizon {horizon} min", "whole hours")
    h0, h1 = int(a // 60), int(horizon // 60)
    w = Window(a, horizon)
    days = w.length / 1440.0
    q = []
    for name in names:
        code = CHANNELS.index(name)
        need.no_retries(name)
        rates = expected_hourly(s, name, h1)[h0:h1]
        cells = np.bincount(np.arange(h0, h1) % 168, weights=rates, minlength=168)
        live = cells > 0
        k = int(live.sum())
        peak, low = int(np.argmax(np.where(live, cells, -1))), int(np.argmin(np.where(live, cells, np.inf)))

        def counts(log, code=code):
            first = log.calls[(log.calls["retry_of"] < 0) & (log.calls["channel"] == code)]
            t = first["arrival"].to_numpy()
            t = t[(t >= w.a) & (t < w.b)]
            return np.bincount((t // 60).astype(np.int64) % 168, minlength=168).astype(float)

        def chi2(log, counts=counts, cells=cells, live=live):
            o = counts(log)
            if (o[~live] > 0).any():
                return math.inf
            return float((((o - cells) ** 2)[live] / cells[live]).sum())

        def label(i):
            return f"{DAYS[i // 24]} {i % 24:02d}:00"

        q += [
            Quantity(f"{name} calls per day", rates.sum() / days, lambda log, counts=counts: counts(log).sum() / days),
            Quantity(f"{name} Pearson X^2 over {k} hour-of-week cells (mean = cells)", float(k), chi2),
            Quantity(f"{name} calls in the busiest cell, {label(peak)}", float(cells[peak]),
                     lambda log, counts=counts, i=peak: counts(log)[i]),
            Quantity(f"{name} calls in the quietest cell, {label(low)}", float(cells[low]),
                     lambda log, counts=counts, i=low: counts(log)[i]),
        ]
    total = sum(need.s.demand.channels.get(n).calls_per_day for n in names)
    return q, {"servers": "-", "rho": "-", "lam_per_min": total / 1440.0, "window": w}
