"""How a validation quantity is measured from one replication's event log.

A kind pairs each analytic value with an estimator (``Quantity``); the estimators read only the
event log, never the model's internals, so a shortcut shared with the model cannot hide a bug.
Here: the waits and time averages every kind builds on, over the measured window (warm-up cut
off at the start, a drain at the end long enough that every call arriving in the window has
finished waiting by the horizon).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.model.log import EventLog
from sim.scenario import Scenario, horizon_minutes


@dataclass(frozen=True)
class Quantity:
    """One compared quantity: its analytic value and its per-replication estimator."""
    name: str
    analytic: float
    estimate: Callable[[EventLog], float]
    exact: bool = False          # deterministic: every call must equal the analytic value
    scale: float | None = None   # for the relative error when the analytic value is 0


def span(start: np.ndarray, end: np.ndarray, a: float, b: float) -> float:
    """Total length of the intervals [start, end) inside [a, b)."""
    s = np.clip(start, a, b)
    e = np.clip(end, a, b)
    return float(np.maximum(e - s, 0.0).sum())


def col(log: EventLog, name: str) -> np.ndarray:
    return log.calls[name].to_numpy()


def in_window(log: EventLog, a: float, b: float, channel: int | None = None, time: str = "arrival") -> np.ndarray:
    t = col(log, time)
    m = (t >= a) & (t < b)
    if channel is not None:
        m &= col(log, "channel") == channel
    return m


def answer_wait(log: EventLog) -> np.ndarray:
    """Time in the handler queue: to answer, to abandonment, or (still waiting) to the horizon."""
    end = np.where(np.isnan(col(log, "answered")), col(log, "abandoned"), col(log, "answered"))
    end = np.where(np.isnan(end), log.horizon, end)
    return end - col(log, "arrival")


def dispatch_wait(log: EventLog) -> np.ndarray:
    fd = col(log, "first_dispatch")
    return np.where(np.isnan(fd), log.horizon, fd) - col(log, "graded")


def mean_of(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


@dataclass(frozen=True)
class Window:
    a: float
    b: float

    @property
    def length(self) -> float:
        return self.b - self.a


def measured_window(s: Scenario, drain: float) -> Window:
    a = s.run.warmup_days * 1440.0
    h = horizon_minutes(s)
    drain = min(drain, 0.25 * (h - a))  # never more than a quarter of the measured period
    return Window(float(a), float(h - drain))


def drain_minutes(waits: list[float], rates: list[float]) -> float:
    """Minutes kept free at the end so calls arriving in the window have all finished waiting:
    at least 2 hours, 50 mean waits of the slowest class and 20 time constants of the wait's
    tail (``rates``: c mu - lam, or the abandonment rate)."""
    d = 120.0
    if waits:
        d = max(d, 50.0 * max(waits))
    if rates:
        d = max(d, 20.0 / min(rates))
    return float(d)


def handler_queue_quantities(w: Window, channel: int | None = None):
    """Per-call and time-average measures of the handler queue (optionally one channel)."""

    def pwait(log):
        m = in_window(log, w.a, w.b, channel)
        return mean_of(answer_wait(log)[m] > 0)

    def mean_wait(log):
        m = in_window(log, w.a, w.b, channel)
        return mean_of(answer_wait(log)[m])

    def queue_length(log):
        m = np.ones(len(log.calls), bool) if channel is None else col(log, "channel") == channel
        arr = col(log, "arrival")[m]
        return span(arr, arr + answer_wait(log)[m], w.a, w.b) / w.length

    return pwait, mean_wait, queue_length


def handler_utilisation(w: Window, c: int):
    def est(log):
        start = col(log, "answered")
        end = np.where(np.isnan(col(log, "handled")), log.horizon, col(log, "handled"))
        ok = ~np.isnan(start)
        return span(start[ok], end[ok], w.a, w.b) / (c * w.length)
    return est
