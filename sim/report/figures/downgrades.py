"""Figure 2: when resource-driven downgrades happen, as a day-by-hour heatmap of downgrades per
week; the per-week total is the KPI's number, so the map and the KPI table agree.
"""
from __future__ import annotations

import math

import matplotlib
import numpy as np

from sim.report.figures.arms import ArmView, _partial_week
from sim.report.figures.bands import _nanmean0
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import _HEAT, DAYS, _cell_grid, _figure

def _downgrade_matrix(arm: ArmView) -> np.ndarray | None:
    p = arm.profile("resource_downgrades")
    if p is None or p[1].shape[1] != 168:
        return None
    return _nanmean0(p[1]).reshape(7, 24)


def _per_week(arm: ArmView, m: np.ndarray | None = None) -> float:
    """Resource-driven downgrades per week: the KPI from summary.csv (the same number as the KPI
    table); the profile's sum only for an old folder without it. The profile's sum equals the KPI
    for whole weeks only: with a part week each hour of the week is seen a different number of times."""
    k = arm.kpi("resource_downgrades_per_week")
    if k == k:
        return k
    return float(np.nansum(m)) if m is not None else math.nan


def _worst_window(per_hour: np.ndarray, width: int = 6) -> tuple[int, float]:
    """Start hour of the ``width``-hour window of the day (wrapping) holding most of the total."""
    per_hour = np.nan_to_num(per_hour)
    total = per_hour.sum()
    sums = [sum(per_hour[(s + k) % 24] for k in range(width)) for s in range(24)]
    s = int(np.argmax(sums))
    return s, (sums[s] / total if total > 0 else 0.0)


def fig_downgrades(arms: list[ArmView], slug: str = "2-downgrades-heatmap") -> Drawn:
    title = "When downgrades happen: resource-driven downgrades by hour of day and day of week"
    mats = [(a, _downgrade_matrix(a)) for a in arms]
    mats = [(a, m) for a, m in mats if m is not None]
    if not mats:
        return _missing(slug, title, "left out: this run's profiles.parquet has no resource_downgrades profile")
    if all(np.nansum(m) == 0 for _, m in mats):
        policies = sorted({a.policy for a, _ in mats})
        return _missing(slug, title, f"no resource-driven downgrades happened (policy: {', '.join(policies)}), "
                                     "so there is nothing to map")
    n = len(mats)
    fig = _figure(5.6 if n == 1 else 4.4 * n)
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    vmax = max(np.nanmax(m) for _, m in mats)
    im = None
    for ax, (arm, m) in zip(axes, mats):
        if np.isnan(m).any():   # hours the run never reached: grey, not "no downgrades"
            ax.imshow(np.where(np.isnan(m), 1.0, np.nan), aspect="auto",
                      cmap=matplotlib.colors.ListedColormap(["0.85"]), interpolation="nearest")
        im = ax.imshow(np.ma.masked_invalid(np.where(m == 0, np.nan, m)), aspect="auto", cmap=_HEAT, vmin=0,
                       vmax=vmax, interpolation="nearest")
        _cell_grid(ax, 7, 24)
        for d in range(7):
            for h in range(24):
                v = m[d, h]
                if v == v and round(v, 1) >= 0.1:
                    ax.text(h, d, f"{v:.1f}", ha="center", va="center", fontsize=10.5,
                            color="white" if v > 0.6 * vmax else "black")
            ax.text(24.0, d, f"{np.nansum(m[d]):.1f}" if not np.isnan(m[d]).all() else "–", ha="left",
                    va="center", fontsize=11, clip_on=False)
        ax.text(24.0, -0.75, "day total", ha="left", va="bottom", fontsize=11, clip_on=False)
        ax.set_yticks(range(7), DAYS)
        ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
        ax.set_xlabel("hour of day (each column is one hour, 00 = 00:00–01:00)")
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        name = f"{arm.label.split(':')[0]}: " if n > 1 else ""   # "A: " (the heading names A and B)
        ax.set_title(f"{name}{_per_week(arm, m):.1f} resource-driven downgrades per week (KPI)", loc="left")
    cb = fig.colorbar(im, ax=list(axes), shrink=0.9, pad=0.06)
    cb.set_label("downgrades per week (mean over replications)")
    reps = sorted({a.reps for a, _ in mats})
    fig.suptitle(f"When downgrades happen: per week in each hour (mean of {'/'.join(map(str, reps))} "
                 f"replication{'s' if reps != [1] else ''})")

    arm, m = mats[0]
    d, h = np.unravel_index(int(np.nanargmax(m)), m.shape)
    start, share = _worst_window(np.nansum(m, axis=0))
    caption = (f"The darker the cell, the more often a controller lowered a grade for want of a free officer; "
               f"{'in ' + arm.label + ' ' if n > 1 else ''}the worst hour is {DAYS[d]} {h:02d}:00–{(h + 1) % 24:02d}:00 "
               f"({m[d, h]:.1f} per week) and {share:.0%} of downgrades fall between {start:02d}:00 and "
               f"{(start + 6) % 24:02d}:00")
    if n > 1:
        caption += ("; resource-driven downgrades per week (KPI): "
                    + ", ".join(f"{a.label} {_per_week(a, mm):.1f}" for a, mm in mats))
    else:
        caption += f"; {_per_week(arm, m):.1f} per week in all, as in the KPI table"
    note = _partial_week([a for a, _ in mats])
    return Drawn(slug, title, fig, caption + ".", note=note.replace("left blank", "shown grey") if note else "")
