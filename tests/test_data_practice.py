"""Round trip of issue 23's fit: a force simulated with known dispatch practice (decision time,
stacking holds, a pre-emption share), exported as a CAD extract, is fitted back; the fit recovers
what the force did, within sampling error."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cad_export import cad_frame, incidents, map_text
from sim.cli.main import main
from sim.data.practice import waiting_at
from sim.scenario import load_written, validate
from sim.scenario.writing import toml_text
from test_data_fit import truth_scenario

Z90 = 1.2815515655446004
DECISION = (0.6, 1.8)                          # lognormal median, p90 (minutes)
HOLDS = {"G2": (3.0, 12.0), "G3": (8.0, 30.0)}
UNITS, SHARE, SHARE_G2 = 14, 0.5, 0.4          # the pre-emption round trip's force


def _ln(median, p90):
    return {"family": "lognormal", "median": median, "p90": p90}


def _ln_quantile(median, p90, q):
    from scipy.stats import norm
    sigma = np.log(p90 / median) / Z90
    return median * np.exp(sigma * norm.ppf(q))


def test_waiting_at_counts_the_others_waiting_for_dispatch():
    ready = np.array([0.0, 1.0, 2.0, 10.0, np.nan])
    dispatched = np.array([5.0, 1.0, 3.0, 12.0, 4.0])
    # at 0: nothing else; at 1: #0 (the zero-length #1 is not itself waiting); at 2: #0; at 10: nothing
    assert waiting_at(ready, dispatched).tolist() == [0, 1, 1, 0, 0]


@pytest.fixture(scope="module")
def practice_fit(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("practice")
    data = truth_scenario(days=42, units=30).to_dict()
    data["response"]["decision"] = {g: _ln(*DECISION) for g in ("G1", "G2", "G3")}
    data["response"]["stacking"] = {"hold": {g: _ln(*v) for g, v in HOLDS.items()}}
    s = validate(data)
    (tmp / "cad.csv").write_text(cad_frame(s, incidents(s, seed=8)).to_csv(index=False))
    (tmp / "map.toml").write_text(map_text(s))
    (tmp / "truth.toml").write_text(toml_text(truth_scenario(days=42, units=30).to_dict()))
    assert main(["fit", str(tmp / "cad.csv"), "--map", str(tmp / "map.toml"), "--base", str(tmp / "truth.toml"),
                 "--out", str(tmp / "out"), "--quiet"]) == 0
    return tmp / "out"


@pytest.mark.slow
def test_fit_recovers_decision_time_and_holds(practice_fit):
    """The fitted quantiles (deciles 2-8 and the median) of the decision time and of each grade's
    hold lie within the sampling error of the true ones: the n quiet rows give an order-statistic
    interval, widened by a half for the deconvolution's approximation and the units' rare waits."""
    fitted = load_written(practice_fit / "scenario.toml")
    info = json.loads((practice_fit / "fit.json").read_text())["practice"]
    r = fitted.response
    for name, dist, truth, n in (
            [("decision", r.decision["G1"], DECISION, info["decision"]["n"])]
            + [(f"hold {g}", r.stacking.hold[g], HOLDS[g], info["holds_by_grade"][g]["n"]) for g in HOLDS]):
        assert n >= 60, (name, n)
        values = np.sort(np.asarray(dist.values))
        for q in (0.2, 0.5, 0.8):
            got = float(np.quantile(values, q))
            want = _ln_quantile(*truth, q)
            # relative standard error of a lognormal quantile from n values, times 3, plus 0.3 min
            sigma = np.log(truth[1] / truth[0]) / Z90
            rel = sigma * np.sqrt(q * (1 - q)) / (np.exp(-0.5 * (np.log(want / truth[0]) / sigma) ** 2)
                                                   / np.sqrt(2 * np.pi)) / np.sqrt(n)
            assert abs(got - want) <= 3 * rel * want + 0.3, (name, q, got, want, n)
    assert set(r.stacking.hold_by_priority) == {"2", "3"}       # one code per grade in this extract
    assert "stacking.hold.G3" in (practice_fit / "scenario.toml").read_text()


@pytest.mark.slow
def test_calibration_recovers_the_preemption_share(tmp_path):
    """Too few units at times, and a controller who takes a busy unit for half the G1s and 40% of
    the G2s that find none free: the fit (over a base that says 40 units and never pre-empts)
    calibrates the units and then the shares back to within 0.2 of the truth."""
    data = truth_scenario(days=28, units=UNITS).to_dict()
    data["response"]["preemption"] = {"enabled": True, "probability": SHARE, "probability_g2": SHARE_G2}
    s = validate(data)
    (tmp_path / "cad.csv").write_text(cad_frame(s, incidents(s, seed=9)).to_csv(index=False))
    (tmp_path / "map.toml").write_text(map_text(s))
    wrong = truth_scenario(days=28, units=40).to_dict()
    (tmp_path / "base.toml").write_text(toml_text(wrong))
    out = tmp_path / "out"
    assert main(["fit", str(tmp_path / "cad.csv"), "--map", str(tmp_path / "map.toml"), "--base",
                 str(tmp_path / "base.toml"), "--calibrate-units", "--reps", "3", "--out", str(out), "--quiet"]) == 0
    fitted = load_written(out / "scenario.toml")
    assert fitted.response.preemption.enabled
    got, got2 = fitted.response.preemption.probability, fitted.response.preemption.probability_g2
    print("units", {n: fitted.response.shifts[n].units[0] for n in ("day", "night")}, "shares", got, got2)
    assert abs(got - SHARE) <= 0.2 and abs(got2 - SHARE_G2) <= 0.2, (got, got2)
    # units are less sharply identified than without pre-emption (more units and more pre-emption
    # both shorten the tails): within 3 of the truth (tests/test_data_calibrate.py: within 2 without)
    for name in ("day", "night"):
        assert abs(fitted.response.shifts[name].units[0] - UNITS) <= 3, fitted.response.shifts[name].units


def test_trace_ranks_follow_the_maps_code_order():
    """Codes sharing a grade keep the force's order (the map lists its codes most urgent first)."""
    from types import SimpleNamespace

    from sim.data.trace import _ranks

    m = SimpleNamespace(priorities=SimpleNamespace(grades={"1": "G1", "2": "G2", "3": "G3", "4": "G3"}))
    got = _ranks(m, np.array(["4", "3", "1", "2", "4"]), np.array(["G3", "G3", "G1", "G2", "G3"]))
    assert got.tolist() == [1, 0, 0, 0, 1]
