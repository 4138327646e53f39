"""Experiments: confidence intervals, CRN, executors, comparisons, sweeps, precision, resume."""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.experiment import replications as experiment
from sim.experiment import task as task_module
from sim.scenario.writing import toml_text
from sim.experiment.store import Store
from sim.experiment.replications import compare, run_experiment, sweep
from sim.experiment.summary import KPI_NAMES
from sim.util.errors import FolderError
from sim.model.core import Model
from sim.util.stats import mean_ci, welch_half_width

from conftest import BASE, ROOT, small


def test_mean_ci_matches_student_t():
    x = [3.0, 5.0, 4.0, 8.0, 6.5]
    ci = mean_ci(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert ci["ci_low"] == pytest.approx(lo) and ci["ci_high"] == pytest.approx(hi) and ci["reps"] == 5


def test_mean_ci_edge_cases():
    one = mean_ci([2.5])
    assert one["mean"] == 2.5 and math.isnan(one["half_width"]) and one["reps"] == 1
    flat = mean_ci([1.0, 1.0, 1.0])
    assert flat["half_width"] == 0 and flat["ci_low"] == flat["ci_high"] == 1.0
    assert mean_ci([1.0, float("nan"), 3.0])["reps"] == 2
    assert mean_ci([])["reps"] == 0
    assert math.isnan(welch_half_width([1.0], [2.0]))


def test_crn_same_callers_in_every_replication():
    a = small()
    b = small(response={"shifts": {"day": {"units": 9}, "night": {"units": 7}}}, call_handling={"shifts": {"all": {"staff": 5}}})
    for rep in range(3):
        ca, cb = Model(a, 3, rep).callers, Model(b, 3, rep).callers
        for f in ("arrival", "channel", "true_risk", "assessed", "handling", "patience", "travel_blue",
                  "on_scene", "units_needed", "arrest", "u_policy"):
            np.testing.assert_array_equal(getattr(ca, f), getattr(cb, f))


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "run"
    return run_experiment(small(), reps=4, seed=21, jobs=1, out=out)


def _same_files(a: Path, b: Path, names=("replications.csv", "summary.csv")) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.slow
def test_process_pool_gives_identical_results(serial_run, tmp_path):
    pooled = run_experiment(small(), reps=4, seed=21, jobs=2, out=tmp_path / "pool")
    assert pooled.executor == "processes"
    _same_files(serial_run.folder, pooled.folder)


def _late_square(x):
    import time

    time.sleep(0.05 * (3 - x))   # the first tasks finish last
    return x * x


def test_map_ordered_returns_results_in_task_order():
    from sim.util.executors import map_ordered

    assert map_ordered(_late_square, range(4), 2) == [0, 1, 4, 9]
    assert map_ordered(_late_square, range(4), 1) == [0, 1, 4, 9]
    assert map_ordered(_late_square, [], 2) == []


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(serial_run, tmp_path):
    pytest.importorskip("dask.distributed")
    res = run_experiment(small(), reps=4, seed=21, jobs=2, dask="local", out=tmp_path / "dask")
    assert res.executor == "dask" and res.workers == 2
    _same_files(serial_run.folder, res.folder)


def test_run_folder_contents(serial_run):
    root = serial_run.folder
    reps = pd.read_csv(root / "replications.csv")
    assert list(reps["replication"]) == [0, 1, 2, 3] and "resource_downgrades" in reps.columns
    summary = pd.read_csv(root / "summary.csv")
    assert {"kpi", "value", "unit", "description", "mean", "ci_low", "ci_high", "half_width", "reps"} <= set(summary.columns)
    row = summary.set_index("kpi").loc["g2_in_target"]
    ci = mean_ci(reps["g2_in_target"])
    assert row["half_width"] == pytest.approx(ci["half_width"]) and row["reps"] == 4
    assert (root / "manifest.json").exists() and (root / "profiles.parquet").exists()
    assert sorted(p.name for p in (root / "reps").glob("*.json")) == [f"rep-000{i}.json" for i in range(4)]


def test_existing_folder_is_never_overwritten(serial_run):
    with pytest.raises(FolderError):
        run_experiment(small(), reps=1, out=serial_run.folder)


@pytest.mark.slow
def test_paired_comparison_is_tighter_than_unpaired():
    a = small(run={"days": 4})
    b = small(run={"days": 4}, response={"shifts": {"day": {"units": 6}, "night": {"units": 5}}})
    res = compare(a, b, reps=8, seed=5, jobs=1)
    table = res.comparison().set_index("kpi")
    down = table.loc["resource_downgrades"]
    assert down["diff"] < 0 and down["ci_high"] < 0        # more units: fewer downgrades, clearly
    for k in ("resource_downgrades", "g2_response_p90", "unit_utilisation"):
        assert table.loc[k, "half_width"] < table.loc[k, "unpaired_half_width"], k
    # identical callers: call-handling KPIs do not differ at all
    assert table.loc["calls_offered", "diff"] == 0 and table.loc["calls_offered", "half_width"] == 0


@pytest.mark.slow
def test_sweep_runs_the_full_grid(tmp_path):
    vary = {"response.shifts.day.units": [3, 6], "policy.kind": ["resource_led", "risk_led"]}
    res = sweep(small(run={"days": 1}), vary, reps=2, seed=4, jobs=1, out=tmp_path / "sw")
    assert len(res.arms) == 4
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert len(table) == 4 * len(KPI_NAMES)
    p = table[(table["kpi"] == "resource_downgrades")].set_index(["response.shifts.day.units", "policy.kind"])
    assert p.loc[(3, "risk_led"), "mean"] == 0 and p.loc[(6, "risk_led"), "mean"] == 0
    assert res.arms["p003"].scenario.response.shifts["day"].units == (6,) * 7


def test_parse_vary():
    assert experiment.parse_vary("a.b=50:70:10") == ("a.b", [50, 60, 70])
    assert experiment.parse_vary("a=1,2.5,x") == ("a", [1, 2.5, "x"])
    assert experiment.parse_vary("a=0.1:0.3:0.1")[1] == pytest.approx([0.1, 0.2, 0.3])


@pytest.mark.slow
def test_precision_stops_on_target_independent_of_jobs(tmp_path):
    kw = dict(reps=3, seed=2, precision=0.02, kpis=("calls_offered",), max_reps=12)
    one = run_experiment(small(run={"days": 1}), jobs=1, **kw)
    two = run_experiment(small(run={"days": 1}), jobs=2, **kw)
    assert one.stopped_by == two.stopped_by
    pd.testing.assert_frame_equal(one.result.replications, two.result.replications)
    n = len(one.result.replications)
    hw = one.result.kpi("calls_offered")
    if one.stopped_by == "precision":
        assert hw["half_width"] / hw["mean"] <= 0.02
    else:
        assert n == 12
    capped = run_experiment(small(run={"days": 1}), reps=2, seed=2, precision=1e-9, kpis=("unit_utilisation",),
                            max_reps=4, jobs=1)
    assert capped.stopped_by == "max_reps" and len(capped.result.replications) == 4


def test_failed_replication_is_reported_and_others_complete(monkeypatch, tmp_path):
    real = task_module.run_model

    def flaky(scenario, seed, replication):
        if replication == 2:
            raise RuntimeError("boom")
        return real(scenario, seed, replication)

    monkeypatch.setattr(task_module, "run_model", flaky)
    res = run_experiment(small(run={"days": 1}), reps=4, seed=9, jobs=1, out=tmp_path / "f")
    assert [f["replication"] for f in res.failures] == [2] and res.failures[0]["seed"] == 9
    assert "boom" in res.failures[0]["error"]
    assert list(res.result.replications["replication"]) == [0, 1, 3]
    assert (tmp_path / "f" / "reps" / "rep-0002.error.txt").exists()
    # resuming (now without the fault) runs only the failed one and completes the set
    monkeypatch.setattr(task_module, "run_model", real)
    done = experiment.resume(tmp_path / "f", jobs=1)
    assert list(done.result.replications["replication"]) == [0, 1, 2, 3] and not done.failures


def _write_small(path: Path, **run) -> Path:
    data = {**BASE, "run": {**BASE["run"], **run}}
    path.write_text(toml_text(data))
    return path


@pytest.mark.slow
def test_kill_and_resume_gives_the_same_files(tmp_path):
    """A real subprocess killed mid-run keeps finished replications; --resume completes them."""
    scenario = _write_small(tmp_path / "small.toml", days=6)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "sim", "run", str(scenario), "--reps", "10", "--jobs", "1", "--quiet"]
    full = subprocess.run(cmd + ["--out", str(tmp_path / "full")], env=env, capture_output=True, text=True, timeout=600)
    assert full.returncode == 0, full.stderr

    out = tmp_path / "killed"
    proc = subprocess.Popen(cmd + ["--out", str(out)], env=env, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if (out / "reps").exists() and len(list((out / "reps").glob("*.json"))) >= 3:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list((out / "reps").glob("*.json")))
    assert 3 <= finished < 10, finished
    assert not (out / "summary.csv").exists()

    resumed = subprocess.run([sys.executable, "-m", "sim", "run", "--resume", str(out), "--jobs", "2", "--quiet"],
                             env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    _same_files(tmp_path / "full", out)
    assert len(list((out / "reps").glob("*.json"))) == 10


@pytest.mark.slow
def test_cli_compare_and_sweep(tmp_path):
    a = _write_small(tmp_path / "a.toml", days=1)
    data = {**BASE, "run": {**BASE["run"], "days": 1}}
    data["response"] = {**BASE["response"], "shifts": {"day": {"start": "06:00", "hours": 12, "units": 8},
                                                       "night": {"start": "18:00", "hours": 12, "units": 6}}}
    b = tmp_path / "b.toml"
    b.write_text(toml_text(data))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "sim", "compare", str(a), str(b), "--reps", "3", "--jobs", "1",
                        "--out", str(tmp_path / "cmp")], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "B - A" in r.stdout and (tmp_path / "cmp" / "comparison.csv").exists()
    assert (tmp_path / "cmp" / "a" / "replications.csv").exists()
    r = subprocess.run([sys.executable, "-m", "sim", "sweep", str(a), "--vary", "response.shifts.day.units=2:6:2",
                        "--reps", "2", "--jobs", "1", "--out", str(tmp_path / "sw")],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "sw" / "sweep.csv")["point"].unique()) == 3


def test_store_round_trip_is_exact(serial_run):
    store = Store(serial_run.folder)
    loaded = store.load("", 1)
    original = serial_run.result.replications.set_index("replication").loc[1]
    for k in KPI_NAMES:
        a, b = loaded["kpis"][k], original[k]
        assert (math.isnan(a) and math.isnan(b)) or a == b, k
