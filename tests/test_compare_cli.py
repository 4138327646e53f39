"""compare with one scenario changed on one side (--set-a / --set-b), and safe folder names."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli.common import safe_name

from conftest import DEFAULT, ROOT


@pytest.mark.slow
def test_compare_one_scenario_with_itself_changed(tmp_path, triage):
    out = tmp_path / "c"
    p = triage("compare", DEFAULT, "--set-b", "response.shifts.late.units=90", "--reps", 2, "--days", 2,
                "--jobs", 1, "--out", out)
    assert p.returncode == 0, p.stderr
    assert "B = nottinghamshire-2016 with response.shifts.late.units=90" in p.stdout
    plan = json.loads((out / "plan.json").read_text())
    assert [a["label"] for a in plan["arms"]] == ["nottinghamshire-2016",
                                                  "nottinghamshire-2016 with response.shifts.late.units=90"]
    import tomllib

    late = lambda arm: tomllib.loads((out / arm / "scenario.toml").read_text())["response"]["shifts"]["late"]  # noqa: E731
    assert late("a")["units"] == [70] * 7 and late("b")["units"] == [90] * 7
    diff = pd.read_csv(out / "comparison.csv").set_index("kpi")
    assert diff.loc["officer_hours_rostered", "diff"] > 0   # 20 more rostered on every late shift


@pytest.mark.slow
def test_compare_set_a_and_set_b_on_two_files(tmp_path, triage):
    p = triage("compare", DEFAULT, ROOT / "scenarios" / "risk-led.toml", "--set-a", "policy.kind=none",
                "--reps", 2, "--days", 1, "--jobs", 1, "--out", tmp_path / "d", "--quiet")
    assert p.returncode == 0, p.stderr
    assert 'kind = "none"' in (tmp_path / "d" / "a" / "scenario.toml").read_text()
    assert 'kind = "risk_led"' in (tmp_path / "d" / "b" / "scenario.toml").read_text()


def test_compare_needs_a_second_scenario_or_a_change(triage):
    p = triage("compare", DEFAULT, "--reps", 2)
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert "give a second scenario B, or change A with --set-b KEY=VALUE" in p.stderr


@pytest.mark.parametrize("name, folder", [
    ("nottinghamshire-2016", "nottinghamshire-2016"), ("../../etc/passwd", "etc-passwd"),
    ("a name with spaces, = and /", "a-name-with-spaces-and"), ("..", "run"), ("x\x00y", "x-y"), ("z" * 200, "z" * 80),
])
def test_scenario_names_become_safe_folder_names(name, folder):
    assert safe_name(name) == folder
