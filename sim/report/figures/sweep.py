"""The sweep's figures: each KPI against the first varied key (one line per value of the
others) with the thresholds drawn and the cheapest point meeting HMIC's recommendation
marked; downgrades by hour and the pending list, one row or line per sweep point.
"""
from __future__ import annotations

import math

import matplotlib
import numpy as np

from sim.report.figures.arms import ArmView, _reps_text, _with_profile
from sim.report.figures.bands import _quiet
from sim.report.figures.downgrades import _downgrade_matrix, _per_week
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import (_HEAT, ARM_COLOURS, OK_COLOUR, STANDARD_COLOUR, _cell_grid, _figure, _short,
                                      legend_outside, week_axis)
from sim.report.labels import key_phrase

def _sweep_x(points: list[ArmView], keys: list[str]) -> tuple[list, bool]:
    """x positions for the first varied key: numbers if every value is a number, else categories."""
    vals = [p.values.get(keys[0]) for p in points]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
    if numeric:
        return [float(v) for v in vals], True
    cats = []
    for v in vals:
        if str(v) not in cats:
            cats.append(str(v))
    return [float(cats.index(str(v))) for v in vals], False


def _groups(points: list[ArmView], keys: list[str]) -> list[tuple[str, list[int]]]:
    """Lines of a sweep plot: one per value of the other varied keys."""
    if len(keys) < 2:
        return [("", list(range(len(points))))]
    out: dict[str, list[int]] = {}
    for i, p in enumerate(points):
        label = ", ".join(f"{k.split('.')[-2] + '.' if k.count('.') else ''}{k.split('.')[-1]}={p.values.get(k)}"
                          for k in keys[1:])
        out.setdefault(label, []).append(i)
    return list(out.items())


def key_label(key: str) -> str:
    return key_phrase(key)


def _sweep_axes(ax, points, keys, xs, numeric, xlabel: bool = True):
    if xlabel:
        ax.set_xlabel(key_label(keys[0]), fontsize=12)
    if numeric:
        uniq = sorted(set(xs))
        if len(uniq) <= 12:
            ax.set_xticks(uniq, [f"{u:g}" for u in uniq])
    else:
        cats = []
        for p in points:
            v = str(p.values.get(keys[0]))
            if v not in cats:
                cats.append(v)
        ax.set_xticks(range(len(cats)), [_short(c, 14) for c in cats])
        ax.set_xlim(-0.5, len(cats) - 0.5)
    ax.grid(True, color="0.9", lw=0.8)


def fig_sweep_panels(points: list[ArmView], keys: list[str], panels: list[dict], cheapest: int | None,
                     slug: str, title: str, caption: str) -> Drawn:
    """Each panel: one KPI (mean, 95% CI band) against the first varied key, thresholds drawn.

    panel: {kpi, title, unit, lines: [(y, label)], aim: 'max'|'min'|None}."""
    if not panels:
        return _missing(slug, title, "left out: none of these KPIs was produced by this sweep")
    xs, numeric = _sweep_x(points, keys)
    groups = _groups(points, keys)
    ncol = 2 if len(panels) <= 4 else 3
    nrow = math.ceil(len(panels) / ncol)
    fig = _figure(1.2 + 3.3 * nrow)
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax, panel in zip(axes, panels):
        k, unit = panel["kpi"], panel["unit"]
        scale = 100.0 if unit in ("share", "0/1") else 1.0
        for gi, (glabel, idx) in enumerate(groups):
            idx = sorted(idx, key=lambda i: xs[i])
            x = np.array([xs[i] for i in idx])
            mean = np.array([points[i].kpis.get(k, {}).get("mean", np.nan) for i in idx], float) * scale
            lo = np.array([points[i].kpis.get(k, {}).get("ci_low", np.nan) for i in idx], float) * scale
            hi = np.array([points[i].kpis.get(k, {}).get("ci_high", np.nan) for i in idx], float) * scale
            c = ARM_COLOURS[gi % len(ARM_COLOURS)]
            if numeric:
                if not np.all(np.isnan(lo)):
                    ax.fill_between(x, lo, hi, color=c, alpha=0.22, lw=0)
                ax.plot(x, mean, "o-", color=c, lw=2.2, ms=6, label=glabel or "mean, 95% CI shaded")
            else:   # categories: no line between them; the CI as error bars
                off = (gi - (len(groups) - 1) / 2) * 0.08
                err = None if np.all(np.isnan(lo)) else np.nan_to_num([mean - lo, hi - mean])
                ax.errorbar(x + off, mean, yerr=err, fmt="o", color=c, ms=8, capsize=6, lw=2,
                            label=glabel or "mean, 95% CI")
        for y, lab in panel.get("lines", []):
            ax.axhline(y * scale, color=STANDARD_COLOUR, ls="--", lw=1.6)
            ax.text(0.99, y * scale, lab, transform=ax.get_yaxis_transform(), ha="right", va="bottom",
                    color=STANDARD_COLOUR, fontsize=11)
        if cheapest is not None:
            ax.axvline(xs[cheapest], color=OK_COLOUR, ls="-", lw=2.5, alpha=0.6)
        if unit in ("share", "0/1"):
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(100, decimals=0))
            if k == "meets_recommendation" or not panel.get("lines"):
                ax.set_ylim(-4 if k == "meets_recommendation" else 0, 104)
            else:
                lo_y = min(ax.get_ylim()[0], min(y * 100 for y, _ in panel["lines"]))
                ax.set_ylim(max(0, lo_y - 5), 104)
        else:
            ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], max((y for y, _ in panel.get("lines", [])), default=0) * 1.15))
        ax.set_title(panel["title"], loc="left", fontsize=12.5)
        ax.set_ylabel(panel.get("ylabel", unit))
        last_row = list(axes).index(ax) + ncol >= len(panels)
        _sweep_axes(ax, points, keys, xs, numeric, xlabel=last_row)
        if len(groups) > 1 and ax is axes[0]:
            legend_outside(ax, wrap=18)
    mark = (f"Green line: the cheapest point meeting HMIC's recommendation in every replication, {points[cheapest].label}"
            if cheapest is not None else "No point meets HMIC's recommendation in every replication")
    fig.suptitle(f"{title}\n{_reps_text(points).replace(' shaded', ' shaded' if numeric else ' as error bars')}; "
                 "dashed lines: thresholds and standards", fontsize=14)
    fig.supxlabel(mark, fontsize=12, color=OK_COLOUR if cheapest is not None else STANDARD_COLOUR)
    return Drawn(slug, title, fig, caption)


def fig_sweep_downgrades(points: list[ArmView], slug: str = "3-sweep-downgrades-by-hour") -> Drawn:
    title = "When downgrades happen, at each point of the sweep: per week, by hour of day"
    rows = []
    for p in points:
        m = _downgrade_matrix(p)
        if m is not None:
            rows.append((p, np.nansum(m, axis=0)))
    if not rows:
        return _missing(slug, title, "left out: no resource_downgrades profile in this sweep")
    if all(r.sum() == 0 for _, r in rows):
        return _missing(slug, title, "no resource-driven downgrades happened at any point of the sweep")
    m = np.array([r for _, r in rows])
    fig = _figure(max(3.6, 1.9 + 0.48 * len(rows)))
    ax = fig.subplots()
    im = ax.imshow(np.ma.masked_equal(m, 0.0), aspect="auto", cmap=_HEAT, vmin=0, vmax=m.max(),
                   interpolation="nearest")
    _cell_grid(ax, m.shape[0], 24)
    big = len(rows) <= 16
    for i in range(m.shape[0]):
        for h in range(24):
            if big and round(m[i, h], 1) >= 0.1:
                ax.text(h, i, f"{m[i, h]:.1f}", ha="center", va="center", fontsize=10.5,
                        color="white" if m[i, h] > 0.6 * m.max() else "black")
        ax.text(24.0, i, f"{_per_week(rows[i][0], m[i]):.1f}", ha="left", va="center", fontsize=11, clip_on=False)
    ax.text(24.0, -0.7, "per week (KPI)", ha="left", va="bottom", fontsize=11, clip_on=False)
    ax.set_yticks(range(len(rows)), [_short(p.label.replace("response.", ""), 36) for p, _ in rows])
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
    ax.set_xlabel("hour of day (each column is one hour, 00 = 00:00–01:00)")
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    cb = fig.colorbar(im, ax=ax, pad=0.08)
    cb.set_label("downgrades per week")
    fig.suptitle("Resource-driven downgrades per week by hour of day, at each sweep point")
    worst = int(np.argmax([_per_week(p, r) for p, r in rows]))
    h = int(np.argmax(m[worst]))
    caption = (f"Each row is one sweep point: read down a column to see whether extra officers remove the "
               f"downgrades at that hour; at {rows[worst][0].label} the worst hour is {h:02d}:00 "
               f"({m[worst, h]:.1f} per week)")
    return Drawn(slug, title, fig, caption + ".")


def fig_sweep_pending(points: list[ArmView], slug: str = "4-sweep-pending") -> Drawn:
    title = "The pending list over a typical week, at each point of the sweep"
    got = _with_profile(points, "pending")
    if not got:
        return _missing(slug, title, "left out: no pending profile in this sweep")
    if len(got) > 8:
        pick = sorted(set(np.linspace(0, len(got) - 1, 8).round().astype(int)))
        got = [got[i] for i in pick]
    fig = _figure(5.8)
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis"]
    for i, (p, (x, m)) in enumerate(got):
        med = _quiet(np.nanmedian, m, axis=0)
        ax.plot(x, med, color=cmap(i / max(len(got) - 1, 1) * 0.8), lw=2.0 if i == 0 else 1.8,
                label=f"{_short(p.label.replace('response.', ''), 34)} (peak {np.nanmax(med):.0f})")
    ax.set_ylabel("unresourced G1/G2 incidents")
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.08)
    legend_outside(ax)
    week_axis(ax, step="15-minute slots")
    fig.suptitle("The pending list over a typical week at each sweep point (median over replications)")
    peaks = [float(np.nanmax(_quiet(np.nanmedian, pr[1], axis=0))) for _, pr in got]
    caption = (f"Each line is the median pending list at one sweep point: the peak falls from {peaks[0]:.0f} "
               f"to {peaks[-1]:.0f} incidents waiting between {got[0][0].label} and {got[-1][0].label}"
               if peaks[-1] < peaks[0] else
               f"Each line is the median pending list at one sweep point: peaks from {min(peaks):.0f} to "
               f"{max(peaks):.0f} incidents waiting")
    return Drawn(slug, title, fig, caption + ".")
