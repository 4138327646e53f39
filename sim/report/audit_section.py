"""The report's "Downgrade audit" section: the first resource-driven downgrades of each arm as a
table (when, what, the true risk, how long it waited, whether its initial standard was still met),
and where the full list is (``downgrades.csv`` beside the report).
"""
from __future__ import annotations

from markupsafe import Markup

from sim.report.labels import plural
from sim.report.folder import Folder, read_csv
from sim.report.templating import render

AUDIT_SHOWN = 10


# (column of downgrades.csv, heading)
COLUMNS = (("replication", "rep"), ("date", "date"), ("time", "time"), ("category", "category"),
           ("true_risk", "true risk"), ("from_grade", "from"), ("to_grade", "to"),
           ("waited_unresourced_min", "waited (min)"), ("attended_after_min", "on scene after (min)"),
           ("initial_standard_met", "initial standard met"))


def audit_html(f: Folder) -> Markup:
    """The first resource-driven downgrades of each arm, and where the full list is."""
    arms = []
    for a in ([] if f.kind == "sweep" else f.arms):
        table = read_csv(f.arm_dir(a.name) / "downgrades.csv")
        shown = table.head(AUDIT_SHOWN) if table is not None else None
        arms.append({"who": a.label if f.kind == "compare" else None,
                     "rel": f"{a.name}/downgrades.csv" if a.name else "downgrades.csv",
                     "reps": plural(a.reps, "replication"),
                     "downgrades": plural(len(table), "resource-driven downgrade") if table is not None else "",
                     "rows": None if shown is None else [[_cell(r.get(c)) for c, _ in COLUMNS]
                                                         for _, r in shown.iterrows()]})
    return render("audit.html.j2", sweep=f.kind == "sweep", arms=arms, headings=[t for _, t in COLUMNS])


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "never" if v is not None else ""
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"
    return str(v)

