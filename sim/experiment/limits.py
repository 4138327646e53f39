"""Resource limits, checked before a run starts: a scenario or an experiment that would run the
machine out of memory, or run for hours by mistake, is refused with what it would take and the
flag that allows it (``--allow-large``), instead of failing half-way through.
"""
from __future__ import annotations

import math
import os

from sim.scenario import CHANNELS, Scenario, ScenarioError, horizon_minutes

BYTES_PER_CALL = 450          # event log columns, callers' needs and profiles (measured: ~430 B a call at 9.3M calls)
BASE_BYTES = 150e6            # interpreter, numpy, pandas, pyarrow in each worker
CALLS_PER_TASK_LIMIT = 3e6    # ~5 force-years in one replication (~1 min, ~1.5 GB)
UNIT_SHIFTS_LIMIT = 2e6       # people x shifts worked in one replication (~20 us each: ~40 s); a
                              # force of 1,000 response units a shift for a year is ~1.1M
TASKS_LIMIT = 10_000          # replications x arms of one experiment
CALLS_BEYOND_ANY_MACHINE = 1e9   # refused even with --allow-large (~450 GB of event log)


def expected_calls(s: Scenario) -> float:
    """Calls one replication will draw (an upper estimate): the expected arrivals hour by hour, with
    months and every surge applied as the model applies them (overlapping surges multiply), plus
    the callers who try again; for a trace, its rows inside the run."""
    horizon = horizon_minutes(s)
    if s.demand.trace is not None:
        from sim.scenario.trace import read_trace, trace_minutes

        t = trace_minutes(read_trace(s.demand.trace), s.run.start_date)
        return float(((t >= 0) & (t < horizon)).sum())
    from sim.model.demand import hourly_rates

    hours = int(math.ceil(horizon / 60.0))
    retry = max([0.0] + [ch.retry.probability for name in CHANNELS if (ch := s.demand.channels.get(name)) is not None])
    return float(sum(hourly_rates(s, name, hours).sum() for name in CHANNELS)) * (1.0 + retry)


def unit_shifts(s: Scenario) -> float:
    """People x shifts the run rosters (call handlers, response and neighbourhood officers): each is
    a unit with its own shift start, breaks and end on the event list."""
    from sim.scenario.rota import shift_instances

    horizon = horizon_minutes(s)
    return float(sum(inst.staff for pool in (s.call_handling, s.response, s.neighbourhood) if pool.has_rota
                     for inst in shift_instances(pool, horizon, s.run.start_date)))


def machine_memory() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):   # pragma: no cover - not a POSIX system
        return 8e9


def check_size(scenarios: list[Scenario], tasks: int, workers: int, allow_large: bool = False) -> None:
    """Refuse an experiment beyond the machine or the domain unless ``allow_large``."""
    calls = max(expected_calls(s) for s in scenarios)
    if not math.isfinite(calls) or calls > CALLS_BEYOND_ANY_MACHINE:
        raise ScenarioError("run size", "", f"~{_count(calls)} calls in one replication",
                            f"expected at most {CALLS_BEYOND_ANY_MACHINE:,.0f} even with --allow-large: check run.days, "
                            "calls_per_day, the multipliers and overlapping surges")
    if allow_large:
        return
    need = workers * (BASE_BYTES + calls * BYTES_PER_CALL)
    have = machine_memory()
    hint = "; if you mean it, add --allow-large"
    if calls > CALLS_PER_TASK_LIMIT:
        raise ScenarioError("run size", "", f"~{_count(calls)} calls in one replication",
                            f"expected at most {CALLS_PER_TASK_LIMIT:,.0f} (a force-year is ~550,000): check run.days, "
                            f"calls_per_day, the multipliers and overlapping surges{hint}")
    shifts = max(unit_shifts(s) for s in scenarios)
    if shifts > UNIT_SHIFTS_LIMIT:
        raise ScenarioError("run size", "", f"{shifts:,.0f} people x shifts in one replication",
                            f"expected at most {UNIT_SHIFTS_LIMIT:,.0f} (a force of 1,000 response units a shift for a "
                            f"year is ~1,100,000): check the units and staff per shift and run.days{hint}")
    if need > 0.8 * have:
        raise ScenarioError("run size", "", f"~{need / 1e9:.1f} GB for {workers} worker(s) at ~{calls:,.0f} calls each",
                            f"expected it to fit in this machine's memory ({have / 1e9:.1f} GB): use fewer --jobs "
                            f"or shorter runs{hint}")
    if tasks > TASKS_LIMIT:
        raise ScenarioError("run size", "", f"{tasks:,} replications in all",
                            f"expected at most {TASKS_LIMIT:,} (arms x replications): narrow the sweep or use "
                            f"fewer --reps{hint}")


def _count(x: float) -> str:
    return f"{x:,.0f}" if x < 1e12 else f"{x:.2g}"


def size_line(s: Scenario) -> str:
    """What one replication of ``s`` will hold, for ``check``: calls and people x shifts."""
    return (f"~{_count(expected_calls(s))} calls and {unit_shifts(s):,.0f} people x shifts a replication (limits "
            f"{CALLS_PER_TASK_LIMIT:,.0f} and {UNIT_SHIFTS_LIMIT:,.0f} without --allow-large)")
