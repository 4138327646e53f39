"""Wiring of one simulated force: demand, control room, dispatch, rotas, on one SimPy clock.

Why callbacks rather than a SimPy process per call: a year is ~550k calls and several
million events; a process per call costs a generator, its frames and extra events each
time. Every step here is a plain timed callback (``Model.at``) on SimPy's event queue,
which keeps the domain logic readable as "at time t, do this" and the model fast.
"""
from __future__ import annotations

import numpy as np
import simpy
from simpy.core import NORMAL

from ..demand import Callers, draw_callers
from ..log import CallColumns, EventLog, Recorder, finish
from ..random import Streams
from ..scenario import Scenario, horizon_minutes


class _Timer(simpy.events.Event):
    """An already-triggered event that calls ``fn(*args)`` when the clock reaches it."""

    __slots__ = ("fn", "args")

    def __init__(self, env: simpy.Environment, delay: float, fn, args):
        self.env = env
        self.callbacks = [self._fire]
        self._ok = True
        self._value = None
        self.fn, self.args = fn, args
        env.schedule(self, NORMAL, delay)

    def _fire(self, _event):
        self.fn(*self.args)


class Model:
    """Shared state of one run; the parts (control room, dispatcher) hold a reference to it."""

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0):
        from .control_room import ControlRoom
        from .dispatch import Dispatcher

        self.s = scenario
        self.env = simpy.Environment()
        self.streams = Streams(seed, replication)
        self.horizon = horizon_minutes(scenario)
        self.callers: Callers = draw_callers(scenario, self.streams)
        self.rec = Recorder(CallColumns(int(len(self.callers) * 1.1) + 16))
        self.dispatch = Dispatcher(self)
        self.control_room = ControlRoom(self)

    def at(self, delay: float, fn, *args) -> None:
        """Call ``fn(*args)`` ``delay`` minutes from now."""
        _Timer(self.env, delay, fn, args)

    def run(self) -> EventLog:
        self.dispatch.start()
        self.control_room.start()
        self.env.run(until=self.horizon)
        self.dispatch.close(self.horizon)
        self.control_room.close()
        return finish(self.rec, self._meta())

    def _meta(self) -> dict:
        s = self.s
        return {
            "warmup_minutes": s.run.warmup_days * 1440.0,
            "horizon_minutes": self.horizon,
            "days": s.run.days,
            "areas": list(s.response.areas),
            "categories": s.thrive.category_names(),
            "g1_minutes_by_area": [s.standards.g1_minutes[a] for a in s.response.areas],
            "g2_minutes": s.standards.g2_minutes,
            "g3_hours": s.standards.g3_hours,
            "tolerance_per_week": s.recommendation.downgrades_per_week_tolerance,
            "g1_aim": s.recommendation.g1_aim,
            "g2_aim": s.recommendation.g2_aim,
            "policy": s.policy.kind,
        }


def run_model(scenario: Scenario, seed: int | None = None, replication: int = 0) -> EventLog:
    """Simulate one replication and return its event log (no I/O)."""
    seed = scenario.run.seed if seed is None else seed
    return Model(scenario, seed, replication).run()


def ensure_finite(x: float) -> float:
    return float(x) if np.isfinite(x) else np.inf
