"""Wiring of one simulated force: demand, control room, dispatch, rotas, on one SimPy clock.

Why callbacks rather than a SimPy process per call: a year is ~550k calls and several
million events; a process per call costs a generator, its frames and extra events each
time. Every step here is a plain timed callback (``Model.at``) on SimPy's event queue,
which keeps the domain logic readable as "at time t, do this" and the model fast.
"""
from __future__ import annotations

import gc
from sim.model.demand import Callers, draw_callers
from sim.model.log import CallColumns, EventLog, Recorder, finish
from sim.util.random import Streams
from sim.scenario import Scenario, horizon_minutes
from sim.model.clock import Clock


class Model:
    """Shared state of one run; the parts (control room, dispatcher) hold a reference to it."""

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0, policy=None):
        from sim.model.control_room import ControlRoom
        from sim.model.dispatch import Dispatcher

        self.s = scenario
        self.env = Clock()
        self.streams = Streams(seed, replication)
        self.horizon = horizon_minutes(scenario)
        self._queue, self._eid = self.env._queue, self.env._eid   # the calendar, and its id counter (events so far)
        # ``at(delay, fn, *args)``: call ``fn(*args)`` ``delay`` minutes from now (``Clock.call_in``)
        self.at = self.env.call_in
        self.callers: Callers | None = draw_callers(scenario, self.streams)   # None once a batch run let them go
        self.rec = Recorder(CallColumns(len(self.callers) * 1.05 + 64))
        self.dispatch = Dispatcher(self)
        self.control_room = ControlRoom(self)
        if policy is not None:   # a policy object instead of the scenario's (e.g. an interactive controller)
            self.dispatch.policy = policy
            bind = getattr(policy, "bind", None)
            if bind is not None:
                bind(self)

    def start(self) -> None:
        """Put the rotas and the first caller on the clock (``run`` does this; a stepped session too)."""
        self.dispatch.start()
        self.control_room.start()

    def run(self, *, keep_callers: bool = True) -> EventLog:
        """Simulate to the horizon and return the event log (``finish``; ``keep_callers=False``
        lets the callers go before the log is built, as ``run_model`` does)."""
        self.start()
        # The run makes millions of short-lived objects and no garbage cycles (units and
        # incidents let go of each other when a job ends), so the cyclic collector would only
        # rescan live state over and over: pausing it saves ~10% of the run.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.env.run_calls(self.horizon)
        finally:
            if collecting:
                gc.enable()
        return self.finish(keep_callers=keep_callers)

    def finish(self, *, keep_callers: bool = True) -> EventLog:
        """Close what is open at the horizon and build the event log (the clock must be there).

        The parts, and with ``keep_callers=False`` the callers (a force-year's: ~70 MB), are let
        go before the log's frames are made: that is a run's first use of pandas (~70 MB more
        once loaded), and a year would otherwise hold all three at its peak. ``run_model`` lets
        them go; a model kept by its caller keeps them (a stepped session's controller still
        describes its callers, a test counts them)."""
        self.control_room.close(self.horizon)
        self.dispatch.close(self.horizon)
        self._copy_caller_facts()
        meta = self._meta()
        self._release()
        if not keep_callers:
            self.callers = None
        return finish(self.rec, meta)

    def _release(self) -> None:
        """Break the model <-> parts reference cycles so a year's callers and timers are freed
        as soon as the run returns, not at the next cyclic garbage collection."""
        self.env.clear()   # timers left at the horizon and the callers' feed hold the parts (SimPy's env is itself cyclic)
        self.dispatch = self.control_room = None
        self.env = self._queue = self.at = None

    def _copy_caller_facts(self) -> None:
        """Facts about the caller, not the call: filled in for every call row at the end."""
        cols, n = self.rec.calls.cols, self.rec.calls.n
        k = cols["caller"][:n]
        for name in ("true_risk", "category", "area", "units_needed"):
            cols[name][:n] = getattr(self.callers, name)[k]
        if self.callers.vulnerable is not None:
            cols["vulnerable"][:n] = self.callers.vulnerable[k]

    def _meta(self) -> dict:
        s = self.s
        return {
            "warmup_minutes": s.run.warmup_days * 1440.0,
            "horizon_minutes": self.horizon,
            "days": s.run.days,
            "start_date": s.run.start_date.isoformat(),
            "areas": list(s.response.areas),
            "categories": s.thrive.category_names(),
            "g1_minutes_by_area": [s.standards.g1_minutes[a] for a in s.response.areas],
            "g2_minutes": s.standards.g2_minutes,
            "g3_hours": s.standards.g3_hours,
            "tolerance_per_week": s.recommendation.downgrades_per_week_tolerance,
            "g1_aim": s.recommendation.g1_aim,
            "g2_aim": s.recommendation.g2_aim,
            "policy": s.policy.kind,
            "preemption": s.response.preemption.enabled,
            "shift_names": self.dispatch.shift_names,
            "team_names": self.dispatch.team_names,
        }


def run_model(scenario: Scenario, seed: int | None = None, replication: int = 0, policy=None) -> EventLog:
    """Simulate one replication and return its event log (no I/O). ``policy``: a downgrade
    policy object to use instead of the scenario's (see ``sim.model.policies``)."""
    seed = scenario.run.seed if seed is None else seed
    return Model(scenario, seed, replication, policy).run(keep_callers=False)

