"""The interactive controller runs on the ordinary model: a stepped session equals a direct
run of the same decisions, bit for bit, and a session with nobody asked equals a plain run."""
import math

import pandas as pd
import pytest

from sim import load_scenario
from sim.model.core import run_model
from sim.model.interactive import Session
from sim.model.policies import (CHOICES, Deferred, Regrade, Replay, ResourceLed, Windowed, make_policy)

FRIDAY_18 = 4 * 1440 + 18 * 60
TABLES = ("calls", "grade_changes", "pending", "unit_shifts", "activities", "rosters")


@pytest.fixture(scope="module")
def peak():
    # Friday 18:00-22:00 after the week's first four days, and two hours after for outcomes
    # a controller who takes a busy unit for 3 in 10 of the G1s with none free (the default's share
    # can leave as few as 3 questions in these four hours of one replication: too few to try every choice;
    # the mechanism is still in play, ~60 units taken in the run)
    return load_scenario("scenarios/nottinghamshire-2016.toml", ["run.warmup_days=4.75", "run.days=0.25",
                                                                 "response.preemption.probability=0.3"])


def _policy(s, ask):
    return Windowed(make_policy(s.policy), Deferred.from_scenario(ask, s), FRIDAY_18, FRIDAY_18 + 240)


def _same(a, b):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def _play(s, choose, replication=0):
    sess = Session(s, replication=replication, policy=lambda ask: _policy(s, ask))
    record = {}
    q = sess.advance()
    while q is not None:
        assert FRIDAY_18 <= q.time < FRIDAY_18 + 240 and q.grade in (1, 2)
        record[(q.call, q.time)] = choose(q, len(record))
        sess.decide(record[(q.call, q.time)])
        q = sess.advance()
    return sess.finish(), record


@pytest.mark.parametrize("replication", [0, 1])
def test_stepped_session_equals_direct_run_of_the_same_decisions(peak, replication):
    log, record = _play(peak, lambda q, k: CHOICES[k % len(CHOICES)], replication)   # every choice, in turn
    assert 5 <= len(record) <= 60, len(record)     # a trainee's shift worth of decisions
    assert set(record.values()) == set(CHOICES)
    direct = run_model(peak, None, replication, policy=_policy(peak, Replay(record)))
    _same(log, direct)
    # the decisions mattered: downgrades for lack of resources exist only where chosen
    changes = log.grade_changes
    in_window = changes[(changes["time"] >= FRIDAY_18) & (changes["time"] < FRIDAY_18 + 240)]
    downgraded = {c for (c, _), v in record.items() if v == "downgrade"}
    resource = in_window[in_window["reason"] == 0]
    assert set(resource["incident"]) <= downgraded and len(resource) == len(downgraded)


def test_other_decisions_give_another_run(peak):
    keep, _ = _play(peak, lambda q, k: "keep")
    down, record = _play(peak, lambda q, k: "downgrade")
    assert not keep.calls.equals(down.calls)
    assert (keep.grade_changes["time"].between(FRIDAY_18, FRIDAY_18 + 240) & (keep.grade_changes["reason"] == 0)).sum() == 0


def test_session_without_questions_equals_plain_run(peak):
    _same(Session(peak).finish(), run_model(peak))


def test_session_stepped_by_the_clock_equals_plain_run(peak):
    sess = Session(peak)
    t = 0.0
    while not sess.finished and t < sess.horizon:
        t += 37.5
        assert sess.advance(t) is None
        assert math.isclose(sess.now, min(t, sess.horizon))
    _same(sess.finish(), run_model(peak))


def test_deferred_answered_like_resource_led_equals_resource_led(peak):
    """Asked what the resource-led controller would do (and checked when it would check),
    the deferred controller is that controller."""
    rl = ResourceLed(peak.policy.resource_led)

    class Like(Deferred):
        def on_wait(self, check, view):
            return rl.on_wait("downgrade", view)

    like = Like(lambda c, v: None, {g: r.after for g, r in rl.rules.items()}, {}, 0.8)
    _same(run_model(peak, policy=like), run_model(peak))
    assert any(isinstance(a, Regrade) for a in rl.on_wait("downgrade", _view(grade=1)))


def _view(grade):
    from sim.model.policies import IncidentView
    return IncidentView(grade, 1, 20.0, 0, 0, 0.0, 0.5, 3)


def test_bad_choice_is_named(peak):
    d = Deferred.from_scenario(lambda c, v: "panic", peak)
    with pytest.raises(ValueError, match="choice: 'panic'"):
        d.on_wait("decide", _view(1))


def test_decide_without_question_refused(peak):
    with pytest.raises(RuntimeError):
        Session(peak).decide("keep")


def _answer(sess, choose, record):
    """Play ``sess`` on from where it stands, answering with ``choose(question, k)``; its log."""
    q = sess.advance()
    while q is not None:
        record[(q.call, q.time)] = choose(q, len(record))
        sess.decide(record[(q.call, q.time)])
        q = sess.advance()
    return sess.finish()


@pytest.mark.parametrize("after", [0, 3])
def test_a_forked_session_goes_on_exactly_as_the_original_would(peak, after):
    """A session copied part-way (``Session.fork``: the clock, its calendar, the callers' feed,
    the log's columns) and played on equals a direct run of the same decisions, and neither the
    copy nor the original sees the other's decisions."""
    first = lambda q, k: CHOICES[k % len(CHOICES)]   # noqa: E731
    second = lambda q, k: CHOICES[(k + 2) % len(CHOICES)] if k >= after else first(q, k)   # noqa: E731
    sess = Session(peak, policy=lambda ask: _policy(peak, ask))
    done: dict = {}
    q = sess.advance()
    for _ in range(after):
        done[(q.call, q.time)] = first(q, len(done))
        sess.decide(done[(q.call, q.time)])
        q = sess.advance()
    fork = sess.fork()
    assert fork.question == sess.question and fork.model is not sess.model
    assert fork.model.callers is sess.model.callers and fork.scenario is sess.scenario   # shared: only read
    # the copy first, with other decisions: the original must not see them
    mine, theirs = dict(done), dict(done)
    forked = _answer(fork, second, theirs)
    original = _answer(sess, first, mine)
    assert mine != theirs
    _same(original, run_model(peak, policy=_policy(peak, Replay(mine))))
    _same(forked, run_model(peak, policy=_policy(peak, Replay(theirs))))


def test_a_finished_session_is_not_forked(peak):
    sess = Session(peak)
    sess.finish()
    with pytest.raises(RuntimeError, match="finished"):
        sess.fork()
