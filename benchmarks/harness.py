"""Performance harness (issue 6): one command, one process run, one results table.

    python benchmarks/harness.py            # full run (~8-10 min on 2 cores) -> benchmarks/results.md
    python benchmarks/harness.py --quick    # smoke run (~30 s, small sizes), printed; --out FILE.md to keep it

Measures, with medians (and min/max) over repeats:

1. the default scenario (``scenarios/nottinghamshire-2016.toml``) for 365 days plus its 3-day
   warm-up, one replication: wall time of ``run_model`` (drawing callers, simulation, building
   the event log), calls simulated per second, µs per call, the KPI/profile time separately,
   and peak memory with and without the event log (each in a fresh subprocess);
2. the bare SimPy reference (``reference.py``: M/M/c, 2 priority classes, c=20, rho=0.85,
   100k customers), interleaved with (1) in the same process so both see the same machine,
   and the ratio (µs per call of the full model) / (µs per customer of the reference);
3. scaling: µs per call for 28, 91 and 365 days, and for demand x0.5, x1, x2, x4 (28 days);
4. parallel: 8 replications of 28 days through ``run_experiment`` with jobs=1, jobs=2 and
   Dask local (2 workers), plus a pre-started Dask cluster (diagnostic); speed-up and overhead,
   and every configuration must give identical frames; and, in the same repeats, the bare
   SimPy reference on 1 and 2 processes (a same-run comparison);
5. the command line as a user runs it (issue 27), each in a fresh process: a force-year with the
   event log and the report (``run --days 365 --events``), its wall time per call against the
   reference timed before and after it in this process, and its peak RSS sampled from outside
   (``rss_year.py``); the default ``run`` from process start to report written
   (``end_to_end.py``); and the everyday test suite (``make test``, skipped with ``--skip-tests``).

It writes a markdown table (``--out``, plus the raw numbers as JSON next to it) headed by the
machine and versions it ran on, with PASS/FAIL against the issue's targets, and prints it.
See ``benchmarks/README.md`` for what each number means.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_TREE_ENV = "TRIAGE_BENCH_TREE"


def _snapshot_and_reexec() -> None:
    """Measure a frozen copy of the code: copy ``sim/`` and ``scenarios/`` to a temporary
    folder and re-run this script on it. Processes started later (memory subprocesses, pool
    and Dask workers) import ``sim`` from disk, so edits made to the working tree while the
    harness runs would otherwise mix two versions of the model in one results table."""
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    for name in ("sim", "scenarios"):
        shutil.copytree(ROOT / name, tmp / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, **{_TREE_ENV: str(tmp)})
    try:
        rc = subprocess.call([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]], env=env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__" and _TREE_ENV not in os.environ and "--no-snapshot" not in sys.argv:
    _snapshot_and_reexec()

TREE = Path(os.environ.get(_TREE_ENV, ROOT))  # the code measured: a snapshot of ROOT, or ROOT itself
sys.path.insert(0, str(TREE))
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402

import reference  # noqa: E402
from sim.experiment.replications import run_experiment  # noqa: E402
from sim.measures.kpis import compute_kpis  # noqa: E402
from sim.model.core import run_model  # noqa: E402
from sim.measures.profiles import compute_profiles  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

DEFAULT = TREE / "scenarios" / "nottinghamshire-2016.toml"

# Sizes. Full: what the issue asks for. Quick: the same code paths, small, for a smoke test.
FULL = dict(year_days=365, year_repeats=3, ref_n=100_000, ref_repeats=5, ref_c=20, ref_rho=0.85,
            scale_days=(28, 91), scale_repeats=5, demand_days=28, demand_mult=(0.5, 1, 2, 4),
            demand_repeats=5, par_reps=8, par_days=28, par_jobs=2, par_repeats=11, mem_days=365,
            par_ref_n=60_000, cli_repeats=3, e2e_repeats=5)  # reference customers per parallel diagnostic run: ~ one 28-day replication's time
QUICK = dict(year_days=14, year_repeats=2, ref_n=20_000, ref_repeats=2, ref_c=20, ref_rho=0.85,
             scale_days=(3, 7), scale_repeats=1, demand_days=3, demand_mult=(0.5, 1, 2, 4),
             demand_repeats=1, par_reps=4, par_days=3, par_jobs=2, par_repeats=1, mem_days=7,
             par_ref_n=5_000, cli_repeats=1, e2e_repeats=1)

# The issues' targets (issue 6, tightened by issue 27 where it names one).
T_RATIO = 1.0          # issue 27: full model µs/call <= 1.0 x reference µs/customer (issue 6: 2.0)
T_YEAR_S = 5.0         # issue 27: a 365-day replication (run + KPIs + profiles) <= 5 s wall (issue 6: 15)
T_CLI_RATIO = 1.5      # issue 27: `run --days 365 --events` (report included) <= 1.5 x reference per call
T_CLI_RSS_MB = 300.0   # issue 27: that process's peak RSS, measured from outside
T_DEFAULT_RUN_S = 2.0  # issue 27: the default `triage-sim run`, process start to report written
T_TESTS_S = 180.0      # issue 27: `make test` (the everyday suite)
T_MEM_EVENTS = 400.0   # issue 6: MB, 365 days with the event log (the replication's own allocations)
T_MEM_PLAIN = 150.0    # issue 6: MB, without
T_SPEEDUP = 1.8        # 2 processes >= 1.8 x one, on 8 replications
T_DASK = 0.15          # Dask local within 15% of the process pool
T_FLAT = 1.25          # our reading of "should stay flat": no size costs > 1.25 x the smallest's µs per call


# ---------------------------------------------------------------------------- helpers
def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "values": list(values)}


def median_ci(values: list[float], level: float = 0.95) -> dict | None:
    """Distribution-free CI for a median: order statistics x(k) .. x(n+1-k) with the largest k
    whose binomial(n, 1/2) coverage is still >= level (the coverage is returned: with few values
    it is well above ``level``, e.g. 98.8% for 11). None if n is too small for the level. It
    treats the repeats as exchangeable."""
    from math import comb

    x, n = sorted(values), len(values)
    best = None
    for k in range(1, n // 2 + 1):
        cover = 1 - 2 * sum(comb(n, i) for i in range(k)) / 2 ** n
        if cover >= level:
            best = {"low": x[k - 1], "high": x[n - k], "coverage": cover}
    return best


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _machine_busy_s() -> float:
    """CPU-seconds all cores spent busy so far (user+nice+system+irq+softirq+steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Load:
    """How busy *other* processes kept the machine during a section: (machine busy CPU time -
    this process's and its reaped children's CPU time) / wall time, in cores. About 0 on a
    quiet machine; timings taken with 1+ background cores are not trustworthy."""

    def __init__(self):
        self.t, self.busy, self.own = time.perf_counter(), _machine_busy_s(), _own_cpu_s()

    def stop(self) -> dict:
        wall = time.perf_counter() - self.t
        other = (_machine_busy_s() - self.busy) - (_own_cpu_s() - self.own)
        return {"wall_s": wall, "background_cores": max(other, 0.0) / wall if wall > 0 else 0.0,
                "loadavg": os.getloadavg()[0]}


def scenario(days: float, multiplier: float | None = None):
    over = [f"run.days={days:g}"]
    if multiplier is not None:
        over.append(f"demand.multiplier={multiplier:g}")
    return load_scenario(DEFAULT, over)


def time_model(s, replication: int = 0) -> dict:
    """One replication as ``run_task`` runs it: ``run_model`` timed alone (wall and CPU),
    then ``compute_kpis`` + ``compute_profiles`` timed separately."""
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    ev = run_model(s, None, replication)
    t1, c1 = time.perf_counter(), time.process_time()
    kpis = compute_kpis(ev)
    compute_profiles(ev)
    t2 = time.perf_counter()
    n = len(ev.calls)
    del ev
    return {"calls": n, "wall_s": t1 - t0, "cpu_s": c1 - c0, "kpi_s": t2 - t1, "kpis": kpis}


def count_events(s) -> int | None:
    """Timed events one replication schedules (untimed run; SimPy's event-id counter at the end).
    Reaches into ``Model`` (what ``run_model`` wraps); None if its shape has changed."""
    try:
        from sim.model.core import Model
        m = Model(s, s.run.seed, 0)
        m.run()
        return next(m._eid)
    except Exception:  # noqa: BLE001 - a diagnostic only
        return None


def time_reference(fn, size: dict) -> dict:
    gc.collect()
    r = fn(size["ref_n"], size["ref_c"], size["ref_rho"], 1)
    return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "served": r["served"], "mean_wait": r["mean_wait"]}


def speed_probe(n: int = 20_000) -> float:
    """The machine's current speed, as µs per customer of the reference (process per customer,
    n customers, median of 3). Run before and after each section: this VM's speed drifts with
    load on the host that the guest cannot see (no steal time is reported)."""
    fn = reference.simpy_process_per_customer
    return statistics.median(fn(n, 20, 0.85, 1)["wall_s"] / n * 1e6 for _ in range(3))


def us_per(walls: list[float], n: int) -> list[float]:
    return [w / n * 1e6 for w in walls]


def child(args: list[str]) -> dict:
    """Run ``_child.py`` in a fresh interpreter and return its JSON."""
    cmd = [sys.executable, str(HERE / "_child.py"), *args, "--tree", str(TREE)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- sections
def section_year_and_reference(size: dict) -> dict:
    """(1) + (2): the year and the reference, interleaved run by run."""
    load = Load()
    s = scenario(size["year_days"])
    variants = [reference.simpy_process_per_customer, reference.simpy_lean, reference.heapq_loop]
    # warm-up: imports, caches, first-call costs, for both sides
    time_model(scenario(2))
    for fn in variants:
        fn(2_000, size["ref_c"], size["ref_rho"], 1)
    runs = {fn.__name__: [] for fn in variants}
    year = []
    for i in range(max(size["year_repeats"], size["ref_repeats"])):
        if i < size["ref_repeats"]:
            for fn in variants:
                runs[fn.__name__].append(time_reference(fn, size))
        if i < size["year_repeats"]:
            log(f"year run {i + 1}/{size['year_repeats']} ({size['year_days']:g} days)")
            year.append(time_model(s))
    waits = [runs[fn.__name__][0]["mean_wait"] for fn in variants]
    assert waits[0] == waits[1] == waits[2], "the three reference variants must agree exactly"
    calls = year[0]["calls"]
    assert all(r["calls"] == calls for r in year)
    n = size["ref_n"]
    ref = {name: {"wall_us": stats(us_per([r["wall_s"] for r in rs], n)),
                  "cpu_us": stats(us_per([r["cpu_s"] for r in rs], n)),
                  "mean_wait": rs[0]["mean_wait"]} for name, rs in runs.items()}
    model = {
        "days": size["year_days"], "calls": calls,
        "wall_s": stats([r["wall_s"] for r in year]),
        "cpu_s": stats([r["cpu_s"] for r in year]),
        "kpi_s": stats([r["kpi_s"] for r in year]),
        "replication_s": stats([r["wall_s"] + r["kpi_s"] for r in year]),
        "calls_per_s": stats([calls / r["wall_s"] for r in year]),
        "us_per_call": stats(us_per([r["wall_s"] for r in year], calls)),
        "cpu_us_per_call": stats(us_per([r["cpu_s"] for r in year], calls)),
    }
    ppc = ref["simpy_process_per_customer"]
    ratio = model["us_per_call"]["median"] / ppc["wall_us"]["median"]
    ratio_cpu = model["cpu_us_per_call"]["median"] / ppc["cpu_us"]["median"]
    return {"model": model, "reference": ref, "ratio": ratio, "ratio_cpu": ratio_cpu,
            "reference_size": {k: size[k] for k in ("ref_n", "ref_c", "ref_rho")}, "load": load.stop()}


def section_memory(size: dict) -> dict:
    """Peak memory, each configuration in a fresh subprocess: once with tracemalloc (the
    replication's own allocations), once without (peak RSS, undisturbed by tracemalloc's own
    bookkeeping)."""
    load = Load()
    out = {}
    for events in (False, True):
        key = "with_events" if events else "without_events"
        log(f"memory: {key.replace('_', ' ')} ({size['mem_days']:g} days, 2 fresh subprocesses)")
        base = ["memory", "--days", f"{size['mem_days']:g}"] + (["--events"] if events else [])
        traced = child(base)
        plain = child(base + ["--no-trace"])
        judged = traced["tracemalloc_peak_mb"] + traced["arrow_pool_peak_mb"]
        out[key] = {"traced": traced, "plain": plain, "judged_mb": judged,
                    "rss_increase_mb": plain["maxrss_mb"] - plain["rss_after_imports_mb"]}
    out["days"] = size["mem_days"]
    out["load"] = load.stop()
    return out


def section_scaling(size: dict, year: dict) -> dict:
    load = Load()
    # by length (the year itself comes from section 1: same measure, same process)
    by_days = {d: [] for d in size["scale_days"]}
    for r in range(size["scale_repeats"]):
        for d in size["scale_days"]:
            log(f"scaling: {d:g} days, run {r + 1}/{size['scale_repeats']}")
            by_days[d].append(time_model(scenario(d)))
    days_rows = []
    for d, runs in by_days.items():
        days_rows.append({"days": d, "calls": runs[0]["calls"],
                          "us_per_call": stats(us_per([x["wall_s"] for x in runs], runs[0]["calls"]))})
    ym = year["model"]
    days_rows.append({"days": ym["days"], "calls": ym["calls"], "us_per_call": ym["us_per_call"],
                      "from_section_1": True})
    log("scaling: counting events (one untimed run per size)")
    for row in days_rows:
        row["events"] = count_events(scenario(row["days"]))
    # by demand
    by_mult = {m: [] for m in size["demand_mult"]}
    scen = {m: scenario(size["demand_days"], m) for m in size["demand_mult"]}
    for r in range(size["demand_repeats"]):
        for m in size["demand_mult"]:
            log(f"scaling: demand x{m:g}, run {r + 1}/{size['demand_repeats']}")
            by_mult[m].append(time_model(scen[m]))
    mult_rows = []
    for m, runs in by_mult.items():
        k = runs[0]["kpis"]
        mult_rows.append({"multiplier": m, "calls": runs[0]["calls"], "events": count_events(scen[m]),
                          "us_per_call": stats(us_per([x["wall_s"] for x in runs], runs[0]["calls"])),
                          "kpi_s": stats([x["kpi_s"] for x in runs]),
                          "max_pending": k.get("max_pending"), "resource_downgrades": k.get("resource_downgrades"),
                          "g1_in_target": k.get("g1_in_target"), "unit_utilisation": k.get("unit_utilisation")})

    def growth(rows):
        """Largest µs per call relative to the smallest size: > 1 means cost per call grows."""
        med = [r["us_per_call"]["median"] for r in rows]
        return max(med) / med[0]

    return {"days": days_rows, "demand": mult_rows, "demand_days": size["demand_days"],
            "growth_days": growth(days_rows), "growth_demand": growth(mult_rows), "load": load.stop()}



def section_cli(size: dict, year: dict, tests: bool) -> dict:
    """(5) The command line as a user runs it, in fresh processes on the measured tree: the
    force-year with its event log and report (peak RSS sampled from /proc, as ``rss_year.py``),
    each run between two timings of the reference in this process (the ratio is per call of the
    same scenario and seed as section 1, whose call count it uses); the default run end to end
    (as ``end_to_end.py``); and ``make test``, timed on the working tree (not the snapshot)."""
    import shutil
    import tempfile

    import end_to_end
    import rss_year

    load = Load()
    fn = reference.simpy_process_per_customer
    days, calls = size["year_days"], year["model"]["calls"]
    cli, refs = [], []
    for i in range(size["cli_repeats"]):
        refs.append(time_reference(fn, size)["wall_s"])
        log(f"command line: run --days {days:g} --events {i + 1}/{size['cli_repeats']}")
        cli.append(rss_year.measure(days, root=TREE))
        refs.append(time_reference(fn, size)["wall_s"])
    ref_us = stats(us_per(refs, size["ref_n"]))
    cli_us = stats(us_per([r["wall_s"] for r in cli], calls))
    # each run against the mean of the reference just before and just after it
    pairs = [cli_us["values"][i] / ((ref_us["values"][2 * i] + ref_us["values"][2 * i + 1]) / 2)
             for i in range(len(cli))]
    tmp = Path(tempfile.mkdtemp(prefix="triage-e2e-"))
    try:
        log(f"command line: default run end to end, 1 warm-up + {size['e2e_repeats']}")
        end_to_end.one_run(tmp / "warm", root=TREE)
        e2e = [end_to_end.one_run(tmp / f"r{i}", root=TREE) for i in range(size["e2e_repeats"])]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = {"days": days, "calls": calls, "wall_s": stats([r["wall_s"] for r in cli]),
           "us_per_call": cli_us, "reference_us": ref_us, "ratio_pairs": stats(pairs),
           "rss_mb": stats([r["main_mb"] for r in cli]), "helpers_mb": [r["helpers_mb"] for r in cli],
           "default_run_s": stats(e2e), "tests_s": None}
    if tests:
        log("make test (the everyday suite, working tree)")
        t0 = time.perf_counter()
        done = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
        out["tests_s"] = time.perf_counter() - t0
        out["tests_ok"] = done.returncode == 0
        out["tests_line"] = (done.stdout.strip().splitlines() or [""])[-1].strip("= ")
    out["load"] = load.stop()
    return out


def _reference_task(task: tuple[int, int]) -> float:
    """One bare-SimPy reference run of ``n`` customers; its wall time."""
    n, seed = task
    return reference.simpy_process_per_customer(n, 20, 0.85, seed)["wall_s"]


def section_parallel(size: dict) -> dict:
    """8 replications on 1 process, 2 processes and Dask, repeat after repeat.

    The judged speed-up is the median over repeats of (serial wall / pool wall) *of the same
    repeat*: the two runs are seconds apart, so slow drifts of the VM's speed (the speed probe
    moves by up to 50% within one harness run) largely cancel in each ratio, though not changes
    within seconds. The ratio of the medians is shown too, with a distribution-free confidence
    interval for the median ratio and the medians of forward and of backward repeats: the
    executors run forwards in even repeats and backwards in odd ones, so that an order effect
    favours neither, and is shown rather than hidden. The same is done, as a same-run
    comparison, for 8 runs of the bare SimPy reference: the speed-up this machine gives a
    plain pure-Python simulation just then."""
    from sim.util.executors import PoolExecutor, local_cluster_config

    load = Load()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    s = scenario(size["par_days"])
    j = size["par_jobs"]
    pool_name, dask_name, prestarted_name = f"jobs {j}", f"dask local ({j} workers)", f"dask, cluster already running ({j} workers)"
    judged = [("jobs 1", dict(jobs=1)), (pool_name, dict(jobs=j)), (dask_name, dict(jobs=j, dask="local"))]
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:
        judged, dask_name = judged[:2], None
    # diagnostic, not judged: the same work on a cluster started (with the settings `--dask
    # local` uses) before the clock starts, to separate Dask's start-up cost from its per-task
    # cost. Run after the judged runs of each repeat, so its idle workers never run beside them.
    diagnostic = [prestarted_name] if dask_name else []
    names = [name for name, _ in judged] + diagnostic
    # warm-up, untimed: first-call imports (scipy for the CIs, tqdm) and a first pool, so that
    # the first timed run is not also the first of its kind
    run_experiment(scenario(1), reps=2, jobs=1)
    run_experiment(s, reps=j, jobs=j)
    walls = {name: [] for name in names}
    busy_s = {name: [] for name in names}   # sum of the replications' own times
    ref_walls = {"serial": [], "pool": []}
    ref_tasks = [(size["par_ref_n"], seed) for seed in range(1, size["par_reps"] + 1)]
    meta, frames = {}, {}

    def timed_experiment(name: str, **kw) -> None:
        log(f"parallel: {name}, {size['par_reps']} x {size['par_days']:g} days, run {r + 1}/{size['par_repeats']}")
        gc.collect()
        t0 = time.perf_counter()
        res = run_experiment(s, reps=size["par_reps"], **kw)
        walls[name].append(time.perf_counter() - t0)
        busy_s[name].append(res.result.wall_s)
        assert not res.failures, res.failures
        meta[name] = {"executor": res.executor, "workers": res.workers}
        frames.setdefault(name, res.result.replications)
        pd.testing.assert_frame_equal(frames[name], res.result.replications, check_exact=True)

    for r in range(size["par_repeats"]):
        forwards = r % 2 == 0
        for name, kw in (judged if forwards else judged[::-1]):
            timed_experiment(name, **kw)
        if diagnostic:
            with dask.config.set(local_cluster_config()):
                cluster = LocalCluster(n_workers=j, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=":0")
            with Client(cluster) as c:
                where = c.run(lambda: __import__("sim.experiment.replications").__file__)
            # workers are forked from this process, so they run the same (snapshot) code
            assert all(Path(f).is_relative_to(TREE) for f in where.values()), where
            timed_experiment(prestarted_name, dask=cluster.scheduler_address)
            cluster.close()
        log(f"parallel: bare SimPy reference, {size['par_reps']} runs, 1 and {j} processes, run {r + 1}/{size['par_repeats']}")
        for how in (("serial", "pool") if forwards else ("pool", "serial")):
            gc.collect()
            t0 = time.perf_counter()
            if how == "serial":
                for task in ref_tasks:
                    _reference_task(task)
            else:
                pool = PoolExecutor(j)
                list(pool.run(_reference_task, ref_tasks))
                pool.close()
            ref_walls[how].append(time.perf_counter() - t0)
    first = frames["jobs 1"]
    for name in frames:
        pd.testing.assert_frame_equal(first, frames[name], check_exact=True)

    def paired(a: list[float], b: list[float]) -> dict:
        """a[r] / b[r] for each repeat r: median, range, a CI for the median, and the medians of
        the forward (even r) and backward (odd r) repeats."""
        ratios = [x / y for x, y in zip(a, b)]
        return {**stats(ratios), "median_ci": median_ci(ratios),
                "forwards": statistics.median(ratios[0::2]),
                "backwards": statistics.median(ratios[1::2]) if len(ratios) > 1 else None}

    serial = walls["jobs 1"]
    rows = []
    for name in names:
        w = statistics.median(walls[name])
        workers = meta[name]["workers"]
        busy = statistics.median(busy_s[name])
        speedup = paired(serial, walls[name])
        rows.append({"config": name, **meta[name], "wall_s": stats(walls[name]), "speedup": speedup["median"],
                     "speedup_paired": speedup, "speedup_of_medians": statistics.median(serial) / w,
                     "efficiency": speedup["median"] / workers, "sum_replication_s": busy,
                     # time not spent inside replications, had the work been spread perfectly
                     "overhead_s": w - busy / workers})
    dask_vs_pool = paired(walls[dask_name], walls[pool_name]) if dask_name else None
    ref_speedup = paired(ref_walls["serial"], ref_walls["pool"])
    return {"rows": rows, "reps": size["par_reps"], "days": size["par_days"], "identical": True,
            "repeats": size["par_repeats"],
            "speedup": next(r for r in rows if r["config"] == pool_name)["speedup"],
            "dask_vs_pool": (dask_vs_pool["median"] - 1) if dask_vs_pool else None,
            "dask_vs_pool_paired": dask_vs_pool,
            "dask_vs_pool_of_medians": (statistics.median(walls[dask_name]) / statistics.median(walls[pool_name]) - 1)
            if dask_name else None,
            "reference": {"n": size["par_ref_n"], "runs": len(ref_tasks), "serial_s": stats(ref_walls["serial"]),
                          "pool_s": stats(ref_walls["pool"]), "speedup": ref_speedup["median"],
                          "speedup_paired": ref_speedup,
                          # ours / the reference's, repeat by repeat
                          "model_vs_reference": paired([a / b for a, b in zip(serial, walls[pool_name])],
                                                       ref_speedup["values"])},
            "cpu_count": os.cpu_count(), "load": load.stop()}


# ---------------------------------------------------------------------------- environment
def environment() -> dict:
    try:
        import dask
        import distributed
    except ImportError:  # optional: the Dask rows are skipped
        dask = distributed = None
    import numpy
    import pyarrow
    import simpy

    cpu = "unknown"
    try:
        info = {}
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            k, _, v = line.partition(":")
            info.setdefault(k.strip(), v.strip())
        cpu = info.get("model name", "unknown")
        if "cpu family" in info:
            cpu += f" (family {info['cpu family']}, model {info.get('model', '?')}, {info.get('cache size', '?')} cache)"
        if "hypervisor" in info.get("flags", "").split():
            cpu += ", virtual machine"
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    h = hashlib.sha256()
    for f in sorted((TREE / "sim").rglob("*.py")):
        h.update(f.relative_to(TREE).as_posix().encode() + b"\0" + f.read_bytes())
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "uname": " ".join(platform.uname()), "cpu": cpu, "cpu_count": os.cpu_count(), "usable_cores": usable,
            "memory": mem, "python": platform.python_version(),
            "versions": {"simpy": simpy.__version__, "numpy": numpy.__version__, "pandas": pd.__version__,
                         "pyarrow": pyarrow.__version__, "dask": dask.__version__ if dask else "not installed",
                         "distributed": distributed.__version__ if distributed else "not installed"},
            "commit": commit, "sim_sha256": h.hexdigest()[:16], "snapshot": TREE != ROOT,
            "loadavg_start": os.getloadavg()}


# ---------------------------------------------------------------------------- report
def _pf(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**PASS**" if ok else "**FAIL**")


def _mmm(st: dict, fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(st['median'])} ({fmt.format(st['min'])}–{fmt.format(st['max'])})"


def _us_per_event(row: dict) -> float | None:
    ev = row.get("events")
    return row["us_per_call"]["median"] * row["calls"] / ev if ev and row["calls"] else None


def _pct(x: float) -> str:
    """A signed percentage with a true minus sign, like the prose."""
    return f"{x:+.1%}".replace("-", "−")


def _num(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def _per_event(row: dict) -> str:
    """'events per call | µs per event' cells (µs per event from the median µs per call)."""
    ev = row.get("events")
    if not ev or not row["calls"]:
        return "– | –"
    return f"{ev / row['calls']:.2f} | {row['us_per_call']['median'] * row['calls'] / ev:.2f}"


def _event_cost_sentence(rows: list[dict]) -> str:
    """What the µs per timed event did across the demand rows, from the data."""
    per = [(row["multiplier"], _us_per_event(row)) for row in rows]
    per = [(m, v) for m, v in per if v]
    if len(per) < 2:
        return ""
    lo, hi = min(v for _, v in per), max(v for _, v in per)
    return (f" The cost per timed event ranged {lo:.2f}–{hi:.2f} µs (×{per[-1][0]:g} ÷ ×{per[0][0]:g}: "
            f"{per[-1][1] / per[0][1]:.2f}); busier runs keep longer pending lists and event queues.")


def _ci(p: dict, shift: float = 0.0, pct: bool = False) -> str:
    ci = p.get("median_ci")
    if not ci:
        return "–"
    lo, hi = ci["low"] + shift, ci["high"] + shift
    return f"{_pct(lo)} to {_pct(hi)}" if pct else f"{lo:.2f}–{hi:.2f}"


def _caveat(p: dict, limit: float) -> str:
    """Said next to a verdict whose confidence interval straddles the limit."""
    ci = p.get("median_ci")
    return " (not conclusive: the limit lies inside the CI)" if ci and ci["low"] < limit < ci["high"] else ""


def targets(r: dict, quick: bool) -> list[dict]:
    y, m, sc, par = r["year"], r["memory"], r["scaling"], r["parallel"]
    pool = next(row for row in par["rows"] if row["config"].startswith("jobs ") and row["config"] != "jobs 1")
    full = not quick
    rows = [
        {"target": "full model / bare SimPy reference, µs per call", "limit": f"≤ {T_RATIO:.1f}×",
         "measured": f"{y['ratio']:.2f}× ({y['model']['us_per_call']['median']:.2f} / "
                     f"{y['reference']['simpy_process_per_customer']['wall_us']['median']:.2f} µs)",
         "ok": y["ratio"] <= T_RATIO},
        {"target": f"one {y['model']['days']:g}-day replication, wall (run_model + KPIs + profiles)",
         "limit": f"≤ {T_YEAR_S:.0f} s", "measured": f"{y['model']['replication_s']['median']:.2f} s",
         "ok": (y["model"]["replication_s"]["median"] <= T_YEAR_S) if full else None},
        {"target": f"peak memory, {m['days']:g} days, with event log (a)", "limit": f"≤ {T_MEM_EVENTS:.0f} MB",
         "measured": f"{m['with_events']['judged_mb']:.0f} MB",
         "ok": (m["with_events"]["judged_mb"] <= T_MEM_EVENTS) if full else None},
        {"target": f"peak memory, {m['days']:g} days, without event log (a)", "limit": f"≤ {T_MEM_PLAIN:.0f} MB",
         "measured": f"{m['without_events']['judged_mb']:.0f} MB",
         "ok": (m["without_events"]["judged_mb"] <= T_MEM_PLAIN) if full else None},
        {"target": f"{par['reps']} replications: 2 processes vs 1, speed-up (median of per-repeat ratios)",
         "limit": f"≥ {T_SPEEDUP:.1f}×",
         "measured": f"{par['speedup']:.2f}× (CI of the median {_ci(pool['speedup_paired'])}; "
                     f"ratio of medians {pool['speedup_of_medians']:.2f}×)",
         "ok": (par["speedup"] >= T_SPEEDUP) if full else None,
         "caveat": _caveat(pool["speedup_paired"], T_SPEEDUP) if full else ""},
        {"target": "Dask local vs process pool, wall (median of per-repeat ratios)", "limit": f"within {T_DASK:.0%}",
         "measured": "not installed" if par["dask_vs_pool"] is None else
                     f"{_pct(par['dask_vs_pool'])} (CI of the median {_ci(par['dask_vs_pool_paired'], -1, pct=True)}; "
                     f"ratio of medians {_pct(par['dask_vs_pool_of_medians'])})",
         "ok": (None if par["dask_vs_pool"] is None or quick else par["dask_vs_pool"] <= T_DASK),
         "caveat": "" if par["dask_vs_pool"] is None or quick else _caveat(par["dask_vs_pool_paired"], 1 + T_DASK)},
        {"target": "scaling by length: µs per call does not grow (largest ÷ shortest run's)",
         "limit": f"≤ {T_FLAT:.2f} (our reading of 'flat')",
         "measured": f"{sc['growth_days']:.2f}", "ok": (sc["growth_days"] <= T_FLAT) if full else None},
        {"target": "scaling by demand: µs per call does not grow (largest ÷ ×0.5's)",
         "limit": f"≤ {T_FLAT:.2f} (our reading of 'flat')",
         "measured": f"{sc['growth_demand']:.2f}", "ok": (sc["growth_demand"] <= T_FLAT) if full else None},
    ]
    cli = r["cli"]
    rows[2:2] = [
        {"target": f"`triage-sim run --days {cli['days']:g} --events` (event log and report), wall µs per call / "
                   "reference µs per customer (median of per-run ratios)",
         "limit": f"≤ {T_CLI_RATIO:.1f}×",
         "measured": f"{cli['ratio_pairs']['median']:.2f}× ({cli['wall_s']['median']:.1f} s for {cli['calls']:,} calls: "
                     f"{cli['us_per_call']['median']:.2f} / {cli['reference_us']['median']:.2f} µs)",
         "ok": (cli["ratio_pairs"]["median"] <= T_CLI_RATIO) if full else None},
        {"target": f"peak RSS of that process, measured from outside", "limit": f"≤ {T_CLI_RSS_MB:.0f} MB",
         "measured": f"{cli['rss_mb']['median']:.0f} MB (max {cli['rss_mb']['max']:.0f})",
         "ok": (cli["rss_mb"]["max"] <= T_CLI_RSS_MB) if full else None},
        {"target": "default `triage-sim run`, process start to report written", "limit": f"≤ {T_DEFAULT_RUN_S:.0f} s",
         "measured": f"{cli['default_run_s']['median']:.2f} s ({cli['default_run_s']['min']:.2f}–"
                     f"{cli['default_run_s']['max']:.2f})",
         "ok": cli["default_run_s"]["median"] <= T_DEFAULT_RUN_S},
        {"target": "`make test` (the everyday suite), wall", "limit": f"≤ {T_TESTS_S / 60:.0f} min",
         "measured": "not run (--skip-tests)" if cli["tests_s"] is None else
                     f"{cli['tests_s']:.0f} s ({cli['tests_line']})",
         "ok": None if cli["tests_s"] is None else (cli["tests_ok"] and cli["tests_s"] <= T_TESTS_S)},
    ]
    return rows


def render(r: dict, quick: bool) -> str:
    e, y, m, sc, par = r["env"], r["year"], r["memory"], r["scaling"], r["parallel"]
    L = []
    add = L.append
    add("# Performance results" + (" (QUICK smoke run: reduced sizes, targets not judged)" if quick else ""))
    add("")
    add(f"Written by `python benchmarks/harness.py{' --quick' if quick else ''}` in {r['total_s']:.0f} s. "
        "Medians over repeats, (min–max) in brackets. See `benchmarks/README.md` for definitions.")
    add("")
    add("| | |")
    add("|---|---|")
    add(f"| date | {e['date']} |")
    add(f"| machine | `{e['uname']}` |")
    add(f"| CPU | {e['cpu']}; `os.cpu_count()` = {e['cpu_count']}, usable cores = {e['usable_cores']} |")
    add(f"| memory | {e['memory']} |")
    add(f"| Python | {e['python']} |")
    add("| versions | " + ", ".join(f"{k} {v}" for k, v in e["versions"].items()) + " |")
    add(f"| code | git HEAD `{e['commit']}`; working tree's `sim/` "
        + ("copied at start and measured from the copy" if e["snapshot"] else "measured in place")
        + f", sha256 of its `*.py`: `{e['sim_sha256']}` |")
    bg = {k: r[k]["load"]["background_cores"] for k in ("year", "memory", "scaling", "parallel", "cli")}
    add("| other load | CPU used by *other* processes during each section, in cores (0 = quiet): "
        + ", ".join(f"{k} {v:.2f}" for k, v in bg.items()) + f"; 1-min load average at start {e['loadavg_start'][0]:.2f} |")
    add("| machine speed | reference µs per customer (process per customer, 20k customers) before / after each "
        "section: " + ", ".join(f"{k} {r[k]['probe_us'][0]:.1f} / {r[k]['probe_us'][1]:.1f}" for k in bg)
        + " (lower = faster; this VM's speed drifts with load on its host) |")
    add("")
    if max(bg.values()) > 0.25:
        add(f"> **Warning:** other processes kept up to {max(bg.values()):.1f} cores busy during this run "
            f"(this machine has {e['usable_cores']}): wall times are inflated and the parallel speed-up is "
            "understated. Rerun on a quiet machine before comparing with earlier results.")
        add("")
    add("## Targets")
    add("")
    add("| target | limit | measured | result |")
    add("|---|---|---|---|")
    for t in r["targets"]:
        add(f"| {t['target']} | {t['limit']} | {t['measured']} | {_pf(t['ok'])}{t.get('caveat', '')} |")
    add("")
    add("Memory targets are judged on **(a)**: the replication's own peak allocations (tracemalloc "
        "peak, which includes numpy/pandas buffers, plus the Arrow memory pool's peak when Parquet is written, "
        "which tracemalloc cannot see), measured in a fresh process with tracemalloc started after the imports. "
        "The process's peak RSS (b) is shown below for transparency: it also holds the interpreter and the "
        "imports of numpy, pandas and pyarrow (~120 MB here before the model allocates anything), which are not the model's.")
    add("")
    mm = y["model"]
    add(f"## 1. Default scenario, one replication: {mm['days']:g} days + 3-day warm-up")
    add("")
    add(f"`run_model(scenario, seed=2016, replication=0)`, {y['model']['wall_s']['n']} runs, interleaved with the reference. "
        f"{mm['calls']:,} calls.")
    add("")
    add("| measure | median (min–max) |")
    add("|---|---|")
    add(f"| `run_model` wall, s | {_mmm(mm['wall_s'])} |")
    add(f"| `run_model` CPU (process time), s | {_mmm(mm['cpu_s'])} |")
    add(f"| `compute_kpis` + `compute_profiles` wall, s | {_mmm(mm['kpi_s'])} |")
    add(f"| replication wall (run_model + KPIs + profiles), s | {_mmm(mm['replication_s'])} |")
    add(f"| calls simulated per second | {_mmm(mm['calls_per_s'], '{:,.0f}')} |")
    add(f"| µs per call (wall) | {_mmm(mm['us_per_call'])} |")
    add(f"| µs per call (CPU) | {_mmm(mm['cpu_us_per_call'])} |")
    add("")
    add(f"### Peak memory, {m['days']:g} days (each number from its own fresh subprocess)")
    add("")
    add("| configuration | (a) tracemalloc peak, MB | Arrow pool peak, MB | **(a) judged**, MB | target | "
        "(b) RSS after imports, MB | (b) peak RSS, MB | (b) peak − after imports, MB | Parquet written, MB |")
    add("|---|---|---|---|---|---|---|---|---|")
    for key, label, lim in (("without_events", "run_model + KPIs + profiles", T_MEM_PLAIN),
                            ("with_events", "… + `log.write_parquet` (event log)", T_MEM_EVENTS)):
        c = m[key]
        pq = c["plain"].get("parquet_bytes")
        add(f"| {label} | {c['traced']['tracemalloc_peak_mb']:.1f} | {c['traced']['arrow_pool_peak_mb']:.1f} | "
            f"**{c['judged_mb']:.1f}** | ≤ {lim:.0f} | {c['plain']['rss_after_imports_mb']:.0f} | "
            f"{c['plain']['maxrss_mb']:.0f} | {c['rss_increase_mb']:.0f} | {'' if pq is None else f'{pq / 2**20:.1f}'} |")
    add("")
    add("## 2. Bare SimPy reference (same process, interleaved)")
    add("")
    rs = y["reference_size"]
    add(f"M/M/{rs['ref_c']}, two non-preemptive priority classes, rho = {rs['ref_rho']}, {rs['ref_n']:,} customers, "
        f"seed 1; simulation only (random numbers drawn before the clock starts). The three variants give "
        f"identical waits (asserted).")
    add("")
    add("| variant | µs per customer, wall | µs per customer, CPU | vs process-per-customer |")
    add("|---|---|---|---|")
    ppc = y["reference"]["simpy_process_per_customer"]["wall_us"]["median"]
    for name, v in y["reference"].items():
        add(f"| `{name}` | {_mmm(v['wall_us'])} | {_mmm(v['cpu_us'])} | {v['wall_us']['median'] / ppc:.2f} |")
    add(f"| **full model** (µs per call, section 1) | {_mmm(mm['us_per_call'])} | {_mmm(mm['cpu_us_per_call'])} | "
        f"**{y['ratio']:.2f}** (CPU: {y['ratio_cpu']:.2f}) |")
    add("")
    add("The full model's time per call covers drawing the callers, the simulation and building the "
        "event log; a call generates ~4.6 timed events (arrival, answer/grade, handled, dispatch, travel, "
        "scene, admin, ...), a reference customer 2 plus a process.")
    add("")
    add("## 3. Scaling (µs per call, wall, `run_model`)")
    add("")
    add("| days (+3 warm-up) | calls | µs per call | relative to the shortest | events per call | µs per event |")
    add("|---|---|---|---|---|---|")
    base = sc["days"][0]["us_per_call"]["median"]
    for row in sc["days"]:
        note = " (section 1)" if row.get("from_section_1") else ""
        add(f"| {row['days']:g}{note} | {row['calls']:,} | {_mmm(row['us_per_call'])} | "
            f"{row['us_per_call']['median'] / base:.2f} | {_per_event(row)} |")
    add("")
    add(f"Demand multiplier (`demand.multiplier`), {sc['demand_days']:g} days + 3 warm-up. At ×2 and ×4 the force is "
        "heavily overloaded (long pending lists, thousands of resource downgrades, units ~80% busy). µs per call "
        "*falls* as demand rises because a call does less: response work (dispatch, travel, scene, admin) is "
        "capped by the number of units, and more callers abandon."
        + _event_cost_sentence(sc["demand"]))
    add("")
    add("| demand | calls | µs per call | relative to ×0.5 | events per call | µs per event | KPIs + profiles, s | "
        "max pending | resource downgrades | G1 in target | unit utilisation |")
    add("|---|---|---|---|---|---|---|---|---|---|---|")
    one = sc["demand"][0]["us_per_call"]["median"]
    for row in sc["demand"]:
        add(f"| ×{row['multiplier']:g} | {row['calls']:,} | {_mmm(row['us_per_call'])} | "
            f"{row['us_per_call']['median'] / one:.2f} | {_per_event(row)} | {row['kpi_s']['median']:.2f} | {row['max_pending']:.0f} | "
            f"{row['resource_downgrades']:.0f} | {row['g1_in_target']:.1%} | {row['unit_utilisation']:.1%} |")
    add("")
    add(f"## 4. Parallel: {par['reps']} replications of {par['days']:g} days (`run_experiment`)")
    add("")
    add(f"`os.cpu_count()` = {par['cpu_count']}. {par.get('repeats', '?')} repeats; in each, every executor runs "
        "once, one after the other, forwards in even repeats and backwards in odd ones. Wall time includes "
        "starting and stopping the pool / cluster. `result.replications` identical for every executor "
        "(asserted, exact). The last row is a diagnostic, not judged: Dask on a cluster started (with the same "
        "settings, and warmed up) before the clock starts, i.e. Dask without its start-up.")
    add("")
    add("**Speed-up is judged per repeat**: the median over repeats of (jobs 1 wall ÷ this executor's wall) "
        "in the same repeat, a few seconds apart, so slow drifts of the VM's speed (see the speed probe above) "
        "largely cancel in each ratio. Shown with it: the range over repeats, a distribution-free confidence "
        "interval for the median (order statistics; its coverage in brackets), the medians of the forward and "
        "of the backward repeats (an order effect shows as a gap between them), and the ratio of the median "
        "walls. This estimator replaced the ratio of medians on 2026-11-26 (`c12db69`) after runs judged on "
        "the ratio of medians had given 1.62–1.92×; both are shown so that neither is chosen after the fact.")
    add("")
    add("| executor | workers | wall, s | speed-up: median of per-repeat ratios | range | CI of the median | "
        "forward / backward repeats | ratio of medians | efficiency | sum of replication times, s | overhead, s |")
    add("|---|---|---|---|---|---|---|---|---|---|---|")

    def ci_txt(p: dict) -> str:
        ci = p.get("median_ci")
        return f"{ci['low']:.2f}–{ci['high']:.2f} ({ci['coverage']:.1%})" if ci else "–"

    for row in par["rows"]:
        sp = row["speedup_paired"]
        serial = row["config"] == "jobs 1"
        cells = (["1", "–", "–", "–", "1"] if serial else
                 [f"{row['speedup']:.2f}×", f"{sp['min']:.2f}–{sp['max']:.2f}", ci_txt(sp),
                  f"{sp['forwards']:.2f} / {_num(sp['backwards'], '.2f')}", f"{row['speedup_of_medians']:.2f}×"])
        add(f"| {row['config']} | {row['workers']} | {_mmm(row['wall_s'])} | {' | '.join(cells)} | "
            f"{row['efficiency']:.0%} | {row['sum_replication_s']:.2f} | {row['overhead_s']:.2f} |")
    add("")
    if par.get("dask_vs_pool_paired"):
        dp = par["dask_vs_pool_paired"]
        ci = dp.get("median_ci")
        add(f"Dask local vs the pool: median of per-repeat (Dask wall ÷ pool wall) − 1 = {_pct(par['dask_vs_pool'])} "
            f"(range {_pct(dp['min'] - 1)} to {_pct(dp['max'] - 1)}"
            + (f"; CI of the median {_pct(ci['low'] - 1)} to {_pct(ci['high'] - 1)} ({ci['coverage']:.1%})" if ci else "")
            + f"; forward / backward repeats {_pct(dp['forwards'] - 1)} / "
            + (_pct(dp['backwards'] - 1) if dp['backwards'] is not None else "–")
            + f"); ratio of medians − 1 = {_pct(par['dask_vs_pool_of_medians'])}.")
        add("")
    add("*Overhead* = median wall − (median sum of the replications' own times ÷ workers): pool or cluster "
        "start-up, pickling, and idle workers at the end. Replications take longer each when two run at once, "
        "which shows as a larger sum of replication times. *Efficiency* = the judged speed-up ÷ workers.")
    add("")
    ref = par.get("reference")
    if ref:
        mv, rs = ref["model_vs_reference"], ref["speedup_paired"]
        add(f"**Same-run comparison: a plain simulation (diagnostic, not judged).** The same measurement for "
            f"{ref['runs']} runs of the bare SimPy reference ({ref['n']:,} customers each), by the same process "
            f"pool, in each repeat: 1 process {_mmm(ref['serial_s'])} s, 2 processes {_mmm(ref['pool_s'])} s; "
            f"speed-up, median of per-repeat ratios, {ref['speedup']:.2f}× (range {rs['min']:.2f}–{rs['max']:.2f}; "
            f"CI of the median {ci_txt(rs)}). Ours ÷ the reference's speed-up, repeat by repeat: median "
            f"{mv['median']:.2f} (range {mv['min']:.2f}–{mv['max']:.2f}; CI of the median {ci_txt(mv)}). "
            "The reference has no results to return and nothing to summarise, so this is roughly what any "
            "pure-Python simulation gets from a second process on this machine at that time; a value well "
            "under 2 here means the two vCPUs were slowing each other down. Ratios above 2 (more than two "
            "workers could give) mean the machine's speed changed between the two runs of a repeat.")
        add("")
    cli = r["cli"]
    add(f"## 5. The command line, as a user runs it (fresh processes)")
    add("")
    add(f"`triage-sim run --days {cli['days']:g} --events --quiet` (the default scenario's one replication, its event "
        f"log as Parquet, the KPIs, figures, report.html and report.pdf), {cli['wall_s']['n']} runs, each between two "
        f"timings of the reference in the harness's process; its RSS and its helpers' sampled every 20 ms from /proc.")
    add("")
    add("| measure | median (min–max) |")
    add("|---|---|")
    add(f"| wall, process start to report written, s | {_mmm(cli['wall_s'])} |")
    add(f"| µs per call ({cli['calls']:,} calls) | {_mmm(cli['us_per_call'])} |")
    add(f"| reference µs per customer, around the runs | {_mmm(cli['reference_us'])} |")
    add(f"| ratio, run by run | {_mmm(cli['ratio_pairs'])} |")
    add(f"| peak RSS of the run's process, MB | {_mmm(cli['rss_mb'], '{:.0f}')} |")
    add(f"| peak RSS of its helper processes (forked: their pages mostly shared), MB | "
        + "; ".join(", ".join(str(m) for m in h) or "none" for h in cli["helpers_mb"]) + " |")
    add(f"| default `triage-sim run` (28 days + 3 warm-up), process start to report written, s | "
        f"{_mmm(cli['default_run_s'])} |")
    if cli["tests_s"] is not None:
        add(f"| `make test`, s | {cli['tests_s']:.0f} ({cli['tests_line']}) |")
    add("")
    return "\n".join(L)


# ---------------------------------------------------------------------------- main
def wait_quiet(limit_s: float, window_s: float = 10.0, threshold: float = 0.3) -> None:
    deadline = time.perf_counter() + limit_s
    while True:
        load = Load()
        time.sleep(window_s)
        bg = load.stop()["background_cores"]
        if bg < threshold:
            log(f"machine quiet ({bg:.2f} cores used by others over {window_s:g} s)")
            return
        if time.perf_counter() > deadline:
            log(f"still busy ({bg:.2f} cores used by others); measuring anyway")
            return
        log(f"waiting for a quiet machine ({bg:.2f} cores used by others)")



def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fast smoke run: small sizes, one or two repeats")
    p.add_argument("--out", type=Path, default=None,
                   help="markdown file (default benchmarks/results.md; with --quick, nothing is written "
                        "unless --out is given); the raw numbers go to the same name with .json")
    p.add_argument("--skip-tests", action="store_true", help="do not time `make test` (section 5)")
    p.add_argument("--no-snapshot", action="store_true",
                   help="measure sim/ in place instead of a copy taken at start")
    p.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                   help="before each section, wait (up to SECONDS) until other processes use < 0.3 cores "
                        "for 10 s (for a machine shared with other work)")
    a = p.parse_args(argv)
    size = QUICK if a.quick else FULL

    def quiet() -> None:
        if a.wait_quiet > 0:
            wait_quiet(a.wait_quiet)

    out = a.out or (None if a.quick else HERE / "results.md")
    t0 = time.perf_counter()
    r = {"quick": a.quick, "sizes": size, "env": environment()}
    log(f"{'quick' if a.quick else 'full'} run; writing {out or 'nothing (print only)'}")
    sections = (("year", lambda: section_year_and_reference(size)), ("memory", lambda: section_memory(size)),
                ("scaling", lambda: section_scaling(size, r["year"])), ("parallel", lambda: section_parallel(size)),
                ("cli", lambda: section_cli(size, r["year"], not (a.skip_tests or a.quick))))
    for name, run in sections:
        quiet()
        before = speed_probe()
        r[name] = run()
        r[name]["probe_us"] = [before, speed_probe()]
    r["targets"] = targets(r, a.quick)
    r["total_s"] = time.perf_counter() - t0
    text = render(r, a.quick)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        out.with_suffix(".json").write_text(json.dumps(r, indent=1, default=str) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
