"""The planner in roster terms: ``--officers`` counts people at the rota's hours, a minimum
on duty is a hard floor, team patterns searched directly, the HR sheet."""
from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.plan.establishment import budget_hours, hours_per_person, today_people
from sim.scenario import load_scenario, load_written
from sim.scenario.rota import hours_per_week
from sim.scenario.writing import toml_text
from tests.test_plan import FAST, _small_file

ROOT = Path(__file__).resolve().parents[1]


def _small_pattern_file(tmp_path, size=6):
    """The small scenario on a 4-team pattern of 8-hour tours: 3 tours in 4 days = 42 h a week."""
    path = _small_file(tmp_path)
    data = tomllib.loads(path.read_text())
    data["response"].pop("shifts")
    data["response"]["pattern"] = {
        "anchor": dt.date(2016, 9, 5), "cycle": ["D", "L", "N", "R"],
        "shift_types": {"D": {"start": "06:00", "hours": 8}, "L": {"start": "14:00", "hours": 8},
                        "N": {"start": "22:00", "hours": 8}},
        "teams": {k: {"size": size, "offset": i} for i, k in enumerate("ABCD")}}
    path.write_text(toml_text(data))
    return path


def test_people_on_a_42_hour_pattern_are_counted_at_42_hours():
    s = load_scenario(ROOT / "scenarios" / "patterns" / "4-on-4-off.toml")
    assert hours_per_person(s) == pytest.approx(42.0)
    assert today_people(s) == pytest.approx(320.0)          # 4 teams of 80, not 13,440 / 40 = 336
    assert budget_hours(320, s) == pytest.approx(13_440.0)
    default = load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml")
    assert hours_per_person(default) == default.response.contracted_hours_per_week


@pytest.mark.slow
def test_officers_on_a_pattern_counts_people_at_the_patterns_hours(tmp_path):
    path = _small_pattern_file(tmp_path)
    out = tmp_path / "spread"
    assert main(["plan", str(path), "--out", str(out), "--officers", "20", *FAST]) == 0
    html_ = (out / "report.html").read_text()
    assert "20 people at 42 h a week" in html_
    assert "today 24 people" in html_                       # 4 teams of 6, not 1,008 h / 40 = 25
    m = json.loads((out / "manifest.json").read_text())
    assert m["establishment_current"] == 24 and m["establishment_proposed"] == 20
    assert m["hours_per_person"] == pytest.approx(42.0)
    s = load_written(out / "rota.toml")
    assert hours_per_week(s.response) <= 20 * 42 + 1e-9


# ---------------------------------------------------------------------------- the minimum on duty
def _with_floor(path, floor):
    data = tomllib.loads(path.read_text())
    data["plan"] = {"min_on_duty": floor}
    path.write_text(toml_text(data))
    return path


NIGHT_FLOOR = [9] * 6 + [0] * 18        # 9 on duty 00:00-06:00, above what the quiet nights need


def test_the_floor_is_a_hard_constraint_of_the_integer_program():
    import numpy as np

    from sim.plan import shifts as sh
    need = np.full(168, 3)
    floor = np.tile(np.array(NIGHT_FLOOR), 7)
    d = sh.design(need, sh.candidates([0, 6, 14, 22], [8]), floor=floor)
    assert (d.cover >= np.maximum(need, floor)).all()
    spread = sh.design(need, sh.candidates([0, 6, 14, 22], [8]), floor=floor, officer_hours=168 * 5)
    assert (spread.cover >= floor).all()


def test_min_on_duty_is_validated_with_one_line(tmp_path, capsys):
    path = _small_file(tmp_path)
    for bad, words in (([1, 2, 3], "24 numbers"), (-1, "whole numbers"), (2.5, "whole numbers"),
                       ({"nowhere": 3}, "plan.min_on_duty.nowhere")):
        _with_floor(path, bad)
        assert main(["check", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert "min_on_duty" in err and words in err and len(err.splitlines()) == 1
    _with_floor(path, {"urban": 2})
    s = load_scenario(path)
    assert (s.plan.floor() == 2).all()


@pytest.mark.slow
def test_plan_honours_the_floor_in_every_hour_and_says_where_it_binds(tmp_path):
    import numpy as np
    import pandas as pd

    from sim.scenario.rota import average_week
    path = _with_floor(_small_file(tmp_path), NIGHT_FLOOR)
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), *FAST, "--search-reps", "1"]) == 0
    planned = load_written(out / "rota.toml")
    on_duty = average_week(planned.response, planned.run.start_date, 15.0).reshape(168, 4).min(axis=1)
    floor = np.tile(np.array(NIGHT_FLOOR), 7)
    assert (on_duty >= floor).all()
    req_ = pd.read_csv(out / "requirement.csv")
    assert (req_["units_floor"].to_numpy() == floor).all()
    assert "The minimum on duty sets the number, not demand" in (out / "report.html").read_text()
