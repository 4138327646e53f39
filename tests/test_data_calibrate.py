"""fit --calibrate-units finds the units a force had: an extract simulated with 16 units a shift,
fitted over a base that says 40, comes back near 16, and the scenario says so in [D] comments."""
from __future__ import annotations

import pytest

import json

import numpy as np

from cad_export import cad_frame, incidents, map_text
from sim.cli.main import main
from sim.scenario import load_scenario, load_written
from sim.scenario.writing import toml_text
from test_data_fit import truth_scenario


@pytest.mark.slow
def test_calibrate_units_recovers_the_rota(tmp_path):
    s = truth_scenario(days=14, units=16)
    cad = cad_frame(s, incidents(s, seed=6))
    (tmp_path / "cad.csv").write_text(cad.to_csv(index=False))
    (tmp_path / "map.toml").write_text(map_text(s))
    wrong = s.to_dict()
    for shift in wrong["response"]["shifts"].values():
        shift["units"] = 40
    (tmp_path / "base.toml").write_text(toml_text(wrong))
    out = tmp_path / "out"
    assert main(["fit", str(tmp_path / "cad.csv"), "--map", str(tmp_path / "map.toml"), "--base",
                 str(tmp_path / "base.toml"), "--calibrate-units", "--reps", "2", "--out", str(out), "--quiet"]) == 0
    fitted = load_written(out / "scenario.toml")
    for name in ("day", "night"):
        assert abs(fitted.response.shifts[name].units[0] - 16) <= 2, fitted.response.shifts[name].units
    cal = json.loads((out / "fit.json").read_text())["calibration"]
    for name in ("day", "night"):
        assert abs(np.log(cal["simulated_median"][name] / cal["observed_median"][name])) < 0.3
    text = (out / "scenario.toml").read_text()
    assert "shifts.day.units" in text and "[D: calibrated" in text
    assert (out / "backtest.csv").is_file() and (out / "calibration.csv").is_file()
    assert (out / "by_load.csv").is_file() and (out / "verdict.csv").is_file()
    assert {"backtest_qq.png", "backtest_by_load.png"} <= {p.name for p in (out / "figures").iterdir()}
    assert "What the back-test&#x27;s replay used" in (out / "report.html").read_text()


@pytest.mark.slow
def test_a_fit_over_a_base_outside_its_roots_runs_in_a_new_process(tmp_path):
    """--base from a folder a scenario may not name: the fitted scenario names a resolved copy
    (base.toml) beside it, so a later `triage-sim check` in a fresh process loads it unaided."""
    import subprocess
    import sys

    s = truth_scenario(days=7, units=16)
    (tmp_path / "cad.csv").write_text(cad_frame(s, incidents(s, seed=6)).to_csv(index=False))
    (tmp_path / "map.toml").write_text(map_text(s))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "force.toml").write_text(toml_text(s.to_dict()))
    out = tmp_path / "out"
    assert main(["fit", str(tmp_path / "cad.csv"), "--map", str(tmp_path / "map.toml"), "--base",
                 str(tmp_path / "elsewhere" / "force.toml"), "--out", str(out), "--quiet"]) == 0
    assert (out / "base.toml").is_file()
    p = subprocess.run([sys.executable, "-m", "sim", "check", str(out / "scenario.toml")], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
