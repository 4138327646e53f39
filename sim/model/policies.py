"""Downgrade policies: what the controller does about an incident nobody is attending.

This is the one place the downgrade rule lives. A policy is asked two things:

* ``checks(grade)``: when an unresourced incident enters the pending list at ``grade``,
  after how many minutes should the controller look at it again, and under what key (a name, or
  any value the policy recognises when it gets it back: ``Windowed`` keys its own by who decides);
* ``on_wait(check, incident, view)``: the incident is still unresourced at that check;
  return a list of actions (``Regrade``, ``Borrow``, ``Recheck``).

The dispatcher carries the actions out and records every grade change with its reason.
Random decisions use uniforms that belong to the incident (``view.u_policy`` for this
check, ``view.u_review``), never a shared stream, so two scenarios facing the same caller
decide alike (common random numbers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Protocol

from sim.scenario import GRADES, Policy as PolicyConfig


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
    check: Hashable   # the check's key, as the policy gave it in ``checks``


@dataclass(frozen=True)
class Divert:
    """Re-task the unit en route to the least urgent job of a lower grade to this incident."""


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
    call: int = -1        # the incident's call row (who is asking: shown to an interactive controller)


class DowngradePolicy(Protocol):
    def checks(self, grade: int) -> list[tuple[float, Hashable]]: ...
    def on_wait(self, check: Hashable, view: IncidentView) -> list: ...


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
        # asked for every incident that waits: built once, not per incident
        self._checks = {g: ((r.after, "downgrade"),) for g, r in self.rules.items() if r}

    def checks(self, grade):
        return self._checks.get(grade, ())

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
        self._checks = {g: self._build_checks(g) for g in range(len(GRADES) + 1)}

    def _build_checks(self, grade):
        """Asked for every incident that waits: built once per grade, not per incident."""
        out = []
        if grade in self.review:
            out.append((self.review[grade], "review"))
        if grade in self.borrow_after:
            out.append((self.borrow_after[grade], "escalate"))
        return tuple(out)

    def checks(self, grade):
        return self._checks[grade]

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


# ---------------------------------------------------------------------------- interactive controller
CHOICES = ("keep", "downgrade", "reassess", "borrow", "divert")
CHOICE_TEXT = {
    "keep": "keep waiting (look again later)",
    "downgrade": "downgrade one grade (no unit free)",
    "reassess": "call back and re-assess (THRIVE)",
    "borrow": "borrow a neighbourhood officer",
    "divert": "divert a unit from a lower-grade job",
}


class Deferred:
    """A controller who is asked: at each check of an unresourced G1/G2 while no unit is free,
    ``ask(check, view)`` returns one of ``CHOICES`` (or None: the answer comes later, through
    ``actions``, from an interactive session that stopped the clock). With units free there is
    no decision to make and the incident keeps waiting for the next check.

    The choices are the controller's real options, with the model's own mechanisms:
    ``downgrade`` lowers the grade by one for lack of resources (recorded as such);
    ``reassess`` is a re-THRIVE that finds the true risk with the scenario's re-assessment
    accuracy (the incident's own uniform, as the risk-led policy uses); ``borrow`` sends a
    neighbourhood officer if one is on duty; ``divert`` re-tasks a unit en route to a lower
    grade. Every choice but a downgrade or a successful re-assessment looks again after
    ``every`` minutes."""

    def __init__(self, ask, first: dict[int, float], every: dict[int, float], accuracy: float):
        self.ask, self.first, self.every, self.accuracy = ask, first, every, accuracy

    @classmethod
    def from_scenario(cls, ask, s) -> "Deferred":
        """Checks when the scenario's resource-led controller would look (G1 after 10 min,
        G2 after 60 and hourly in the default), re-assessment as accurate as its risk-led one."""
        rules = ResourceLed(s.policy.resource_led).rules
        first = {g: r.after for g, r in rules.items() if g <= 2}
        every = {g: (r.recheck_every or r.after) for g, r in rules.items() if g <= 2}
        return cls(ask, first, every, s.policy.risk_led.accuracy)

    def bind(self, model) -> None:
        if hasattr(self.ask, "bind"):
            self.ask.bind(model)

    def checks(self, grade):
        return [(self.first[grade], "decide")] if grade in self.first else []

    def on_wait(self, check, view):
        if view.free_units > 0:
            return [Recheck(self.every[view.grade], check)]
        choice = self.ask(check, view)
        return [] if choice is None else self.actions(choice, check, view)

    def actions(self, choice: str, check: str, view: IncidentView) -> list:
        again = Recheck(self.every[view.grade], check)
        if choice == "downgrade":
            return [Regrade(view.grade + 1, RESOURCE)]
        if choice == "reassess":
            if view.u_review < self.accuracy and view.true_risk != view.grade:
                return [Regrade(view.true_risk, REASSESSMENT)]
            return [again]
        if choice == "borrow":
            return [Borrow(), again]
        if choice == "divert":
            return [Divert(), again]
        if choice == "keep":
            return [again]
        raise ValueError(f"choice: {choice!r}; expected one of {', '.join(CHOICES)}")


class Windowed:
    """``during`` decides checks that fall in [start, end) minutes; ``before`` decides all the
    others (the force's usual controller before and after a trainee's shift). Each policy's
    checks are scheduled as it asks; a check that falls due while the other is in charge
    waits for its turn (an incident left waiting at 17:50 is on the trainee's desk at 18:00)."""

    def __init__(self, before, during, start: float, end: float):
        self.before, self.during, self.start, self.end = before, during, start, end
        self.env = None

    def bind(self, model) -> None:
        self.env = model.env
        for p in (self.before, self.during):
            if hasattr(p, "bind"):
                p.bind(model)

    def checks(self, grade):
        return ([(after, (0, name)) for after, name in self.before.checks(grade)]
                + [(after, (1, name)) for after, name in self.during.checks(grade)])

    def on_wait(self, check, view):
        who, name = check
        now = self.env.now
        if who != int(self.start <= now < self.end):   # not in charge now: look again when it is
            if who and now < self.start:
                return [Recheck(self.start - now, check)]
            if not who and now < self.end:
                return [Recheck(self.end - now, check)]
            return []
        policy = self.during if who else self.before
        return [Recheck(a.after, (who, a.check)) if isinstance(a, Recheck) else a
                for a in policy.on_wait(name, view)]


class Replay:
    """``ask`` for a ``Deferred`` controller that answers from a record of decisions keyed by
    (call row, simulated minute): a direct run of the decisions an interactive session made.
    A question it has no answer for gets ``default``."""

    def __init__(self, decisions: dict[tuple[int, float], str], default: str = "keep"):
        self.decisions, self.default, self.env = dict(decisions), default, None

    def bind(self, model) -> None:
        self.env = model.env

    def __call__(self, check, view) -> str:
        return self.decisions.get((view.call, self.env.now), self.default)
