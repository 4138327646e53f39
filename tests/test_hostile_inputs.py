"""Hostile input, issue 28: no way around the roots (a trace named by --set goes through the same
confinement as one a file names, and an error never echoes a refused file's content), bounded
inputs (decompressed bytes, line length, rows; malformed rows counted, not merged; a fit refuses
too little data; a trace's span is checked before it is replayed), numbers the storage cannot hold
refused at load, a comparison of arms over different periods refused, and the up-front size check
counting what a run really costs (overlapping surges, people x shifts). Each refusal: exit status
2, one line, no traceback."""
from __future__ import annotations

import gzip

import pandas as pd
import pytest

from conftest import DEFAULT, ROOT
from test_data_errors import GOOD, MAP


def _one_line(p, *words):
    assert p.returncode == 2, (p.returncode, p.stderr[-800:])
    assert "Traceback" not in p.stderr, p.stderr[-800:]
    assert p.stderr.strip().count("\n") == 0, p.stderr
    for w in words:
        assert w in p.stderr, p.stderr


# ---------------------------------------------------------------------------- the roots
@pytest.mark.parametrize("command", ["check", "run"])
def test_a_trace_set_on_the_command_line_is_confined_like_one_in_the_file(command, tmp_path, triage):
    secret = tmp_path / "elsewhere" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("root:$6$hash-that-must-not-leak:19000:0:99999:7:::\n")
    out = ["--out", tmp_path / "o"] if command == "run" else []
    p = triage(command, DEFAULT, "--days", "1", "--set", f"demand.trace={secret}", *out)
    _one_line(p, "--set demand.trace", "a file in the scenario's own folder")
    assert "hash-that-must-not-leak" not in p.stderr + p.stdout
    assert not (tmp_path / "o").exists()


def test_a_relative_trace_set_on_the_command_line_cannot_climb_out(tmp_path, triage):
    p = triage("check", DEFAULT, "--set", "demand.trace=../../../../../../../../etc/passwd")
    _one_line(p, "--set demand.trace", "resolves to /etc/passwd")


def test_a_trace_cannot_be_swept(tmp_path, triage):
    p = triage("sweep", "--vary", "demand.trace=/etc/passwd,/etc/hostname", "--days", "1", "--out", tmp_path / "o")
    _one_line(p, "demand.trace", "cannot be varied")


def test_an_error_about_a_trace_does_not_echo_its_first_line(tmp_path, triage):
    (tmp_path / "t.csv").write_text("token-abc123-must-not-leak,other\n1,2\n")
    (tmp_path / "s.toml").write_text(f'base = "{DEFAULT}"\n[demand]\ntrace = "t.csv"\n')
    p = triage("run", tmp_path / "s.toml", "--days", "1", "--base-root", ROOT / "scenarios", "--out", tmp_path / "o")
    _one_line(p, "required column is missing", "2 field(s)")
    assert "token-abc123" not in p.stderr


# ---------------------------------------------------------------------------- bounded extracts
def _fit(triage, tmp_path, extract: bytes | str, name="x.csv", *extra):
    path = tmp_path / name
    (path.write_bytes if isinstance(extract, bytes) else path.write_text)(extract)
    (tmp_path / "m.toml").write_text(MAP)
    return triage("fit", path, "--map", tmp_path / "m.toml", "--out", tmp_path / "out", "--quiet", *extra)


def test_a_compressed_extract_that_expands_past_the_bound_is_refused(tmp_path, triage, monkeypatch):
    import sim.data.reading as reading

    monkeypatch.setattr(reading, "MAX_BYTES", 200_000)
    bomb = gzip.compress(GOOD.encode() + b"2025-01-07 10:00:00,2025-01-07 10:05:00,1\n" * 25_000, compresslevel=9)
    assert len(bomb) < 10_000
    p = _fit(triage, tmp_path, bomb, "x.csv.gz")
    _one_line(p, "larger than 200,000 bytes once decompressed")
    assert not (tmp_path / "out").exists()


def test_a_line_beyond_the_bound_is_refused(tmp_path, triage):
    p = _fit(triage, tmp_path, GOOD + "2025-01-06 12:00:00," + "x" * 70_000 + ",1\n")
    _one_line(p, "line 62", "a line longer than 65,536 characters")


def test_malformed_rows_are_counted_as_malformed_not_merged(tmp_path, triage):
    """A stray quote (which would swallow the rows after it), a row short of fields and a row
    with one too many: each counted as malformed on its own line, the rows around them used."""
    lines = GOOD.splitlines()
    bad = ['"2025-01-06 12:00:00,2025-01-06 12:05:00,1', "2025-01-06 13:00:00,1", "2025-01-06 14:00:00,2025-01-06 14:05:00,1,9"]
    text = "\n".join(lines[:3] + bad + lines[3:]) + "\n"
    p = _fit(triage, tmp_path, text)
    assert p.returncode == 0, p.stderr
    q = pd.read_csv(tmp_path / "out" / "data-quality.csv")
    rows = q[q["section"] == "rows"]
    by = rows.groupby("reason")["rows"].sum()
    assert by["malformed row (a quote left open)"] == 1
    assert by["malformed row (its fields do not match the header)"] == 2
    assert by["used as demand"] == len(lines) - 1            # every good row, the ones after the quote included
    assert rows["rows"].sum() == len(lines) - 1 + 3          # the counts add up to the lines read
    assert "malformed row" in (tmp_path / "out" / "data-quality.md").read_text()


def test_a_fit_from_too_little_data_is_refused_with_the_minimum(tmp_path, triage):
    p = _fit(triage, tmp_path, "\n".join(GOOD.splitlines()[:2]) + "\n")
    _one_line(p, "1 demand rows", "at least 50 demand rows", "at least 7 days")
    assert not (tmp_path / "out").exists()


def test_a_trace_spanning_a_century_is_refused_before_it_is_replayed(tmp_path, triage):
    rows = [{"arrival": f"2025-03-0{3 + k % 5} 1{k % 10}:00:00", "grade": "G2"} for k in range(30)]
    rows[0]["arrival"] = "1925-03-03 10:00:00"
    pd.DataFrame(rows).to_csv(tmp_path / "t.csv", index=False)
    p = triage("backtest", tmp_path / "t.csv", DEFAULT, "--reps", "1", "--out", tmp_path / "o")
    _one_line(p, "1925-03-03", "calls within 3,660 days of each other", "36,5")
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------- storage and periods
@pytest.mark.parametrize("setting, words", [
    ('response.units_needed.G1={ "1000" = 1.0 }', "up to 100"),
    ('response.units_needed.G2={ "128" = 1.0 }', "up to 100"),
])
def test_a_value_the_storage_cannot_hold_is_refused_at_load(setting, words, triage):
    _one_line(triage("check", "--set", setting), "units_needed", words)


def test_a_comparison_of_arms_over_different_periods_is_refused(tmp_path, triage):
    p = triage("compare", DEFAULT, "--set-b", "run.days=14", "--days", "7", "--reps", "2", "--out", tmp_path / "o")
    _one_line(p, "run.days = 14.0", "the same as arm A's (7.0)")
    p = triage("compare", DEFAULT, "--set-b", "run.warmup_days=0", "--days", "1", "--reps", "2", "--out", tmp_path / "o")
    _one_line(p, "run.warmup_days", "same period")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_summary_describes_the_scenarios_own_standards(tmp_path, triage):
    p = triage("run", "--days", "1", "--reps", "1", "--quiet", "--set", "standards.g1_minutes.urban=10",
               "--set", "standards.g2_minutes=45", "--out", tmp_path / "o")
    assert p.returncode == 0, p.stderr
    s = pd.read_csv(tmp_path / "o" / "summary.csv").set_index("kpi")["description"]
    assert s["g1_in_target"] == "initial G1 attended within 10 min urban / 20 min rural of the call"
    assert s["g2_in_target"] == "initial G2 attended within 45 min of the call"


# ---------------------------------------------------------------------------- what a run really costs
def _surges(n, factor, hours=1):
    return "".join(f'[[demand.surges]]\nstart = "2016-09-05T{h % 20:02d}:00"\nend = "2016-09-05T{h % 20 + hours:02d}:00"\n'
                   f"factor = {factor}\n" for h in range(n))


@pytest.mark.parametrize("surges, words", [
    (_surges(1001, 1.5), "at most 1000"),                                # cheap to write, each one a window
    (_surges(40, 1000), "calls in one replication"),                     # overlapping: they multiply
    (_surges(3, 1000, hours=4), "calls in one replication"),            # 1000^3 at peak
])
def test_surges_are_costed_as_the_model_applies_them(surges, words, tmp_path, triage):
    (tmp_path / "s.toml").write_text(f'base = "{DEFAULT}"\n' + surges)
    _one_line(triage("check", tmp_path / "s.toml", "--base-root", ROOT / "scenarios"), words)
    _one_line(triage("run", tmp_path / "s.toml", "--base-root", ROOT / "scenarios", "--out", tmp_path / "o"), words)
    assert not (tmp_path / "o").exists()


def test_people_on_shifts_are_costed_and_allowed_only_when_asked(tmp_path, triage):
    units = [f"response.shifts.{s}.units=100000" for s in ("early", "late", "night")]
    sets = [a for u in units for a in ("--set", u)]
    _one_line(triage("check", *sets), "people x shifts in one replication", "--allow-large")
    _one_line(triage("run", *sets, "--out", tmp_path / "o"), "people x shifts in one replication")
    p = triage("check", *sets, "--allow-large")
    assert p.returncode == 0 and "people x shifts a replication" in p.stdout


def test_check_states_the_size_of_a_replication(triage):
    p = triage("check")
    assert p.returncode == 0
    assert "#   size: ~" in p.stdout and "calls and" in p.stdout


def test_a_compressed_trace_that_expands_past_the_bound_is_refused(tmp_path, triage, monkeypatch):
    import sim.scenario.trace as trace

    monkeypatch.setattr(trace, "MAX_TRACE_BYTES", 100_000)
    rows = "arrival,grade\n" + "2025-03-03 10:00:00,G2\n" * 20_000
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(rows.encode(), compresslevel=9))
    p = triage("backtest", tmp_path / "t.csv.gz", DEFAULT, "--reps", "1", "--out", tmp_path / "o")
    _one_line(p, "the trace is larger than 100,000 bytes once decompressed")
    assert not (tmp_path / "o").exists()
