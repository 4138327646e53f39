"""Tables several KPIs start from, made once per event log.

A KPI is a pure function of the event log, and many start from the same selection (the window's
incidents of a grade, its vulnerable callers, each channel's calls): made afresh by each, a 28-day
run's KPIs spent about 40% of their time selecting the same rows again. ``once`` keeps each such table on the log it
came from, so it lives as long as the log and no longer (``compute_kpis`` lets them go when it
is done). They are read, never written: no KPI assigns into one (and with pandas' copy on write, the
default from pandas 3, a write would change the writer's own copy only).
"""
from __future__ import annotations

from typing import Callable, Hashable

from sim.model.log import EventLog


def once(log: EventLog, key: Hashable, make: Callable):
    """``make()``, the first time ``key`` is asked of this ``log``; the same table afterwards.
    A tuple key's first part is the table's kind, which ``forget`` can let go on its own."""
    memo = log.__dict__.setdefault("_shared_tables", {})   # the log is frozen; its __dict__ holds caches (as ``window``)
    try:
        return memo[key]
    except KeyError:
        table = memo[key] = make()
        return table


def forget(log: EventLog, kind: str | None = None) -> None:
    """Let the shared tables of ``log`` go: all of them (``compute_kpis`` does, when every KPI has
    been read), or those of one ``kind`` (the first part of a tuple key) that no later KPI reads.
    A table let go too early is only made again: never a different number."""
    if kind is None:
        log.__dict__.pop("_shared_tables", None)
        return
    memo = log.__dict__.get("_shared_tables", {})
    for key in [k for k in memo if isinstance(k, tuple) and k[0] == kind]:
        del memo[key]
