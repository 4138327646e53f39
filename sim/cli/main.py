"""Command line: ``triage-sim run | check``.

Bad input (a wrong scenario, a clashing --out) prints one line naming what is wrong and
exits with status 2, without a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from sim import __version__
from sim.util.errors import FolderError
from sim.util.executors import ExecutorError
from sim.cli.data import register as register_data
from sim.cli.app import register as register_app
from sim.report.labels import unsigned_zero
from sim.util.lazy import LazyModule
from sim.report.verdicts import FIRST, compare_lines, run_lines
from sim.experiment.limits import check_size
from sim.cli.plan import register as register_plan
from sim.cli.validate import register as register_validate
from sim.scenario.rota_text import rota_summary
from sim.scenario import CHANNELS, DAYS, ScenarioError, Scenario, default_scenario, layer_files, load_scenario
from sim.scenario.base import _NO_VALUE

# imported on first use: --help and check need none of pandas, pyarrow, scipy, matplotlib, dask
experiment = LazyModule("sim.experiment.replications")


def write_report(folder, args=None):
    """The report and figures, in the formats and with the title asked on the command line (by
    the report process started before the simulation, when there is one)."""
    formats, title = getattr(args, "figures", None) or ("png",), getattr(args, "title", None)
    drawer = _running.get("drawer")
    if drawer is not None:
        return drawer.write(folder, formats, title)
    from sim.report.page import write_report as write
    return write(folder, formats, title)


def _with_drawer(cmd):
    """Run a command with a report process warming up beside it (sim.report.process)."""
    import functools

    @functools.wraps(cmd)
    def wrapped(args):
        from sim.report.process import ReportProcess

        with ReportProcess() as drawer:
            _running["drawer"] = drawer
            try:
                return cmd(args)
            finally:
                _running.pop("drawer", None)
    return wrapped


FIGURE_FORMATS = ("png", "svg", "pdf")


def _formats(text: str) -> tuple[str, ...]:
    """--figures png,svg,pdf: the formats figures/ gets (the report embeds the PNGs either way)."""
    out = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()))
    bad = [f for f in out if f not in FIGURE_FORMATS]
    if not out or bad:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(FIGURE_FORMATS)}, "
                                         f"got {text!r}")
    return out


def _event_formats(text: str):
    """--events [parquet|csv|parquet,csv]: True stands for Parquet alone (as before CSV existed)."""
    out = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    if not out or any(f not in ("parquet", "csv") for f in out):
        raise argparse.ArgumentTypeError(f"expected parquet, csv or parquet,csv, got {text!r} "
                                         "(a scenario file goes before --events)")
    return True if out == ("parquet",) else ",".join(out)


def _title(text: str) -> str:
    if not text.strip() or len(text) > 200 or any(not ch.isprintable() for ch in text):
        raise argparse.ArgumentTypeError(f"expected a printable title of 1-200 characters, got {text!r}")
    return text


DEFAULT_SCENARIO = "scenarios/nottinghamshire-2016.toml"
EXIT_BAD_INPUT = 2

HEADLINES = (
    ("resource_downgrades_per_week", "{:.1f}"),
    ("high_risk_resource_downgrades_per_week", "{:.1f}"),
    ("g1_in_target", "{:.1%}"),
    ("g2_in_target", "{:.1%}"),
    ("g1_response_p90", "{:.1f} min"),
    ("g2_response_p90", "{:.1f} min"),
    ("pending_at_0700_mean", "{:.1f}"),
    ("open_at_0700_mean", "{:.1f}"),
    ("neighbourhood_hours_lost_per_week", "{:.0f} h"),
    ("sl_999_10s", "{:.1%}"),
    ("abandon_rate_101", "{:.1%}"),
    ("unit_utilisation", "{:.1%}"),
)

_WIDTH = max(len(name) for name, _ in HEADLINES)


def default_scenario_path() -> Path:
    """The shipped default: ./scenarios/... if run from a checkout, else the installed package's."""
    here = Path(DEFAULT_SCENARIO)
    if here.exists():
        return here
    return default_scenario()


def _overrides(args) -> list[str]:
    """--set first, then --days/--warmup-days/--seed: an explicit option has the last word."""
    out = list(args.set or [])
    if getattr(args, "days", None) is not None:
        out.append(f"run.days={args.days}")
    if getattr(args, "warmup_days", None) is not None:
        out.append(f"run.warmup_days={args.warmup_days}")
    if getattr(args, "seed", None) is not None:
        out.append(f"run.seed={args.seed}")
    return out


def _load(args) -> tuple[Path, Scenario]:
    path = Path(args.scenario) if args.scenario else default_scenario_path()
    return path, load_scenario(path, _overrides(args), roots=getattr(args, "base_root", None))


def _command_line() -> str:
    return "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def safe_name(name: str, limit: int = 80) -> str:
    """A scenario's name as a folder name: letters, digits, '_' and '-' only, so a name
    (from a file or --set) can never point outside ``results/`` or make an awkward path."""
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:limit].strip("-")
    return text or "run"


def default_run_dir(root: Path, name: str) -> Path:
    """results/<name>-<timestamp>/, with a suffix if that folder exists already."""
    name = safe_name(name)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = root / f"{name}-{stamp}", 1
    while path.exists():
        n += 1
        path = root / f"{name}-{stamp}-{n}"
    return path


_running: dict = {}  # the folder being written, for the message if the run is interrupted


def _out(args, name: str) -> Path:
    out = Path(args.out) if args.out else default_run_dir(Path("results"), name)
    _running["folder"] = out
    return out


def _exec_opts(args) -> dict:
    return {"jobs": args.jobs, "dask": args.dask, "progress": not args.quiet}


def _guard(args, scenarios: list[Scenario], tasks: int) -> None:
    """Before anything runs: --jobs capped at the cores, and the experiment's size checked
    against the machine and the domain (``sim.experiment.limits``)."""
    cores = os.cpu_count() or 1
    if args.jobs and args.jobs > cores and not args.dask:
        print(f"triage-sim: note: --jobs {args.jobs} is more than this machine's {cores} cores; using {cores}",
              file=sys.stderr)
        args.jobs = cores
    workers = 1 if args.jobs == 1 else min(args.jobs or cores, max(tasks, 1))
    check_size(scenarios, tasks, workers, getattr(args, "allow_large", False))


def _finish(result, args, print_summary) -> int:
    """What every run, compare and sweep ends with: the report, the printout, failures."""
    report = write_report(result.folder, args)
    if not args.quiet:
        print_summary(result)
        print(f"report: {report}")
        n = max(len(arm.replications) for arm in result.arms.values())
        if 2 <= n < experiment.FEW_REPS:
            print(f"triage-sim: note: only {n} replications: the 95% intervals are wide (kept within each "
                  f"quantity's range); use --reps {experiment.FEW_REPS} or more before drawing conclusions",
                  file=sys.stderr)
    return _report_failures(result)


_RESUME_ONLY = ("jobs", "dask", "quiet", "resume", "figures", "title")


def cmd_run(args) -> int:
    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k, v in vars(args).items()
                 if k not in _RESUME_ONLY + ("command", "func") and v not in (None, False, [], RUN_DEFAULTS.get(k))]
        if given:
            raise FolderError(f"--resume {args.resume}: the plan saved in the folder is used; "
                              f"only --jobs, --dask, --quiet, --figures and --title apply (not {', '.join(given)})")
        folder = Path(args.resume)
        _running["folder"] = folder
        if _complete_without_report(folder):   # interrupted while drawing: only the report is missing
            report = write_report(folder, args)
            if not args.quiet:
                print(f"{folder}: every replication was already done; report written: {report}")
            return 0
        result = experiment.resume(folder, jobs=args.jobs, dask=args.dask, progress=not args.quiet)
        printer = {"compare": _print_compare, "sweep": _print_sweep}.get(result.plan.kind, _print_run)
        return _finish(result, args, printer)
    if args.kpi and args.precision is None:
        raise ScenarioError("--kpi", "", args.kpi, "only used with --precision H (the target for these KPIs)")
    if args.precision is not None and not args.kpi:
        raise ScenarioError("--precision", "", args.precision, "name the KPIs it applies to with --kpi NAME")
    for k in args.kpi or []:
        if k not in experiment.KPI_NAMES:
            raise ScenarioError("--kpi", "", k, f"unknown KPI; expected one of: {', '.join(experiment.KPI_NAMES)}")
    if args.max_reps < args.reps:
        raise ScenarioError("--max-reps", "", args.max_reps, f"expected at least --reps ({args.reps})")
    path, scenario = _load(args)
    _guard(args, [scenario], args.max_reps if args.precision is not None else args.reps)
    result = experiment.run_experiment(
        scenario, reps=args.reps, jobs=args.jobs, dask=args.dask, out=_out(args, scenario.meta.name),
        events=args.events, precision=args.precision, kpis=tuple(args.kpi or ()), max_reps=args.max_reps,
        first_rep=args.first_rep, progress=not args.quiet, command=_command_line(), sources=layer_files(path))
    return _finish(result, args, _print_run)


def _complete_without_report(folder: Path) -> bool:
    from sim.experiment.folders import read_json, read_plan

    manifest = folder / "manifest.json"
    if not manifest.exists() or (folder / "report.html").exists():
        return False
    read_plan(folder)   # a damaged plan.json is said to be damaged, whatever else is missing
    return not read_json(manifest).get("failed_replications")


def _report_failures(result) -> int:
    for f in result.failures:
        last = f["error"].strip().splitlines()[-1]
        print(f"triage-sim: replication {f['replication']} (seed {f['seed']}) of scenario {f['scenario']!r} failed: {last}\n"
              f"  rerun it alone: triage-sim run {result.folder}/{(f['arm'] + '/') if f['arm'] else ''}scenario.toml "
              f"--seed {f['seed']} --first-rep {f['replication']} --reps 1", file=sys.stderr)
    return 1 if result.failures else 0


def _fmt(name: str, v: float, signed: bool = False) -> str:
    if v != v:
        return "n/a"
    text = dict(HEADLINES).get(name, "{:.3g}").format(v)
    return unsigned_zero(f"+{text}" if signed and v > 0 else text)


def _verdict(met: float, reps: int) -> str:
    if met != met:
        return "cannot be judged against"
    if reps == 1 or met in (0.0, 1.0):
        return "MEETS" if met == 1 else "does NOT meet"
    return f"meets (in {met:.0%} of replications)"


def _print_run(result) -> None:
    arm = result.result
    s = arm.scenario
    n = len(arm.replications)
    print(f"{s.meta.name}: {s.run.days:g} days after {s.run.warmup_days:g} warm-up days, seed {result.plan.seed}, "
          f"{n} replication{'s' if n != 1 else ''}, policy {s.policy.kind}; {arm.calls:,} calls simulated "
          f"in {result.wall_s:.1f} s ({result.executor}, {result.workers} worker{'s' if result.workers != 1 else ''})")
    if result.stopped_by:
        print(f"  stopped by {'the precision target' if result.stopped_by == 'precision' else '--max-reps'} "
              f"after {n} replications")
    table = arm.summary.set_index("kpi")
    for name, _ in HEADLINES:
        row = table.loc[name]
        ci = "" if n < 2 or row["ci_low"] != row["ci_low"] else \
            f"  (95% CI {_fmt(name, row['ci_low'])} to {_fmt(name, row['ci_high'])})"
        print(f"  {name:{_WIDTH}s} {_fmt(name, row['mean'])}{ci}")
    verdict = _verdict(table.loc["meets_recommendation", "mean"], n)
    print(f"  -> {verdict} HMIC's recommendation (response set by initial risk, not officer availability)"
          + (" : no G1/G2 incident to measure" if verdict.startswith("cannot") else ""))
    for line in run_lines(table["mean"].to_dict()):   # the first recommendation on its own (issue 15)
        if line.startswith(FIRST):
            print(f"  -> {line}")
    print(f"results: {result.folder}")


def cmd_compare(args) -> int:
    if args.b is None and not args.set_b and not args.set_a:
        raise ScenarioError("compare", "", _NO_VALUE, "give a second scenario B, or change A with --set-b KEY=VALUE")
    path_b = args.b or args.a
    a = load_scenario(args.a, _overrides(args) + list(args.set_a or []), roots=args.base_root)
    b = load_scenario(path_b, _overrides(args) + list(args.set_b or []), roots=args.base_root)
    if a.meta.name == b.meta.name:   # one file, changed: say how in B's (and A's) name
        a = _renamed(a, args.set_a)
        b = _renamed(b, args.set_b)
    _guard(args, [a, b], 2 * args.reps)
    out = _out(args, f"compare-{a.meta.name}-vs-{b.meta.name}")
    result = experiment.compare(a, b, reps=args.reps, out=out, command=_command_line(),
                                sources={"a": layer_files(args.a), "b": layer_files(path_b)}, **_exec_opts(args))
    return _finish(result, args, _print_compare)


def _renamed(s: Scenario, changes: list[str] | None) -> Scenario:
    if not changes:
        return s
    from sim.report.labels import change_phrase
    from sim.scenario.writing import value_text

    name = f"{s.meta.name} with {', '.join(changes)}"
    said = f"{s.meta.description or s.meta.name}, with {', '.join(change_phrase(c) for c in changes)}"
    return experiment.with_overrides(s, [f"meta.name={value_text(name)}",
                                         f"meta.description={value_text(said)}"])


def _print_compare(result) -> None:
    a, b = result.arms["a"], result.arms["b"]
    table = result.comparison().set_index("kpi")
    print(f"B - A, paired over {len(a.replications)} replications (A = {a.scenario.meta.name}, "
          f"B = {b.scenario.meta.name}), {a.scenario.run.days:g} days each, seed {result.plan.seed}")
    print(f"  {'kpi':{_WIDTH}s} {'A':>10s} {'B':>10s} {'B - A':>10s}  {'95% CI of B - A (paired)':>26s}  unpaired ±")
    for name, _ in HEADLINES:
        r = table.loc[name]
        ci = f"[{_fmt(name, r['ci_low'], True)}, {_fmt(name, r['ci_high'], True)}]"
        print(f"  {name:{_WIDTH}s} {_fmt(name, r['mean_a']):>10s} {_fmt(name, r['mean_b']):>10s} "
              f"{_fmt(name, r['diff'], True):>10s}  {ci:>26s}  {_fmt(name, r['unpaired_half_width'])}")
    for label, arm in (("A", a), ("B", b)):
        met = arm.summary.set_index("kpi").loc["meets_recommendation", "mean"]
        print(f"  {label} {arm.scenario.meta.name}: {_verdict(met, len(arm.replications))} HMIC's recommendation")
    for line in compare_lines(result.comparison()):   # each recommendation on its own (issue 15)
        print(f"  -> {line}")
    print(f"results: {result.folder}")


def cmd_sweep(args) -> int:
    path, scenario = _load(args)
    vary = dict(experiment.parse_vary(v) for v in args.vary)
    _guard(args, [scenario], len(experiment.sweep_points(vary)) * args.reps)
    result = experiment.sweep(scenario, vary, reps=args.reps, out=_out(args, f"sweep-{scenario.meta.name}"),
                              command=_command_line(), sources=layer_files(path), **_exec_opts(args))
    return _finish(result, args, _print_sweep)


def _print_sweep(result) -> None:
    table = result.sweep_table()
    keys = [k for k in result.plan.arms[0]["values"]]
    wide = table[table["kpi"].isin([h for h, _ in HEADLINES[:4]] + ["meets_recommendation"])]
    wide = wide.pivot_table(index=["point", *keys], columns="kpi", values="mean").reset_index()
    print(f"sweep of {', '.join(keys)}: {len(result.arms)} points x {result.plan.reps} replications, "
          f"seed {result.plan.seed}")
    print(wide.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"results: {result.folder}")


def cmd_report(args) -> int:
    for folder in args.folders:
        if not Path(folder).is_dir():
            raise FolderError(f"{folder}: no such folder")
        try:
            print(write_report(Path(folder), args))
        except FileNotFoundError as exc:
            raise FolderError(f"{folder}: not a complete results folder ({exc})") from None
    return 0


def cmd_warmup(args) -> int:
    import json

    from sim.experiment import warmup
    from sim.experiment.folders import json_text
    from sim.util.executors import make_executor
    from sim.util.files import atomic_write

    path, scenario = _load(args)
    scenario = experiment.with_overrides(scenario, ["run.warmup_days=0"])
    _guard(args, [scenario], args.reps)
    out = Path(args.out) if args.out else default_run_dir(Path("results"), f"warmup-{scenario.meta.name}")
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
    out.mkdir(parents=True)
    warmup.plot(table, suggestions, chosen, out / "warmup.png",
                f"{scenario.meta.name}: Welch's method over {args.reps} replications")
    atomic_write(out / "warmup.csv", table.to_csv(index=False))
    atomic_write(out / "manifest.json", json_text({
        "version": __version__, "scenario": scenario.meta.name, "seed": scenario.run.seed,
        "replications": args.reps, "days": scenario.run.days, "suggested_warmup_days": chosen,
        "by_series": suggestions, "command": _command_line()}, indent=2) + "\n")
    if not args.quiet:
        for name, d in suggestions.items():
            print(f"  {name:18s} settles after {d} days  ({warmup.SERIES[name]})")
        print(f"suggested warm-up: {chosen} days (use --warmup-days {chosen}); figure: {out / 'warmup.png'}")
    return 0


def cmd_check(args) -> int:
    from sim.scenario.writing import toml_text

    path, s = _load(args)
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
    return 0


def _at_least(lowest: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {lowest}, got {value}")
        return value
    parse.__name__ = f"integer >= {lowest}"
    return parse


def _share_above_zero(text: str) -> float:
    """--precision H: a finite number above 0 (0.1 = half-width within 10% of the mean)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number above 0 (e.g. 0.1), got {text!r}")
    return value


RUN_DEFAULTS = {"reps": 1, "max_reps": 100, "first_rep": 0}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="triage-sim", description=(
        "Police control-room simulator: does the response follow the caller's risk, "
        "or whether an officer happens to be free?"))
    p.add_argument("--version", action="version", version=f"triage-sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def overrides(q):
        q.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a scenario field by dotted key, e.g. --set policy.kind=risk_led (repeatable)")
        q.add_argument("--days", type=float, help="measured days (overrides run.days)")
        q.add_argument("--warmup-days", type=float, help="warm-up days discarded before measuring")
        q.add_argument("--seed", type=_at_least(0), help="random seed (overrides run.seed)")
        q.add_argument("--base-root", action="append", metavar="DIR",
                       help="a folder base files may also come from (by default: the scenario's own folder, the "
                            "nearest enclosing 'scenarios' folder and the shipped scenarios/) (repeatable)")

    def execution(q, reps_default):
        q.add_argument("--reps", type=_at_least(1), default=reps_default, help=f"replications (default {reps_default})")
        q.add_argument("--jobs", type=_at_least(1), default=None, help="worker processes (default: all cores; 1 = in-process)")
        q.add_argument("--dask", metavar="ADDRESS", help="run on Dask: 'local' starts a LocalCluster, or tcp://HOST:PORT")
        q.add_argument("--out", help="results folder (default results/<name>-<timestamp>/); never overwritten")
        q.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
        q.add_argument("--allow-large", action="store_true",
                       help="run even beyond the size limits (memory, calls per replication, replications in all)")

    def drawing(q):
        q.add_argument("--figures", type=_formats, metavar="FORMATS", default=("png",),
                       help="figure files to write: a comma-separated list of png, svg, pdf (default png)")
        q.add_argument("--title", type=_title, help="a title for every figure (e.g. for a paper), "
                                                    "in place of the figures' own headings")

    run = sub.add_parser("run", help="run a scenario (one or more replications) and write a results folder")
    run.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    overrides(run)
    execution(run, 1)
    drawing(run)
    run.add_argument("--events", nargs="?", const=True, default=False, type=_event_formats, metavar="FORMAT",
                     help="also write the event log (calls, grade_changes, unit_shifts, rosters; per replication "
                          "under events/) as parquet (the default), csv, or parquet,csv")
    run.add_argument("--precision", type=_share_above_zero, metavar="H",
                     help="add replications until the 95%% CI half-width of each --kpi is within H x its mean")
    run.add_argument("--kpi", action="append", metavar="NAME", help="KPI the precision target applies to (repeatable)")
    run.add_argument("--max-reps", type=_at_least(1), default=100, help="cap on replications with --precision (default 100)")
    run.add_argument("--first-rep", type=_at_least(0), default=0, help="number of the first replication (to rerun one alone)")
    run.add_argument("--resume", metavar="DIR", help="finish an interrupted run in DIR (same final files)")
    run.set_defaults(func=_with_drawer(cmd_run))

    cmp_ = sub.add_parser("compare", help="paired comparison of two scenarios under common random numbers")
    cmp_.add_argument("a", help="scenario A (baseline)")
    cmp_.add_argument("b", nargs="?", help="scenario B (default: A again, changed by --set-b)")
    overrides(cmp_)
    cmp_.add_argument("--set-a", action="append", metavar="KEY=VALUE", help="override a field of A only (repeatable)")
    cmp_.add_argument("--set-b", action="append", metavar="KEY=VALUE", help="override a field of B only (repeatable)")
    execution(cmp_, 10)
    drawing(cmp_)
    cmp_.set_defaults(func=_with_drawer(cmd_compare))

    sw = sub.add_parser("sweep", help="run a grid of parameter values, each with R replications")
    sw.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    sw.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2|KEY=START:STOP:STEP",
                    help="a dotted key and its values (repeatable: the full grid is run)")
    overrides(sw)
    execution(sw, 5)
    drawing(sw)
    sw.set_defaults(func=_with_drawer(cmd_sweep))

    wu = sub.add_parser("warmup", help="suggest a warm-up length with Welch's method (plots the running means)")
    wu.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    overrides(wu)
    execution(wu, 5)
    wu.set_defaults(func=cmd_warmup)

    rep = sub.add_parser("report", help="draw the figures and report.html again from saved results (nothing is re-run)")
    rep.add_argument("folders", nargs="+", metavar="DIR", help="results folder(s) of run, compare or sweep")
    drawing(rep)
    rep.set_defaults(func=cmd_report)

    check = sub.add_parser("check", help="validate a scenario and print what it resolves to")
    check.add_argument("scenario", nargs="?", help=f"scenario TOML file (default {DEFAULT_SCENARIO})")
    overrides(check)
    check.set_defaults(func=cmd_check)

    register_validate(sub)
    register_plan(sub)
    register_data(sub)
    register_app(sub)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. a job scheduler stopping us), handled like Ctrl-C."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    import signal

    args = build_parser().parse_args(argv)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:   # pragma: no cover - not the main thread (e.g. called from a test thread)
        pass
    try:
        return args.func(args)
    except (ScenarioError, FolderError, ExecutorError) as exc:
        print(f"triage-sim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenProcessPool:
        print("triage-sim: a worker process died; finished replications are saved; "
              f"finish with: triage-sim run --resume {_running.get('folder', '<results folder>')}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `triage-sim check ... | head`
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt as exc:
        folder = _running.get("folder")
        tail = f": finish with triage-sim run --resume {folder}" if folder else ""
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"triage-sim: {what}; finished replications are saved{tail}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
