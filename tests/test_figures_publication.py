"""Publication figures: --figures png,svg,pdf, --title, human labels (the scenario's
description, "units on the late shift"), A and B described in compare figures."""
from __future__ import annotations

import re

import pytest

from sim.report.labels import change_phrase, key_phrase, unsigned_zero

from conftest import DEFAULT


def _svg_text(path) -> str:
    return " ".join(re.findall(r"<text[^>]*>([^<]*)", path.read_text()))


@pytest.mark.slow
def test_run_writes_svg_with_human_labels(tmp_path, triage):
    out = tmp_path / "r"
    p = triage("run", DEFAULT, "--days", 2, "--warmup-days", 1, "--reps", 2, "--jobs", 1, "--out", out,
                "--figures", "svg", "--quiet")
    assert p.returncode == 0, p.stderr
    svgs = sorted((out / "figures").glob("*.svg"))
    assert len(svgs) == 9 and not list((out / "figures").glob("*.png"))   # the nine figures, only the format asked
    text = " ".join(_svg_text(s) for s in svgs)
    assert "Nottinghamshire-like force with a resource-led controller" in text
    assert "nottinghamshire-2016" not in text and "response.shifts" not in text
    assert "data:image/png;base64" in (out / "report.html").read_text()   # the report still embeds PNGs


@pytest.mark.slow
def test_report_redraws_in_other_formats_and_a_title(tmp_path, triage):
    out = tmp_path / "r"
    assert triage("run", DEFAULT, "--days", 1, "--warmup-days", 0, "--jobs", 1, "--out", out, "--quiet").returncode == 0
    p = triage("report", out, "--figures", "pdf,png", "--title", "Figure 2: the control room in 2016")
    assert p.returncode == 0, p.stderr
    pdfs = sorted((out / "figures").glob("*.pdf"))
    assert len(pdfs) == 9 and all(x.read_bytes()[:5] == b"%PDF-" for x in pdfs)
    assert len(list((out / "figures").glob("*.png"))) == 9
    p = triage("report", out, "--figures", "svg", "--title", "Figure 2: the control room in 2016")
    assert p.returncode == 0, p.stderr
    assert not list((out / "figures").glob("*.pdf"))   # a format no longer asked does not linger
    assert all("Figure 2: the control room in 2016" in _svg_text(x) for x in (out / "figures").glob("*.svg"))


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["gif", "png,", "svg,jpeg", ""])
def test_figures_option_refuses_unknown_formats(bad, tmp_path, triage):
    p = triage("run", "--figures", bad, "--out", tmp_path / "x")
    if bad == "png,":   # a trailing comma is harmless
        return
    assert p.returncode == 2 and "expected a comma-separated list of png, svg, pdf" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "x").exists()


@pytest.mark.slow
def test_compare_figures_describe_a_and_b(tmp_path, triage):
    out = tmp_path / "c"
    p = triage("compare", DEFAULT, "--set-b", "response.shifts.late.units=60", "--reps", 2, "--days", 1,
                "--warmup-days", 0, "--jobs", 1, "--out", out, "--figures", "svg", "--quiet")
    assert p.returncode == 0, p.stderr
    text = _svg_text(out / "figures" / "3a-response-by-initial-grade.svg")
    assert "A: Nottinghamshire-like force" in text
    assert "B: A, with units on the late shift = 60" in text


def test_key_phrases():
    assert key_phrase("response.shifts.late.units") == "units on the late shift"
    assert key_phrase("call_handling.shifts.early.staff") == "call handlers on the early shift"
    assert key_phrase("demand.channels.999.calls_per_day") == "999 calls a day"
    assert key_phrase("policy.kind") == "dispatch policy"
    assert change_phrase("response.shifts.night.start=23:00") == "start of the night shift = 23:00"


@pytest.mark.parametrize("text,want", [("-0.0", "0.0"), ("+0.00 min", "0.00 min"), ("−0", "0"), ("-0.1", "-0.1"),
                                       ("+10", "+10")])
def test_no_signed_zero(text, want):
    assert unsigned_zero(text) == want
