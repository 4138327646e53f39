"""The default model against the bare SimPy reference, interleaved in one process: µs per call
over µs per customer, run by run (issue 27's "≤ 1.0×" check, quicker than the harness).

    python benchmarks/engine_ratio.py [--days 91] [--repeats 5] [--ref-n 100000]

Each repeat times ``run_model`` of the default scenario (seed 2016, replication 0; drawing the
callers, the simulation and the event log's frames, as the harness does) and then the reference
(``simpy_process_per_customer``, M/M/20, rho 0.85, as the harness's year section). The ratio of each
pair is printed, then the median of the ratios and the ratio of the medians, wall and CPU. The
machine is shared and drifts; a pair's ratio is what to read.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import reference  # noqa: E402
from sim.model.core import run_model  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

DEFAULT = HERE.parent / "scenarios" / "nottinghamshire-2016.toml"


def model_once(s) -> tuple[int, float, float]:
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    log = run_model(s, 2016, 0)
    t1, c1 = time.perf_counter(), time.process_time()
    return len(log.calls), t1 - t0, c1 - c0


def reference_once(n: int) -> tuple[float, float]:
    gc.collect()
    r = reference.simpy_process_per_customer(n, 20, 0.85, 1)
    return r["wall_s"], r["cpu_s"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=float, default=91)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--ref-n", type=int, default=100_000)
    a = p.parse_args()
    s = load_scenario(DEFAULT, [f"run.days={a.days:g}"])
    run_model(load_scenario(DEFAULT, ["run.days=2"]), 2016, 0)   # warm-up, both sides
    reference.simpy_process_per_customer(2_000, 20, 0.85, 1)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
    print(f"commit {head}, load average {os.getloadavg()[0]:.2f}, {a.days:g} days, reference {a.ref_n:,} customers")
    rw, rc, mw, mc = [], [], [], []
    for i in range(a.repeats):
        wall, cpu = reference_once(a.ref_n)
        rw.append(wall / a.ref_n * 1e6)
        rc.append(cpu / a.ref_n * 1e6)
        calls, wall, cpu = model_once(s)
        mw.append(wall / calls * 1e6)
        mc.append(cpu / calls * 1e6)
        print(f"  {i + 1}: model {mw[-1]:.2f} µs/call ({calls:,} calls), reference {rw[-1]:.2f} µs/customer, "
              f"ratio {mw[-1] / rw[-1]:.3f} (CPU {mc[-1] / rc[-1]:.3f})", flush=True)
    ratios = [m / r for m, r in zip(mw, rw)]
    cratios = [m / r for m, r in zip(mc, rc)]
    med = statistics.median
    print(f"model {med(mw):.2f} µs/call, reference {med(rw):.2f} µs/customer; ratio: median of pairs "
          f"{med(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f}), of medians {med(mw) / med(rw):.3f}; "
          f"CPU: median of pairs {med(cratios):.3f}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
