"""How long a ready incident waits before it may be given a unit (issue 23): the dispatcher's
decision time plus any stacking hold, per grade (and, for replayed calls, per the force's priority
code).

Each caller carries one uniform (16 bits, ``Callers.u_hold``); the wait is that uniform read
through a quantile table of decision + hold for the grade the incident has when it becomes ready.
A table, not a per-caller value for each grade, because a year's callers would need three 8-byte
arrays (13 MB) for a grade that may still change; one uniform keeps common random numbers (the
same caller waits the same whatever the staffing) in 2 bytes. A table has ``LEVELS`` quantiles of
a fixed-seed sample of the sum, so a fixed value stays exact and an empirical one keeps its values.
"""
from __future__ import annotations

import numpy as np

from sim.scenario import GRADES

LEVELS = 4096
SAMPLE = 200_000


def _table(decision, hold, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    x = np.zeros(SAMPLE)
    if decision is not None:
        x += decision.sample(rng, SAMPLE)
    if hold is not None:
        x += hold.sample(rng, SAMPLE)
    x.sort()
    # the (i + 0.5) / LEVELS quantiles, as the sample's order statistics (no interpolation)
    return x[((np.arange(LEVELS) + 0.5) / LEVELS * SAMPLE).astype(np.int64)].tolist()


class Holds:
    """``wait(grade, caller)``: minutes from ready to dispatchable."""

    def __init__(self, response, callers):
        st = response.stacking
        seed = 23
        zeros = [0.0] * LEVELS
        self.by_grade = [zeros]
        for g in GRADES[:3]:
            d, h = response.decision.get(g), st.hold.get(g)
            self.by_grade.append(_table(d, h, seed) if d is not None or h is not None else zeros)
        self.by_class = [None] + [[None] + [_table(response.decision.get(g), dist, seed) for g in GRADES[:3]]
                                  for dist in st.hold_by_priority.values()]
        self._u = memoryview(callers.u_hold)
        self._cls = memoryview(callers.hold_class) if callers.hold_class is not None else None

    def wait(self, grade: int, caller: int) -> float:
        k = self._u[caller] >> 4     # 16 bits -> LEVELS = 4096 levels
        if self._cls is not None and grade > 1:
            c = self._cls[caller]
            if c:
                return self.by_class[c][grade][k]
        return self.by_grade[grade][k]
