"""``triage-sim audit`` (a force's own downgrades from its extract and grade log, optionally beside a
simulated run) and ``triage-sim export-extract`` (a simulated run written as such an extract, to
test the audit where the answer is known). Registered by ``sim.cli.main``; the work is in
``sim.data.audit``, ``sim.data.audit_sim``, ``sim.data.audit_page`` and ``sim.data.export``."""
from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from sim.cli.common import new_folder, whole
from sim.scenario import ScenarioError
from sim.util.cells import write_csv

TABLES = ("by_hour_of_week", "by_week", "by_month", "by_category", "by_load", "attendance")


_count = whole(0, 1_000_000)


def register(subparsers) -> None:
    a = subparsers.add_parser(
        "audit", help="a force's own downgrades: from its CAD extract and grade log, by hour, load, reason, "
                      "optionally beside a simulated run",
        description="Reads EXTRACT through MAP.toml and, with --log, the force's log of grade changes; classifies "
                    "each downgrade (resource-led, re-assessment, other) by the map's reason codes, keywords and "
                    "no-reason rule; writes audit.html, downgrades_observed.csv, by_hour_of_week.csv, by_week.csv, "
                    "by_month.csv, by_category.csv, by_load.csv, attendance.csv, quality.csv and figures/. Without "
                    "--log, opening and closing grade columns give net downgrades (layout b). With --compare "
                    "RESULTS_DIR (a run made with --events), the tables gain simulated columns with 95% intervals.")
    a.add_argument("extract", help="CAD extract (CSV, may be .gz)")
    a.add_argument("--map", required=True, help="MAP.toml saying how to read the extract and the grade log")
    a.add_argument("--log", help="the force's grade log (CSV): one row per grade change, read by the map's [grade_log]")
    a.add_argument("--compare", metavar="RESULTS_DIR", help="a triage-sim run made with --events, to show beside")
    a.add_argument("--out", required=True, help="output folder; never overwritten")
    a.add_argument("--quiet", action="store_true", help="print nothing unless something fails")
    a.set_defaults(func=cmd_audit)

    e = subparsers.add_parser(
        "export-extract", help="write a simulated run as a CAD extract, grade log and map (to test the audit)",
        description="Writes replication --rep of RESULTS_DIR (a run made with --events) as incidents.csv, "
                    "grade_log.csv, map.toml (layout a), map-net.toml (layout b) and expected.json (the model's own "
                    "counts the audit must recover), with defects injected on request.")
    e.add_argument("results", metavar="RESULTS_DIR", help="a triage-sim run made with --events")
    e.add_argument("--out", required=True, help="output folder; never overwritten")
    e.add_argument("--rep", type=_count, default=0, help="which replication's event log, by its number (default 0)")
    e.add_argument("--missing-reasons", type=_count, default=0, metavar="N",
                   help="resource-led downgrades written with no reason code and no text")
    e.add_argument("--unknown-codes", type=_count, default=0, metavar="N", help="changes given a code the map does not list")
    e.add_argument("--out-of-order", type=_count, default=0, metavar="N", help="changes moved to the end of the log")
    e.add_argument("--missing-ids", type=_count, default=0, metavar="N",
                   help="incidents with grade changes left out of the extract")
    e.add_argument("--seed", type=_count, default=1, help="which changes and incidents get the defects (default 1)")
    e.add_argument("--quiet", action="store_true", help="print nothing unless something fails")
    e.set_defaults(func=cmd_export)


def _command(name: str) -> str:
    return "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == [name] else f"triage-sim {name}"


def cmd_audit(args) -> int:
    import pandas as pd

    from sim import __version__
    from sim.data.audit import downgrades_table, measure, observed_records, quality_frame, MONDAY
    from sim.data.audit_page import audit_page, figures
    from sim.data.audit_sim import simulated_runs, with_simulated
    from sim.data.extract import read_extract
    from sim.data.grade_log import read_grade_log
    from sim.data.map import load_map
    from sim.util.files import atomic_folder, atomic_write

    t0 = time.perf_counter()
    m = load_map(args.map)
    if args.log and m.grade_log is None:
        raise ScenarioError(args.map, "grade_log", None, "--log was given but the map has no [grade_log] section "
                            "saying how to read it (columns id, time, from_grade, to_grade)")
    if args.log and m.columns.id is None:
        raise ScenarioError(args.map, "columns.id", None, "a grade log is joined to the extract by incident number: "
                            "give the extract's incident number column as columns.id")
    final = new_folder(Path(args.out), "audit")
    rec = read_extract(args.extract, m)
    glog = read_grade_log(args.log, m) if args.log else None
    sims = simulated_runs(Path(args.compare)) if args.compare else []
    data = observed_records(rec, glog, m)
    tables = measure(data)
    sim_tables = [measure(s) for s in sims]
    summary = None
    if sims:
        tables = {k: with_simulated(k, v, [s[k] for s in sim_tables]) for k, v in tables.items()}
        summary = _summary(data, sims)
    quality = quality_frame(data)
    figs = figures(data, tables)

    def when(w):
        return str(pd.Timestamp(MONDAY + pd.Timedelta(minutes=w)))

    with atomic_folder(final) as tmp:
        atomic_write(tmp / "downgrades_observed.csv", write_csv(downgrades_table(data)))
        for name in TABLES:
            atomic_write(tmp / f"{name}.csv", write_csv(tables[name]))
        atomic_write(tmp / "quality.csv", write_csv(quality))
        if summary is not None:
            atomic_write(tmp / "summary.csv", write_csv(summary))
        (tmp / "figures").mkdir()
        for name, _, png in figs:
            atomic_write(tmp / "figures" / name, png)
        files = ", ".join(["downgrades_observed.csv", *(f"{n}.csv" for n in TABLES), "quality.csv"]
                          + (["summary.csv"] if summary is not None else []) + ["figures/"])
        atomic_write(tmp / "audit.html", audit_page(
            data, tables, quality, figs, title=f"Downgrade audit: {m.name}", extract=Path(args.extract).name,
            log=Path(args.log).name if args.log else None, map_name=m.name,
            period=f"{when(data.lo)} to {when(data.hi)} (end exclusive)", compare=args.compare, reps=len(sims),
            version=__version__, command=_command("audit"), summary=summary, files=files))
    if not args.quiet:
        for line in _printout(data, quality):
            print(line)
        print(f"audit: {final} (audit.html, downgrades_observed.csv, by_hour_of_week.csv, quality.csv) in "
              f"{time.perf_counter() - t0:.1f} s")
    return 0


def _summary(data, sims):
    """Observed and simulated side by side: downgrades a week by kind, and the share of resource-led
    downgraded incidents attended more than 48 h after the call or never."""
    import pandas as pd

    from sim.data.audit import KINDS, downgrades_in_period, attendance
    from sim.util.stats import clip_ci, mean_ci

    def values(d):
        dd = downgrades_in_period(d)
        out = {f"{k} downgrades a week": (dd["kind"] == k).sum() / d.weeks for k in KINDS if k != "unclassified"}
        last = attendance(d).iloc[-1]
        out["resource-downgraded incidents attended > 48 h after the call (share)"] = last["share_over_48h"]
        out["resource-downgraded incidents never attended (share)"] = last["share_never"]
        return out

    obs = values(data) if data.layout == "a" else {}
    sims_v = [values(s) for s in sims]
    rows = []
    for k in sims_v[0]:
        ci = clip_ci(mean_ci([v[k] for v in sims_v]), 0.0, 1.0 if "share" in k else float("inf"))
        rows.append({"measure": k, "observed": obs.get(k, float("nan")), "simulated_mean": ci["mean"],
                     "simulated_low": ci["ci_low"], "simulated_high": ci["ci_high"], "replications": ci["reps"]})
    return pd.DataFrame(rows)


def _printout(data, quality) -> list[str]:
    q = quality
    lines = []
    if data.layout == "a":
        kinds = q[q["section"] == "downgrades by kind"]
        lines.append("downgrades in the period: " + ", ".join(f"{k} {int(n)}" for k, n in zip(kinds["item"], kinds["rows"]))
                     + f" over {data.weeks:.2f} weeks")
        hr = q[(q["section"] == "resource-led downgrades by opening grade") & q["item"].str.startswith("high risk")]
        lines.append(f"resource-led downgrades of incidents first graded G1 or G2: {int(hr['rows'].sum())}")
        rule = q[q["section"] == "decided by the no-reason rule"]
        lines.append(f"decided by the no-reason rule: {int(rule['rows'].sum())}")
        d = q[q["section"] == "defects"]
        lines += [f"  {item}: {int(n)}" for item, n in zip(d["item"], d["rows"])]
    elif data.layout == "b":
        lines.append("layout (b): net downgrades from opening and closing grades; no times or reasons (see audit.html)")
    else:
        lines.append("no grade log and no opening/closing grade columns: no downgrade can be measured (see audit.html)")
    return lines


def cmd_export(args) -> int:
    from sim.data.export import Defects, export, write_export
    from sim.util.files import atomic_folder

    t0 = time.perf_counter()
    final = new_folder(Path(args.out), "export")
    parts = export(Path(args.results), args.rep, Defects(args.missing_reasons, args.unknown_codes, args.out_of_order,
                                                          args.missing_ids), args.seed)
    with atomic_folder(final) as tmp:
        write_export(tmp, parts)
    if not args.quiet:
        exp = parts[4]
        print(f"exported {len(parts[0]):,} incidents and {len(parts[1]):,} grade changes of replication {args.rep}; "
              f"{exp['resource_downgrades']} resource-led downgrades in the period, "
              f"{exp['downgraded_attended_over_48h']} attended more than 48 h after the call")
        print(f"export-extract: {final} (incidents.csv, grade_log.csv, map.toml, map-net.toml, expected.json) in "
              f"{time.perf_counter() - t0:.1f} s")
    return 0
