"""Figures 9 and 10 (issue 25): resource-driven downgrades and G1/G2 attendance by incident
category, and by calendar month (seasonal: meaningful only when the run spans several months;
the figure says so when it does not). The tables beside them are ``sim.report.breakdowns``;
both read ``breakdown`` here, so a figure and its table cannot disagree.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MultipleLocator, PercentFormatter

from sim.report.figures.arms import ArmView
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import ARM_COLOURS, STANDARD_COLOUR, _figure, _short, legend_outside
from sim.util.stats import mean_ci

MEASURES = {"category": ("incidents", "g12", "resource_downgrades", "in_target"),
            "month": ("days", "calls", "incidents", "resource_downgrades", "in_target")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FULL_MONTH_DAYS = 28.0      # a month with fewer measured days than this is a part month
SEASONAL_MONTHS = 3         # fewer whole months than this: no seasonal reading


def breakdown(arm: ArmView, by: str) -> pd.DataFrame:
    """One row per category (or month, in run order) with each measure's mean over replications
    and its 95% half-width: columns <measure>, <measure>_hw; a month also has its place ``x``."""
    p = arm.profiles
    if p is None or p.empty:
        return pd.DataFrame()
    sub = p[p["profile"].astype(str).str.startswith(by + "_")]
    if sub.empty:
        return pd.DataFrame()
    rows: dict[str, dict] = {}
    for (profile, key), g in sub.groupby(["profile", "key"], sort=False, observed=True):
        m = str(profile)[len(by) + 1:]
        ci = mean_ci(g["value"].to_numpy(float))
        r = rows.setdefault(str(key), {"key": str(key), "x": float(g["x"].iloc[0])})
        r[m], r[m + "_hw"] = ci["mean"], ci["half_width"]
    out = pd.DataFrame(list(rows.values()))
    return out.sort_values("x", kind="stable").reset_index(drop=True) if by == "month" else out


def month_name(key: str) -> str:
    """'2016-09' -> 'Sep 2016'."""
    try:
        return f"{_MONTHS[int(key[5:7]) - 1]} {key[:4]}"
    except (ValueError, IndexError):
        return key


def seasonal_note(table: pd.DataFrame) -> str:
    """'' when the run spans enough whole months for a seasonal reading, else why not."""
    if table.empty:
        return ""
    whole = int((table["days"] >= FULL_MONTH_DAYS).sum())
    if whole >= SEASONAL_MONTHS:
        return ""
    return (f"the measured days touch {len(table)} calendar month{'s' if len(table) != 1 else ''} "
            f"({whole} of them whole): too short for a seasonal reading, which needs a run over several "
            "months (e.g. --days 365); the rows are shown for completeness")


def _order(tables: list[pd.DataFrame]) -> list[str]:
    """Categories in order of A's incidents per week (most first)."""
    t = tables[0]
    return list(t.sort_values("incidents", ascending=False, kind="stable")["key"])


def _bars(ax, tables, keys, measure, horizontal, labels):
    n = len(tables)
    width = 0.8 / n
    pos = np.arange(len(keys), dtype=float)
    for i, t in enumerate(tables):
        t = t.set_index("key").reindex(keys)
        v = t[measure].to_numpy(float)
        hw = np.nan_to_num(t[measure + "_hw"].to_numpy(float))
        off = pos + (i - (n - 1) / 2) * width
        kw = dict(color=ARM_COLOURS[i], label=labels[i] if n > 1 else None)
        if horizontal:
            ax.barh(off, v, height=width, xerr=hw if hw.any() else None, capsize=3, **kw)
        else:
            ax.bar(off, v, width=width, yerr=hw if hw.any() else None, capsize=3, **kw)
    return pos


def _points(ax, tables, keys, measure, horizontal, labels, aim):
    """Shares as dots with their 95% CI, on an axis zoomed to where they are (bars from 0% hid
    differences of a few points), with the aim as a dashed line."""
    n = len(tables)
    pos = np.arange(len(keys), dtype=float)
    lows = [aim]
    for i, t in enumerate(tables):
        t = t.set_index("key").reindex(keys)
        v = t[measure].to_numpy(float)
        hw = np.nan_to_num(t[measure + "_hw"].to_numpy(float))
        off = pos + (i - (n - 1) / 2) * (0.8 / n)
        kw = dict(fmt="o", ms=7, color=ARM_COLOURS[i], capsize=3, lw=1.5, label=labels[i] if n > 1 else None)
        if horizontal:
            ax.errorbar(v, off, xerr=hw if hw.any() else None, **kw)
        else:
            ax.errorbar(off, v, yerr=hw if hw.any() else None, **kw)
        if np.isfinite(v).any():
            lows.append(float(np.nanmin(v - hw)))
    lo = max(0.0, np.floor(min(lows) * 20 - 1) / 20)   # a 5% step below the lowest point
    line = ax.axvline if horizontal else ax.axhline
    line(aim, color=STANDARD_COLOUR, ls="--", lw=1.5, label=f"aim {aim:.0%}")
    axis = ax.xaxis if horizontal else ax.yaxis
    (ax.set_xlim if horizontal else ax.set_ylim)(lo, 1.0)
    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axis.set_major_locator(MultipleLocator(0.05 if 1.0 - lo <= 0.5 else 0.1))   # whole per cents on the ticks
    (ax.set_ylim if horizontal else ax.set_xlim)(-0.6, len(keys) - 0.4)
    if horizontal:
        ax.invert_yaxis()
    ax.grid(axis="x" if horizontal else "y", color="0.9")
    ax.set_axisbelow(True)
    return pos


def _arm_tables(arms: list[ArmView], by: str, what: str) -> tuple[list[pd.DataFrame] | None, list[str] | str]:
    """Each arm's ``breakdown`` and its short label ("A" / "B": the figure's heading names them);
    or (None, why the figure is left out) when a run's profiles predate the breakdowns."""
    tables = [breakdown(a, by) for a in arms]
    if any(t.empty for t in tables):
        return None, (f"left out: this run's profiles.parquet has no breakdown by {what} "
                      "(results written before the breakdowns existed; rerun to get it)")
    return tables, [_short(a.label.split(":")[0], 40) for a in arms]


def fig_category(arms: list[ArmView], slug: str = "9-by-category") -> Drawn:
    title = "By incident category: resource-driven downgrades and G1/G2 attended within standard"
    tables, labels = _arm_tables(arms, "category", "incident category")
    if tables is None:
        return _missing(slug, title, labels)
    keys = _order(tables)
    fig = _figure(max(3.8, 0.9 + 0.42 * len(keys) * max(1, len(arms) * 0.7)))
    left, right = fig.subplots(1, 2, sharey=True)
    pos = _bars(left, tables, keys, "resource_downgrades", True, labels)
    left.set_yticks(pos, [k.replace("_", " ") for k in keys])
    left.set_xlabel("downgrades per week")
    left.set_xlim(left=0)
    left.set_title("Downgraded for lack of an officer", loc="left")
    left.grid(axis="x", color="0.9")
    left.set_axisbelow(True)
    _points(right, tables, keys, "in_target", True, labels, arms[0].recommendation()["g1_aim"])
    right.set_xlabel("initial G1/G2 within standard")
    right.set_title("G1/G2 within standard", loc="left")
    legend_outside(right)
    t0 = tables[0]
    top = t0.sort_values("resource_downgrades", ascending=False, kind="stable").iloc[0]
    total = float(t0["resource_downgrades"].sum())
    share = top["resource_downgrades"] / total if total > 0 else float("nan")
    worst = t0.dropna(subset=["in_target"]).sort_values("in_target", kind="stable")
    caption = (f"{top['key'].replace('_', ' ')} incidents are downgraded for lack of an officer most often "
               f"({top['resource_downgrades']:.1f} a week, {share:.0%} of all)" if total > 0 else
               "No incident was downgraded for lack of an officer")
    if not worst.empty:
        w = worst.iloc[0]
        caption += (f"; the category least often attended within standard at G1/G2 is {w['key'].replace('_', ' ')} "
                    f"({w['in_target']:.1%})")
    fig.suptitle(title.split(":")[0])
    return Drawn(slug, title, fig, caption + (f" ({arms[0].label.split(':')[0]})" if len(arms) > 1 else "") + ".")


def fig_month(arms: list[ArmView], slug: str = "10-by-month") -> Drawn:
    title = "By calendar month: resource-driven downgrades and G1/G2 attended within standard"
    tables, labels = _arm_tables(arms, "month", "month")
    if tables is None:
        return _missing(slug, title, labels)
    keys = list(tables[0]["key"])
    days = dict(zip(tables[0]["key"], tables[0]["days"]))
    ticks = [f"{month_name(k)}\n{days[k]:.0f} days" for k in keys]
    fig = _figure(4.8)
    left, right = fig.subplots(1, 2)
    many = len(keys) > 6
    pos = _bars(left, tables, keys, "resource_downgrades", False, labels)
    left.set_xticks(pos, ticks, fontsize=9 if many else 11)
    left.set_ylabel("downgrades per week")
    left.set_title("Downgraded for lack of an officer", loc="left")
    left.grid(axis="y", color="0.9")
    left.set_axisbelow(True)
    _points(right, tables, keys, "in_target", False, labels, arms[0].recommendation()["g1_aim"])
    right.set_xticks(pos, ticks, fontsize=9 if many else 11)
    right.set_ylabel("G1/G2 within standard")
    right.set_title("G1/G2 within standard", loc="left")
    legend_outside(right)
    fig.suptitle(title.split(":")[0] + " (each month's measured days under its name)")
    note = seasonal_note(tables[0])
    t0 = tables[0]
    hi = t0.sort_values("resource_downgrades", ascending=False, kind="stable").iloc[0]
    caption = (f"Downgrades run highest in {month_name(hi['key'])} ({hi['resource_downgrades']:.1f} a week over "
               f"{hi['days']:.0f} measured days)")
    return Drawn(slug, title, fig, caption + ".", note=note)
