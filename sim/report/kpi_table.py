"""The headline KPI table: which KPIs a reader sees, in what words and units, against which aim
or standard, with their 95% intervals (a run: mean and CI; a compare: A, B and the paired B - A;
a sweep: one row per point, the cheapest point meeting the recommendation highlighted).
"""
from __future__ import annotations

import math

import pandas as pd
from markupsafe import Markup

from sim.experiment.summary import FEW_REPS
from sim.report.figures.arms import ArmView
from sim.report.figures.call_handling import SL_999_TARGET
from sim.measures.catalogue import PERIOD_RULE, label, row_label, unit_period, words
from sim.report.figures.sweep import key_label
from sim.report.labels import fmt_kpi, plural
from sim.report.folder import Folder, run_days
from sim.report.sweep_points import cheapest_point, value_text
from sim.report.templating import render

# the KPIs the report's table shows, in order; their words are the catalogue's
# (one period rule, the catalogue's PERIOD_RULE: counts and hours per week, shares and levels over the run)
HEADLINE_KPIS = ("resource_downgrades_per_week", "high_risk_resource_downgrades_per_week", "g1_in_target",
                 "g2_in_target", "g1_response_p90", "g2_response_p90", "pending_at_0700_mean", "open_at_0700_mean",
                 "max_pending", "appointment_lead_days_p50", "unit_utilisation", "overtime_hours_per_week",
                 "officer_hours_on_duty_per_week", "neighbourhood_hours_lost_per_week", "sl_999_10s",
                 "abandon_rate_101", "meets_recommendation")
# (kpi, its row in the table, what it means)
HEADLINES = tuple((k, row_label(k), words(k).meaning) for k in HEADLINE_KPIS)
NAMES = {k: label(k) for k in HEADLINE_KPIS + ("high_risk_resource_downgrades", "overtime_hours",
                                               "officer_hours_on_duty", "neighbourhood_hours_lost")}
SWEEP_COLUMNS = ("resource_downgrades_per_week", "g1_in_target", "g2_in_target", "meets_recommendation",
                 "g1_response_p90", "pending_at_0700_mean", "unit_utilisation", "overtime_hours",
                 "neighbourhood_hours_lost")


def clip(unit: str, lo: float, hi: float) -> tuple[float, float]:
    """An interval shown within the quantity's range, 0 up (a share: 0-100%): a t-interval over
    few replications can spill over (summary.csv keeps it clipped too, since version 0.2)."""
    if unit in ("share", "0/1"):
        return max(lo, 0.0), min(hi, 1.0)
    return max(lo, 0.0), hi



def _unit_text(k: str, unit: str, days) -> str:
    """The unit and period of a row, in the catalogue's words (``unit_period``), the measured days
    named where the period is the whole run."""
    text = unit_period(k, unit)
    if isinstance(days, (int, float)):
        text = text.replace("over the measured days", f"over the {plural(days, 'measured day')}")
    return text


def _aim(k: str, a: ArmView) -> str:
    rec = a.recommendation()
    st = a.standards()
    return {"resource_downgrades_per_week": f"tolerance ≤ {rec['tolerance']:g}",
            "g1_in_target": f"aim ≥ {rec['g1_aim']:.0%}", "g2_in_target": f"aim ≥ {rec['g2_aim']:.0%}",
            "sl_999_10s": f"target ≥ {SL_999_TARGET:.0%}", "meets_recommendation": "aim 100%",
            "g1_response_p90": f"standard {min(st['g1'].values()):g} min (urban)" if st["g1"] else "",
            "g2_response_p90": f"standard {st['g2']:g} min"}.get(k, "")


def _na_text(k: str, d: dict | None) -> str:
    """Why a headline KPI has no value: not in the files, or nothing to measure in the window."""
    if not d:
        return "not produced by this run"
    if k == "meets_recommendation":
        return "cannot be judged: no G1 or G2 incident had a known outcome in the measured window"
    if k in ("g1_in_target", "g2_in_target", "g3_in_target", "g1_response_p90", "g2_response_p90"):
        return f"no value: no initial {k[:2].upper()} incident with a known outcome in the measured window"
    return "no value: nothing to measure in the measured window"


def _meaning(k: str, meaning: str, a: ArmView) -> str:
    """The 'what it means' text, with the scenario's own standards and who could be judged."""
    st = a.standards()
    if k == "g1_in_target" and st["g1"]:
        areas = " / ".join(f"{v:g} min ({area})" for area, v in sorted(st["g1"].items(), key=lambda x: x[1]))
        meaning = (f"initial G1 incidents with an officer on scene within {areas} of the call, each against its own "
                   "area's standard; incidents still waiting at the end count once their standard has passed")
    elif k == "g2_in_target":
        meaning = (f"initial G2 incidents attended within {st['g2']:g} min of the call; incidents still waiting at "
                   "the end count once their standard has passed")
    elif k == "meets_recommendation":
        d = a.kpis.get(k, {})
        n = d.get("reps", 0)
        if d and n == n and 0 < n < a.reps:
            meaning += (f" (of the {int(n)} of {plural(a.reps, 'replication')} that could be judged; the others had no "
                        "G1 or G2 incident with a known outcome)")
    return meaning


def kpi_table(f: Folder) -> Markup:
    """The KPI section: a warning when the intervals rest on fewer than FEW_REPS replications,
    the table (run, compare or sweep) and a line on how to read it."""
    return render("kpis.html.j2", **kpi_table_data(f))


def kpi_headings(data: dict) -> list[str]:
    """The table's column headings as plain text (the PDF's; the HTML template spells the same)."""
    if data["kind"] == "run":
        return ["KPI", "mean", "95% CI", "unit and period", "aim or standard", "what it means"]
    if data["kind"] == "compare":
        return ["KPI", "A", "B", "B − A", "paired 95% CI", "unit and period", "aim or standard", "what it means"]
    return list(data["keys"]) + [f"{c['name']} ({c['unit']}{' · ' + c['aim'] if c['aim'] else ''})"
                                 for c in data["columns"]]


def kpi_table_data(f: Folder) -> dict:
    """What the KPI table shows, for the HTML page and the PDF alike."""
    days = run_days(f)
    rows = []
    labels, keys, columns, cheap = [], [], [], None
    if f.kind == "run":
        a = f.arms[0]
        for k, name, meaning in HEADLINES:
            d = a.kpis.get(k)
            if not d or d.get("mean") != d.get("mean"):
                rows.append(_row(name, na=_na_text(k, d), span=5))
                continue
            unit = str(d.get("unit", ""))
            ci = (f"{fmt_kpi(unit, clip(unit, d['ci_low'], d['ci_high'])[0])} – "
                  f"{fmt_kpi(unit, clip(unit, d['ci_low'], d['ci_high'])[1])}"
                  if d.get("reps", 0) >= 2 and d.get("ci_low") == d.get("ci_low") else "n/a (1 replication)")
            rows.append(_row(name, [(fmt_kpi(unit, d["mean"]), True), (ci, True), (_unit_text(k, unit, days), False),
                                    (_aim(k, a), False), (_meaning(k, meaning, a), False)]))
    elif f.kind == "compare":
        a, b = f.arms[0], f.arms[1]
        labels = [a.label, b.label]
        t = f.comparison.set_index("kpi") if f.comparison is not None and not f.comparison.empty else pd.DataFrame()
        for k, name, meaning in HEADLINES:
            da, db = a.kpis.get(k), b.kpis.get(k)
            if not da or not db or k not in t.index:
                rows.append(_row(name, na="not produced by this run", span=7))
                continue
            unit = str(da.get("unit", ""))
            r = t.loc[k]
            pp = unit in ("share", "0/1")
            diff = (f"{r['diff'] * 100:+.1f} pts" if pp else fmt_kpi(unit, r["diff"], signed=True)) \
                if r["diff"] == r["diff"] else "n/a"
            ci = (f"{r['ci_low'] * 100:+.1f} to {r['ci_high'] * 100:+.1f} pts" if pp else
                  f"{fmt_kpi(unit, r['ci_low'], signed=True)} to {fmt_kpi(unit, r['ci_high'], signed=True)}") \
                if r["ci_low"] == r["ci_low"] else "n/a"
            rows.append(_row(name, [(_with_hw(unit, da), True), (_with_hw(unit, db), True), (diff, True), (ci, True),
                                    (_unit_text(k, unit, days), False), (_aim(k, a), False),
                                    (_meaning(k, meaning, a), False)]))
    else:
        cheap = cheapest_point(f)
        keys = [key_label(k) for k in f.keys]
        columns = [{"name": NAMES.get(k, k), "unit": _unit_text(k, _unit(f, k), days), "aim": _aim(k, f.arms[0])}
                   for k in SWEEP_COLUMNS]
        for i, p in enumerate(f.arms):
            rows.append(_row(None, [(value_text(p.values.get(k, "")), True) for k in f.keys]
                             + [(_with_hw(_unit(f, k), p.kpis.get(k)), True) for k in SWEEP_COLUMNS], cheapest=i == cheap))
    n = max((a.reps for a in f.arms), default=0)
    return dict(kind=f.kind, few_reps=n if 2 <= n < FEW_REPS else 0, enough_reps=FEW_REPS,
                labels=labels, keys=keys, columns=columns, rows=rows, cheapest=cheap, period_rule=PERIOD_RULE)


def _row(name: str | None, cells: list[tuple[str, bool]] = (), na: str | None = None, span: int = 0,
         cheapest: bool = False) -> dict:
    """A row of the table: its KPI's name (none in a sweep), then (text, is a number) cells, or
    why there is no value across ``span`` cells."""
    return {"name": name, "cells": list(cells), "na": na, "span": span, "cheapest": cheapest}


def _unit(f: Folder, k: str) -> str:
    for a in f.arms:
        if k in a.kpis:
            return str(a.kpis[k].get("unit", ""))
    return ""


def _with_hw(unit: str, d: dict | None) -> str:
    if not d or d.get("mean") != d.get("mean"):
        return "n/a"
    hw = d.get("half_width", math.nan)
    if hw != hw or d.get("reps", 0) < 2:
        return fmt_kpi(unit, d["mean"])
    if unit in ("share", "0/1"):
        return f"{fmt_kpi(unit, d['mean'])} ± {hw * 100:.1f}"
    return f"{fmt_kpi(unit, d['mean'])} ± {fmt_kpi(unit, hw).replace(' min', '').replace(' h', '').replace(' days', '')}"
