"""The plan folder: resumable after SIGTERM or SIGKILL with the same answer, damaged folders and
impossible requests refused (exit 2, nothing left behind), call handlers planned per shift."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.scenario import load_scenario, load_written

from test_plan import FAST, _coverage_by_rota, _small_file

ROOT = Path(__file__).resolve().parents[1]


def _rota_lines(folder: Path) -> list[str]:
    """rota.toml without its comments (they name the folder)."""
    return [ln for ln in (folder / "rota.toml").read_text().splitlines() if not ln.startswith("#")]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """One uninterrupted plan of the small scenario, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("plan")
    path = _small_file(tmp)
    out = tmp / "whole"
    assert main(["plan", str(path), "--out", str(out), *FAST]) == 0
    return path, out


def _template(shifts: dict, key: str) -> dict:
    return {n: {"start": v.start, "hours": v.hours, "units": list(getattr(v, key)), "days": list(v.days)}
            for n, v in shifts.items()}


@pytest.mark.slow
def test_call_handlers_are_planned_per_shift(planned):
    _, out = planned
    s = load_written(out / "rota.toml")
    req = pd.read_csv(out / "requirement.csv")
    cover = _coverage_by_rota(_template(s.call_handling.shifts, "staff"))   # the simulator's own rota code
    assert np.array_equal(cover, req["handlers_proposed"].to_numpy())
    assert (cover >= req["handlers_required"].to_numpy()).all()      # stage 3 only raises handlers
    assert "Call handlers" in (out / "report.html").read_text()
    it = pd.read_csv(out / "iterations.csv")
    assert {"answering_ok", "handler_hours", "sl_999_10s", "sl_101_180s"} <= set(it.columns)


@pytest.mark.slow
def test_units_only_keeps_todays_handlers(tmp_path):
    path = _small_file(tmp_path)
    out = tmp_path / "units"
    assert main(["plan", str(path), "--out", str(out), "--units-only", *FAST]) == 0
    assert "[call_handling" not in (out / "rota.toml").read_text()
    req = pd.read_csv(out / "requirement.csv")
    assert req["handlers_proposed"].equals(req["handlers_current"])
    assert load_written(out / "rota.toml").call_handling == load_scenario(path).call_handling


@pytest.mark.slow
def test_report_states_solver_status_and_sipp(planned):
    _, out = planned
    html_ = (out / "report.html").read_text()
    assert "solver status" in html_ and ("Optimal" in html_ or "limit" in html_)
    assert "SIPP" in html_ and "After the peaks" in html_
    m = json.loads((out / "manifest.json").read_text())
    assert {r["pool"] for r in m["solver"]} == {"units", "handlers"}
    assert "units_required_sipp" in pd.read_csv(out / "requirement.csv").columns


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_plan_resumes_to_the_same_rota(planned, tmp_path, sig, capsys):
    path, whole = planned
    out = tmp_path / "stopped"
    cmd = [sys.executable, "-m", "sim", "plan", str(path), "--out", str(out), *FAST]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        # stop it in stage 3: once the first simulation step has started
        while not list((out / "steps").glob("search-*/plan.json")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.02)
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (out / "manifest.json").exists() and not (out / "rota.toml").exists()
    if sig == signal.SIGTERM:
        assert proc.returncode == 143 and f"triage-sim plan --resume {out}" in err
    assert main(["plan", "--resume", str(out), "--jobs", "1", "--quiet"]) == 0
    assert _rota_lines(out) == _rota_lines(whole)
    assert (out / "scenario.toml").read_text() == (whole / "scenario.toml").read_text()
    pd.testing.assert_frame_equal(pd.read_csv(out / "iterations.csv"), pd.read_csv(whole / "iterations.csv"))
    # complete now: a second resume is refused, the files left as they are
    assert main(["plan", "--resume", str(out)]) == 2
    assert "already complete" in capsys.readouterr().err


@pytest.mark.slow
def test_resume_takes_only_jobs_and_quiet(planned, tmp_path, capsys):
    _, whole = planned
    assert main(["plan", "--resume", str(whole), "--reps", "3"]) == 2
    err = capsys.readouterr().err
    assert "--reps" in err and "only --jobs, --dask and --quiet" in err
    assert main(["plan", "--resume", str(tmp_path)]) == 2
    assert "not a plan folder" in capsys.readouterr().err


def _incomplete_copy(whole: Path, dest: Path) -> Path:
    import shutil
    shutil.copytree(whole, dest)
    for name in ("manifest.json", "rota.toml", "report.html"):
        (dest / name).unlink()
    return dest


@pytest.mark.slow
def test_a_damaged_plan_folder_is_refused_clearly(planned, tmp_path, capsys):
    _, whole = planned
    out = _incomplete_copy(whole, tmp_path / "damaged")
    design = sorted((out / "steps").glob("design-*.json"))[0]
    design.write_text('{"template": ')
    assert main(["plan", "--resume", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "damaged plan folder" in err and design.name in err and "Traceback" not in err
    out2 = _incomplete_copy(whole, tmp_path / "damaged2")
    rep = sorted((out2 / "steps").glob("search-*/reps/rep-0000.json"))[0]
    rep.write_text("not json")
    assert main(["plan", "--resume", str(out2), "--quiet"]) == 2
    assert "damaged plan folder" in capsys.readouterr().err
    out3 = _incomplete_copy(whole, tmp_path / "damaged3")
    (out3 / "planner.json").write_text("[1, 2")
    assert main(["plan", "--resume", str(out3), "--quiet"]) == 2
    assert "damaged plan folder (planner.json" in capsys.readouterr().err


@pytest.mark.slow
def test_a_changed_scenario_is_not_resumed(planned, tmp_path, capsys):
    import shutil
    path, whole = planned
    scen = tmp_path / "small.toml"
    shutil.copy(path, scen)
    out = tmp_path / "p"
    saved = json.loads((whole / "planner.json").read_text())
    _incomplete_copy(whole, out)
    (out / "planner.json").write_text(json.dumps({**saved, "scenario": str(scen)}))
    scen.write_text(scen.read_text().replace("seed = 3", "seed = 4"))
    assert main(["plan", "--resume", str(out), "--quiet"]) == 2
    assert "has changed since the plan started" in capsys.readouterr().err


@pytest.mark.parametrize("extra,message", [
    (["--lengths", "12"], "at most 10 hours"),
    (["--lengths", "0.5"], "at least 1 hour"),
    (["--starts", "8", "--lengths", "8"], "no candidate shift covers this hour"),
    (["--starts", "25"], "expected start hours 0..23"),
    (["--officers", "2"], "cannot keep one officer"),
    (["--officers", "0"], "argument --officers: expected a whole number from 1 to 100,000"),
    (["--reps", "0"], "argument --reps: expected a whole number from 1 to 100,000"),
])
def test_impossible_requests_exit_2_and_leave_no_folder(tmp_path, capsys, extra, message):
    path = _small_file(tmp_path)
    out = tmp_path / "never"
    args = [a for a in FAST if a not in ("--starts", "0,6,8,14,16,22", "--lengths", "8")]
    try:
        code = main(["plan", str(path), "--out", str(out), *args, *extra])
    except SystemExit as exc:   # an option out of its range is refused while the options are read
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert not out.exists()


# ---------------------------------------------------------------------------- --pattern
@pytest.mark.slow
def test_pattern_is_searched_in_roster_space_within_the_fatigue_limits(tmp_path, capsys):
    from sim.scenario.rota import fatigue_problem

    path = _small_file(tmp_path)
    out = tmp_path / "pat"
    assert main(["plan", str(path), "--out", str(out), "--pattern", *FAST]) == 0
    s = load_written(out / "pattern.toml")        # runnable like scenarios/patterns/*.toml
    p = s.response.pattern
    assert p is not None and fatigue_problem(p) is None
    planned = load_written(out / "rota.toml")
    assert len({t.size for t in p.teams.values()}) == 1      # equal teams
    assert s.call_handling == planned.call_handling
    assert "As a team pattern" in (out / "report.html").read_text()
    m = json.loads((out / "manifest.json").read_text())
    assert m["pattern"].startswith("team pattern") and "template optimum" in m["pattern"]
    assert m["pattern_meets"] and m["pattern_officer_hours"] > 0


def test_pattern_says_why_none_fits(tmp_path):
    from types import SimpleNamespace

    from sim.plan.pattern import team_pattern

    s = load_scenario(_small_file(tmp_path))
    # head-counts swinging 1 <-> 40 from day to day: whole teams would waste most of the hours
    swing = {"a": {"start": "08:00", "hours": 8.0, "units": [1, 40, 1, 40, 1, 40, 1],
                   "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}}
    text, note = team_pattern(SimpleNamespace(scenario=s, proposed=swing, handlers_proposed=None), tmp_path / "x.toml",
                              tmp_path)
    assert text is None and note.startswith("no team pattern fits") and "more officer-hours" in note
    # too many officers a shift for at most 12 teams of equal size with tolerable rounding is said
    big = {"a": {"start": "08:00", "hours": 8.0, "units": [997] * 7, "days": list(swing["a"]["days"])},
           "b": {"start": "16:00", "hours": 8.0, "units": [13] * 7, "days": list(swing["a"]["days"])}}
    text, note = team_pattern(SimpleNamespace(scenario=s, proposed=big, handlers_proposed=None), tmp_path / "x.toml",
                              tmp_path)
    assert text is None and note.startswith("no team pattern fits")
