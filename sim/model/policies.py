"""Downgrade policies: what the controller does about an incident nobody is attending.

This is the one place the downgrade rule lives. A policy is asked two things:

* ``checks(grade)``: when an unresourced incident enters the pending list at ``grade``,
  after how many minutes should the controller look at it again, and under what name;
* ``on_wait(check, incident, view)``: the incident is still unresourced at that check;
  return a list of actions (``Regrade``, ``Borrow``, ``Recheck``).

The dispatcher carries the actions out and records every grade change with its reason.
Random decisions use uniforms that belong to the incident (``view.u_policy`` for this
check, ``view.u_review``), never a shared stream, so two scenarios facing the same caller
decide alike (common random numbers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..scenario import GRADES, Policy as PolicyConfig


@dataclass(frozen=True)
class Regrade:
    to: int          # 1..4
    reason: int      # index into log.REASONS


@dataclass(frozen=True)
class Borrow:
    """Send a neighbourhood officer, if one is on duty and not already borrowed."""


@dataclass(frozen=True)
class Recheck:
    after: float
    check: str


@dataclass(frozen=True)
class IncidentView:
    """What a controller can see of one waiting incident."""
    grade: int
    true_risk: int
    waited: float         # minutes unresourced at the current grade
    free_units: int       # free units this incident could be given now, less any G1 reserve
    checks_done: int      # times this check has already fired for this grade
    u_policy: float       # this incident's uniform for this check (a new one for each recheck)
    u_review: float


class DowngradePolicy(Protocol):
    def checks(self, grade: int) -> list[tuple[float, str]]: ...
    def on_wait(self, check: str, view: IncidentView) -> list: ...


RESOURCE, REASSESSMENT = 0, 1


class NoDowngrade:
    """Grades never change after first contact."""

    def checks(self, grade):
        return []

    def on_wait(self, check, view):
        return []


class ResourceLed:
    """What HMIC found in 2016: an incident of grade g unresourced for ``after`` minutes while
    no unit is free is lowered to ``to`` with probability ``probability``."""

    def __init__(self, cfg):
        self.rules = {GRADES.index(g) + 1: r for g, r in cfg.rules.items()}

    def checks(self, grade):
        rule = self.rules.get(grade)
        return [(rule.after, "downgrade")] if rule else []

    def on_wait(self, check, view):
        rule = self.rules[view.grade]
        if view.free_units == 0 and view.u_policy < rule.probability:
            return [Regrade(GRADES.index(rule.to) + 1, RESOURCE)]
        if rule.recheck_every:
            return [Recheck(rule.recheck_every, check)]
        return []


class RiskLed:
    """HMIC's recommendation: never lowered for lack of officers. At the review time the
    incident is re-assessed (re-THRIVE) and moves to its true risk with probability
    ``accuracy``; G1/G2 incidents waiting too long borrow neighbourhood officers."""

    def __init__(self, cfg):
        self.review = {GRADES.index(g) + 1: m for g, m in cfg.review_after.items()}
        self.accuracy = cfg.accuracy
        esc = cfg.escalation
        self.borrow_after = {GRADES.index(g) + 1: m for g, m in esc.borrow_after.items()} if esc.enabled else {}
        self.retry_every = esc.retry_every

    def checks(self, grade):
        out = []
        if grade in self.review:
            out.append((self.review[grade], "review"))
        if grade in self.borrow_after:
            out.append((self.borrow_after[grade], "escalate"))
        return out

    def on_wait(self, check, view):
        if check == "review":
            if view.checks_done == 0 and view.u_review < self.accuracy and view.true_risk != view.grade:
                return [Regrade(view.true_risk, REASSESSMENT)]
            return []
        return [Borrow(), Recheck(self.retry_every, "escalate")]


def make_policy(cfg: PolicyConfig) -> DowngradePolicy:
    if cfg.kind == "resource_led":
        return ResourceLed(cfg.resource_led)
    if cfg.kind == "risk_led":
        return RiskLed(cfg.risk_led)
    return NoDowngrade()
