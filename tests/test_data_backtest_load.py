"""The back-test by load, with noise bands and a verdict: the load of each replayed call counted on
the observed trace, weekly block-bootstrap bands, by-load bins that partition the compared calls,
the verdict against the named tolerances (a trace replayed against itself passes; a simulated side
scaled by hand fails on the criterion that was broken), and the --start/--end options."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cad_export import cad_frame, incidents, map_text
from sim.cli.main import main
from sim.data.backtest import Replay, by_load, compare, replay, replay_scenario
from sim.data.load import block_draws, bootstrap_band, load_bins, open_incidents, week_blocks
from sim.data.verdict import FAIL, PASS, TOLERANCES, verdict, verdict_sentence
from sim.scenario.writing import toml_text
from test_data_backtest import _trace
from test_data_fit import truth_scenario


@pytest.fixture(scope="module")
def loaded():
    s = truth_scenario(days=14, units=16)
    return s, incidents(s, seed=4)


@pytest.fixture(scope="module")
def self_replay(loaded, tmp_path_factory):
    """The full trace (every duration observed) replayed: the simulated side is the observed one."""
    s, inc = loaded
    path = tmp_path_factory.mktemp("self") / "trace.csv"
    _trace(s, inc, durations=True).to_csv(path, index=False)
    return replay(replay_scenario(s, str(path)), 2, seed=99, warmup_hours=24)


# ---------------------------------------------------------------------------- load
def test_open_incidents_counted_by_hand():
    """Open = created strictly before the call and closed after it; the close is arrival + call ->
    on scene + on scene, else arrival + dispatch + the median (scene + on scene - dispatch)."""
    t = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    dispatch = np.array([1.0, 1.0, 9.0, 1.0, 1.0])
    scene = np.array([5.0, 5.0, np.nan, 5.0, 5.0])
    on_scene = np.array([30.0, 5.0, np.nan, 1.0, 1.0])
    load, rule = open_incidents(t, dispatch, scene, on_scene)
    # closes: 35, 20, 20 + 9 + median(34, 9, 5, 5) = 36, 36, 46
    assert load.tolist() == [0, 1, 1, 2, 0]
    assert "else arrival + call -> first dispatch + 7.0 min" in rule
    # brute force on random data agrees
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 2000, 400)).round(0)      # ties included
    scene, on_scene = rng.exponential(10, 400), rng.exponential(60, 400)
    load, _ = open_incidents(t, scene / 2, scene, on_scene)
    close = t + scene + on_scene
    brute = [int(((t < ti) & (close > ti)).sum()) for ti in t]
    assert load.tolist() == brute


def test_replay_carries_the_observed_load(self_replay):
    rp = self_replay
    assert rp.load is not None and rp.load.shape == rp.arrival.shape
    assert rp.load.min() >= 0 and rp.load[rp.compared].mean() > 1
    assert "closed at arrival + call -> on scene + on scene" in rp.load_rule


# ---------------------------------------------------------------------------- bootstrap
def _weeks_of_calls(weeks: int, per_day: int = 150, seed: int = 1):
    rng = np.random.default_rng(seed)
    n = weeks * 7 * per_day
    arrival = np.sort(rng.uniform(0, weeks * 7 * 1440.0, n))
    return arrival, rng.lognormal(np.log(6.0), 1.0, n)


def test_bootstrap_band_contains_the_estimate_and_narrows_with_more_weeks():
    widths = {}
    for weeks in (4, 16):
        arrival, x = _weeks_of_calls(weeks)
        blocks = week_blocks(arrival, np.ones(x.size, bool))
        assert blocks.max() == weeks - 1
        draws = block_draws(weeks)
        band = bootstrap_band(x, blocks, draws)
        assert np.array_equal(band, bootstrap_band(x, blocks, block_draws(weeks)))   # fixed seed, no global state
        for j, q in enumerate((0.5, 0.9)):
            assert band[j, 0] < np.quantile(x, q) < band[j, 1], (weeks, q, band[j])
        widths[weeks] = band[:, 1] - band[:, 0]
    assert (widths[16] < 0.75 * widths[4]).all(), widths      # about half: four times the weeks


def test_backtest_table_has_the_bands(self_replay):
    bt = compare(self_replay)
    for qn in ("p50", "p90"):
        assert {f"obs_{qn}_band_lo", f"obs_{qn}_band_hi"} <= set(bt.columns)
        big = bt[bt["n_observed"] > 300]
        assert (big[f"obs_{qn}_band_lo"] <= big[f"obs_{qn}"]).all() and (big[f"obs_{qn}"] <= big[f"obs_{qn}_band_hi"]).all()
    assert set(bt.loc[bt["group"] == "priority", "grades"]) == {"G1", "G2", "G3"}


# ---------------------------------------------------------------------------- by load
def test_load_bins_partition_the_compared_calls(self_replay):
    rp = self_replay
    bins, labels, ranges = load_bins(rp.load, rp.compared)
    assert 2 <= len(labels) <= 5
    assert (bins[rp.compared] >= 0).all() and (bins[~rp.compared] == -1).all()
    for i, (lo, hi) in enumerate(ranges):                    # each bin holds exactly the loads of its range
        x = rp.load[rp.compared & (bins == i)]
        assert x.size > 0 and x.min() == lo and x.max() == hi
        assert labels[i] == (f"{lo}-{hi}" if lo < hi else f"{lo}")
    assert all(ranges[i][1] < ranges[i + 1][0] for i in range(len(ranges) - 1))
    bl = by_load(rp)
    known = rp.compared & ~np.isnan(rp.observed["dispatch"])
    assert bl.loc[bl["priority"] == "all", "n"].sum() == known.sum()
    for p in sorted(set(rp.priority)):
        assert bl.loc[bl["priority"] == p, "n"].sum() == (known & (rp.priority == p)).sum()
    assert list(bl.loc[bl["priority"] == "all", "load_bin"]) == labels
    # the same calls on both sides: a trace replayed against itself (>99% of calls exactly) has ratio ~1 in every full cell
    full = bl[bl["n"] >= 30]
    assert np.allclose(full["ratio_p50"], 1.0, atol=0.02) and np.allclose(full["ratio_p90"], 1.0, atol=0.05)


# ---------------------------------------------------------------------------- verdict
def test_a_trace_replayed_against_itself_meets_the_tolerances(self_replay):
    v = verdict(compare(self_replay))
    assert list(v["priority"]) == ["1", "2", "3", "all", "overall"]
    assert (v["pass"] == PASS).all(), v[["priority", "p50_value", "p90_value", "ks_value", "fails"]]
    assert v.loc[v["priority"] == "1", "p50_criterion"].iloc[0].startswith("|sim - obs|")
    assert v.loc[v["priority"] == "2", "p50_criterion"].iloc[0] == "sim / obs"
    assert "meets the tolerances for every priority" in verdict_sentence(v)


def _hand_replay(shift: dict, scale: dict, n: int = 3000, reps: int = 2) -> Replay:
    """Priorities '1' (grade G2), '2' (G1: the urgent one, though not coded '1') and '3' (G3) over
    four weeks; simulated = observed, then each priority's simulated side scaled and shifted."""
    rng = np.random.default_rng(7)
    code = np.repeat(np.array(["1", "2", "3"]), n)
    grade = np.repeat(np.array(["G2", "G1", "G3"]), n)
    median = np.repeat([6.0, 1.0, 20.0], n)
    obs = median * rng.lognormal(0.0, 0.5, 3 * n)
    sim = np.array([obs * np.vectorize(scale.get)(code, 1.0) + np.vectorize(shift.get)(code, 0.0)] * reps)
    arrival = rng.uniform(0, 28 * 1440.0, 3 * n)
    scene_obs = obs + 5.0
    return Replay(observed={"dispatch": obs, "scene": scene_obs}, simulated={"dispatch": sim, "scene": sim + 5.0},
                  grade=grade, priority=code, compared=np.ones(3 * n, bool), arrival=arrival)


def test_a_scaled_simulated_side_fails_on_the_criterion_broken():
    v = verdict(compare(_hand_replay(shift={}, scale={"1": 1.3}))).set_index("priority")
    assert v.loc["1", "p50_pass"] == FAIL and v.loc["1", "p90_pass"] == PASS       # 1.3: outside 0.85-1.20, inside 0.75-1.35
    assert v.loc["1", "p50_value"] == pytest.approx(1.3, rel=1e-6)
    assert v.loc["1", "ks_pass"] == FAIL and v.loc["1", "pass"] == FAIL
    assert (v.loc[["2", "3"], "pass"] == PASS).all()
    assert v.loc["overall", "pass"] == FAIL and "P1: p50 sim / obs 1.30 outside 0.85-1.2" in v.loc["overall", "fails"]
    sentence = verdict_sentence(v.reset_index())
    assert "fails for P1 on p50 and KS" in sentence and "P2" not in sentence and "P3" not in sentence


@pytest.mark.slow
def test_the_urgent_priority_is_judged_in_minutes_found_by_its_grade():
    """Code '2' holds the G1 calls here: a quarter of a minute more on a 1-minute median is a
    ratio of 1.25 (would fail a ratio) but within 0.3 min; half a minute is not."""
    v = verdict(compare(_hand_replay(shift={"2": 0.25}, scale={}))).set_index("priority")
    assert v.loc["2", "p50_criterion"].startswith("|sim - obs|") and v.loc["1", "p50_criterion"] == "sim / obs"
    assert v.loc["2", "p50_pass"] == PASS and v.loc["2", "p90_pass"] == PASS
    assert v.loc["2", "p50_value"] == pytest.approx(0.25)
    v = verdict(compare(_hand_replay(shift={"2": 0.5}, scale={}))).set_index("priority")
    assert v.loc["2", "p50_pass"] == FAIL and v.loc["2", "p90_pass"] == PASS
    assert "P2 on p50" in verdict_sentence(v.reset_index())


def test_tolerances_are_one_frozen_structure():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        TOLERANCES.ks_pooled = 0.5
    loose = dataclasses.replace(TOLERANCES, p50_ratio=(0.5, 2.0), ks_priority=0.5, ks_pooled=0.5)
    v = verdict(compare(_hand_replay(shift={}, scale={"1": 1.3})), loose).set_index("priority")
    assert v.loc["1", "p50_pass"] == PASS and v.loc["overall", "pass"] == PASS


def test_what_the_replay_used_names_the_dispatch_settings():
    """decision, stacking and preemption of [response] printed (a distribution by its median and p90), "not used" when absent,
    empty or switched off (the scenario may or may not have them)."""
    from sim.data.report import replay_used_html

    class Stub:
        def __init__(self, response):
            self.response = response

        def to_dict(self):
            return {"response": self.response}

    shifts = {"early": {"start": "07:00", "hours": 10.0, "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                        "units": (12, 12, 12, 12, 12, 12, 14)}}
    html = replay_used_html(Stub({"shifts": shifts}))
    assert html.count("not used") == 3 and "Sun 14" in html and "07:00" in html
    html = replay_used_html(Stub({"shifts": shifts, "decision": {"G2": {"family": "fixed", "value": 1.5}},
                                  "stacking": {"hold": {}, "hold_by_priority": {}, "min_free": {"G3": 2}},
                                  "preemption": {"enabled": False, "probability": 1.0}}))
    assert "G2 = fixed, median 1.50 min, p90 1.50" in html and "min_free.G3 = 2" in html and "hold" not in html
    assert html.count("not used") == 1                 # preemption: switched off


# ---------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def trace_files(loaded, tmp_path_factory):
    s, inc = loaded
    tmp = tmp_path_factory.mktemp("cli")
    _trace(s, inc, durations=True).to_csv(tmp / "trace.csv", index=False)
    (tmp / "s.toml").write_text(toml_text(s.to_dict()))
    (tmp / "cad.csv").write_text(cad_frame(s, inc).to_csv(index=False))
    (tmp / "map.toml").write_text(map_text(s))
    return s, tmp


@pytest.mark.slow
def test_backtest_writes_by_load_and_verdict(trace_files):
    s, tmp = trace_files
    out = tmp / "bt"
    assert main(["backtest", str(tmp / "trace.csv"), str(tmp / "s.toml"), "--reps", "2", "--seed", "3",
                 "--out", str(out), "--quiet"]) == 0
    bl = pd.read_csv(out / "by_load.csv", dtype={"priority": str})
    v = pd.read_csv(out / "verdict.csv", dtype={"priority": str})
    assert {"measure", "priority", "load_bin", "n", "obs_p50", "obs_p50_band_lo", "sim_p90", "ratio_p90"} <= set(bl.columns)
    assert list(v["priority"]) == ["1", "2", "3", "all", "overall"]
    assert {"p50_value", "p50_limit", "p50_pass", "ks_value", "ks_limit", "ks_pass", "pass"} <= set(v.columns)
    assert (v["pass"] == PASS).all()                 # every duration replayed: the model gives back the force
    html = (out / "report.html").read_text()
    assert html.count("data:image/png") == 2 and "meets the tolerances for every priority" in html
    assert "What the replay used" in html and "not used" in html
    assert {p.name for p in (out / "figures").iterdir()} == {"backtest_qq.png", "backtest_by_load.png"}


@pytest.mark.slow
def test_backtest_window_on_a_trace_and_the_fit_period(trace_files, capsys):
    """--start/--end cut a trace without a map; the manifest and report say which period was
    compared and how it relates to the period the scenario was fitted on."""
    s, tmp = trace_files
    start = s.run.start_date
    fitted = tmp / "fitted.toml"
    data = s.to_dict()
    data["meta"]["description"] = f"fitted from cad.csv (n=100, {start}..{start.replace(day=start.day + 6)})"
    fitted.write_text(toml_text(data))
    out = tmp / "bt-window"
    assert main(["backtest", str(tmp / "trace.csv"), str(fitted), "--reps", "1", "--out", str(out), "--quiet",
                 "--start", str(start.replace(day=start.day + 7)), "--end", str(start.replace(day=start.day + 14))]) == 0
    trace = pd.read_csv(out / "trace.csv")
    days = pd.to_datetime(trace["arrival"]).dt.date
    assert days.min() >= start.replace(day=start.day + 7) and days.max() < start.replace(day=start.day + 14)
    period = json.loads((out / "manifest.json").read_text())["period"]
    assert period["window_start"] == str(start.replace(day=start.day + 7))
    assert period["differs_from_fit"] is True and period["days_in_fit_period"] == 0
    assert "out of sample" in period["sentence"]
    assert "out of sample" in (out / "report.html").read_text()


@pytest.mark.slow
def test_fit_window_overrides_the_map(trace_files):
    s, tmp = trace_files
    start = s.run.start_date
    out = tmp / "fit-window"
    assert main(["fit", str(tmp / "cad.csv"), "--map", str(tmp / "map.toml"), "--base", str(tmp / "s.toml"),
                 "--start", str(start.replace(day=start.day + 7)), "--out", str(out), "--quiet"]) == 0
    fit = json.loads((out / "fit.json").read_text())
    assert fit["start"].startswith(str(start.replace(day=start.day + 7))) and fit["days"] == pytest.approx(7)


@pytest.mark.parametrize("options, words", [
    (["--start", "2025-13-01"], ["--start = '2025-13-01'", "expected a date YYYY-MM-DD"]),
    (["--end", "next week"], ["--end = 'next week'", "expected a date YYYY-MM-DD"]),
    (["--start", "2025-03-10", "--end", "2025-03-10"], ["--end = '2025-03-10'", "must be after the start"]),
    (["--start", "2025-03-10", "--end", "2025-03-05"], ["--end", "2025-03-10 from --start"]),
])
@pytest.mark.parametrize("command", ["fit", "backtest", "backtest-trace"])
def test_bad_window_is_one_line_naming_the_option(trace_files, capsys, tmp_path, command, options, words):
    s, tmp = trace_files
    out = tmp_path / "out"
    if command == "fit":
        argv = ["fit", str(tmp / "cad.csv"), "--map", str(tmp / "map.toml")]
    elif command == "backtest":
        argv = ["backtest", str(tmp / "cad.csv"), str(tmp / "s.toml"), "--map", str(tmp / "map.toml")]
    else:
        argv = ["backtest", str(tmp / "trace.csv"), str(tmp / "s.toml")]
    assert main([*argv, *options, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("triage-sim: error:") and "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err, err
    assert not out.exists()


def test_a_start_after_the_maps_end_names_start(trace_files, capsys, tmp_path):
    s, tmp = trace_files
    assert main(["fit", str(tmp / "cad.csv"), "--map", str(tmp / "map.toml"), "--start", "2030-01-01",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--start = '2030-01-01'" in err and "filter.end" in err
