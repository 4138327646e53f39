"""Supervisor review of call handlers' gradings (HMIC: staff in call handling should be
"supervised effectively").

A share of eligible gradings (all, 999 only, or flagged incident categories) is sent for
review ``delay`` minutes after grading. Supervisors are a small rota of their own: a request
is taken by a free supervisor at once, else waits its turn (first come, first served); one not
started within ``within`` minutes of the request is never reviewed - at peaks the supervisors
run out, so supervision degrades when it is needed most. A review lasts ``review_minutes``
and finds the caller's true risk with probability ``accuracy`` (else confirms the grade held).
If the grade it records differs and the incident has not yet been attended, the incident is
re-graded (reason "supervision"): raised, lowered, or - a G4 closed without deployment that
was in truth a G1-G3 - re-opened. Every request is a row of ``reviews``.

Supervisors are counted, not modelled one by one: at a shift's end its idle supervisors leave
at once and, if some of its people are mid-review, the next reviews to end release nobody
until the count is right (the crew detail of the control room is not needed for a few people).
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from sim.model.log import RESOLVED, SUPERVISION
from sim.model.fork import copy_views
from sim.scenario.rota import present, shift_instances



class Supervision:
    __deepcopy__ = copy_views   # its memoryviews made anew over the copy's arrays (sim.model.fork)

    def __init__(self, model):
        self.m = model
        sup = model.s.assessment.supervision
        c = model.callers
        self.calls = model.rec.calls
        self.reviews = model.rec.reviews
        self._accurate = memoryview(c.sup_accurate)
        self._delay = memoryview(c.sup_delay)
        self._minutes = memoryview(c.sup_minutes)
        self._true = memoryview(c.true_risk)
        self.within = sup.within
        cats = model.s.thrive.category_names()
        self.only_999 = sup.reviews == "999"
        flagged = {cats.index(x) for x in sup.flagged_categories} if sup.reviews == "flagged" else None
        # callers whose grading is sent for review, decided once (the control room asks only these)
        pick = c.supervise.copy()
        if flagged is not None:
            pick &= np.isin(c.category, sorted(flagged))
        self.selected = memoryview(pick)
        self.free = 0
        self.leaving = 0          # supervisors whose shift is over, still on a review
        self.queue: deque = deque()   # (call, requested at); a request too old is dropped when reached

    @staticmethod
    def for_model(model) -> "Supervision | None":
        return Supervision(model) if model.s.assessment.supervision.enabled else None

    # ------------------------------------------------------------------ rota
    def start(self) -> None:
        pool = self.m.s.assessment.supervision.supervisors
        for inst in shift_instances(pool, self.m.horizon, self.m.s.run.start_date):
            staff = present(inst, pool.abstraction, self.m.streams, "supervision")
            if staff:
                self.m.at(max(inst.start, 0.0), self._shift_start, staff)
                if inst.end < self.m.horizon:
                    self.m.at(inst.end, self._shift_end, staff)

    def _shift_start(self, staff: int) -> None:
        self.free += staff
        self._serve()

    def _shift_end(self, staff: int) -> None:
        idle = min(self.free, staff)
        self.free -= idle
        self.leaving += staff - idle

    # ------------------------------------------------------------------ reviews
    def graded(self, c: int, at: float) -> None:
        """Call ``c``, of a caller in ``selected``, was graded at ``at``: ask for its review."""
        caller = self.calls.caller[c]
        if self.only_999 and self.calls.channel[c] != 0:
            return  # reviews of 999 calls only: this call came on 101
        due = at + self._delay[caller]
        self.m.at(max(due - self.m.env.now, 0.0), self._request, c)

    def _request(self, c: int) -> None:
        self.queue.append((c, self.m.env.now))
        self._serve()

    def _serve(self) -> None:
        now = self.m.env.now
        q = self.queue
        while q and self.free > 0:
            c, asked = q.popleft()
            if now - asked > self.within:
                self._missed(c, asked)
                continue
            self.free -= 1
            self.m.at(self._minutes[self.calls.caller[c]], self._reviewed, c, asked)

    def close(self, horizon: float) -> None:
        """Requests still queued whose time ran out before the horizon were never reviewed (the
        others, and reviews in progress, are left out: their outcome is not known)."""
        for c, asked in self.queue:
            if horizon - asked > self.within:
                self._missed(c, asked)

    def _missed(self, c: int, asked: float) -> None:
        grade = self.calls.final_grade[c]
        self.reviews.append((c, asked, math.nan, grade, grade, 0))

    def _reviewed(self, c: int, asked: float) -> None:
        if self.leaving:
            self.leaving -= 1
        else:
            self.free += 1
        calls = self.calls
        caller = calls.caller[c]
        before = calls.final_grade[c]
        after = self._true[caller] if self._accurate[caller] else before
        applied = 0
        if after != before:
            applied = self._correct(c, before, after)
        self.reviews.append((c, asked, self.m.env.now, before, after, applied))
        self._serve()

    def _correct(self, c: int, before: int, after: int) -> int:
        """Re-grade call ``c`` from ``before`` to ``after`` if its response can still change."""
        calls = self.calls
        if calls.first_on_scene[c] == calls.first_on_scene[c]:
            return 0  # already attended: the record is corrected, the response was what it was
        d = self.m.dispatch
        inc = d.active.get(c)
        if inc is not None:
            if inc.units:
                return 0  # a unit is on its way: left alone
            d.regrade(inc, after, SUPERVISION)
            return 1
        if before == 4 and calls.outcome[c] == RESOLVED:
            # closed without deployment, in truth an incident to attend: re-opened
            self.m.rec.grade_changes.append((c, self.m.env.now, before, after, SUPERVISION))
            calls.final_grade[c] = after
            calls.outcome[c] = -1
            d.route(c, after)
            return 1
        return 0
