"""Figure 4: the pending list (unresourced G1/G2 incidents) over a typical week, with the
response shifts on duty beneath it, so a reader can see whether the backlog peaks just
before a shift starts.
"""
from __future__ import annotations

import numpy as np

from sim.report.figures.arms import ArmView, _partial_week, _unique_shifts, _with_profile
from sim.report.figures.bands import MIN_PERCENTILE_REPS, _quiet
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import ARM_COLOURS, SHIFT_COLOURS, _figure, _short, how_label, legend_outside, week_axis

def _shift_strip(ax, shifts: list[dict]) -> None:
    for i, sh in enumerate(shifts):
        colour = SHIFT_COLOURS[i % len(SHIFT_COLOURS)]
        for d in sh["days"]:
            if sh["heads"][d] == 0:
                continue
            start = d * 24 + sh["start_h"]
            end = start + sh["hours"]
            for s, e in ((start, min(end, 168)), (0, end - 168) if end > 168 else (0, 0)):
                if e > s:
                    ax.broken_barh([(s, e - s)], (i - 0.38, 0.76), color=colour, alpha=0.85, lw=0)
    ax.set_yticks(range(len(shifts)),
                  [f"{sh['name']} {int(sh['start_h']):02d}:{int(round(sh['start_h'] % 1 * 60)):02d}"
                   f" ({sh['hours']:g} h)" for sh in shifts])
    ax.set_ylim(len(shifts) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    for s in ("left",):
        ax.spines[s].set_visible(False)



def fig_pending(arms: list[ArmView], slug: str = "4-pending-week") -> Drawn:
    title = "The pending list over a typical week: unresourced G1/G2 incidents"
    got = _with_profile(arms, "pending")
    if not got:
        return _missing(slug, title, "left out: this run's profiles.parquet has no pending profile")
    shifts = _unique_shifts([a for a, _ in got])
    fig = _figure(6.6)
    if shifts:
        ax, strip = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4.2, 0.45 + 0.3 * len(shifts)]})
    else:
        ax, strip = fig.subplots(1, 1), None
    compare = len(got) > 1
    peak = None
    for i, (arm, (x, m)) in enumerate(got):
        colour = ARM_COLOURS[i]
        med = _quiet(np.nanmedian, m, axis=0)
        lo, hi = _quiet(np.nanpercentile, m, [5, 95], axis=0)
        if m.shape[0] >= MIN_PERCENTILE_REPS:
            ax.fill_between(x, lo, hi, color=colour, alpha=0.22, lw=0,
                            label=None if compare else "90% band (5th–95th percentile over replications)")
        ax.plot(x, med, color=colour, lw=2, label=f"{_short(arm.label, 36)}: median" if compare
                else f"median over {m.shape[0]} replications" if m.shape[0] > 1 else "one replication")
        if peak is None:
            peak = (arm, int(np.nanargmax(med)), float(np.nanmax(med)), x)
    for j, sh in enumerate(shifts):
        colour = SHIFT_COLOURS[j % len(SHIFT_COLOURS)]
        for d in sh["days"]:
            if sh["heads"][d]:
                ax.axvline(d * 24 + sh["start_h"], color=colour, lw=1.1, ls=":", alpha=0.9)
    ax.set_ylabel("incidents waiting for an officer")
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1] * 1.08, 1))
    if compare and got[0][1][1].shape[0] >= MIN_PERCENTILE_REPS:
        from matplotlib.patches import Patch

        handles, labels = ax.get_legend_handles_labels()
        handles.append(Patch(color="0.6", alpha=0.4, lw=0))
        labels.append("shaded: 90% band over replications")
        legend_outside(ax, handles, labels)
    else:
        legend_outside(ax)
    ax.set_title("Unresourced G1/G2 incidents at each 15-minute slot (dotted lines: shift starts)", loc="left")
    week_axis(ax, label=strip is None, step="15-minute slots")
    if strip is not None:
        _shift_strip(strip, shifts)
        averaged = [a.rota_pattern("response").days for a, _ in got if "average week" in a.rota_note("response")]
        strip.set_title("Response shifts on duty" + (f" (the average week of a {averaged[0]}-day team pattern)"
                                                     if averaged else ""), loc="left", fontsize=12)
        week_axis(strip, step="15-minute slots")
    n = got[0][1][1].shape[0]
    fig.suptitle("The pending list over a typical week (" + (
        "median and 90% band over replications" if n >= MIN_PERCENTILE_REPS else
        f"median of {n} replications; a 90% band needs {MIN_PERCENTILE_REPS} or more" if n > 1 else
        "1 replication") + ")")

    arm, k, v, x = peak
    t = x[k]
    caption = f"The median pending list is longest at {how_label(t)} ({v:.0f} incidents waiting"
    own = _unique_shifts([arm])   # the peak's own arm's shifts: B's may start a shift A does not have
    if own:
        upcoming = sorted(((d * 24 + sh["start_h"] - t) % 168, sh["name"], d * 24 + sh["start_h"])
                          for sh in own for d in sh["days"] if sh["heads"][d])
        if upcoming:
            wait, name, at = upcoming[0] if upcoming[0][0] > 0 else (upcoming[1] if len(upcoming) > 1 else upcoming[0])
            caption += f", {wait:.1f} h before the {name} shift starts at {how_label(at)[4:]}"
    caption += ")"
    if compare:
        others = [f"{a.label} {float(np.nanmax(_quiet(np.nanmedian, p[1], axis=0))):.0f}" for a, p in got[1:]]
        caption += f"; peak median in {', '.join(others)} against {v:.0f} in {arm.label}"
    most = [(a, a.kpi("max_pending")) for a, _ in got]
    if all(v == v for _, v in most):
        caption += ("; the most waiting at any one moment (KPI table) is "
                    + (", ".join(f"{v:.1f} in {a.label}" for a, v in most) if compare else f"{most[0][1]:.1f}")
                    + ", higher because it takes the worst moment of each replication, not the median at a "
                      "15-minute snapshot")
    caption += "; a band that widens marks hours when the backlog differs a lot from week to week"
    notes = [n for n in [_partial_week([a for a, _ in got])] + [a.rota_note() for a, _ in got] if n]
    return Drawn(slug, title, fig, caption + ".", note="; ".join(dict.fromkeys(notes)))
