"""``triage-sim validate-model``: the simulator checked against queueing theory (sim.validation),
the registered cases or given files, printed or written as ``docs/validation.md``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.cli.common import SEED, WORKERS, check_out, replications, shown_path
from sim.scenario import ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.util.errors import FolderError
from sim.util.files import atomic_write
from sim.validation.cases import DEFAULT_REPS, KINDS, cases, kind_of
from sim.validation.compare import LEVEL
from sim.validation.markdown import REPORT, cases_hash, report_markdown
from sim.validation.measure import CaseResult, run_cases


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``validate-model`` to the ``triage-sim`` command line."""
    p = subparsers.add_parser(
        "validate-model", help="check the simulator against queueing theory and write docs/validation.md",
        description="Run the validation cases (scenarios/validation/) and compare each simulated quantity "
                    "with its analytic value (95% t-interval over replications). Without --full: the fast "
                    "subset, printed only. With --full: every case, report written to --out. With --scenario: "
                    "the given files (kind from the file name prefix or --kind).")
    p.add_argument("--full", action="store_true", help="run every registered case and write the report")
    p.add_argument("--scenario", action="append", metavar="FILE",
                   help="validate this scenario file instead of the registered cases (repeatable)")
    p.add_argument("--kind", choices=KINDS, help="validation kind for --scenario (default: from the file name prefix)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field of the --scenario files")
    p.add_argument("--reps", type=replications(2, "a confidence interval needs two"),
                   help=f"replications per case (default: the registry's, also for a registered "
                        f"file given with --scenario; {DEFAULT_REPS} for any other file)")
    p.add_argument("--seed", type=SEED, help="random seed for every case (default: each file's run.seed)")
    p.add_argument("--level", type=float, default=LEVEL, help="confidence level of the intervals (default 0.95)")
    p.add_argument("--jobs", type=WORKERS, help="worker processes (default: one per core)")
    p.add_argument("--out", help=f"write the Markdown report here (default with --full: {REPORT})")
    p.set_defaults(func=cmd_validate)
    return p


def _command(args) -> str:
    """The command that reproduces a report (without --out and --jobs, which change no number)."""
    parts = ["triage-sim", "validate-model"]
    if args.full:
        parts.append("--full")
    for f in args.scenario or []:
        parts += ["--scenario", str(f)]
    if args.kind:
        parts += ["--kind", args.kind]
    for kv in args.set or []:
        parts += ["--set", kv]
    if args.reps is not None:
        parts += ["--reps", str(args.reps)]
    if args.seed is not None:
        parts += ["--seed", str(args.seed)]
    if args.level != LEVEL:
        parts += ["--level", f"{args.level:g}"]
    return " ".join(parts)


def _check_report_path(path: Path) -> None:
    """The report file must be writable before the cases run (minutes of simulation otherwise
    end in a FileNotFoundError); an existing file is replaced (docs/validation.md is rewritten),
    an existing folder is not a file."""
    check_out(path, "report file")
    if path.is_dir():
        raise FolderError(f"--out {shown_path(path)}: is a folder; expected the Markdown report's file name")


def cmd_validate(args) -> int:
    t0 = time.perf_counter()
    if not 0 < args.level < 1:
        raise ScenarioError("--level", "", args.level, "expected a confidence level between 0 and 1")
    if args.scenario:
        # a registered case file keeps its registered replications unless --reps says otherwise
        registered = {c.path.resolve(): c.reps for c in cases()}
        specs = [(Path(f).stem, Path(f), args.kind or kind_of(f),
                  args.reps or registered.get(Path(f).resolve(), DEFAULT_REPS)) for f in args.scenario]
    else:
        if args.kind or args.set:
            raise ScenarioError("--kind/--set", "", _NO_VALUE, "only with --scenario")
        specs = [(c.name, c.path, c.kind, args.reps or c.reps) for c in cases() if args.full or c.fast]

    out = args.out or (str(REPORT) if args.full and not args.scenario else None)
    if out:
        _check_report_path(Path(out))

    def progress(res: CaseResult) -> None:
        bad = sum(not r.passed for r in res.rows)
        print(f"  {res.case:32s} {len(res.rows):2d} quantities  "
              f"{'all pass' if not bad else f'{bad} FAIL'}  ({res.seconds:.0f} s cpu)", file=sys.stderr)

    print(f"validate-model: {len(specs)} case(s)", file=sys.stderr)
    results = run_cases(specs, args.seed, args.jobs or None, args.set, args.level, progress)
    seconds = time.perf_counter() - t0
    registry_run = not args.scenario and args.full and args.reps is None and args.seed is None \
        and args.level == LEVEL
    text = report_markdown(results, seed=args.seed, level=args.level, full=args.full and not args.scenario,
                           digest=cases_hash() if registry_run else None, command=_command(args), seconds=seconds)
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
        print(f"report: {path}", file=sys.stderr)
    else:
        print(text)
    rows = [r for res in results for r in res.rows]
    failed = [r for r in rows if not r.passed]
    print(f"{len(rows) - len(failed)} of {len(rows)} quantities pass ({seconds:.0f} s)", file=sys.stderr)
    return 1 if failed else 0
