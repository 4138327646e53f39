"""The controller's policy for incidents no unit can take yet: resource-led downgrades (the
practice HMIC criticised), risk-led review and escalation, or none.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from sim.scenario.base import GRADES, Grade, _Strict

class ResourceLedRule(_Strict):
    after: float = Field(gt=0)          # minutes unresourced before the controller looks
    to: Grade
    probability: float = Field(ge=0, le=1)
    recheck_every: float | None = Field(default=None, gt=0)


class ResourceLed(_Strict):
    rules: dict[Grade, ResourceLedRule] = {}

    @field_validator("rules")
    @classmethod
    def _lower(cls, v):
        for g, rule in v.items():
            if GRADES.index(rule.to) <= GRADES.index(g):
                raise ValueError(f"rules.{g}.to = {rule.to!r}: a downgrade must go to a lower grade than {g}")
        return v


class Escalation(_Strict):
    """Borrow neighbourhood officers for G1/G2 incidents waiting too long (risk-led)."""
    enabled: bool = True
    borrow_after: dict[Literal["G1", "G2"], float] = {"G1": 10.0, "G2": 60.0}
    retry_every: float = Field(default=10.0, gt=0)


class RiskLed(_Strict):
    review_after: dict[Grade, float] = {"G1": 20.0, "G2": 45.0}
    accuracy: float = Field(default=0.8, ge=0, le=1)
    escalation: Escalation = Escalation()


class Policy(_Strict):
    kind: Literal["resource_led", "risk_led", "none"] = "none"
    resource_led: ResourceLed = ResourceLed()
    risk_led: RiskLed = RiskLed()


