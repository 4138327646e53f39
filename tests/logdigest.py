"""A fingerprint of an event log: one SHA-256 per column of each table.

Used to show that a change leaves the log of a scenario that does not use it bit for bit the
same: tests/fixtures/log_digests.json holds the fingerprints made before the change, and a
test recomputes them. Per column (not one hash of everything), so a change says which column
moved, and columns added later are checked separately (they must hold their neutral values).

    python tests/logdigest.py            # print the fingerprints of the fixture cases as JSON
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TABLES = ("calls", "grade_changes", "pending", "unit_shifts", "activities", "rosters")
# (case name, scenario file under tests/fixtures, overrides): short runs, so the test is quick
CASES = (
    ("default-7d", "pre-assessment-default.toml", ["run.days=7", "run.warmup_days=1"]),
    ("risk-led-7d", "pre-assessment-default.toml", ["run.days=7", "run.warmup_days=1", "policy.kind=risk_led"]),
    ("dedicated-5d", "pre-assessment-default.toml",
     ["run.days=5", "run.warmup_days=1", "appointments.attended_by=dedicated", "run.seed=7"]),
)


def column_digest(values) -> str:
    a = np.ascontiguousarray(np.asarray(values))
    if a.dtype.kind == "O":
        a = np.asarray([str(v) for v in a])
    h = hashlib.sha256(str(a.dtype).encode())
    h.update(a.tobytes())
    return h.hexdigest()


def log_digests(log) -> dict[str, dict[str, str]]:
    out = {}
    for table in TABLES:
        frame = getattr(log, table)
        out[table] = {c: column_digest(frame[c].cat.codes if hasattr(frame[c], "cat") else frame[c])
                      for c in frame.columns}
    return out


def case_digests(name: str, file: str, overrides: list[str]) -> dict:
    from sim.model.core import run_model
    from sim.scenario import load_scenario

    s = load_scenario(HERE / "fixtures" / file, overrides)
    return log_digests(run_model(s))


def main() -> None:
    out = {name: case_digests(name, file, ov) for name, file, ov in CASES}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
