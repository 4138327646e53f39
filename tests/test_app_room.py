"""The workshop as a room (issue 26): the facilitator's table (a row per trainee, ranked on the
scores the two controllers are compared on, each trainee against both on their own callers),
its CSV and figure, written to the session folder too."""
import io
import json

import pandas as pd
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from sim.app import facilitator as fa  # noqa: E402
from sim.app import play as pl  # noqa: E402
from sim.app import whatif as w  # noqa: E402
from sim.app.text import diff, fmt  # noqa: E402
from sim.util.cells import read_csv  # noqa: E402

MAIN = str(fa.Path(__file__).resolve().parents[1] / "sim" / "app" / "main.py")
SCRIPTS = {"Ann Keep": lambda k: "keep", "Bo Downgrade": lambda k: "downgrade",
           "Cy Mixed": lambda k: pl.CHOICES[k % len(pl.CHOICES)]}


@pytest.fixture(scope="module")
def room_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("room") / "session"
    s, refs = w.base_scenario(), pl.ReferenceCache()
    for i, (name, pick) in enumerate(SCRIPTS.items()):
        g = pl.Game(s, pl.Shift(hours=2, replication=0 if i < 2 else 1), name)
        k = 0
        while not g.over:
            g.decide(pick(k))
            k += 1
        pl.save_debrief(folder, g.debrief(refs))
    return folder


def test_room_ranks_each_trainee_against_both_controllers_on_their_callers(room_folder):
    debriefs, problems = fa.load_debriefs(room_folder)
    assert len(debriefs) == 3 and not problems
    t = fa.room(debriefs)
    assert list(t["rank"]) == [1, 2, 3] and set(t["name"]) == set(SCRIPTS)
    for _, r in t.iterrows():
        d = next(x for x in debriefs if x["file"] == r["file"])
        for who in ("risk-led", "resource-led"):
            ref = d["rows"][f"{who} controller"]["high_risk_downgraded"]
            assert r[f"vs {who}"] == r["high_risk_downgraded"] - ref
    # ranked on the difference from the risk-led controller: never better-ranked with more downgrades of true G1/G2
    assert t["vs risk-led"].is_monotonic_increasing
    # the trainee who never downgrades is first; the one who always does, below them
    assert t.iloc[0]["name"] == "Ann Keep" and t.iloc[0]["vs risk-led"] == 0
    assert t.set_index("name").loc["Bo Downgrade", "vs risk-led"] > 0
    # another score: higher is better for a share
    t2 = fa.room(debriefs, "g1_in_target")
    assert t2["vs risk-led"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="rank by: 'nope'"):
        fa.room(debriefs, "nope")


def test_room_csv_has_a_row_per_trainee_and_the_figure_is_a_png(room_folder, tmp_path):
    debriefs, _ = fa.load_debriefs(room_folder)
    t = fa.room(debriefs)
    back = pd.read_csv(io.StringIO(fa.room_csv(t)))
    assert len(back) == 3 and set(back["name"]) == set(SCRIPTS)
    assert {"rank", "decisions", "wrong", "high_risk_downgraded", "risk-led high_risk_downgraded",
            "resource-led high_risk_downgraded", "vs risk-led", "vs resource-led"} <= set(back.columns)
    png = fa.room_figure(t)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    paths = fa.save_room(tmp_path / "out", t, png)
    assert len(read_csv(paths[0])) == 3 and paths[1].read_bytes() == png
    # the page's table: the trainees in rank order, then both controllers for each set of callers
    rows = fa.shown(t, "high_risk_downgraded", fmt, diff)
    assert [r["Trainee"].split(" · ")[0] for r in rows[:3]] == list(t["name"])
    assert sum(r["#"] == "–" for r in rows) == 4 and "Callers" in rows[0]


def test_facilitator_page_shows_the_room_and_writes_its_results(room_folder, monkeypatch):
    monkeypatch.setenv(fa.ENV_FOLDER, str(room_folder))
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("views/facilitator.py").run()
    assert not at.exception, at.exception
    shown = at.table[0].value
    assert len(shown) == 3 + 4
    assert (room_folder / "room-results.csv").exists() and (room_folder / "room-results.png").exists()
    assert len(read_csv(room_folder / "room-results.csv")) == 3
    at.selectbox(key="fa_rank").set_value("g1_in_target").run()
    assert not at.exception
    assert list(read_csv(room_folder / "room-results.csv")["name"]) == list(fa.room(fa.load_debriefs(room_folder)[0],
                                                                                      "g1_in_target")["name"])


def test_reference_cache_gives_the_same_debrief_as_running_the_controllers():
    s, refs = w.base_scenario(), pl.ReferenceCache(size=1)
    a, b = (pl.Game(s, pl.Shift(hours=1), n) for n in ("a", "b"))
    for g in (a, b):
        while not g.over:
            g.decide("keep")
    da, db = a.debrief(refs), b.debrief()
    assert da["rows"] == {**db["rows"], "you": da["rows"]["you"]} and da["every_decision"] == db["every_decision"]
    assert len(refs._logs) == 1


def test_trainee_session_export_is_short_and_complete(room_folder):
    d = next(x for x in fa.load_debriefs(room_folder)[0] if x["name"] == "Cy Mixed")
    text = pl.session_export(d)
    out = json.loads(text)
    assert len(text) < 20_000
    assert (out["seed"], out["replication"], out["shift"]) == (d["seed"], d["replication"], d["shift"])
    assert len(out["decisions"]) == len(d["decisions"]) == len(d["every_decision"]) > 0
    assert set(out["scores"]["True G1/G2 callers downgraded for lack of officers"]) == {
        "you", "resource-led controller", "risk-led controller"}
    back = pd.read_csv(io.StringIO(pl.session_csv(d)))
    assert len(back) == len(d["decisions"]) and "risk-led controller" in back.columns


def _peak(seed=None, steps=6, minutes=20.0):
    from sim.app import live as lv

    p = lv.LivePeak(w.base_scenario(), seed=seed)
    sizes = [len(p.series())]
    for _ in range(steps):
        p.step(minutes)
        sizes.append(len(p.series()))
    return p, sizes


def test_live_peak_series_grow_with_the_clock_and_replay_from_a_seed():
    a, sizes = _peak()
    assert sizes == sorted(sizes) and sizes[-1] == sizes[0] + 6 * 20 / 2   # a point every two simulated minutes
    s = a.series()
    assert list(s.columns[:5]) == ["minute", "pending", "G1/G2 pending", "units free", "downgrades"]
    assert s["minute"].iloc[0] == a.start and s["minute"].iloc[-1] == a.now == a.start + 120
    assert s["downgrades"].is_monotonic_increasing and s["downgrades"].iloc[-1] == a.downgrades
    assert len(a.downgrade_marks()) == a.downgrades
    # the same seed (and steps of another size) gives the same peak, series, markers and chart
    b, _ = _peak(steps=12, minutes=10.0)
    assert b.series().equals(s) and b.downgrade_marks().equals(a.downgrade_marks())
    assert [c.to_dict() for c in b.charts()] == [c.to_dict() for c in a.charts()]
    # the chart's axis is the whole window: the lines grow across it
    x = a.charts()[0].to_dict()["layer"][1]["encoding"]["x"]["scale"]["domain"]
    assert x == [str(s["time"].iloc[0].isoformat()), (s["time"].iloc[0] + (a.end - a.start) * pd.Timedelta("1min"))
                 .isoformat()]
    c, _ = _peak(seed=7)
    assert c.seed == 7 and not c.series().equals(s)


@pytest.mark.slow
def test_live_page_draws_the_wall_and_replays_a_chosen_seed(monkeypatch, tmp_path):
    monkeypatch.setenv(fa.ENV_FOLDER, str(tmp_path))
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("views/live.py").run()
    for _ in range(3):
        at.button(key="lv_step").click().run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 3
    first = at.session_state["live"].series()
    at.number_input(key="lv_seed").set_value(99).run()
    at.button(key="lv_reset").click().run()
    peak = at.session_state["live"]
    assert peak.seed == 99 and peak.now == peak.start and len(peak.series()) == 1
    for _ in range(3):
        at.button(key="lv_step").click().run()
    at.number_input(key="lv_seed").set_value(int(w.base_scenario().run.seed)).run()
    at.button(key="lv_reset").click().run()
    for _ in range(3):
        at.button(key="lv_step").click().run()
    assert at.session_state["live"].series().equals(first)


def _trainee(tid, folder, monkeypatch):
    monkeypatch.setenv(fa.ENV_FOLDER, str(folder))
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["trainee"] = tid
    at.run()
    at.switch_page("views/play.py").run()
    assert not at.exception, at.exception
    return at


def _decide(at, choice):
    game = at.session_state["game"]
    n = len(game.decisions) + 1
    at.radio(key=f"pl_choice{n}").set_value(choice)
    at.button[0].click().run()
    assert not at.exception, at.exception


@pytest.mark.slow
def test_a_reload_resumes_the_shift_and_sessions_keep_their_own_state(tmp_path, monkeypatch):
    one, two = _trainee("aaaaaa1", tmp_path, monkeypatch), _trainee("bbbbbb2", tmp_path, monkeypatch)
    for at, name in ((one, "One"), (two, "Two")):
        at.text_input(key="pl_name").set_value(name)
        at.button[0].click().run()
    for choice in ("downgrade", "keep", "downgrade"):
        _decide(one, choice)
    _decide(two, "reassess")
    g1, g2 = one.session_state["game"], two.session_state["game"]
    assert [d.choice for d in g1.decisions] == ["downgrade", "keep", "downgrade"]
    assert [d.choice for d in g2.decisions] == ["reassess"] and g1 is not g2
    assert pl.playing(tmp_path) == 2
    # a reload: a new browser session on the same address
    again = _trainee("aaaaaa1", tmp_path, monkeypatch)
    g = again.session_state["game"]
    assert g is not g1 and g.name == "One"
    assert [(d.call, d.time, d.choice) for d in g.decisions] == [(d.call, d.time, d.choice) for d in g1.decisions]
    assert g.question == g1.question
    assert any(m.value.startswith("### Decision 4") for m in again.markdown)
    # play on to the end after the reload: the debrief is saved once, and a further reload shows it, not a new file
    while not again.session_state["game"].over:
        _decide(again, "keep")
    assert len(list(tmp_path.glob("One-*.json"))) == 1
    final = _trainee("aaaaaa1", tmp_path, monkeypatch)
    assert final.session_state["game"].over and len(list(tmp_path.glob("One-*.json"))) == 1
    assert any(m.value.startswith("### Debrief: One") for m in final.markdown)
    assert pl.playing(tmp_path) == 1
    # a made-up id is replaced by a fresh one; an unknown one starts afresh
    other = _trainee("../etc", tmp_path, monkeypatch)
    assert other.query_params["trainee"] != "../etc" and "game" not in other.session_state


def test_resume_refuses_a_record_that_does_not_fit(tmp_path):
    s = w.base_scenario()
    g = pl.Game(s, pl.Shift(), "x")
    g.decide("keep")
    pl.save_progress(tmp_path, "abcdef", g)
    got, saved = pl.resume(tmp_path, "abcdef", s)
    assert got.question == g.question and saved is None
    state = json.loads(pl.progress_path(tmp_path, "abcdef").read_text())
    state["decisions"][0][1] += 1.0
    pl.progress_path(tmp_path, "abcdef").write_text(json.dumps(state))
    assert pl.resume(tmp_path, "abcdef", s) is None and pl.resume(tmp_path, "zzzzzz", s) is None


def test_debriefs_and_progress_written_at_once_by_one_server_are_all_kept(tmp_path):
    """Streamlit serves every browser from threads of one process. Trainees of the same name (two
    blank names are both 'trainee') finishing in the same second each keep their own debrief file,
    none lost or holding another's; the same trainee's link open in two tabs writes one whole
    progress file (a temporary file's name is the same for every thread of a process)."""
    import threading
    from types import SimpleNamespace

    def at_once(n, work):
        barrier, errors = threading.Barrier(n), []

        def one(k):
            barrier.wait()
            try:
                work(k)
            except OSError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors

    for trial in range(3):
        folder = tmp_path / f"s{trial}"
        assert not at_once(8, lambda k: pl.save_debrief(folder, {"name": "trainee", "k": k, "pad": "x" * 100_000}))
        kept = sorted(json.loads(p.read_text())["k"] for p in folder.glob("trainee-*.json"))
        assert kept == list(range(8))
    games = [SimpleNamespace(name=f"tab {k}", shift=pl.Shift(), seed=1, decisions=[]) for k in range(8)]
    assert not at_once(8, lambda k: pl.save_progress(tmp_path, "abcdef9", games[k]))
    assert pl.load_progress(tmp_path, "abcdef9")["name"].startswith("tab ")
    assert not list((tmp_path / pl.PROGRESS).glob(".*"))   # no temporary file left behind


def _play_out(game, pick):
    k = 0
    while not game.over:
        game.decide(pick(k))
        k += 1
    return game


def _facts(game, refs):
    """What a trainee's game gives: its decisions, its debrief (but the name) and its own run's log."""
    d = dict(game.debrief(refs))
    d.pop("name")
    return [vars(x) for x in game.decisions], d, game.session.log


def test_a_shift_started_from_the_cache_plays_and_debriefs_as_one_made_from_scratch():
    """StartCache: trainees starting the same shift get copies of one game made at its start; each
    copy plays on as a game made from scratch would (decisions, debrief, event log), under its own
    name, and none sees another's decisions (threads, as Streamlit serves browsers)."""
    import threading

    s, refs = w.base_scenario(), pl.ReferenceCache()
    shift = pl.Shift(hours=2)
    cache = pl.StartCache(size=2)
    scripts = [lambda k, j=j: pl.CHOICES[(k + j) % len(pl.CHOICES)] for j in range(4)]
    games: dict = {}

    def start(j):
        games[j] = cache(s, shift, f"T{j}")

    threads = [threading.Thread(target=start, args=(j,)) for j in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(g) for g in games.values()}) == 4 and len(cache._games) == 1
    assert [games[j].name for j in range(4)] == ["T0", "T1", "T2", "T3"]
    for j in (2, 0, 3, 1):   # played in another order than started
        _play_out(games[j], scripts[j])
    for j in range(4):
        want = _facts(_play_out(pl.Game(s, shift, f"T{j}"), scripts[j]), refs)
        got = _facts(games[j], refs)
        assert got[0] == want[0] and got[1] == want[1], j
        for table in ("calls", "grade_changes", "pending", "unit_shifts", "activities", "rosters", "reviews"):
            pd.testing.assert_frame_equal(getattr(got[2], table), getattr(want[2], table), check_exact=True)
    assert len({tuple(d["choice"] for d in _facts(g, refs)[1]["decisions"]) for g in games.values()}) == 4
    kept = next(iter(cache._games.values()))[1]
    assert not kept.decisions and kept.question == pl.Game(s, shift).question   # the kept game is never played
    # bounded: the most recent shifts are kept
    for rep in (1, 2):
        cache(s, pl.Shift(hours=2, replication=rep))
    assert len(cache._games) == 2 and all(k[1][-1] in (1, 2) for k in cache._games)


def test_a_reload_from_the_cache_resumes_as_from_scratch(tmp_path):
    s = w.base_scenario()
    g = pl.Game(s, pl.Shift(), "x")
    for choice in ("downgrade", "borrow", "keep"):
        g.decide(choice)
    pl.save_progress(tmp_path, "abcdef", g)
    cache = pl.StartCache()
    cached, _ = pl.resume(tmp_path, "abcdef", s, cache)
    scratch, _ = pl.resume(tmp_path, "abcdef", s)
    assert cached.question == scratch.question == g.question and cached.name == "x"
    assert [vars(d) for d in cached.decisions] == [vars(d) for d in scratch.decisions] == [vars(d) for d in g.decisions]
    again, _ = pl.resume(tmp_path, "abcdef", s, cache)   # a second reload: another copy, the same place
    assert again is not cached and again.session.model is not cached.session.model
    assert again.question == g.question


def test_html_table_shows_text_as_written():
    from sim.app.text import html_table

    rows = [{"grade": "G1", "what": "<img src=x onerror=alert(1)> & 'q'", "": None, "n": 3}]
    out = html_table(rows, "pending")
    assert out.startswith("<table class='pending'><thead><tr><th>grade</th><th>what</th><th></th><th>n</th>")
    assert "<img" not in out and "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62; &#38; &#39;q&#39;" in out
    assert out.count("<tr>") == 2 and "<td></td><td>3</td>" in out
    assert html_table([]) == "<table><thead><tr></tr></thead><tbody></tbody></table>"


def test_the_garbage_collector_is_settled_only_in_a_server(monkeypatch):
    import gc
    import sys

    from sim.app import ui

    assert not ui.served()   # pytest: settle() must leave the test run's objects to the collector
    frozen = gc.get_freeze_count()
    assert ui.settle.__wrapped__() is False and gc.get_freeze_count() == frozen
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "-m", "streamlit", "run", "main.py", "--server.port", "1"])
    assert ui.served()
