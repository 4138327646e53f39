"""Figure 3: call-to-scene times as ECDFs, one panel per grade with its standards dashed. The
readout under each panel and the caption keep two readings apart: the in-target KPI (each
incident against its initial grade's standard) and the curves' heights at the standards
(share of all incidents on scene by then).
"""
from __future__ import annotations

import math

import numpy as np

from sim.report.figures.arms import ArmView, _reps_text
from sim.report.figures.bands import mean_band
from sim.report.figures.drawing import Drawn, _missing
from sim.report.figures.style import STANDARD_COLOUR, _figure, _pct_axis, _short
from sim.report.labels import fmt_kpi

GRADES = ("G1", "G2", "G3")
IN_TARGET = {"G1": "g1_in_target", "G2": "g2_in_target", "G3": "g3_in_target"}


def share_with_ci(d: dict | None) -> str:
    """A share KPI from summary.csv as '75.5% (95% CI 73.6%–77.4%)', the CI clipped to 0-100%."""
    if not d or d.get("mean") is None or d.get("mean") != d.get("mean"):
        return "n/a"
    out = fmt_kpi("share", d["mean"])
    lo, hi, n = d.get("ci_low", math.nan), d.get("ci_high", math.nan), d.get("reps", 0)
    if n == n and n >= 2 and lo == lo and hi == hi:
        out += f" (95% CI {fmt_kpi('share', max(lo, 0.0))}–{fmt_kpi('share', min(hi, 1.0))})"
    elif n == 1:
        out += " (1 replication with a value, no CI)"
    return out


def _attended(arm: ArmView, profile: str, grade: str) -> np.ndarray | None:
    share_key = grade if profile == "response_by_initial_grade" else f"true {grade}"
    s = arm.profile("attended_share", share_key)
    return None if s is None else s[1][:, 0]


def _ecdf(arm: ArmView, profile: str, grade: str, grid: np.ndarray) -> np.ndarray | None:
    """Per replication: share of ALL incidents of the grade (attended or not) with an officer on
    scene within each grid time (minutes). The response profile covers attended incidents only,
    so each replication's curve is scaled by its share ever attended (``attended_share``):
    incidents never attended, or still waiting when the run ended, keep the curve below 100%."""
    p = arm.profile(profile, grade)
    share = _attended(arm, profile, grade)
    if p is None and share is None:
        return None
    pct = (p[0] if p is not None else PCT_GRID) / 100.0
    n = max(p[1].shape[0] if p is not None else 0, share.shape[0] if share is not None else 0)
    rows = []
    for r in range(n):
        q = p[1][r] if p is not None and r < p[1].shape[0] else np.full(pct.size, np.nan)
        s = share[r] if share is not None and r < share.shape[0] else math.nan
        if np.all(np.isnan(q)):
            if s == 0:   # incidents of this grade, none ever attended: a flat line at 0
                rows.append(np.zeros(grid.size))
            continue
        rows.append((1.0 if s != s else s) * np.interp(grid, q, pct, left=0.0, right=1.0))
    return np.array(rows) if rows else None


PCT_GRID = np.arange(101, dtype=float)


def _scaled(arm: ArmView, profile: str, grade: str) -> bool:
    return _attended(arm, profile, grade) is not None


def _standards_for(arm: ArmView, grade: str) -> list[tuple[float, str]]:
    """(minutes, label) of the grade's standards, strictest first; G1's are one per area."""
    st = arm.standards()
    if grade == "G1":
        return sorted((v, f"{v:g} min {k}") for k, v in st["g1"].items())
    if grade == "G2":
        return [(st["g2"], f"{st['g2']:g} min")]
    return [(st["g3"], f"{st['g3'] / 60:g} h")]


def _by(lab: str) -> str:
    """'15 min urban' -> 'by 15 min'."""
    return "by " + " ".join(lab.split()[:2])


def _reads(vals: list[float], stds: list[tuple[float, str]], short: bool = False) -> str:
    """'69% by 15 min, 85% by 20 min' ('69% by 15, 85% by 20 min' when short)."""
    items = [f"{v:.0%} {_by(lab)}" for v, (_, lab) in zip(vals, stds)]
    if short and len(items) > 1 and len({lab.split()[1] for _, lab in stds}) == 1:
        items = [x.rsplit(" ", 1)[0] for x in items[:-1]] + items[-1:]
    return ", ".join(items)


def _g1_areas(arm: ArmView) -> str:
    """'15 min urban, 20 min rural'."""
    return ", ".join(lab for _, lab in _standards_for(arm, "G1"))


def fig_response(series: list[tuple[str, ArmView, str, str, str]], slug: str, title: str, what: str) -> Drawn:
    """ECDFs of call-to-scene time, one panel per grade, the standards as dashed lines.

    Under each panel, the headline share within standard for an initial-grade curve is the KPI
    from summary.csv (``g1_in_target`` ...: each incident against the standard of its initial
    grade, G1 against its own area's standard, incidents still waiting at the end left out until
    their standard has passed), labelled "in target (KPI)". The curves' heights at the dashed
    lines are a different reading (share of *all* incidents on scene by that time) and are
    labelled as such, in the panel's readout and in the caption.

    ``series``: (label, arm, profile name, colour, line style)."""
    grades = [g for g in GRADES if any(_ecdf(arm, prof, g, np.zeros(1)) is not None for _, arm, prof, _, _ in series)]
    if not grades:
        return _missing(slug, title, "left out: this run's profiles.parquet has no response-time profile "
                                     f"({', '.join(sorted({s[2] for s in series}))})")
    compare = what != "both"
    tags = [((label.split(":", 1)[0] if ":" in label and len(label.split(":", 1)[0]) <= 2 else _short(label, 20))
             if compare else ("initial" if prof == "response_by_initial_grade" else "true-risk"))
            for label, arm, prof, _, _ in series]
    has_kpi = [prof == "response_by_initial_grade" for _, _, prof, _, _ in series]
    lines_per_panel = (sum(2 for k in has_kpi if k) + (1 if any(has_kpi) and "G1" in grades else 0) + 1
                       + len(series) + (0 if any(has_kpi) else 1))
    text_h = 0.55 + 0.225 * lines_per_panel   # room below the last line for the key
    fig = _figure(5.2 + text_h)
    axes = fig.subplots(2, len(grades), squeeze=False, gridspec_kw={"height_ratios": [4.3, text_h]})
    readings: dict[tuple[str, int], list[float]] = {}
    for ax, tx, g in zip(axes[0], axes[1], grades):
        stds = _standards_for(series[0][1], g)
        hours = g == "G3"
        scale = 60.0 if hours else 1.0                      # G3 drawn in hours
        hi = max(s for s, _ in stds) * (1.5 if hours else 4.0 if g == "G2" else 3.0)
        grid = np.union1d(np.linspace(0.0, hi, 600), [s for s, _ in stds])
        for k, (std, lab) in enumerate(stds):
            ax.axvline(std / scale, color=STANDARD_COLOUR, ls="--", lw=1.8)
            left = k == 0 and len(stds) > 1
            num, area = lab.split()[:2], lab.split()[2:]
            text = (f"{area[0]} standard {' '.join(num)}" if area else f"{g} standard {' '.join(num)}")
            ax.text(std / scale + (-1 if left else 1) * hi / scale * 0.012, 0.04, text,
                    rotation=90, color=STANDARD_COLOUR, fontsize=11, ha="right" if left else "left", va="bottom")
        for j, (label, arm, prof, colour, ls) in enumerate(series):
            e = _ecdf(arm, prof, g, grid)
            if e is None:
                continue
            mean, blo, bhi = mean_band(e)
            if not np.all(np.isnan(blo)):
                ax.fill_between(grid / scale, blo, np.minimum(bhi, 1.0), color=colour, alpha=0.22, lw=0)
            ax.plot(grid / scale, mean, color=colour, ls=ls, lw=2.4, label=label)
            vals = []
            for std, _ in stds:
                y = float(np.interp(std, grid, mean))
                vals.append(y)
                ax.plot([std / scale], [y], "o", color=colour, ms=8, zorder=5, mec="white")
            readings[(g, j)] = vals
        ax.set_xlim(0, hi / scale)
        _pct_axis(ax, 1.03)
        ax.grid(True, color="0.88", lw=0.8)
        ax.set_title({"initial": f"initial grade {g}", "true": f"true risk {g}"}.get(what, f"{g} incidents"),
                     loc="left")
        ax.set_xlabel("hours from the call" if hours else "minutes from the call")
        if ax is axes[0][0]:
            ax.set_ylabel("all incidents: officer on scene (%)")

        # the readout under the panel: the KPI first, then what the dots read
        tx.set_axis_off()
        row = [0]

        def put(text, colour="0.25", size=10.5, bold=False):
            t = tx.annotate(text, xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, -row[0] * 15.5 - 2),
                            textcoords="offset points", ha="left", va="top", fontsize=size, color=colour,
                            fontweight="bold" if bold else "normal", annotation_clip=False)
            t.set_in_layout(False)
            row[0] += 1

        for j, (label, arm, prof, colour, ls) in enumerate(series):
            if not has_kpi[j]:
                continue
            d = arm.kpis.get(IN_TARGET[g])
            head = f"{tags[j] + ' ' if compare else ''}in target (KPI): "
            if not d:
                put(head + "not in summary.csv", colour, 11.5, True)
                put("", colour)
                continue
            full = share_with_ci(d)
            put(head + full.split(" (")[0], colour, 12, True)
            put(full.split(" (", 1)[1].rstrip(")") if " (" in full else
                f"no {g} incident with a known outcome", colour)
        if any(has_kpi) and g == "G1":
            put("KPI: each G1 vs its own area's standard", "0.3", 10)
        put(f"dots: share of {'true ' if what == 'true' else 'all '}{g} on scene by then", "0.3", 10)
        for j, (label, arm, prof, colour, ls) in enumerate(series):
            if (g, j) in readings:
                who = f"{tags[j]} {g}" if not compare else f"{tags[j]}"
                put(f"{who}: " + _reads(readings[(g, j)], stds, short=True), colour, 10.5)
        if not any(has_kpi):
            put("no KPI is defined by true risk", "0.3", 10)
    handles, labels = axes[0][0].get_legend_handles_labels()
    labels = [_short(x, 90) for x in labels]
    side_by_side = sum(len(x) for x in labels) <= 90   # long scenario names: one per row, not off the edge
    fig.legend(handles, labels, loc="outside lower center", ncol=len(series) if side_by_side else 1,
               fontsize=12, frameon=False)
    fig.suptitle(f"{title.split(':')[0]} ({_reps_text([s[1] for s in series])})", fontsize=14)
    return Drawn(slug, title, fig, _response_caption(series, grades, readings, what, tags, has_kpi))


def _response_caption(series, grades, readings, what, tags, has_kpi) -> str:
    arm0 = series[0][1]
    compare = what != "both"
    out = []
    kpi_series = [j for j in range(len(series)) if has_kpi[j]]
    if kpi_series:
        parts = []
        for g in grades:
            vals = [f"{tags[j] + ' ' if compare else ''}{share_with_ci(series[j][1].kpis.get(IN_TARGET[g]))}"
                    for j in kpi_series]
            parts.append(f"{g} {' vs '.join(vals)}")
        out.append("In target (KPI, as in the KPI table): " + "; ".join(parts) + ". This is the share of incidents "
                   "with an officer on scene within the standard of their initial grade, each G1 judged against "
                   f"its own area's standard ({_g1_areas(arm0)}: the two dashed G1 lines), and incidents still "
                   "waiting when the run ended left out until their standard had passed")
    scaled = all(_scaled(arm, prof, g) for g in grades for _, arm, prof, _, _ in series
                 if arm.profile(prof, g) is not None)
    out.append("Each curve is the share of all incidents of the grade with an officer on scene by each time, "
               "scaled by the share ever attended so that incidents never attended (or still waiting at the end) "
               "keep it below 100%" if scaled else
               "Each curve covers attended incidents only (this folder has no attended_share profile to scale it "
               "by), so it reaches 100% even when some incidents were never attended")
    for kind in (True, False):
        reads = []
        for jj in range(len(series)):
            if has_kpi[jj] != kind:
                continue
            per = [f"{g} {_reads(readings[(g, jj)], _standards_for(arm0, g))}" for g in grades if (g, jj) in readings]
            if per:
                reads.append((f"{tags[jj]}: " if compare else "") + "; ".join(per))
        if not reads:
            continue
        who = "" if compare else (" of the initial-grade curve" if kind else " of the true-risk curve")
        meaning = ("the share of all incidents of that initial grade on scene by then, not the KPI" if kind else
                   "the share of all incidents whose true risk is that grade, whatever grade they were given "
                   "(G4 included, never attended), on scene by then; no KPI is defined by true risk")
        out.append(f"The dots{who} at the dashed lines read {meaning}: " + (" vs ".join(reads) if compare
                                                                              else reads[0]))
    if not kpi_series:
        out.append("The in-target KPI, by initial grade, is in the KPI table and Figure 3a")
    return ". ".join(out) + "."
