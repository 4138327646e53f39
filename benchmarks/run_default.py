"""Calls simulated per second for the default scenario (one replication, no event log written).

    python benchmarks/run_default.py [--days 28] [--warmup-days 3] [--repeats 3]

A quick look at one number; the full measurement (the year, memory, the bare SimPy
reference, scaling and parallel runs) is ``python benchmarks/harness.py``, which times
replications with the same function (``harness.time_model``). Prints the median wall
time of ``run_model`` over the repeats (min-max in brackets), calls per second, µs per
call, and the KPI + profile time separately. Timings are noisy on a shared 2-core
machine: compare medians from one run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import DEFAULT, time_model  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=float, default=28)
    p.add_argument("--warmup-days", type=float, default=3)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    s = load_scenario(DEFAULT, [f"run.days={args.days:g}", f"run.warmup_days={args.warmup_days:g}"])
    time_model(load_scenario(DEFAULT, ["run.days=2"]))  # warm-up
    runs = [time_model(s) for _ in range(args.repeats)]
    calls = runs[0]["calls"]
    walls = [r["wall_s"] for r in runs]
    wall = statistics.median(walls)
    kpi = statistics.median(r["kpi_s"] for r in runs)
    print(f"default scenario, {args.days:g} days + {args.warmup_days:g} warm-up: {calls:,} calls, "
          f"median {wall:.2f} s ({min(walls):.2f}-{max(walls):.2f}) over {args.repeats} runs -> "
          f"{calls / wall:,.0f} calls/s, {wall / calls * 1e6:.1f} us/call; KPIs + profiles {kpi:.2f} s")


if __name__ == "__main__":
    main()
