"""Figures and the self-contained report.html (images embedded) for ``fit`` and ``backtest``."""
from __future__ import annotations

import base64
import html
import io
import math

import numpy as np

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


def html_page(title: str, intro: list[str], tables: list[tuple[str, str]], figures: list[tuple[str, str, bytes]],
              footer: list[str]) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px;"
             "text-align:right}th{background:#eee}img{max-width:100%}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    parts += [f"<p>{p}</p>" for p in intro]
    for heading, table_html in tables:
        parts += [f"<h2>{html.escape(heading)}</h2>", table_html]
    for name, caption, png in figures:
        parts += [f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
                  f"<figcaption>{html.escape(caption)}</figcaption></figure>"]
    parts += [f"<p><small>{p}</small></p>" for p in footer]
    parts.append("</body></html>")
    return "\n".join(parts)
