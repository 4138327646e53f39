"""Validation against queueing theory: the fast cases, the machinery, and that it can fail.

The fast subset of the registered cases runs here at the registry's replications and each
file's seed (the same numbers as in docs/validation.md); the rest is in
test_validation_full.py, marked slow.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pytest

from sim.cli.validate import register
from sim.theory import queueing as theory
from sim.validation import cases as v
from sim.validation.arrivals import expected_hourly
from sim.validation.compare import summarise
from sim.validation.conditions import Need
from sim.validation.estimators import Quantity
from sim.validation.handling import kind_mmc
from sim.validation.markdown import fmt_number
from sim.validation.measure import run_cases, simulate
from sim.model.demand import hourly_rates
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
CASE_DIR = ROOT / "scenarios" / "validation"
FAST = [c for c in v.cases(ROOT) if c.fast]


def by_name(name: str) -> v.Case:
    return next(c for c in v.cases(ROOT) if c.name == name)


# ---------------------------------------------------------------- registry and files
def test_every_case_file_is_registered_and_every_registered_case_has_a_file():
    files = {p.stem for p in CASE_DIR.glob("*.toml")}
    assert files == set(v.REGISTRY)


@pytest.mark.slow
@pytest.mark.parametrize("case", v.cases(ROOT), ids=lambda c: c.name)
def test_case_reduces_to_its_theory(case):
    """Each file loads with the normal loader and meets its kind's conditions; the analytic
    values are finite; the name states the load and server count it really has."""
    s = load_scenario(case.path)
    assert s.meta.name == case.name
    qs, info = v.quantities(s, case.kind, case.path)
    assert qs and all(math.isfinite(q.analytic) for q in qs)
    assert len({q.name for q in qs}) == len(qs)
    w = info["window"]
    assert s.run.warmup_days * 1440 == w.a < w.b <= (s.run.warmup_days + s.run.days) * 1440
    if "-rho" in case.name and isinstance(info["rho"], float):
        stated = int(case.name.split("-rho")[1][:3]) / 100
        assert info["rho"] == pytest.approx(stated, abs=1e-9)
    if case.name.split("-")[-1].startswith("c") and isinstance(info["servers"], int):
        assert info["servers"] == int(case.name.split("-")[-1][1:])


@pytest.mark.slow
def test_loads_and_server_counts_cover_the_issue():
    rhos, servers = set(), set()
    for case in v.cases(ROOT):
        _, info = v.quantities(load_scenario(case.path), case.kind, case.path)
        if isinstance(info["rho"], float):
            rhos.add(round(info["rho"], 2))
            servers.add(info["servers"])
    assert {0.5, 0.85, 0.95} <= rhos
    assert min(servers) <= 5 and max(servers) >= 100
    kinds = {c.kind for c in v.cases(ROOT)}
    assert kinds == set(v.KINDS)


def test_kind_comes_from_the_file_name():
    assert v.kind_of("scenarios/validation/erlang_a-rho085-c5.toml") == "erlang_a"
    assert v.kind_of("dispatch-3grades-x.toml") == "dispatch"
    assert v.kind_of("mmc.toml") == "mmc"
    with pytest.raises(ScenarioError, match="--kind"):
        v.kind_of("my-case.toml")


# ---------------------------------------------------------------- the fast cases
@pytest.fixture(scope="module")
def fast_results():
    specs = [(c.name, c.path, c.kind, c.reps) for c in FAST]
    return {r.case: r for r in run_cases(specs)}


@pytest.mark.slow
@pytest.mark.parametrize("case", FAST, ids=lambda c: c.name)
def test_fast_case_lies_within_its_confidence_intervals(fast_results, case):
    res = fast_results[case.name]
    failed = [(r.quantity, r.analytic, r.mean, r.half_width) for r in res.rows if not r.passed]
    assert not failed, f"{case.name}: analytic value outside the 95% interval: {failed}"
    assert all(r.reps == case.reps for r in res.rows)


def test_fast_subset_covers_every_kind():
    assert {c.kind for c in FAST} == set(v.KINDS)


# ---------------------------------------------------------------- statistics
def test_summary_uses_a_student_t_interval():
    q = Quantity("x", 1.0, lambda log: 0.0)
    mean, hw, rel, ok = summarise(q, [0.9, 1.1, 1.0, 1.2])
    assert mean == pytest.approx(1.05)
    assert hw == pytest.approx(3.182446305284263 * np.std([0.9, 1.1, 1.0, 1.2], ddof=1) / 2)
    assert rel == pytest.approx(0.05) and ok
    assert not summarise(q, [1.1, 1.11, 1.12])[3]


def test_exact_quantities_need_every_replication_equal():
    q = Quantity("x", 8.0, lambda log: 0.0, exact=True)
    assert summarise(q, [8.0, 8.0 + 1e-12])[3]
    assert not summarise(q, [8.0, 8.001])[3]


def test_validation_detects_a_model_that_disagrees_with_theory():
    """Negative control: analytic values for 5 handlers, simulated with 4 -> must fail."""
    case = by_name("mmc-rho050-c5")
    s = load_scenario(case.path)
    qs, _ = v.quantities(s, "mmc", case.path)
    x = simulate(case.path, "mmc", reps=5, overrides=["call_handling.shifts.all.staff=4"], jobs=1)
    verdicts = {q.name: summarise(q, x[:, j])[3] for j, q in enumerate(qs)}
    assert not verdicts["mean wait to answer, min"]
    assert not verdicts["P(wait > 0) [Erlang C]"]


def test_independent_demand_profile_agrees_with_the_generator_rates():
    """validation.expected_hourly is written from the documented semantics, apart from sim.model.demand."""
    s = load_scenario(by_name("arrivals-shaped").path)
    n = 24 * 7 * 6
    for ch in ("999", "101"):
        np.testing.assert_allclose(expected_hourly(s, ch, n), hourly_rates(s, ch, n), rtol=1e-12)


# ---------------------------------------------------------------- conditions
@pytest.mark.parametrize("kind, overrides, path", [
    ("mmc", ['demand.channels.101.handling={ family = "lognormal", median = 5, p90 = 9 }'], "demand.channels.101.handling"),
    ("mmc", ['demand.channels.101.patience={ family = "exponential", mean = 3 }'], "demand.channels.101.patience"),
    ("mmc", ["demand.channels.101.hour_of_day=" + str([1.0] * 12 + [2.0] * 12)], "demand.channels.101.hour_of_day"),
    ("mmc", ['call_handling.shifts.day={ start = "08:00", hours = 8, staff = 2 }'], "call_handling.shifts.day.hours"),
    ("mmc", ["call_handling.shifts.all.staff=2"], "call_handling.shifts"),
    ("mmc", ["call_handling.abstraction=0.1"], "call_handling.abstraction"),
])
def test_a_file_that_does_not_reduce_to_its_theory_is_refused(kind, overrides, path):
    case = by_name("mmc-rho050-c5")
    s = load_scenario(case.path, overrides)
    with pytest.raises(ScenarioError) as err:
        v.quantities(s, kind, case.path)
    assert err.value.path == path and "validation kind 'mmc' needs" in str(err.value)


@pytest.mark.parametrize("overrides, path", [
    (['response.areas.urban.normal={ family = "fixed", value = 5 }'], "response.areas.urban.normal"),
    (["response.reserve_for_g1=1"], "response.reserve_for_g1"),
    (['policy.kind="resource_led"'], "policy.kind"),
    (["response.arrest_probability.G1=0.2"], "response.arrest_probability"),
    (['response.on_scene.G2={ family = "exponential", mean = 40 }'], "response.on_scene"),
    (["call_handling.shifts.all.staff=1"], "call_handling.shifts"),  # handlers no longer ample
])
def test_dispatch_conditions(overrides, path):
    case = by_name("dispatch-2grades-rho085-c8")
    s = load_scenario(case.path, overrides)
    with pytest.raises(ScenarioError) as err:
        v.quantities(s, "dispatch", case.path)
    assert err.value.path == path


# ---------------------------------------------------------------- command line
def parser():
    p = argparse.ArgumentParser(prog="triage-sim")
    register(p.add_subparsers(dest="command", required=True))
    return p


def test_command_validates_an_independent_file_and_writes_a_report(tmp_path, capsys):
    out = tmp_path / "report.md"
    f = tmp_path / "my-check.toml"  # a name that does not tell the kind
    f.write_text(by_name("deterministic-ample").path.read_text())
    args = parser().parse_args(["validate-model", "--scenario", str(f), "--kind", "deterministic",
                                "--reps", "2", "--jobs", "1", "--out", str(out)])
    assert args.func(args) == 0
    text = out.read_text()
    assert "| my-check | deterministic |" in text and "**FAIL**" not in text
    assert "cases hash" not in text  # not the registry's report
    assert "--scenario" in text and "--reps 2" in text


def test_command_reads_overrides_and_refuses_a_wrong_kind(tmp_path, capsys):
    path = str(by_name("mmc-rho050-c5").path)
    args = parser().parse_args(["validate-model", "--scenario", path, "--set", "demand.channels.101.calls_per_day=700",
                                "--reps", "2", "--jobs", "1"])
    args.func(args)
    # the analytic values are read from the scenario as overridden
    expected = fmt_number(theory.erlang_c_wait_probability(5, 700 / 1440, 1 / 6))
    assert f"| mmc-rho050-c5 | P(wait > 0) [Erlang C] | {expected} |" in capsys.readouterr().out
    # a kind the file does not reduce to is refused, naming the field that does not fit
    args = parser().parse_args(["validate-model", "--scenario", path, "--kind", "erlang_a", "--reps", "2"])
    with pytest.raises(ScenarioError, match="patience"):
        args.func(args)


def test_command_fails_on_a_disagreeing_case(tmp_path, monkeypatch, capsys):
    real = kind_mmc

    def off_by_ten_percent(s, need):
        qs, info = real(s, need)
        return [Quantity(q.name, q.analytic * 1.1, q.estimate) for q in qs], info

    monkeypatch.setitem(v._BUILDERS, "mmc", off_by_ten_percent)
    args = parser().parse_args(["validate-model", "--scenario", str(by_name("mmc-rho050-c5").path),
                                "--reps", "3", "--jobs", "1"])
    assert args.func(args) == 1
    assert "**FAIL**" in capsys.readouterr().out


# ---------------------------------------------------------------- rota
ROTA = "rota-3shifts-peak"


@pytest.mark.parametrize("overrides, path", [
    (['demand.channels.101.patience={ family = "exponential", mean = 3 }'], "demand.channels.101.patience"),
    (['demand.channels.101.handling={ family = "lognormal", median = 5, p90 = 9 }'], "demand.channels.101.handling"),
    (['demand.channels.999={ calls_per_day = 100, handling = { family = "exponential", mean = 6.0 }, '
      'risk = { none = 1.0 } }'], "demand.channels"),
    (["call_handling.shifts.night.hours=9"], "call_handling.shifts"),  # overlaps the early shift
    (['call_handling.shifts.extra={ start = "10:00", hours = 2, staff = 1 }'], "call_handling.shifts"),
    (["call_handling.abstraction=0.1"], "call_handling.abstraction"),
])
def test_rota_conditions(overrides, path):
    case = by_name(ROTA)
    s = load_scenario(case.path, overrides)
    with pytest.raises(ScenarioError) as err:
        v.quantities(s, "rota", case.path)
    assert err.value.path == path and "validation kind 'rota' needs" in str(err.value)


def test_rota_crews_from_the_shift_table():
    """Head-counts by the day a shift starts on; Sunday's night crew is on duty at time 0."""
    case = by_name("rota-2shifts-weekly")
    s = load_scenario(case.path)
    changes, staff = Need(s, case.path, "rota").rota_crews(8 * 1440.0)
    day, night = 420.0, 1140.0  # 07:00, 19:00
    assert changes[:4].tolist() == [day, night, 1440 + day, 1440 + night]
    assert staff[:5].tolist() == [25, 25, 24, 24, 23]  # Sun night, Mon day, Mon night, Tue day, Tue night
    friday_night = changes.tolist().index(4 * 1440 + night) + 1
    assert staff[friday_night] == 28 and changes[friday_night] == 5 * 1440 + day  # into Saturday morning
    assert staff[-1] == 24  # the next Monday's night crew, on until past the end
    # a 24-hour post every day is one crew: the same people carry on, no hand-over
    mmc = load_scenario(by_name("mmc-rho050-c5").path)
    changes, staff = Need(mmc, "", "rota").rota_crews(29 * 1440.0)
    assert changes.size == 0 and staff.tolist() == [5]


@pytest.mark.parametrize("name", [c.name for c in v.cases(ROOT) if c.kind == "rota"])
def test_rota_crews_agree_with_the_model_rota(name):
    """validation derives the crews from the shift table apart from sim.scenario.rota; both agree."""
    from sim.scenario.rota import shift_instances

    s = load_scenario(by_name(name).path)
    horizon = (s.run.days + s.run.warmup_days) * 1440.0
    inst = shift_instances(s.call_handling, horizon, s.run.start_date)
    changes, staff = Need(s, name, "rota").rota_crews(horizon)
    assert all(a.end == b.start for a, b in zip(inst, inst[1:]))
    assert changes.tolist() == [i.start for i in inst[1:]]
    assert staff.tolist() == [i.staff for i in inst]


def test_rota_kind_on_a_constant_post_is_erlang_c():
    """With one 24-hour crew and stationary demand every block's mean wait is Erlang C's."""
    case = by_name("mmc-rho050-c5")
    s = load_scenario(case.path)
    qs, info = v.quantities(s, "rota", case.path)
    assert len(qs) == 12 and info["not compared"] == []  # 2-hour blocks, no hand-overs
    wq = theory.erlang_c_mean_wait(5, 600 / 1440, 1 / 6)
    assert [q.analytic for q in qs] == pytest.approx([wq] * 12, rel=1e-6)


@pytest.mark.slow
def test_rota_validation_detects_a_model_that_disagrees_with_theory():
    """Negative control: analytic values for a night crew of 6, simulated with 5 -> the blocks
    after the 22:00 hand-over must fail (the old hand-over rule, where the next handlers to
    finish any call left, failed them too: see the case file)."""
    case = by_name(ROTA)
    qs, _ = v.quantities(load_scenario(case.path), "rota", case.path)
    x = simulate(case.path, "rota", reps=10, overrides=["call_handling.shifts.night.staff=5"], jobs=1)
    verdicts = {q.name: summarise(q, x[:, j])[3] for j, q in enumerate(qs)}
    assert not verdicts["mean wait, calls arriving first hour after the 22:00 hand-over, min"]
    assert not verdicts["mean wait, calls arriving 22:00-24:00, min"]
