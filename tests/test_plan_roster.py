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
from tests.test_plan import FAST, _small_file, _small_pattern_file

ROOT = Path(__file__).resolve().parents[1]


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


# ---------------------------------------------------------------------------- roster space
def test_roster_space_covers_the_target_within_the_fatigue_limits():
    import numpy as np

    from sim.plan import roster_space as rs
    from sim.scenario import Pattern
    from sim.scenario.rota import fatigue_problem
    s = load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml")
    limits = rs.fatigue_limits(s)
    fixed, left = rs.fixed_cycles(limits)
    assert "2-2-2" in fixed and any(w.startswith("4-on-4-off") and "12-hour" in w for w in left)
    target = np.tile(np.array([20] * 7 + [40] * 10 + [60] * 5 + [30] * 2), 7)
    target[24 * 4 + 20:24 * 4 + 23] = 75                      # a Friday-night peak
    space = rs.Space(rs.FAMILIES, fixed, left, limits, 40.0, 30.0, dt.date(2016, 9, 5))
    best, rows = rs.cheapest(space, target)
    assert best is not None and (best.cover >= target).all()
    p = Pattern.model_validate(best.pattern(space.anchor, limits))
    assert fatigue_problem(p) is None
    per_person = best.officer_hours / best.people
    assert 38.0 - 1e-9 <= per_person <= 42.0 + 1e-9
    assert len(rows) == len(rs.FAMILIES) + len(fixed)
    assert min(r["officer_hours"] for r in rows if r["officer_hours"]) == best.officer_hours


@pytest.mark.slow
def test_pattern_search_writes_a_pattern_that_meets_and_an_hr_sheet_matching_the_model(tmp_path):
    import numpy as np

    from sim.scenario.rota import DAY, shift_instances
    from sim.util.cells import read_csv
    path = _with_floor(_small_file(tmp_path), NIGHT_FLOOR)
    out = tmp_path / "pat"
    assert main(["plan", str(path), "--out", str(out), "--pattern", *FAST]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["pattern_meets"]
    s = load_written(out / "pattern.toml")
    p = s.response.pattern
    # the floor in every hour of the answer
    from sim.scenario.rota import average_week
    week = [average_week(s.response, s.run.start_date, 15.0).reshape(168, 4).min(axis=1)]
    assert (week[0] >= np.tile(np.array(NIGHT_FLOOR), 7)).all()
    # teams.csv: one row a team, sizes and the cycle as the file has them
    teams = read_csv(out / "teams.csv")
    assert list(teams["team"]) == list(p.teams) and list(teams["size"]) == [t.size for t in p.teams.values()]
    assert (teams["cycle"] == " ".join(p.cycle)).all()
    # calendar.csv: 5 weeks; every non-rest cell is a shift instance the model rosters, and back
    cal = read_csv(out / "calendar.csv")
    assert len(cal) == 35 and (out / "calendar.png").stat().st_size > 1000
    inst = {(int(i.start // DAY), i.team): (i.name, i.staff)
            for i in shift_instances(s.response, 35 * DAY, s.run.start_date) if i.start >= 0}
    cells = {(d, team): (cal[team].iloc[d], p.teams[team].size) for d in range(35) for team in p.teams
             if cal[team].iloc[d] != "R"}
    assert cells == inst
    assert (out / "patterns.csv").is_file()


# ---------------------------------------------------------------------------- the frontier
def _curve(points):
    import pandas as pd
    rows = []
    for kind, hours, dg, lo, hi in points:
        rows.append({"kind": kind, "officer_hours": hours, "resource_downgrades_per_week": dg,
                     "resource_downgrades_per_week_ci_low": lo, "resource_downgrades_per_week_ci_high": hi})
    return pd.DataFrame(rows)


def test_frontier_ladder_marginal_cost_and_monotone():
    from sim.plan.frontier import budgets
    from sim.plan.frontier_figure import marginal_sentence, monotone
    ladder = budgets(12_810, 17_970)
    assert budgets(12_814.2, 17_961)[0] == 12_820 and budgets(12_814.2, 17_961)[-1] == 17_970
    assert ladder[0] == 12_810 and ladder[-1] == 17_970 and ladder == sorted(ladder) and len(ladder) == 7
    df = _curve([("today", 12_000, 40.0, 35, 45), ("template", 13_000, 30.0, 26, 34),
                 ("template", 14_000, 20.0, 17, 23), ("template", 15_000, 10.0, 8, 12),
                 ("template", 16_000, 0.0, 0, 0), ("template", 17_000, 0.0, 0, 0)])
    assert "removes about 10.0 resource downgrades a week" in marginal_sentence(df)
    assert monotone(df)
    assert not monotone(_curve([("today", 12_000, 10.0, 9, 11), ("template", 13_000, 30.0, 26, 34)]))


def test_frontier_keeps_the_best_rota_known_within_a_budget():
    """A rota that fits a smaller budget fits a larger one: where the integer program's spread does
    worse in simulation than today's rota (or a cheaper budget's point), the frontier keeps the
    better one and says what the spread gave; otherwise the spread's own row stands."""
    from sim.plan.frontier import kept_if_better
    key = "resource_downgrades_per_week"
    today = {"kind": "today", "officer_hours": 12_810.0, key: 31.8, "rota": "today's rota"}
    spread = {"kind": "template", "officer_hours": 12_810.0, key: 38.5, "rota": "4 shifts"}
    kept = kept_if_better(spread, [today], 12_810.0)
    assert kept[key] == 31.8 and kept["kind"] == "template" and kept["budget"] == 12_810.0
    assert "today's rota" in kept["rota"] and "38.50" in kept["rota"]
    better = {**spread, key: 3.2, "officer_hours": 14_000.0}
    assert kept_if_better(better, [today, kept], 14_000.0) is better
    # a dearer rota known is never kept for a smaller budget
    dear = {"kind": "template", "officer_hours": 15_000.0, key: 0.5, "rota": "5 shifts"}
    assert kept_if_better(spread, [dear], 12_810.0) is spread


@pytest.mark.slow
def test_frontier_is_monotone_and_passes_through_todays_rota(tmp_path):
    from sim.plan.frontier_figure import monotone
    from sim.util.cells import read_csv
    path = _small_file(tmp_path)
    out = tmp_path / "front"
    fast = [*FAST]
    fast[fast.index("--reps") + 1] = "4"
    assert main(["plan", str(path), "--out", str(out), "--frontier", *fast]) == 0
    df = read_csv(out / "frontier.csv")
    today = df[df["kind"] == "today"].iloc[0]
    # today's rota's own paired result is a point of the curve (its difference from itself is 0)
    assert today["resource_downgrades_per_week_vs_today"] == 0.0
    assert set(df["kind"]) == {"today", "template", "pattern"}
    # the curve's first budget is today's: its point is no worse than today's rota (which fits it)
    first = df[df["kind"] == "template"].sort_values("officer_hours").iloc[0]
    assert first["budget"] >= today["officer_hours"]
    assert first["resource_downgrades_per_week"] <= today["resource_downgrades_per_week"]
    top = df[df["kind"] == "template"].sort_values("officer_hours").iloc[-1]
    assert top["meets"] and top["resource_downgrades_per_week"] == 0.0
    assert monotone(df)
    assert (out / "frontier.png").stat().st_size > 1000
    m = json.loads((out / "manifest.json").read_text())
    assert "each further 1,000 officer-hours a week removes about" in m["frontier"]["sentence"]
    assert "The trade-off" in (out / "report.html").read_text()


def test_the_template_shape_is_its_officers_free_past_the_briefing():
    from sim.plan.roster_search import free_cover
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    t = {"a": {"start": "08:00", "hours": 10.0, "units": [10] * 7, "days": days},
         "b": {"start": "17:00", "hours": 10.0, "units": [20] * 7, "days": days}}
    free = free_cover(t, 30.0)[:48]
    assert free[34] == 10 and free[35] == 30          # 17:00-17:30: b is briefed; 17:30-18:00 both
    assert free[36] == 20 and free[16] == 0 and free[17] == 10   # a briefed 08:00-08:30, then on
    assert free[5] == 20 and free[6] == 0             # b (from Sunday 17:00) until 03:00


@pytest.mark.slow
def test_officers_320_on_the_42_hour_4_on_4_off_shows_320_people(tmp_path):
    out = tmp_path / "spread"
    path = ROOT / "scenarios" / "patterns" / "4-on-4-off.toml"
    assert main(["plan", str(path), "--out", str(out), "--officers", "320", "--days", "2", *FAST,
                 "--starts", "7,12,17,22", "--lengths", "10", "--max-starts", "4", "--min-per-shift", "5"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["establishment_current"] == 320 and m["establishment_proposed"] == 320
    assert m["hours_per_person"] == pytest.approx(42.0)
    html_ = (out / "report.html").read_text()
    assert "320 people at 42 h a week" in html_ and "today 320 people" in html_
    assert load_written(out / "rota.toml") is not None
    from sim.scenario.rota import hours_per_week
    assert hours_per_week(load_written(out / "rota.toml").response) <= 320 * 42 + 1e-9
