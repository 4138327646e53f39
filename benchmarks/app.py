"""Workshop app timings (issue 12's targets): a What-if of 7 days x 5 replications (both
arms: 10 replication runs) within 10 s on 2 cores, and a play decision step within 0.5 s.

    python benchmarks/app.py [--repeats 3] [--jobs 1]

Times the app's own functions (sim.app.whatif.run, sim.app.play.Game.decide), without the
browser: Streamlit's page redraw adds ~0.1-0.3 s on top (see the README). Seed 2016
(the default scenario's), replications 0-4.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.app import play, whatif  # noqa: E402
from sim.model.policies import CHOICES  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--jobs", type=int, default=1, help="processes for the What-if's replications (the app's default: 1)")
    args = p.parse_args()
    base = whatif.base_scenario()
    print("What-if, 7 days x 5 replications, both arms (target <= 10 s):")
    for name in whatif.PRESETS:
        walls = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            whatif.run(whatif.preset(name, days=7, reps=5), base, jobs=args.jobs)
            walls.append(time.perf_counter() - t0)
        print(f"  {name:32s} median {statistics.median(walls):5.2f} s (min {min(walls):.2f}, max {max(walls):.2f})")
    print("Play the controller, Friday 18:00-22:00 (target: a decision step <= 0.5 s):")
    for rep in range(args.repeats):
        t0 = time.perf_counter()
        g = play.Game(base, play.Shift(replication=rep))
        start = time.perf_counter() - t0
        steps = []
        while not g.over:
            t = time.perf_counter()
            g.decide(CHOICES[len(g.decisions) % len(CHOICES)])
            steps.append(time.perf_counter() - t)
        t = time.perf_counter()
        g.debrief()
        deb = time.perf_counter() - t
        print(f"  replication {rep}: start {start:.2f} s, {len(steps)} decisions, step median "
              f"{statistics.median(steps) * 1000:.1f} ms, max {max(steps) * 1000:.1f} ms; debrief (two more runs) "
              f"{deb:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
