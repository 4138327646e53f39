"""Figure 5: unit utilisation, overtime (by the shift that ran over) and neighbourhood officers
borrowed for response, by hour of week; a panel only for what was worked.
"""
from __future__ import annotations

import numpy as np

from sim.report.figures.arms import (ArmView, _measured_days, _partial_week, _reps_text, _tag, _unique_shifts,
                                     _with_profile)
from sim.report.figures.bands import _nanmean0, mean_band
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import (ARM_COLOURS, SHIFT_COLOURS, _figure, _hhmm, _pct_axis, _short, _step, _step_band,
                                      how_label, legend_outside, week_axis)
from sim.report.labels import plural

def _hours_profiles(arms: list[ArmView], name: str) -> tuple[list, bool]:
    """The arms that have profile ``name`` (with it), and whether any of them has hours in it:
    a panel is drawn only for hours that were worked."""
    got = _with_profile(arms, name)
    return got, any(np.nansum(p[1]) > 0 for _, p in got)


def fig_utilisation(arms: list[ArmView], slug: str = "5-utilisation-overtime") -> Drawn:
    title = "Unit utilisation, overtime and neighbourhood hours borrowed, by hour of week"
    panels, notes = [], []
    util = []
    for a in arms:
        busy, duty = a.profile("units_busy"), a.profile("units_on_duty")
        if busy is not None and duty is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                util.append((a, busy[0], np.where(duty[1] > 0, busy[1] / duty[1], np.nan)))
    if util:
        panels.append("util")
    else:
        notes.append("utilisation by hour is missing (no units_busy / units_on_duty profile)")
    over, has_over = _hours_profiles(arms, "overtime_hours")
    if has_over:
        panels.append("over")
    else:
        notes.append("no overtime was worked (no unit was kept past its shift end)" if over
                     else "overtime by hour is missing (no overtime_hours profile)")
    nb, has_nb = _hours_profiles(arms, "neighbourhood_hours")
    if has_nb:
        panels.append("nb")
    elif nb:
        policies = ", ".join(sorted({a.policy for a, _ in nb}))
        notes.append(f"no neighbourhood officers were borrowed under this policy ({policies}), so that panel is left out")
    else:
        notes.append("neighbourhood hours are missing (no neighbourhood_hours profile)")
    if not panels:
        return _missing(slug, title, "left out: " + "; ".join(notes))
    compare = len(arms) > 1
    fig = _figure(2.4 + 2.4 * len(panels) if len(panels) > 1 else 5.5)
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    caption = []
    for ax, panel in zip(axes, panels):
        if panel == "util":
            for i, (a, x, m) in enumerate(util):
                mean, lo, hi = mean_band(m, upper=1.0)
                c = ARM_COLOURS[i]
                _step_band(ax, x, lo, hi, color=c, alpha=0.25)
                _step(ax, x, mean, color=c, lw=2, label=(f"{_short(a.label)}" if compare else "busy on incidents / on duty"))
                k = a.kpi("unit_utilisation")
                if k == k:
                    ax.axhline(k, color=c, ls=":", lw=1.6, label=f"{_tag(a) + ' ' if compare else ''}average {k:.0%}")
                h = int(np.nanargmax(mean))
                caption.append(f"{'' if not compare else a.label + ': '}utilisation peaks at {mean[h]:.0%} "
                               f"on {how_label(h)}")
            _pct_axis(ax, 1.15)
            ax.set_ylabel("units busy (%)")
            ax.set_title("Utilisation: share of on-duty response units busy on incidents", loc="left")
            legend_outside(ax)
        elif panel == "over":
            width = 1.5 / len(over)
            ends = {}
            for j, sh in enumerate(_unique_shifts([a for a, _ in over])):
                ends.setdefault((sh["start_h"] + sh["hours"]) % 24, (j, sh["name"]))
            for i, (a, (x, m)) in enumerate(over):
                mean = _nanmean0(m)
                pos = x + 0.5 + (i - (len(over) - 1) / 2) * width
                if compare:
                    ok = np.nan_to_num(mean) > 0
                    ax.bar(pos[ok], mean[ok], width=width, color=ARM_COLOURS[i], alpha=0.9, label=_short(a.label))
                else:
                    which = np.array([ends.get(h % 24, (-1, "other"))[0] for h in x])
                    for j, name in sorted(set(ends.values())) + [(-1, "other")]:
                        sel = (which == j) & (mean > 0)
                        if sel.any():
                            ax.bar(pos[sel], mean[sel], width=width,
                                   color=SHIFT_COLOURS[j % len(SHIFT_COLOURS)] if j >= 0 else "0.5",
                                   label=f"{name} shift (ends {_hhmm(next(k for k, v in ends.items() if v[0] == j))})"
                                   if j >= 0 else "other shifts (e.g. neighbourhood)")
                if not compare or i == 0:
                    own: dict[float, str] = {}   # this arm's own shifts: the other arm's may end at the same hour
                    for sh in _unique_shifts([a]):
                        own.setdefault((sh["start_h"] + sh["hours"]) % 24, sh["name"])
                    by_shift: dict[str, float] = {}
                    for hh, v in zip(x, np.nan_to_num(mean)):
                        name = own.get(hh % 24, "other")
                        by_shift[name] = by_shift.get(name, 0.0) + v
                    top_shift = max(by_shift, key=by_shift.get)
                    total, kpi, days = float(np.nansum(mean)), a.kpi("overtime_hours"), _measured_days(a)
                    if kpi == kpi and days and total > 0:
                        caption.append(f"most overtime ({by_shift[top_shift] / total:.0%} of the {kpi:,.0f} h over "
                                       f"the {plural(days, 'measured day')}{' in ' + a.label if compare else ''}, as "
                                       f"in the KPI table) is worked by the {top_shift} shift finishing its last jobs")
                    else:
                        caption.append(f"most overtime ({by_shift[top_shift]:.0f} of {total:.0f} h a week) "
                                       f"is worked by the {top_shift} shift finishing its last jobs")
            ax.set_ylabel("hours per week")
            ax.set_ylim(bottom=0)
            ax.set_title("Overtime: hours worked past shift end, by the hour the shift ended", loc="left")
            legend_outside(ax)
        else:
            for i, (a, (x, m)) in enumerate(nb):
                mean, lo, hi = mean_band(m)
                c = ARM_COLOURS[i]
                _step_band(ax, x, lo, hi, color=c, alpha=0.25)
                _step(ax, x, mean, color=c, lw=2, label=_short(a.label) if compare else "neighbourhood officers borrowed")
            ax.set_ylabel("officers borrowed")
            ax.set_ylim(bottom=0)
            ax.set_title("Neighbourhood officers borrowed for response (mean number at each hour)", loc="left")
            legend_outside(ax)
            a0, p0 = nb[0]
            kpi, days = a0.kpi("neighbourhood_hours_lost"), _measured_days(a0)
            if kpi == kpi and days:
                caption.append(f"{kpi:,.0f} neighbourhood officer-hours are borrowed over the "
                               f"{plural(days, 'measured day')}{' in ' + a0.label if compare else ''}")
            else:
                caption.append(f"{float(np.nansum(_nanmean0(p0[1]))):.0f} neighbourhood officer-hours a week are "
                               "borrowed")
        week_axis(ax, label=ax is axes[-1])
    fig.suptitle(f"{title.split(',')[0]} and overtime ({_reps_text(arms)})" if "nb" not in panels
                 else f"Utilisation, overtime and borrowed officers ({_reps_text(arms)})")
    text = "; ".join(caption)
    partial = _partial_week(arms)
    return Drawn(slug, title, fig, text[:1].upper() + text[1:] + ".",
               note="; ".join(notes + ([partial] if partial else [])))
