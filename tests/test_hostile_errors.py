"""Hostile input, issue 28: errors that were still tracebacks, and nonsense that was accepted.
Each bad input gives exit status 2, one line on stderr naming the option or field, the value
and what was expected, no traceback, and leaves nothing half-written: whole numbers bounded
by what storage and numpy hold (checked while the options are read), output paths checked
before any work, a full disk or a file-size limit in any phase of a run (and its resume giving
the same numbers), a map's time format, a back-test with nothing to compare, an abstraction
that leaves nobody on duty, response-time standards of zero or less, and a replication file
of another seed met by --resume."""
from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from conftest import BASE, DEFAULT, ROOT, run_triage
from sim.scenario.writing import toml_text
from test_data_errors import MAP   # the small map the data tests read extracts with

BIG = str(2**70)
LONG = "x" * 300


def _one_line(p, *words, progress: str = ""):
    """Exit status 2, exactly one line on stderr holding ``words``, no traceback; lines starting
    with ``progress`` (validate-model's progress, on stderr by design) before it are allowed."""
    assert p.returncode == 2, (p.returncode, p.stderr[-800:])
    assert "Traceback" not in p.stderr, p.stderr[-800:]
    lines = [ln for ln in p.stderr.strip().splitlines() if not (progress and ln.startswith(progress))]
    assert len(lines) == 1 and lines[0].startswith("triage-sim"), p.stderr
    for w in words:
        assert w in lines[0], (w, p.stderr)


def _temporary_files(root: Path) -> list[str]:
    """Every temporary file or folder (``.name.tmp-<pid>``, ``.name.tmp``) under ``root``."""
    return [os.path.join(d, n) for d, dirs, files in os.walk(root) for n in dirs + files if ".tmp" in n]


def _small_file(folder: Path) -> Path:
    path = folder / "small.toml"
    path.write_text(toml_text(BASE))
    return path


# ---------------------------------------------------------------------------- whole numbers
@pytest.fixture
def inputs(tmp_path):
    """A trace, an extract and its map, for the commands that need files to get to their options."""
    (tmp_path / "t.csv").write_text("arrival,grade,dispatch_min\n2016-09-05 10:00,G1,5\n2016-09-06 10:00,G1,7\n")
    (tmp_path / "x.csv").write_text("Created,Dispatched,Pri\n2025-01-06 10:00:00,2025-01-06 10:05:00,1\n")
    (tmp_path / "m.toml").write_text(MAP)
    return tmp_path


@pytest.mark.parametrize("args, words", [
    (["run", "--first-rep", BIG], ["--first-rep", "expected a whole number from 0 to 1,000,000,000"]),
    (["run", "--first-rep", "-1"], ["--first-rep", "from 0 to"]),
    (["run", "--seed", str(2**63)], ["--seed", "from 0 to 9,223,372,036,854,775,807"]),
    (["run", "--reps", str(10**6)], ["--reps", "from 1 to 100,000"]),
    (["run", "--max-reps", BIG, "--precision", "0.1", "--kpi", "g1_in_target"], ["--max-reps", "to 100,000"]),
    (["run", "--jobs", BIG], ["--jobs", "from 1 to 4,096"]),
    (["compare", DEFAULT, "--set-b", "run.seed=3", "--seed", str(2**64)], ["--seed", "9,223,372,036,854,775,807"]),
    (["sweep", "--vary", "run.seed=1,2", "--jobs", "0"], ["--jobs", "from 1 to"]),
    (["warmup", "--seed", "-3"], ["--seed", "from 0 to"]),
    (["validate-model", "--seed", BIG], ["--seed", "from 0 to"]),
    (["validate-model", "--jobs", "0"], ["--jobs", "from 1 to"]),
    (["plan", "--officers", BIG], ["--officers", "from 1 to 100,000"]),
    (["plan", "--max-starts", "25"], ["--max-starts", "from 1 to 24"]),
    (["plan", "--search-reps", "0"], ["--search-reps", "from 1 to"]),
    (["plan", "--search-days", "nan"], ["--search-days", "expected a finite number above 0"]),
    (["plan", "--lengths", "8,inf"], ["--lengths", "finite numbers"]),
    (["backtest", "t.csv", DEFAULT, "--seed", str(2**64)], ["--seed", "from 0 to"]),
    (["backtest", "t.csv", DEFAULT, "--reps", "0"], ["--reps", "from 1 to"]),
    (["backtest", "t.csv", DEFAULT, "--warmup-hours", "inf"], ["--warmup-hours", "expected a finite number"]),
    (["fit", "x.csv", "--map", "m.toml", "--jobs", BIG], ["--jobs", "from 1 to"]),
    (["fit", "x.csv", "--map", "m.toml", "--reps", "-2"], ["--reps", "from 1 to"]),
])
def test_whole_numbers_are_bounded_by_what_storage_holds_before_anything_is_written(args, words, inputs):
    before = sorted(inputs.iterdir())
    p = run_triage(*args, cwd=inputs)
    _one_line(p, *words)
    assert sorted(inputs.iterdir()) == before   # no results folder, nothing else


def test_a_first_rep_within_the_bound_still_runs(tmp_path, triage):
    p = triage("run", _small_file(tmp_path), "--days", "1", "--first-rep", "1000000000", "--out", tmp_path / "r",
               "--quiet")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "r" / "reps" / "rep-1000000000.json").exists()


@pytest.mark.parametrize("args, words", [
    (["check", "--set", f"run.seed={2**63}"], ["run.seed = 9223372036854775808", "<= 9223372036854775807"]),
    (["check", "--set", "run.start_date=9999-12-27", "--days", "30"], ["run.days = 30", "to end by 9999-12-31"]),
    (["check", "--days", "3e6"], ["run.days = 3000000.0", "<= 3660"]),   # ten years at most (the calendar allows more)
])
def test_a_seed_or_a_run_beyond_storage_is_refused_at_load(args, words, triage):
    _one_line(triage(*args), *words)


def test_a_plan_json_seed_beyond_the_bound_is_refused_on_resume(tmp_path, triage):
    from sim.experiment.replications import run_experiment
    from conftest import small

    run_experiment(small(run={"days": 1}), reps=1, out=tmp_path / "r")
    (tmp_path / "r" / "manifest.json").unlink()
    plan = json.loads((tmp_path / "r" / "plan.json").read_text())
    (tmp_path / "r" / "plan.json").write_text(json.dumps({**plan, "seed": 2**64}))
    _one_line(triage("run", "--resume", tmp_path / "r"), "plan.json: seed", "to 9,223,372,036,854,775,807")


def test_warmup_needs_two_replications_and_says_so(tmp_path, triage):
    _one_line(triage("warmup", "--reps", "1", "--days", "7", "--out", tmp_path / "w"),
              "--reps", "from 2 to 100,000", "Welch's method averages", "got 1")
    assert not (tmp_path / "w").exists()


def test_a_bad_option_is_one_line_without_the_usage_block(triage):
    for args in (["run", "--reps", "many"], ["run", "--no-such-option"], ["bogus"]):
        p = triage(*args)
        _one_line(p)
        assert "usage:" not in p.stderr and "--help" in p.stderr


# ---------------------------------------------------------------------------- output paths


def _commands(folder: Path) -> dict[str, list]:
    """Every command with --out, its arguments up to --out (files in ``folder``)."""
    small = _small_file(folder)
    return {"run": ["run", small, "--days", "1"],
            "compare": ["compare", small, "--set-b", "run.seed=8", "--days", "1", "--reps", "1"],
            "sweep": ["sweep", small, "--vary", "run.seed=1,2", "--days", "1", "--reps", "1"],
            "warmup": ["warmup", small, "--days", "7", "--reps", "2"],
            "validate-model": ["validate-model", "--scenario", ROOT / "scenarios/validation/mmc-rho050-c5.toml",
                               "--reps", "2"],
            "plan": ["plan", small, "--reps", "1", "--search-reps", "1", "--search-days", "1", "--days", "1"],
            "fit": ["fit", folder / "x.csv", "--map", folder / "m.toml"],
            "backtest": ["backtest", folder / "t.csv", DEFAULT, "--reps", "1", "--warmup-hours", "0"]}


@pytest.fixture
def nothing_runs(monkeypatch):
    """Any simulation, validation case or extract read fails the test: the output must be
    refused before the work."""
    def forbidden(*a, **k):
        raise AssertionError("work started before the output path was checked")

    import sim.cli.validate
    import sim.data.extract
    import sim.experiment.task
    import sim.model.core

    for module, name in ((sim.model.core, "run_model"), (sim.experiment.task, "run_model"),
                         (sim.cli.validate, "run_cases"), (sim.data.extract, "read_extract")):
        monkeypatch.setattr(module, name, forbidden)


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "warmup", "validate-model", "plan", "fit", "backtest"])
@pytest.mark.parametrize("where, words", [
    (lambda f: f / "afile" / "sub" / "out", ["(Not a directory)", "is a file, not a folder"]),
    (lambda f: f / LONG, ["(File name too long)", "a name of 300 bytes", "expected at most 239"]),
    (lambda f: f / "y" / ("z" * 250) / "out", ["(File name too long)", "a name of 250 bytes"]),
])
def test_an_output_that_cannot_be_created_is_refused_before_any_work(command, where, words, inputs, nothing_runs):
    (inputs / "afile").write_text("a file where a folder would go\n")
    out = where(inputs)
    p = run_triage(*_commands(inputs)[command], "--out", out, cwd=inputs)
    _one_line(p, "--out", "cannot create the", *words)
    assert not _temporary_files(inputs)


# ---------------------------------------------------------------------------- a full disk
ENOSPC_LINE = "No space left on device (ENOSPC)"


@contextmanager
def _disk_full_at(name: str):
    """Writes through sim.util.files fail with ENOSPC for the file called ``name``, after its
    bytes went to the temporary file (as a disk that fills half-way through a file)."""
    from sim.util import files

    real = files.atomic_paths

    @contextmanager
    def filling(paths):
        with real(paths) as temps:
            yield temps
            if any(Path(p).name == name for p in paths):
                assert any(Path(t).exists() for t in temps)   # the temporary file is there to be cleaned up
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    files.atomic_paths = filling
    try:
        yield
    finally:
        files.atomic_paths = real


RESULT_FILES = ("replications.csv", "summary.csv", "downgrades.csv")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small run, two replications, written without a fault: what every resume must give."""
    folder = tmp_path_factory.mktemp("reference")
    small = _small_file(folder)
    p = run_triage("run", small, "--days", "1", "--reps", "2", "--jobs", "1", "--out", folder / "r", "--quiet")
    assert p.returncode == 0, p.stderr
    return folder / "r"


def _same_results(folder: Path, reference: Path) -> None:
    for name in RESULT_FILES:
        assert (folder / name).read_bytes() == (reference / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "profiles.parquet"),
                                  pd.read_parquet(reference / "profiles.parquet"))
    assert (folder / "report.html").exists()


@pytest.mark.parametrize("phase, name", [
    ("replications", "rep-0001.profiles.parquet"),
    ("replications", "rep-0000.json"),
    ("final files", "summary.csv"),
    ("figures", "3-response-standards.png"),
    ("report", "report.html"),
])
@pytest.mark.slow
def test_a_full_disk_in_any_phase_is_one_line_leaves_no_temporary_file_and_resume_finishes_it(
        phase, name, tmp_path, reference):
    small = _small_file(tmp_path)
    out = tmp_path / "r"
    with _disk_full_at(name):
        p = run_triage("run", small, "--days", "1", "--reps", "2", "--jobs", "1", "--out", out, "--quiet")
    _one_line(p, name, ENOSPC_LINE, "free some disk space", f"finish with: triage-sim run --resume {out}")
    assert not _temporary_files(tmp_path)
    assert not (out / "manifest.json").exists() or phase in ("figures", "report")
    done = run_triage("run", "--resume", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert not _temporary_files(tmp_path)
    _same_results(out, reference)


def test_a_full_disk_while_the_folder_is_started_leaves_no_folder_and_a_rerun_works(tmp_path, reference):
    small = _small_file(tmp_path)
    out = tmp_path / "r"
    with _disk_full_at("plan.json"):
        p = run_triage("run", small, "--days", "1", "--reps", "2", "--jobs", "1", "--out", out, "--quiet")
    _one_line(p, "plan.json", ENOSPC_LINE, "then run the command again")
    assert not out.exists() and not _temporary_files(tmp_path)
    again = run_triage("run", small, "--days", "1", "--reps", "2", "--jobs", "1", "--out", out, "--quiet")
    assert again.returncode == 0, again.stderr
    _same_results(out, reference)


@pytest.mark.parametrize("command, name", [("warmup", "warmup.csv"), ("fit", "data-quality.csv"),
                                           ("validate-model", "v.md")])
def test_a_full_disk_in_the_other_commands_leaves_nothing_half_written(command, name, inputs):
    out = inputs / ("o/v.md" if command == "validate-model" else "o")
    with _disk_full_at(name):
        p = run_triage(*_commands(inputs)[command], "--out", out, cwd=inputs)
    _one_line(p, name, ENOSPC_LINE, "then run the command again",
              progress=("validate-model:", "  ") if command == "validate-model" else "")
    assert not out.exists() and not _temporary_files(inputs)


@pytest.mark.slow
def test_a_file_size_limit_during_replications_is_one_line_and_resume_finishes_it(tmp_path, reference):
    """The real thing, in a process of its own: RLIMIT_FSIZE below one replication's profiles
    (pyarrow's write fails with EFBIG; Python ignores SIGXFSZ, set here all the same), two
    worker processes."""
    limit = (reference / "reps" / "rep-0000.profiles.parquet").stat().st_size - 1
    assert max((reference / f).stat().st_size for f in ("plan.json", "scenario.toml")) < limit

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    small = _small_file(tmp_path)
    out = tmp_path / "r"
    p = subprocess.run([sys.executable, "-m", "sim", "run", small, "--days", "1", "--reps", "2", "--jobs", "2",
                        "--out", out, "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       preexec_fn=limited)
    _one_line(p, "profiles.parquet", "File too large (EFBIG)", "ulimit -f", "triage-sim run --resume")
    assert not _temporary_files(tmp_path)
    done = run_triage("run", "--resume", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert not _temporary_files(tmp_path)
    _same_results(out, reference)


# ---------------------------------------------------------------------------- a map's time format
@pytest.mark.parametrize("fmt, words", [
    ("%Y-%m-%d %H:%M:%Q", ["'Q' is a bad directive"]),
    ("%d/%m/%Y %H:%", ["stray %"]),
    ("%G-%m-%d", ["ISO year directive"]),
])
@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_a_map_time_format_with_an_unknown_directive_is_one_line(fmt, words, command, inputs):
    (inputs / "m.toml").write_text(MAP.replace("%Y-%m-%d %H:%M:%S", fmt))
    args = (["fit", "x.csv", "--map", "m.toml"] if command == "fit"
            else ["backtest", "x.csv", DEFAULT, "--map", "m.toml"])
    p = run_triage(*args, "--out", inputs / "o", cwd=inputs)
    _one_line(p, "m.toml: extract.time_format", repr(fmt), "expected strptime codes", *words)
    assert not (inputs / "o").exists() and not _temporary_files(inputs)


# ---------------------------------------------------------------------------- back-test with nothing to compare
@pytest.mark.parametrize("trace, extra, words", [
    ("arrival,grade\n2016-09-05 10:00,G1\n", [], ["the trace has 1 call(s)", "0 with a dispatch time"]),
    ("arrival,grade,dispatch_min\n2016-09-05 10:00,G1,4\n", [], ["after the first 24 hours", "1 with a dispatch time"]),
    ("arrival,grade,dispatch_min\n2016-09-05 10:00,G1,4\n2016-09-06 10:00,G2,9\n", ["--warmup-hours", "1e9"],
     ["after the first 1e+09 hours", "over 24.0 hours"]),
    ("arrival,grade,scene_min\n2016-09-05 10:00,G1,4\n2016-09-06 10:00,G2,9\n", ["--warmup-hours", "0"],
     ["0 with a dispatch time"]),
])
def test_a_backtest_with_nothing_to_compare_is_refused_before_replaying(trace, extra, words, tmp_path, nothing_runs):
    (tmp_path / "t.csv").write_text(trace)
    p = run_triage("backtest", tmp_path / "t.csv", DEFAULT, "--reps", "2", "--out", tmp_path / "o", *extra)
    _one_line(p, "t.csv: nothing to compare", "expected at least one call with an observed dispatch time",
              "--warmup-hours", *words)
    assert not (tmp_path / "o").exists() and not _temporary_files(tmp_path)


# ---------------------------------------------------------------------------- nobody on duty
PATTERN = ROOT / "scenarios" / "patterns" / "4-on-4-off.toml"


@pytest.mark.parametrize("args, words", [
    (["--set", "response.abstraction=0.9999999"], ["response.abstraction = 0.9999999", "response unit(s) rostered"]),
    (["--set", "response.abstraction=0.995"], ["response.abstraction = 0.995"]),
    (["--set", "call_handling.abstraction=0.999"], ["call_handling.abstraction = 0.999", "call handler(s) rostered"]),
    (["--set", 'response.abstraction={family="empirical",values=[0.99999,0.999999]}'],
     ["response.abstraction:", "a mean share absent of"]),
    ([PATTERN, "--set", "response.abstraction=0.99999"], ["response.abstraction = 0.99999"]),
])
@pytest.mark.parametrize("command", ["check", "run"])
def test_an_abstraction_that_leaves_nobody_on_duty_is_refused(args, words, command, tmp_path, triage):
    p = triage(command, *args, *(["--days", "1", "--out", tmp_path / "r"] if command == "run" else []))
    _one_line(p, "expected someone on duty whenever", "nobody on duty on fewer than 50%", *words)
    assert not (tmp_path / "r").exists()


def test_a_heavy_but_possible_abstraction_still_loads(triage):
    for value in ("0.2", "0.9"):
        assert triage("check", "--set", f"response.abstraction={value}").returncode == 0


# ---------------------------------------------------------------------------- standards
@pytest.mark.parametrize("override, words", [
    ("standards.g1_minutes.urban=0", "standards.g1_minutes.urban = 0: expected a number > 0"),
    ("standards.g1_minutes.rural=-5", "standards.g1_minutes.rural = -5: expected a number > 0"),
    ("standards.g1_minutes={urban=15.0,rural=-0.5}", "standards.g1_minutes.rural = -0.5"),
    ("standards.g2_minutes=0", "standards.g2_minutes = 0: expected a number > 0"),
    ("standards.g3_hours=-1", "standards.g3_hours = -1: expected a number > 0"),
])
def test_response_time_standards_must_be_positive(override, words, triage):
    _one_line(triage("check", "--set", override), words)


# ---------------------------------------------------------------------------- resume of a mixed folder
@pytest.fixture
def interrupted(tmp_path):
    """A run of two replications stopped after both finished but before its final files (no
    manifest), and the same run with another seed beside it."""
    from sim.experiment.replications import run_experiment
    from conftest import small

    s = small(run={"days": 1})
    run_experiment(s, reps=2, seed=7, out=tmp_path / "mine")
    run_experiment(s, reps=2, seed=8, out=tmp_path / "other")
    (tmp_path / "mine" / "manifest.json").unlink()
    return tmp_path / "mine", tmp_path / "other"


def test_resume_refuses_a_replication_file_copied_from_another_seed(interrupted, triage):
    mine, other = interrupted
    for f in (other / "reps").glob("rep-0001.*"):
        shutil.copy(f, mine / "reps" / f.name)
    _one_line(triage("run", "--resume", mine), f"{mine / 'reps' / 'rep-0001.json'}: seed = 8: expected 7",
              "another experiment", "delete")
    assert not (mine / "manifest.json").exists()


def test_resume_refuses_a_replication_file_edited_to_another_seed(interrupted, triage):
    mine, _ = interrupted
    path = mine / "reps" / "rep-0000.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "seed": 123456789}))
    _one_line(triage("run", "--resume", mine), "rep-0000.json: seed = 123456789: expected 7")
    assert not (mine / "manifest.json").exists()


def test_resume_of_its_own_replications_still_completes(interrupted, triage):
    mine, _ = interrupted
    p = triage("run", "--resume", mine, "--quiet")
    assert p.returncode == 0, p.stderr
    assert (mine / "manifest.json").exists()
