"""The frontier read and drawn (``frontier.csv`` -> the marginal cost, the monotone check,
``frontier.png``): pandas and matplotlib only, so the plan folder can use it without the search."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

KPIS = ("resource_downgrades_per_week", "g1_in_target", "g2_in_target")


def marginal_sentence(df: pd.DataFrame) -> str:
    """'each further 1,000 officer-hours a week removes about X downgrades a week', from today's rota
    to the first template rung without downgrades (least squares over the template rungs up to it)."""
    t = df[df["kind"].isin(["today", "template"])].sort_values("officer_hours")
    first_zero = t.index[t[KPIS[0]] <= 0.0]
    upto = t.loc[:first_zero[0]] if len(first_zero) else t
    x, y = upto["officer_hours"].to_numpy(float), upto[KPIS[0]].to_numpy(float)
    if len(x) < 2 or np.ptp(x) == 0:
        return ""
    slope = -np.polyfit(x / 1000.0, y, 1)[0]
    today = df[df["kind"] == "today"].iloc[0]
    return (f"From today's rota ({today['officer_hours']:,.0f} officer-hours a week, {today[KPIS[0]]:.1f} resource "
            f"downgrades a week) up to {x[-1]:,.0f} officer-hours, each further 1,000 officer-hours a week removes "
            f"about {slope:.1f} resource downgrades a week (least squares over the template rotas of frontier.csv).")


def monotone(df: pd.DataFrame, kind: str = "template") -> bool:
    """More officer-hours, no more downgrades, within noise: each step's downgrades at most the
    previous one's upper interval bound."""
    t = df[df["kind"].isin(["today", kind])].sort_values(["officer_hours", KPIS[0]], ascending=[True, False])
    ys, hi = t[KPIS[0]].to_numpy(float), t[f"{KPIS[0]}_ci_high"].to_numpy(float)
    return bool(all(ys[i + 1] <= max(hi[i], ys[i]) + 1e-9 for i in range(len(ys) - 1)))


def figure_png(df: pd.DataFrame) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=100)
    styles = {"template": ("tab:blue", "o", "cheapest weekly template"), "pattern": ("tab:green", "s",
                                                                                   "cheapest team pattern")}
    for kind, (colour, marker, label) in styles.items():
        t = df[df["kind"] == kind].sort_values("officer_hours")
        if t.empty:
            continue
        y = t[KPIS[0]].to_numpy(float)
        err = [y - t[f"{KPIS[0]}_ci_low"].to_numpy(float), t[f"{KPIS[0]}_ci_high"].to_numpy(float) - y]
        ax.errorbar(t["officer_hours"], y, yerr=err, color=colour, marker=marker, capsize=3, label=label)
    today = df[df["kind"] == "today"].iloc[0]
    ax.errorbar([today["officer_hours"]], [today[KPIS[0]]],
                yerr=[[today[KPIS[0]] - today[f"{KPIS[0]}_ci_low"]], [today[f"{KPIS[0]}_ci_high"] - today[KPIS[0]]]],
                color="tab:red", marker="*", markersize=12, capsize=3, ls="none", label="today's rota")
    ax.set_xlabel("officer-hours rostered a week")
    ax.set_ylabel("resource-led downgrades a week (95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
