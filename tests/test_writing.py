"""The TOML writer (sim.scenario.writing) and the atomic file writes (sim.util.files).

``toml_text`` must lay a resolved scenario out byte for byte as tomli_w 1.2 did: the results and
plan folders written before hold that text, and the fingerprints of the commands cover it."""
from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from sim.scenario import load_scenario, parse_override
from sim.scenario.writing import Document, array_rows, number, toml_text, value_text
from sim.util.files import atomic_folder, atomic_path, atomic_paths, atomic_write

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").rglob("*.toml") if not p.name.endswith(".map.toml"))

tomli_w = pytest.importorskip("tomli_w")   # the reference layout (a dev dependency, for this test only)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_resolved_scenarios_are_written_as_tomli_w_wrote_them(path):
    data = load_scenario(path).to_dict()
    assert toml_text(data) == tomli_w.dumps(data)


EDGES = [
    {}, {"a": 1}, {"a": {}}, {"a": {"b": {}}}, {"x": 1, "a": {"b": {"c": 1}}, "z": [1, 2]},
    {"a": [[1, 2], [3, [4, 5]], []]}, {"a": [{"x": 1}, {"y": [1, 2]}]}, {"a": [{"x": 1}, {"y": "q" * 120}]},
    {"a": [{"x": 1, "t": {"u": 2}}, {"y": "q" * 120, "sub": {"k": 1}}]},
    {"s": 'a"b\\c\nd\x01\x7f é', "k e y": 1, "": 2, "ok-_9": {"dot.ted": 3}},
    {"d": dt.date(2016, 9, 5), "dt": dt.datetime(2020, 1, 2, 3, 4, 5), "t": dt.time(7, 30), "b": True,
     "fl": [1e-05, 1e16, -0.0, 0.1], "i": -3},
    {"a": {"x": 1}, "b": {"c": {"d": 1}, "e": 2}, "f": {"g": [{"h": {"i": 1}}]}},
    {"t": [{}], "u": [{}, {"a": 1}]}, {"top": 1, "aot": [{"a": "x" * 95}]},
]


@pytest.mark.parametrize("data", EDGES)
def test_layout_matches_tomli_w_on_edge_cases(data):
    assert toml_text(data) == tomli_w.dumps(data)


def test_header_comment_sits_right_above_the_first_table():
    text = toml_text({"meta": {"name": "x"}}, header="made by a test")
    assert text == '# made by a test\n[meta]\nname = "x"\n'


@pytest.mark.parametrize("value", ["x", 'q"\\', "tab\there", 1, -1.5, True, [1, 2], dt.date(2020, 1, 1)])
def test_a_value_reads_back_as_an_override(value):
    assert parse_override(f"a.b={value_text(value)}") == (["a", "b"], value)


def test_rows_of_an_array():
    doc = Document()
    doc.set("cycle", array_rows([["D", "D"], ["N", "R"], ["R", "R"]], " " * 9), "a cycle")
    assert doc.text() == 'cycle = ["D", "D",\n         "N", "R",\n         "R", "R"]   # a cycle\n'
    doc.set("hours", {"a": number(8.0, "g"), "b": number(7.25, "g")})
    assert doc.text().endswith("hours = { a = 8, b = 7.25 }\n")


def test_commented_document():
    doc = Document(empty_table=" ")
    doc.comment("a header")
    doc.set("base", "x.toml")
    doc.table("meta")
    doc.set("name", "n", "[D]")
    doc.table('demand.channels."999"', "a note")
    doc.set("risk", {"none": 0.0, "G1": 0.5}, "[D: fitted]")
    doc.set("on_scene.G1", {}, "nothing")
    doc.set("adjust", [], "empty")
    text = doc.text()
    assert text == ('# a header\nbase = "x.toml"\n\n[meta]\nname = "n"   # [D]\n\n[demand.channels."999"]   # a note\n'
                    'risk = { none = 0.0, G1 = 0.5 }   # [D: fitted]\non_scene.G1 = { }   # nothing\nadjust = []   # empty\n')
    assert tomllib.loads(text)["demand"]["channels"]["999"]["on_scene"] == {"G1": {}}


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    atomic_write(tmp_path / "a.txt", "é")
    atomic_write(tmp_path / "b.bin", b"\x00")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "é"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_atomic_paths_put_nothing_in_place_on_an_error(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_paths([tmp_path / "a", tmp_path / "b"]) as (a, b):
            a.write_text("1")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with atomic_path(tmp_path / "c") as c:
        c.write_text("3")
        assert not (tmp_path / "c").exists()
    assert (tmp_path / "c").read_text() == "3"


def test_atomic_folder(tmp_path):
    final = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with atomic_folder(final) as tmp:
            (tmp / "x").write_text("1")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    (tmp_path / ".out.tmp").mkdir()   # left by a killed run: emptied
    (tmp_path / ".out.tmp" / "old").write_text("")
    with atomic_folder(final) as tmp:
        (tmp / "x").write_text("1")
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and [p.name for p in final.iterdir()] == ["x"]
