"""Hostile input, second batch: base files confined to the scenario's folder tree, base chains
bounded, absurd distributions and rates refused, damaged results folders (plan.json, replication
files, manifest) reported in one line, no NaN in any JSON written. Each: exit status 2, one
line, no traceback, nothing written outside the asked folder."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import DEFAULT, run_triage


def _clean_error(p, words):
    assert p.returncode == 2, (p.returncode, p.stderr[-800:])
    assert "Traceback" not in p.stderr, p.stderr[-800:]
    assert p.stderr.strip().count("\n") == 0, p.stderr
    assert words in p.stderr, p.stderr


# ---------------------------------------------------------------------------- base paths
@pytest.mark.parametrize("base", ["/etc/passwd", "../../../../../../../../etc/hostname", "/proc/self/environ",
                                  "~/.bashrc"])
def test_a_base_outside_the_scenario_tree_is_refused(base, tmp_path, triage):
    (tmp_path / "evil.toml").write_text(f'base = "{base}"\n')
    _clean_error(triage("check", tmp_path / "evil.toml"), "base =")


def test_a_base_through_a_symlink_out_of_the_tree_is_refused(tmp_path, triage):
    (tmp_path / "link.toml").symlink_to("/etc/hostname")
    (tmp_path / "top.toml").write_text('base = "link.toml"\n')
    _clean_error(triage("check", tmp_path / "top.toml"), "it resolves to /etc/hostname")


def test_bases_within_the_tree_the_shipped_folder_or_a_named_root_are_read(tmp_path, triage):
    tree = tmp_path / "scenarios" / "team"
    tree.mkdir(parents=True)
    (tmp_path / "scenarios" / "common.toml").write_text(f'base = "{DEFAULT.as_posix()}"\n[run]\ndays = 2\n')
    (tree / "mine.toml").write_text('base = "../common.toml"\n[meta]\nname = "mine"\n')
    p = triage("check", tree / "mine.toml")
    assert p.returncode == 0, p.stderr
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "shared.toml").write_text(f'base = "{DEFAULT.as_posix()}"\n')
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "top.toml").write_text('base = "../elsewhere/shared.toml"\n')
    _clean_error(triage("check", tmp_path / "x" / "top.toml"), "--base-root")
    assert triage("check", tmp_path / "x" / "top.toml", "--base-root", other).returncode == 0


def test_a_base_chain_is_bounded(tmp_path, triage):
    (tmp_path / "f0.toml").write_text(f'base = "{DEFAULT.as_posix()}"\n')
    for i in range(1, 40):
        (tmp_path / f"f{i}.toml").write_text(f'base = "f{i - 1}.toml"\n')
    _clean_error(triage("check", tmp_path / "f39.toml"), "a base chain of at most 32 files")
    assert triage("check", tmp_path / "f20.toml").returncode == 0


def test_a_huge_or_special_scenario_file_is_refused(tmp_path, triage):
    big = tmp_path / "big.toml"
    with big.open("w") as fh:
        fh.write("# " + "x" * (11 * 10**6) + "\n")
    _clean_error(triage("check", big), "a scenario file of at most 10 MB")
    _clean_error(triage("check", "/dev/zero"), "expected a scenario file")


# ---------------------------------------------------------------------------- absurd values
@pytest.mark.parametrize("override, words", [
    ("demand.channels.999.handling={family='exponential',mean=1e9}", "expected a number <= 10000000"),
    ("demand.channels.999.handling={family='lognormal',median=5.0,p90=5e6}", "a spread sigma of at most 5"),
    ("demand.channels.999.handling={family='gamma',mean=5.0,sd=1000.0}", "a shape (mean / sd)^2 of at least 0.001"),
    ("response.on_scene.G1={family='fixed',value=1e12}", "expected a number <= 10000000"),
    ("demand.channels.101.patience={family='empirical',values=[1.0,1e30]}", "expected a number <= 10000000"),
    ("demand.multiplier=1e30", "demand.multiplier = 1e+30: expected a number <= 1000"),
    ("demand.month=[1,1,1,1,1,1,1,1,1,1,1,-2]", "expected a number >= 0"),
    ("demand.month=[1,1,1,1,1,1,1,1,1,1,1,1e20]", "expected a number <= 100"),
    ("demand.surges=[{start='2016-09-09T18:00',end='2016-09-09T20:00',factor=1e9}]", "expected a number <= 1000"),
    ("demand.channels.999.calls_per_day=nan", "expected a finite number"),
])
def test_absurd_distributions_and_rates_are_refused(override, words, triage):
    _clean_error(triage("check", "--set", override), words)


@pytest.mark.parametrize("start", ["2016-09-09T18:00", "2016-09-09T18:00:00", "2016-09-09 18:00", "2016-09-09T18:00:00"])
def test_surge_times_as_strings_with_or_without_seconds(start, triage):
    p = triage("check", "--set", f"demand.surges=[{{start='{start}',end='2016-09-09T22:00',factor=2.0}}]")
    assert p.returncode == 0, p.stderr


def test_surge_times_as_toml_datetimes(tmp_path, triage):
    f = tmp_path / "s.toml"
    f.write_text(f'base = "{DEFAULT.as_posix()}"\n[[demand.surges]]\nstart = 2016-09-09T18:00:00\n'
                 'end = 2016-09-09T22:00:00\nfactor = 2.0\n')
    assert triage("check", f).returncode == 0


# ---------------------------------------------------------------------------- damaged folders
@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("h2") / "base"
    p = run_triage("run", "--days", "1", "--warmup-days", "0", "--reps", "2", "--jobs", "1", "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    return out


def _copy(finished, tmp_path, unfinish=False):
    d = tmp_path / "f"
    shutil.copytree(finished, d)
    (d / "report.html").unlink()
    if unfinish:
        (d / "manifest.json").unlink()
    return d


def _edit_plan(d, **changes):
    plan = json.loads((d / "plan.json").read_text())
    plan.update(changes)
    (d / "plan.json").write_text(json.dumps(plan))


@pytest.mark.parametrize("damage, words", [
    (lambda d: (d / "plan.json").write_text((d / "plan.json").read_text()[:25]), "plan.json: damaged"),
    (lambda d: (d / "plan.json").write_text("[1, 2]"), "expected a JSON object"),
    (lambda d: (d / "plan.json").unlink(), "no plan.json"),
    (lambda d: _edit_plan(d, extra_key=1), "keys = 'extra_key'"),
    (lambda d: _edit_plan(d, arms=[{"name": "../../../etc", "label": "x"}]), "expected a list of arms"),
    (lambda d: _edit_plan(d, reps=10**9), "reps = '1000000000'"),
    (lambda d: _edit_plan(d, kind="rm -rf"), "kind = 'rm -rf'"),
    (lambda d: (d / "manifest.json").write_text('{"failed_'), "manifest.json: damaged"),
])
@pytest.mark.slow
def test_resume_of_a_damaged_folder_is_one_line(finished, tmp_path, damage, words, triage):
    d = _copy(finished, tmp_path)
    damage(d)
    before = sorted(p.name for p in d.rglob("*"))
    _clean_error(triage("run", "--resume", d), words)
    assert sorted(p.name for p in d.rglob("*")) == before   # nothing written, nothing removed


@pytest.mark.parametrize("damage, words", [
    (lambda d: (d / "reps" / "rep-0000.json").write_text('{"arm": "", "repl'), "rep-0000.json: damaged"),
    (lambda d: (d / "reps" / "rep-0000.json").write_text('{"kpis": {"g1_in_target": NaN}}'), "NaN is not JSON"),
    (lambda d: (d / "reps" / "rep-0000.json").write_text('{"kpis": 5, "replication": 0, "seed": 1}'),
     "not a replication's results"),
    (lambda d: (d / "reps" / "rep-0001.profiles.parquet").write_bytes(b"PAR1 not really"), "rep-0001 damaged"),
])
def test_resume_with_damaged_replication_files_is_one_line(finished, tmp_path, damage, words, triage):
    d = _copy(finished, tmp_path, unfinish=True)
    damage(d)
    p = triage("run", "--resume", d)
    _clean_error(p, words)
    assert "to run that replication again with --resume" in p.stderr


def test_report_refuses_an_edited_plan_without_reading_outside(finished, tmp_path, triage):
    d = _copy(finished, tmp_path)
    _edit_plan(d, arms=[{"name": "../..", "label": "x"}])
    _clean_error(triage("report", d), "expected a list of arms")
    assert not (d / "report.html").exists()


@pytest.mark.slow
def test_no_nan_in_any_json_written(tmp_path, triage):
    # a risk-led day with no neighbourhood borrowing and nothing downgraded leaves KPIs undefined
    out = tmp_path / "r"
    p = triage("run", "--days", "0.5", "--warmup-days", "0", "--reps", "2", "--jobs", "1", "--out", out, "--quiet",
                "--set", "policy.kind=risk_led", "--set", "demand.channels.999.calls_per_day=1",
                "--set", "demand.channels.101.calls_per_day=1")
    assert p.returncode in (0, 1), p.stderr
    files = list(out.rglob("*.json"))
    assert files
    for f in files:
        json.loads(f.read_text(), parse_constant=lambda c: pytest.fail(f"{f} holds {c}"))


def test_warmup_too_short_for_welchs_window_is_one_line_and_writes_nothing(tmp_path):
    from conftest import run_triage

    out = tmp_path / "wu"
    p = run_triage("warmup", "--days", "2", "--reps", "2", "--out", out)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "--days" in p.stderr and "at least 7 days" in p.stderr
    assert not out.exists()


def test_warmup_writes_its_figure_table_and_manifest(tmp_path):
    import json

    from conftest import run_triage

    out = tmp_path / "wu"
    p = run_triage("warmup", "--days", "7", "--reps", "2", "--jobs", "1", "--out", out)
    assert p.returncode == 0, p.stderr
    assert "suggested warm-up:" in p.stdout
    assert (out / "warmup.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["days"] == 7 and 0 <= manifest["suggested_warmup_days"] < 7
