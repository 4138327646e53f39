"""Data quality first: every row read is counted once, as demand or under the one reason it was
excluded, per priority code; and for the demand rows, why a duration was left out of its fit.
Written as data-quality.csv (long: section, reason, priority, rows) and data-quality.md (the
extract's name, the map's name and the priority codes in it shown as written, never read as
Markdown: ``sim.util.cells``)."""
from __future__ import annotations

from sim.data.extract import MEASURES, ROW_REASONS, USED, Records
from sim.util.cells import markdown_code, markdown_text

SECTION_ROWS = "rows"
MEASURE_TITLES = {"handling": "call handling (created -> ready for dispatch)",
                  "travel": "travel (first dispatch -> first on scene)",
                  "on_scene": "on scene (first on scene -> clear)"}


def quality_table(rec: Records):
    """Long table; the 'rows' section adds up to the rows read (checked)."""
    import pandas as pd

    f = rec.frame
    out = []
    prios = _codes(f["priority"])
    for reason in (USED,) + ROW_REASONS:
        sel = f[f["reason"] == reason]
        if sel.empty and reason != USED:
            continue
        counts = sel["priority"].value_counts()
        for p in prios:
            out.append((SECTION_ROWS, reason, p, int(counts.get(p, 0))))
    d = rec.demand
    for m in MEASURES:
        why = d[f"{m}_reason"].replace("", "used")
        for reason in ["used"] + sorted(set(why) - {"used"}):
            counts = d.loc[why == reason, "priority"].value_counts()
            for p in _codes(d["priority"]):
                out.append((m, reason, p, int(counts.get(p, 0))))
    table = pd.DataFrame(out, columns=["section", "reason", "priority", "rows"])
    total = int(table.loc[table["section"] == SECTION_ROWS, "rows"].sum())
    if total != rec.rows_read:   # pragma: no cover - a reason left uncounted is a bug
        raise AssertionError(f"data quality: {total} rows accounted for, {rec.rows_read} read")
    return table


def _codes(series) -> list[str]:
    vals = set(series.astype(str))
    return sorted(vals, key=lambda p: (0, float(p)) if p.replace(".", "", 1).isdigit() else (1, p))


def quality_markdown(rec: Records, table, source: str) -> str:
    f = rec.frame
    lines = [f"# Data quality: {markdown_text(source)}", "",
             f"Map: {markdown_code(rec.map.name)}. Rows read: **{rec.rows_read:,}**; used as demand: "
             f"**{int((f['reason'] == USED).sum()):,}**. Each row is counted once, under the first reason "
             "that applies, in the order below; the counts add up to the rows read.", ""]
    lines += _pivot_md(table[table["section"] == SECTION_ROWS], "reason", total_label="rows read")
    for m in MEASURES:
        part = table[table["section"] == m]
        if part.empty:
            continue
        lines += ["", f"## Demand rows in the {MEASURE_TITLES[m]} fit", "",
                  "Rows left out here still count as arrivals (demand); only this duration is not used.", ""]
        lines += _pivot_md(part, "reason", total_label="demand rows")
    return "\n".join(lines) + "\n"


def _pivot_md(part, by: str, total_label: str) -> list[str]:
    pv = part.pivot_table(index=by, columns="priority", values="rows", aggfunc="sum", sort=False, fill_value=0)
    cols = _codes(part["priority"])
    pv = pv[cols]
    head = f"| {by} | " + " | ".join(f"P{markdown_text(c)}" for c in cols) + " | all |"
    lines = [head, "|---|" + "---:|" * (len(cols) + 1)]
    for reason, row in pv.iterrows():
        lines.append(f"| {reason} | " + " | ".join(f"{int(v):,}" for v in row) + f" | {int(row.sum()):,} |")
    tot = pv.sum()
    lines.append(f"| **{total_label}** | " + " | ".join(f"**{int(v):,}**" for v in tot) + f" | **{int(tot.sum()):,}** |")
    return lines
