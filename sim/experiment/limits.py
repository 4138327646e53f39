"""Resource limits, checked before a run starts: a scenario or an experiment that would run the
machine out of memory, or run for hours by mistake, is refused with what it would take and the
flag that allows it (``--allow-large``), instead of failing half-way through.
"""
from __future__ import annotations

import os

from sim.scenario import CHANNELS, Scenario, ScenarioError, horizon_minutes

BYTES_PER_CALL = 450          # event log columns, callers' needs and profiles (measured: ~380 B a call in a year)
BASE_BYTES = 150e6            # interpreter, numpy, pandas, pyarrow in each worker
CALLS_PER_TASK_LIMIT = 20e6   # ~36 force-years in one replication
TASKS_LIMIT = 10_000          # replications x arms of one experiment


def expected_calls(s: Scenario) -> float:
    """Calls one replication will draw, at the busiest month and surge (an upper estimate)."""
    days = horizon_minutes(s) / 1440.0
    surge = max([1.0] + [x.factor for x in s.demand.surges])
    per_day = sum(ch.calls_per_day * max(ch.day_of_week) for name in CHANNELS
                  if (ch := s.demand.channels.get(name)) is not None)
    return per_day * s.demand.multiplier * max(s.demand.month) * surge * days


def machine_memory() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):   # pragma: no cover - not a POSIX system
        return 8e9


def check_size(scenarios: list[Scenario], tasks: int, workers: int, allow_large: bool = False) -> None:
    """Refuse an experiment beyond the machine or the domain unless ``allow_large``."""
    if allow_large:
        return
    calls = max(expected_calls(s) for s in scenarios)
    need = workers * (BASE_BYTES + calls * BYTES_PER_CALL)
    have = machine_memory()
    hint = "; if you mean it, add --allow-large"
    if calls > CALLS_PER_TASK_LIMIT:
        raise ScenarioError("run size", "", f"~{calls:,.0f} calls in one replication",
                            f"expected at most {CALLS_PER_TASK_LIMIT:,.0f} (a force-year is ~550,000): check run.days "
                            f"and calls_per_day{hint}")
    if need > 0.8 * have:
        raise ScenarioError("run size", "", f"~{need / 1e9:.1f} GB for {workers} worker(s) at ~{calls:,.0f} calls each",
                            f"expected it to fit in this machine's memory ({have / 1e9:.1f} GB): use fewer --jobs "
                            f"or shorter runs{hint}")
    if tasks > TASKS_LIMIT:
        raise ScenarioError("run size", "", f"{tasks:,} replications in all",
                            f"expected at most {TASKS_LIMIT:,} (arms x replications): narrow the sweep or use "
                            f"fewer --reps{hint}")
