"""Honest intervals: never outside the quantity's range, and a warning with few replications."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

from sim.experiment.replications import upper_bound
from sim.report.figures.bands import mean_band
from sim.util.stats import clip_ci, mean_ci

from conftest import DEFAULT, ROOT


def test_clip_keeps_the_interval_in_range_and_says_so():
    ci = clip_ci(mean_ci([0.95, 1.0]), 0.0, 1.0)
    assert ci["ci_high"] == 1.0 and ci["ci_low"] >= 0 and ci["clipped"]
    ci = clip_ci(mean_ci([0.0, 30.0]), 0.0)
    assert ci["ci_low"] == 0.0 and ci["clipped"] and ci["mean"] == 15.0
    ok = clip_ci(mean_ci([0.5, 0.51, 0.49]), 0.0, 1.0)
    assert not ok["clipped"] and ok["ci_low"] > 0.4
    assert not clip_ci(mean_ci([3.0]), 0.0)["clipped"]


def test_bands_in_figures_stay_in_range():
    m = np.array([[0.97, 0.2, 5.0], [1.0, 0.0, 0.0]])
    mean, lo, hi = mean_band(m[:, :2], upper=1.0)
    assert (hi <= 1.0).all() and (lo >= 0).all()
    assert (mean_band(m)[1] >= 0).all()


def test_two_replications_warn_and_no_interval_leaves_its_range(tmp_path):
    p = subprocess.run([sys.executable, "-m", "sim", "run", str(DEFAULT), "--reps", "2", "--days", "3", "--jobs", "1",
                        "--out", str(tmp_path / "r")], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "only 2 replications: the 95% intervals are wide" in p.stderr
    s = pd.read_csv(tmp_path / "r" / "summary.csv")
    judged = s.dropna(subset=["ci_low"])
    assert (judged["ci_low"] >= 0).all()
    tops = judged["kpi"].map(upper_bound)
    assert (judged["ci_high"] <= tops).all()
    assert judged["clipped"].any()
    assert "Only 2 replications: the 95% intervals are wide" in (tmp_path / "r" / "report.html").read_text()
    quiet = subprocess.run([sys.executable, "-m", "sim", "report", str(tmp_path / "r")], capture_output=True,
                           text=True, cwd=ROOT)
    assert quiet.returncode == 0
