"""triage-sim fit: a simulated scenario exported as a CAD extract with injected defects is fitted
back; every defect is counted and the parameters come back within their sampling error."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cad_export import cad_frame, incidents, inject, map_text
from sim.cli.main import main
from sim.scenario import load_scenario, validate, load_written
from sim.scenario.writing import toml_text

Z90 = 1.2815515655446004
HOUR_OF_DAY = [0.5, 0.4, 0.3, 0.3, 0.3, 0.4, 0.6, 0.9, 1.2, 1.4, 1.5, 1.5,
               1.5, 1.5, 1.4, 1.4, 1.4, 1.5, 1.6, 1.6, 1.4, 1.1, 0.9, 0.7]
TRUTH = {
    "on_scene": {"G1": (60.0, 150.0), "G2": (40.0, 100.0), "G3": (30.0, 70.0)},   # lognormal median, p90
    "blue": (6.0, 11.0), "normal": (12.0, 25.0), "handling": (3.0, 6.0),
}


def _ln(median, p90):
    return {"family": "lognormal", "median": median, "p90": p90}


def truth_scenario(days=28, units=30):
    """Incidents only (no 'none' calls that would not reach a CAD), no misgrading, nobody
    abandons, ample handlers, single-unit jobs that end at the scene."""
    ch = lambda cpd, risk: {"calls_per_day": cpd, "hour_of_day": HOUR_OF_DAY, "handling": _ln(*TRUTH["handling"]),  # noqa: E731
                            "risk": risk, "graded_at": 1.0}
    data = {
        "meta": {"name": "truth"},
        "run": {"days": days, "warmup_days": 0, "seed": 11, "start_date": "2025-03-03"},
        "demand": {"channels": {"999": ch(120.0, {"G1": 0.3, "G2": 0.5, "G3": 0.2}),
                                "101": ch(180.0, {"G2": 0.4, "G3": 0.6})}},
        "call_handling": {"shifts": {"all": {"start": "00:00", "hours": 24, "staff": 60}}},
        "thrive": {"misgrading_enabled": False},
        "response": {
            "shifts": {"day": {"start": "07:00", "hours": 12, "units": units},
                       "night": {"start": "19:00", "hours": 12, "units": units}},
            "areas": {"urban": {"share": 1.0, "blue_light": _ln(*TRUTH["blue"]), "normal": _ln(*TRUTH["normal"])}},
            "on_scene": {**{g: _ln(*v) for g, v in TRUTH["on_scene"].items()}, "G4": _ln(20.0, 40.0)},
        },
        "appointments": {"booking": False},
        "policy": {"kind": "none"},
    }
    import datetime as dt
    data["run"]["start_date"] = dt.date(2025, 3, 3)
    return validate(data)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fit")
    s = truth_scenario()
    inc = incidents(s, seed=3)
    cad, injected = inject(cad_frame(s, inc), np.random.default_rng(5))
    (tmp / "cad.csv").write_text(cad.to_csv(index=False))
    (tmp / "map.toml").write_text(map_text(s))
    (tmp / "truth.toml").write_text(toml_text(s.to_dict()))
    rc = main(["fit", str(tmp / "cad.csv"), "--map", str(tmp / "map.toml"), "--base", str(tmp / "truth.toml"),
               "--out", str(tmp / "out"), "--quiet"])
    assert rc == 0
    return s, inc, cad, injected, tmp / "out"


@pytest.mark.slow
def test_every_row_is_counted_and_every_defect_found(fitted):
    s, inc, cad, injected, out = fitted
    q = pd.read_csv(out / "data-quality.csv", dtype={"priority": str})
    rows = q[q["section"] == "rows"].groupby("reason")["rows"].sum()
    assert rows.sum() == len(cad)
    assert rows["missing time (created or first dispatch)"] == injected["missing"]
    assert rows["negative interval (first dispatch before created)"] == injected["negative"]
    assert rows["officer-initiated (not demand for dispatch)"] == injected["officer"]
    assert rows["duplicate (incident number seen on an earlier row)"] == injected["duplicates"]
    assert rows["priority code not demand (map priorities.exclude)"] == injected["admin"]
    assert rows["used as demand"] == len(inc) - injected["missing"] - injected["negative"] - injected["admin"]
    travel = q[q["section"] == "travel"].groupby("reason")["rows"].sum()
    natural = int(inc["first_on_scene"].isna().sum())   # still travelling at the horizon
    assert travel["time not recorded"] >= injected["no_scene"]
    assert travel["time not recorded"] <= injected["no_scene"] + natural
    # per priority: the 'rows' section's columns add up to each priority's rows in the file
    by_prio = q[q["section"] == "rows"].groupby("priority")["rows"].sum()
    assert by_prio.to_dict() == cad["Priority"].value_counts().to_dict()
    md = (out / "data-quality.md").read_text()
    assert f"**{len(cad):,}**" in md


def test_fitted_scenario_validates_and_is_tagged(fitted):
    s, inc, cad, injected, out = fitted
    text = (out / "scenario.toml").read_text()
    fs = load_written(out / "scenario.toml")
    assert "[D: fitted from cad.csv, n=" in text
    assert fs.demand.channels.get("999").patience.value < math.inf
    assert not fs.thrive.misgrading_enabled and fs.policy.kind == "none" and not fs.appointments.booking
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[", "base")):
            assert "# [D" in line, line


def test_parameters_recovered_within_sampling_error(fitted):
    s, inc, cad, injected, out = fitted
    fs = load_written(out / "scenario.toml")
    days = s.run.days
    for name in ("999", "101"):
        true = s.demand.channels.get(name)
        got = fs.demand.channels.get(name)
        n_true = true.calls_per_day * days
        se = math.sqrt(n_true) / days
        assert abs(got.calls_per_day - true.calls_per_day) < 4 * se + 20 / days, name
        n = got.calls_per_day * days
        for g in ("G1", "G2", "G3"):
            p = true.risk.get(g, 0.0)
            assert abs(got.risk[g] - p) < 4 * math.sqrt(max(p * (1 - p), 1e-4) / n) + 1e-3, (name, g)
        # hour of week: the fitted profile follows the true one
        truth = true.week_shape()
        assert np.corrcoef(truth, got.week_shape())[0, 1] > 0.95
        assert np.mean(np.abs(got.week_shape() - truth)) < 0.15
        _close_lognormal(got.handling, TRUTH["handling"], n)
    for g, (median, p90) in TRUTH["on_scene"].items():
        n = int((inc["initial_grade"] == int(g[1])).sum())
        _close_lognormal(fs.response.on_scene[g], (median, p90), n)
    area = fs.response.areas["urban"]
    _close_lognormal(area.blue_light, TRUTH["blue"], int((inc["initial_grade"] == 1).sum()))
    _close_lognormal(area.normal, TRUTH["normal"], int((inc["initial_grade"] > 1).sum()))


def _close_lognormal(dist, truth, n):
    assert dist.family == "lognormal", dist      # the lognormal fits lognormal data (KS within tolerance)
    mu, sigma = dist.mu_sigma
    mu0 = math.log(truth[0])
    sigma0 = math.log(truth[1] / truth[0]) / Z90
    assert abs(mu - mu0) < 4 * sigma0 / math.sqrt(n)
    assert abs(sigma - sigma0) < 4 * sigma0 / math.sqrt(2 * n)


def test_arrivals_pass_the_kim_whitt_test(fitted):
    """Simulated arrivals are Poisson with a constant rate per hour: about 5% of blocks reject."""
    from scipy import stats

    out = fitted[4]
    a = pd.read_csv(out / "arrivals.csv")
    tested = a["p_value"].notna()
    rejected = int((a.loc[tested, "p_value"] < 0.05).sum())
    assert rejected <= stats.binom.ppf(0.999, int(tested.sum()), 0.05)
    import json
    pooled = json.loads((out / "fit.json").read_text())["arrivals"]
    assert pooled["p_value"] > 1e-3
    assert 0.7 < pooled["dispersion_mean"] < 1.3


def test_report_and_figures_written(fitted):
    out = fitted[4]
    html = (out / "report.html").read_text()
    assert "Kim &amp; Whitt" in html and html.count("data:image/png;base64,") == 3
    assert {p.name for p in (out / "figures").iterdir()} == {"hour_of_week.png", "durations_qq.png",
                                                              "arrivals_kim_whitt.png"}


def test_daylight_saving_intervals_in_absolute_time(tmp_path):
    """A dispatch across the spring-forward hour is 10 minutes, not 70; hour of week stays local."""
    from sim.data.extract import read_extract
    from sim.data.map import load_map

    m = tmp_path / "map.toml"
    m.write_text(map_text(truth_scenario()).replace('time_zone = "UTC"', 'time_zone = "America/New_York"')
                 .replace("start = 2025-03-03", "start = 2025-03-01").replace("end = 2025-03-31", "end = 2025-04-01"))
    csv = tmp_path / "cad.csv"
    csv.write_text("IncidentNo,Created,Queued,Dispatched,OnScene,Cleared,Priority,Source\n"
                   "A,2025-03-09 01:55:00.000,2025-03-09 01:56:00.000,2025-03-09 03:05:00.000,NULL,NULL,1,E-911\n")
    rec = read_extract(csv, load_map(m))
    assert rec.demand["dispatch"].iloc[0] == pytest.approx(10.0)
    assert str(rec.demand["created_local"].iloc[0]) == "2025-03-09 01:55:00"
