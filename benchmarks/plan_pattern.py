"""Wall time of the default's pattern search, frontier included (issue 24's target: 20 minutes
on 2 cores), with the time of each stage read from the plan's progress lines.

    python benchmarks/plan_pattern.py [--frontier] [--jobs 2] [--dask ADDRESS] [--scenario FILE]
                                      [--set demand.multiplier=2] [--out DIR] [--json FILE]
                                      [-- --search-reps 5 --reps 5]

Runs ``triage-sim plan --pattern`` (or ``--frontier``) in a subprocess on the default scenario
(or FILE, with ``--set`` overrides written to a scenario beside it), prints the wall time, the
seconds each stage began at, the template optimum's and the pattern's officer-hours and whether
each meets, and appends the numbers as one JSON line to ``--json`` (default
``benchmarks/plan_pattern.jsonl``). Never part of the test suite: one run takes minutes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "nottinghamshire-2016.toml"
STAGES = ("stage 1/3", "stage 2/3", "stage 3/3", "pattern 1/3", "pattern 2/3", "pattern 3/3", "frontier:")


def _scenario(path: Path, sets: list[str], folder: Path) -> Path:
    """The scenario with ``--set`` overrides, as a file (the planner reads a file)."""
    if not sets:
        return path
    sys.path.insert(0, str(ROOT))
    from sim.scenario import load_scenario
    from sim.scenario.writing import toml_text
    s = load_scenario(path, sets)
    out = folder / f"{s.meta.name}-{'-'.join(re.sub(r'[^0-9A-Za-z.]+', '_', x) for x in sets)}.toml"
    out.write_text(toml_text(s.to_dict(), header=f"{path} with {' '.join(sets)}"))
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", type=Path, default=DEFAULT)
    p.add_argument("--set", action="append", default=[], dest="sets")
    p.add_argument("--frontier", action="store_true")
    p.add_argument("--jobs", default="2")
    p.add_argument("--dask")
    p.add_argument("--out", type=Path)
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "plan_pattern.jsonl")
    p.add_argument("plan_args", nargs=argparse.REMAINDER, help="after --: more options for triage-sim plan")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="plan-pattern-"))
    scenario = _scenario(args.scenario, args.sets, work)
    out = args.out or work / "plan"
    cmd = [sys.executable, "-m", "sim", "plan", str(scenario), "--out", str(out),
           "--frontier" if args.frontier else "--pattern", "--jobs", args.jobs]
    if args.dask:
        cmd += ["--dask", args.dask]
    cmd += [a for a in args.plan_args if a != "--"]
    print(" ".join(cmd), file=sys.stderr)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    began: dict[str, float] = {}
    lines = []
    for line in proc.stdout:
        sys.stderr.write(line)
        lines.append(line)
        for stage in STAGES:
            if stage in line and stage not in began:
                began[stage] = round(time.perf_counter() - t0, 1)
    rc = proc.wait()
    wall = time.perf_counter() - t0
    manifest = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else {}
    row = {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "scenario": str(scenario),
           "sets": args.sets, "plan_args": args.plan_args, "frontier": args.frontier, "jobs": args.jobs, "cpus": os.cpu_count(),
           "load_1min": os.getloadavg()[0], "exit": rc, "wall_s": round(wall, 1), "stages_began_s": began,
           "template_officer_hours": manifest.get("officer_hours_proposed"), "template_meets": manifest.get("meets"),
           "pattern_officer_hours": manifest.get("pattern_officer_hours"),
           "pattern_people": manifest.get("pattern_people"), "pattern_meets": manifest.get("pattern_meets"),
           "simulations": manifest.get("simulations"), "out": str(out)}
    print(json.dumps(row, indent=2))
    with open(args.json, "a") as fh:
        fh.write(json.dumps(row) + "\n")
    verdict = (f"FAILED (exit {rc}): no verdict" if rc != 0 else
               f"{'within' if wall <= 1200 else 'OVER'} the 20-minute target")
    print(f"wall {wall / 60:.1f} min ({verdict})")
    return rc


if __name__ == "__main__":
    sys.exit(main())
