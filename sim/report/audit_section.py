"""The report's "Downgrade audit" section: the first resource-driven downgrades of each arm as a
table (when, what, the true risk, how long it waited, whether its initial standard was still met),
and where the full list is (``downgrades.csv`` beside the report).
"""
from __future__ import annotations

import html

from sim.report.figures import plural
from sim.report.folder import Folder, read_csv

AUDIT_SHOWN = 10


def audit_html(f: Folder) -> str:
    """The first resource-driven downgrades of each arm, and where the full list is."""
    if f.kind == "sweep":
        return ("<p>Each sweep point's folder (<code>p000/</code>, <code>p001/</code>…) has its "
                "<code>downgrades.csv</code>: one row per resource-driven downgrade.</p>")
    out = []
    for a in f.arms:
        path = f.arm_dir(a.name) / "downgrades.csv"
        rel = f"{a.name}/downgrades.csv" if a.name else "downgrades.csv"
        table = read_csv(path)
        who = f"{_e(a.label)}: " if f.kind == "compare" else ""
        if table is None:
            out.append(f"<p>{who}no <code>{rel}</code> in this folder (made before the audit existed).</p>")
            continue
        n, reps = len(table), a.reps
        if n == 0:
            out.append(f"<p>{who}no resource-driven downgrade in {plural(reps, 'replication')}.</p>")
            continue
        shown = table.head(AUDIT_SHOWN)
        cols = [("replication", "rep"), ("date", "date"), ("time", "time"), ("category", "category"),
                ("true_risk", "true risk"), ("from_grade", "from"), ("to_grade", "to"),
                ("waited_unresourced_min", "waited (min)"), ("attended_after_min", "on scene after (min)"),
                ("initial_standard_met", "initial standard met")]
        head = "".join(f"<th>{_e(t)}</th>" for _, t in cols)
        body = "".join("<tr>" + "".join(f"<td>{_e(_cell(r.get(c)))}</td>" for c, _ in cols) + "</tr>"
                       for _, r in shown.iterrows())
        out.append(f"<p>{who}{plural(n, 'resource-driven downgrade')} in {plural(reps, 'replication')} (the "
                   f"<code>resource_downgrades</code> KPI, summed); the first {len(shown)} below, every one with "
                   f"its incident, channel, area, times and appointment in <code>{rel}</code> beside this report "
                   "(times in minutes from Monday 00:00 of week 1; 'on scene after' counts from the call).</p>"
                   f"<table class=\"audit\"><tr>{head}</tr>{body}</table>")
    return "\n".join(out)


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "never" if v is not None else ""
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"
    return str(v)


def _e(x) -> str:
    return html.escape(str(x), quote=True)
