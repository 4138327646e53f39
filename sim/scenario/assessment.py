"""Assessment at first contact: THRIVE grading (the misgrading matrix from true risk to the
grade recorded, and incident categories), and HMIC's first recommendation (issue 15): grading
under workload pressure, vulnerable and repeat callers, and supervisors reviewing gradings.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.scenario.base import GRADES, Grade, _check_probabilities, _Strict
from sim.scenario.pools import HandlerShift, _Pool
from sim.util.distributions import Distribution, Fixed

MAX_CATEGORIES = 30_000   # a caller's category is kept in 16 bits


class Thrive(_Strict):
    """Assessment at first contact: the misgrading matrix maps true risk to assessed grade."""
    misgrading_enabled: bool = True
    misgrading: dict[Grade, dict[Grade, float]] = {}
    categories: dict[Grade, dict[str, float]] = {}

    @field_validator("misgrading")
    @classmethod
    def _rows(cls, v):
        for g, row in v.items():
            _check_probabilities(row, f"misgrading row {g}")
        return v

    @field_validator("categories")
    @classmethod
    def _cats(cls, v):
        for g, row in v.items():
            _check_probabilities(row, f"category mix {g}")
        names = {c for row in v.values() for c in row}
        if len(names) > MAX_CATEGORIES:
            raise ValueError(f"{len(names):,} incident categories: expected at most {MAX_CATEGORIES:,} (a caller's "
                             "category is stored in 16 bits)")
        return v

    def matrix(self) -> np.ndarray:
        """4x4 row-stochastic matrix, true grade (row) -> assessed grade (column)."""
        m = np.eye(4)
        if self.misgrading_enabled:
            for g, row in self.misgrading.items():
                i = GRADES.index(g)
                m[i] = 0.0
                for h, p in row.items():
                    m[i, GRADES.index(h)] = p
        return m

    def category_names(self) -> list[str]:
        names: list[str] = []
        for row in self.categories.values():
            names += [c for c in row if c not in names]
        return names or ["unspecified"]



class BlendStep(_Strict):
    at: float = Field(ge=0)          # pressure from which ...
    weight: float = Field(ge=0, le=1)   # ... grading is this far toward the rushed matrix


class Workload(_Strict):
    """Assessment under pressure: grading moves from ``thrive.misgrading`` toward ``rushed`` as
    calls wait (``calls_waiting``: 999 + 101 calls queued when a call is answered) or handlers
    are busy (``occupancy``: share of handlers on a call). Linear: no effect up to ``start``,
    fully rushed from ``full``. Step: the weight of the highest step reached."""
    rushed: dict[Grade, dict[Grade, float]] = {}   # rows left out: as the normal matrix
    measure: Literal["calls_waiting", "occupancy"] = "calls_waiting"
    blend: Literal["linear", "step"] = "linear"
    start: float = Field(default=0.0, ge=0)
    # checked even when left at its default: start = 30 alone would make the weight negative
    full: float = Field(default=20.0, gt=0, validate_default=True)
    steps: list[BlendStep] = []

    @field_validator("rushed")
    @classmethod
    def _rows(cls, v):
        for g, row in v.items():
            _check_probabilities(row, f"rushed row {g}")
        return v

    @field_validator("start", "full", "steps")
    @classmethod
    def _pressure(cls, v, info):
        top = max((s.at for s in v), default=0.0) if info.field_name == "steps" else v
        if info.data.get("measure") == "occupancy" and top > 1:
            raise ValueError("expected a share of handlers <= 1 (measure = 'occupancy')")
        if info.field_name == "full" and info.data.get("blend") == "linear" and v <= info.data.get("start", 0.0):
            raise ValueError(f"expected full above start ({info.data.get('start', 0.0):g})")
        return v

    @model_validator(mode="after")
    def _shape(self):
        if self.blend == "step" and self.rushed and not self.steps:
            raise ValueError("blend = 'step' needs steps, e.g. [{ at = 10, weight = 1.0 }]")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.rushed)


class Vulnerability(_Strict):
    """Vulnerable and repeat victims: a flag per caller (share by incident category), identified
    at first contact with a probability; an identified caller's grade is raised to at least
    ``raise_to`` and to their true risk. ``identification_rushed``: the probability when grading
    is fully rushed (blended with the workload's weight; unset = no effect of pressure)."""
    share: dict[str, float] = {}
    identification: float = Field(default=1.0, ge=0, le=1)
    identification_rushed: float | None = Field(default=None, ge=0, le=1)
    raise_to: Grade = "G2"

    @field_validator("share")
    @classmethod
    def _shares(cls, v):
        bad = {k: x for k, x in v.items() if not 0 <= x <= 1}
        if bad:
            raise ValueError(f"shares must lie in [0, 1]: {bad}")
        return v

    @property
    def enabled(self) -> bool:
        return any(x > 0 for x in self.share.values())


class Supervisors(_Pool):
    shifts: dict[str, HandlerShift] = {}


class Supervision(_Strict):
    """Supervisor review of gradings: a ``share`` of eligible gradings (all, 999 only, or the
    flagged categories) asked for ``delay`` after grading; a supervisor takes it when free
    (FIFO) and spends ``review_minutes``; not started ``within`` minutes of the request, it is
    never done (capacity ran out). A review finds the true risk with probability ``accuracy``;
    an incident not yet attended is re-graded (reason "supervision")."""
    share: float = Field(default=0.0, ge=0, le=1)
    reviews: Literal["all", "999", "flagged"] = "all"
    flagged_categories: list[str] = []
    delay: Distribution = Fixed(family="fixed", value=10.0)
    review_minutes: Distribution = Fixed(family="fixed", value=3.0)
    within: float = Field(default=60.0, gt=0)
    accuracy: float = Field(default=1.0, ge=0, le=1)
    supervisors: Supervisors = Supervisors()

    @property
    def enabled(self) -> bool:
        return self.share > 0


class Assessment(_Strict):
    """HMIC's first recommendation: the initial assessment (issue 15). Absent: grading as before."""
    workload: Workload = Workload()
    vulnerability: Vulnerability = Vulnerability()
    supervision: Supervision = Supervision()


