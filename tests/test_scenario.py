"""Tests for scenario loading (sim.scenario) and how bad input is reported.

Every bad input must give ONE clear message naming the file, the field's dotted path, the
value and what was expected; on the command line that is one line on stderr, exit status 2
and no traceback. Each bad case in ``BAD`` is checked through ``load_scenario`` and through
``sim.cli.main.main`` in-process; a few of the cases the issue names are also run as a real
``python -m sim check`` subprocess. No simulation is run (``check`` does not simulate).
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import textwrap
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.scenario import Scenario, ScenarioError, apply_overrides, deep_merge, load_scenario, parse_override, read_layers, validate
from sim.scenario.writing import toml_text, value_text

from conftest import run_triage, run_triage_process

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DEFAULT = SCENARIOS / "nottinghamshire-2016.toml"
SHIPPED = sorted(p for p in SCENARIOS.rglob("*.toml") if not p.name.endswith(".map.toml"))  # *.map.toml: CAD maps, not scenarios


# ---------------------------------------------------------------- helpers
def variant(folder: Path, body: str = "", name: str = "variant.toml", base: str | Path | None = DEFAULT) -> Path:
    """Write a scenario file into ``folder``: ``base = ...`` (if any) then ``body``."""
    head = f'base = "{Path(base).as_posix()}"\n' if base is not None else ""
    path = folder / name
    path.write_text(head + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def check_cli(*args: str) -> subprocess.CompletedProcess:
    """``triage-sim check ARGS`` as a user would run it, from the repository root."""
    return run_triage_process("check", *args, timeout=120)


def check_main(*args: str) -> subprocess.CompletedProcess:
    """The same command in-process (no interpreter start-up, so much faster)."""
    return run_triage("check", *args)


def set_args(overrides) -> list[str]:
    return [a for o in overrides for a in ("--set", o)]


def load_error(path: Path, overrides=()) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, list(overrides))
    return info.value


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """Assert the command failed as bad input should, and return its one stderr line."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("triage-sim: error: ")
    assert result.stdout == ""
    return lines[0]


# ---------------------------------------------------------------- bad input, one case per row
@dataclass(frozen=True)
class Bad:
    id: str
    body: str                    # the bad override, written below `base = <default>`
    path: str                    # dotted path the message must name ("" when no field applies)
    value: str                   # how the bad value must appear in the message
    expect: tuple[str, ...]      # fragments of "what was expected"
    overrides: tuple[str, ...] = ()  # --set KEY=VALUE
    base: bool = True            # False: the body names its own base


BAD = [
    Bad("unknown-key-typo", """
        [response.shifts.late]
        unitz = 5
        """, "response.shifts.late.unitz", "= 5",
        ("unknown key", "did you mean 'units'", "expected one of: days, hours, start, units")),
    Bad("unknown-top-level-table", """
        [polcy]
        kind = "risk_led"
        """, "polcy", "'risk_led'", ("unknown key", "did you mean 'policy'")),
    Bad("unknown-key-in-dict-of-tables", """
        [response.areas.urban]
        sharee = 0.75
        """, "response.areas.urban.sharee", "= 0.75",
        ("unknown key", "did you mean 'share'", "expected one of: blue_light, normal, share")),
    Bad("unknown-key-in-distribution", """
        [demand.channels.999]
        handling = { family = "lognormal", median = 5.0, p90 = 10.0, mena = 6.0 }
        """, "demand.channels.999.handling.mena", "= 6.0",
        ("unknown key", "did you mean 'mean'", "expected one of: family, mean, median, p90, sd")),
    Bad("unknown-key-in-optional-table", """
        [demand.channels.999.retry]
        probabilty = 0.5
        """, "demand.channels.999.retry.probabilty", "= 0.5",
        ("unknown key", "did you mean 'probability'", "expected one of: delay, probability, to_999")),
    Bad("unknown-grade-key", """
        [thrive]
        misgrading.G5 = { G4 = 1.0 }
        """, "thrive.misgrading.G5", "'G5'", ("expected one of", "'G1'", "'G4'")),
    Bad("wrong-type-headcount", """
        [response.shifts.late]
        units = "many"
        """, "response.shifts.late.units", "'many'", ("expected units as an integer >= 0", "list of 7")),
    Bad("wrong-type-headcount-bool", """
        [call_handling.shifts.late]
        staff = true
        """, "call_handling.shifts.late.staff", "True", ("expected staff as an integer",)),
    Bad("wrong-type-headcount-list-length", """
        [call_handling.shifts.late]
        staff = [12, 12]
        """, "call_handling.shifts.late.staff", "[12, 12]", ("list of 7 integers",)),
    Bad("wrong-type-number", """
        [demand.channels.101]
        calls_per_day = "lots"
        """, "demand.channels.101.calls_per_day", "'lots'", ("expected a number",)),
    Bad("wrong-type-bool", """
        [thrive]
        misgrading_enabled = "maybe"
        """, "thrive.misgrading_enabled", "'maybe'", ("expected true or false",)),
    Bad("wrong-type-table", """
        [demand.channels.999]
        handling = 5.0
        """, "demand.channels.999.handling", "5.0", ("expected a table",)),
    Bad("wrong-list-length", """
        [demand.channels.999]
        hour_of_day = [1.0, 2.0]
        """, "demand.channels.999.hour_of_day", "[1.0, 2.0]", ("expected a list of 24 values",)),
    Bad("wrong-choice", """
        [policy]
        kind = "risky"
        """, "policy.kind", "'risky'", ("expected one of", "'resource_led'", "'risk_led'")),
    Bad("bad-time-of-day", """
        [response.shifts.late]
        start = "25:00"
        """, "response.shifts.late.start", "'25:00'", ('"HH:MM"',)),
    Bad("missing-required-key", """
        [response.shifts.extra]
        units = 5
        """, "response.shifts.extra.start", "", ("required key is missing",)),
    Bad("out-of-range-calls-per-day", """
        [demand.channels.999]
        calls_per_day = -5
        """, "demand.channels.999.calls_per_day", "= -5", ("expected a number >= 0",)),
    Bad("out-of-range-probability", """
        [policy.resource_led.rules.G1]
        probability = 1.5
        """, "policy.resource_led.rules.G1.probability", "= 1.5", ("expected a number <= 1",)),
    Bad("out-of-range-nan", """
        [demand.channels.101]
        calls_per_day = nan
        """, "demand.channels.101.calls_per_day", "nan", ("expected a finite number",)),
    Bad("infinite-days", """
        [run]
        days = inf
        """, "run.days", "inf", ("expected a finite number",)),
    Bad("string-for-number", """
        [demand.channels.999]
        calls_per_day = "600"
        """, "demand.channels.999.calls_per_day", "'600'", ("expected a number",)),
    Bad("out-of-range-arrest-probability", """
        [response]
        arrest_probability = { G1 = 1.2 }
        """, "response.arrest_probability.G1", "= 1.2", ("must lie in [0, 1]",)),
    Bad("risk-mix-not-summing-to-1", """
        [demand.channels.999]
        risk = { none = 0.15, G1 = 0.17, G2 = 0.26, G3 = 0.15, G4 = 0.30 }
        """, "demand.channels.999.risk", "'G4': 0.3", ("risk mix", "must sum to 1", "sum to 1.03")),
    Bad("misgrading-row-not-summing-to-1", """
        [thrive]
        misgrading.G2 = { G1 = 0.05, G2 = 0.80, G3 = 0.10 }
        """, "thrive.misgrading.G2", "{'G1': 0.05, 'G2': 0.8, 'G3': 0.1}", ("must sum to 1", "sum to 0.95")),
    Bad("misgrading-last-row-not-summing-to-1", """
        [thrive]
        misgrading.G4 = { G4 = 0.9 }
        """, "thrive.misgrading.G4", "{'G4': 0.9}", ("must sum to 1", "sum to 0.9")),
    Bad("units-needed-not-summing-to-1", """
        [response]
        units_needed.G1 = { 1 = 0.70, 2 = 0.25, 3 = 0.10 }
        """, "response.units_needed.G1", "'3': 0.1", ("must sum to 1", "sum to 1.05")),
    Bad("category-mix-not-summing-to-1", """
        [thrive]
        categories.G4 = { theft = 0.5 }
        """, "thrive.categories.G4", "'theft': 0.5", ("must sum to 1",)),
    Bad("area-shares-not-summing-to-1", """
        [response.areas.urban]
        share = 0.5
        """, "response.areas", "'share': 0.5", ("area shares", "must sum to 1", "sum to 0.75")),
    Bad("no-call-handler-at-night", """
        [call_handling.shifts.night]
        staff = 0
        """, "call_handling.shifts", "Mon 00:00",
        ("no call handler on duty", "expected at least one call handler on duty whenever calls are expected")),
    Bad("no-call-handler-one-night-of-the-week", """
        [call_handling.shifts.night]
        staff = [7, 7, 0, 7, 7, 7, 7]   # Wednesday's night shift (into Thursday) is empty
        """, "call_handling.shifts", "Thu 00:00", ("no call handler on duty",)),
    Bad("no-call-handler-at-weekend", """
        [call_handling.shifts.early]
        days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
        """, "call_handling.shifts", "Sat 07:00", ("no call handler on duty",)),
    Bad("no-response-unit-at-night", """
        [response.shifts.night]
        units = 0
        """, "response.shifts", "Mon 00:00",
        ("no response unit on duty", "whenever G1/G2 incidents are expected")),
    Bad("missing-base-file", """
        base = "nope.toml"
        """, "base", "'nope.toml'", ("base file not found",), base=False),
    Bad("base-not-a-string", """
        base = 5
        """, "base", "= 5", ("expected a file name",), base=False),
    Bad("malformed-toml", """
        [run]
        days = 28 days
        """, "", "", ("malformed TOML", "line 3")),
    Bad("unknown-distribution-family", """
        [response.on_scene.G1]
        family = "weibull"
        shape = 2.0
        """, "response.on_scene.G1", "'weibull'",
        ("unknown distribution family", "'fixed'", "'lognormal'", "'empirical'")),
    Bad("distribution-without-family", """
        [response.areas.suburb]
        share = 0.0
        blue_light = { median = 5.0, p90 = 10.0 }
        normal = { family = "fixed", value = 10.0 }
        """, "response.areas.suburb.blue_light", "{'median': 5.0, 'p90': 10.0}", ("'family' key",)),
    Bad("lognormal-p90-equal-to-median", """
        [demand.channels.999]
        handling = { family = "lognormal", median = 10.0, p90 = 10.0 }
        """, "demand.channels.999.handling", "'p90': 10.0", ("p90 (10.0) must be greater than median (10.0)",)),
    Bad("lognormal-p90-below-median", """
        [response.areas.rural]
        normal = { family = "lognormal", median = 20.0, p90 = 15.0 }
        """, "response.areas.rural.normal", "'p90': 15.0", ("must be greater than median",)),
    Bad("distribution-in-table-named-like-a-family", """
        [response.shifts.gamma]
        start = "07:00"
        hours = 1
        units = "x"
        """, "response.shifts.gamma.units", "'x'", ("expected units as an integer",)),
    Bad("start-date-not-a-monday", """
        [run]
        start_date = 2016-09-06
        """, "run.start_date", "2016-09-06", ("expected a Monday", "is a Tue")),
    Bad("start-date-not-a-date", """
        [run]
        start_date = "monday"
        """, "run.start_date", "'monday'", ("expected a date YYYY-MM-DD",)),
    Bad("set-bad-value", "", "run.days", "= -1", ("expected a number > 0",), ("run.days=-1",)),
    Bad("set-unknown-key", "", "policy.knd", "'risk_led'",
        ("unknown key", "did you mean 'kind'"), ("policy.knd=risk_led",)),
    Bad("set-wrong-type", "", "response.shifts.late.units", "'lots'",
        ("expected units as an integer",), ("response.shifts.late.units=lots",)),
]


# every case goes through ``sim.cli.main.main`` in-process (same code, no interpreter start-up),
# to keep the file fast; a few of the cases the issue names, one of each kind (a field, the TOML
# itself, a base file, --set), are also run as a real subprocess: exit 2 without a traceback
ISSUE_CASES = {
    "unknown-key-typo", "wrong-type-headcount", "out-of-range-calls-per-day", "out-of-range-probability",
    "risk-mix-not-summing-to-1", "misgrading-row-not-summing-to-1", "units-needed-not-summing-to-1",
    "no-call-handler-at-night", "missing-base-file", "malformed-toml", "unknown-distribution-family",
    "lognormal-p90-equal-to-median", "start-date-not-a-monday", "set-bad-value", "set-unknown-key",
}
PROCESS_CASES = {"unknown-key-typo", "malformed-toml", "missing-base-file", "set-bad-value"}


def write_case(folder: Path, case: Bad) -> Path:
    return variant(folder, case.body, base=DEFAULT if case.base else None)


def assert_names_everything(message: str, path: Path, case: Bad) -> None:
    assert str(path) in message
    if case.path:
        assert f"{path}: {case.path}" in message
    assert case.value in message
    for fragment in case.expect:
        assert fragment in message


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_bad_input_raises_one_clear_scenario_error(tmp_path, case):
    path = write_case(tmp_path, case)
    err = load_error(path, case.overrides)
    assert err.file == str(path)
    assert err.path == case.path
    assert_names_everything(str(err), path, case)
    assert "\n" not in str(err)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_bad_input_cli_main_exits_2_with_one_line(tmp_path, case):
    path = write_case(tmp_path, case)
    line = one_error_line(check_main(str(path), *set_args(case.overrides)))
    assert_names_everything(line, path, case)


def test_issue_cases_exist():
    assert PROCESS_CASES <= ISSUE_CASES <= {c.id for c in BAD}


@pytest.fixture(scope="module")
def issue_case_runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Run the chosen issue cases' ``check`` subprocesses, a few at a time (start-up dominates)."""
    def run(case: Bad):
        path = write_case(tmp_path_factory.mktemp(case.id), case)
        return case.id, (path, check_cli(str(path), *set_args(case.overrides)))

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return dict(pool.map(run, [c for c in BAD if c.id in PROCESS_CASES]))


@pytest.mark.parametrize("case", [c for c in BAD if c.id in PROCESS_CASES], ids=lambda c: c.id)
def test_bad_input_subprocess_exits_2_without_traceback(issue_case_runs, case):
    path, result = issue_case_runs[case.id]
    assert_names_everything(one_error_line(result), path, case)


# ---------------------------------------------------------------- more bad input: files, --set
def test_missing_base_says_where_it_looked(tmp_path):
    err = load_error(variant(tmp_path, 'base = "nope.toml"\n', base=None))
    assert str(tmp_path / "nope.toml") in str(err)


def test_missing_scenario_file(tmp_path):
    missing = tmp_path / "no-such-scenario.toml"
    err = load_error(missing)
    assert str(missing) in str(err) and "file not found" in str(err)
    line = one_error_line(check_main(str(missing)))
    assert str(missing) in line and "file not found" in line


def test_malformed_base_file_is_named(tmp_path):
    broken = variant(tmp_path, "[meta\nname = 'x'\n", name="broken-base.toml", base=None)
    top = variant(tmp_path, "[meta]\nname = 'top'\n", base=broken.name)
    for message in (str(load_error(top)), one_error_line(check_main(str(top)))):
        assert str(broken) in message and "malformed TOML" in message and "line 1" in message


def test_non_utf8_file(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    assert "UTF-8" in str(load_error(path))
    assert "UTF-8" in one_error_line(check_main(str(path)))


@pytest.mark.parametrize("chain", [["a.toml"], ["a.toml", "b.toml"], ["a.toml", "b.toml", "c.toml"]],
                         ids=["self", "two", "three"])
def test_cyclic_base_chain_is_an_error(tmp_path, chain):
    for name, nxt in zip(chain, chain[1:] + chain[:1]):
        variant(tmp_path, "[meta]\nname = 'loop'\n", name=name, base=nxt)
    err = load_error(tmp_path / chain[0])
    assert err.path == "base" and "loop" in err.expected
    line = one_error_line(check_main(str(tmp_path / chain[0])))
    assert "base" in line and "must not loop back" in line


def test_a_chain_of_bases_is_not_a_cycle(tmp_path):
    # a -> b -> default is a chain, not a loop, even though both layers name a base
    variant(tmp_path, "[meta]\nname = 'b'\n", name="b.toml")
    a = variant(tmp_path, "[meta]\nname = 'a'\n", name="a.toml", base="b.toml")
    assert load_scenario(a).meta.name == "a"


@pytest.mark.parametrize("text, expected", [
    ("run.days", "expected KEY=VALUE"),
    ("=5", "expected a dotted key"),
    ("run..days=1", "expected a dotted key"),
])
def test_malformed_set_option(text, expected):
    err = load_error(DEFAULT, [text])
    assert err.file == "--set" and expected in str(err)
    line = one_error_line(check_main("--set", text))
    assert "--set" in line and expected in line


def test_set_inside_a_non_table_is_an_error():
    err = load_error(DEFAULT, ["response.blue_light_grades.first=G2"])
    assert err.path == "response.blue_light_grades" and "not a table" in str(err)
    line = one_error_line(check_main("--set", "response.blue_light_grades.first=G2"))
    assert "response.blue_light_grades" in line


def test_days_option_is_validated_like_run_days():
    line = one_error_line(check_main("--days", "0"))
    assert "run.days" in line and "expected a number > 0" in line


@pytest.mark.parametrize("where", ["scenario", "base"])
def test_a_folder_is_not_a_scenario_file(tmp_path, where):
    path = tmp_path if where == "scenario" else variant(tmp_path, "", base=".")
    line = one_error_line(check_main(str(path)))
    assert str(path) in line


def test_an_error_in_an_inherited_value_names_the_base_file_that_wrote_it(tmp_path):
    base = variant(tmp_path, "[run]\nseed = -1\n", name="base.toml")
    top = variant(tmp_path, "[meta]\nname = 'top'\n", name="top.toml", base=base.name)
    err = load_error(top)
    assert err.file == str(base) and err.path == "run.seed" and str(top) in str(err)
    # the top file overriding the same field is the one to blame
    top2 = variant(tmp_path, "[run]\nseed = -2\n", name="top2.toml", base=base.name)
    assert load_error(top2).file == str(top2)


# ---------------------------------------------------------------- good paths
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_scenario_loads(path):
    s = load_scenario(path)
    assert isinstance(s, Scenario) and s.meta.name


def test_shipped_scenarios_are_found():
    assert DEFAULT in SHIPPED and len(SHIPPED) >= 3


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_resolved_scenario_round_trips(tmp_path, path):
    s = load_scenario(path)
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(toml_text(s.to_dict()), encoding="utf-8")
    again = load_scenario(resolved)
    assert again == s
    assert again.to_dict() == s.to_dict()


def test_shipped_variants_differ_from_the_default_only_where_they_say():
    default = load_scenario(DEFAULT).to_dict()
    late = load_scenario(SCENARIOS / "late-shift-plus-10.toml").to_dict()
    more = [a - b for a, b in zip(late["response"]["shifts"]["late"]["units"],
                                  default["response"]["shifts"]["late"]["units"])]
    assert more == [10] * 7
    for d in (default, late):
        del d["meta"], d["response"]["shifts"]["late"]["units"]
    assert late == default
    assert load_scenario(SCENARIOS / "risk-led.toml").policy.kind == "risk_led"


def test_set_policy_kind():
    assert load_scenario(DEFAULT).policy.kind == "resource_led"
    assert load_scenario(DEFAULT, ["policy.kind=risk_led"]).policy.kind == "risk_led"
    result = check_main("--set", "policy.kind=risk_led")
    assert result.returncode == 0, result.stderr
    assert tomllib.loads(result.stdout)["policy"]["kind"] == "risk_led"


def test_set_value_that_is_not_toml_is_a_string():
    assert parse_override("meta.name=my scenario") == (["meta", "name"], "my scenario")
    assert parse_override(" policy.kind = risk_led ") == (["policy", "kind"], "risk_led")
    assert load_scenario(DEFAULT, ["meta.name=my scenario"]).meta.name == "my scenario"


@pytest.mark.parametrize("text, value", [
    ("run.days=14", 14),
    ("run.days=2.5", 2.5),
    ("thrive.misgrading_enabled=false", False),
    ('meta.name="quoted"', "quoted"),
    ("run.start_date=2016-09-12", dt.date(2016, 9, 12)),
    ("response.blue_light_grades=['G1', 'G2']", ["G1", "G2"]),
    ("demand.channels.999.handling={ family = 'fixed', value = 3 }", {"family": "fixed", "value": 3}),
    ("meta.name=a=b", "a=b"),
])
def test_set_value_is_read_as_toml(text, value):
    assert parse_override(text)[1] == value


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(),
                 st.text(alphabet=st.characters(blacklist_categories=["Cs"]))))
def test_set_value_round_trips_any_toml_scalar(value):
    written = value_text(value)
    assert parse_override(f"a.b={written}") == (["a", "b"], value)


def test_set_overrides_apply_in_order_and_deep():
    s = load_scenario(DEFAULT, ["run.days=7", "run.days=14", "response.shifts.late.units=60",
                                "demand.channels.999.handling.median=4.0"])
    base = load_scenario(DEFAULT)
    assert s.run.days == 14
    assert s.response.shifts["late"].units == (60,) * 7
    assert s.response.shifts["late"].start == base.response.shifts["late"].start
    assert s.demand.channels.c999.handling.median == 4.0
    assert s.demand.channels.c999.handling.p90 == base.demand.channels.c999.handling.p90


def test_apply_overrides_does_not_change_its_input():
    data = {"run": {"days": 28}, "policy": {"kind": "none"}}
    out = apply_overrides(data, ["run.days=7", "policy.extra.deep=1"])
    assert data == {"run": {"days": 28}, "policy": {"kind": "none"}}
    assert out == {"run": {"days": 7}, "policy": {"kind": "none", "extra": {"deep": 1}}}


def test_deep_merge_merges_tables_and_replaces_everything_else():
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2, 3], "s": {"t": 1}, "k": 1}
    top = {"a": {"y": {"q": 3}, "z": 4}, "l": [9], "s": 5, "k": {"new": 1}}
    assert deep_merge(base, top) == {"a": {"x": 1, "y": {"p": 1, "q": 3}, "z": 4}, "l": [9], "s": 5,
                                     "k": {"new": 1}}
    assert base == {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2, 3], "s": {"t": 1}, "k": 1}


def test_base_chain_merges_tables_key_by_key_and_replaces_lists(tmp_path):
    middle = variant(tmp_path, """
        [meta]
        name = "middle"
        sources = ["only this one"]

        [response]
        blue_light_grades = ["G1", "G2"]

        [response.shifts.late]
        units = 60
        """, name="middle.toml")
    top = variant(tmp_path, """
        [meta]
        name = "top"

        [policy]
        kind = "risk_led"
        """, name="top.toml", base=middle.name)
    default, s = load_scenario(DEFAULT), load_scenario(top)
    assert s.meta.name == "top"
    assert s.meta.description == default.meta.description      # inherited two layers down
    assert s.meta.sources == ["only this one"]                  # lists are replaced, not appended
    assert s.response.blue_light_grades == ["G1", "G2"]
    late, default_late = s.response.shifts["late"], default.response.shifts["late"]
    assert late.units == (60,) * 7                              # changed key
    assert (late.start, late.hours, late.days) == (default_late.start, default_late.hours, default_late.days)
    assert s.response.shifts["early"] == default.response.shifts["early"]
    assert s.policy.kind == "risk_led"
    assert s.policy.resource_led == default.policy.resource_led
    assert "base" not in read_layers(top)


def test_base_is_resolved_from_the_variant_folder_not_the_working_directory(tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "copy-of-default.toml").write_text(DEFAULT.read_text(encoding="utf-8"), encoding="utf-8")
    path = variant(tmp_path, "[meta]\nname = 'relative'\n", base="sub/copy-of-default.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_scenario(path).meta.name == "relative"
    result = check_main(str(path))
    assert result.returncode == 0, result.stderr


def test_a_gap_in_the_rota_is_allowed_where_there_is_no_demand(tmp_path):
    # no call handler 00:00-07:00, but no calls then either
    night_off = "[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, " + ", ".join(["1.0"] * 17) + "]"
    path = variant(tmp_path, f"""
        [call_handling.shifts.night]
        staff = 0

        [demand.channels.999]
        hour_of_day = {night_off}

        [demand.channels.101]
        hour_of_day = {night_off}
        """)
    assert load_scenario(path).call_handling.shifts["night"].staff == (0,) * 7


def test_validate_reports_the_source_it_is_given():
    data = read_layers(DEFAULT)
    data["run"] = {**data["run"], "warmup_days": -1}
    with pytest.raises(ScenarioError) as info:
        validate(data, source="somewhere.toml")
    assert str(info.value).startswith("somewhere.toml: run.warmup_days = -1: ")


def test_check_on_the_default_prints_the_resolved_scenario():
    result = check_cli()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "valid" in result.stdout.splitlines()[0]
    # everything printed is TOML (the derived figures are comments) and it is the default
    printed = tomllib.loads(result.stdout)
    assert "base" not in printed
    assert validate(printed) == load_scenario(DEFAULT)
    assert "# derived" in result.stdout


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_check_on_each_shipped_scenario(path):
    result = check_main(str(path))
    assert result.returncode == 0, result.stderr
    assert validate(tomllib.loads(result.stdout)) == load_scenario(path)


@pytest.mark.parametrize("value", ['"2016-09-09T18:00"', '"2016-09-09T18:00:00"', '"2016-09-09 18:00"',
                                   "2016-09-09T18:00:00"])
def test_surge_times_as_toml_datetimes_or_strings(value):
    s = load_scenario(DEFAULT, [f"demand.surges=[{{start={value},end=2016-09-10T02:00:00,factor=1.4}}]"])
    assert s.demand.surges[0].start == dt.datetime(2016, 9, 9, 18, 0)


@pytest.mark.parametrize("value, words", [
    ('"Friday evening"', "expected a date and time YYYY-MM-DDTHH:MM (seconds optional)"),
    ('"2016-09-09T18:00+01:00"', "without a time zone"),
    ('"2016-09-09T18:30"', "must be on the hour"),
])
def test_bad_surge_times(value, words):
    with pytest.raises(ScenarioError, match="demand.surges.0") as err:
        load_scenario(DEFAULT, [f"demand.surges=[{{start={value},end=2016-09-10T02:00:00,factor=1.4}}]"])
    assert words in str(err.value)


def test_a_byte_order_mark_is_accepted(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + f'base = "{DEFAULT.as_posix()}"\n[run]\ndays = 7\n'.encode())
    assert load_scenario(f).run.days == 7


def test_the_shipped_scenarios_are_package_data():
    """sim/_scenarios (the link a wheel ships) is the checkout's scenarios/, the default is in it,
    and pyproject's package-data patterns take every file there (a deeper folder would be missed)."""
    import fnmatch
    import tomllib

    from sim.scenario import SHIPPED_SCENARIOS, default_scenario

    assert SHIPPED_SCENARIOS == SCENARIOS.resolve() and default_scenario() == (SCENARIOS / "nottinghamshire-2016.toml").resolve()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["sim"]
    files = [f"_scenarios/{p.relative_to(SCENARIOS).as_posix()}" for p in SCENARIOS.rglob("*") if p.is_file()]
    missed = [f for f in files if not any(fnmatch.fnmatch(f, pat) and f.count("/") == pat.count("/") for pat in patterns)]
    assert files and not missed
