"""Team patterns with an overlay team on a fixed weekly tour (``[response.pattern.overlay]``,
``plan --overlay``) and with teams of unequal size (``plan --unequal-teams``)."""
from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sim.cli.main import main
from sim.plan import roster_space as rs
from sim.scenario import DAYS, Pattern, load_scenario, load_written
from sim.scenario.rota import DAY, establishment, hours_per_week, shift_instances, team_names, weekly_shifts
from sim.scenario.writing import toml_text
from tests.test_plan import FAST, _small_file
from tests.test_plan_roster import _small_pattern_file

LIMITS = {"min_rest_hours": 11.0, "max_consecutive_duties": 7, "max_consecutive_nights": 4, "max_tour_hours": 10.0}
THU_SAT = {"days": ["Thu", "Fri", "Sat"], "start": "17:00", "hours": 10, "size": 5}


def _with_overlay(path: Path, overlay: dict, name: str = "OV") -> Path:
    data = tomllib.loads(path.read_text())
    data["response"]["pattern"]["overlay"] = {name: overlay}
    path.write_text(toml_text(data))
    return path


# ---------------------------------------------------------------------------- the scenario's overlay
def test_overlay_officers_are_on_duty_exactly_on_its_days_and_hours(tmp_path):
    s = load_scenario(_with_overlay(_small_pattern_file(tmp_path), THU_SAT))
    start = s.run.start_date
    days = 21
    ov = [i for i in shift_instances(s.response, days * DAY, start) if i.team == "OV"]
    expected = []
    for d in range(-1, days):
        date = start + dt.timedelta(days=d)
        if DAYS[date.weekday()] in THU_SAT["days"]:
            expected.append((d * DAY + 17 * 60.0, d * DAY + 27 * 60.0))
    assert [(i.start, i.end) for i in ov] == [e for e in expected if e[1] > 0]
    assert all(i.name == "OV" and i.staff == 5 for i in ov)
    # the rotating teams are untouched; the overlay adds its hours and people
    (tmp_path / "b").mkdir()
    base = load_scenario(_small_pattern_file(tmp_path / "b"))
    assert hours_per_week(s.response) == pytest.approx(hours_per_week(base.response) + 5 * 3 * 10)
    assert establishment(s.response, 40.0) == establishment(base.response, 40.0) + 5
    assert team_names(s.response) == [*team_names(base.response), "OV"]
    week = {w["name"]: w for w in weekly_shifts(s.response, start)}
    assert week["OV"]["days"] == [3, 4, 5] and week["OV"]["heads"][3:6] == [5, 5, 5]


@pytest.mark.slow
def test_overlay_units_in_the_simulation_follow_its_tour(tmp_path):
    import pandas as pd
    path = _with_overlay(_small_pattern_file(tmp_path), THU_SAT)
    out = tmp_path / "run"
    assert main(["run", str(path), "--reps", "1", "--days", "7", "--events", "--jobs", "1", "--quiet",
                 "--out", str(out)]) == 0
    shifts = pd.read_parquet(out / "unit_shifts.parquet")
    s = load_scenario(path)
    ov = shifts[shifts["team"] == "OV"]
    assert len(ov) > 0 and (ov["shift"] == "OV").all()
    # every overlay unit starts at 17:00 on a Thursday, Friday or Saturday and is rostered 10 h
    t0 = dt.datetime.combine(s.run.start_date, dt.time())   # time 0 (the warm-up counts from it)
    for start, end in zip(ov["start"], ov["end"]):
        when = t0 + dt.timedelta(minutes=float(start))
        assert DAYS[when.weekday()] in THU_SAT["days"] and (when.hour, when.minute) == (17, 0)
        assert end - start == pytest.approx(600.0)
    # and no more of them than rostered on any tour
    assert ov.groupby("start").size().max() <= THU_SAT["size"]


def test_a_pattern_without_overlay_writes_none():
    s = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "patterns" / "5-week-vsa.toml")
    assert "overlay" not in s.to_dict()["response"]["pattern"]


@pytest.mark.parametrize("overlay, name, words", [
    ({**THU_SAT, "days": list(DAYS)}, "OV", "more than 7 duties in a row"),
    ({**THU_SAT, "hours": 12}, "OV", "max_tour_hours"),
    (THU_SAT, "D", "not also a shift type code or a team"),
    ({**THU_SAT, "days": ["Thu", "Thu"]}, "OV", "each day once"),
])
def test_a_bad_overlay_in_a_scenario_is_one_line(tmp_path, capsys, overlay, name, words):
    path = _with_overlay(_small_pattern_file(tmp_path), overlay, name)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "overlay" in err and words in err


def test_the_hr_sheet_has_the_overlay_team(tmp_path):
    from sim.plan.hr_sheet import calendar_frame, calendar_png, teams_frame
    s = load_scenario(_with_overlay(_small_pattern_file(tmp_path), THU_SAT))
    teams = teams_frame(s)
    row = teams[teams["team"] == "OV"].iloc[0]
    assert row["size"] == 5 and row["cycle"] == "R R R OV OV OV R" and row["hours_per_week"] == 30
    cal = calendar_frame(s)
    inst = {(int(i.start // DAY), i.team): i.name for i in shift_instances(s.response, 35 * DAY, s.run.start_date)
            if i.start >= 0 and i.team == "OV"}
    assert {(d, "OV"): "OV" for d in range(35) if cal["OV"].iloc[d] != "R"} == inst
    assert (cal["on_OV"] == np.where(cal["OV"] == "OV", 5, 0)).all()
    assert len(calendar_png(s)) > 1000


# ---------------------------------------------------------------------------- --overlay
def test_parse_overlay():
    t = rs.parse_overlay("Thu-Sat 17:00 10h")
    assert t.days == ("Thu", "Fri", "Sat") and t.start == "17:00" and t.hours == 10 and t.week_hours == 30
    assert rs.parse_overlay("fri-mon 22:30 8").days == ("Mon", "Fri", "Sat", "Sun")   # a range past Sunday
    assert rs.parse_overlay("Mon,Wed-Thu 7:00 9.5H").days == ("Mon", "Wed", "Thu")
    for bad in ("Thu-Sat 17:00", "Thu-Sut 17:00 10h", "Thu-Sat 17:15 10h", "Thu-Sat 17:00 30h",
                "Thu,Thu 17:00 10h", "Thu-Sat 25:00 10h", "Thu-Sat 17:00 tenh"):
        with pytest.raises(ValueError, match="expected"):
            rs.parse_overlay(bad)
    # its cover: one officer on Thu, Fri and Sat 17:00-03:00, rostered for the whole hour
    cover = t.hour_cover().reshape(7, 24)
    assert cover.sum() == 30 and cover[3, 17:].all() and cover[4, :3].all() and not cover[3, :17].any()


@pytest.mark.parametrize("bad", ["Thu-Sat 17:00", "Thu-Sut 17:00 10h", "Thu-Sat 17:15 10h", "Thu-Sat 17:00 12h"])
def test_a_bad_overlay_option_is_one_line_and_exit_2(tmp_path, capsys, bad):
    path = _small_file(tmp_path)
    out = tmp_path / "plan"
    try:
        code = main(["plan", str(path), "--out", str(out), "--overlay", bad, *FAST])
    except SystemExit as exc:   # a malformed option is refused while the options are read
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1 and "--overlay" in err, err
    assert not out.exists()


def test_the_search_sizes_the_overlay_team_and_the_teams_cover_the_rest():
    # 20 officers all week, 45 on Thursday to Saturday evenings 17:00-03:00: an overlay's hours
    target = np.full(168, 20)
    for d in (3, 4, 5):
        target[24 * d + 17:24 * d + 27] = 45
    space = rs.Space(rs.FAMILIES, {}, [], LIMITS, 40.0, 30.0, dt.date(2016, 9, 5))
    plain, _ = rs.cheapest(space, target)
    space.overlay = rs.parse_overlay("Thu-Sat 17:00 10h")
    best, rows = rs.cheapest(space, target)
    assert best.overlay is not None and best.overlay[1] > 0
    assert best.officer_hours < plain.officer_hours
    p = best.pattern(space.anchor, LIMITS)
    assert (rs.cover_of(p) >= target).all()               # every hour of every week of the cycle
    pat = Pattern.model_validate(p)
    assert pat.overlays["OV"].days == ["Thu", "Fri", "Sat"] and pat.overlays["OV"].size == best.overlay[1]
    assert best.people == sum(s for s, _ in best.teams.values()) + best.overlay[1]
    # the rotating teams alone cover the target wherever the overlay is not on duty
    teams_only = rs.cover_of({**p, "overlay": None})
    off = space.overlay.hour_cover() == 0
    assert (teams_only[off] >= target[off]).all()
    assert hours_per_week(SimpleNamespace(pattern=pat)) == pytest.approx(best.officer_hours)


def test_fixed_cycles_take_the_overlay_too():
    fixed, left = rs.fixed_cycles(LIMITS)
    target = np.full(168, 20)
    for d in (3, 4, 5):
        target[24 * d + 17:24 * d + 27] = 45
    tour = rs.parse_overlay("Thu-Sat 17:00 10h")
    plain = rs._fixed_roster("2-2-2", fixed["2-2-2"], target, LIMITS)
    with_ov = rs._fixed_roster("2-2-2", fixed["2-2-2"], target, LIMITS, tour)
    assert with_ov.overlay is not None and with_ov.officer_hours < plain.officer_hours
    assert len({s for s, _ in with_ov.teams.values()}) == 1          # equal teams unless asked
    assert (rs.cover_of(with_ov.pattern(fixed["2-2-2"].anchor, LIMITS)) >= target).all()


# ---------------------------------------------------------------------------- --unequal-teams
def test_unequal_teams_cover_every_week_with_fewer_officer_hours():
    # 10-hour earlies, lates and nights: equal teams cover 8 / 13 / 17 officers by hour of day
    # only in whole teams, with officers to spare
    fam = {"10 h: early, late, night": rs.FAMILIES["10 h: early, late, night"]}
    target = np.tile(np.array([8] * 7 + [13] * 10 + [17] * 7), 7)
    equal, _ = rs.cheapest(rs.Space(fam, {}, [], LIMITS, 40.0, 30.0, dt.date(2016, 9, 5)), target)
    space = rs.Space(fam, {}, [], LIMITS, 40.0, 30.0, dt.date(2016, 9, 5), unequal=True)
    best, _ = rs.cheapest(space, target)
    assert best.officer_hours < equal.officer_hours - 1
    sizes = [s for s, _ in best.teams.values()]
    assert len(set(sizes)) > 1 and min(sizes) >= 1
    p = best.pattern(space.anchor, LIMITS)
    pat = Pattern.model_validate(p)
    weeks = pat.days // 7
    assert weeks == len(best.teams)
    cover = rs.cover_of(p)                       # the least, hour by hour, over the weeks of the cycle
    assert (cover >= target).all()
    # and the cover is not the same every week (the sizes move it), yet every week covers
    from sim.scenario.rota import headcount
    q = headcount(SimpleNamespace(pattern=pat, shifts={}, abstraction=0.0), pat.anchor, 7 * weeks, 15.0)
    by_week = q.reshape(weeks, 168, 4).min(axis=2)
    assert (by_week >= target).all() and not (by_week == by_week[0]).all()
    assert "teams of " + "+".join(map(str, sizes)) in best.describe()


def test_equal_teams_stay_equal_without_the_flag():
    fam = {"10 h: early, late, night": rs.FAMILIES["10 h: early, late, night"]}
    target = np.tile(np.array([8] * 7 + [13] * 10 + [17] * 7), 7)
    best, _ = rs.cheapest(rs.Space(fam, {}, [], LIMITS, 40.0, 30.0, dt.date(2016, 9, 5)), target)
    assert len({s for s, _ in best.teams.values()}) == 1


# ---------------------------------------------------------------------------- end to end
def _weekend_file(tmp_path):
    """The small scenario with its 999 calls on Thursday to Saturday evenings."""
    path = _small_file(tmp_path)
    data = tomllib.loads(path.read_text())
    ch = data["demand"]["channels"]["999"]
    ch["day_of_week"] = [0.6, 0.6, 0.6, 1.4, 1.8, 1.8, 0.6]
    ch["hour_of_day"] = [1.0] * 3 + [0.4] * 14 + [1.6] * 7
    path.write_text(toml_text(data))
    return path


@pytest.mark.slow
def test_plan_with_an_overlay_writes_a_pattern_that_runs(tmp_path):
    from sim.util.cells import read_csv
    out = tmp_path / "pat"
    assert main(["plan", str(_weekend_file(tmp_path)), "--out", str(out), "--overlay", "Thu-Sat 17:00 10h",
                 "--unequal-teams", *FAST]) == 0
    m = json.loads((out / "manifest.json").read_text())
    s = load_written(out / "pattern.toml")
    p = s.response.pattern
    assert m["pattern_people"] == sum(t.size for t in p.teams.values()) + sum(o.size for o in p.overlays.values())
    assert m["pattern_officer_hours"] == pytest.approx(hours_per_week(s.response))
    # the evening peak makes an overlay team pay: HR sees it, the report says it, the model rosters it
    assert p.overlays and p.overlays["OV"].size > 0 and p.overlays["OV"].days == ["Thu", "Fri", "Sat"]
    assert m["pattern_overlay_officers"] == p.overlays["OV"].size
    teams = read_csv(out / "teams.csv")
    assert list(teams["team"]) == [*p.teams, "OV"]
    assert "overlay team OV" in (out / "report.html").read_text()
    assert "overlay.OV = {" in (out / "pattern.toml").read_text()
    run = tmp_path / "run"
    assert main(["run", str(out / "pattern.toml"), "--reps", "1", "--days", "7", "--jobs", "1", "--quiet",
                 "--out", str(run)]) == 0
    assert (run / "summary.csv").is_file()


def _written_pattern(tmp_path, roster, anchor):
    """pattern.toml as the plan writes it, over ``scenario.toml`` (the input resolved)."""
    from sim.plan.pattern_file import pattern_toml
    from sim.plan.roster_search import PatternAnswer
    s = load_scenario(_with_overlay(_small_pattern_file(tmp_path), THU_SAT))     # today: a pattern with an overlay
    out = tmp_path / "plan"
    out.mkdir()
    (out / "scenario.toml").write_text(toml_text(s.to_dict()))
    ans = PatternAnswer(roster, meets=True, template_hours=roster.officer_hours, anchor=anchor, limits=LIMITS)
    (out / "pattern.toml").write_text(pattern_toml(SimpleNamespace(scenario=s, handlers_proposed=None), ans, out))
    return out / "pattern.toml"


@pytest.mark.parametrize("with_overlay", [False, True])
def test_pattern_toml_replaces_the_inputs_pattern_whole_and_runs(tmp_path, with_overlay):
    anchor = dt.date(2016, 9, 5)
    tour = rs.parse_overlay("Fri-Sat 18:00 8h")
    r = rs.Roster("test", {"D": ("06:00", 8.0), "L": ("14:00", 8.0), "N": ("22:00", 8.0)}, ["D", "L", "N", "R"],
                  {"T01": (4, 0), "T02": (3, 1), "T03": (4, 2), "T04": (3, 3)}, 0.0,
                  overlay=(tour, 6) if with_overlay else None)
    r = rs._costed(r, r.pattern(anchor, LIMITS))
    path = _written_pattern(tmp_path, r, anchor)
    s = load_scenario(path)
    p = s.response.pattern
    assert list(p.teams) == ["T01", "T02", "T03", "T04"]                # not the input's teams A-D beside them
    assert [t.size for t in p.teams.values()] == [4, 3, 4, 3] and p.cycle == r.cycle
    assert p.overlays == ({} if not with_overlay else {"OV": p.overlays["OV"]})
    if with_overlay:
        assert p.overlays["OV"].days == ["Fri", "Sat"] and p.overlays["OV"].size == 6
        assert p.overlays["OV"].start == "18:00" and p.overlays["OV"].hours == 8
    assert hours_per_week(s.response) == pytest.approx(r.officer_hours)
    out = tmp_path / "run"
    assert main(["run", str(path), "--reps", "1", "--days", "2", "--jobs", "1", "--quiet", "--out", str(out)]) == 0
    assert (out / "summary.csv").is_file()
