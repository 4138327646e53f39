"""Calls simulated per second for the default scenario (one replication, no event log written).

    python benchmarks/run_default.py [--days 28] [--repeats 3]

Prints the median wall time over the repeats and the calls simulated per second.
Timings are noisy on a shared 2-core machine: compare medians from one run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.model.core import run_model  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "nottinghamshire-2016.toml"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=float, default=28)
    p.add_argument("--warmup-days", type=float, default=3)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    s = load_scenario(DEFAULT, [f"run.days={args.days}", f"run.warmup_days={args.warmup_days}"])
    walls, calls = [], 0
    for r in range(args.repeats):
        t0 = time.perf_counter()
        log = run_model(s, replication=r)
        walls.append(time.perf_counter() - t0)
        calls = len(log.calls)
    wall = statistics.median(walls)
    print(f"default scenario, {args.days:g} days + {args.warmup_days:g} warm-up: {calls:,} calls, "
          f"median {wall:.2f} s over {args.repeats} runs -> {calls / wall:,.0f} calls/s, {wall / calls * 1e6:.1f} us/call")


if __name__ == "__main__":
    main()
