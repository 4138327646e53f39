"""Figure for ``triage-sim warmup``: each daily series averaged over replications, its Welch moving
average and the suggested warm-up. Drawn here, in the report layer; the analysis itself is
``sim.experiment.warmup`` and draws nothing.
"""
from __future__ import annotations

import pandas as pd

from sim.experiment.warmup import SERIES


def plot_warmup(table: pd.DataFrame, suggestions: dict[str, int], warmup: int, path, title: str) -> None:
    """The running means Welch's method smooths, one panel per series, with the suggested
    warm-up marked: what ``triage-sim warmup`` writes as warmup.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(SERIES), 1, figsize=(10, 2.4 * len(SERIES)), sharex=True)
    for ax, name in zip(axes, SERIES):
        t = table[table["series"] == name]
        ax.plot(t["day"], t["mean"], color="0.7", lw=1, label="daily mean over replications")
        ax.plot(t["day"], t["welch"], color="C0", lw=2, label="Welch moving average")
        ax.axvline(warmup, color="C3", ls="--", label=f"suggested warm-up: {warmup} days")
        ax.set_title(f"{SERIES[name]} (settles after day {suggestions[name]})", fontsize=10)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8, frameon=False)   # beside the data
    axes[-1].set_xlabel("simulated day (no warm-up)")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
