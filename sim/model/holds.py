"""How long a ready incident waits before it may be given a unit (issue 23): the dispatcher's
decision time plus any stacking hold, per grade (and, for replayed calls, per the force's priority
code).

The wait is the caller's own uniform (hashed from the caller, ``Streams.hashed``: nothing stored)
read through a quantile table of decision + hold for the grade the incident has when it becomes
ready. Not a value drawn per caller for each grade: a year's callers would need three 8-byte arrays
(13 MB, and the run's peak memory has a 150 MB target) for a grade that may still change; the
hashed uniform keeps common random numbers (the same caller waits the same whatever the staffing)
at ~0.5 µs an incident. A table has ``LEVELS`` quantiles of a fixed-seed sample of the sum, so a
fixed value stays exact and an empirical one keeps its values.
"""
from __future__ import annotations

from array import array

import numpy as np

from sim.scenario import GRADES

LEVELS = 4096
SAMPLE = 200_000
SEED = 23        # the tables' own fixed seed: the same table in every replication and scenario


def _table(decision, hold, seed: int) -> array:
    rng = np.random.default_rng(seed)
    x = np.zeros(SAMPLE)
    if decision is not None:
        x += decision.sample(rng, SAMPLE)
    if hold is not None:
        x += hold.sample(rng, SAMPLE)
    x.sort()
    # the (i + 0.5) / LEVELS quantiles, as the sample's order statistics (no interpolation)
    return array("d", x[((np.arange(LEVELS) + 0.5) / LEVELS * SAMPLE).astype(np.int64)].tobytes())


class Holds:
    """``wait(grade, caller)``: minutes from ready to dispatchable."""

    def __init__(self, response, callers, streams):
        st = response.stacking
        tables: dict = {}   # one table per distinct (decision, hold): the default's three grades share one

        def table(decision, hold):
            key = (None if decision is None else decision.model_dump_json(),
                   None if hold is None else hold.model_dump_json())
            if key not in tables:
                tables[key] = _table(decision, hold, SEED) if key != (None, None) else array("d", bytes(8 * LEVELS))
            return tables[key]

        self.by_grade = [table(None, None)] + [table(response.decision.get(g), st.hold.get(g)) for g in GRADES[:3]]
        self.by_class = [None] + [[None] + [table(response.decision.get(g), dist) for g in GRADES[:3]]
                                  for dist in st.hold_by_priority.values()]
        self._hashed = streams.hashed
        self._cls = memoryview(callers.hold_class) if callers.hold_class is not None else None

    def wait(self, grade: int, caller: int) -> float:
        k = int(self._hashed("dispatch.delay", caller) * LEVELS)
        if self._cls is not None and grade > 1:
            c = self._cls[caller]
            if c:
                return self.by_class[c][grade][k]
        return self.by_grade[grade][k]
