"""The committed docs/validation.md is up to date with the validation cases (without re-running them)."""
from __future__ import annotations

from pathlib import Path

from sim.validation.markdown import cases_hash, expected_rows, parse_report

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "docs" / "validation.md"
HOW = "regenerate with `triage-sim validate-model --full` (or `python -m sim validate-model --full`)"


def test_report_exists_and_is_the_full_set():
    text = REPORT.read_text(encoding="utf-8")
    assert "- set: full" in text, HOW
    assert "- seed: each case file's `run.seed`" in text, HOW


def test_report_matches_the_case_files_and_registry():
    parsed = parse_report(REPORT.read_text(encoding="utf-8"))
    assert parsed["hash"] == cases_hash(ROOT), f"scenarios/validation or the registry changed: {HOW}"
    rows = [(r["case"], r["quantity"], r["analytic"]) for r in parsed["rows"]]
    assert rows == expected_rows(ROOT), HOW


def test_every_quantity_in_the_report_passes():
    parsed = parse_report(REPORT.read_text(encoding="utf-8"))
    failed = [(r["case"], r["quantity"]) for r in parsed["rows"] if not r["pass"]]
    assert parsed["rows"] and not failed
