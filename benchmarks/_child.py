"""One measurement in a fresh Python process; prints one JSON object on stdout.

Used by ``harness.py`` (peak memory must be measured in a process that has allocated
nothing else yet) and by ``compare_commits.py`` (a source tree per process, so an older
commit's ``sim`` package can be measured against the current one). Only the standard
library is imported before the tree's own ``sim`` package, so this works on any commit
that has ``sim.model.core.run_model`` and ``sim.scenario.load_scenario``.

    python benchmarks/_child.py memory --days 365 [--events] [--no-trace] [--tree DIR]
    python benchmarks/_child.py speed  --days 28 [--repeats 1] [--tree DIR]
    python benchmarks/_child.py calls  --days 28 --dump FILE.pkl [--tree DIR]

``--tree`` is a checkout of the project (default: the one this file is in); the scenario
is that tree's ``scenarios/nottinghamshire-2016.toml`` unless ``--scenario`` says otherwise.
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rss_now_mb() -> float:
    """Current resident set size (VmRSS), MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def maxrss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB), MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["memory", "speed", "calls"])
    p.add_argument("--tree", type=Path, default=HERE.parent)
    p.add_argument("--scenario", type=Path, default=None)
    p.add_argument("--days", type=float, default=28)
    p.add_argument("--set", action="append", default=[], dest="overrides")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--replication", type=int, default=0)
    p.add_argument("--events", action="store_true", help="memory: also write the event log (Parquet)")
    p.add_argument("--no-trace", action="store_true", help="memory: peak RSS only, without tracemalloc")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--dump", type=Path, default=None)
    a = p.parse_args(argv)

    tree = a.tree.resolve()
    sys.path.insert(0, str(tree))
    import numpy  # noqa: F401  (imported before the baseline, like the model's own imports)
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401  (pandas imports it lazily for Parquet; load it for both configs alike)
    import pyarrow.parquet  # noqa: F401
    from sim.model.core import run_model
    try:   # the layered package (issue 22)
        from sim.measures.kpis import compute_kpis
        from sim.measures.profiles import compute_profiles
        try:
            from sim.scenario import load_scenario
        except ImportError:  # the commit that moved modules into layers kept it in sim/scenario/schema.py
            from sim.scenario.schema import load_scenario
    except ImportError:   # a tree from before the layers: flat modules
        from sim.kpis import compute_kpis
        from sim.scenario import load_scenario
        try:
            from sim.profiles import compute_profiles
        except ImportError:  # the skeleton commit has no profiles
            compute_profiles = None

    scenario_path = a.scenario or tree / "scenarios" / "nottinghamshire-2016.toml"
    scenario = load_scenario(scenario_path, [f"run.days={a.days:g}", *a.overrides])
    out: dict = {"what": a.what, "tree": str(tree), "days": a.days, "overrides": a.overrides}

    if a.what == "memory":
        import pyarrow as pa
        gc.collect()
        out["rss_after_imports_mb"] = rss_now_mb()
        out["maxrss_after_imports_mb"] = maxrss_mb()
        tracing = not a.no_trace
        if tracing:
            import tracemalloc
            tracemalloc.start()
        pool = pa.default_memory_pool()
        t0 = time.perf_counter()
        log = run_model(scenario, a.seed, a.replication)
        compute_kpis(log)
        if compute_profiles is not None:
            compute_profiles(log)
        calls = len(log.calls)
        if a.events:
            with tempfile.TemporaryDirectory() as tmp:
                log.write_parquet(Path(tmp))
                out["parquet_bytes"] = sum(f.stat().st_size for f in Path(tmp).iterdir())
        out["wall_s"] = time.perf_counter() - t0
        if tracing:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out["tracemalloc_peak_mb"] = peak / 2**20
        out["arrow_pool_peak_mb"] = pool.max_memory() / 2**20
        out["maxrss_mb"] = maxrss_mb()
        out["calls"] = calls
        out["events"] = a.events
        out["traced"] = tracing
        return out

    if a.what == "speed":
        run_model(load_scenario(scenario_path, ["run.days=2", *a.overrides]), a.seed, a.replication)  # warm-up
        walls, cpus, kpi_walls = [], [], []
        for _ in range(a.repeats):
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            log = run_model(scenario, a.seed, a.replication)
            t1, c1 = time.perf_counter(), time.process_time()
            compute_kpis(log)
            if compute_profiles is not None:
                compute_profiles(log)
            kpi_walls.append(time.perf_counter() - t1)
            walls.append(t1 - t0)
            cpus.append(c1 - c0)
            out["calls"] = len(log.calls)
            del log
        out.update(wall_s=walls, cpu_s=cpus, kpi_wall_s=kpi_walls)
        return out

    # calls: the event log's call table, for a bit-for-bit comparison between trees
    log = run_model(scenario, a.seed, a.replication)
    log.calls.to_pickle(a.dump)
    if hasattr(log, "grade_changes"):
        log.grade_changes.to_pickle(a.dump.with_suffix(".grade_changes.pkl"))
    out["calls"] = len(log.calls)
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
