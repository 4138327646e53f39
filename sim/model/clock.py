"""The simulation clock: SimPy's ``Environment`` with a cheaper kind of calendar entry.

Every step of the model is a timed call ("at time t, do ``fn(*args)``"), several million in a
force-year. A SimPy event costs an object, its callback list and a trip through
``Environment.step()`` for each; here a timed call is only the calendar entry
``(time, NORMAL, eid, fn, args)`` on SimPy's own queue. It sorts exactly as a SimPy event
would (time, priority, insertion order), so it interleaves with ordinary SimPy events, and
``step``/``peek``/``run`` work as before (an interactive session steps the clock by hand).

``run_calls`` is ``run(until=stop)`` for a calendar that holds only timed calls, a plain
run's case: no per-event method call, no callback list. Together with the plain tuple this is
about 5% of a force-year.
"""
from __future__ import annotations

from heapq import heappop, heappush

import simpy
from simpy.core import NORMAL


class Clock(simpy.Environment):
    def call_in(self, delay: float, fn, *args) -> None:
        """Call ``fn(*args)`` ``delay`` minutes from now (the model inlines this in ``Model.at``)."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), fn, args))

    def step(self) -> None:
        """Process the next entry: a timed call here, anything else as SimPy does."""
        queue = self._queue
        if queue and len(queue[0]) == 5:
            self._now, _, _, fn, args = heappop(queue)
            fn(*args)
        else:
            super().step()

    def run_calls(self, stop: float) -> None:
        """Make every timed call due before ``stop``, then leave the clock at ``stop``: what
        ``run(until=stop)`` does (calls due exactly at ``stop`` wait, as behind SimPy's urgent
        ``until`` event), for a calendar holding nothing but timed calls."""
        queue = self._queue
        while queue and queue[0][0] < stop:
            self._now, _, _, fn, args = heappop(queue)
            fn(*args)
        if self._now < stop:
            self._now = stop
