"""Figure 7 (compare): paired differences B - A of the headline KPIs with their 95% CIs, one
row per KPI scaled to itself, green where B is clearly better and red where it is clearly worse.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from sim.measures.catalogue import better as direction_of
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import DPI, OK_COLOUR, STANDARD_COLOUR, WIDTH, _short
from sim.report.labels import fmt_kpi, unsigned_zero

if TYPE_CHECKING:
    import pandas as pd

# which way is better, for colouring paired differences, is the KPI catalogue's (``better``)
FOREST_KPIS = (
    "resource_downgrades_per_week", "high_risk_resource_downgrades", "g1_in_target", "g2_in_target",
    "g1_response_p90", "g2_response_p90", "pending_at_0700_mean", "open_at_0700_mean", "max_pending",
    "appointment_lead_days_p50", "unit_utilisation", "officer_hours_on_duty", "overtime_hours",
    "neighbourhood_hours_lost", "sl_999_10s", "abandon_rate_101",
)


def fig_forest(comparison: pd.DataFrame, label_a: str, label_b: str, names: dict[str, str],
               slug: str = "7-paired-differences") -> Drawn:
    """Forest plot of paired differences B - A. KPIs have different units, so each row is scaled
    to its own largest |value| (zero stays in the middle) and its numbers are written beside it."""
    from matplotlib.transforms import blended_transform_factory

    title = f"Paired differences B − A with 95% CIs (A = {label_a}, B = {label_b})"
    if comparison is None or comparison.empty:
        return _missing(slug, title, "left out: no comparison.csv in this folder")
    t = comparison.set_index("kpi")
    rows, identical, missing = [], [], []
    for k in FOREST_KPIS:
        if k not in t.index:
            missing.append(k)
            continue
        r = t.loc[k]
        if r["diff"] != r["diff"]:
            missing.append(k)
        elif r["diff"] == 0 and (r["half_width"] == 0 or r["half_width"] != r["half_width"]):
            identical.append(k)
        else:
            rows.append((k, r))
    if not rows:
        return _missing(slug, title, "left out: every headline KPI is identical in A and B")
    n = len(rows)
    row_h, head, foot = 0.62, 1.35, 0.75
    height = head + foot + row_h * n
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    x0, x1 = 0.40, 0.70
    ax = fig.add_axes((x0, foot / height, x1 - x0, row_h * n / height))
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(n - 0.5, -0.5)
    ax.axvline(0, color="0.2", lw=1.2)
    ax.set_yticks([])
    ax.set_xticks([-1, 0, 1], ["B lower", "0", "B higher"])
    for s_ in ("left", "right", "top"):
        ax.spines[s_].set_visible(False)
    tr = blended_transform_factory(fig.transFigure, ax.transData)
    better, worse = [], []
    for i, (k, r) in enumerate(rows):
        unit = str(r.get("unit", ""))
        pp = unit in ("share", "0/1")
        scale = 100.0 if pp else 1.0
        d, lo, hi = r["diff"] * scale, r["ci_low"] * scale, r["ci_high"] * scale
        has_ci = lo == lo and hi == hi
        span = max(abs(lo) if has_ci else 0.0, abs(hi) if has_ci else 0.0, abs(d), 1e-12)
        direction = direction_of(k)
        colour = "0.45"
        if has_ci and direction and (lo > 0 or hi < 0):
            good = (d > 0) == (direction > 0)
            colour = OK_COLOUR if good else STANDARD_COLOUR
            (better if good else worse).append(names.get(k, k))
        if i % 2 == 0:
            ax.axhspan(i - 0.5, i + 0.5, color="0.96", zorder=0)
        if has_ci:
            ax.plot([lo / span, hi / span], [i, i], color=colour, lw=5, solid_capstyle="butt")
        ax.plot([d / span], [i], "D", color=colour, ms=10, mec="white")
        u = " pts" if pp else {"minutes": " min", "hours": " h", "days": " days", "per week": " /wk"}.get(unit, "")
        arrow = {1: "higher is better", -1: "lower is better", 0: ""}[direction]
        ax.text(x0 - 0.015, i - 0.13, names.get(k, k), transform=tr, ha="right", va="center", fontsize=12.5)
        ax.text(x0 - 0.015, i + 0.22, f"A {fmt_kpi(unit, r['mean_a'])} → B {fmt_kpi(unit, r['mean_b'])}"
                + (f" · {arrow}" if arrow else ""), transform=tr, ha="right", va="center", fontsize=11, color="0.35")
        digits = 1 if max(abs(lo) if has_ci else 0, abs(hi) if has_ci else 0, abs(d)) >= 1 else 2
        def num(v):
            return unsigned_zero(f"{v:+.{digits}f}")   # no "−0.0"
        ci = f"[{num(lo)}, {num(hi)}]" if has_ci else "(no CI)"
        ax.text(x1 + 0.015, i, f"{num(d)}{u}  {ci}".replace("-", "−"), transform=tr, ha="left", va="center", fontsize=12,
                color=colour if colour != "0.45" else "0.25", fontweight="bold" if colour != "0.45" else "normal")
    fig.text(0.5, 1 - 0.32 / height, "Paired differences B − A with 95% CIs", ha="center", va="center",
             fontsize=15, fontweight="bold")
    fig.text(0.5, 1 - 0.72 / height, f"A = {_short(label_a, 30)}, B = {_short(label_b, 30)}; green: B better, red: B worse, "
             "grey: no clear difference", ha="center", va="center", fontsize=11.5, color="0.25")
    fig.text(x1 + 0.015, 1 - (head - 0.1) / height, "B − A  [95% CI]", ha="left", va="bottom", fontsize=11.5,
             color="0.25")
    fig.text(0.5 * (x0 + x1), 0.12 / height, "each row scaled to its own largest value; numbers on the right",
             ha="center", va="bottom", fontsize=11, color="0.35")
    note = []
    if identical:
        note.append("identical in A and B (same callers, nothing changed them): " + ", ".join(names.get(k, k) for k in identical))
    if missing:
        note.append("not produced by this run: " + ", ".join(names.get(k, k) for k in missing))
    caption = ("A bar entirely one side of zero is a difference the paired replications support; "
               + (f"B is better on {', '.join(better)}" if better else "B is not clearly better on any headline KPI")
               + (f" and worse on {', '.join(worse)}" if worse else ""))
    return Drawn(slug, title, fig, caption + ".", note="; ".join(note))
