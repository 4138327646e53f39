"""The report's "How to reproduce" section: the version, seed, replications and command that made the
results, and how to draw the report again from the saved files without re-running anything.
"""
from __future__ import annotations

import html

from sim import CITATION, __version__
from sim.report.folder import Folder
from sim.report.sweep_points import value_text

def reproduce_html(f: Folder) -> str:
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
    out = ["<table class=\"repro\">" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
           + "</table>"]
    if cmd:
        out.append(f"<p>The exact command:</p><pre>{_e(cmd)}</pre>")
    else:
        out.append("<p>No command was recorded (the experiment was run from Python); the resolved scenario "
                   "<code>scenario.toml</code> in each arm's folder, the seed and the replications above "
                   "reproduce it.</p>")
    out.append("<p>The same seed gives the same numbers, bit for bit, whichever executor ran them. Each arm's "
               "<code>scenario.toml</code> is the fully resolved scenario and runs as is. To draw these figures "
               f"and this report again from the saved files, without re-running anything:</p>"
               f"<pre>triage-sim report path/to/{_e(f.root.name)}</pre>")
    return "\n".join(out)


def _e(x) -> str:
    return html.escape(str(x), quote=True)
