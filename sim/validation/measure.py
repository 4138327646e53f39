"""Simulated measurement: the replications of the cases, run in a process pool, and their rows.

Replication r of a case is ``run_model(scenario, seed, r)``; each worker loads the scenario and
builds the case's quantities itself (tasks stay small and picklable), so which worker ran a
replication never changes a number.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.util.executors import map_ordered
from sim.scenario import CHANNELS, load_scenario
from sim.validation.cases import ROOT, quantities
from sim.validation.compare import LEVEL, Row, summarise


@dataclass
class CaseResult:
    case: str
    kind: str
    file: str
    reps: int
    seed: int
    info: dict
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)


def _replicate(task) -> tuple[int, list[float], float]:
    """One replication of one case: the per-replication estimate of every quantity."""
    path, overrides, kind, seed, rep = task
    from sim.model.core import run_model

    t0 = time.perf_counter()
    s = load_scenario(path, overrides)
    qs, _ = quantities(s, kind, path)
    log = run_model(s, seed, rep)
    return rep, [float(q.estimate(log)) for q in qs], time.perf_counter() - t0


def simulate(path: str | Path, kind: str, reps: int, seed: int | None = None, overrides: list[str] | None = None,
             jobs: int | None = 1) -> np.ndarray:
    """Per-replication estimates (reps x quantities) of a scenario's quantities, in the order
    ``quantities`` gives them; replication r is ``run_model(scenario, seed, r)`` (seed: the
    file's ``run.seed`` unless given)."""
    if seed is None:
        seed = load_scenario(path, overrides).run.seed
    tasks = [(str(path), list(overrides or []), kind, seed, r) for r in range(reps)]
    out = sorted(map_ordered(_replicate, tasks, jobs))
    return np.array([values for _, values, _ in out], dtype=float)


def run_cases(specs: list[tuple[str, Path, str, int]], seed: int | None = None, jobs: int | None = None,
              overrides: list[str] | None = None, level: float = LEVEL, progress=None) -> list[CaseResult]:
    """Run (name, path, kind, reps) cases, all replications in one process pool of ``jobs``
    workers (default one per core); each case with its file's ``run.seed`` unless ``seed`` is
    given."""
    overrides = list(overrides or [])
    results, tasks, owners = [], [], []
    built = []
    for name, path, kind, reps in specs:
        s = load_scenario(path, overrides)
        qs, info = quantities(s, kind, path)
        built.append(qs)
        info = dict(info, days=s.run.days, warmup_days=s.run.warmup_days)
        case_seed = s.run.seed if seed is None else seed
        results.append(CaseResult(name, kind, _rel(path), reps, case_seed, info))
        for r in range(reps):
            tasks.append((str(path), overrides, kind, case_seed, r))
            owners.append(len(results) - 1)
    # longest cases first so the pool stays busy
    costs = [_cost(path) for _, path, _, _ in specs]
    order = sorted(range(len(tasks)), key=lambda i: -costs[owners[i]])
    out = map_ordered(_replicate, [tasks[i] for i in order], jobs)
    per_case: dict[int, dict[int, list[float]]] = {}
    for i, (rep, values, secs) in zip(order, out):
        per_case.setdefault(owners[i], {})[rep] = values
        results[owners[i]].seconds += secs
    for k, res in enumerate(results):
        reps = per_case.get(k, {})
        matrix = [reps[r] for r in sorted(reps)]
        for j, q in enumerate(built[k]):
            mean, hw, rel, ok = summarise(q, [row[j] for row in matrix], level)
            res.rows.append(Row(res.case, res.kind, q.name, q.analytic, mean, hw, rel, ok, q.exact, res.reps, res.seed))
        if progress:
            progress(res)
    return results


def _cost(path: Path) -> float:
    s = load_scenario(path)
    lam = sum(ch.calls_per_day for n in CHANNELS if (ch := s.demand.channels.get(n)) is not None)
    return lam * (s.run.days + s.run.warmup_days)


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
