"""The audit checked where the answer is known: a short simulated run (4 days after a day's
warm-up, appointments at least 40 h ahead so some downgraded callers wait more than 48 h) exported
as a CAD extract and grade log (``triage-sim export-extract``), audited with ``triage-sim audit``.
The audit must recover the run's own figures, read from what the run itself wrote
(replications.csv, the replication's downgrade profile): resource-led downgrades by hour of week,
those attended more than 48 h after the call, with and without injected defects, and count each
defect exactly."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main

RUN = ["--days", "4", "--warmup-days", "1", "--reps", "2", "--jobs", "1", "--seed", "2016", "--events", "--quiet",
       "--set", "appointments.min_lead_hours=40"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roundtrip")
    assert main(["run", *RUN, "--out", str(tmp / "run")]) == 0
    return tmp / "run"


def _export(run, out, *extra):
    assert main(["export-extract", str(run), "--out", str(out), "--quiet", *extra]) == 0
    return json.loads((out / "expected.json").read_text())


def _audit(exp: Path, out: Path, *extra, log=True, map_name="map.toml"):
    args = ["audit", str(exp / "incidents.csv"), "--map", str(exp / map_name), "--out", str(out), "--quiet", *extra]
    if log:
        args += ["--log", str(exp / "grade_log.csv")]
    assert main(args) == 0
    return out


def _own(run: Path, rep: int):
    """What the run wrote itself: its KPIs and its downgrade profile (mean a week by hour of week)."""
    kpis = pd.read_csv(run / "replications.csv").set_index("replication").loc[rep]
    prof = pd.read_parquet(run / "reps" / f"rep-{rep:04d}.profiles.parquet")
    prof = prof[prof["profile"] == "resource_downgrades"].sort_values("x")["value"].to_numpy(float)
    return kpis, prof


def _quality(out: Path) -> dict:
    q = pd.read_csv(out / "quality.csv", keep_default_na=False)
    return {(s, i): int(r) for s, i, r in zip(q["section"], q["item"], q["rows"])}


@pytest.mark.parametrize("rep", [0, 1])
def test_audit_of_the_export_gives_the_models_own_figures(run, tmp_path, rep):
    exp = _export(run, tmp_path / "exp", "--rep", str(rep))
    out = _audit(tmp_path / "exp", tmp_path / "audit")
    kpis, profile = _own(run, rep)
    h = pd.read_csv(out / "by_hour_of_week.csv")
    assert h["resource"].sum() == kpis["resource_downgrades"] == exp["resource_downgrades"] > 0
    assert h["resource"].tolist() == exp["resource_downgrades_by_hour_of_week"]
    # the per-week rate by hour of week is the simulator's own profile, to the last bit (one rule)
    np.testing.assert_array_equal(h["resource_per_week"].to_numpy(float), profile)
    last = pd.read_csv(out / "attendance.csv").iloc[-1]
    assert last["over_48h"] == kpis["downgraded_attended_over_48h"] == exp["downgraded_attended_over_48h"]
    assert last["never"] == kpis["downgraded_attended_never"]
    # units committed at each downgrade (first dispatch to clear, units sent), as the run's calls say
    d = pd.read_csv(out / "downgrades_observed.csv")
    calls = pd.read_parquet(run / "events" / f"rep-{rep:04d}" / "calls.parquet")
    t = pd.to_datetime(d["time"]) - pd.Timestamp("2016-09-05")
    for minute, got in zip(t.dt.total_seconds() / 60.0, d["units_committed_at_time"]):
        busy = (calls["first_dispatch"] <= minute + 1 / 60) & (calls["cleared"] > minute + 1 / 60)
        assert got == calls.loc[busy, "units_sent"].sum()
    q = _quality(out)
    assert q[("defects", "changes logged out of order (earlier than a change logged above them)")] == 0
    assert q[("defects", "incidents in the grade log missing from the extract")] == 0
    assert q[("downgrades by kind", "unclassified")] == 0


def test_some_downgraded_callers_wait_over_48h(run):
    # else the 48-hour checks above could not fail
    kpis = pd.read_csv(run / "replications.csv")
    assert kpis["downgraded_attended_over_48h"].sum() > 0


@pytest.mark.parametrize("seed", [1, 5])
def test_defects_are_counted_and_the_figures_still_recovered(run, tmp_path, seed):
    rep = 1
    exp = _export(run, tmp_path / "exp", "--rep", str(rep), "--missing-reasons", "3", "--unknown-codes", "4",
                  "--out-of-order", "5", "--missing-ids", "2", "--seed", str(seed))
    out = _audit(tmp_path / "exp", tmp_path / "audit")
    kpis, profile = _own(run, rep)
    h = pd.read_csv(out / "by_hour_of_week.csv")
    assert h["resource"].sum() == kpis["resource_downgrades"]
    np.testing.assert_array_equal(h["resource_per_week"].to_numpy(float), profile)
    assert pd.read_csv(out / "attendance.csv").iloc[-1]["over_48h"] == kpis["downgraded_attended_over_48h"]
    q = _quality(out)
    assert q[("defects", "changes logged out of order (earlier than a change logged above them)")] == 5
    assert q[("defects", "incidents in the grade log missing from the extract")] == 2
    assert q[("defects", "changes with no reason (no code, no text)")] == 3
    assert q[("defects", "changes with a reason code not in the map")] == 4
    assert q[("decided by the no-reason rule", "resource")] == 3
    assert q[("reason codes not in the map", "ZX9")] == 4
    # the injected files really are defective
    log = pd.read_csv(tmp_path / "exp" / "grade_log.csv", dtype=str, keep_default_na=False)
    assert not log["changed_at"].is_monotonic_increasing
    inc = pd.read_csv(tmp_path / "exp" / "incidents.csv", dtype=str, keep_default_na=False)
    assert set(exp["defects"]["ids_left_out"]) <= set(log["incident_number"]) - set(inc["incident_number"])


def test_compare_puts_observed_and_simulated_in_one_table_and_one_figure(run, tmp_path):
    exps = [_export(run, tmp_path / f"exp{r}", "--rep", str(r)) for r in (0, 1)]
    out = _audit(tmp_path / "exp0", tmp_path / "audit", "--compare", str(run))
    h = pd.read_csv(out / "by_hour_of_week.csv")
    for c in ("resource", "resource_per_week", "sim_resource_mean", "sim_resource_low", "sim_resource_high",
              "sim_resource_per_week_mean", "sim_resource_per_week_low", "sim_resource_per_week_high"):
        assert c in h.columns, c
    want = np.mean([e["resource_downgrades_by_hour_of_week"] for e in exps], axis=0)
    np.testing.assert_allclose(h["sim_resource_mean"].to_numpy(float), want)
    s = pd.read_csv(out / "summary.csv")
    row = s[s["measure"] == "resource downgrades a week"].iloc[0]
    kpis = pd.read_csv(run / "replications.csv")
    assert row["simulated_mean"] == pytest.approx(kpis["resource_downgrades_per_week"].mean())
    assert row["observed"] == pytest.approx(kpis["resource_downgrades_per_week"].iloc[0])
    assert "sim_p50_minutes_mean" in pd.read_csv(out / "attendance.csv").columns
    by_load = pd.read_csv(out / "by_load.csv", dtype={"waiting_g1_g2": str})
    assert "sim_resource_per_hour_mean" in by_load.columns
    # the load bins keep their order beside the simulated columns (a merge must not sort them as text)
    assert list(by_load["waiting_g1_g2"]) == ["0", "1-2", "3-5", "6-10", "11-20", "21+"]
    assert (out / "figures" / "1-downgrades-by-hour-of-week.png").stat().st_size > 1000
    html = (out / "audit.html").read_text()
    assert "Observed and simulated" in html and "simulated" in html
    # the page shows each simulated mean with its interval in one cell, so compared tables fit the page
    assert "sim p50 minutes (95% interval)" in html and "sim_p50_minutes_low" not in html


def test_layout_b_of_the_export_counts_net_downgrades(run, tmp_path):
    _export(run, tmp_path / "exp", "--rep", "0")
    out = _audit(tmp_path / "exp", tmp_path / "audit", log=False, map_name="map-net.toml")
    calls = pd.read_parquet(run / "events" / "rep-0000" / "calls.parquet")
    graded = calls[calls["initial_grade"].astype(str).isin(["G1", "G2", "G3", "G4"])]
    g = lambda s: s.astype(str).str[1].astype(int)  # noqa: E731
    in_window = (graded["arrival"] >= 1440) & (graded["arrival"] < 5 * 1440)
    net = graded[in_window & (g(graded["final_grade"]) > g(graded["initial_grade"]))]
    d = pd.read_csv(out / "downgrades_observed.csv")
    assert len(d) == len(net) > 0
    assert "What cannot be measured" in (out / "audit.html").read_text()


def test_export_refuses_more_defects_than_the_run_has(run, tmp_path, capsys):
    rc = main(["export-extract", str(run), "--out", str(tmp_path / "x"), "--missing-reasons", "100000", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("triage-sim: error: --missing-reasons = 100000") and "\n" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_compare_with_a_run_made_without_events_says_so(tmp_path, capsys):
    assert main(["run", "--days", "1", "--warmup-days", "0", "--quiet", "--jobs", "1", "--out", str(tmp_path / "r")]) == 0
    ex = Path(__file__).resolve().parents[1] / "scenarios" / "fitted" / "audit-example"
    rc = main(["audit", str(ex / "incidents.csv"), "--map", str(ex / "audit-example.map.toml"), "--compare", str(tmp_path / "r"),
               "--out", str(tmp_path / "a"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--events" in err and "\n" not in err and not (tmp_path / "a").exists()
    rc = main(["export-extract", str(tmp_path / "r"), "--out", str(tmp_path / "e"), "--quiet"])
    assert rc == 2 and "--events" in capsys.readouterr().err


def test_export_of_a_replication_that_is_not_there_is_refused(run, tmp_path, capsys):
    rc = main(["export-extract", str(run), "--out", str(tmp_path / "x"), "--rep", "7", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--rep = 7" in err and "0, 1" in err and not (tmp_path / "x").exists()
