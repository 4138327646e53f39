"""Honest intervals: never outside the quantity's range, and a warning with few replications."""
from __future__ import annotations

import pytest

import numpy as np
import pandas as pd

from sim.experiment.summary import upper_bound
from sim.report.figures.bands import mean_band
from sim.util.stats import clip_ci, mean_ci

from conftest import DEFAULT


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


@pytest.mark.slow
def test_two_replications_warn_and_no_interval_leaves_its_range(tmp_path, triage):
    p = triage("run", DEFAULT, "--reps", "2", "--days", "3", "--jobs", "1", "--out", tmp_path / "r")
    assert p.returncode == 0, p.stderr
    assert "only 2 replications: the 95% intervals are wide" in p.stderr
    s = pd.read_csv(tmp_path / "r" / "summary.csv")
    judged = s.dropna(subset=["ci_low"])
    assert (judged["ci_low"] >= 0).all()
    tops = judged["kpi"].map(upper_bound)
    assert (judged["ci_high"] <= tops).all()
    assert judged["clipped"].any()
    assert "Only 2 replications: the 95% intervals are wide" in (tmp_path / "r" / "report.html").read_text()
    quiet = triage("report", tmp_path / "r")
    assert quiet.returncode == 0


def test_t_half_widths_are_scipy_students_t_to_the_bit():
    """The validation verdicts and the back-test's intervals go through sim.util.stats: its factor
    must be exactly what scipy.stats.t.ppf gives (the committed reports were made with that)."""
    from scipy import stats

    from sim.util.stats import prediction_half_width, t_half_width, t_quantiles

    for n in (2, 3, 10, 100):
        for level in (0.8, 0.95, 0.99):
            t = stats.t.ppf(0.5 + level / 2, n - 1)
            assert t_half_width(1.7, n, level) == t * 1.7 / np.sqrt(n)
            assert prediction_half_width(1.7, n, level) == t * 1.7 * np.sqrt(1 + 1 / n)
    q = t_quantiles([1, 2, 5, np.nan])
    assert np.isnan(q[0]) and np.isnan(q[3]) and q[1] == stats.t.ppf(0.975, 1) and q[2] == stats.t.ppf(0.975, 4)
    assert np.isnan(t_half_width(1.0, 1)) and np.isnan(prediction_half_width(1.0, 1))
