"""Figure 1: demand against capacity by hour of week: incidents needing an officer above,
effective response units (and units busy) below, so a reader sees the hours when no officer
is free for the next call.
"""
from __future__ import annotations

import numpy as np

from sim.report.figures.arms import ArmView, _partial_week, _reps_text
from sim.report.figures.bands import mean_band
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import (ARM_COLOURS, STANDARD_COLOUR, _figure, _short, _step, _step_band, how_label,
                                      legend_outside, week_axis)

SATURATED = 0.97   # busy / effective units above which no officer is, in practice, free


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where mask is true."""
    out, start = [], None
    for i, v in enumerate(list(mask) + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i))
            start = None
    return out


def more_or_fewer(b_label: str, b_units: float, a_units: float, a_label: str) -> str:
    """B's effective units at A's demand peak against A's, as a count a reader can take: 'B has
    98 effective units there, 6 more than A' (never a negative count of units)."""
    diff = round(float(b_units) - float(a_units))
    than = "as many as" if diff == 0 else f"{abs(diff):.0f} {'more' if diff > 0 else 'fewer'} than"
    return (f"{b_label} has {b_units:.0f} effective units at that hour, {than} "
            f"{a_label.split(':')[0]}")


def fig_demand_capacity(arms: list[ArmView], slug: str = "1-demand-capacity") -> Drawn:
    title = "Demand against capacity by hour of week"
    got = [(a, a.profile("incidents_to_attend"), a.profile("units_available"), a.profile("units_busy"),
            a.profile("units_on_duty")) for a in arms]
    got = [g for g in got if g[1] is not None and g[2] is not None]
    if not got:
        return _missing(slug, title, "left out: this run's profiles.parquet has no demand or units-available "
                                     "profile (incidents_to_attend, units_available)")
    compare = len(got) > 1
    free_panel = compare and all(g[3] is not None for g in got)
    fig = _figure(9.0 if free_panel else 7.2)
    axes = fig.subplots(3 if free_panel else 2, 1, sharex=True,
                        gridspec_kw={"height_ratios": [1, 1.4, 1.1] if free_panel else [1, 1.5]})
    top, bottom = axes[0], axes[1]
    for i, (arm, dem, av, busy, duty) in enumerate(got):
        colour = ARM_COLOURS[i] if compare else "0.15"
        mean, lo, hi = mean_band(dem[1])
        _step_band(top, dem[0], lo, hi, color=colour, alpha=0.2)
        _step(top, dem[0], mean, color=colour, lw=1.8 if i == 0 else 1.3, ls="-" if i == 0 else "--",
              label=_short(arm.label, 40) if compare else
              "incidents needing attendance (G1/G2 graded + G3 appointments due)")
    top.set_ylabel("incidents per hour")
    top.set_ylim(0, top.get_ylim()[1] * 1.05)
    legend_outside(top)
    top.set_title("Incidents needing an officer per hour: G1/G2 graded + G3 appointments due (mean per week)"
                  if compare else "Incidents needing an officer, per hour (mean per week)", loc="left")
    week_axis(top, label=False)

    for i, (arm, dem, av, busy, duty) in enumerate(got):
        colour = ARM_COLOURS[i]
        if duty is not None and not compare:
            _step(bottom, duty[0], mean_band(duty[1])[0], color="0.55", lw=1.2,
                  label="units on duty (rota, incl. overtime)")
        mean, lo, hi = mean_band(av[1])
        _step_band(bottom, av[0], lo, hi, color=colour, alpha=0.25)
        _step(bottom, av[0], mean, color=colour, lw=2.4 if i == 0 else 2.0,
              label=_short(arm.label, 40) if compare else
              "effective units (on duty, not in briefings, breaks, statements)")
        if busy is not None and not compare:
            bm = mean_band(busy[1])[0]
            x = np.append(busy[0], busy[0][-1] + 1)
            bottom.fill_between(x, 0, np.append(bm, bm[-1]), step="post", color="#E69F00", alpha=0.45, lw=0,
                                label="units busy on incidents (travel, scene, custody, admin)")
            tight = bm >= SATURATED * mean
            for k, (s0, s1) in enumerate(_runs(tight)):
                for ax_ in (top, bottom):
                    ax_.axvspan(busy[0][s0], busy[0][s1 - 1] + 1, color=STANDARD_COLOUR, alpha=0.10, lw=0,
                                label=(f"hours with no officer free (≥ {SATURATED:.0%} of effective units busy)"
                                       if k == 0 and ax_ is bottom else None))
    bottom.set_ylabel("response units")
    bottom.set_title("Effective response units: on duty and not in briefings, breaks or statements" if compare
                     else "Response units: effective capacity and units busy on incidents", loc="left")
    legend_outside(bottom)
    bottom.set_ylim(0, bottom.get_ylim()[1] * 1.05)
    week_axis(bottom, label=not free_panel)
    if free_panel:
        ax = axes[2]
        for i, (arm, dem, av, busy, duty) in enumerate(got):
            free = av[1] - busy[1]
            mean, lo, hi = mean_band(free)
            _step(ax, av[0], mean, color=ARM_COLOURS[i], lw=2.6 if i == 0 else 1.8, label=_short(arm.label, 40),
                  zorder=3 if i == 0 else 2)
        ax.axhline(0, color=STANDARD_COLOUR, ls="--", lw=1.5, label="none free")
        ax.set_ylabel("units free")
        ax.set_title("Officers free for the next call: effective units minus units busy", loc="left")
        legend_outside(ax)
        ax.set_ylim(min(ax.get_ylim()[0], -2), ax.get_ylim()[1] * 1.08)
        week_axis(ax)
    fig.suptitle(f"{title} ({_reps_text([g[0] for g in got])})")

    arm, dem, av = got[0][0], got[0][1], got[0][2]
    d, a = mean_band(dem[1])[0], mean_band(av[1])[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a > 0, d / a, np.nan)
    if np.all(np.isnan(ratio)) or np.all(np.isnan(d)):
        caption = ("No effective unit was on duty in any hour with demand (or there was no demand), so "
                   "there is no hour to compare")
    else:
        hi_h, peak_d, peak_a = int(np.nanargmax(ratio)), int(np.nanargmax(d)), int(np.nanargmax(np.nan_to_num(a)))
        most = (f", while {how_label(peak_a)} has the most, {a[peak_a]:.0f} units for {d[peak_a]:.0f} incidents an "
                "hour" if peak_a != peak_d else " (the most effective units of the week)")
        caption = (f"Read the panels together: demand peaks at {how_label(peak_d)} ({d[peak_d]:.0f} incidents an "
                   f"hour) with {a[peak_d]:.0f} effective units on duty{most}; the most stretched hour is "
                   f"{how_label(hi_h)} ({d[hi_h]:.0f} incidents for {a[hi_h]:.0f} units)")
    if compare and not caption.startswith("No "):
        a2 = mean_band(got[1][2][1])[0]
        caption += "; " + more_or_fewer(got[1][0].label, a2[peak_d], a[peak_d], got[0][0].label)
    notes = [n for n in [_partial_week([g[0] for g in got])] + [g[0].rota_note() for g in got] if n]
    return Drawn(slug, title, fig, caption + ".", note="; ".join(dict.fromkeys(notes)))
