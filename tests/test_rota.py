"""Rotas: shift handover in the control room, team patterns, abstraction."""
from __future__ import annotations

import numpy as np
import pytest

from sim.model.core import Model

from conftest import small


def _handover_model(arrivals, handling):
    """Two crews of 2 handlers, 00:00-12:00 and 12:00-24:00; the given 999 callers, no incidents."""
    s = small(run={"days": 1, "warmup_days": 0},
              demand={"channels": {"999": {"calls_per_day": 400}, "101": {"calls_per_day": 0}}},
              call_handling={"shifts": {"all": {"start": "00:00", "hours": 12, "staff": 2},
                                        "pm": {"start": "12:00", "hours": 12, "staff": 2}}})
    m = Model(s, seed=1)
    c, n = m.callers, len(arrivals)
    assert len(c) >= n
    c.arrival[:] = 2000.0   # the rest arrive after the hand-over window and change nothing in it
    c.arrival[:n] = arrivals
    c.handling[:] = 1.0
    c.handling[:n] = handling
    c.patience[:] = np.inf
    c.assessed[:] = 0
    return m


def test_handover_incoming_crew_free_and_each_off_going_handler_finishes_their_own_call():
    noon = 720.0
    arrivals = [noon - 10, noon - 5, noon - 2, noon - 1, noon + 5, noon + 15]
    handling = [30, 30, 10, 10, 10, 10]
    log = _handover_model(arrivals, handling).run()
    answered = log.calls.sort_values("arrival")["answered"].to_numpy()[:6] - noon
    # the morning crew is mid-call (until 12:20 and 12:25) when the afternoon crew comes on free and
    # takes the two queued calls at once; the afternoon crew answers 12:05's call when its first call
    # ends (12:10) and 12:15's on arrival: the morning crew leaves only as *its own* calls end.
    # (Counting one pool, the next two handlers to finish any call would leave instead: 12:05's
    # call would wait for 12:20 and 12:15's for 12:25.)
    np.testing.assert_allclose(answered, [-10, -5, 0, 0, 10, 15])
