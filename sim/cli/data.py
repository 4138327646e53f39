"""``triage-sim fit`` and ``triage-sim backtest``: the command line of sim/data (registered by
``sim.cli.main`` through ``register``). Heavy imports happen inside the commands."""
from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from sim.cli.common import SEED, WORKERS, finite_number, new_folder, replications
from sim.scenario import ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.util.cells import read_csv, write_csv


BASE_ROOT_HELP = ("a folder base files (and traces) may also come from (by default: the scenario's own folder, the "
                  "nearest enclosing 'scenarios' folder and the shipped scenarios/) (repeatable)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fit", help="fit a scenario from a force's CAD extract (data quality, demand, durations, arrival test)",
        description="Reads EXTRACT through MAP.toml, counts every row (data-quality.md/.csv), fits demand and "
                    "durations into a scenario that is a delta of --base (each value tagged [D: fitted from ...]), "
                    "tests the Poisson assumption per hour-of-week block (Kim & Whitt 2014) and writes report.html. "
                    "With --calibrate-units, also finds the units per shift with which a back-test's dispatch delays "
                    "match the observed ones.")
    p.add_argument("extract", help="CAD extract (CSV, may be .gz)")
    p.add_argument("--map", required=True, help="MAP.toml saying how to read the extract")
    p.add_argument("--base", help="scenario the fit is a delta of (default the shipped default)")
    p.add_argument("--out", help="output folder (default results/fit-<map name>-<timestamp>/); never overwritten")
    p.add_argument("--calibrate-units", action="store_true",
                   help="search the units per shift (one scale per shift) to match observed dispatch-delay medians")
    p.add_argument("--reps", type=replications(), default=3,
                   help="replications per evaluation with --calibrate-units (default 3)")
    p.add_argument("--seed", type=SEED, help="random seed (default the base's run.seed)")
    p.add_argument("--jobs", type=WORKERS, default=1, help="worker processes for the replications (default 1)")
    p.add_argument("--quiet", action="store_true", help="print nothing unless something fails")
    p.add_argument("--base-root", action="append", metavar="DIR", help=BASE_ROOT_HELP)
    p.add_argument("--allow-large", action="store_true", help="calibrate even beyond the size limits of a run")
    _add_window(p, "fitted")
    p.set_defaults(func=cmd_fit)

    b = subparsers.add_parser(
        "backtest", help="replay observed calls through a scenario and compare dispatch and attendance times",
        description="A trace-driven replay: the observed arrivals, grades and durations run through SCENARIO's "
                    "response model; observed and simulated call -> first dispatch and call -> first on scene are "
                    "compared per grade and per priority (p50, p90 with intervals, KS distance, QQ figure).")
    b.add_argument("extract", help="CAD extract read with --map, or (without --map) a trace CSV (see sim/scenario/trace.py)")
    b.add_argument("scenario", help="scenario TOML whose response model is tested")
    b.add_argument("--map", help="MAP.toml for a CAD extract")
    b.add_argument("--out", help="output folder (default results/backtest-<scenario>-<timestamp>/); never overwritten")
    b.add_argument("--reps", type=replications(), default=10, help="replications (default 10)")
    b.add_argument("--seed", type=SEED, help="random seed (default the scenario's run.seed)")
    b.add_argument("--warmup-hours", type=finite_number(0), help="first hours of the trace not compared (default: the "
                   "map's, else 24)")
    b.add_argument("--jobs", type=WORKERS, default=1, help="worker processes (default 1)")
    b.add_argument("--quiet", action="store_true", help="print nothing unless something fails")
    b.add_argument("--base-root", action="append", metavar="DIR", help=BASE_ROOT_HELP)
    b.add_argument("--allow-large", action="store_true", help="replay even beyond the size limits of a run")
    _add_window(b, "replayed and compared")
    b.set_defaults(func=cmd_backtest)


def _add_window(q, what: str) -> None:
    q.add_argument("--start", metavar="YYYY-MM-DD", help=f"first day of calls {what} (overrides the map's filter.start; "
                   "without --map, a trace's rows before it are left out)")
    q.add_argument("--end", metavar="YYYY-MM-DD", help=f"day after the last day of calls {what}, exclusive (overrides the "
                   "map's filter.end); e.g. fit --end 2025-11-16, then backtest --start 2025-11-16 for out of sample")


def _date(name: str, text: str | None):
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ScenarioError(name, "", text, "expected a date YYYY-MM-DD (e.g. 2025-11-16)") from None


def _window(args, start=None, end=None):
    """(start, end exclusive) from --start / --end over ``start`` / ``end`` (the map's filter),
    checked: a bad date or an end on or before the start is one line naming the option."""
    s_opt, e_opt = _date("--start", args.start), _date("--end", args.end)
    lo, hi = s_opt or start, e_opt or end
    if lo is not None and hi is not None and hi <= lo:
        if e_opt is not None:
            where = "--start" if s_opt is not None else "the map's filter.start"
            raise ScenarioError("--end", "", args.end, f"must be after the start ({lo} from {where}); the end is exclusive")
        raise ScenarioError("--start", "", args.start, f"must be before the end ({hi} from the map's filter.end, exclusive)")
    return lo, hi


def _windowed_map(args, m):
    """The map with --start / --end put in its filter (the map is frozen: a copy)."""
    if args.start is None and args.end is None:
        return m
    lo, hi = _window(args, m.filter.start, m.filter.end)
    return m.model_copy(update={"filter": m.filter.model_copy(update={"start": lo, "end": hi})})


def _say(args, t0):
    def say(msg: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - t0:5.1f} s] {msg}", flush=True)
    return say


def cmd_fit(args) -> int:
    import json

    from sim import __version__
    from sim.cli.common import default_scenario_path
    from sim.util.files import atomic_folder, atomic_write
    from sim.scenario import load_scenario, load_written
    from sim.data.backtest import replay, replay_scenario
    from sim.data.calibrate import calibrate_all
    from sim.experiment.limits import check_size
    from sim.data.practice import fit_practice
    from sim.data.extract import read_extract
    from sim.data.fit import fit_records
    from sim.data.map import load_map
    from sim.data.quality import quality_markdown, quality_table
    from sim.data.report import (arrivals_html, backtest_figure, backtest_html, by_load_figure, calibration_html,
                                 fit_figures, fit_page, fit_values_html, practice_html, replay_used_html, verdict_html)
    from sim.data.scenario_out import scenario_text, write_scenario
    from sim.data.trace import records_trace

    t0 = time.perf_counter()
    say = _say(args, t0)
    m = _windowed_map(args, load_map(args.map))
    base = Path(args.base) if args.base else default_scenario_path()
    base_s = load_scenario(base, roots=args.base_root)
    final = new_folder(args.out, f"fit-{m.name}")   # before the extract is read: nowhere to write, no work
    rec = read_extract(args.extract, m)
    source = Path(args.extract).name
    say(f"read {rec.rows_read:,} rows of {source}; {len(rec.demand):,} are demand")
    with atomic_folder(final) as tmp:
        table = quality_table(rec)
        atomic_write(tmp / "data-quality.csv", write_csv(table))
        atomic_write(tmp / "data-quality.md", quality_markdown(rec, table, source))
        fit = fit_records(rec)
        say(f"fitted {fit.n:,} calls over {fit.days:g} days ({fit.tag()})")
        practice = fit_practice(rec)
        trace = records_trace(rec)
        atomic_write(tmp / "trace.csv", write_csv(trace))
        atomic_write(tmp / "arrivals.csv", write_csv(fit.arrivals))
        name = f"{m.name}-fitted"
        areas = list(base_s.response.areas)
        base = _reachable_base(base, base_s, final, tmp, args.base_root)
        write_scenario(scenario_text(fit, source, base, final, name, areas, practice=practice), tmp / "scenario.toml",
                       args.base_root)
        seed = base_s.run.seed if args.seed is None else args.seed
        tables, figures = [], fit_figures(fit)
        cal = pre = lead = None
        if args.calibrate_units:
            def write(units=None, note="", shares=None, rank_lead=None):
                """Write the fitted scenario with these units, shares and rank lead; its replay of the trace."""
                write_scenario(scenario_text(fit, source, base, final, name, areas, units, calibration_note=note,
                                             practice=practice, preemption=shares, rank_lead=rank_lead),
                               tmp / "scenario.toml", args.base_root)
                return replay_scenario(load_written(tmp / "scenario.toml", roots=args.base_root),
                                       str((tmp / "trace.csv").resolve()))

            check_size([write()], args.reps, max(1, min(args.jobs, args.reps)), args.allow_large)
            say(f"calibrating units per shift, then the rank lead and the pre-emption shares, twice: {args.reps} replications per "
                f"evaluation, seed {seed}")
            cal, units, note, pre, shares, lead = calibrate_all(write, bool(practice.holds or practice.grade_holds), args.reps,
                                                          seed, m.fit.comparison_warmup_hours, say, args.jobs, source,
                                                          fit.tag())
            import pandas as pd
            hist = pd.DataFrame([{"step": st, **{f"units_{k}": str(v) for k, v in u.items()},
                                  **{f"median_{k}": v for k, v in med.items()}, "median_all": allm}
                                 for st, u, med, allm in cal.history])
            atomic_write(tmp / "calibration.csv", write_csv(hist))
            s = replay_scenario(load_written(tmp / "scenario.toml", roots=args.base_root), str((tmp / "trace.csv").resolve()))
            rp = replay(s, max(args.reps, 10), seed, m.fit.comparison_warmup_hours, jobs=args.jobs)
            bt, bl, v, sentence = _backtest_outputs(tmp, rp)
            figures += [backtest_figure(rp, bt), by_load_figure(bl)]
            tables.append(("Calibrated units per shift", calibration_html(cal)))
            tables.append(("Back-test of the calibrated scenario: verdict (in sample)", verdict_html(v, sentence)))
            tables.append(("What the back-test's replay used", replay_used_html(s)))
            tables.append(("Back-test of the calibrated scenario (remaining distance)", backtest_html(bt)))
            say(f"calibrated units {cal.units} after {cal.evaluations} evaluations")
            say(f"back-test of the calibrated scenario: {sentence}")
        figs = tmp / "figures"
        figs.mkdir()
        for fname, _, png in figures:
            atomic_write(figs / fname, png)
        summary = _fit_summary(fit, cal, practice, pre, lead)
        atomic_write(tmp / "fit.json", json.dumps(summary, indent=1, default=str) + "\n")
        command = "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["fit"] else "triage-sim fit"
        tables = [("Fitted values", fit_values_html(fit)), ("Arrival assumption (Kim & Whitt 2014)", arrivals_html(fit)),
                  ("The control room's dispatch practice", practice_html(practice, pre, lead))] + tables
        atomic_write(tmp / "report.html", fit_page(m.name, source, fit.tag(), fit.days, base, tables, figures,
                                                   __version__, command, seed))
    if not args.quiet:
        print(f"fit: {final} (scenario.toml, data-quality.md, report.html) in {time.perf_counter() - t0:.1f} s")
    return 0


def _reachable_base(base: Path, base_s, final: Path, tmp: Path, roots=None) -> Path:
    """The base the fitted scenario names: --base itself when a scenario in the output folder may
    name it (``sim.scenario.base_roots``, with the --base-root ``roots``), else its resolved copy
    written beside it as base.toml."""
    from sim.util.files import atomic_write
    from sim.scenario import base_roots
    from sim.scenario.writing import toml_text

    if any(base.resolve().is_relative_to(r) for r in base_roots(final / "scenario.toml", roots)):
        return base
    atomic_write(tmp / "base.toml", toml_text(base_s.to_dict(), header=f"{base} resolved (its base files merged), copied "
                 "here: a scenario may only name a base in its own folder, an enclosing 'scenarios' folder or the shipped scenarios/"))
    return final / "base.toml"


def cmd_backtest(args) -> int:
    import json

    from sim import __version__
    from sim.util.files import atomic_folder, atomic_write
    from sim.scenario import load_scenario
    from sim.data.backtest import fitted_period, period_summary, replay, replay_scenario
    from sim.experiment.limits import check_size
    from sim.data.report import (backtest_figure, backtest_html, backtest_page, by_load_figure, replay_used_html,
                                 verdict_html)

    t0 = time.perf_counter()
    say = _say(args, t0)
    m = None
    if args.map:
        from sim.data.map import load_map
        m = _windowed_map(args, load_map(args.map))
        window = (m.filter.start, m.filter.end)
    else:
        window = _window(args)
    s = load_scenario(args.scenario, roots=args.base_root)
    seed = s.run.seed if args.seed is None else args.seed
    warmup = args.warmup_hours
    final = new_folder(args.out, f"backtest-{s.meta.name}")
    with atomic_folder(final) as tmp:
        if m is not None:
            from sim.data.extract import read_extract
            from sim.data.trace import records_trace

            rec = read_extract(args.extract, m)
            trace_path = tmp / "trace.csv"
            atomic_write(trace_path, write_csv(records_trace(rec)))
            warmup = m.fit.comparison_warmup_hours if warmup is None else warmup
            say(f"read {rec.rows_read:,} rows of {Path(args.extract).name}; {len(rec.demand):,} are demand")
        else:
            from sim.scenario.trace import read_trace
            trace_path = Path(args.extract)
            if not trace_path.is_file():
                raise ScenarioError(trace_path, "", _NO_VALUE, "trace file not found (without --map, EXTRACT is a trace CSV)")
            read_trace(trace_path)
            if window != (None, None):
                trace_path = _trace_window(trace_path, window, tmp / "trace.csv")
        warmup = 24.0 if warmup is None else warmup
        if warmup < 0:
            raise ScenarioError("--warmup-hours", "", warmup, "expected a number of hours >= 0")
        rs = replay_scenario(s, str(trace_path.resolve()))
        check_size([rs], args.reps, max(1, min(args.jobs, args.reps)), args.allow_large)
        say(f"replaying {args.reps} replications of {rs.run.days:g} days, seed {seed}")
        rp = replay(rs, args.reps, seed, warmup, jobs=args.jobs, source=args.extract)
        bt, bl, v, sentence = _backtest_outputs(tmp, rp)
        period = period_summary(rp, rs.run.start_date, window, fitted_period(s), s.meta.description)
        qq, load_fig = backtest_figure(rp, bt), by_load_figure(bl)
        (tmp / "figures").mkdir()
        for fig in (qq, load_fig):
            atomic_write(tmp / "figures" / fig[0], fig[2])
        command = "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["backtest"] else "triage-sim backtest"
        atomic_write(tmp / "manifest.json", json.dumps({
            "version": __version__, "seed": seed, "replications": args.reps, "warmup_hours_not_compared": warmup,
            "scenario": str(args.scenario), "extract": str(args.extract), "map": args.map, "command": command,
            "days": rs.run.days, "start_date": str(rs.run.start_date), "period": period,
            "load_rule": rp.load_rule, "verdict": sentence}, indent=1) + "\n")
        sections = [("Verdict: call -> first dispatch per police priority", verdict_html(v, sentence), [qq]),
                    ("By load: the same calls, by how busy the force was", _load_note(rp), [load_fig]),
                    ("What the replay used", replay_used_html(rs), []),
                    ("Every measure and group (backtest.csv)", backtest_html(bt), [])]
        atomic_write(tmp / "report.html", backtest_page(s.meta.name, Path(args.extract).name, args.reps, seed, warmup,
                                                        [], [], __version__, command, period=period["sentence"],
                                                        sections=sections))
    if not args.quiet:
        print(_backtest_text(bt))
        print()
        print(_verdict_text(v))
        print(sentence)
        print(period["sentence"])
        print(f"backtest: {final} (backtest.csv, by_load.csv, verdict.csv, report.html) in {time.perf_counter() - t0:.1f} s")
    return 0


def _backtest_outputs(tmp: Path, rp):
    """backtest.csv, by_load.csv and verdict.csv of a replay, written in ``tmp``; the tables and
    the verdict's sentence."""
    from sim.util.files import atomic_write
    from sim.data.backtest import by_load, compare
    from sim.data.verdict import verdict, verdict_sentence

    bt = compare(rp)
    bl = by_load(rp)
    v = verdict(bt)
    atomic_write(tmp / "backtest.csv", write_csv(bt))
    atomic_write(tmp / "by_load.csv", write_csv(bl))
    atomic_write(tmp / "verdict.csv", write_csv(v))
    return bt, bl, v, verdict_sentence(v)


def _trace_window(path: Path, window: tuple, out: Path) -> Path:
    """The trace's rows created in ``window`` (first day, day after the last), written to ``out``."""
    import pandas as pd

    from sim.util.files import atomic_write

    df = read_csv(path, dtype=str, keep_default_na=False)
    day = pd.to_datetime(df["arrival"].str.strip(), format="ISO8601").dt.date
    keep = pd.Series(True, index=df.index)
    if window[0]:
        keep &= day >= window[0]
    if window[1]:
        keep &= day < window[1]
    if not keep.any():
        raise ScenarioError(path, "", _NO_VALUE, f"no call in the trace from {window[0] or 'its start'} to "
                            f"{window[1] or 'its end'} (--start / --end)")
    atomic_write(out, write_csv(df[keep]))
    return out


def _load_note(rp):
    from markupsafe import Markup

    from sim.report.templating import escape

    return Markup("<p>") + escape(f"Load of a call: the incidents the force had open when it came in, counted on the "
                                  f"observed trace (an incident is open from its creation to its close; {rp.load_rule}). "
                                  f"Bins: quintiles of that load over the compared calls; by_load.csv has the numbers.") + Markup("</p>")


# ---------------------------------------------------------------------------- small renderings
def _backtest_text(bt) -> str:
    lines = [f"{'measure':9} {'group':>9} {'n':>6}  {'obs p50':>8} {'sim p50 (95% CI)':>22}  {'obs p90':>8} "
             f"{'sim p90 (95% CI)':>22}  {'KS':>5}"]
    for _, r in bt.iterrows():
        g = r["value"] if r["group"] != "priority" else f"P{r['value']}"
        lines.append(f"{r['measure']:9} {g:>9} {r['n_observed']:6d}  {r['obs_p50']:8.1f} "
                     f"{r['sim_p50']:8.1f} ({r['sim_p50_lo']:5.1f}-{r['sim_p50_hi']:5.1f})  {r['obs_p90']:8.1f} "
                     f"{r['sim_p90']:8.1f} ({r['sim_p90_lo']:5.1f}-{r['sim_p90_hi']:5.1f})  {r['ks_distance']:5.2f}")
    return "\n".join(lines)


def _verdict_text(v) -> str:
    """The verdict as a short table: per priority, observed and simulated p50 and p90, KS, pass/fail."""
    lines = [f"{'priority':>14} {'n':>6}  {'p50 obs':>7} {'sim':>6} {'':4}  {'p90 obs':>7} {'sim':>6} {'':4}  "
             f"{'KS':>5} {'':4}  verdict"]
    for _, r in v[v["priority"] != "overall"].iterrows():
        def mark(c):
            return {"pass": "ok", "fail": "FAIL"}.get(r[f"{c}_pass"], "")
        lines.append(f"{r['label']:>14} {int(r['n']):6d}  {r['obs_p50']:7.1f} {r['sim_p50']:6.1f} {mark('p50'):4}  "
                     f"{r['obs_p90']:7.1f} {r['sim_p90']:6.1f} {mark('p90'):4}  {r['ks_value']:5.2f} {mark('ks'):4}  "
                     f"{r['pass'].upper()}")
    return "\n".join(lines)


def _fit_summary(fit, cal, practice=None, pre=None, lead=None) -> dict:
    out = {"n": fit.n, "start": str(fit.start), "end_exclusive": str(fit.end), "days": fit.days,
           "channels": {k: {"n": c["n"], "calls_per_day": c["calls_per_day"], "risk": c["risk"],
                            "hour_of_week": [float(x) for x in c["hour_of_week"]],
                            "handling": _dsum(c["handling"])} for k, c in fit.channels.items()},
           "month": fit.month, "grade_counts": fit.grade_counts, "priority_counts": fit.priority_counts,
           "travel": {k: _dsum(f) for k, f in fit.travel.items()},
           "on_scene": {k: _dsum(f) for k, f in fit.on_scene.items()}, "units": fit.units,
           "arrivals": fit.arrival_pooled, "smoothing": fit.smoothing}
    if cal is not None:
        out["calibration"] = {"units": cal.units, "scales": cal.scales, "observed_median": cal.observed,
                              "simulated_median": cal.simulated, "observed_p90": cal.observed_p90,
                              "simulated_p90": cal.simulated_p90, "on_tails": cal.tails, "calls": cal.n_calls,
                              "evaluations": cal.evaluations}
    if practice is not None:
        out["practice"] = {
            "quiet_rows": {p: int(v.size) for p, v in practice.quiet.items()},
            "decision": _dsum(practice.decision),
            "holds_by_priority": {p: _dsum(f) for p, f in practice.holds.items()},
            "holds_by_grade": {g: _dsum(f) for g, f in practice.grade_holds.items()}}
    for grade, p in (pre or {}).items():
        out.setdefault("preemption", {})[grade] = {"probability": p.probability, "observed_p90": p.observed_p90,
                                                   "simulated_p90": p.simulated_p90, "calls": p.g1_calls,
                                                   "preempted_per_replay": p.preempted, "history": p.history}
    if lead is not None:
        out["rank_lead"] = {"minutes": lead.minutes, "strict": lead.minutes is None, "codes": lead.codes,
                            "observed_p90": lead.observed_p90, "simulated_p90": lead.simulated_p90, "calls": lead.calls,
                            "history": lead.history}
    return out


def _dsum(f):
    if f is None:
        return None
    return {"n": f.n, "family": f.family, "ks_lognormal": f.ks if f.ks == f.ks else None, "median": f.median, "p90": f.p90, "table": f.table}
