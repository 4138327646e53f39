"""``triage-sim compare``: two scenarios paired under common random numbers (B - A per
replication), or one scenario against itself changed by ``--set-a`` / ``--set-b``.
"""
from __future__ import annotations

import argparse

from sim.cli.common import add_drawing, add_execution, add_overrides, command_line, out_folder, overrides
from sim.cli.experiments import exec_opts, finish, guard, with_drawer
from sim.cli.printout import print_compare
from sim.scenario import Scenario, ScenarioError, layer_files, load_scenario
from sim.scenario.base import _NO_VALUE
from sim.util.lazy import LazyModule

experiment = LazyModule("sim.experiment.replications")


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``compare`` to the ``triage-sim`` command line."""
    cmp_ = subparsers.add_parser("compare", help="paired comparison of two scenarios under common random numbers")
    cmp_.add_argument("a", help="scenario A (baseline)")
    cmp_.add_argument("b", nargs="?", help="scenario B (default: A again, changed by --set-b)")
    add_overrides(cmp_)
    cmp_.add_argument("--set-a", action="append", metavar="KEY=VALUE", help="override a field of A only (repeatable)")
    cmp_.add_argument("--set-b", action="append", metavar="KEY=VALUE", help="override a field of B only (repeatable)")
    add_execution(cmp_, 10)
    add_drawing(cmp_)
    cmp_.set_defaults(func=with_drawer(cmd_compare))
    return cmp_


def cmd_compare(args) -> int:
    if args.b is None and not args.set_b and not args.set_a:
        raise ScenarioError("compare", "", _NO_VALUE, "give a second scenario B, or change A with --set-b KEY=VALUE")
    path_b = args.b or args.a
    a = load_scenario(args.a, overrides(args) + list(args.set_a or []), roots=args.base_root)
    b = load_scenario(path_b, overrides(args) + list(args.set_b or []), roots=args.base_root)
    if a.meta.name == b.meta.name:   # one file, changed: say how in B's (and A's) name
        a = _renamed(a, args.set_a)
        b = _renamed(b, args.set_b)
    guard(args, [a, b], 2 * args.reps)
    out = out_folder(args, f"compare-{a.meta.name}-vs-{b.meta.name}")
    result = experiment.compare(a, b, reps=args.reps, out=out, command=command_line(),
                                sources={"a": layer_files(args.a), "b": layer_files(path_b)}, **exec_opts(args))
    return finish(result, args, print_compare)


def _renamed(s: Scenario, changes: list[str] | None) -> Scenario:
    if not changes:
        return s
    from sim.report.labels import change_phrase
    from sim.scenario.writing import value_text

    name = f"{s.meta.name} with {', '.join(changes)}"
    said = f"{s.meta.description or s.meta.name}, with {', '.join(change_phrase(c) for c in changes)}"
    return experiment.with_overrides(s, [f"meta.name={value_text(name)}",
                                         f"meta.description={value_text(said)}"])
