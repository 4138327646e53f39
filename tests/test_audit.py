"""The downgrade audit: one row per resource-driven downgrade, written by every run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run_experiment
from sim.measures.audit import COLUMNS, downgrade_audit
from sim.measures.kpis import compute_kpis
from sim.model.core import run_model

from conftest import DEFAULT, small


def test_audit_rows_are_the_resource_downgrades_with_their_facts():
    log = run_model(small(run={"days": 4, "warmup_days": 1}), 3)
    a = downgrade_audit(log)
    k = compute_kpis(log)
    assert len(a) == k["resource_downgrades"] > 0 and list(a.columns) == list(COLUMNS)
    c = log.calls.set_index("call_id").loc[a["incident"]]
    np.testing.assert_allclose(a["arrival_min"], c["arrival"].round(2))
    assert (a["from_grade"].str[1].astype(int) < a["to_grade"].str[1].astype(int)).all()
    assert (a["downgraded_at_min"] >= log.warmup).all()
    # it had waited unresourced exactly as long as the policy's rule says before the controller looked
    rules = {"G1": 5.0, "G2": 30.0}
    first = a.drop_duplicates("incident")
    assert (first["waited_unresourced_min"] >= first["from_grade"].map(rules) - 1e-6).all()
    met = a["attended_after_min"] <= a["initial_standard_min"]
    assert (a.loc[met, "initial_standard_met"] == "yes").all()
    assert set(a["initial_standard_met"]) <= {"yes", "no", "not yet known"}
    assert a["date"].str.match(r"2016-09-\d\d").all() and a["time"].str.match(r"\d\d:\d\d").all()


def test_every_run_writes_the_audit_and_its_rows_equal_the_kpi(tmp_path):
    s = load_scenario(DEFAULT, ["run.days=4", "run.warmup_days=1"])
    res = run_experiment(s, reps=2, jobs=1, out=tmp_path / "run")
    table = pd.read_csv(tmp_path / "run" / "downgrades.csv")
    assert len(table) == res.result.replications["resource_downgrades"].sum() > 0
    assert list(table.columns) == ["replication", *COLUMNS]
    assert sorted(set(table["replication"])) == [0, 1]
    # a run with no downgrades still writes the file (header only)
    calm = load_scenario(DEFAULT, ["run.days=2", "policy.kind=none"])
    run_experiment(calm, reps=1, jobs=1, out=tmp_path / "calm")
    assert pd.read_csv(tmp_path / "calm" / "downgrades.csv").empty
    text = (tmp_path / "run" / "downgrades.csv").read_text()
    assert text.startswith("replication,incident,day,date,time")


def test_resume_rebuilds_the_audit(tmp_path):
    from sim.experiment.replications import resume

    s = load_scenario(DEFAULT, ["run.days=3", "run.warmup_days=1"])
    run_experiment(s, reps=2, jobs=1, out=tmp_path / "r")
    before = (tmp_path / "r" / "downgrades.csv").read_bytes()
    (tmp_path / "r" / "reps" / "rep-0001.json").unlink()
    (tmp_path / "r" / "manifest.json").unlink()
    resume(tmp_path / "r", jobs=1)
    assert (tmp_path / "r" / "downgrades.csv").read_bytes() == before


def test_every_count_kpi_has_a_per_week_twin():
    from sim.measures.kpis import COUNTS, KPIS

    log = run_model(small(run={"days": 10, "warmup_days": 3}), 2)
    k = compute_kpis(log)
    units = {x.name: x.unit for x in KPIS}
    for name in COUNTS:
        assert k[f"{name}_per_week"] == pytest.approx(k[name] * 7 / 10)   # 10 measured days
    assert units["overtime_hours_per_week"] == "hours per week" and units["resource_downgrades_per_week"] == \
        "grade changes per week"
