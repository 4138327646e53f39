"""The full validation set (the cases not in the fast subset): slow, run by CI."""
from __future__ import annotations

import pytest

from sim.validation import cases as v
from sim.validation.measure import run_cases

SLOW = [c for c in v.cases() if not c.fast]


@pytest.fixture(scope="module")
def slow_results():
    specs = [(c.name, c.path, c.kind, c.reps) for c in SLOW]
    return {r.case: r for r in run_cases(specs)}


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW, ids=lambda c: c.name)
def test_case_lies_within_its_confidence_intervals(slow_results, case):
    res = slow_results[case.name]
    failed = [(r.quantity, r.analytic, r.mean, r.half_width) for r in res.rows if not r.passed]
    assert not failed, f"{case.name}: analytic value outside the 95% interval: {failed}"
