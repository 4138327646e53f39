"""``triage-sim check``: validate a scenario (with its bases and overrides) and print what it
resolves to, with a few derived figures; nothing is simulated and nothing heavy is imported.
"""
from __future__ import annotations

import argparse

from sim.cli.common import DEFAULT_SCENARIO, add_overrides, load
from sim.scenario.rota_text import rota_summary
from sim.scenario import CHANNELS


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``check`` to the ``triage-sim`` command line."""
    check = subparsers.add_parser("check", help="validate a scenario and print what it resolves to")
    check.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    add_overrides(check)
    check.add_argument("--allow-large", action="store_true",
                       help="call the scenario valid even beyond the size limits a run would refuse")
    check.set_defaults(func=cmd_check)
    return check


def cmd_check(args) -> int:
    from sim.scenario.writing import toml_text

    from sim.experiment.limits import check_size, size_line

    path, s = load(args)
    check_size([s], 1, 1, args.allow_large)   # beyond what a run would accept: one line, exit 2
    print(f"# {path}: valid. Fully resolved scenario:\n")
    print(toml_text(s.to_dict()))
    print("# derived")
    for name in CHANNELS:
        ch = s.demand.channels.get(name)
        if ch is not None:
            print(f"#   {name}: {ch.calls_per_day * s.demand.multiplier:,.0f} calls a day on average "
                  f"(before month multipliers and surges)")
    for label, pool in (("call handlers", s.call_handling), ("response officers", s.response),
                        ("neighbourhood officers", s.neighbourhood)):
        if pool.has_rota:
            print("\n".join(rota_summary(label, pool, s.run.start_date)))
    print(f"#   policy: {s.policy.kind}; horizon {s.run.warmup_days + s.run.days:g} days")
    print(f"#   size: {size_line(s)}")
    return 0
