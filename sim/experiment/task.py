"""What an experiment runs: its ``Plan`` (saved as plan.json, so an interrupted experiment can be
resumed) and one replication's ``Task``, run in whatever process the executor chose. A worker
returns KPIs, profiles and the downgrade audit, never the event log, so the parent's memory does
not grow with the number of replications.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from sim import __version__
from sim.measures.audit import downgrade_audit
from sim.measures.kpis import compute_kpis
from sim.measures.profiles import compute_profiles
from sim.model.core import run_model
from sim.model.log import write_tables
from sim.scenario import Scenario
from sim.util.memory import give_back


@dataclass(frozen=True)
class Task:
    arm: str
    scenario: Scenario
    seed: int
    replication: int
    events_dir: str | None = None
    events_formats: tuple = ("parquet",)


def run_task(task: Task) -> dict:
    """Run one replication (in whatever process the executor chose). Never raises: a failure
    comes back with its traceback, seed and replication so it can be rerun alone; a file-system
    error (the event log meeting a full disk) comes back as ``os_error`` too, for the parent to
    stop on it in one line (``Runner.ensure``): it is not the replication's fault, and its rerun
    after ``--resume`` gives the same numbers."""
    base = {"arm": task.arm, "replication": task.replication, "seed": task.seed,
            "scenario": task.scenario.meta.name}
    try:
        t0 = time.perf_counter()
        log = run_model(task.scenario, task.seed, task.replication)
        # The phases after the run hold a year's peak memory: the allocator's free pages are handed
        # back before each of the heavy ones (the KPIs, the profiles, the event log's write;
        # sim.util.memory).
        give_back()
        kpis = compute_kpis(log)
        give_back()
        profiles = compute_profiles(log)
        downgrades = downgrade_audit(log)
        calls = int(len(log.calls))
        if task.events_dir:
            events = log.public_tables()
            del log   # the tables not written (activities, pending spells: ~20 MB a year) go first
            give_back()
            _write_events(events, Path(task.events_dir), task.events_formats)
        return {**base, "ok": True, "kpis": kpis, "profiles": profiles, "downgrades": downgrades,
                "calls": calls, "wall_s": time.perf_counter() - t0}
    except OSError as exc:
        return {**base, "ok": False, "error": traceback.format_exc(), "os_error": exc}
    except Exception:  # noqa: BLE001 - reported to the user with what is needed to rerun it
        return {**base, "ok": False, "error": traceback.format_exc()}


def event_formats(events) -> tuple[str, ...]:
    """Plan.events as formats: True (or "parquet") Parquet, "csv" CSV, "parquet,csv" both."""
    if not events:
        return ()
    return ("parquet",) if events is True else tuple(str(events).split(","))


def _write_events(tables: dict, folder: Path, formats=("parquet",)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(tables, folder, formats)


@dataclass
class Plan:
    """What an experiment will run; saved as plan.json so it can be resumed."""
    kind: str                       # run | compare | sweep
    arms: list[dict]                # {"name": "", "label": ..., "values": {...}}
    seed: int
    first_rep: int = 0
    reps: int = 1
    events: bool | str = False      # True or "parquet", "csv", "parquet,csv": the event log's formats
    precision: float | None = None
    precision_kpis: list[str] = field(default_factory=list)
    max_reps: int = 100
    command: str = ""
    version: str = __version__

    def replications(self, n: int | None = None) -> list[int]:
        return list(range(self.first_rep, self.first_rep + (self.reps if n is None else n)))
