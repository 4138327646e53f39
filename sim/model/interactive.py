"""Stepping one run by hand: advance the clock to a time or to the next question for an
interactive controller, answer it, go on, finish. The same ``Model`` as any run, so a
session whose answers are what a policy would have said is the same run, bit for bit.

How a question stops the clock without a second model: the ``Deferred`` policy's ``ask`` is
this session's, which notes the question and answers None; the dispatcher's check does
nothing more (its actions come last in the callback), ``env.step()`` returns, and the session
hands the question out. ``decide`` asks the policy again, now with the answer, at the same
simulated moment, and the dispatcher carries the actions out as it would have in the check.
Only a session pays for this: a plain run never sees these classes.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from sim.model.log import EventLog
from sim.scenario import Scenario
from sim.model.core import Model
from sim.model.dispatch import BLOCK, FREE, NEIGHBOURHOOD, OFF, RESPONSE


@dataclass(frozen=True)
class Question:
    """What the controller is asked about: one unresourced incident at a check."""
    time: float          # simulated minute
    call: int            # the incident's call row
    caller: int
    grade: int
    true_risk: int
    waited: float        # minutes unresourced
    checks_done: int


class _Watch:
    """Session-only wrapper of the top policy: remembers the check being asked, so the
    session can ask again with the answer."""

    def __init__(self, inner):
        self.inner, self.last = inner, None

    def bind(self, model) -> None:
        if hasattr(self.inner, "bind"):
            self.inner.bind(model)

    def checks(self, grade):
        return self.inner.checks(grade)

    def on_wait(self, check, view):
        self.last = (check, view)
        return self.inner.on_wait(check, view)


class Session:
    """One replication stepped by hand. ``policy``: a function of ``ask`` returning the
    policy to run (e.g. ``lambda ask: Windowed(before, Deferred.from_scenario(ask, s), t0, t1)``),
    or None for the scenario's own policy (a live view of an ordinary run)."""

    def __init__(self, scenario: Scenario, seed: int | None = None, replication: int = 0, policy=None):
        self.scenario = scenario
        self._answer: str | None = None
        self.question: Question | None = None
        self._watch = _Watch(policy(self._ask)) if policy is not None else None
        seed = scenario.run.seed if seed is None else int(seed)
        self.model = Model(scenario, seed, replication, self._watch)
        self.model.start()
        self.horizon = self.model.horizon
        self.log: EventLog | None = None

    def fork(self) -> "Session":
        """An independent copy of the session as it stands (the clock, the calendar, the open
        question): it goes on exactly as this one would, and neither sees the other's decisions.
        The scenario and the callers are shared (the run only reads them; ``sim.model.fork``)."""
        if self.log is not None:
            raise RuntimeError("the session is finished: nothing to copy")
        from sim.model.fork import shared

        return copy.deepcopy(self, shared(self.model))

    # ------------------------------------------------------------------ the clock
    @property
    def now(self) -> float:
        return self.model.env.now if self.model.env is not None else self.horizon

    @property
    def finished(self) -> bool:
        return self.log is not None

    def _ask(self, check, view):
        if self._answer is not None:
            answer, self._answer = self._answer, None
            return answer
        self.question = Question(self.model.env.now, view.call, int(self.model.rec.calls.caller[view.call]),
                                 view.grade, view.true_risk, view.waited, view.checks_done)
        return None

    def advance(self, until: float = math.inf) -> Question | None:
        """Run until the next question, or until the clock reaches ``until`` (at most the
        horizon). Returns the open question, if any."""
        if self.question is not None or self.log is not None:
            return self.question
        env = self.model.env
        stop = min(until, self.horizon)
        step, peek = env.step, env.peek
        while peek() < stop:
            step()
            if self.question is not None:
                return self.question
        if env.now < stop:
            env._now = stop   # what env.run(until=stop) leaves: the clock at stop, nothing else done
        return None

    def decide(self, choice: str) -> None:
        """Answer the open question; the actions happen now, at the question's minute."""
        if self.question is None:
            raise RuntimeError("no question is open")
        check, view = self._watch.last
        self._answer = choice
        actions = self._watch.inner.on_wait(check, view)
        self._answer = None
        self.question = None
        d = self.model.dispatch
        inc = d.active[view.call]
        d.carry_out(inc, actions, view.checks_done)

    def finish(self, answer: str = "keep") -> EventLog:
        """Run to the horizon (answering any further question with ``answer``) and return the log."""
        if self.log is not None:
            return self.log
        while True:
            if self.question is not None:
                self.decide(answer)
            if self.advance() is None:
                break
        self.log = self.model.finish()
        return self.log

    # ------------------------------------------------------------------ what the controller sees
    def pending(self) -> list[dict]:
        """Unresourced incidents, most urgent first."""
        d, m = self.model.dispatch, self.model
        now, c = self.now, m.callers
        out = []
        for inc in d.pending.in_order():
            since = inc.unresourced_since if inc.unresourced_since is not None else now
            out.append({"call": inc.id, "caller": inc.caller, "grade": inc.grade,
                        "true_risk": int(c.true_risk[inc.caller]), "category": int(c.category[inc.caller]),
                        "area": int(c.area[inc.caller]), "waited": now - since, "units": len(inc.units),
                        "needed": inc.needed, "held": inc.held})
        return out

    def units(self) -> dict[str, int]:
        """Response units on duty by state, and neighbourhood officers free to borrow."""
        d = self.model.dispatch
        counts = {"free": 0, "busy": 0, "break": 0}
        for u in d.on_duty.values():
            if u.pool != RESPONSE or u.state == OFF:
                continue
            counts["free" if u.state == FREE else "break" if u.state == BLOCK else "busy"] += 1
        counts["neighbourhood_free"] = sum(1 for u in d.neighbourhood.values() if u.pool == NEIGHBOURHOOD)
        counts["en_route"] = len(d.travelling)
        return counts

    def divertible(self, grade: int) -> int:
        """Units en route to a job of a lower grade than ``grade`` (a divert could take one)."""
        return sum(1 for u in self.model.dispatch.travelling.values() if u.job.grade > grade)

    def grade_changes(self, since: int = 0) -> list[tuple]:
        """Grade changes recorded so far, from the ``since``-th: (call, time, from, to, reason)."""
        return self.model.rec.grade_changes[since:]
