"""Peak resident memory of a force-year from the command line, measured from outside as a user's
machine sees it: ``triage-sim run --days 365 --events`` (the default scenario, its one
replication, the event log and the report) in a fresh process, its RSS and that of every process
it starts sampled every 20 ms from /proc. Target: the run's own process at most 300 MB (issue 27).

    python benchmarks/rss_year.py [--days 365] [--repeats 5] [--write benchmarks/rss_year.md]

Reports the peak of the run's process (what ``/usr/bin/time -f %M`` shows), the peak of each
helper process (figure drawers: forked, so they share most of their pages with the parent and
their RSS over-counts), and the machine's load. Linux only (/proc).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 300


def _rss_mb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _descendants(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out += [int(child)] + _descendants(int(child))
    except OSError:
        pass
    return out


def measure(days: float, root: Path = ROOT) -> dict:
    """One run in a fresh process (``python -m sim`` from ``root``: the tree measured)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sim", "run", "--days", f"{days:g}", "--events", "--quiet",
               "--out", str(Path(tmp) / "year")]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=root)
        main_peak, helpers = 0, {}
        while proc.poll() is None:
            main_peak = max(main_peak, _rss_mb(proc.pid) or 0)
            for child in _descendants(proc.pid):
                helpers[child] = max(helpers.get(child, 0), _rss_mb(child) or 0)
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        if proc.returncode:
            raise SystemExit(f"the run failed (exit status {proc.returncode})")
    return {"main_mb": main_peak, "helpers_mb": sorted(helpers.values(), reverse=True), "wall_s": wall}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=365)
    ap.add_argument("--repeats", type=int, default=5, help="fresh runs (the peak varies by some 10%% run to run)")
    ap.add_argument("--write", help="write the result as Markdown to this file")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    runs = [measure(args.days) for _ in range(args.repeats)]
    r = max(runs, key=lambda x: x["main_mb"])   # judged on the worst run
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    verdict = "meets" if r["main_mb"] <= TARGET_MB else "misses"
    every = ", ".join(f"{x['main_mb']} MB" for x in runs)
    text = (f"# Peak memory of a force-year from the command line\n\n"
            f"`triage-sim run --days {args.days:g} --events` (default scenario), commit {commit}, "
            f"{platform.machine()} with {os.cpu_count()} cores, load average {load:.2f} at the start.\n\n"
            f"| measure | value |\n|---|---:|\n"
            f"| peak RSS of the run's process, the largest of {len(runs)} runs | {r['main_mb']} MB ({verdict} the "
            f"{TARGET_MB} MB target) |\n"
            f"| every run | {every} |\n"
            f"| peak RSS of each helper process | {', '.join(f'{m} MB' for m in r['helpers_mb']) or 'none'} |\n"
            f"| wall time | {r['wall_s']:.1f} s |\n")
    print(text)
    if args.write:
        Path(args.write).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
