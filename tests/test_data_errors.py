"""Bad maps, extracts and traces: one line naming the file, the column (and the first bad row),
exit status 2, no traceback and nothing written."""
from __future__ import annotations

import pytest

from sim.cli.main import main

MAP = """
name = "t"
[extract]
time_format = "%Y-%m-%d %H:%M:%S"
time_zone = "Europe/London"
[columns]
created = "Created"
dispatched = "Dispatched"
priority = "Pri"
[priorities]
grades = { "1" = "G1", "2" = "G2" }
exclude = ["9"]
"""
GOOD = ("Created,Dispatched,Pri\n2025-01-06 10:00:00,2025-01-06 10:05:00,1\n2025-01-06 11:00:00,2025-01-06 11:20:00,2\n"
        # the least a fit accepts (sim.data.fit: 50 demand rows over 7 days): 58 more, from the next day
        + "".join(f"2025-01-{7 + k // 8:02d} {2 + 2 * (k % 8):02d}:00:00,2025-01-{7 + k // 8:02d} {2 + 2 * (k % 8):02d}:"
                  f"{5 + k % 40:02d}:00,{1 + k % 2}\n" for k in range(58)))


def _run(tmp_path, capsys, extract=GOOD, map_text=MAP, extra=()):
    (tmp_path / "x.csv").write_text(extract)
    (tmp_path / "m.toml").write_text(map_text)
    rc = main(["fit", str(tmp_path / "x.csv"), "--map", str(tmp_path / "m.toml"), "--out", str(tmp_path / "out"),
               "--quiet", *extra])
    err = capsys.readouterr().err.strip()
    return rc, err


def test_good_minimal_extract_fits(tmp_path, capsys):
    rc, err = _run(tmp_path, capsys)
    assert rc == 0, err
    from sim.scenario import load_scenario, load_written
    fs = load_written(tmp_path / "out" / "scenario.toml")   # a delta of the shipped default
    a = fs.assessment   # the default re-grades under pressure, for vulnerability, by supervisors: not an extract's grades
    assert not (a.workload.enabled or a.vulnerability.enabled or a.supervision.enabled)
    assert not fs.thrive.misgrading_enabled and fs.policy.kind == "none"


@pytest.mark.parametrize("extract, words", [
    (GOOD.replace("Pri", "Priority"), ["column 'Pri'", "not in the extract", "did you mean 'Priority'"]),
    (GOOD.replace("2025-01-06 11:00:00", "06/01/2025 11:00"), ["Created (row 3)", "06/01/2025 11:00", "%Y-%m-%d %H:%M:%S"]),
    (GOOD.replace(",2\n", ",7\n"), ["Pri (row 3)", "'7'", "unknown priority code"]),
    ("", ["empty"]),
    ("Created,Dispatched,Pri\n", ["no rows"]),
    (GOOD.replace(",1\n", ",9\n").replace(",2\n", ",9\n"), ["no row is demand"]),
])
def test_bad_extract(tmp_path, capsys, extract, words):
    rc, err = _run(tmp_path, capsys, extract=extract)
    assert rc == 2
    assert "Traceback" not in err and "\n" not in err and err.startswith("triage-sim: error:")
    for w in words:
        assert w in err, err
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out*"))


@pytest.mark.parametrize("change, words", [
    (("[columns]", "[columns]\ncreatd = 'x'"), ["columns.creatd", "unknown key"]),
    (('time_zone = "Europe/London"', 'time_zone = "Mars/Olympus"'), ["extract.time_zone", "IANA"]),
    (('dispatched = "Dispatched"\n', ""), ["columns.dispatched", "required"]),
    (('exclude = ["9"]', 'exclude = ["1"]'), ["priorities", "both mapped to a grade and excluded"]),
    (("[columns]", "[columns]\nsource = 'Src'"), ["columns.source", "[sources]"]),
])
def test_bad_map(tmp_path, capsys, change, words):
    rc, err = _run(tmp_path, capsys, map_text=MAP.replace(*change))
    assert rc == 2 and "Traceback" not in err and "\n" not in err
    assert "m.toml" in err
    for w in words:
        assert w in err, err


def test_unknown_call_source_names_the_row(tmp_path, capsys):
    m = MAP.replace("[columns]", "[columns]\nsource = 'Src'") + '[sources]\nchannels."999" = ["E-911"]\nofficer_initiated = ["OFFICER"]\n'
    ex = "Created,Dispatched,Pri,Src\n2025-01-06 10:00:00,2025-01-06 10:05:00,1,E-911\n2025-01-06 11:00:00,2025-01-06 11:20:00,2,Pigeon\n"
    rc, err = _run(tmp_path, capsys, extract=ex, map_text=m)
    assert rc == 2 and "Src (row 3)" in err and "'Pigeon'" in err


def test_existing_out_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    rc, err = _run(tmp_path, capsys)
    assert rc == 2 and "never overwritten" in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_missing_extract_and_bad_trace(tmp_path, capsys):
    (tmp_path / "m.toml").write_text(MAP)
    assert main(["fit", str(tmp_path / "nope.csv"), "--map", str(tmp_path / "m.toml"), "--quiet"]) == 2
    assert "extract not found" in capsys.readouterr().err
    (tmp_path / "t.csv").write_text("arrival,grade\n2016-09-05 10:00,G1\n2016-09-05 11:00,G7\n")
    rc = main(["backtest", str(tmp_path / "t.csv"), "scenarios/nottinghamshire-2016.toml", "--out",
               str(tmp_path / "bt"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "grade (row 3)" in err and "'G7'" in err and "Traceback" not in err
    assert not (tmp_path / "bt").exists()
