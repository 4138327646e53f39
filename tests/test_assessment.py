"""Issue 15: assessment under workload, vulnerable callers, supervision, the appointment book."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.model.core import run_model
from sim.scenario import load_scenario

from logdigest import CASES, HERE as TESTS, case_digests

FIXTURE = TESTS / "fixtures" / "pre-assessment-default.toml"
NEW_CALL_COLUMNS = ("vulnerable", "identified")


@pytest.mark.parametrize("name,file,overrides", CASES, ids=[c[0] for c in CASES])
def test_neutral_scenario_gives_the_same_event_log_bit_for_bit(name, file, overrides):
    """A scenario that does not use the new mechanisms: every column the log had before issue 15
    is unchanged (fingerprints made at ce30679), the new columns hold their neutral value and
    the new tables are empty."""
    expected = json.loads((TESTS / "fixtures" / "log_digests.json").read_text())[name]
    got = case_digests(name, file, overrides)
    for table, cols in expected.items():
        for col, digest in cols.items():
            assert got[table][col] == digest, f"{name}: {table}.{col} changed"
    s = load_scenario(TESTS / "fixtures" / file, overrides)
    log = run_model(s)
    for col in NEW_CALL_COLUMNS:
        assert (log.calls[col] == -1).all()
    assert log.reviews.empty and log.appointment_changes.empty
