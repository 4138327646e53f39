"""Figure 6: call handling by hour of day: 999 calls answered within 10 s against the national
target, and 101 calls abandoned, with the call handlers' shift starts marked.
"""
from __future__ import annotations

import matplotlib
import numpy as np

from sim.report.figures.arms import ArmView, _reps_text
from sim.report.figures.bands import _nanmean0, mean_band
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import ARM_COLOURS, STANDARD_COLOUR, _figure, _pct_axis, _short, legend_outside

# 999 answering: the national standard is 90% of 999 calls answered within 10 s
# (shared/reference/domain-figures.md [S]); the scenario file does not carry it.
SL_999_TARGET = 0.90


def fig_call_handling(arms: list[ArmView], slug: str = "6-call-handling") -> Drawn:
    title = "Call handling by hour of day: 999 answered within 10 s and 101 abandonment"
    specs = [("sl_999_10s", "999 calls answered within 10 s", "answered within 10 s (%)"),
             ("abandon_rate_101", "101 calls abandoned before answer", "abandoned (%)")]
    have = [(s, [(a, a.profile(s[0])) for a in arms]) for s in specs]
    have = [(s, [(a, p) for a, p in lst if p is not None]) for s, lst in have]
    notes = [f"{s[1]} by hour is missing (no {s[0]} profile)" for s, lst in have if not lst]
    have = [(s, lst) for s, lst in have if lst]
    if not have:
        return _missing(slug, title, "left out: " + "; ".join(notes))
    # with common random numbers and the same handlers, arms often answer identically: draw once
    fig = _figure(5.6)
    axes = fig.subplots(1, len(have), squeeze=False)[0]
    handler = _unique_handler_starts(arms)
    caption = []
    for ax, ((name, heading, ylabel), lst) in zip(axes, have):
        first = _nanmean0(lst[0][1][1])
        draw = [lst[0]] + [(a, p) for a, p in lst[1:] if not np.allclose(_nanmean0(p[1]), first, equal_nan=True)]
        same = len(lst) > 1 and len(draw) == 1
        top = 0.0
        for i, (a, (x, m)) in enumerate(draw):
            mean, lo, hi = mean_band(m, upper=1.0)
            c = ARM_COLOURS[i]
            xs = x + 0.5
            if not np.all(np.isnan(lo)):
                ax.fill_between(xs, lo, hi, color=c, alpha=0.22, lw=0)
            label = ("all scenarios (identical call handling)" if same else
                     (_short(a.label) if len(lst) > 1 else "by hour of the call"))
            ax.plot(xs, mean, "o-", color=c, lw=2, ms=5, label=label)
            top = max(top, np.nanmax(hi if not np.all(np.isnan(hi)) else mean))
            if i == 0:
                if name == "sl_999_10s":
                    below = int(np.sum(mean < SL_999_TARGET))
                    h = int(np.nanargmin(mean))
                    caption.append(f"999 answering misses the 90%-in-10-s target in {below} of 24 hours, worst "
                                   f"{h:02d}:00–{(h + 1) % 24:02d}:00 ({mean[h]:.0%})")
                else:
                    h = int(np.nanargmax(mean))
                    caption.append(f"101 abandonment peaks at {mean[h]:.0%} for calls made "
                                   f"{h:02d}:00–{(h + 1) % 24:02d}:00")
        k = lst[0][0].kpi(name)
        if name == "sl_999_10s":
            ax.axhline(SL_999_TARGET, color=STANDARD_COLOUR, ls="--", lw=1.6, label="target: 90% within 10 s")
            _pct_axis(ax, 1.12)
        else:
            _pct_axis(ax, max(0.05, top * 1.35))
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=None))
        if k == k:
            ax.axhline(k, color="0.35", ls=":", lw=1.6, label=f"whole day: {k:.1%}")
        for start, names in handler:
            ax.axvline(start, color="0.55", lw=1.2, ls="-.")
        if handler:
            top_ax = ax.secondary_xaxis("top")
            top_ax.set_xticks([h for h, _ in handler], ["/".join(n) + " on" for _, n in handler], fontsize=11,
                              color="0.3")
            top_ax.tick_params(length=4, color="0.55")
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 6), [f"{h:02d}:00" for h in range(0, 25, 6)])   # 3-hourly ran together
        ax.set_xlabel("hour of day the call arrived")
        ax.set_ylabel(ylabel)
        ax.set_title(heading, loc="left", pad=28 if handler else 6)
        ax.grid(True, color="0.9", lw=0.8)
        legend_outside(ax, wrap=18)
    fig.suptitle(f"Call handling by hour of day ({_reps_text(arms)})")
    return Drawn(slug, title, fig, "; ".join(caption) + ".", note="; ".join(notes))


def _unique_handler_starts(arms: list[ArmView]) -> list[tuple[float, list[str]]]:
    starts: dict[float, list[str]] = {}
    for a in arms[:1]:
        for sh in a.shifts("call_handling"):
            if sh["hours"] >= 24:
                continue
            starts.setdefault(sh["start_h"], []).append(sh["name"])
    return sorted(starts.items())
