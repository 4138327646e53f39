"""How long a ready incident waits before it may be given a unit (issue 23): the dispatcher's
decision time plus any stacking hold, per grade (and, for replayed calls, per the force's priority
code).

The wait is the caller's own uniform (hashed from the caller, ``Streams.hashed``) read through a
quantile table of decision + hold for the grade the incident has when it becomes ready. Not a value
drawn per caller for each grade: a year's callers would need three 8-byte arrays (13 MB, and the
run's peak memory has a 150 MB target) for a grade that may still change; the hashed uniform keeps
common random numbers (the same caller waits the same whatever the staffing). Its level in the
table is hashed with numpy for a block of callers at a time, when the first of them needs it,
rather than caller by caller in Python on the hot path (~1.5 µs an incident); only the blocks of
the last few weeks' callers are kept (incidents become ready in about the order their callers
rang), not a year's. A table has ``LEVELS`` quantiles of a fixed-seed sample of the sum, so a fixed
value stays exact and an empirical one keeps its values.
"""
from __future__ import annotations

from array import array

import numpy as np

from sim.model.fork import copy_views
from sim.scenario import GRADES

LEVELS = 4096    # a power of two: a uniform's level is the top bits of its hash
_LEVEL_SHIFT = np.uint64(64 - LEVELS.bit_length() + 1)
_BLOCK_BITS = 12   # 4096 callers a block: 8 KB of levels, ~3 days of the default's callers
_BLOCKS_KEPT = 16  # ~6 weeks of callers; the oldest block goes when a newer one is needed (hashed again if it is needed again)
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
        self._streams = streams
        self._levels: dict[int, memoryview] = {}   # block number: its callers' levels
        self._cls = memoryview(callers.hold_class) if callers.hold_class is not None else None

    def __deepcopy__(self, memo: dict) -> "Holds":
        """A copy (``sim.model.fork``): the tables and the levels kept so far are shared (what the
        copy reads of them is a function of the callers, never written; the copy keeps its own
        dict of levels), the streams copied."""
        return copy_views(self, memo, share=("by_grade", "by_class"), shallow=("_levels",))

    def _hash_block(self, block: int) -> memoryview:
        """The levels of a block's callers: ``int(hashed("dispatch.delay", caller) * LEVELS)``,
        i.e. the top bits of each caller's hash."""
        if len(self._levels) >= _BLOCKS_KEPT:
            del self._levels[next(iter(self._levels))]
        ids = np.arange(block << _BLOCK_BITS, (block + 1) << _BLOCK_BITS)
        levels = self._levels[block] = memoryview(
            (self._streams.hashed_bits("dispatch.delay", ids) >> _LEVEL_SHIFT).astype(np.int16))
        return levels

    def wait(self, grade: int, caller: int) -> float:
        levels = self._levels.get(caller >> _BLOCK_BITS)
        if levels is None:
            levels = self._hash_block(caller >> _BLOCK_BITS)
        k = levels[caller & ((1 << _BLOCK_BITS) - 1)]
        if self._cls is not None and grade > 1:
            c = self._cls[caller]
            if c:
                return self.by_class[c][grade][k]
        return self.by_grade[grade][k]
