"""Hostile text in cells and on the page (issue 28, "Cells that become formulas or markup").

A value that comes from outside (an extract's priority codes, a scenario's category and area
names, a trainee's name, a debrief file) must open as text in a spreadsheet and show as text in
the app: no CSV the project writes has a text cell starting with = + - @ (tab, CR), numbers are
written exactly as before, and the app neither renders such a value as Markdown or HTML nor
fetches anything from another machine."""
from __future__ import annotations

import csv
import html.parser
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st_
from streamlit.testing.v1 import AppTest

from cad_export import cad_frame, incidents, map_text
from conftest import DEFAULT, ROOT
from sim.app import play as pl
from sim.app.facilitator import ENV_FOLDER
from sim.app.serve import ENV_SCENARIO, command
from sim.cli.main import main
from sim.scenario import load_scenario
from sim.scenario.writing import toml_text
from sim.util import cells
from test_data_fit import truth_scenario

RISKY = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)
CALC = "=cmd|' /C calc'!A0"
# the extract's priority codes 1, 2, 3 (graded) and 9 (excluded) renamed to formulas
CODES = {"1": CALC, "2": "@SUM(1+1)*cmd|' /C calc'!A0", "3": "+3+cmd|' /C calc'!A0",
         "9": "-9-![q](http://evil.invalid/q.png)<img src=http://evil.invalid/i.png>"}
MAP_NAME = "`![m](http://evil.invalid/m.png)"   # the map's name, shown in data-quality.md
# a scenario's category and area names renamed to formulas (and one that already starts with a quote)
NAMES = {"domestic_abuse": CALC, "violence": "@SUM(1)", "urban": "-2+3+cmd|' /C calc'!A0", "other": "'=quoted"}


def _formula_cells(folder: Path) -> list[tuple]:
    """Every cell of every CSV under ``folder`` that a spreadsheet would open as a formula."""
    bad = []
    for path in sorted(folder.rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for r, row in enumerate(csv.reader(f)):
                bad += [(path.name, r, v) for v in row if v[:1] in RISKY and not NUMBER.fullmatch(v)]
    return bad


def _csvs(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.csv"))


# ---------------------------------------------------------------------------- the one rule
@given(st_.text(alphabet=st_.sampled_from(list("=+-@'\t\r ax1.e")), max_size=8))
def test_a_neutralised_cell_never_opens_as_a_formula_and_reads_back_exactly(text):
    out = cells.neutral_cell(text)
    assert not (out[:1] in RISKY and not NUMBER.fullmatch(out)), repr(out)
    assert cells.restore_cell(out) == text
    if not (text.lstrip("'")[:1] in RISKY and not NUMBER.fullmatch(text.lstrip("'"))):
        assert out == text   # nothing else is touched


def test_numbers_and_safe_text_are_written_byte_for_byte_as_pandas_writes_them():
    df = pd.DataFrame({"n": [-1.5, 2.0, np.nan], "i": [-3, 0, 7], "s": ["-4", "+1e-3", "G1"],
                       "c": pd.Categorical(["a b", "x", "a b"]), "t": ["2016-09-01", "12:30", None]})
    assert cells.write_csv(df) == df.to_csv(index=False)
    assert cells.write_csv(df, float_format="%.10g") == df.to_csv(index=False, float_format="%.10g")


def test_formula_text_gets_a_quote_in_cells_categories_and_headings():
    df = pd.DataFrame({"@h": [1], "s": [CALC], "c": pd.Categorical(["-x"]), "n": [-2.5]})
    text = cells.write_csv(df)
    assert text.splitlines() == ["'@h,s,c,n", "1,'=cmd|' /C calc'!A0,'-x,-2.5"]


def test_no_csv_is_written_but_through_the_one_helper():
    """A writer added later cannot forget the rule: ``to_csv`` and ``csv.writer`` appear only in
    sim/util/cells.py."""
    found = []
    for path in (ROOT / "sim").rglob("*.py"):
        if path == ROOT / "sim" / "util" / "cells.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.to_csv\(|csv\.writer|csv\.DictWriter", line):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    assert found == []


# ---------------------------------------------------------------------------- an extract's codes
def _extract(tmp: Path, codes: dict[str, str]) -> tuple[Path, Path, Path]:
    """A simulated force's extract whose priority codes are renamed by ``codes``, its map and base."""
    s = truth_scenario(days=10, units=16)
    cad = cad_frame(s, incidents(s, seed=4))
    cad.loc[cad.index[:5], "Priority"] = "9"   # administrative rows, excluded by the map
    cad["Priority"] = cad["Priority"].map(codes)
    text = map_text(s).replace('grades = { "1" = "G1", "2" = "G2", "3" = "G3" }\nexclude = ["9"]',
                               f"grades = {{ {json.dumps(codes['1'])} = \"G1\", {json.dumps(codes['2'])} = \"G2\", "
                               f"{json.dumps(codes['3'])} = \"G3\" }}\nexclude = [{json.dumps(codes['9'])}]")
    assert text != map_text(s) or codes["1"] == "1"
    if codes["1"] != "1":
        text = text.replace('name = "sim-export"', f"name = {json.dumps(MAP_NAME)}")
    tmp.mkdir(parents=True)
    cad.to_csv(tmp / "cad.csv", index=False)
    (tmp / "map.toml").write_text(text)
    (tmp / "base.toml").write_text(toml_text(s.to_dict()))
    return tmp / "cad.csv", tmp / "map.toml", tmp / "base.toml"


def _fit_and_backtest(tmp: Path, codes: dict[str, str]) -> Path:
    cad, m, base = _extract(tmp / "in", codes)
    out = tmp / "out"
    assert main(["fit", str(cad), "--map", str(m), "--base", str(base), "--out", str(out / "fit"), "--quiet"]) == 0
    scenario = str(out / "fit" / "scenario.toml")
    assert main(["backtest", str(cad), scenario, "--map", str(m), "--reps", "2", "--out", str(out / "bt"),
                 "--quiet"]) == 0
    # the fit's own trace (codes written with their quote) replayed from a later day: read back and rewritten
    assert main(["backtest", str(out / "fit" / "trace.csv"), scenario, "--start", "2025-03-05", "--reps", "2",
                 "--out", str(out / "bt-trace"), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """fit and backtest of the same extract, with plain and with formula priority codes."""
    tmp = tmp_path_factory.mktemp("codes")
    plain = _fit_and_backtest(tmp / "plain", {k: k for k in CODES})
    hostile = _fit_and_backtest(tmp / "hostile", CODES)
    return plain, hostile


@pytest.mark.slow
def test_extract_codes_never_open_as_formulas_in_what_fit_and_backtest_write(fitted):
    plain, hostile = fitted
    assert _csvs(hostile) == _csvs(plain)
    assert {"fit/data-quality.csv", "fit/trace.csv", "bt/backtest.csv", "bt/by_load.csv", "bt/verdict.csv",
            "bt-trace/backtest.csv", "bt-trace/trace.csv"} <= set(_csvs(hostile))
    assert _formula_cells(hostile) == []
    # the codes are there, as text: read back by the project they are the extract's codes again
    q = cells.read_csv(hostile / "fit" / "data-quality.csv", dtype=str)
    assert set(q["priority"]) == set(CODES.values())
    for name in ("bt", "bt-trace"):
        bt = cells.read_csv(hostile / name / "backtest.csv", dtype=str, keep_default_na=False)
        assert set(CODES.values()) - {CODES["9"]} == set(bt.loc[bt["group"] == "priority", "value"])
    raw = (hostile / "bt" / "backtest.csv").read_text()
    assert f",'{CALC}," in raw or f",\"'{CALC}\"," in raw


@pytest.mark.slow
def test_extract_codes_and_map_name_are_text_in_data_quality_md(fitted):
    """data-quality.md: a code or a map name written as Markdown or HTML is shown as written, and a
    '|' in a code does not split the table's columns."""
    from markdown_it import MarkdownIt

    _, hostile = fitted
    md = (hostile / "fit" / "data-quality.md").read_text()
    page = _Html()
    page.feed(MarkdownIt("commonmark", {"html": True}).enable("table").render(md))
    assert not {t for t, _ in page.tags} & {"img", "a"}, page.tags
    assert {t for t, _ in page.tags} <= {"h1", "h2", "p", "code", "strong", "table", "thead", "tbody", "tr", "th", "td"}
    text = "".join(page.text).replace("\u2060", "")
    assert MAP_NAME in text and all(f"P{c}" in text for c in CODES.values()), text
    head = next(line for line in md.splitlines() if line.startswith("| reason |"))
    assert len(re.findall(r"(?<!\\)\|", head)) == len(CODES) + 3, head   # reason, a column per code, all


@pytest.mark.slow
def test_extract_codes_leave_every_number_as_it_was(fitted):
    """The same extract with formula codes gives the same numbers in every table: only the code
    cells differ (and the rows sort in another order)."""
    plain, hostile = fitted
    back = {v: k for k, v in CODES.items()}
    for name in ("fit/data-quality.csv", "fit/arrivals.csv", "bt/backtest.csv", "bt/by_load.csv", "bt/verdict.csv",
                 "bt-trace/backtest.csv"):
        a = cells.read_csv(plain / name, dtype=str, keep_default_na=False)
        b = cells.read_csv(hostile / name, dtype=str, keep_default_na=False).replace(back)
        _same_numbers(a, b, name)


def _same_numbers(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    """``a`` and ``b`` have the same columns and rows, and every number is written the same; text
    columns must match too, except those that spell a code inside a sentence or a label (verdict.csv
    labels a numeric code 'P1', any other code by itself)."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b), name
    numbers = [c for c in a if (pd.to_numeric(a[c].replace("", np.nan), errors="coerce").notna() == (a[c] != "")).all()]
    texts = [c for c in a if c not in numbers and sorted(a[c]) == sorted(b[c])]
    assert numbers and len(texts) >= len(a.columns) - len(numbers) - 2, (name, numbers, texts)
    a = a.sort_values(texts + numbers).reset_index(drop=True)[texts + numbers]
    b = b.sort_values(texts + numbers).reset_index(drop=True)[texts + numbers]
    pd.testing.assert_frame_equal(a, b, obj=name)


# ---------------------------------------------------------------------------- a scenario's names
def _rename(o, names):
    if isinstance(o, dict):
        return {names.get(k, k): _rename(v, names) for k, v in o.items()}
    if isinstance(o, list):
        return [_rename(v, names) for v in o]
    return names.get(o, o) if isinstance(o, str) else o


def _scenario(tmp: Path, names: dict[str, str]) -> Path:
    data = _rename(load_scenario(DEFAULT).to_dict(), names)
    data["meta"]["name"] = "=HYPERLINK(\"http://evil.invalid/\",\"x\")" if names else "plain"
    path = tmp / ("hostile.toml" if names else "plain.toml")
    path.write_text(toml_text(data))
    return path


def _run_all(tmp: Path, names: dict[str, str]) -> Path:
    s = str(_scenario(tmp, names))
    out = tmp / ("hostile" if names else "plain")
    short = ["--days", "3", "--warmup-days", "1", "--reps", "2", "--jobs", "1", "--quiet"]
    assert main(["run", s, *short, "--events", "csv", "--out", str(out / "run")]) == 0
    assert main(["compare", s, "--set-b", "policy.kind=risk_led", *short, "--out", str(out / "compare")]) == 0
    assert main(["sweep", s, "--vary", "demand.multiplier=1.0,1.2", *short, "--out", str(out / "sweep")]) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("names")
    return _run_all(tmp, {}), _run_all(tmp, NAMES)


@pytest.mark.slow
def test_scenario_names_never_open_as_formulas_in_run_compare_and_sweep_csvs(runs):
    plain, hostile = runs
    assert _csvs(hostile) == _csvs(plain)
    assert {"run/downgrades.csv", "run/events/rep-0000/calls.csv", "compare/a/downgrades.csv",
            "sweep/p001/downgrades.csv"} <= set(_csvs(hostile))
    assert _formula_cells(hostile) == []
    d = cells.read_csv(hostile / "run" / "downgrades.csv")
    assert len(d) > 0 and {CALC, "@SUM(1)"} & set(d["category"]) and set(d["area"]) >= {NAMES["urban"]}
    calls = cells.read_csv(hostile / "run" / "events" / "rep-0000" / "calls.csv")
    assert {CALC, "@SUM(1)", "'=quoted"} <= set(calls["category"])


@pytest.mark.slow
def test_scenario_names_leave_every_number_as_it_was(runs):
    plain, hostile = runs
    for name in _csvs(plain):
        a, b = (plain / name).read_bytes(), (hostile / name).read_bytes()
        if b"cmd|" in b or b"@SUM" in b or b"quoted" in b:   # the names' own cells differ, nothing else
            # the names, whole cells or inside a sentence (summary.csv names the areas of the G1 standard)
            back = {re.escape(v): k for k, v in NAMES.items()}
            pa = cells.read_csv(plain / name, dtype=str, keep_default_na=False)
            pb = cells.read_csv(hostile / name, dtype=str, keep_default_na=False).replace(back, regex=True)
            pd.testing.assert_frame_equal(pa, pb, obj=name)   # the names read back are the names, row for row
        else:
            assert a == b, name


@pytest.mark.slow
def test_resume_reads_the_quoted_audit_back_and_writes_it_again_unchanged(runs, tmp_path):
    import shutil

    from sim.experiment.replications import resume

    _, hostile = runs
    folder = tmp_path / "r"
    shutil.copytree(hostile / "run", folder)
    before = (folder / "downgrades.csv").read_bytes()
    (folder / "reps" / "rep-0001.json").unlink()
    (folder / "manifest.json").unlink()
    resume(folder, jobs=1)
    assert (folder / "downgrades.csv").read_bytes() == before


# ---------------------------------------------------------------------------- the app
MAIN = str(ROOT / "sim" / "app" / "main.py")
EVIL = "![x](http://evil.invalid/p.png) <img src=http://evil.invalid/h.png> www.evil.invalid :red[big] $x^2$ **b**"
# what a trainee or a scenario may name; shown as text, every one of these characters is on the page as typed
APP_NAMES = {"domestic_abuse": "![c](http://evil.invalid/c.png) <b>cat</b>", "urban": "<img src=http://evil.invalid/a.png>",
             "other": "**other** www.evil.invalid", "late": "late![s](http://evil.invalid/s.png)"}


class _Html(html.parser.HTMLParser):
    """Tags and text of a rendered snippet."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _render(markdown: str, html_ok: bool = False) -> _Html:
    """``markdown`` as a CommonMark renderer shows it (raw HTML passed through only where the
    page allows HTML, as Streamlit does): its tags and its visible text."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": html_ok})
    p = _Html()
    p.feed(md.render(markdown))
    p.text = "".join(p.text).replace("\u2060", "")
    return p


def _parse_html(snippet: str) -> _Html:
    """``snippet`` (HTML, as st.html shows it): its tags and its visible text."""
    p = _Html()
    p.feed(snippet)
    p.text = "".join(p.text)
    return p


def _shown_as_text(markdown: str, value: str, allowed=("p",), html_ok=False) -> None:
    """``value`` appears in ``markdown`` as text: the rendered page has it letter for letter and no
    image, link or tag beyond the page's own (``allowed``), and no bare address to link."""
    r = _render(markdown, html_ok)
    value = value.replace("\u2060", "")
    assert " ".join(value.split()) in " ".join(r.text.split()), (markdown, r.text)
    assert {t for t, _ in r.tags} <= set(allowed), (markdown, r.tags)
    assert not re.search(r"https?://|www\.", markdown.replace("\\", "")), markdown


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def hostile_app(tmp_path, monkeypatch):
    data = _rename(load_scenario(DEFAULT).to_dict(), APP_NAMES)
    (tmp_path / "hostile.toml").write_text(toml_text(data))
    monkeypatch.setenv(ENV_SCENARIO, str(tmp_path / "hostile.toml"))
    monkeypatch.setenv(ENV_FOLDER, str(tmp_path / "session"))
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    _ok(at)
    return at


def _play(at, name: str, decisions: int | None = None):
    at.switch_page("views/play.py").run()
    at.text_input(key="pl_name").set_value(name)
    at.button[0].click().run()
    _ok(at)
    n = 0
    while "game" in at.session_state and not at.session_state["game"].over and (decisions is None or n < decisions):
        n += 1
        at.radio(key=f"pl_choice{n}").set_value("downgrade")
        at.button[0].click().run()
        _ok(at)
        assert n < 200
    return at


def test_a_trainees_name_is_text_on_the_debrief_and_the_facilitator_page(hostile_app, tmp_path):
    at = _play(hostile_app, EVIL)
    heading = next(m.value for m in at.markdown if m.value.startswith("### Debrief: "))
    _shown_as_text(heading, f"Debrief: {EVIL}", allowed=("h3",))
    # the decisions the debrief calls wrong name the scenario's categories: table cells are Markdown too
    wrong = at.table[1].value
    for col in wrong.columns:
        _shown_as_text(str(col), str(col).replace("\\", ""))
    for v in wrong["incident"]:
        _shown_as_text(v, v.replace("\\", ""))
    saved = next(c.value for c in at.caption if c.value.startswith("Saved for the facilitator"))
    _shown_as_text(saved, "Saved for the facilitator")
    at.switch_page("views/facilitator.py").run()
    _ok(at)
    label = at.expander[0].label
    _shown_as_text(label, f"{EVIL} — ")
    room = at.table[0].value   # the room's table: a trainee's name is a Markdown cell, shown as text
    names = [v for v in room.to_numpy().ravel() if isinstance(v, str) and "evil" in v]
    assert names
    for v in names:
        _shown_as_text(v, v.replace("\\", ""))
    assert any(EVIL in v.replace("\\", "").replace("\u2060", "") for v in names)


def test_a_damaged_debrief_file_is_text_on_the_facilitator_page(tmp_path, monkeypatch):
    folder = tmp_path / "session"
    folder.mkdir()
    rows = {"you": {"decisions": 1}, "resource-led controller": {}, "risk-led controller": {}}
    (folder / "evil-20250101-120000.json").write_text(json.dumps(
        {"name": EVIL, "shift": EVIL, "rows": rows, "seed": 1, "replication": 0,
         "wrong": [{"time": EVIL, "incident": EVIL, "you chose": ["![l](http://evil.invalid/l.png)"], EVIL: 1}]}))
    (folder / "x![y](http:__evil.invalid_f.png).json").write_text("{broken")
    (folder / "odd-20250101-120001.json").write_text(json.dumps({"name": "odd", "rows": rows, "wrong": EVIL}))
    monkeypatch.setenv(ENV_FOLDER, str(folder))
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    at.switch_page("views/facilitator.py").run()
    _ok(at)
    _shown_as_text(at.warning[0].value, "x![y](http:__evil.invalid_f.png).json: cannot be read")
    _shown_as_text(at.caption[0].value, str(folder.resolve()))
    _shown_as_text(at.expander[0].label, f"{EVIL} — {EVIL} — 1 decisions")
    for t in at.table:
        df = t.value
        for cell in [*map(str, df.columns), *(str(v) for v in df.to_numpy().ravel())]:
            if cell.replace("\\", "").strip():
                _shown_as_text(cell, cell.replace("\\", ""))


def test_a_scenarios_names_are_text_on_the_decision_desk_and_the_live_page(hostile_app):
    at = _play(hostile_app, "Sam", decisions=0)
    # the desk and the pending list are HTML the page writes itself (st.html: shown as HTML, no Markdown)
    desk = next(h.value for h in at.html if "unresourced for" in h.value)
    game = at.session_state["game"]
    d = game.desk()
    r = _parse_html(desk)
    assert {t for t, _ in r.tags} <= {"div", "b", "br", "span"} and all(set(a) <= {"class"} for _, a in r.tags), r.tags
    assert f"{d['grade']} {d['category']} ({d['area']})" in r.text, r.text
    assert "<img" not in desk and "<b>cat" not in desk
    pending = next(h.value for h in at.html if "Pending list" in h.value)
    r = _parse_html(pending)
    assert {t for t, _ in r.tags} <= {"p", "b", "table", "thead", "tbody", "tr", "th", "td"}, r.tags
    assert all(set(a) <= {"class"} for _, a in r.tags), r.tags
    shown = [p["what"] for p in d["pending"]] + [p["area"] for p in d["pending"]]
    assert any(n in " ".join(shown) for n in APP_NAMES.values())   # the hostile names are on the list
    for v in shown:
        assert v in r.text, (v, r.text)   # letter for letter, as text
    assert "<img" not in pending and "<b>cat" not in pending
    # the what-if page's labels name the scenario's shifts
    at.switch_page("views/whatif.py").run()
    _ok(at)
    label = next(n.label for n in at.number_input if "late" in n.label)
    _shown_as_text(label, APP_NAMES["late"])
    # the live page: its ticker (HTML) and pending list (Markdown cells) name categories and areas
    at.switch_page("views/live.py").run()
    for _ in range(8):
        at.button(key="lv_step").click().run()
        _ok(at)
    ticker = next(m.value for m in at.markdown if m.value.startswith("<div class='ticker'>"))
    r = _render(ticker, html_ok=True)
    assert {t for t, _ in r.tags} <= {"div"}, r.tags
    assert APP_NAMES["domestic_abuse"] in r.text or APP_NAMES["other"] in r.text, r.text
    rows = at.table[0].value
    shown = [v for v in rows.to_numpy().ravel() if isinstance(v, str) and "\\<img" in v]
    assert shown, rows
    for v in shown:
        _shown_as_text(v, APP_NAMES["urban"])


def test_an_error_naming_a_users_value_is_text(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_FOLDER, str(tmp_path / "session"))
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    at.selectbox(key="wi_preset").set_value("Custom").run()
    at.text_input(key="wi_Custom_late").set_value("![x](http://evil.invalid/e.png)")
    at.button[0].click().run()
    _ok(at)
    assert at.error and at.error[0].value.startswith("Cannot run this: ")
    _shown_as_text(at.error[0].value, "Cannot run this: ")
    _shown_as_text(at.error[0].value, "'![x](http://evil.invalid/e.png)': expected a time of day")


def test_the_served_app_sends_no_usage_statistics_and_listens_locally():
    cmd = command(8501)
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    # no full garbage collection after each script run (it was most of a room's server CPU per step)
    assert cmd[cmd.index("--runner.postScriptGC") + 1] == "false"


# images and links on a page but the app's own figures (served by the app itself, under /media/:
# the facilitator's figure of the room)
OWN = """els => els.filter(e => { const u = new URL(e.getAttribute('src') || e.getAttribute('href') || '', location.href);
    return !(e.tagName === 'IMG' && u.origin === location.origin && u.pathname.startsWith('/media/')); })
    .map(e => e.outerHTML)"""


@pytest.mark.slow
def test_nothing_leaves_the_machine_in_a_real_browser(tmp_path, monkeypatch):
    """The served app in chromium, over a scenario and a debrief with hostile names: on all four
    pages no request goes anywhere but 127.0.0.1, and no image or link shows up."""
    from urllib.parse import urlparse

    from test_app_browser import _need_browser

    _need_browser()
    from sim.app.browser import browser_page, served, wait_idle

    data = _rename(load_scenario(DEFAULT).to_dict(), APP_NAMES)
    (tmp_path / "hostile.toml").write_text(toml_text(data))
    monkeypatch.setenv(ENV_SCENARIO, str(tmp_path / "hostile.toml"))
    session = tmp_path / "session"
    session.mkdir()
    g = pl.Game(load_scenario(tmp_path / "hostile.toml"), pl.Shift(hours=1), EVIL)
    while not g.over:
        g.decide("downgrade")
    pl.save_debrief(session, g.debrief())
    away, shown = [], []
    with served(session) as url, browser_page() as page:
        page.on("request", lambda r: away.append(r.url) if urlparse(r.url).hostname != "127.0.0.1" else None)
        page.goto(url + "/")
        page.get_by_text("What-if: change the force").wait_for(timeout=60_000)
        wait_idle(page)
        shown += page.eval_on_selector_all("[data-testid=stMain] img, [data-testid=stMain] a[href^=http]", OWN)
        page.goto(url + "/facilitator")
        page.get_by_test_id("stExpander").first.wait_for(timeout=60_000)
        page.get_by_test_id("stExpander").first.click()
        wait_idle(page)
        shown += page.eval_on_selector_all("[data-testid=stMain] img, [data-testid=stMain] a[href^=http]", OWN)
        page.goto(url + "/live")
        page.get_by_role("button", name="Step 15 min").wait_for(timeout=60_000)
        for _ in range(8):
            page.get_by_role("button", name="Step 15 min").click()
            wait_idle(page)
        shown += page.eval_on_selector_all("[data-testid=stMain] img, [data-testid=stMain] a[href^=http]", OWN)
        page.goto(url + "/play")
        page.get_by_label("Your name (for the debrief file)").fill(EVIL)
        page.get_by_role("button", name="Start the shift").click()
        page.get_by_text("unresourced for").first.wait_for(timeout=120_000)
        wait_idle(page, 120_000)
        shown += page.eval_on_selector_all("[data-testid=stMain] img, [data-testid=stMain] a[href^=http]", OWN)
        assert "evil.invalid" in page.inner_text("[data-testid=stMain]")   # the names are there, as text
    assert away == [] and shown == [], (away, shown)
