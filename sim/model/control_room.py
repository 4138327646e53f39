"""The control room: call handlers on a rota, 999 answered before 101, abandonment, retries,
and the THRIVE grade recorded when handling ends.

Handlers are counted, not modelled one by one, but counted per crew (shift instance): a
handover is the incoming crew free at once while each off-going handler finishes *their own*
call and then leaves. Counting one pool would lose that overlap (the next handler to finish
any call would leave, often an incoming one), and waits after a shift change would come out
too long. A call is answered by a free handler of the crew staying longest (the latest shift
end), so the crew about to leave is the last to pick up new calls.
"""
from __future__ import annotations

import math
from collections import deque

from sim.model.log import ABANDONED, POOLS
from sim.scenario.rota import present, shift_instances
from sim.model.assessment import Assessor
from sim.model.supervision import Supervision
from sim.model.fork import copy_views

CH_999, CH_101 = 0, 1


class ControlRoom:
    __deepcopy__ = copy_views   # its memoryviews made anew over the copy's arrays (sim.model.fork)

    def __init__(self, model):
        self.m = model
        self.calls = model.rec.calls
        self.callers = model.callers
        # per-call paths read the clock and schedule through these, not self.m.env.now (a property)
        self._env, self._at = model.env, model.at
        self.free = 0             # free handlers on duty, all crews together
        self._crew_free: list[int] = []     # per crew (shift instance): its free handlers
        self._crew_end: list[float] = []
        self._crew_gone: list[bool] = []    # shift over: its handlers leave as their calls end
        self._on_duty: list[int] = []       # crews on duty, the one staying longest first
        self._grade_due: dict[int, int] = {}   # calls in progress whose grade is recorded when they end: grade
        self.waiting = 0          # calls queued now (abandoned ones leave the count at once)
        self.busy = 0             # handlers on a call now
        self.queues = (deque(), deque())  # 999, 101; abandoned calls are skipped lazily
        c = self.callers
        # memoryviews: item access twice as fast as numpy scalars, and no copy of the arrays
        self._arrival = memoryview(c.arrival)
        self._channel = memoryview(c.channel)
        self._patience = memoryview(c.patience)
        self._handling = memoryview(c.handling)
        self._assessed = memoryview(c.assessed)
        chans = [model.s.demand.channels.get(name) for name in ("999", "101")]
        self._graded_at = [ch.graded_at if ch is not None else 1.0 for ch in chans]
        self.assessor = Assessor.for_model(model)        # None: the grade drawn before the run
        self.supervision = Supervision.for_model(model)  # None: no supervisor reviews
        a = self.assessor
        # callers the assessor must see even with nobody waiting (vulnerable ones, or every caller when
        # pressure is occupancy); None: only when calls wait (the grade is the drawn one otherwise)
        self._ask_always = a is not None and a.occupancy
        self._ask = a._vulnerable if a is not None else None
        self._reviewed = self.supervision.selected if self.supervision is not None else None

    # ------------------------------------------------------------------ set-up
    def start(self) -> None:
        pool = self.m.s.call_handling
        for k, inst in enumerate(shift_instances(pool, self.m.horizon, self.m.s.run.start_date)):
            staff = present(inst, pool.abstraction, self.m.streams, "call_handling")
            self.m.rec.rosters.append((POOLS.index("call_handling"), inst.start, inst.end, inst.staff, staff))
            self._crew_free.append(0)
            self._crew_end.append(inst.end)
            self._crew_gone.append(False)
            self.m.at(max(inst.start, 0.0), self._shift_start, k, staff)
            if inst.end < self.m.horizon:
                self.m.at(inst.end, self._shift_end, k)
        self._env.feed(self._arrival, self.offer)   # the callers ringing for the first time, in arrival order
        if self.supervision is not None:
            self.supervision.start()

    # ------------------------------------------------------------------ arrivals
    def offer(self, caller: int, channel: int = -1, patience: float = 0.0, retry_of: int = -1) -> None:
        """A call reaches the control room: the caller's first attempt (``offer(caller)``, made by
        the clock's feed at their arrival: channel and patience are the caller's own) or a retry
        (``retry_of`` the abandoned call, with the retry's channel and patience)."""
        if retry_of < 0:
            channel, patience = self._channel[caller], self._patience[caller]
        calls = self.calls
        c = calls.new_row()
        calls.caller[c] = caller
        calls.channel[c] = channel
        calls.retry_of[c] = retry_of
        calls.arrival[c] = self._env._now
        if self.free > 0:
            self._answer(c)
            return
        self.queues[channel].append(c)
        self.waiting += 1
        if patience != math.inf:
            self._at(patience, self._abandon, c)

    def _abandon(self, c: int) -> None:
        calls = self.calls
        if calls.answered[c] == calls.answered[c]:  # not NaN: already answered
            return
        now = self._env._now
        self.waiting -= 1
        calls.abandoned[c] = now
        calls.outcome[c] = ABANDONED
        k = int(calls.caller[c])
        cl = self.callers
        if calls.retry_of[c] < 0 and cl.retries[k]:
            channel = CH_999 if cl.retry_to_999[k] else int(calls.channel[c])
            self._at(float(cl.retry_delay[k]), self.offer, k, channel, float(cl.retry_patience[k]), c)

    # ------------------------------------------------------------------ handling
    def _answer(self, c: int) -> None:
        crew_free = self._crew_free
        for k in self._on_duty:
            if crew_free[k]:
                break
        crew_free[k] -= 1
        self.free -= 1
        self.busy += 1
        now = self._env._now
        calls = self.calls
        calls.answered[c] = now
        caller = calls.caller[c]
        handling = self._handling[caller]
        to_grade = handling * self._graded_at[calls.channel[c]]
        grade = self._assessed[caller]
        if self.assessor is not None and (self.waiting or self._ask_always or (self._ask is not None and self._ask[caller])):
            grade = self.assessor.grade(c, caller, self.waiting, self.busy, self.free)
        if to_grade < handling and 0 < grade < 4:
            # an incident to send units to: created mid-call, while the handler is still on the line
            self._at(to_grade, self._graded, c, now + to_grade, grade)
            self._at(handling, self._handled, c, k, -1.0, grade)
        else:
            # no dispatch follows (or grading ends the call): recorded when the call ends, one event fewer
            self._grade_due[c] = grade
            self._at(handling, self._handled, c, k, now + to_grade, grade)

    def _graded(self, c: int, at: float, grade: int) -> None:
        """THRIVE done at ``at``: the grade is recorded and the incident created."""
        calls = self.calls
        calls.graded[c] = at
        calls.initial_grade[c] = grade
        calls.final_grade[c] = grade
        self.m.dispatch.route(c, grade)
        if self._reviewed is not None and grade > 0 and self._reviewed[calls.caller[c]]:
            self.supervision.graded(c, at)

    def _handled(self, c: int, crew: int, graded_at: float, grade: int) -> None:
        self.busy -= 1
        if graded_at >= 0:
            del self._grade_due[c]
            self._graded(c, graded_at, grade)
        self.calls.handled[c] = self._env._now
        if self._crew_gone[crew]:
            return  # their shift is over: they leave now that their call is done
        self._crew_free[crew] += 1
        self.free += 1
        if self.waiting:   # nobody waiting (most calls): nothing to serve, abandoned entries can wait
            self._serve_queue()

    def close(self, horizon: float) -> None:
        """Calls still in progress at the horizon whose grade was due before it (and recorded
        only when the call ends, see ``_answer``): record it now, as if at its time."""
        calls = self.calls
        for c, grade in self._grade_due.items():
            at = calls.answered[c] + self._handling[calls.caller[c]] * self._graded_at[calls.channel[c]]
            if at < horizon:
                self._graded(c, at, grade)
        if self.supervision is not None:
            self.supervision.close(horizon)

    def _serve_queue(self) -> None:
        while self.free > 0:
            nxt = self._next_waiting()
            if nxt is None:
                return
            self._answer(nxt)

    def _next_waiting(self):
        abandoned = self.calls.abandoned
        for q in self.queues:
            while q:
                c = q.popleft()
                if abandoned[c] != abandoned[c]:  # NaN: still waiting
                    self.waiting -= 1
                    return c
        return None

    # ------------------------------------------------------------------ rota
    def _shift_start(self, crew: int, staff: int) -> None:
        self._crew_free[crew] = staff
        self.free += staff
        self._on_duty.append(crew)
        self._on_duty.sort(key=self._crew_end.__getitem__, reverse=True)
        self._serve_queue()

    def _shift_end(self, crew: int) -> None:
        """The crew's idle handlers leave now; those mid-call leave when their call ends."""
        self.free -= self._crew_free[crew]
        self._crew_free[crew] = 0
        self._crew_gone[crew] = True
        self._on_duty.remove(crew)

