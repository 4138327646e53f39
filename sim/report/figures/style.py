"""The report's look, shared by every figure: sized and lettered to be read when projected
(11 x 5.5 in at 110 dpi, text of 11 pt or more), colours that stay apart for colour-blind
readers, standards in one red (dashed, labelled), and the axes the figures have in common (a
week with its day names, hourly steps, percentages). One place, so that every figure reads the
same way.
"""
from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DPI = 110
WIDTH = 11.0
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.framealpha": 0.9,
    "figure.titlesize": 15,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
}
ARM_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
STANDARD_COLOUR = "#B2182B"
OK_COLOUR = "#1A9850"
SHIFT_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")


def _figure(height: float = 5.5, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _hhmm(h: float) -> str:
    minutes = int(round((h % 24) * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def how_label(h: float) -> str:
    """Hour of week -> 'Fri 21:00'."""
    h = float(h) % 168
    day, rest = divmod(h, 24)
    minutes = int(round(rest * 60))
    return f"{DAYS[int(day)]} {minutes // 60:02d}:{minutes % 60:02d}"


def week_axis(ax, label: bool = True, step: str = "hourly values") -> None:
    """x axis over a week: gridlines at midnight, day names at noon."""
    ax.set_xlim(0, 168)
    ax.set_xticks(np.arange(0, 169, 24))
    ax.set_xticklabels([])
    ax.set_xticks(np.arange(12, 168, 24), minor=True)
    ax.set_xticklabels(DAYS, minor=True)
    ax.tick_params(axis="x", which="minor", length=0, labelsize=12)
    ax.tick_params(axis="x", which="major", length=6)
    ax.grid(axis="x", which="major", color="0.75", lw=0.9)
    if label:
        ax.set_xlabel(f"day of the week (gridlines at midnight; {step})")


def _step(ax, x, y, **kw):
    """Hourly values as steps covering [x, x+1)."""
    x = np.asarray(x, float)
    width = np.diff(x).min() if x.size > 1 else 1.0
    return ax.step(np.append(x, x[-1] + width), np.append(y, y[-1]), where="post", **kw)


def _step_band(ax, x, lo, hi, **kw):
    x = np.asarray(x, float)
    if np.all(np.isnan(lo)):
        return
    width = np.diff(x).min() if x.size > 1 else 1.0
    ax.fill_between(np.append(x, x[-1] + width), np.append(lo, lo[-1]), np.append(hi, hi[-1]), step="post",
                    lw=0, **kw)


def _pct_axis(ax, top: float = 1.0) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, top)


def _short(label: str, n: int = 28) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


_HEAT = matplotlib.colormaps["YlOrRd"].with_extremes(bad=(1.0, 1.0, 1.0, 0.0))   # masked cells: see-through


def _cell_grid(ax, rows: int, cols: int) -> None:
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="0.9", lw=0.6)
    ax.tick_params(which="minor", length=0)


LEGEND_WRAP = 30   # characters a line of a legend label holds beside a plot


def legend_outside(ax, handles=None, labels=None, wrap: int = LEGEND_WRAP, **kw):
    """The axes' key beside it, to the right of the plotting area, never over the data (a key
    inside the axes covered the Monday demand peak and Monday's overtime bars). Long labels are
    wrapped so the key stays narrow; constrained layout makes room for it."""
    import textwrap

    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    labels = [textwrap.fill(str(lab), wrap, break_on_hyphens=False) for lab in labels]
    kw.setdefault("fontsize", 10)
    kw.pop("ncol", None)
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                     frameon=False, **kw)
