"""The audit's page and figures (``triage-sim audit``): audit.html for an inspector (what was read
and dropped, the no-reason rule and how many downgrades it decided, the values the map does not
classify, what the layout cannot measure, then the tables), and the PNG figures, observed and
simulated in one figure where ``--compare`` gave a run."""
from __future__ import annotations

import base64
import math

import numpy as np

from sim.data.audit import DECIDED, KINDS, MEASURABLE, AuditData
from sim.data.report import _plt, _png
from sim.report.figures.style import legend_outside
from sim.report.templating import render

KIND_COLOURS = {"resource": "#c0392b", "reassessment": "#2e86c1", "other": "#7f8c8d", "unclassified": "#f1c40f"}


def _has_sim(table, column: str) -> bool:
    return f"sim_{column}_mean" in table.columns


def figures(data: AuditData, tables: dict) -> list[tuple[str, str, bytes]]:
    """(file name, caption, PNG) of each figure."""
    plt = _plt()
    out = []
    h = tables["by_hour_of_week"]
    fig, ax = plt.subplots(figsize=(11, 3.6))
    x = h["hour_of_week"].to_numpy()
    if data.layout == "a":
        ax.bar(x, h["resource_per_week"].to_numpy(float), width=1.0, color=KIND_COLOURS["resource"], alpha=0.7,
               label="observed")
        if _has_sim(h, "resource_per_week"):
            m = h["sim_resource_per_week_mean"].to_numpy(float)
            ax.plot(x, m, color="k", lw=1.2, label="simulated (mean)")
            ax.fill_between(x, h["sim_resource_per_week_low"].to_numpy(float),
                            h["sim_resource_per_week_high"].to_numpy(float), color="k", alpha=0.15, step=None,
                            label="simulated 95% interval")
        ax.set_ylabel("resource-led downgrades a week")
        title = "Resource-led downgrades by hour of week (when the grade was lowered)"
    else:
        col = "net_downgrades_by_call_hour" if data.layout == "b" else None
        if col:
            ax.bar(x, h[col].to_numpy(float), width=1.0, color="#888", label="net downgrades (hour of the call)")
        ax.set_ylabel("incidents")
        title = ("Net downgrades by hour of week of the call (layout b: when the grade was lowered is not recorded)"
                 if col else "No downgrade can be measured from this extract")
    ax.set_xticks(np.arange(0, 169, 24))
    ax.set_xticklabels(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", ""])
    ax.set_xlim(-0.5, 167.5)
    ax.set_title(title, fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        legend_outside(ax, fontsize=8)
    fig.tight_layout()
    out.append(("1-downgrades-by-hour-of-week.png", title, _png(fig)))
    if data.layout == "a":
        w = tables["by_week"]
        fig, ax = plt.subplots(figsize=(9, 3.4))
        bottom = np.zeros(len(w))
        for kind in KINDS:
            v = w[kind].to_numpy(float)
            ax.bar(w["week"], v, bottom=bottom, color=KIND_COLOURS[kind], label=kind)
            bottom += v
        ax.set_xlabel("week of the audit period")
        ax.set_xticks(w["week"].to_numpy())
        ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.1))
        ax.set_ylabel("downgrades")
        legend_outside(ax, fontsize=8)
        title = "Downgrades a week, by kind"
        ax.set_title(title, fontsize=10)
        fig.tight_layout()
        out.append(("2-downgrades-by-week.png", title, _png(fig)))
        b = tables["by_load"]
        fig, ax = plt.subplots(figsize=(7, 3.4))
        xs = np.arange(len(b))
        ax.bar(xs - 0.2, b["resource_per_hour"].to_numpy(float), width=0.4, color=KIND_COLOURS["resource"], label="observed")
        if _has_sim(b, "resource_per_hour"):
            m = b["sim_resource_per_hour_mean"].to_numpy(float)
            err = np.vstack([m - b["sim_resource_per_hour_low"].to_numpy(float),
                             b["sim_resource_per_hour_high"].to_numpy(float) - m])
            ax.bar(xs + 0.2, m, width=0.4, color="#555", label="simulated (mean, 95% interval)",
                   yerr=np.nan_to_num(err), capsize=3)
        ax.set_xticks(xs)
        ax.set_xticklabels(b["waiting_g1_g2"])
        ax.set_xlabel("G1/G2 incidents waiting for a unit")
        ax.set_ylabel("resource-led downgrades an hour")
        legend_outside(ax, fontsize=8)
        title = "Resource-led downgrades by load at the time"
        ax.set_title(title, fontsize=10)
        fig.tight_layout()
        out.append(("3-downgrades-by-load.png", title, _png(fig)))
    return out


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        return f"{v:,.0f}" if abs(v) >= 1000 else (f"{v:.3g}" if v != int(v) else f"{int(v)}")
    return str(v)


def _interval(mean, low, high) -> str:
    """One cell for a simulated mean and its interval, so a compared table fits a 1280-pixel page
    (the CSV keeps the three columns)."""
    m = _cell(mean)
    return f"{m} ({_cell(low)}–{_cell(high)})" if m and _cell(low) else m


def _section(heading: str, table=None, notes=(), figs=(), drop=()):
    if table is None:
        return {"heading": heading, "notes": list(notes), "headers": [], "rows": None, "figures": list(figs)}
    cols = [c for c in table.columns if c not in drop]
    shown = {}
    for c in cols:
        if c.startswith("sim_") and c.endswith("_mean") and c[:-5] + "_low" in cols and c[:-5] + "_high" in cols:
            base = c[:-5]
            shown[f"{base} (95% interval)"] = [
                _interval(m, lo, hi) for m, lo, hi in zip(table[c], table[base + "_low"], table[base + "_high"])]
        elif c.startswith("sim_") and (c.endswith("_low") or c.endswith("_high")) and \
                c.rsplit("_", 1)[0] + "_mean" in cols:
            continue
        else:
            shown[c] = [_cell(v) for v in table[c]]
    text_columns = 2 if "group" in shown else 1   # row labels read left-aligned
    return {"heading": heading, "notes": list(notes), "headers": list(shown), "text_columns": text_columns,
            "rows": [list(r) for r in zip(*shown.values())] if len(table) else [], "figures": list(figs)}


def audit_page(data: AuditData, tables: dict, quality, figs, *, title: str, extract: str, log: str | None,
               map_name: str, period: str, compare: str | None, reps: int, version: str, command: str,
               summary=None, files: str = "") -> str:
    emb = {name: (name, caption, base64.b64encode(png).decode("ascii")) for name, caption, png in figs}
    key_lines = []
    q = quality
    if data.layout == "a":
        n = dict(zip(q.loc[q["section"] == "downgrades by kind", "item"], q.loc[q["section"] == "downgrades by kind", "rows"]))
        key_lines.append(f"{n.get('resource', 0):,} resource-led downgrades in the period "
                         f"({n.get('resource', 0) / data.weeks:.2f} a week); {n.get('reassessment', 0):,} on re-assessment, "
                         f"{n.get('other', 0):,} other, {n.get('unclassified', 0):,} unclassified.")
        hr = q[(q["section"] == "resource-led downgrades by opening grade") & q["item"].str.startswith("high risk")]
        key_lines.append(f"{int(hr['rows'].sum()):,} of the resource-led downgrades were of incidents first graded high "
                         "risk (G1 or G2).")
        rule = q[q["section"] == "decided by the no-reason rule"]
        key_lines.append(f"The no-reason rule decided {int(rule['rows'].sum()):,} downgrade(s) "
                         + ("(" + ", ".join(f"{int(r)} {k}" for k, r in zip(rule["item"], rule["rows"])) + ")" if len(rule) else "")
                         + f": {data.rule}.")
    elif data.layout == "b":
        key_lines.append("Layout (b): only opening and closing grades are recorded, so these are net downgrades per "
                         "incident, without their times or reasons.")
    else:
        key_lines.append("Nothing about downgrades can be measured from this extract.")
    sections = []
    if summary is not None:
        sections.append(_section("Observed and simulated", summary))
    if MEASURABLE[data.layout]:
        sections.append({"heading": "What cannot be measured from this data", "notes": MEASURABLE[data.layout],
                         "headers": [], "rows": None, "figures": []})
    sections.append(_section("What was read and what was dropped (quality.csv)",
                             q[q["section"].isin(["extract", "grade log", "period"])]))
    if data.layout == "a":
        sections.append(_section("Resource-led downgrades by the grade first given",
                                 q[q["section"] == "resource-led downgrades by opening grade"]))
    if data.layout == "a":
        sections.append(_section("Defects of the grade log", q[q["section"] == "defects"]))
        how = q[q["section"] == "downgrades decided by"].copy()
        how["meaning"] = how["item"].map(DECIDED).fillna("")
        sections.append(_section("How each downgrade's kind was decided", how, notes=[f"The no-reason rule: {data.rule}."]))
        un = q[q["section"].isin(["unclassified values", "reason codes not in the map"])]
        sections.append(_section("Values the map does not classify (listed, never dropped)", un,
                                 notes=["A reason code not in the map is counted here; its row's free text may still "
                                        "decide its kind by the map's keywords. Unclassified downgrades are counted in "
                                        "their own column, not as resource-led."]))
        sections.append(_section("Downgrades a week, by kind (by_week.csv)", tables["by_week"],
                                 figs=[emb[n] for n in emb if n.startswith("2-")]))
    sections.append(_section("By hour of week (by_hour_of_week.csv)", None, figs=[emb[n] for n in emb if n.startswith("1-")],
                             notes=["Hour of week of the grade change on the local wall clock (0 = Monday 00:00-01:00), "
                                    "the rule the simulator's downgrade profile uses; the CSV has the counts."]))
    sections.append(_section("By month (by_month.csv)", tables["by_month"]))
    sections.append(_section("By incident category (by_category.csv)", tables["by_category"]))
    if data.layout == "a":
        sections.append(_section("Against load at the time (by_load.csv)", tables["by_load"],
                                 notes=["Load: G1/G2 incidents created and not yet given a unit (from the extract's "
                                        "created and first dispatch times and the grade log), the downgraded incident "
                                        "included; hours at load: time the force spent at that load in the period.",
                                        "Units committed at the time of each downgrade (first dispatch to clear, the "
                                        "incident's units) are in downgrades_observed.csv"
                                        + (": this extract has no clear time, so they cannot be measured."
                                           if "cleared" not in data.incidents or data.incidents["cleared"].isna().all()
                                           else ".")],
                                 figs=[emb[n] for n in emb if n.startswith("3-")]))
    att = tables["attendance"]
    simulated = [c for c in att.columns if c.startswith("sim_")]
    sections.append(_section("Call to first unit on scene (attendance.csv)", att, drop=simulated,
                             notes=["Downgraded incidents (whenever the call came) against incidents created in the "
                                    "period and not downgraded, by opening grade; 'never': no arrival on scene recorded."]))
    if simulated:
        compared = [c for c in ("p50_minutes", "p90_minutes", "share_over_48h", "share_never") if f"sim_{c}_mean" in att]
        pairs = ["opening_grade", "group"] + [x for c in compared
                                              for x in (c, f"sim_{c}_mean", f"sim_{c}_low", f"sim_{c}_high")]
        sections.append(_section("Call to first unit on scene, observed and simulated", att[pairs],
                                 notes=["Each observed measure beside the simulated mean and its 95% interval across "
                                        "replications (attendance.csv has every column)."]))
    return str(render("observed_audit.html.j2", title=title, extract=extract, log=log, map_name=map_name, period=period,
                      weeks=f"{data.weeks:.2f}", compare=compare, reps=reps, key_lines=key_lines, sections=sections,
                      version=version, command=command, files=files))


__all__ = ["figures", "audit_page"]
