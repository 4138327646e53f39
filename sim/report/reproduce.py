"""The report's "How to reproduce" section: the version, seed, replications and command that made the
results, and how to draw the report again from the saved files without re-running anything.
"""
from __future__ import annotations

from markupsafe import Markup

from sim import CITATION, __version__
from sim.report.folder import Folder
from sim.report.sweep_points import value_text
from sim.report.templating import render


def reproduce_html(f: Folder) -> Markup:
    """The versions, seed, replications and command behind the results, and how to redraw the report."""
    m, plan = f.manifest, f.plan
    rows = [
        ("triage-sim version", m.get("version", plan.get("version", "?"))),
        ("kind", f.kind),
        ("seed", m.get("seed", plan.get("seed", "?"))),
        ("replications", f"{m.get('replications', plan.get('reps', '?'))} (first replication "
                         f"{m.get('first_replication', plan.get('first_rep', 0))})"),
        ("measured days", value_text(m.get("days", "?"))),
        ("warm-up days (discarded)", value_text(m.get("warmup_days", "?"))),
        ("stopped by", m.get("stopped_by") or "the number of replications asked for"),
        ("executor", f"{m.get('executor', '?')}, {m.get('workers', '?')} worker(s); results do not depend on it"),
        ("calls simulated", f"{m['calls_simulated']:,}" if isinstance(m.get("calls_simulated"), int) else "?"),
        ("wall time", f"{m['wall_time_s']:.1f} s" if isinstance(m.get("wall_time_s"), (int, float)) else "?"),
        ("Python", m.get("python", "?")),
        ("results created", m.get("created", "?")),
        ("cite as", CITATION if m.get("version", plan.get("version")) == __version__
         else f"triage-sim version {m.get('version', plan.get('version', '?'))} (see CITATION.cff)"),
    ]
    failed = m.get("failed_replications") or []
    if failed:
        rows.append(("failed replications", ", ".join(f"{x.get('arm') or 'run'} #{x.get('replication')}"
                                                      for x in failed)))
    cmd = m.get("command") or plan.get("command") or ""
    return render("reproduce.html.j2", rows=rows, command=cmd, folder=f.root.name)
