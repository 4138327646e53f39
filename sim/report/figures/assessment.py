"""The report's figure on HMIC's first recommendation (issue 15): vulnerable callers at first
contact, and how long incidents downgraded for lack of officers wait for a unit.

Drawn from saved profiles and KPIs only, like every figure in ``sim.report.figures``.
"""
from __future__ import annotations

import numpy as np

from sim.measures.assessment import ATTENDED_AFTER_BINS
from sim.report.figures.arms import _reps_text
from sim.report.figures.bands import _nanmean0, mean_band
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import ARM_COLOURS, _figure, _pct_axis, _short, _step, legend_outside, week_axis

SLUG = "8-first-recommendation"
BLOCK = 4   # hours per bar of the week panel


def _blocks(m: np.ndarray) -> np.ndarray:
    """Mean over replications of hourly values summed into BLOCK-hour blocks (NaN: never seen)."""
    mean = _nanmean0(m)
    return mean.reshape(-1, BLOCK).sum(axis=1) if mean.size % BLOCK == 0 else mean
TITLE = "HMIC's first recommendation: vulnerable callers at first contact, and when downgraded incidents are attended"


def fig_first_recommendation(arms: list, slug: str = SLUG) -> Drawn:
    have = [(a, a.profile("vulnerable", "all")) for a in arms]
    after = [(a, a.profile("downgraded_attended_after")) for a in arms]
    if all(p is None for _, p in have) and all(p is None for _, p in after):
        return _missing(slug, TITLE, "left out: the scenario models no vulnerable callers and no downgrades")
    fig = _figure(9.0)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.15, 1])
    ax_week = fig.add_subplot(grid[0, :])
    ax_share = fig.add_subplot(grid[1, 0])
    ax_after = fig.add_subplot(grid[1, 1])
    caption = []

    # (a) by hour of week, in 4-hour blocks: vulnerable callers missed at first contact, under-graded,
    # downgraded (hourly counts of a few weeks are too sparse to read)
    drawn = False
    for i, (a, p) in enumerate(have):
        if p is None:
            continue
        c = ARM_COLOURS[i]
        name = _short(a.label.split(":")[0]) if len(arms) > 1 else ""   # "A" / "B": the heading names them
        x = p[0][::BLOCK]
        if i == 0:
            _step(ax_week, x, _blocks(p[1]), color="0.6", lw=1.2, label="vulnerable callers (all)")
        for key, ls, what in (("missed", "-", "missed at first contact"), ("undergraded", "--", "under-graded"),
                              ("downgraded", ":", "downgraded for lack of a unit")):
            q = a.profile("vulnerable", key)
            if q is not None:
                _step(ax_week, x, _blocks(q[1]), color=c, ls=ls, lw=2,
                        label=f"{name}: {what}" if name else what)
                drawn = True
    if drawn:
        week_axis(ax_week, step=f"{BLOCK}-hour blocks")
        ax_week.set_ylabel(f"callers per week, per {BLOCK} h")
        ax_week.set_ylim(bottom=0)
        ax_week.set_ylim(0, ax_week.get_ylim()[1] * 1.08)   # the key is beside the axes
        legend_outside(ax_week, wrap=22)
        ax_week.set_title(f"Vulnerable and repeat victims by {BLOCK}-hour block of the week (mean per week)", loc="left")
    else:
        ax_week.text(0.5, 0.5, "no vulnerable callers modelled", ha="center", va="center", transform=ax_week.transAxes)
        ax_week.set_axis_off()

    # (b) identified share and true-risk G1/G2 in target, with 95% CIs
    specs = (("vulnerable_identified", "identified"), ("vulnerable_g1_in_target", "true G1\nin 15/20 min"),
             ("vulnerable_g2_in_target", "true G2\nin 60 min"))
    width = 0.8 / max(len(arms), 1)
    for i, a in enumerate(arms):
        means, lo, hi = [], [], []
        for k, _ in specs:
            d = a.kpis.get(k, {})
            m = float(d.get("mean", np.nan))
            means.append(m)
            lo.append(m - float(d.get("ci_low", m)) if d.get("ci_low") == d.get("ci_low") else 0.0)
            hi.append(float(d.get("ci_high", m)) - m if d.get("ci_high") == d.get("ci_high") else 0.0)
        xs = np.arange(len(specs)) + (i - (len(arms) - 1) / 2) * width
        err = [np.nan_to_num(lo), np.nan_to_num(hi)] if a.reps >= 2 else None  # one replication: no CI to draw
        ax_share.bar(xs, means, width, color=ARM_COLOURS[i], yerr=err, capsize=4, label=_short(a.label))
        if i == 0 and means[0] == means[0]:
            caption.append(f"{_short(a.label)} identifies {means[0]:.0%} of vulnerable callers at first contact")
        elif means[0] == means[0]:
            caption.append(f"{_short(a.label)} {means[0]:.0%}")
    ax_share.set_xticks(np.arange(len(specs)), [s for _, s in specs])
    _pct_axis(ax_share, 1.05)
    ax_share.set_title("Vulnerable callers: identified, attended", loc="left")

    # (c) downgraded incidents: days from the call to the first unit on scene
    bins = np.arange(len(ATTENDED_AFTER_BINS))
    for i, (a, p) in enumerate(after):
        if p is None:
            continue
        mean, lo, hi = mean_band(p[1])
        xs = bins + (i - (len(arms) - 1) / 2) * width
        err = [np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)] if a.reps >= 2 else None
        ax_after.bar(xs, mean, width, color=ARM_COLOURS[i], label=_short(a.label), yerr=err, capsize=3)
        late = float(np.nansum(mean[2:5]))
        caption.append(f"{_short(a.label)}: {late:.1f} downgraded incidents a week attended more than two days "
                       f"after the call")
    ax_after.set_xticks(bins, ATTENDED_AFTER_BINS)
    ax_after.set_xlabel("call to first unit on scene")
    ax_after.set_ylabel("incidents per week")
    ax_after.set_title("Downgraded: attended after", loc="left")
    if len(arms) > 1:   # one key for both lower panels, below them (inside, it covered bars)
        handles, labels = ax_share.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(arms), fontsize=10, frameon=False)
    fig.suptitle("Initial assessment and the wait after a downgrade ("
                 + _reps_text(arms).replace("CI shaded", "CI bars") + ")")
    return Drawn(slug, TITLE, fig, "; ".join(caption) + ".")
