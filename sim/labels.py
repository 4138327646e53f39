"""Words a reader sees in printouts and figures: values without a stray sign, scenario keys
as phrases ("units on the late shift", not ``response.shifts.late.units``). No heavy imports:
the command line uses these before anything is simulated."""
from __future__ import annotations


def unsigned_zero(text: str) -> str:
    """'-0.0 min' -> '0.0 min': a value that rounds to zero has no sign."""
    return text.lstrip("+-−") if text[:1] in "+-−" and not any(c in "123456789" for c in text) else text
