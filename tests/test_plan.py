"""The staffing planner: stage 1 against exact queueing answers, stage 2's coverage checked
independently, bad input refused with a clear message."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from sim.plan import requirement as req
from sim.scenario import validate, load_written
from sim.theory.queueing import erlang_c_wait_probability


def _fixed(v):
    return {"family": "fixed", "value": v}


STATIONARY = {
    "meta": {"name": "stationary"},
    "run": {"days": 7, "warmup_days": 0, "seed": 1},
    "demand": {"channels": {
        "999": {"calls_per_day": 1440, "handling": _fixed(4.0), "graded_at": 1.0,
                "risk": {"none": 0.5, "G1": 0.2, "G2": 0.2, "G3": 0.1}},
        "101": {"calls_per_day": 720, "handling": _fixed(4.0), "risk": {"none": 1.0}},
    }},
    "call_handling": {"shifts": {"all": {"start": "00:00", "hours": 24, "staff": 12}}},
    "thrive": {"misgrading_enabled": False},
    "response": {
        "shifts": {"all": {"start": "00:00", "hours": 24, "units": 60}},
        "areas": {"urban": {"share": 1.0, "blue_light": _fixed(5.0), "normal": _fixed(5.0)}},
        "on_scene": {g: _fixed(55.0) for g in ("G1", "G2", "G3", "G4")},
    },
    "appointments": {"booking": False},
    "policy": {"kind": "none"},
    "standards": {"g1_minutes": {"urban": 15.0}, "g2_minutes": 60.0},
    "recommendation": {"g1_aim": 0.9, "g2_aim": 0.0},
}


def _scenario(**changes):
    data = copy.deepcopy(STATIONARY)
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split(".")
        for k in path:
            node = node[k]
        node[last] = value
    return validate(data)


def test_stationary_load_is_lambda_times_mean_service():
    s = _scenario()
    r = req.requirement(s)
    # calls per minute x share x 60 minutes of unit time each
    for g, share in ((0, 0.2), (1, 0.2), (2, 0.1)):
        assert r.load[:, g] == pytest.approx(1.0 * share * 60.0, rel=1e-9)
    assert r.mean_service == pytest.approx(60.0)


def test_stationary_g1_requirement_is_exact_priority_mmc():
    """G1 is the top class: P(W > t) = C(c, a) exp(-(c mu - lam1) t) exactly."""
    s = _scenario()
    r = req.requirement(s)
    mu, lam1, lam = 1 / 60.0, 0.2, 0.5           # per minute: 1 call a minute on 999
    budget = 15.0 - 4.0 - 5.0                    # standard - grading (whole call) - travel
    c = math.floor(lam / mu) + 1
    while 1 - erlang_c_wait_probability(c, lam, mu) * math.exp(-(c * mu - lam1) * budget) < 0.9:
        c += 1
    assert set(r.effective) == {c}
    assert set(r.rostered) == {c}                # no abstraction, no non-incident time


def test_stationary_handlers_are_exact_erlang():
    s = _scenario()
    r = req.requirement(s)
    mu, lam999, lam = 1 / 4.0, 1.0, 1.5
    c = math.floor(lam / mu) + 1
    while 1 - erlang_c_wait_probability(c, lam, mu) * math.exp(-(c * mu - lam999) * 10 / 60) < 0.9:
        c += 1
    assert set(r.handlers) == {c}


def test_rostered_units_allow_for_abstraction_and_non_incident_time():
    s = _scenario(**{"response.abstraction": 0.2,
                     "response.non_incident": {"brief": {"after_hours": 0.0, "minutes": 144.0}}})
    r = req.requirement(s)
    assert r.available_share == pytest.approx(0.8 * 0.9)   # 144 min of a 24 h shift
    assert np.array_equal(r.rostered, np.ceil(r.effective / 0.72 - 1e-9).astype(int))


def test_lagged_load_peaks_after_the_arrival_peak():
    """One hour of arrivals, two-hour jobs: the load keeps rising to the end of the hour and
    falls over the next two (the infinite-server lag)."""
    s = _scenario(**{"demand.channels.999.hour_of_week": [0.0] * 20 + [1.0] + [0.0] * 147,
                     "response.on_scene": {g: _fixed(115.0) for g in ("G1", "G2", "G3", "G4")}})
    r = req.requirement(s)
    total = r.load.sum(axis=1)
    assert total[20] > 0 and total[21] > total[20] and total[22] > 0 and total[23] == pytest.approx(0, abs=1e-9)
    assert total.sum() == pytest.approx(r.arrivals.sum() * 120 / 60, rel=1e-6)


# ---------------------------------------------------------------------------- stage 2: shifts
from sim.plan import shifts as sh  # noqa: E402
from sim.scenario.rota import average_week  # noqa: E402
from sim.scenario import ScenarioError, UnitShift  # noqa: E402
import datetime as dt  # noqa: E402


def _peaky_requirement():
    day = np.array([3, 3, 2, 2, 2, 2, 3, 5, 8, 9, 9, 9, 10, 10, 10, 11, 12, 13, 14, 14, 13, 10, 7, 5])
    week = np.tile(day, 7)
    week[5 * 24 + 20: 5 * 24 + 24] += 4      # Friday night
    return week


def _coverage_by_rota(template: dict) -> np.ndarray:
    """Independently of the planner: the simulator's own rota code, units on duty per 15 minutes,
    the least in each hour."""
    class Pool:
        pattern = None
        shifts = {name: UnitShift.model_validate(v) for name, v in template.items()}

    quarters = average_week(Pool(), dt.date(2016, 9, 5), 15.0)
    return quarters.reshape(168, 4).min(axis=1)


@pytest.mark.slow
@pytest.mark.parametrize("max_starts,lengths", [(None, [8, 10]), (3, [10]), (4, [8, 10])])
def test_design_covers_every_hour(max_starts, lengths):
    need = _peaky_requirement()
    d = sh.design(need, sh.candidates(None, lengths), max_starts=max_starts, min_per_shift=2,
                  node_limit=50, time_limit=120)
    template = d.template()
    cover = _coverage_by_rota(template)
    assert (cover >= need).all()
    assert np.array_equal(cover, d.cover)
    starts = {v["start"] for v in template.values()}
    assert max_starts is None or len(starts) <= max_starts
    assert all(u == 0 or u >= 2 for v in template.values() for u in v["units"])
    assert d.officer_hours == sum(v["hours"] * sum(v["units"]) for v in template.values())
    # a lower bound: every hour's need, shared among shifts of at most 10 hours
    assert d.officer_hours >= need.sum()


def test_design_with_a_budget_minimises_the_worst_shortfall():
    need = _peaky_requirement()
    d = sh.design(need, sh.candidates(None, [10]), officer_hours=0.8 * need.sum(), node_limit=50,
                  time_limit=120)
    assert d.officer_hours <= 0.8 * need.sum() + 1e-9
    assert d.shortfall.max() >= 1
    assert (np.maximum(need - _coverage_by_rota(d.template()), 0) <= d.shortfall.max()).all()


def test_bad_shift_inputs_are_refused_clearly():
    with pytest.raises(ScenarioError, match="at most 10 hours"):
        sh.candidates(None, [12])
    need = _peaky_requirement()
    with pytest.raises(ScenarioError, match="no candidate shift covers this hour"):
        sh.design(need, sh.candidates([8], [8]))


# ---------------------------------------------------------------------------- command line
from sim.scenario.writing import toml_text  # noqa: E402
import tomllib  # noqa: E402

from sim.cli.main import main  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def _small_file(tmp_path):
    data = copy.deepcopy(STATIONARY)
    data["demand"]["channels"]["999"]["calls_per_day"] = 240
    data["demand"]["channels"]["999"]["hour_of_day"] = [0.5] * 8 + [1.5] * 8 + [1.0] * 8
    data["demand"]["channels"]["101"]["calls_per_day"] = 100
    data["call_handling"]["shifts"]["all"]["staff"] = 3
    data["response"]["shifts"] = {"day": {"start": "06:00", "hours": 8, "units": 6},
                                  "night": {"start": "22:00", "hours": 8, "units": 4},
                                  "late": {"start": "14:00", "hours": 8, "units": 6}}
    data["policy"] = {"kind": "resource_led",
                      "resource_led": {"rules": {"G1": {"after": 10, "to": "G2", "probability": 0.3}}}}
    data["run"] = {"days": 2, "warmup_days": 1, "seed": 3}
    path = tmp_path / "small.toml"
    path.write_text(toml_text(data))
    return path


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


FAST = ["--search-days", "2", "--search-reps", "2", "--reps", "2", "--starts", "0,6,8,14,16,22",
        "--lengths", "8", "--max-starts", "3", "--min-per-shift", "2", "--jobs", "1", "--quiet"]


@pytest.mark.slow
def test_plan_writes_a_runnable_folder(tmp_path, capsys):
    path = _small_file(tmp_path)
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), *FAST]) == 0
    for name in ("rota.toml", "requirement.csv", "iterations.csv", "report.html", "manifest.json", "comparison.csv"):
        assert (out / name).is_file(), name
    planned = load_written(out / "rota.toml")       # a runnable delta of the input
    import pandas as pd
    req_ = pd.read_csv(out / "requirement.csv")
    assert len(req_) == 168 and {"units_required", "units_current", "units_proposed",
                                 "handlers_required", "handlers_current"} <= set(req_.columns)
    proposed = {n: sh_ for n, sh_ in planned.response.shifts.items() if any(sh_.units)}
    cover = _coverage_by_rota({n: {"start": v.start, "hours": v.hours, "units": list(v.units), "days": list(v.days)}
                               for n, v in proposed.items()})
    assert np.array_equal(cover, req_["units_proposed"].to_numpy())
    assert "Changes per shift" in (out / "report.html").read_text()
    # never overwritten
    assert main(["plan", str(path), "--out", str(out), *FAST]) == 2
    assert "already exists" in capsys.readouterr().err


def test_plan_bad_input_exits_2(tmp_path, capsys):
    path = _small_file(tmp_path)
    assert main(["plan", str(path), "--out", str(tmp_path / "a"), "--lengths", "12", "--quiet"]) == 2
    assert "at most 10 hours" in capsys.readouterr().err
    assert main(["plan", str(path), "--out", str(tmp_path / "b"), "--officers", "2", *FAST]) == 2
    assert "cannot keep one officer on duty every hour" in capsys.readouterr().err
    assert main(["plan", str(path), "--out", str(tmp_path / "c"), "--starts", "8", "--lengths", "8", "--quiet"]) == 2
    assert "no candidate shift covers this hour" in capsys.readouterr().err


def test_plan_officers_reports_the_best_spread(tmp_path, capsys):
    path = _small_file(tmp_path)
    out = tmp_path / "spread"
    assert main(["plan", str(path), "--out", str(out), "--officers", "12", *FAST]) == 0
    html_ = (out / "report.html").read_text()
    assert "best spread of 12 officers" in html_
    s = load_written(out / "rota.toml")
    from sim.scenario.rota import hours_per_week
    assert hours_per_week(s.response) <= 12 * 40


@pytest.mark.slow
def test_plan_of_a_team_pattern_writes_shifts_that_replace_it(tmp_path):
    path = _small_pattern_file(tmp_path)
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), *FAST]) == 0
    planned = load_written(out / "rota.toml")
    assert planned.response.pattern is None and planned.response.shifts


@pytest.mark.slow
def test_an_understaffed_start_is_raised_where_it_falls_short(tmp_path, monkeypatch):
    """Stage 3's iterative staffing: start from half the analytic requirement; the hours with
    downgrades or waiting incidents are raised until the simulation meets the recommendation."""
    import dataclasses

    from sim.plan import refine

    real = refine.requirement

    def halved(*a, **k):
        r = real(*a, **k)
        return dataclasses.replace(r, rostered=np.maximum(r.rostered // 2, 1))

    monkeypatch.setattr(refine, "requirement", halved)
    s = load_scenario(_small_file(tmp_path))
    opts = refine.Options(search_days=2, search_reps=2, final_reps=2, starts=[0, 6, 8, 14, 16, 22], lengths=[8],
                          max_starts=3, min_per_shift=2, jobs=1, max_trims=0, max_iterations=8)
    result = refine.Planner(s, opts).run()
    stages = list(result.iterations()["stage"])
    assert stages[0] == "analytic" and not result.iterations()["meets"].iloc[0]
    assert any(st.startswith("raise") for st in stages)
    assert result.meets
    assert refine.template_hours(result.proposed) > refine.template_hours(result.analytic)


@pytest.mark.slow
def test_default_plan_meets_and_beats_the_uniform_scale_up(tmp_path):
    """The issue's acceptance on the default scenario (a few minutes on 2 cores)."""
    from pathlib import Path

    from sim.experiment.replications import run_experiment
    default = Path(__file__).resolve().parents[1] / "scenarios" / "nottinghamshire-2016.toml"
    out = tmp_path / "plan"
    assert main(["plan", str(default), "--out", str(out), "--quiet"]) == 0
    import json
    m = json.loads((out / "manifest.json").read_text())
    assert m["meets"] and m["scale_up"]["confirmed"]
    assert m["officer_hours_proposed"] < m["scale_up"]["officer_hours"]
    planned = load_written(out / "rota.toml")
    summary = run_experiment(planned, reps=10, jobs=None).result.summary.set_index("kpi")["mean"]
    assert summary["meets_recommendation"] == 1.0 and summary["resource_downgrades_per_week"] == 0.0
