"""Command line: ``triage-sim run | check``.

Bad input (a wrong scenario, a clashing --out) prints one line naming what is wrong and
exits with status 2, without a traceback.
"""
from __future__ import annotations

import argparse
import platform
import shlex
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .kpis import summary_frame
from .output import OutputError, RunFolder, default_run_dir
from .rota import weekly_headcount
from .scenario import CHANNELS, DAYS, ScenarioError, Scenario, load_scenario

DEFAULT_SCENARIO = "scenarios/nottinghamshire-2016.toml"
EXIT_BAD_INPUT = 2

HEADLINES = (
    ("resource_downgrades_per_week", "{:.1f}"),
    ("high_risk_resource_downgrades", "{:.0f}"),
    ("g1_in_target", "{:.1%}"),
    ("g2_in_target", "{:.1%}"),
    ("g1_response_p90", "{:.1f} min"),
    ("g2_response_p90", "{:.1f} min"),
    ("pending_at_0700_mean", "{:.1f}"),
    ("neighbourhood_hours_lost", "{:.0f} h"),
    ("sl_999_10s", "{:.1%}"),
    ("abandon_rate_101", "{:.1%}"),
    ("unit_utilisation", "{:.1%}"),
)


def default_scenario_path() -> Path:
    """The shipped default: ./scenarios/... if run from a checkout, else beside the package."""
    here = Path(DEFAULT_SCENARIO)
    if here.exists():
        return here
    return Path(__file__).resolve().parent.parent / DEFAULT_SCENARIO


def _overrides(args) -> list[str]:
    out = []
    if getattr(args, "days", None) is not None:
        out.append(f"run.days={args.days}")
    if getattr(args, "warmup_days", None) is not None:
        out.append(f"run.warmup_days={args.warmup_days}")
    if getattr(args, "seed", None) is not None:
        out.append(f"run.seed={args.seed}")
    return out + list(args.set or [])


def _load(args) -> tuple[Path, Scenario]:
    path = Path(args.scenario) if args.scenario else default_scenario_path()
    return path, load_scenario(path, _overrides(args))


def cmd_run(args) -> int:
    import time

    from .runner import single_run

    path, scenario = _load(args)
    out = Path(args.out) if args.out else default_run_dir(Path("results"), scenario.meta.name)
    folder = RunFolder(out)
    try:
        t0 = time.perf_counter()
        result = single_run(scenario)
        summary = summary_frame(result.kpis)
        summary.to_csv(folder.path("summary.csv"), index=False)
        folder.write_toml("scenario.toml", scenario.to_dict())
        if args.events:
            result.log.write_parquet(folder.stage)
        wall = time.perf_counter() - t0
        folder.write_json("manifest.json", {
            "version": __version__,
            "scenario": scenario.meta.name,
            "scenario_file": str(path),
            "overrides": list(args.set or []),
            "seed": scenario.run.seed,
            "replications": 1,
            "days": scenario.run.days,
            "warmup_days": scenario.run.warmup_days,
            "command": "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            "wall_time_s": round(wall, 3),
            "calls_simulated": int(len(result.log.calls)),
            "python": platform.python_version(),
            "events": bool(args.events),
        })
        final = folder.publish()
    except BaseException:
        folder.discard()
        raise
    if not args.quiet:
        _print_summary(scenario, result.kpis, final, wall, len(result.log.calls))
    return 0


def _print_summary(s: Scenario, kpis: dict, folder: Path, wall: float, n_calls: int) -> None:
    print(f"{s.meta.name}: {s.run.days:g} days after {s.run.warmup_days:g} warm-up days, seed {s.run.seed}, "
          f"policy {s.policy.kind}; {n_calls:,} calls simulated in {wall:.1f} s")
    for name, fmt in HEADLINES:
        v = kpis[name]
        print(f"  {name:32s} {'n/a' if np.isnan(v) else fmt.format(v)}")
    verdict = "MEETS" if kpis["meets_recommendation"] == 1 else "does NOT meet"
    print(f"  -> {verdict} HMIC's recommendation (response set by initial risk, not officer availability)")
    print(f"results: {folder}")


def cmd_check(args) -> int:
    import tomli_w

    path, s = _load(args)
    print(f"# {path}: valid. Fully resolved scenario:\n")
    print(tomli_w.dumps(s.to_dict()))
    print("# derived")
    for name in CHANNELS:
        ch = s.demand.channels.get(name)
        if ch is not None:
            print(f"#   {name}: {ch.calls_per_day * s.demand.multiplier:,.0f} calls a day on average "
                  f"(before month multipliers and surges)")
    for label, shifts in (("call handlers", s.call_handling.shifts), ("response units", s.response.shifts),
                          ("neighbourhood officers", s.neighbourhood.shifts)):
        if shifts:
            on = weekly_headcount(shifts)
            lo = int(np.argmin(on))
            day, minute = divmod(lo * 15, 1440)
            print(f"#   {label} on duty: {on.min()}-{on.max()} (fewest {DAYS[day]} {minute // 60:02d}:{minute % 60:02d})")
    print(f"#   policy: {s.policy.kind}; horizon {s.run.warmup_days + s.run.days:g} days")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="triage-sim", description=(
        "Police control-room simulator: does the response follow the caller's risk, "
        "or whether an officer happens to be free?"))
    p.add_argument("--version", action="version", version=f"triage-sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def scenario_opts(q):
        q.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
        q.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a scenario field by dotted key, e.g. --set policy.kind=risk_led (repeatable)")
        q.add_argument("--days", type=float, help="measured days (overrides run.days)")
        q.add_argument("--warmup-days", type=float, help="warm-up days discarded before measuring")
        q.add_argument("--seed", type=int, help="random seed (overrides run.seed)")

    run = sub.add_parser("run", help="run a scenario and write a results folder")
    scenario_opts(run)
    run.add_argument("--out", help="results folder (default results/<scenario>-<timestamp>/); never overwritten")
    run.add_argument("--events", action="store_true", help="also write the event log (calls.parquet, grade_changes.parquet)")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="validate a scenario and print what it resolves to")
    scenario_opts(check)
    check.set_defaults(func=cmd_check)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, OutputError) as exc:
        print(f"triage-sim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("triage-sim: interrupted; no results folder was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
