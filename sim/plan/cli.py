"""``triage-sim plan``: the command line of the staffing planner (one subparser, registered by
``sim.cli`` through ``register``)."""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from ..scenario import ScenarioError, load_scenario


def _numbers(kind):
    def parse(text: str) -> list:
        try:
            return [kind(x) for x in text.split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    return parse


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``plan`` to the ``triage-sim`` command line."""
    p = subparsers.add_parser(
        "plan", help="the cheapest response rota that meets HMIC's recommendation (or the best spread of N officers)",
        description="Stage 1: units needed per hour of week (queueing theory on the lagged load); stage 2: shifts "
                    "covering it at least officer-hours (integer program); stage 3: simulate, raise where it falls "
                    "short, trim while it meets, and check with the scenario's run length. Writes a plan folder.")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default scenarios/nottinghamshire-2016.toml)")
    p.add_argument("--out", help="plan folder (default results/plan-<name>-<timestamp>/); never overwritten")
    p.add_argument("--reps", type=int, default=10, help="replications of the final check (default 10)")
    p.add_argument("--days", type=float, help="measured days of the final check (default: the scenario's)")
    p.add_argument("--search-reps", type=int, default=10, help="replications per rota while searching (default 10)")
    p.add_argument("--search-days", type=float, default=14, help="days per rota while searching (default 14)")
    p.add_argument("--officers", type=int, help="spread this establishment instead (worst shortfall minimised)")
    p.add_argument("--lengths", type=_numbers(float), help="shift lengths in hours, e.g. 8,10 (default: the scenario's)")
    p.add_argument("--starts", type=_numbers(int), help="candidate start hours, e.g. 6,7,14,22 (default: every hour)")
    p.add_argument("--max-starts", type=int, default=4, help="at most this many distinct start times (default 4)")
    p.add_argument("--min-per-shift", type=int, default=5, help="units on any shift that runs (default 5)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's run.seed)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_plan)
    return p


def cmd_plan(args) -> int:
    from ..cli import default_run_dir, default_scenario_path
    from .folder import start_folder, write_plan
    from .refine import Options, Planner

    t0 = time.perf_counter()
    path = Path(args.scenario) if args.scenario else default_scenario_path()
    s = load_scenario(path, [f"run.days={args.days}"] if args.days is not None else [])
    for name in ("reps", "search_reps", "max_starts", "min_per_shift"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ScenarioError("plan", f"--{name.replace('_', '-')}", getattr(args, name), "expected a whole number >= 1")
    if args.search_days <= 0:
        raise ScenarioError("plan", "--search-days", args.search_days, "expected a number of days > 0")
    if args.officers is not None and args.officers < 1:
        raise ScenarioError("plan", "--officers", args.officers, "expected a whole number of officers >= 1")
    out = Path(args.out) if args.out else default_run_dir(Path("results"), f"plan-{s.meta.name}")
    opts = Options(search_days=args.search_days, search_reps=args.search_reps, final_reps=args.reps,
                   lengths=args.lengths, starts=args.starts, max_starts=args.max_starts,
                   min_per_shift=args.min_per_shift, officers=args.officers, jobs=args.jobs, seed=args.seed)

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - t0:5.0f} s] {msg}", flush=True)

    planner = Planner(s, opts, say)
    start_folder(out)
    say(f"plan for {s.meta.name}: at most {planner.simulations_up_front()} simulations (replications): "
        f"{opts.search_days:g} days x {opts.search_reps} per rota while searching, {s.run.days:g} days x "
        f"{opts.final_reps} for the final check")
    result = planner.run()
    command = "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["plan"] \
        else "triage-sim plan " + str(path)
    write_plan(result, path, out, command, time.perf_counter() - t0)
    if not args.quiet:
        print(f"{'MEETS' if result.meets else 'does NOT meet'} the recommendation; "
              f"{result.simulations} simulations in {time.perf_counter() - t0:.0f} s")
        print(f"plan: {out} (rota.toml, requirement.csv, iterations.csv, report.html)")
    return 0
