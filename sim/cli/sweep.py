"""``triage-sim sweep``: a grid of parameter values (``--vary KEY=V1,V2`` or
``KEY=START:STOP:STEP``, the full grid when repeated), each point with R replications.
"""
from __future__ import annotations

import argparse

from sim.cli.common import DEFAULT_SCENARIO, add_drawing, add_execution, add_overrides, command_line, load, out_folder
from sim.cli.experiments import exec_opts, finish, guard, with_drawer
from sim.cli.printout import print_sweep
from sim.scenario import layer_files
from sim.util.lazy import LazyModule

experiment = LazyModule("sim.experiment.replications")


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``sweep`` to the ``triage-sim`` command line."""
    sw = subparsers.add_parser("sweep", help="run a grid of parameter values, each with R replications")
    sw.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    sw.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2|KEY=START:STOP:STEP",
                    help="a dotted key and its values (repeatable: the full grid is run)")
    add_overrides(sw)
    add_execution(sw, 5)
    add_drawing(sw)
    sw.set_defaults(func=with_drawer(cmd_sweep))
    return sw


def cmd_sweep(args) -> int:
    path, scenario = load(args)
    vary = dict(experiment.parse_vary(v) for v in args.vary)
    guard(args, [scenario], len(experiment.sweep_points(vary)) * args.reps)
    result = experiment.sweep(scenario, vary, reps=args.reps, out=out_folder(args, f"sweep-{scenario.meta.name}"),
                              command=command_line(), sources=layer_files(path), **exec_opts(args))
    return finish(result, args, print_sweep)
