"""Numbers as the app's pages and the debrief show them. Plain functions, no Streamlit: the
play logic formats its debrief with them without importing the page helpers."""
from __future__ import annotations

import math

from sim.report.labels import fmt_kpi


def fmt(unit: str, v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if unit in ("callers", "incidents"):
        return f"{int(v)}"
    if unit == "":
        return str(v)
    if unit == "hours":
        return f"{v:.1f} h"
    return fmt_kpi(unit, float(v))


def ci(unit: str, lo, hi) -> str:
    if lo is None or lo != lo:
        return "no CI"
    return f"{fmt(unit, lo)} to {fmt(unit, hi)}"


def diff(unit: str, v) -> str:
    """A paired difference: points for shares, the KPI's own unit otherwise."""
    if v is None or v != v:
        return "–"
    if unit in ("share", "0/1"):
        return f"{v * 100:+.1f} pts"
    return fmt_kpi(unit, float(v), signed=True)


def diff_ci(unit: str, lo, hi) -> str:
    if lo is None or lo != lo:
        return "no CI"
    return f"{diff(unit, lo)} to {diff(unit, hi)}"
