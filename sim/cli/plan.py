"""``triage-sim plan``: the command line of the staffing planner (one subparser, registered by
``sim.cli.main`` through ``register``)."""
from __future__ import annotations

import argparse
import math
import shlex
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

from sim.cli.common import SEED, WORKERS, check_out, finite_number, replications, whole
from sim.util.errors import FolderError
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.base import MAX_HEADS


def _numbers(kind):
    """--lengths 8,10 / --starts 6,14: comma-separated finite numbers (their range is the planner's
    to check, ``sim.plan.shifts.candidates``); ``nan`` or ``inf`` would slip past a range check."""
    def parse(text: str) -> list:
        try:
            out = [kind(x) for x in text.split(",") if x.strip()]
        except ValueError:
            out = None
        if not out or not all(math.isfinite(x) for x in out):
            raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers, got {text[:80]!r}")
        return out
    return parse


def _overlay(text: str):
    """--overlay "Thu-Sat 17:00 10h": an overlay team's weekly tour (``roster_space.parse_overlay``)."""
    from sim.plan.roster_space import parse_overlay
    try:
        parse_overlay(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``plan`` to the ``triage-sim`` command line."""
    p = subparsers.add_parser(
        "plan", help="the cheapest response rota that meets HMIC's recommendation (or the best spread of N officers)",
        description="Stage 1: units needed per hour of week (queueing theory on the lagged load); stage 2: shifts "
                    "covering it at least officer-hours (integer program); stage 3: simulate, raise where it falls "
                    "short, trim while it meets, and check with the scenario's run length. Writes a plan folder.")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default scenarios/nottinghamshire-2016.toml)")
    p.add_argument("--out", help="plan folder (default results/plan-<name>-<timestamp>/); never overwritten")
    p.add_argument("--reps", type=replications(), default=10, help="replications of the final check (default 10)")
    p.add_argument("--days", type=float, help="measured days of the final check (default: the scenario's)")
    p.add_argument("--search-reps", type=replications(), default=10,
                   help="replications per rota while searching (default 10)")
    p.add_argument("--search-days", type=finite_number(0, above=True), default=14,
                   help="days per rota while searching (default 14)")
    p.add_argument("--officers", type=whole(1, MAX_HEADS),
                   help="spread this establishment instead (worst shortfall minimised)")
    p.add_argument("--lengths", type=_numbers(float), help="shift lengths in hours, e.g. 8,10 (default: the scenario's)")
    p.add_argument("--starts", type=_numbers(int), help="candidate start hours, e.g. 6,7,14,22 (default: every hour)")
    p.add_argument("--max-starts", type=whole(1, 24), default=4,
                   help="at most this many distinct start times (default 4)")
    p.add_argument("--min-per-shift", type=whole(1, MAX_HEADS), default=5,
                   help="units on any shift that runs (default 5)")
    p.add_argument("--seed", type=SEED, help="random seed (default: the scenario's run.seed)")
    p.add_argument("--jobs", type=WORKERS, default=None, help="worker processes (default: all cores)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run the simulations on Dask: 'local' starts a LocalCluster, or tcp://HOST:PORT")
    p.add_argument("--units-only", action="store_true", help="plan response units only; keep today's call handlers")
    p.add_argument("--pattern", action="store_true",
                   help="also search team patterns (cycles, tours, number and size of teams; equal teams unless "
                        "--unequal-teams, an overlay team with --overlay) judged by simulation; writes the cheapest "
                        "that meets as pattern.toml, with teams.csv and a 5-week calendar")
    p.add_argument("--overlay", type=_overlay, metavar='"DAYS HH:MM Nh"',
                   help='with the team patterns, an overlay team on a fixed weekly tour beside the rotating teams, '
                        'e.g. "Thu-Sat 17:00 10h" (days: a range or a comma list; a start on the hour or half-hour): '
                        "its size is chosen by the search with the teams' (0 if it does not pay); implies --pattern")
    p.add_argument("--unequal-teams", action="store_true",
                   help="with the team patterns, let the teams differ in size (each chosen by integer program so "
                        "that every week of the cycle covers the target; default: equal teams); implies --pattern")
    p.add_argument("--frontier", action="store_true",
                   help="also the trade-off: the cheapest template and pattern at a ladder of budgets from today's "
                        "rota to the answer, each simulated paired with today (frontier.csv, frontier.png); "
                        "implies --pattern")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--resume", metavar="DIR", help="finish a stopped plan in DIR (only --jobs, --dask and --quiet apply)")
    p.set_defaults(func=cmd_plan)
    # what the options default to, carried on the arguments (to refuse options beside --resume)
    p.set_defaults(plan_defaults={a.dest: a.default for a in p._actions if a.dest != "help"})
    return p


_RESUME_ONLY = ("resume", "jobs", "dask", "quiet")


def cmd_plan(args) -> int:
    from sim.cli.common import default_run_dir, default_scenario_path
    from sim.plan.folder import start_folder
    from sim.plan.refine import Options, Planner
    from sim.plan.store import digest

    if args.resume:
        defaults = args.plan_defaults
        given = [f"--{k.replace('_', '-')}" for k, v in vars(args).items()
                 if k in defaults and k not in _RESUME_ONLY and v != defaults[k]]
        if given:
            raise ScenarioError("plan", "--resume", args.resume, "only --jobs, --dask and --quiet apply beside it (the "
                                f"options saved in the plan folder are used), not {', '.join(given)}")
        args.context.folder, args.context.resume = Path(args.resume), "triage-sim plan --resume"
        return _resume(Path(args.resume), args)
    path = Path(args.scenario) if args.scenario else default_scenario_path()
    s = load_scenario(path, [f"run.days={args.days}"] if args.days is not None else [])
    out = check_out(Path(args.out) if args.out else default_run_dir(Path("results"), f"plan-{s.meta.name}"),
                    "plan folder")
    opts = Options(search_days=args.search_days, search_reps=args.search_reps, final_reps=args.reps,
                   lengths=args.lengths, starts=args.starts, max_starts=args.max_starts,
                   min_per_shift=args.min_per_shift, officers=args.officers, jobs=args.jobs, seed=args.seed,
                   units_only=args.units_only, dask=args.dask)
    Planner(s, opts)                    # candidate shifts checked before any folder is made
    if args.overlay:
        _check_overlay(s, args.overlay)
    command = "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["plan"] \
        else "triage-sim plan " + str(path)
    saved = {"scenario": str(path), "days": args.days, "options": {**asdict(opts), "jobs": None, "dask": None},
             "pattern": args.pattern or bool(args.overlay) or args.unequal_teams, "frontier": args.frontier,
             "command": command, "scenario_digest": digest(s.to_dict())}
    if args.overlay or args.unequal_teams:   # saved only when given: older plan folders stay as they were
        saved.update(overlay=args.overlay, unequal_teams=args.unequal_teams)
    start_folder(out, saved, s)
    args.context.folder, args.context.resume = out, "triage-sim plan --resume"   # named if a write fails
    try:
        return _plan(out, path, s, opts, saved, args)
    except ScenarioError:
        shutil.rmtree(out, ignore_errors=True)   # a request the planner cannot meet leaves no folder
        raise


def _resume(out: Path, args) -> int:
    from sim.plan.folder import read_saved
    from sim.plan.refine import Options
    from sim.plan.store import digest

    saved = read_saved(out)
    path = Path(saved["scenario"])
    try:
        s = load_scenario(path, [f"run.days={saved['days']}"] if saved["days"] is not None else [])
    except ScenarioError as exc:
        raise FolderError(f"{out}: the plan's scenario {path} no longer loads ({exc})") from None
    if digest(s.to_dict()) != saved["scenario_digest"]:
        raise FolderError(f"{out}: the scenario {path} has changed since the plan started; "
                          "start a new plan (its rota.toml is a delta of that file)")
    try:
        opts = Options(**{**saved["options"], "jobs": args.jobs, "dask": args.dask})
    except TypeError as exc:
        raise FolderError(f"{out}: damaged plan folder (planner.json options: {exc})") from None
    return _plan(out, path, s, opts, saved, args)


def _plan(out: Path, path: Path, s, opts, saved: dict, args) -> int:
    from tqdm import tqdm

    from sim.cli.common import Terminated
    from sim.plan.folder import write_plan
    from sim.plan.refine import Planner
    from sim.plan.store import PlanStore

    t0 = time.perf_counter()
    planner = Planner(s, opts, store=PlanStore(out))
    total = planner.simulations_up_front()
    bar = tqdm(total=total, unit="sim", desc="plan", file=sys.stderr, leave=False,
               disable=args.quiet or not sys.stderr.isatty())

    def say(msg: str) -> None:
        if not args.quiet:
            (print if bar.disable else tqdm.write)(f"[{time.perf_counter() - t0:5.0f} s] {msg}")
            sys.stdout.flush()

    planner.say, planner.progress = say, bar.update
    say(f"plan for {s.meta.name} in {out}: at most {total} simulations (replications): {opts.search_days:g} days x "
        f"{opts.search_reps} per rota while searching, {s.run.days:g} days x {opts.final_reps} for the final check")
    try:
        result = planner.run()
        pattern_text, note, extra, search, ans, front = None, "", {}, None, None, None
        if saved["pattern"] or saved.get("frontier"):
            search, ans, pattern_text, note, extra = _pattern(planner, result, out, saved)
        if saved.get("frontier"):
            from sim.plan.frontier import frontier
            front = frontier(planner, result, search, ans)
            result.simulations = planner.sims
    except KeyboardInterrupt as exc:
        bar.close()
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"triage-sim: {what}; the finished steps are saved: finish with triage-sim plan --resume {out}",
              file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    bar.total = bar.n
    bar.close()
    write_plan(result, path, out, saved["command"], time.perf_counter() - t0, pattern_text, note, extra, front)
    if not args.quiet:
        if note:
            print(note)
        if front is not None:
            from sim.plan.frontier_figure import marginal_sentence
            print(marginal_sentence(front))
        print(f"{'MEETS' if result.meets else 'does NOT meet'} the recommendation; "
              f"{result.simulations} simulations in {time.perf_counter() - t0:.0f} s")
        print(f"plan: {out} (rota.toml, requirement.csv, iterations.csv, report.html"
              f"{', pattern.toml, patterns.csv, teams.csv, calendar.csv, calendar.png' if pattern_text else ''}"
              f"{', frontier.csv, frontier.png' if front is not None else ''})")
    return 0


def _check_overlay(s, text: str) -> None:
    """The overlay's tour within the scenario's fatigue limits (one line, exit 2, if not)."""
    import datetime as dt

    from sim.plan.roster_space import fatigue_limits, parse_overlay
    from sim.scenario import REST, Pattern
    from sim.scenario.rota import fatigue_problem
    tour = parse_overlay(text)
    p = Pattern.model_validate({"anchor": dt.date(2016, 9, 5), "cycle": [REST], "teams": {"T": {"size": 0, "offset": 0}},
                                "shift_types": {"A": {"start": "07:00", "hours": 8}}, **fatigue_limits(s),
                                "overlay": {tour.name: tour.table(1)}})
    problem = fatigue_problem(p)
    if problem is not None:
        raise ScenarioError("plan", "--overlay", text, f"{problem[2]}; the scenario's fatigue limits apply")


def _pattern(planner, result, out: Path, saved: dict | None = None) -> tuple:
    """The pattern search after the template plan: the search, its answer, pattern.toml's text,
    the sentence, manifest fields."""
    from sim.plan.pattern_file import pattern_toml, patterns_frame, why_dearer
    from sim.plan.hr_sheet import calendar_frame, calendar_png, teams_frame
    from sim.plan.roster_search import PatternSearch, with_pattern
    from sim.util.cells import write_csv
    from sim.util.files import atomic_write

    from sim.plan.roster_space import parse_overlay
    saved = saved or {}
    overlay = parse_overlay(saved["overlay"]) if saved.get("overlay") else None
    search = PatternSearch(planner, result, overlay=overlay, unequal=bool(saved.get("unequal_teams")))
    ans = search.run()
    result.simulations = planner.sims
    atomic_write(out / "patterns.csv", write_csv(patterns_frame(ans)))
    if ans.roster is None:
        return search, ans, None, ("no team pattern met the recommendation in the search (patterns.csv lists each family's "
                      "cheapest and each pattern simulated)"), {"pattern_meets": False}
    # the HR sheet, from the pattern as the simulation reads it
    sc = with_pattern(result.scenario, ans.roster.pattern(ans.anchor, ans.limits), planner.handlers)
    atomic_write(out / "teams.csv", write_csv(teams_frame(sc)))
    atomic_write(out / "calendar.csv", write_csv(calendar_frame(sc)))
    atomic_write(out / "calendar.png", calendar_png(sc))
    note = (f"team pattern (pattern.toml; teams.csv and calendar.csv for HR): {ans.roster.describe()}; "
            f"{'meets' if ans.meets else 'does NOT meet'} the recommendation in the final check. "
            + why_dearer(result, ans))
    extra = {"pattern_meets": ans.meets, "pattern_officer_hours": ans.roster.officer_hours,
             "pattern_people": ans.roster.people, "template_officer_hours": ans.template_hours}
    if ans.roster.overlay is not None:
        extra["pattern_overlay_officers"] = ans.roster.overlay[1]
    return search, ans, pattern_toml(result, ans, out), note, extra
