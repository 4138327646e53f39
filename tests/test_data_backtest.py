"""Trace demand and the back-test: a scenario replaying its own observed calls gives back what
was observed (exactly, when every duration is replayed; in distribution, when they are re-drawn)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cad_export import incidents
from sim.cli.main import main
from sim.data.backtest import replay, replay_scenario
from sim.scenario.trace import read_trace, trace_order
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.writing import toml_text
from test_data_fit import truth_scenario


def _trace(s, inc: pd.DataFrame, durations: bool) -> pd.DataFrame:
    t0 = pd.Timestamp(s.run.start_date)
    out = pd.DataFrame({
        "arrival": (t0 + pd.to_timedelta(inc["arrival"], unit="min")).dt.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "grade": "G" + inc["initial_grade"].astype(str), "channel": np.where(inc["channel"] == 0, "999", "101"),
        "priority": inc["initial_grade"].astype(str), "handling_min": inc["graded"] - inc["arrival"],
        "dispatch_min": inc["first_dispatch"] - inc["arrival"], "scene_min": inc["first_on_scene"] - inc["arrival"]})
    if durations:
        out["travel_min"] = inc["first_on_scene"] - inc["first_dispatch"]
        out["on_scene_min"] = inc["cleared"] - inc["first_on_scene"]
    return out


@pytest.fixture(scope="module")
def loaded():
    """Units for ~70% utilisation, so the dispatch delays are the queue's, not zero."""
    s = truth_scenario(days=14, units=16)
    return s, incidents(s, seed=4)


def test_full_trace_replays_exactly(loaded, tmp_path):
    """Arrivals, grades, handling, travel and on-scene replayed, no other randomness in this
    scenario (no absences, no arrests, single-unit jobs): each call is dispatched when it was."""
    s, inc = loaded
    path = tmp_path / "trace.csv"
    _trace(s, inc, durations=True).to_csv(path, index=False)
    rs = replay_scenario(s, str(path))
    assert len(trace_order(rs, read_trace(path))) == len(inc)      # every trace row is a caller
    rp = replay(rs, 1, seed=99, warmup_hours=0)
    obs, sim = rp.observed["dispatch"], rp.simulated["dispatch"][0]
    assert np.nanmedian(obs) > 1.0                                 # there is queueing to reproduce
    ok = np.isclose(sim, obs, atol=0.01) | (np.isnan(obs) & np.isnan(sim))
    assert ok.mean() > 0.99
    scene = rp.observed["scene"]
    known = ~np.isnan(scene)
    assert np.isclose(rp.simulated["scene"][0][known], scene[known], atol=0.01).mean() > 0.99


@pytest.mark.slow
def test_redrawn_durations_agree_in_distribution(loaded, tmp_path):
    """Only arrivals, grades and handling replayed; travel and on-scene drawn afresh from the
    scenario: the back-test's distributions match the observed ones (backtest CLI, no map)."""
    s, inc = loaded
    _trace(s, inc, durations=False).to_csv(tmp_path / "trace.csv", index=False)
    (tmp_path / "s.toml").write_text(toml_text(s.to_dict()))
    out = tmp_path / "bt"
    assert main(["backtest", str(tmp_path / "trace.csv"), str(tmp_path / "s.toml"), "--reps", "6", "--seed", "8",
                 "--out", str(out), "--quiet"]) == 0
    bt = pd.read_csv(out / "backtest.csv", dtype={"value": str})
    grades = bt[bt["group"] == "grade"]
    assert set(grades["value"]) == {"G1", "G2", "G3"}
    inside = []
    for _, r in grades.iterrows():
        assert r["ks_distance"] < 0.1, r.to_dict()
        for q in ("p50", "p90"):
            # the observed period is one more replication: inside the 95% prediction interval (12
            # intervals here: one or two may miss by chance, none by far)
            half = (r[f"sim_{q}_pi_hi"] - r[f"sim_{q}_pi_lo"]) / 2
            assert abs(r[f"obs_{q}"] - r[f"sim_{q}"]) < 1.5 * half, (r["measure"], r["value"], q)
            inside.append(bool(r[f"obs_{q}_in_pi"]))
    assert sum(inside) >= len(inside) - 2
    g1 = grades[(grades["value"] == "G1") & (grades["measure"] == "dispatch")].iloc[0]
    assert abs(g1["sim_p50"] / g1["obs_p50"] - 1) < 0.1
    assert (out / "report.html").read_text().count("data:image/png") == 2      # QQ per priority, by load
    assert {"version", "seed", "replications"} <= set(pd.read_json(out / "manifest.json", typ="series").index)


@pytest.mark.slow
def test_trace_demand_in_any_scenario(loaded, tmp_path, monkeypatch):
    """``[demand] trace = "..."`` in a scenario file, resolved against that file's folder (like
    ``base``); ``triage-sim run`` replays it: one call per trace row in the run."""
    s, inc = loaded
    (tmp_path / "scen" / "data").mkdir(parents=True)
    _trace(s, inc, durations=True).to_csv(tmp_path / "scen" / "data" / "calls.csv", index=False)
    (tmp_path / "scen" / "base.toml").write_text(toml_text(s.to_dict()))
    (tmp_path / "scen" / "replay.toml").write_text('base = "base.toml"\n[run]\ndays = 3\n[demand]\ntrace = "data/calls.csv"\n')
    monkeypatch.chdir(tmp_path)     # the path is the file's, not the working folder's
    rs = load_scenario(tmp_path / "scen" / "replay.toml")
    assert rs.demand.trace == str((tmp_path / "scen" / "data" / "calls.csv").resolve())
    assert main(["run", str(tmp_path / "scen" / "replay.toml"), "--reps", "1", "--jobs", "1", "--events", "--quiet",
                 "--out", str(tmp_path / "run")]) == 0
    calls = pd.read_parquet(tmp_path / "run" / "calls.parquet")
    assert len(calls) == int((inc["arrival"] < 3 * 1440).sum())


def test_missing_trace_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "s.toml").write_text(toml_text(truth_scenario().to_dict()) + '\n')
    (tmp_path / "bad.toml").write_text('base = "s.toml"\n[demand]\ntrace = "nowhere.csv"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "bad.toml")
    assert err.value.path == "demand.trace" and "trace file not found" in str(err.value)
    assert main(["check", str(tmp_path / "bad.toml")]) == 2
    msg = capsys.readouterr().err
    assert "demand.trace" in msg and "nowhere.csv" in msg and "Traceback" not in msg


def test_trace_is_confined_like_base_files(loaded, tmp_path, capsys, monkeypatch):
    """A trace outside the scenario's folder (and 'scenarios' folders) is refused like a base
    file would be, unless its folder is named with --base-root (for that command only)."""
    s, inc = loaded
    (tmp_path / "data").mkdir()
    (tmp_path / "scen").mkdir()
    _trace(s, inc, durations=True).to_csv(tmp_path / "data" / "calls.csv", index=False)
    (tmp_path / "scen" / "base.toml").write_text(toml_text(s.to_dict()))
    top = tmp_path / "scen" / "replay.toml"
    top.write_text('base = "base.toml"\n[run]\ndays = 1\n[demand]\ntrace = "../data/calls.csv"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(top)
    assert err.value.path == "demand.trace" and "--base-root" in str(err.value)
    assert main(["check", str(top)]) == 2
    assert "demand.trace" in capsys.readouterr().err
    assert main(["check", str(top), "--base-root", str(tmp_path / "data")]) == 0
    assert load_scenario(top, roots=[tmp_path / "data"]).demand.trace is not None
    with pytest.raises(ScenarioError):   # no process-wide state: the command's --base-root is gone after it
        load_scenario(top)
