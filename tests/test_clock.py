"""The clock: timed calls on SimPy's queue sort, step and run exactly as SimPy events would."""
from __future__ import annotations

import pytest

from sim.model.clock import Clock


def _schedule(env: Clock, seen: list) -> None:
    """Timed calls and a SimPy process interleaved, with ties in time."""
    for delay, name in ((3.0, "a"), (1.0, "b"), (3.0, "c"), (5.0, "d"), (2.0, "e")):
        env.call_in(delay, lambda n: seen.append((env.now, n)), name)

    def proc():
        yield env.timeout(3.0)
        seen.append((env.now, "process"))
        env.call_in(0.0, lambda: seen.append((env.now, "from process")))

    env.process(proc())


def test_timed_calls_keep_time_then_insertion_order_among_simpy_events():
    env, seen = Clock(), []
    _schedule(env, seen)
    env.run(until=4.0)
    assert seen == [(1.0, "b"), (2.0, "e"), (3.0, "a"), (3.0, "c"), (3.0, "process"), (3.0, "from process")]
    assert env.now == 4.0
    env.run()
    assert seen[-1] == (5.0, "d")


def test_run_calls_is_run_until_for_timed_calls_only():
    """Same order, same clock at the end; a call due exactly at ``stop`` waits, as with ``run``."""
    results = []
    for runner in ("run", "run_calls"):
        env, seen = Clock(), []
        for delay in (2.0, 0.5, 4.0, 2.0, 4.0, 7.5):
            env.call_in(delay, lambda d, k: seen.append((env.now, d, k)), delay, len(seen))
        env.call_in(1.0, lambda: env.call_in(1.0, lambda: seen.append((env.now, "chained"))))
        if runner == "run":
            env.run(until=4.0)
        else:
            env.run_calls(4.0)
        results.append((seen, env.now, env.peek()))
    assert results[0] == results[1]
    seen, now, nxt = results[0]
    assert now == 4.0 and nxt == 4.0 and all(t < 4.0 for t, *_ in seen)


def test_step_and_peek_walk_timed_calls_one_by_one():
    env, seen = Clock(), []
    env.call_in(2.0, seen.append, "x")
    env.call_in(1.0, seen.append, "y")
    assert env.peek() == 1.0
    env.step()
    assert (env.now, seen) == (1.0, ["y"])
    env.step()
    assert (env.now, seen, env.peek()) == (2.0, ["y", "x"], float("inf"))


def _fed(runner: str, stop: float):
    """A feed of arrivals with ties against timed calls scheduled before and during the run."""
    env, seen = Clock(), []
    times = [0.5, 1.0, 1.0, 2.0, 3.0, 3.0, 5.0]

    def rings(k):
        seen.append((env.now, "caller", k))
        if k == 1:   # a call due at the same time as the next caller, scheduled before it: first
            env.call_in(0.0, seen.append, (env.now, "after caller 1"))
        if k == 3:   # scheduled before caller 4's own call is (that happens once this one is made)
            env.call_in(1.0, seen.append, (3.0, "due with caller 4"))
    env.call_in(1.0, seen.append, (1.0, "rota at 1"))   # on the calendar before the feed: first at 1.0
    env.feed(times, rings)
    env.call_in(3.0, seen.append, (3.0, "rota at 3"))
    if runner == "step":
        while env.peek() < stop:
            env.step()
    else:
        env.run_calls(stop)
    return seen, env.peek()


def test_feed_makes_the_same_calls_in_the_same_order_as_a_chain_of_timed_calls():
    """``run_calls`` keeps the feed beside the heap; ``step`` runs it as ordinary timed calls: same
    order, ties included, and a run stopped part-way leaves the same calendar behind."""
    for stop in (0.7, 1.0, 3.0, 4.0, 10.0):
        assert _fed("run_calls", stop) == _fed("step", stop), stop
    seen, _ = _fed("run_calls", 10.0)
    assert [s[1:] for s in seen[:4]] == [("caller", 0), ("rota at 1",), ("caller", 1), ("after caller 1",)]
    assert [s[1:] for s in seen if s[0] == 3.0] == [("rota at 3",), ("due with caller 4",), ("caller", 4), ("caller", 5)]


def test_run_calls_can_go_on_after_a_stop():
    env, seen = Clock(), []
    env.feed([1.0, 2.0, 3.0, 4.0], lambda k: seen.append((env.now, k)))
    env.call_in(2.5, seen.append, "rota")
    env.run_calls(2.0)
    assert seen == [(1.0, 0)] and env.peek() == 2.0
    env.run_calls(10.0)
    assert seen == [(1.0, 0), (2.0, 1), "rota", (3.0, 2), (4.0, 3)]


def test_run_calls_stopped_by_an_error_leaves_what_was_not_made_on_the_calendar():
    """A call that raises ends the run there: the calls not yet made (timetable, heap and feed)
    are back on the calendar, in order, and nothing of the run's own making (its stop) is left."""
    env, seen = Clock(), []

    def boom():
        raise RuntimeError("stop here")

    env.feed([1.0, 2.5, 6.0], lambda k: seen.append(("caller", k)))
    env.call_in(2.0, boom)
    env.call_in(3.0, seen.append, "rota")
    with pytest.raises(RuntimeError):
        env.run_calls(5.0)
    assert seen == [("caller", 0)] and env.now == 2.0
    assert sorted(e[0] for e in env._queue) == [2.5, 3.0]
    env.run_calls(10.0)
    assert seen == [("caller", 0), ("caller", 1), "rota", ("caller", 2)]
