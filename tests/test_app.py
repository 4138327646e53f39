"""The workshop app, headless (Streamlit's AppTest): every page renders, each preset runs,
a scripted play session reaches the debrief whose numbers equal a direct library run of the
same decisions, and bad control values give a message, not a traceback."""
import json
import math
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from sim.app import play as pl  # noqa: E402
from sim.app import whatif as w  # noqa: E402
from sim.app.text import plain  # noqa: E402
from sim.app.facilitator import ENV_FOLDER, load_debriefs, side_by_side  # noqa: E402
from sim.model.policies import CHOICES  # noqa: E402

MAIN = str(Path(__file__).resolve().parents[1] / "sim" / "app" / "main.py")
PAGES = {"views/whatif.py": "What-if", "views/live.py": "Live peak", "views/play.py": "Play the controller",
         "views/facilitator.py": "Facilitator"}


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_FOLDER, str(tmp_path / "session"))
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]


def test_every_page_renders(app):
    for path, title in PAGES.items():
        app.switch_page(path).run()
        _ok(app)
        assert any(t.value.startswith(title) for t in app.title), (path, [t.value for t in app.title])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(w.PRESETS))
def test_each_preset_runs_and_shows_verdict_and_kpis(app, name):
    app.selectbox(key="wi_preset").set_value(name).run()
    app.number_input(key=f"wi_{name}_days").set_value(2)
    app.number_input(key=f"wi_{name}_reps").set_value(2)
    app.button[0].click().run()
    _ok(app)
    assert not app.error or "NOT meet" in app.error[0].value or "meet" in app.error[0].value
    verdicts = [e.value for e in [*app.error, *app.success, *app.warning]]
    assert any("HMIC's recommendation" in v and name in v for v in verdicts), verdicts
    assert any(i.value.startswith("**What changed:**") for i in app.info)
    result = app.session_state["wi_result"]
    assert result.controls.days == 2 and result.controls.reps == 2
    shown = {m.label: m.value for m in app.metric}
    dg = result.variant.kpi("resource_downgrades_per_week")["mean"]
    assert shown["Downgrades / week"] == f"{dg:.1f}"
    # the change the preset names really reached the variant and not the baseline
    v, b = result.variant.scenario, result.baseline.scenario
    if name == "Friday-night surge":
        assert v.demand.surges and not b.demand.surges and v.demand.surges[0].start.weekday() == 4
    elif name == "Move the late shift":
        assert v.response.shifts["late"].start == "16:00" != b.response.shifts["late"].start
    else:
        assert v.policy.kind == "risk_led" and v.policy.risk_led.escalation.enabled == (name.startswith("Borrow"))


@pytest.mark.parametrize("field,value,words", [
    ("late", "25:99", "start"),
    ("late", "teatime", "start"),
])
def test_bad_control_value_gives_a_message(app, field, value, words):
    app.selectbox(key="wi_preset").set_value("Custom").run()
    app.text_input(key=f"wi_Custom_{field}").set_value(value)
    app.button[0].click().run()
    _ok(app)
    assert app.error and "Cannot run this" in app.error[0].value and words in app.error[0].value
    assert "Traceback" not in app.error[0].value


def test_controls_out_of_range_named():
    s = w.base_scenario()
    for c, words in ((w.Controls(days=0), "days: 0"), (w.Controls(reps=50), "replications: 50"),
                     (w.Controls(demand=float("nan")), "demand multiplier"),
                     (w.Controls(units={"late": -3}), "units on the late shift: -3"),
                     (w.Controls(units={"lunch": 3}), "no response shift named 'lunch'"),
                     (w.Controls(policy="panic"), "policy: 'panic'"),
                     (w.Controls(surge=w.Surge("Fri", 18, 8, 900)), "surge (+%): 900")):
        with pytest.raises(w.ControlError, match=words.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
            w.build(c, s)


def test_what_if_is_paired_on_the_same_callers():
    r = w.run(w.preset("Move the late shift", days=2, reps=3))
    t = r.comparison.set_index("kpi")
    # the same callers: calls offered differ only through retries, incidents' count identical by construction
    assert t.loc["incidents_g1", "diff"] == 0 and t.loc["incidents_g1", "mean_a"] > 0
    assert list(r.baseline.replications["seed"]) == list(r.variant.replications["seed"])


@pytest.mark.slow
def test_live_page_steps_and_shows_ticker(app):
    app.switch_page("views/live.py").run()
    _ok(app)
    peak = app.session_state["live"]
    start = peak.now
    for _ in range(16):   # four hours into the Friday peak
        app.button(key="lv_step").click().run()
        _ok(app)
    peak = app.session_state["live"]
    assert math.isclose(peak.now, start + 240)
    labels = {m.label: m.value for m in app.metric}
    assert {"Units free", "Units busy", "On a break / briefing", "G1 / G2 pending", "Downgrades so far"} <= set(labels)
    assert any("ticker" in m.value and "G1" in m.value for m in app.markdown)


def _play_through(app, pick):
    app.switch_page("views/play.py").run()
    app.text_input(key="pl_name").set_value("Sam Trainee")
    app.button[0].click().run()
    _ok(app)
    n = 0
    while "game" in app.session_state and not app.session_state["game"].over:
        n += 1
        app.radio(key=f"pl_choice{n}").set_value(pick(n))
        app.button[0].click().run()
        _ok(app)
        assert n < 200
    return app.session_state["game"], n


def test_scripted_play_session_reaches_debrief_equal_to_direct_run(app, tmp_path):
    game, n = _play_through(app, lambda k: CHOICES[k % len(CHOICES)])
    assert 5 <= n <= 40, n           # a trainee's shift of decisions (8 with this script on the default)
    assert any(m.value.startswith("### Debrief: Sam Trainee") for m in app.markdown)
    d = game.debrief()
    assert d["same_callers"]
    # the 'you' column is a direct library run of the same decisions
    direct = pl.outcomes(game.replay_log(), game.start, game.end)
    for k, v in direct.items():
        assert d["rows"]["you"][k] == v or (v != v and d["rows"]["you"][k] != d["rows"]["you"][k]), k
    # the page shows those numbers, and the two controllers' columns
    shown = app.table[0].value
    assert list(shown.columns)[1:] == ["You", "Resource-led controller", "Risk-led controller"]
    assert shown.to_dict("records") == [dict(zip(shown.columns, r.values())) for r in pl.debrief_table(d)]
    assert d["rows"]["risk-led controller"]["downgrades"] == 0
    # the comparison rows are the same callers: same incidents graded G1/G2 in the window
    for who in ("resource-led controller", "risk-led controller"):
        assert d["rows"][who]["g1_incidents"] == d["rows"]["you"]["g1_incidents"] > 0
    # the trainee's wrong calls are the ones a true-risk view names
    downgraded_true_high = [x for x in d["decisions"] if x["choice"] == "downgrade" and x["true_risk"] <= x["grade"]]
    assert len([x for x in d["wrong"] if x["why"].startswith("downgraded")]) == len(downgraded_true_high)
    # every decision is listed (not only the wrong ones), each with both controllers' actions on that caller
    assert len(d["every_decision"]) == n == len(game.decisions)
    assert [r["choice"] for r in d["every_decision"]] == [pl.CHOICE_TEXT[x.choice] for x in game.decisions]
    assert sum(r["wrong"] for r in d["every_decision"]) == len(d["wrong"]) < n
    listed = app.table[1].value
    assert len(listed) == n
    assert {plain(c) for c in ("you chose", "resource-led controller", "risk-led controller")} <= set(listed.columns)
    # saved for the facilitator, atomically, readable back
    files = list((tmp_path / "session").glob("*.json"))
    assert len(files) == 1 and not list((tmp_path / "session").glob(".*tmp*"))
    assert json.loads(files[0].read_text())["rows"]["you"]["decisions"] == n
    app.switch_page("views/facilitator.py").run()
    _ok(app)
    assert any("Sam Trainee" in str(v) for v in app.table[0].value.iloc[:, 1])


def test_all_downgrade_trainee_downgrades_more_than_risk_led(app):
    game, n = _play_through(app, lambda k: "downgrade")
    d = game.debrief()
    you, rl = d["rows"]["you"], d["rows"]["risk-led controller"]
    assert you["downgrades"] == sum(1 for x in d["decisions"] if x["choice"] == "downgrade") == n
    assert you["downgrades"] > rl["downgrades"] == 0
    assert len(d["wrong"]) >= 1


def test_facilitator_names_a_damaged_file(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "broken.json").write_text("{not json")
    g = pl.Game(w.base_scenario(), pl.Shift(hours=1), "Ann")
    while not g.over:
        g.decide("keep")
    p1 = pl.save_debrief(folder, g.debrief())
    p2 = pl.save_debrief(folder, g.debrief())
    assert p1 != p2   # never overwritten
    debriefs, problems = load_debriefs(folder)
    assert len(debriefs) == 2 and len(problems) == 1 and "broken.json" in problems[0]
    table = side_by_side(debriefs)
    assert "risk-led controller" in table.columns and table.shape[1] == 4


def test_bad_choice_refused():
    g = pl.Game(w.base_scenario(), pl.Shift(hours=4), "x")
    with pytest.raises(ValueError, match="choice: 'panic'"):
        g.decide("panic")


def test_app_command_bad_input_one_line(capsys, tmp_path):
    from sim.cli.main import main

    assert main(["app", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert "--port: 70000" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["app", "--scenario", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert "nope.toml" in err and "Traceback" not in err


@pytest.mark.slow
def test_what_if_puts_the_force_on_a_team_pattern(app):
    app.selectbox(key="wi_preset").set_value("Custom").run()
    app.selectbox(key="wi_Custom_rota").set_value("4-on-4-off")
    app.number_input(key="wi_Custom_days").set_value(2)
    app.number_input(key="wi_Custom_reps").set_value(2)
    app.button[0].click().run()
    _ok(app)
    r = app.session_state["wi_result"]
    assert r.variant.scenario.response.pattern is not None and r.baseline.scenario.response.pattern is None


def test_every_decision_shows_what_each_controller_did_with_the_same_caller():
    g = pl.Game(w.base_scenario(), pl.Shift(hours=4), "x")
    k = 0
    while not g.over:
        g.decide("downgrade" if k % 2 else "keep")
        k += 1
    d = g.debrief()
    rows = d["every_decision"]
    assert len(rows) == k >= 5
    logs = {"you": g.session.finish(), **pl.reference_logs(g)}
    for x, r in zip(g.decisions, rows):
        # the caller is found in each run by caller number: same arrival in all three runs
        for who in ("you", *pl.CONTROLLERS):
            c = logs[who].calls
            assert (c.loc[c["caller"] == x.caller, "arrival"].iloc[0]
                    == logs["you"].calls.loc[logs["you"].calls["caller"] == x.caller, "arrival"].iloc[0])
        if x.choice == "downgrade":
            assert "downgraded" in r["you"] and "(no unit free)" in r["you"]
        # a risk-led controller never downgrades for lack of officers
        assert "(no unit free)" not in r["risk-led controller"]
        assert r["wrong"] == (r["verdict"] != "fits the caller's true risk")
    # the resource-led controller downgrades some of these callers: its actions are not copied from the trainee's
    assert any("downgraded" in r["resource-led controller"] for r in rows)
