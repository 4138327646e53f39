"""``triage-sim warmup``: a warm-up length suggested by Welch's method (running means of a few
series over replications started empty), with the figure that shows where they settle.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from sim import __version__
from sim.cli.common import (DEFAULT_SCENARIO, add_execution, add_overrides, check_out, command_line, default_run_dir,
                            load)
from sim.cli.experiments import guard
from sim.scenario import ScenarioError
from sim.util.cells import write_csv
from sim.util.errors import FolderError
from sim.util.lazy import LazyModule

experiment = LazyModule("sim.experiment.replications")


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``warmup`` to the ``triage-sim`` command line."""
    wu = subparsers.add_parser("warmup", help="suggest a warm-up length with Welch's method (plots the running means)")
    wu.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    add_overrides(wu)
    add_execution(wu, 5, least_reps=2, why="Welch's method averages the replications' daily series")
    wu.set_defaults(func=cmd_warmup)
    return wu


def cmd_warmup(args) -> int:
    from sim.experiment import warmup
    from sim.experiment.folders import json_text
    from sim.util.executors import make_executor
    from sim.report.figures.warmup import plot_warmup
    from sim.util.files import atomic_folder, atomic_path, atomic_write

    path, scenario = load(args)
    scenario = experiment.with_overrides(scenario, ["run.warmup_days=0"])
    if scenario.run.days < warmup.MIN_DAYS:
        raise ScenarioError("warmup", "--days", scenario.run.days,
                            f"at least {warmup.MIN_DAYS} days (Welch's moving average looks {warmup.WINDOW} days "
                            "each side of a day)")
    guard(args, [scenario], args.reps)
    out = check_out(Path(args.out) if args.out else default_run_dir(Path("results"), f"warmup-{scenario.meta.name}"))
    if out.exists():
        raise FolderError(f"{out}: already exists; results are never overwritten")
    executor = make_executor(1 if args.reps == 1 else args.jobs, args.dask)
    try:
        tasks = [(scenario, scenario.run.seed, r) for r in range(args.reps)]
        series = list(executor.run(warmup.replication_series, tasks))
    finally:
        executor.close()
    table, suggestions = warmup.analyse(series)
    chosen = max(suggestions.values())
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_folder(out) as tmp:   # all three files or none: a failed write leaves no half folder
        with atomic_path(tmp / "warmup.png") as png, open(png, "wb") as fh:   # a failed write names its file
            plot_warmup(table, suggestions, chosen, fh,
                        f"{scenario.meta.name}: Welch's method over {args.reps} replications")
        atomic_write(tmp / "warmup.csv", write_csv(table))
        atomic_write(tmp / "manifest.json", json_text({
            "version": __version__, "scenario": scenario.meta.name, "seed": scenario.run.seed,
            "replications": args.reps, "days": scenario.run.days, "suggested_warmup_days": chosen,
            "by_series": suggestions, "command": command_line()}, indent=2) + "\n")
    if not args.quiet:
        for name, d in suggestions.items():
            print(f"  {name:18s} settles after {d} days  ({warmup.SERIES[name]})")
        print(f"suggested warm-up: {chosen} days (use --warmup-days {chosen}); figure: {out / 'warmup.png'}")
    return 0
