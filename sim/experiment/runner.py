"""One replication end to end, with no I/O: scenario -> event log -> KPIs.

Mirrors the ``single_run`` step of the STARS treat-sim pipeline; experiments (many
replications, comparisons) build on it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sim.measures.kpis import compute_kpis
from sim.model.log import EventLog
from sim.model.core import run_model
from sim.scenario import Scenario


@dataclass(frozen=True)
class RunResult:
    kpis: dict[str, float]
    log: EventLog
    seed: int
    replication: int
    wall_seconds: float


def single_run(scenario: Scenario, seed: int | None = None, replication: int = 0) -> RunResult:
    seed = scenario.run.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    log = run_model(scenario, seed, replication)
    kpis = compute_kpis(log)
    return RunResult(kpis, log, seed, replication, time.perf_counter() - t0)
