"""--events csv: the event log as CSV, keyed by call_id (= incident), with an in_warmup column."""
from __future__ import annotations

import pytest

import pandas as pd

from conftest import DEFAULT


@pytest.mark.slow
def test_events_csv_matches_parquet_and_marks_the_warmup(tmp_path, triage):
    out = tmp_path / "e"
    p = triage("run", DEFAULT, "--days", 1, "--warmup-days", 1, "--events", "parquet,csv", "--jobs", 1,
                "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    for name in ("calls", "grade_changes", "unit_shifts", "rosters"):
        csv = pd.read_csv(out / f"{name}.csv")
        pq = pd.read_parquet(out / f"{name}.parquet")
        assert list(csv.columns) == list(pq.columns) and len(csv) == len(pq) > 0
        assert "in_warmup" in csv and csv["in_warmup"].any() and not csv["in_warmup"].all()
    calls = pd.read_csv(out / "calls.csv")
    assert (calls["in_warmup"] == (calls["arrival"] < 1440)).all()
    assert calls["call_id"].is_unique
    gc = pd.read_csv(out / "grade_changes.csv")
    assert gc["incident"].isin(calls["call_id"]).all()   # the documented key
    # the measured window's resource downgrades are the KPI and the audit's rows
    measured = gc[(gc["reason"] == "resource") & ~gc["in_warmup"]]
    audit = pd.read_csv(out / "downgrades.csv")
    assert set(audit["incident"]) <= set(measured["incident"])


@pytest.mark.slow
def test_events_csv_alone_and_a_bad_format(tmp_path, triage):
    out = tmp_path / "c"
    p = triage("run", DEFAULT, "--days", 1, "--warmup-days", 0, "--events", "csv", "--jobs", 1, "--out", out,
                "--quiet")
    assert p.returncode == 0, p.stderr
    assert (out / "calls.csv").exists() and not (out / "calls.parquet").exists()
    p = triage("run", "--events", "xlsx", "--out", tmp_path / "x")
    assert p.returncode == 2 and "expected parquet, csv or parquet,csv" in p.stderr and "Traceback" not in p.stderr
