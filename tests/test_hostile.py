"""Hostile and careless input: one line, exit status 2, no traceback, nothing written."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import DEFAULT, ROOT, run_triage_process


@pytest.mark.parametrize("args, words", [
    (["run", "--days", "100000"], "run.days = 100000.0: expected a number <= 3660"),
    (["run", "--days", "3000"], "calls in one replication"),
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
@pytest.mark.slow
def test_bad_input_is_one_line_exit_2_and_writes_nothing(args, words, tmp_path, triage):
    before = set((ROOT / "results").iterdir()) if (ROOT / "results").exists() else set()
    p = (run_triage_process if _in_a_process(args) else triage)(*args)
    assert p.returncode == 2, (p.returncode, p.stderr[-500:])
    assert "Traceback" not in p.stderr and words in p.stderr
    assert p.stderr.strip().count("\n") == 0
    after = set((ROOT / "results").iterdir()) if (ROOT / "results").exists() else set()
    assert after == before


def _in_a_process(args) -> bool:
    """A real process for Dask (its client's threads and logging are process-wide) and for one
    plain case: a run's bad input ends the process itself in one line, without a traceback."""
    return "--dask" in args or args == ["run", "--days", "100000"]


@pytest.mark.parametrize("value", ["-1", "nan", "0", "inf"])
def test_precision_must_be_a_finite_positive_share(value, triage):
    p = triage("run", "--days", "1", "--precision", value, "--kpi", "g1_in_target")
    assert p.returncode == 2 and "expected a finite number above 0" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.slow
def test_jobs_above_the_cores_are_capped_with_a_note(tmp_path, triage):
    p = triage("run", "--days", "1", "--reps", "2", "--jobs", "64", "--out", tmp_path / "r", "--quiet")
    assert p.returncode == 0 and "is more than this machine's" in p.stderr


@pytest.mark.slow
def test_report_on_a_damaged_folder_keeps_what_it_has(tmp_path, triage):
    import shutil

    good = tmp_path / "good"
    assert triage("run", "--days", "2", "--out", good, "--quiet").returncode == 0
    for damage in ("profiles", "summary"):
        bad = tmp_path / damage
        shutil.copytree(good, bad)
        target = bad / ("profiles.parquet" if damage == "profiles" else "summary.csv")
        target.write_bytes(target.read_bytes()[:60])
        before = {p.name: p.read_bytes() for p in (bad / "figures").iterdir()}
        report = (bad / "report.html").read_bytes()
        p = triage("report", bad)
        assert p.returncode == 2 and target.name in p.stderr and "left as they are" in p.stderr
        assert "Traceback" not in p.stderr
        assert {q.name: q.read_bytes() for q in (bad / "figures").iterdir()} == before
        assert (bad / "report.html").read_bytes() == report


def _start(args, tmp_path):
    import os

    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _children(pid: int) -> list[int]:
    from pathlib import Path

    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _wait_for(cond, seconds: float) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_sigterm_is_handled_like_ctrl_c_and_the_run_resumes(tmp_path, triage):
    import signal

    out = tmp_path / "r"
    p = _start(["run", "--days", "30", "--reps", "6", "--jobs", "2", "--out", out], tmp_path)
    assert _wait_for(lambda: (out / "reps").exists() and any((out / "reps").glob("*.json")), 60)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143 and "terminated; finished replications are saved" in err and "Traceback" not in err
    assert f"--resume {out}" in err
    done = triage("run", "--resume", out, "--quiet")
    assert done.returncode == 0 and (out / "report.html").exists()


def test_pool_workers_end_when_the_parent_is_killed(tmp_path):
    import os
    import signal

    out = tmp_path / "k"
    p = _start(["run", "--days", "60", "--reps", "8", "--jobs", "2", "--out", out, "--quiet"], tmp_path)
    assert _wait_for(lambda: len(_children(p.pid)) >= 2, 60)
    workers = _children(p.pid)
    os.kill(p.pid, signal.SIGKILL)
    p.communicate(timeout=30)
    gone = lambda: not any(os.path.exists(f"/proc/{w}") and "zombie" not in  # noqa: E731
                           open(f"/proc/{w}/status").read().lower() for w in workers)
    assert _wait_for(gone, 15), "worker processes outlived their parent"


@pytest.mark.slow
def test_a_run_interrupted_while_drawing_is_finished_by_resume(tmp_path, triage):
    out = tmp_path / "r"
    assert triage("run", "--days", "2", "--out", out, "--quiet").returncode == 0
    (out / "report.html").unlink()   # as if stopped after the results, before the report
    p = triage("run", "--resume", out)
    assert p.returncode == 0 and "report written" in p.stdout and (out / "report.html").exists()
