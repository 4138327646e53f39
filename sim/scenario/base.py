"""The words every part of a scenario shares: grades, days and channels, the strict model all
tables are built on, the one error a scenario that cannot be used raises, and the checks and
limits several topics use. Every other module of the package builds on this one; it imports
none of them, so the topic modules never need each other for their vocabulary.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

GRADES = ("G1", "G2", "G3", "G4")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHANNELS = ("999", "101")
Grade = Literal["G1", "G2", "G3", "G4"]
Day = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_PROB_TOL = 1e-6


class ScenarioError(Exception):
    """A scenario that cannot be used, with where and why."""

    def __init__(self, file: str | Path | None, path: str, value: Any, expected: str):
        self.file, self.path, self.value, self.expected = str(file or "<scenario>"), path, value, expected
        where = f"{self.file}: {path}" if path else self.file
        shown = "" if value is _NO_VALUE else f" = {_show(value)}"
        super().__init__(f"{where}{shown}: {expected}")


_NO_VALUE = object()


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Strict(BaseModel):
    # strict: "5" is not a number and "yes" is not true; no inf/nan where a finite number is meant
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False, strict=True,
                              allow_inf_nan=False)


def _check_probabilities(mix: dict[str, float], what: str) -> dict[str, float]:
    bad = {k: v for k, v in mix.items() if not (0.0 <= v <= 1.0)}
    if bad:
        raise ValueError(f"{what}: each probability must lie in [0, 1]")
    total = sum(mix.values())
    if abs(total - 1.0) > _PROB_TOL:
        raise ValueError(f"{what}: probabilities must sum to 1 (they sum to {total:.6g})")
    return mix


MAX_FACTOR = 1000.0   # a demand multiplier or surge beyond x1000 is a typo, not a scenario

MAX_HEADS = 100_000   # people on one shift or in one team: beyond any force (the Met has ~34,000 officers)

