"""The simulation clock: SimPy's ``Environment`` with a cheaper kind of calendar entry.

Every step of the model is a timed call ("at time t, do ``fn(*args)``"), several million in a
force-year. A SimPy event costs an object, its callback list and a trip through
``Environment.step()`` for each; here a timed call is only the calendar entry
``(time, NORMAL, eid, fn, args)`` on SimPy's own queue. It sorts exactly as a SimPy event
would (time, priority, insertion order), so it interleaves with ordinary SimPy events, and
``step``/``peek``/``run`` work as before (an interactive session steps the clock by hand).

``run_calls`` is ``run(until=stop)`` for a calendar that holds only timed calls, a plain
run's case: no per-event method call, no callback list. It also keeps two kinds of call beside the
heap rather than in it, merged by the same key so the order is one heap's: what was on the
calendar when the run started (a horizon of shift changes) and the callers' ``feed``. The heap
every other timer goes through then holds only the near future (issue 27: about a fifth of a
force-year's run time, and the cost per call no longer grows with the horizon).
"""
from __future__ import annotations

import copy
import itertools
import math
import re
from bisect import insort
from heapq import heapify, heappop, heappush

import simpy
from simpy.core import NORMAL


class Clock(simpy.Environment):
    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self.call_in = self._scheduler()
        self._feed = None   # (its timed call, fn, times): see ``feed``

    def _scheduler(self):
        """``call_in`` as a closure over the calendar: scheduling is the hottest line of a run, and
        a closure reads the queue and the id counter without attribute look-ups."""
        queue, eid, clock = self._queue, self._eid, self

        def call_in(delay: float, fn, *args) -> None:
            """Call ``fn(*args)`` ``delay`` minutes from now."""
            heappush(queue, (clock._now + delay, NORMAL, next(eid), fn, args))
        return call_in

    def feed(self, times, fn) -> None:
        """Call ``fn(k)`` at ``times[k]`` for k = 0, 1, ... in turn (sorted times: the run's callers
        ringing). Each call is put on the calendar when the one before it is made, as a chain of
        timed calls would be (``call_in(times[k + 1] - now, ...)``), so its time and its place among
        ties are the chain's; ``run_calls`` keeps the feed's next call beside the heap rather than in
        it: one heap push and pop fewer per caller. One feed per clock."""
        if self._feed is not None:
            raise RuntimeError("the clock already has a feed")
        made = self._feed_call(times, fn)
        if len(times):
            self.call_in(times[0] - self._now, made, 0)

    def _feed_call(self, times, fn):
        """The feed's timed call (``step`` makes it; ``run_calls`` inlines it), kept as the feed."""
        n, call_in, clock = len(times), self.call_in, self

        def made(k: int) -> None:
            fn(k)
            if k + 1 < n:   # itself, found through the clock: a closure naming itself is a cycle ``clear`` cannot break
                call_in(times[k + 1] - clock._now, clock._feed[0], k + 1)
        self._feed = (made, fn, times)
        return made

    def __deepcopy__(self, memo: dict) -> "Clock":
        """A copy of the clock and everything on its calendar (``sim.model.fork``): its scheduler
        and its feed are made anew over the copy's calendar, and stand for the original's wherever
        the copy meets them (``Model.at``, a part's ``_at``, a timed call of the feed)."""
        from sim.model.fork import copy_view

        new = Clock.__new__(Clock)
        memo[id(self)] = new
        new._queue = memo[id(self._queue)] = []
        counter = re.fullmatch(r"count\((\d+)\)", repr(self._eid))   # the next event id (itertools.count)
        if counter is None:
            raise TypeError(f"cannot copy the clock's event counter {self._eid!r}")
        new._eid = memo[id(self._eid)] = itertools.count(int(counter[1]))
        new._now = self._now
        new.call_in = memo[id(self.call_in)] = new._scheduler()
        new._feed = None
        if self._feed is not None:
            made, fn, times = self._feed
            times = copy_view(times, memo) if isinstance(times, memoryview) else copy.deepcopy(times, memo)
            memo[id(made)] = new._feed_call(times, copy.deepcopy(fn, memo))
        for k, v in self.__dict__.items():
            if k not in new.__dict__:
                new.__dict__[k] = copy.deepcopy(v, memo)
        # the calendar last: its entries' calls are the parts' (copied above, or now), in the same heap order
        new._queue.extend(copy.deepcopy(entry, memo) for entry in self._queue)
        return new

    def clear(self) -> None:
        """Drop what is still on the calendar and the feed: both hold the model's parts (the feed
        its ``fn``, whose owner holds this clock), so the parts are freed as soon as a run ends,
        not at the next cyclic garbage collection (a force-year's callers and columns: ~50 MB
        more at the peak while the event log was written)."""
        self._queue.clear()
        self._feed = None

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
        ``until`` event), for a calendar holding nothing but timed calls.

        What is already on the calendar when the run starts (the rotas' shift changes for the whole
        horizon, most of the calendar) waits in a sorted timetable beside the heap instead of in
        it, and so does the feed's next call (``feed``); the three are merged by the same key (time,
        priority, insertion order), so the calls come in exactly the order of one heap, and the
        heap, which every other timer goes through, holds only the near future."""
        queue, eid = self._queue, self._eid
        made, fn, times = self._feed or (None, None, ())
        n = len(times)
        table = sorted(queue)   # keys never tie: each entry's insertion number is its own
        # the stop is itself an entry of the timetable, before any call due at ``stop`` (its
        # priority is below every event's), so the heap's calls need no check of their time
        halt = (stop, -1, -1, None, ())
        insort(table, halt)
        table.append(_END)
        queue.clear()
        i, nxt, arr = 0, table[0], _END   # arr: the feed's next call
        try:
            while True:
                if queue and queue[0] < nxt:
                    self._now, _, _, call, args = heappop(queue)
                    call(*args)
                    continue
                # the next call is beside the heap: the feed's, or the timetable's (or the stop)
                if nxt is arr:
                    entry, arr = arr, _END
                else:
                    entry, table[i], i = nxt, None, i + 1   # let it go once made (a year's shifts)
                    if entry is halt:
                        break
                now = self._now = entry[0]
                if entry[3] is made:   # the feed's call, made as ``feed`` makes it; its successor kept here
                    k = entry[4][0]
                    fn(k)
                    k += 1
                    if k < n:
                        arr = (now + (times[k] - now), NORMAL, next(eid), made, (k,))
                else:
                    entry[3](*entry[4])
                nxt = table[i] if table[i] < arr else arr
        finally:   # what was not done goes back on the calendar (a stepped session may go on)
            queue.extend(e for e in table[i:-1] if e is not halt)
            if arr is not _END:
                queue.append(arr)
            heapify(queue)
        if self._now < stop:
            self._now = stop


# after every timed call (never made: its time is never before a stop)
_END = (math.inf, math.inf, math.inf, None, ())
