"""Hostile and careless input: one line, exit status 2, no traceback, nothing written."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import DEFAULT, ROOT


def _triage(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


@pytest.mark.parametrize("args, words", [
    (["run", "--days", "100000"], "calls in one replication"),
    (["run", "--set", "demand.channels.999.calls_per_day=1e12"], "calls_per_day = 1000000000000.0: expected a number <= 1000000"),
    (["run", "--set", "demand.channels.999.calls_per_day=900000", "--days", "60"], "if you mean it, add --allow-large"),
    (["sweep", "--vary", "response.shifts.late.units=1:100000:1", "--reps", "1"], "100,000 replications in all"),
    (["run", "--set", "response.shifts.late.units=100000000"], "expected at most 100,000 units on a shift"),
    (["run", "--days", "1", "--out", "/proc/triage-x"], "cannot create the results folder there"),
    (["run", "--days", "1", "--out", "/etc/hostname/x"], "cannot create the results folder there (Not a directory)"),
    (["run", "--days", "1", "--dask", "notaurl"], "expected 'local' or a scheduler address tcp://HOST:PORT"),
    (["run", "--days", "1", "--dask", "tcp://127.0.0.1:1"], "no Dask scheduler answered within 5 s"),
    (["check", "--set", 'meta.name="a\\u0000b"'], "expected printable text"),
    (["check", "--set", "response.reserve_for_g1=500"], "expected at most the fewest response units rostered"),
    (["check", "--set", "response.non_incident.briefing.minutes=900"], "expected it to fit in the shortest response shift"),
    (["check", "--set", "appointments.slots_per_hour=[1e15,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]"],
     "expected at most 100,000 slots an hour"),
    (["compare", DEFAULT], "give a second scenario B"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(args, words, tmp_path):
    before = set((ROOT / "results").iterdir()) if (ROOT / "results").exists() else set()
    p = _triage(*args)
    assert p.returncode == 2, (p.returncode, p.stderr[-500:])
    assert "Traceback" not in p.stderr and words in p.stderr
    assert p.stderr.strip().count("\n") == 0
    after = set((ROOT / "results").iterdir()) if (ROOT / "results").exists() else set()
    assert after == before


@pytest.mark.parametrize("value", ["-1", "nan", "0", "inf"])
def test_precision_must_be_a_finite_positive_share(value):
    p = _triage("run", "--days", "1", "--precision", value, "--kpi", "g1_in_target")
    assert p.returncode == 2 and "expected a finite number above 0" in p.stderr and "Traceback" not in p.stderr


def test_jobs_above_the_cores_are_capped_with_a_note(tmp_path):
    p = _triage("run", "--days", "1", "--reps", "2", "--jobs", "64", "--out", tmp_path / "r", "--quiet")
    assert p.returncode == 0 and "is more than this machine's" in p.stderr


def test_report_on_a_damaged_folder_keeps_what_it_has(tmp_path):
    import shutil

    good = tmp_path / "good"
    assert _triage("run", "--days", "2", "--out", good, "--quiet").returncode == 0
    for damage in ("profiles", "summary"):
        bad = tmp_path / damage
        shutil.copytree(good, bad)
        target = bad / ("profiles.parquet" if damage == "profiles" else "summary.csv")
        target.write_bytes(target.read_bytes()[:60])
        before = {p.name: p.read_bytes() for p in (bad / "figures").iterdir()}
        report = (bad / "report.html").read_bytes()
        p = _triage("report", bad)
        assert p.returncode == 2 and target.name in p.stderr and "left as they are" in p.stderr
        assert "Traceback" not in p.stderr
        assert {q.name: q.read_bytes() for q in (bad / "figures").iterdir()} == before
        assert (bad / "report.html").read_bytes() == report
