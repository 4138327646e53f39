"""Figures and the self-contained report.html (images embedded) for ``fit`` and ``backtest``: the
pages and their tables are templates (``sim/report/templates/data.html.j2``, ``fit_*.line.html.j2``)."""
from __future__ import annotations

import base64
import io
import math

import numpy as np
from markupsafe import Markup

from sim.report.templating import render

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    import matplotlib.pyplot as plt
    plt.close(fig)
    return buf.getvalue()


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def fit_figures(fit) -> list[tuple[str, str, bytes]]:
    """(file name, caption, png) for the fit report."""
    plt = _plt()
    out = []
    # 1 hour of week, observed vs fitted, per channel; per priority observed
    fig, axes = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True)
    x = np.arange(168)
    for name, c in fit.channels.items():
        per_hour = c["calls_per_day"] / 24.0
        axes[0].step(x, c["observed"] * per_hour, where="post", alpha=0.5, label=f"{name} observed")
        axes[0].plot(x + 0.5, c["hour_of_week"] * per_hour, lw=2, label=f"{name} fitted (smoothed)")
    axes[0].set_ylabel("calls per hour")
    axes[0].legend(fontsize=8, ncol=2)
    for p, prof in fit.priority_profiles.items():
        axes[1].plot(x + 0.5, _smooth(prof / 24.0), label=f"P{p}")
    axes[1].set_ylabel("calls per hour (smoothed)")
    axes[1].legend(fontsize=8, ncol=4)
    for ax in axes:
        for d in range(1, 7):
            ax.axvline(24 * d, color="grey", lw=0.5)
    axes[1].set_xticks(np.arange(7) * 24 + 12, DAYS)
    fig.tight_layout()
    out.append(("hour_of_week.png", "Observed calls per hour of the week (steps) against the fitted profile "
                "(smooth), per channel; below, each priority's own profile (the model draws the grade from the "
                "channel's mix, the same at every hour).", _png(fig)))
    # 2 QQ per duration
    fits = [f for f in [*(c["handling"] for c in fit.channels.values()), *fit.travel.values(), *fit.on_scene.values()]
            if f is not None]
    if fits:
        out.append(_qq_figure(plt, fits))
    out.append(_kim_whitt_figure(plt, fit))
    return out


def _qq_figure(plt, fits):
    cols = 3
    rows = math.ceil(len(fits) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.3 * rows), squeeze=False)
    q = (np.arange(1, 100) - 0.5) / 99
    from scipy import stats
    for ax, f in zip(axes.flat, fits):
        logs = np.log(np.maximum(f.values, 1.0 / 60))
        theo = np.exp(stats.norm.ppf(q, logs.mean(), max(logs.std(), 1e-3)))
        obs = np.quantile(f.values, q)
        ax.loglog(theo, obs, ".", ms=4)
        lim = [max(min(theo.min(), obs.min()), 1e-2), max(theo.max(), obs.max())]
        ax.plot(lim, lim, color="grey", lw=0.8)
        ax.set_title(f"{f.what}: n={f.n:,}, KS {f.ks:.3f} -> {f.family}", fontsize=9)
        ax.set_xlabel("lognormal (MLE) quantile, min", fontsize=8)
        ax.set_ylabel("observed quantile, min", fontsize=8)
    for ax in list(axes.flat)[len(fits):]:
        ax.axis("off")
    fig.tight_layout()
    return ("durations_qq.png", "QQ plots of each duration against its lognormal maximum-likelihood fit (log "
            "axes; on the line = fits). Where the KS distance exceeds the map's tolerance the scenario uses the "
            "empirical distribution instead.", _png(fig))


def _kim_whitt_figure(plt, fit):
    a = fit.arrivals
    grid = a["p_value"].to_numpy().reshape(7, 24)
    fig, ax = plt.subplots(figsize=(11, 3.2))
    im = ax.imshow(grid, aspect="auto", cmap="RdYlGn", vmin=0, vmax=0.2)
    for (d, h), p in np.ndenumerate(grid):
        if p < 0.05:
            ax.text(h, d, "x", ha="center", va="center", fontsize=8)
    ax.set_yticks(range(7), DAYS)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour of day")
    fig.colorbar(im, ax=ax, label="KS p-value (CU transform)")
    fig.tight_layout()
    pooled = fit.arrival_pooled
    return ("arrivals_kim_whitt.png", f"Kim & Whitt (2014) test of the arrival assumption per hour-of-week block: "
            f"arrivals' positions within their hour, pooled over the weeks, against U(0,1); x = rejected at 5% "
            f"({pooled['blocks_rejected_5pct']} of {pooled['blocks_tested']} blocks; about "
            f"{0.05 * pooled['blocks_tested']:.0f} expected by chance if Poisson holds everywhere).", _png(fig))


def _smooth(x):
    k = np.array([0.25, 0.5, 0.25])
    return np.convolve(np.concatenate([x[-1:], x, x[:1]]), k, mode="valid")


def backtest_figure(rp, table) -> tuple[str, str, bytes]:
    """QQ plots, observed against simulated (replications pooled), one column per police priority:
    call -> first dispatch above, call -> first on scene below; log axes in minutes."""
    from sim.data.backtest import _code_key
    from sim.data.verdict import priority_label

    plt = _plt()
    prios = sorted(set(rp.priority[rp.compared]), key=_code_key)
    cols = max(len(prios), 1)
    fig, axes = plt.subplots(2, cols, figsize=(max(2.9 * cols, 6.5), 6.4), squeeze=False)
    q = np.linspace(0.01, 0.99, 99)
    for j, p in enumerate(prios):
        grades = "+".join(sorted(set(rp.grade[(rp.priority == p) & rp.compared])))
        for i, (m, label) in enumerate((("dispatch", "call -> first dispatch"), ("scene", "call -> first on scene"))):
            ax = axes[i, j]
            sel = (rp.priority == p) & rp.compared & ~np.isnan(rp.observed[m])
            obs = rp.observed[m][sel]
            sim = rp.simulated[m][:, sel]
            sim = sim[np.isfinite(sim)]
            if obs.size < 2 or sim.size < 2:
                ax.axis("off")
                continue
            a, b = np.maximum(np.quantile(obs, q), 0.05), np.maximum(np.quantile(sim, q), 0.05)
            lim = [min(a.min(), b.min()) / 1.3, max(a.max(), b.max()) * 1.3]
            ax.plot(lim, lim, color="grey", lw=0.8, label="simulated = observed")
            ax.loglog(a, b, ".", ms=4, color="C0", label="quantiles 1-99%")
            for qq, mk, col in ((0.5, "o", "C2"), (0.9, "s", "C3")):
                ax.plot(max(np.quantile(obs, qq), 0.05), max(np.quantile(sim, qq), 0.05), mk, mfc="none", mew=1.6,
                        ms=9, color=col, label=f"p{int(qq * 100)}")
            ax.set_xlim(lim)
            ax.set_ylim(lim)
            _plain_ticks(ax.xaxis)
            _plain_ticks(ax.yaxis)
            ax.set_title(f"{priority_label(p)} ({grades}): {label}\nn={obs.size:,}", fontsize=9)
            ax.set_xlabel("observed, minutes", fontsize=8)
            ax.set_ylabel("simulated, minutes", fontsize=8)
            ax.tick_params(labelsize=7)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return ("backtest_qq.png", f"QQ plots of observed (x) against simulated (y, all {rp.simulated['dispatch'].shape[0]} "
            "replications pooled) per police priority, log axes in minutes; above: call -> first dispatch (the "
            "verdict's measure), below: call -> first on scene; times under 0.05 min (a unit sent at once) drawn at "
            "0.05. Above the grey line the model is slower than the force, below it faster.", _png(fig))


def _plain_ticks(axis) -> None:
    """A log axis in minutes labelled 0.1, 1, 10, 100 (not 10^-1, 10^0...)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def by_load_figure(bl) -> tuple[str, str, bytes]:
    """Per police priority (and all), observed p50 and p90 with their weekly bootstrap band against
    the simulated ones, by load bin (incidents open at the call's arrival, observed)."""
    from sim.data.verdict import priority_label

    plt = _plt()
    names = list(dict.fromkeys(bl["priority"]))
    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.8 * cols, 3.3 * rows + 0.5), squeeze=False)
    for ax, name in zip(axes.flat, names):
        d = bl[bl["priority"] == name].sort_values("bin")
        x = d["bin"].to_numpy()
        for qn, col, off in (("p50", "C0", -0.08), ("p90", "C3", 0.08)):
            obs = d[f"obs_{qn}"].to_numpy(float)
            lo = np.clip(obs - d[f"obs_{qn}_band_lo"].to_numpy(float), 0, None)
            hi = np.clip(d[f"obs_{qn}_band_hi"].to_numpy(float) - obs, 0, None)
            ax.errorbar(x + off, obs, yerr=np.nan_to_num(np.vstack([lo, hi])), fmt="o", color=col, capsize=3,
                        ms=5, label=f"observed {qn} (95% weekly bootstrap band)")
            ax.plot(x - off, d[f"sim_{qn}"], "--x", color=col, ms=6, lw=1.2, label=f"simulated {qn}")
        ax.set_yscale("log")
        _plain_ticks(ax.yaxis)
        ax.set_xticks(x, [f"{lab}\nn={n:,}" for lab, n in zip(d["load_bin"], d["n"])], fontsize=7)
        title = "all priorities" if name == "all" else f"{priority_label(name)} ({d['grades'].iloc[0]})"
        ax.set_title(f"{title}: call -> first dispatch", fontsize=9)
        ax.set_xlabel("incidents open at the call's arrival (observed)", fontsize=8)
        ax.set_ylabel("minutes (log)", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", which="major", color="#ddd", lw=0.6)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: ("p90" in labels[i], "simulated" in labels[i]))
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="lower center", ncol=4, fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.06 if rows > 1 else 0.1, 1, 1))
    return ("backtest_by_load.png", "Call -> first dispatch by load: the replayed calls binned by the number of "
            "incidents the force had open when each came in (observed; quintiles over the compared calls, the same "
            "bins in every panel, n = calls in the bin). Dots with bars: observed p50 and p90 with their 95% weekly "
            "block-bootstrap band; crosses on dashed lines: simulated (mean over replications), for the same calls.",
            _png(fig))


# ---------------------------------------------------------------------------- the pages
def fit_page(map_name: str, source, tag: str, days: float, base, tables: list[tuple[str, Markup]],
             figures: list[tuple[str, str, bytes]], version: str, command: str, seed: int) -> str:
    """The fit's report.html: where the fit came from, its tables and figures, how it was made."""
    return render("data.html.j2", kind="fit", title=f"Fit: {map_name}", source=source, map_name=map_name, tag=tag,
                  days=f"{days:g}", base=base, tables=tables, figures=_embedded(figures), version=version,
                  command=command, seed=seed)


def backtest_page(scenario: str, extract: str, reps: int, seed: int, warmup: float, tables: list[tuple[str, Markup]],
                  figures: list[tuple[str, str, bytes]], version: str, command: str, *, period: str = "",
                  sections: list[tuple[str, Markup, list]] = ()) -> str:
    """The back-test's report.html: what was replayed (and over which ``period``, in words), then
    ``sections`` (heading, HTML, figures) in order, then ``tables`` and ``figures``, how it was made."""
    return render("data.html.j2", kind="backtest", title=f"Back-test: {scenario}", scenario=scenario, extract=extract,
                  reps=reps, seed=seed, warmup=f"{warmup:g}", tables=tables, figures=_embedded(figures),
                  version=version, command=command, period=period,
                  sections=[(h, body, _embedded(figs)) for h, body, figs in sections])


def _embedded(figures: list[tuple[str, str, bytes]]) -> list[tuple[str, str, str]]:
    return [(name, caption, base64.b64encode(png).decode()) for name, caption, png in figures]


def figures_html(figures: list[tuple[str, str, bytes]]) -> Markup:
    """Figures (images embedded) as HTML, for a section of a page that is not the back-test's."""
    return render("data_figures.line.html.j2", figures=_embedded(figures))


# ---------------------------------------------------------------------------- the tables
def fit_values_html(fit) -> Markup:
    """The fitted values, one row each: demand per channel, durations (with the family chosen), units."""
    rows = []
    for name, c in fit.channels.items():
        rows.append((f"channel {name}", f"{c['calls_per_day']:.2f} calls/day (n={c['n']:,}); grade mix "
                     + ", ".join(f"{g} {v:.3f}" for g, v in c["risk"].items() if v), None))
        h = c["handling"]
        if h is not None:
            rows.append((f"handling {name}", *_duration(h)))
    rows.append(("month multipliers", ", ".join(f"{v:g}" for v in fit.month), None))
    for k, f in fit.travel.items():
        if f is not None:
            rows.append((f"travel {k} ({'+'.join(fit.travel_grades[k])})", *_duration(f)))
    for g, f in fit.on_scene.items():
        if f is not None:
            rows.append((f"on scene {g}", *_duration(f)))
    for g, mix in fit.units.items():
        rows.append((f"units {g}", mix, None))
    return render("fit_values.line.html.j2", rows=rows)


def _duration(f) -> tuple[str, str]:
    """A fitted duration in words, and the family the scenario uses for it."""
    return (f"n={f.n:,}; observed median {f.median:.2f}, p90 {f.p90:.2f} min; lognormal MLE KS distance {f.ks:.3f}",
            f.family)


def arrivals_html(fit) -> Markup:
    """The Kim & Whitt test of the arrival assumption, in one paragraph."""
    p = fit.arrival_pooled
    return render("fit_arrivals.line.html.j2", rejected=p["blocks_rejected_5pct"], tested=p["blocks_tested"],
                  expected=f"{0.05 * p['blocks_tested']:.0f}", n=f"{p['n']:,}", ks_d=f"{p['ks_d']:.4f}",
                  p=f"{p['p_value']:.3g}", dispersion=f"{p['dispersion_mean']:.2f}")


def calibration_html(cal) -> Markup:
    """The units per shift --calibrate-units found, against the observed dispatch medians (and p90s
    when calibrated on both)."""
    nan = float("nan")
    rows = [(k, v, f"{cal.scales[k]:.3f}", f"{cal.n_calls.get(k, 0):,}", f"{cal.observed.get(k, nan):.1f}",
             f"{cal.simulated.get(k, nan):.1f}",
             *((f"{cal.observed_p90.get(k, nan):.1f}", f"{cal.simulated_p90.get(k, nan):.1f}") if cal.tails else ()))
            for k, v in cal.units.items()]
    return render("fit_calibration.line.html.j2", rows=rows, evaluations=cal.evaluations, tails=cal.tails)


def practice_html(practice, pre=None, lead=None) -> Markup:
    """The control room's practice the fit found (``sim.data.practice``): decision time, holds per
    grade and per priority code, the calibrated pre-emption shares (``pre``: grade -> its
    calibration, if calibrated) and the rank lead within a grade (``lead``, if calibrated)."""
    rows = []
    if practice.decision is not None:
        d = practice.decision
        rows.append(("decision time (G1 codes)", f"{d.n:,}", f"{d.median:.2f}", f"{d.p90:.2f}"))
    for g, f in practice.grade_holds.items():
        rows.append((f"hold, {g}", f"{f.n:,}", f"{f.median:.2f}", f"{f.p90:.2f}"))
    for code, f in practice.holds.items():
        rows.append((f"hold, priority {code}", f"{f.n:,}", f"{f.median:.2f}", f"{f.p90:.2f}"))
    quiet = sum(int(v.size) for v in practice.quiet.values())
    shares = [{"grade": g, "probability": f"{p.probability:.3g}", "simulated": f"{p.simulated_p90:.2f}",
               "observed": f"{p.observed_p90:.2f}", "taken": f"{p.preempted:.0f}"} for g, p in (pre or {}).items()]
    rank = None if lead is None else {
        "codes": "/".join(lead.codes), "value": "strict" if lead.minutes is None else f"{lead.minutes:g} min",
        "simulated": f"{lead.simulated_p90:.1f}", "observed": f"{lead.observed_p90:.1f}", "calls": f"{lead.calls:,}"}
    return render("fit_practice.line.html.j2", rows=rows, quiet=f"{quiet:,}",
                  total=f"{practice.pending_at_ready.size:,}", shares=shares, rank=rank)


def backtest_html(bt) -> Markup:
    """The back-test table, one row per measure and group, in minutes: observed p50/p90 with the
    order-statistics 95% interval and the weekly block-bootstrap band, simulated (mean over
    replications) with its 95% confidence interval, the ratio and the KS distance (every column is
    in backtest.csv). ``to_html`` escapes every cell: safe HTML."""
    import pandas as pd

    from sim.data.verdict import priority_label

    def iv(x, lo, hi):
        return "" if x != x else f"{x:.1f}" + ("" if lo != lo else f" ({lo:.1f}-{hi:.1f})")

    rows = []
    for _, r in bt.iterrows():
        row = {"measure": r["what"], "group": "all" if r["group"] == "all" else
               priority_label(r["value"]) if r["group"] == "priority" else r["value"], "n": f"{int(r['n_observed']):,}"}
        for qn in ("p50", "p90"):
            row[f"observed {qn} (95% interval)"] = iv(r[f"obs_{qn}"], r[f"obs_{qn}_lo"], r[f"obs_{qn}_hi"])
            lo, hi = r.get(f"obs_{qn}_band_lo", math.nan), r.get(f"obs_{qn}_band_hi", math.nan)
            row[f"weekly band {qn}"] = "" if lo != lo else f"{lo:.1f}-{hi:.1f}"
            row[f"simulated {qn} (95% CI)"] = iv(r[f"sim_{qn}"], r[f"sim_{qn}_lo"], r[f"sim_{qn}_hi"])
            row[f"ratio {qn}"] = "" if r[f"ratio_{qn}"] != r[f"ratio_{qn}"] else f"{r[f'ratio_{qn}']:.2f}"
        row["KS"] = "" if r["ks_distance"] != r["ks_distance"] else f"{r['ks_distance']:.2f}"
        rows.append(row)
    return Markup(pd.DataFrame(rows).to_html(index=False, classes="backtest"))


def verdict_html(v, sentence: str, tol=None) -> Markup:
    """The verdict per police priority: observed, simulated, the criterion's value and limit, and
    pass / fail in words (a mark and a word, not colour alone)."""
    from sim.data.verdict import FAIL, PASS, TOLERANCES

    tol = tol or TOLERANCES

    def f(x, d=1):
        return "" if x is None or x != x else f"{x:.{d}f}"

    def band(r, qn):
        lo, hi = r.get(f"obs_{qn}_band_lo"), r.get(f"obs_{qn}_band_hi")
        return "" if lo is None or lo != lo else f"{lo:.1f}-{hi:.1f}"

    rows = []
    for _, r in v[v["priority"] != "overall"].iterrows():
        cells = [r["label"], "all" if r["priority"] == "all" else r["grades"], f"{int(r['n']):,}"]
        for qn in ("p50", "p90"):
            crit = r[f"{qn}_criterion"]
            if r[f"{qn}_pass"] not in (PASS, FAIL):
                value = "-"
            elif crit.startswith("|"):
                value = f"{r[f'{qn}_value']:.2f} min"
            else:
                value = f"{r[f'{qn}_value']:.2f}"
            limit = (r[f"{qn}_limit"] or "-").replace("<=", "≤")
            cells += [f(r[f"obs_{qn}"]), band(r, qn), f(r[f"sim_{qn}"]), value, limit, r[f"{qn}_pass"]]
        cells += [f(r["ks_value"], 2), r["ks_limit"].replace("<=", "≤"), r["ks_pass"], r["pass"]]
        rows.append(cells)
    overall = v[v["priority"] == "overall"]
    ok = not overall.empty and overall["pass"].iloc[0] == PASS
    text = (f"Tolerances (call -> first dispatch, per police priority): simulated / observed p50 within "
            f"{tol.p50_ratio[0]:g}-{tol.p50_ratio[1]:g} and p90 within {tol.p90_ratio[0]:g}-{tol.p90_ratio[1]:g}; for the "
            f"priority whose calls are all {tol.urgent_grade}, |simulated - observed| at most {tol.urgent_p50_minutes:g} min "
            f"(p50) and {tol.urgent_p90_minutes:g} min (p90); KS distance at most {tol.ks_priority:g} per priority and "
            f"{tol.ks_pooled:g} for all priorities pooled. Observed: the quantile of the compared calls, with its 95% "
            f"weekly block-bootstrap band; simulated: mean over replications. Minutes.")
    return render("backtest_verdict.line.html.j2", rows=rows, ok=ok, sentence=sentence, tolerances=text,
                  pass_word=PASS, fail_word=FAIL)


DISPATCH_SETTINGS = ("decision", "stacking", "preemption")


def replay_used_html(s) -> Markup:
    """What the replay used: the response rota (units per shift, or the team pattern), the share
    abstracted, and the dispatch settings ``DISPATCH_SETTINGS`` of ``[response]`` if the scenario
    has them ('not used' otherwise), printed as they are in the scenario."""
    r = s.to_dict()["response"]
    shifts = []
    for name, sh in (r.get("shifts") or {}).items():
        units = sh.get("units")
        units = list(units) if isinstance(units, (list, tuple)) else [units]
        days = sh.get("days") or []
        per_day = (f"{units[0]} every day" if len(set(units)) == 1 and len(days) in (0, 7)
                   else ", ".join(f"{d} {u}" for d, u in zip(days or ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                                                          units)))
        shifts.append((name, sh.get("start", ""), f"{sh.get('hours', 0):g}", per_day))
    pattern = None
    if r.get("pattern"):
        p = r["pattern"]
        pattern = ("cycle of {} days from {}; shift types {}; teams {}".format(
            len(p.get("cycle", [])), p.get("anchor", ""),
            ", ".join(f"{k} {v.get('start', '')} {v.get('hours', 0):g} h" for k, v in p.get("shift_types", {}).items()),
            ", ".join(f"{k} {v.get('size', '')}" for k, v in p.get("teams", {}).items())))
    settings = [(k, _flat(_used_part(r[k])) if k in r and _in_use(r[k]) else "not used") for k in DISPATCH_SETTINGS]
    other = [(k, _flat(r[k])) for k in ("abstraction", "reserve_for_g1", "divert_to_g1_from") if k in r]
    lead = r.get("rank_lead_minutes")
    other.append(("rank_lead_minutes", "none: a grade's ranked codes strictly by rank" if lead is None else
                  f"{lead:g} min: by rank and time together (a rank step counts as {lead:g} min later)"))
    if r.get("non_incident"):
        other.append(("non_incident", "; ".join(
            f"{k} {b.get('minutes', 0):g} min, {b.get('after_hours', 0):g} h into the shift"
            + (f" (spread {b['spread_hours']:g} h)" if b.get("spread_hours") else "") for k, b in r["non_incident"].items())))
    return render("backtest_used.line.html.j2", shifts=shifts, pattern=pattern, settings=settings, other=other)


def _in_use(v) -> bool:
    """Whether a setting does anything: a table switched off (``enabled = false``) or holding only
    empty tables, empty lists, zeros and false does not."""
    if isinstance(v, dict):
        if v.get("enabled") is False:
            return False
        return any(_in_use(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return len(v) > 0
    if isinstance(v, bool) or v is None:
        return bool(v)
    if isinstance(v, (int, float)):
        return v != 0
    return True


def _used_part(v):
    """A setting in use without its empty sub-tables (``hold = {}`` beside ``min_free.G3 = 2``)."""
    if isinstance(v, dict) and "enabled" not in v:
        return {k: _used_part(x) for k, x in v.items() if _in_use(x)}
    return v


def _flat(v, prefix: str = "") -> str:
    """A scenario value in one line: tables as 'key = value' pairs, a distribution by its median
    and p90 (an empirical one's 50 values would fill the page), the rest as written."""
    if isinstance(v, dict) and "family" in v:
        return _distribution(v) if not prefix else f"{prefix[:-1]} = {_distribution(v)}"
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            parts.append(_flat(x, f"{prefix}{k}.") if isinstance(x, dict) and x else f"{prefix}{k} = {_scalar(x)}")
        return "; ".join(parts) if parts else "{}"
    return _scalar(v)


def _distribution(d: dict) -> str:
    """A duration distribution in words: family, median and p90 (minutes)."""
    from pydantic import TypeAdapter

    from sim.util.distributions import Distribution

    if "median" in d and "p90" in d:
        q50, q90 = float(d["median"]), float(d["p90"])
    elif d["family"] == "empirical" and not d.get("weights"):
        q50, q90 = (float(np.quantile(d["values"], q)) for q in (0.5, 0.9))
    else:   # the rest by a fixed-seed sample (no closed form kept here)
        x = TypeAdapter(Distribution).validate_python(d).sample(np.random.default_rng(0), 100_000)
        q50, q90 = (float(np.quantile(x, q)) for q in (0.5, 0.9))
    return f"{d['family']}, median {q50:.2f} min, p90 {q90:.2f}"


def _scalar(x) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_scalar(y) for y in x) + "]"
    return str(x)
