"""``triage-sim run``: one scenario, a fixed number of replications or as many as a precision
target needs (``--precision H --kpi NAME``), and ``--resume`` of any interrupted run, compare
or sweep (the plan saved in its folder says which).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import (DEFAULT_SCENARIO, add_drawing, add_execution, add_overrides, command_line, load,
                            out_folder, replications, share_above_zero, whole)
from sim.cli.experiments import finish, guard, with_drawer, write_report
from sim.cli.printout import print_compare, print_run, print_sweep
from sim.scenario import ScenarioError, layer_files
from sim.util.bounds import MAX_FIRST_REP
from sim.util.errors import FolderError
from sim.util.lazy import LazyModule

experiment = LazyModule("sim.experiment.replications")
summary = LazyModule("sim.experiment.summary")

MAX_REPS_DEFAULT = 100
RUN_DEFAULTS = {"reps": 1, "first_rep": 0}
_RESUME_ONLY = ("jobs", "dask", "quiet", "resume", "figures", "title")


def _event_formats(text: str):
    """--events [parquet|csv|parquet,csv]: True stands for Parquet alone (as before CSV existed)."""
    out = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    if not out or any(f not in ("parquet", "csv") for f in out):
        raise argparse.ArgumentTypeError(f"expected parquet, csv or parquet,csv, got {text!r} "
                                         "(a scenario file goes before --events)")
    return True if out == ("parquet",) else ",".join(out)


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``run`` to the ``triage-sim`` command line."""
    run = subparsers.add_parser("run", help="run a scenario (one or more replications) and write a results folder")
    run.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    add_overrides(run)
    add_execution(run, 1)
    add_drawing(run)
    run.add_argument("--events", nargs="?", const=True, default=False, type=_event_formats, metavar="FORMAT",
                     help="also write the event log (calls, grade_changes, unit_shifts, rosters; per replication "
                          "under events/) as parquet (the default), csv, or parquet,csv")
    run.add_argument("--precision", type=share_above_zero, metavar="H",
                     help="add replications until the 95%% CI half-width of each --kpi is within H x its mean")
    run.add_argument("--kpi", action="append", metavar="NAME", help="KPI the precision target applies to (repeatable)")
    run.add_argument("--max-reps", type=replications(), default=None,
                     help=f"cap on replications with --precision (default {MAX_REPS_DEFAULT}, or --reps if more)")
    run.add_argument("--first-rep", type=whole(0, MAX_FIRST_REP), default=0,
                     help="number of the first replication (to rerun one alone)")
    run.add_argument("--resume", metavar="DIR", help="finish an interrupted run in DIR (same final files)")
    run.set_defaults(func=with_drawer(cmd_run))
    return run


def cmd_run(args) -> int:
    if args.resume:
        return _resume(args)
    if args.kpi and args.precision is None:
        raise ScenarioError("--kpi", "", args.kpi, "only used with --precision H (the target for these KPIs)")
    if args.precision is not None and not args.kpi:
        raise ScenarioError("--precision", "", args.precision, "name the KPIs it applies to with --kpi NAME")
    for k in args.kpi or []:
        if k not in summary.KPI_NAMES:
            raise ScenarioError("--kpi", "", k, f"unknown KPI; expected one of: {', '.join(summary.KPI_NAMES)}")
    max_reps = _max_reps(args)
    path, scenario = load(args)
    guard(args, [scenario], max_reps if args.precision is not None else args.reps)
    result = experiment.run_experiment(
        scenario, reps=args.reps, jobs=args.jobs, dask=args.dask, out=out_folder(args, scenario.meta.name),
        events=args.events, precision=args.precision, kpis=tuple(args.kpi or ()), max_reps=max_reps,
        first_rep=args.first_rep, progress=not args.quiet, command=command_line(), sources=layer_files(path))
    return finish(result, args, print_run)


def _max_reps(args) -> int:
    """The cap on replications a precision target may add. Without --max-reps it is 100, or
    --reps when more were asked for: a default the user never typed must not refuse what they
    did type (``--reps 101`` once said "--max-reps: expected at least --reps"). Only a --max-reps
    given below --reps is a contradiction, and is said to be one."""
    if args.max_reps is None:
        return max(MAX_REPS_DEFAULT, args.reps)
    if args.max_reps < args.reps:
        raise ScenarioError("--max-reps", "", args.max_reps,
                            f"expected at least --reps ({args.reps}): it caps the replications --precision adds to "
                            f"the --reps it starts from; raise --max-reps to {args.reps} or more, or lower --reps")
    return args.max_reps


def _resume(args) -> int:
    given = [f"--{k.replace('_', '-')}" for k, v in vars(args).items()
             if k not in _RESUME_ONLY + ("command", "func", "context") and v not in (None, False, [], RUN_DEFAULTS.get(k))]
    if given:
        raise FolderError(f"--resume {args.resume}: the plan saved in the folder is used; "
                          f"only --jobs, --dask, --quiet, --figures and --title apply (not {', '.join(given)})")
    folder = Path(args.resume)
    args.context.folder = folder
    if _complete_without_report(folder):   # interrupted while drawing: only the report is missing
        report = write_report(folder, args)
        if not args.quiet:
            print(f"{folder}: every replication was already done; report written: {report}")
        return 0
    result = experiment.resume(folder, jobs=args.jobs, dask=args.dask, progress=not args.quiet)
    printer = {"compare": print_compare, "sweep": print_sweep}.get(result.plan.kind, print_run)
    return finish(result, args, printer)


def _complete_without_report(folder: Path) -> bool:
    from sim.experiment.folders import read_json, read_plan
    from sim.util.files import remove_stale_temps

    manifest = folder / "manifest.json"
    if not manifest.exists() or (folder / "report.html").exists():
        return False
    read_plan(folder)   # a damaged plan.json is said to be damaged, whatever else is missing
    if read_json(manifest).get("failed_replications"):
        return False
    remove_stale_temps(folder)   # e.g. a figure the stopped report process was writing
    return True
