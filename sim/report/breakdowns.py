"""The report's "By incident category and by month" section (issue 25): the tables behind
figures 9 and 10, each column headed with its unit and period (the catalogue's one rule: counts
per week, shares over the measured days), the seasonal caveat when the run is too short for one.
The numbers come from ``sim.report.figures.breakdowns.breakdown``, as the figures' do.
"""
from __future__ import annotations

import math

from markupsafe import Markup

from sim.measures.catalogue import PERIOD_RULE
from sim.report.figures.breakdowns import breakdown, month_name, seasonal_note
from sim.report.folder import Folder
from sim.report.templating import render

# (measure, heading, unit and period, format)
CATEGORY_COLUMNS = (("incidents", "incidents graded G1–G3", "per week", "{:,.1f}"),
                    ("g12", "of which G1/G2", "per week", "{:,.1f}"),
                    ("resource_downgrades", "resource-driven downgrades", "per week", "{:,.1f}"),
                    ("in_target", "G1/G2 attended within standard", "% of initial G1/G2, over the measured days",
                     "{:.1%}"))
MONTH_COLUMNS = (("days", "measured days", "days in the month", "{:.0f}"),
                 ("calls", "calls offered", "per day", "{:,.0f}"),
                 ("incidents", "incidents graded G1–G3", "per week", "{:,.1f}"),
                 ("resource_downgrades", "resource-driven downgrades", "per week", "{:,.1f}"),
                 ("in_target", "G1/G2 attended within standard", "% of initial G1/G2 in the month", "{:.1%}"))


def _cell(fmt: str, v: float, hw: float) -> str:
    if v is None or v != v:
        return "n/a"
    text = fmt.format(v)
    if hw == hw and hw is not None and hw > 0:
        text += " ± " + (f"{hw * 100:.1f}" if "%" in fmt else fmt.format(hw).replace(",", ""))
    return text


def tables(f: Folder) -> list[dict]:
    """Each table of the section: {title, who, headings [(name, unit)], rows [[cells]], note}."""
    out = []
    if f.kind == "sweep":
        return out
    for a in f.arms:
        who = a.label if f.kind == "compare" else ""
        for by, cols, name in (("category", CATEGORY_COLUMNS, "incident category"), ("month", MONTH_COLUMNS, "month")):
            t = breakdown(a, by)
            if t.empty:
                out.append({"title": f"By {name}", "who": who, "headings": [], "rows": [],
                            "note": "not in this results folder (written before the breakdowns existed; rerun)"})
                continue
            if by == "category":
                t = t.sort_values("incidents", ascending=False, kind="stable")
            rows = [[month_name(str(r["key"])) if by == "month" else str(r["key"]).replace("_", " ")]
                    + [_cell(fmt, r.get(m, math.nan), r.get(m + "_hw", math.nan)) for m, _, _, fmt in cols]
                    for _, r in t.iterrows()]
            out.append({"title": f"By {name}", "who": who,
                        "headings": [(name, "")] + [(h, u) for _, h, u, _ in cols], "rows": rows,
                        "note": seasonal_note(t) if by == "month" else ""})
    return out


def breakdowns_html(f: Folder) -> Markup:
    return render("breakdowns.html.j2", tables=tables(f), period_rule=PERIOD_RULE,
                  reps=max((a.reps for a in f.arms), default=0))
