"""Figures and the self-contained report.html (images embedded) for ``fit`` and ``backtest``: the
pages and their tables are templates (``sim/report/templates/data.html.j2``, ``fit_*.line.html.j2``)."""
from __future__ import annotations

import base64
import io
import math

import numpy as np
from markupsafe import Markup

from sim.report.templating import render
from sim.scenario import GRADES

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
    plt = _plt()
    groups = [g for g in GRADES if (rp.grade == g).any()]
    fig, axes = plt.subplots(2, len(groups), figsize=(3.6 * len(groups), 6.5), squeeze=False)
    q = np.linspace(0.01, 0.99, 99)
    for j, g in enumerate(groups):
        for i, (m, label) in enumerate((("dispatch", "call -> first dispatch"), ("scene", "call -> first on scene"))):
            ax = axes[i, j]
            sel = (rp.grade == g) & rp.compared & ~np.isnan(rp.observed[m])
            obs = rp.observed[m][sel]
            sim = rp.simulated[m][:, sel]
            sim = sim[np.isfinite(sim)]
            if obs.size < 2 or sim.size < 2:
                ax.axis("off")
                continue
            a, b = np.quantile(obs, q), np.quantile(sim, q)
            a, b = np.maximum(a, 0.05), np.maximum(b, 0.05)
            ax.loglog(a, b, ".", ms=4)
            lim = [min(a.min(), b.min()), max(a.max(), b.max())]
            ax.plot(lim, lim, color="grey", lw=0.8)
            for qq in (0.5, 0.9):
                ax.plot(np.quantile(obs, qq), np.quantile(sim, qq), "o", mfc="none", color="red")
            ax.set_title(f"{g}: {label}", fontsize=9)
            ax.set_xlabel("observed, min", fontsize=8)
            ax.set_ylabel("simulated, min", fontsize=8)
    fig.tight_layout()
    return ("backtest_qq.png", "QQ plots, observed against simulated (all replications pooled), per grade; "
            "red circles: p50 and p90. Above the line: the model is slower than the force.", _png(fig))


# ---------------------------------------------------------------------------- the pages
def fit_page(map_name: str, source, tag: str, days: float, base, tables: list[tuple[str, Markup]],
             figures: list[tuple[str, str, bytes]], version: str, command: str, seed: int) -> str:
    """The fit's report.html: where the fit came from, its tables and figures, how it was made."""
    return render("data.html.j2", kind="fit", title=f"Fit: {map_name}", source=source, map_name=map_name, tag=tag,
                  days=f"{days:g}", base=base, tables=tables, figures=_embedded(figures), version=version,
                  command=command, seed=seed)


def backtest_page(scenario: str, extract: str, reps: int, seed: int, warmup: float, tables: list[tuple[str, Markup]],
                  figures: list[tuple[str, str, bytes]], version: str, command: str) -> str:
    """The back-test's report.html: what was replayed, observed against simulated, how it was made."""
    return render("data.html.j2", kind="backtest", title=f"Back-test: {scenario}", scenario=scenario, extract=extract,
                  reps=reps, seed=seed, warmup=f"{warmup:g}", tables=tables, figures=_embedded(figures),
                  version=version, command=command)


def _embedded(figures: list[tuple[str, str, bytes]]) -> list[tuple[str, str, str]]:
    return [(name, caption, base64.b64encode(png).decode()) for name, caption, png in figures]


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
    """The units per shift --calibrate-units found, against the observed dispatch medians."""
    rows = [(k, v, f"{cal.scales[k]:.3f}", f"{cal.n_calls.get(k, 0):,}", f"{cal.observed.get(k, float('nan')):.1f}",
             f"{cal.simulated.get(k, float('nan')):.1f}") for k, v in cal.units.items()]
    return render("fit_calibration.line.html.j2", rows=rows, evaluations=cal.evaluations)


BACKTEST_COLUMNS = ["what", "group", "value", "n_observed", "obs_p50", "obs_p50_lo", "obs_p50_hi", "sim_p50",
                    "sim_p50_lo", "sim_p50_hi", "sim_p50_pi_lo", "sim_p50_pi_hi", "ratio_p50", "obs_p90", "obs_p90_lo",
                    "obs_p90_hi", "sim_p90", "sim_p90_lo", "sim_p90_hi", "sim_p90_pi_lo", "sim_p90_pi_hi", "ratio_p90",
                    "ks_distance"]


def backtest_html(bt) -> Markup:
    """The back-test table as pandas writes it (``to_html`` escapes every cell: safe HTML)."""
    return Markup(bt[BACKTEST_COLUMNS].to_html(index=False, float_format=lambda v: f"{v:.2f}"))
