"""Model behaviour: conservation, determinism, direction of effects, rota and dispatch rules."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sim.measures.kpis import compute_kpis
from sim.model.log import ABANDONED, ACTIVITIES, APPOINTMENT_KEPT, ATTENDED, NO_INCIDENT, OPEN, OUTCOMES, RESOLVED
from sim.model.core import Model, run_model
from sim.model.dispatch import FREE, NEIGHBOURHOOD
from sim.model.pending import Incident, PendingList

from conftest import small

BORROWED = ACTIVITIES.index("borrowed")


def check_log_invariants(log, callers_n: int) -> None:
    """Exact accounting every run must satisfy."""
    c = log.calls
    # every call ends in exactly one known outcome
    assert c["outcome"].between(0, len(OUTCOMES) - 1).all()
    assert len(c) == c["outcome"].value_counts().sum()
    # calls = first attempts + retries, a retry follows an abandoned call of the same caller
    first = c[c["retry_of"] < 0]
    assert len(first) == callers_n
    assert first["caller"].is_unique
    retries = c[c["retry_of"] >= 0]
    orig = c.set_index("call_id").loc[retries["retry_of"]]
    assert (orig["outcome"].to_numpy() == ABANDONED).all()
    assert (orig["caller"].to_numpy() == retries["caller"].to_numpy()).all()
    assert (retries["arrival"].to_numpy() >= orig["abandoned"].to_numpy()).all()
    # an outcome agrees with the record
    ab = c["outcome"] == ABANDONED
    assert c.loc[ab, "answered"].isna().all() and c.loc[~ab, "abandoned"].isna().all()
    assert (c.loc[c["outcome"] == NO_INCIDENT, "initial_grade"] == 0).all()
    assert (c.loc[c["outcome"] == RESOLVED, "final_grade"] == 4).all()
    assert c.loc[c["outcome"].isin([ATTENDED, APPOINTMENT_KEPT]), "first_on_scene"].notna().all()
    assert (c.loc[c["outcome"] == APPOINTMENT_KEPT, "final_grade"] == 3).all()
    assert c.loc[c["outcome"] == OPEN, "first_on_scene"].isna().all()
    # times run forwards
    for a, b in (("arrival", "answered"), ("answered", "graded"), ("graded", "handled"),
                 ("graded", "first_dispatch"), ("first_dispatch", "first_on_scene"),
                 ("first_on_scene", "cleared")):
        both = c[a].notna() & c[b].notna()
        assert (c.loc[both, b] >= c.loc[both, a]).all(), (a, b)
    # grade changes chain from the initial to the final grade
    g = log.grade_changes
    if len(g):
        firsts = g.groupby("incident").first()
        lasts = g.groupby("incident").last()
        assert (c.loc[firsts.index, "initial_grade"].to_numpy() == firsts["from"].to_numpy()).all()
        assert (c.loc[lasts.index, "final_grade"].to_numpy() == lasts["to"].to_numpy()).all()
    graded = c["initial_grade"] >= 0
    assert c.loc[graded, "initial_grade"].between(0, 4).all() and c.loc[graded, "final_grade"].between(0, 4).all()
    assert g["to"].between(1, 4).all() and g["from"].between(1, 4).all()
    unchanged = ~c["call_id"].isin(g["incident"])
    assert (c.loc[unchanged, "initial_grade"] == c.loc[unchanged, "final_grade"]).all()
    # pending intervals are well formed
    p = log.pending
    assert (p["end"] >= p["start"]).all()
    # a unit does one thing at a time (a borrowed spell spans the job done while borrowed)
    a = log.activities[log.activities["activity"] != BORROWED].sort_values(["unit", "start", "end"])
    same = a["unit"].to_numpy()[1:] == a["unit"].to_numpy()[:-1]
    gaps = a["start"].to_numpy()[1:] - a["end"].to_numpy()[:-1]
    assert (gaps[same] >= -1e-9).all()


scenario_changes = st.fixed_dictionaries({
    "run": st.fixed_dictionaries({"days": st.floats(0.5, 2.0), "seed": st.integers(0, 10_000)}),
    "demand": st.fixed_dictionaries({"channels": st.fixed_dictionaries({
        "999": st.fixed_dictionaries({"calls_per_day": st.sampled_from([0, 50, 300, 900])}),
        "101": st.fixed_dictionaries({"calls_per_day": st.sampled_from([0, 80, 600])}),
    })}),
    "call_handling": st.fixed_dictionaries({"shifts": st.fixed_dictionaries({
        "all": st.fixed_dictionaries({"staff": st.integers(1, 6)})})}),
    "response": st.fixed_dictionaries({
        "shifts": st.fixed_dictionaries({"day": st.fixed_dictionaries({"units": st.integers(1, 8)}),
                                         "night": st.fixed_dictionaries({"units": st.integers(1, 8)})}),
        "reserve_for_g1": st.integers(0, 2),
        "end_of_shift_minutes": st.sampled_from([0, 60]),
    }),
    "appointments": st.fixed_dictionaries({"attended_by": st.sampled_from(["response", "dedicated"])}),
    "policy": st.fixed_dictionaries({"kind": st.sampled_from(["resource_led", "risk_led", "none"])}),
})


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(changes=scenario_changes)
def test_conservation_over_random_scenarios(changes):
    r = changes["response"]   # a G1 reserve above the units rostered is refused by the loader
    r["reserve_for_g1"] = min(r["reserve_for_g1"], r["shifts"]["day"]["units"], r["shifts"]["night"]["units"])
    model = Model(small(**changes), seed=changes["run"]["seed"])
    log = model.run()
    check_log_invariants(log, len(model.callers))


def test_conservation_on_default_scenario(default_log):
    log, n = default_log
    check_log_invariants(log, n)


@pytest.fixture(scope="module")
def default_log():
    from sim.scenario import load_scenario
    from conftest import DEFAULT

    model = Model(load_scenario(DEFAULT, ["run.days=7", "run.warmup_days=1"]), seed=3)
    return model.run(), len(model.callers)


def test_measured_window_is_the_calls_arriving_in_it(default_log):
    """``EventLog.window`` (a slice of rows: calls are logged in arrival order) selects exactly the
    rows ``in_window`` marks; a log out of arrival order falls back to the mask."""
    from dataclasses import replace

    log, _ = default_log
    pd.testing.assert_frame_equal(log.window, log.calls.loc[log.in_window])
    assert 0 < len(log.window) < len(log.calls)   # the warm-up's calls are left out
    shuffled = replace(log, calls=log.calls.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(shuffled.window, shuffled.calls.loc[shuffled.in_window])


def test_kpis_sharing_tables_equal_each_kpi_alone(default_log):
    """``compute_kpis`` makes the selections several KPIs start from once (``sim.measures.shared``):
    every KPI must equal the same KPI computed alone on a log that shares nothing, and the shared
    tables must be gone when it returns (a year's would stay with the log while it is written)."""
    from dataclasses import fields

    from sim.measures.kpis import KPIS
    from sim.measures.shared import once

    log, _ = default_log
    fresh = lambda: type(log)(**{f.name: getattr(log, f.name) for f in fields(log)})  # noqa: E731
    together = compute_kpis(log)
    assert "_shared_tables" not in log.__dict__
    for k in KPIS:
        if k.name in together and not k.name.endswith("_per_week"):
            alone = k.fn(fresh())
            assert together[k.name] == alone or (np.isnan(together[k.name]) and np.isnan(alone)), k.name
    one = fresh()
    made = []
    assert once(one, "t", lambda: made.append(1) or len(made)) == 1
    assert once(one, "t", lambda: made.append(1) or len(made)) == 1 and made == [1]   # made once per log
    assert once(fresh(), "t", lambda: made.append(1) or len(made)) == 2               # not shared between logs


def test_a_finished_run_frees_its_parts_without_the_cyclic_collector(small_scenario):
    """A force-year's callers and columns must go when the run returns, not at the next cyclic
    collection (they were held ~50 MB longer, through the callers' feed, while the log was written)."""
    import gc
    import weakref

    model = Model(small_scenario, seed=4)
    parts = [weakref.ref(p) for p in (model.control_room, model.dispatch, model.rec.calls)]
    collecting = gc.isenabled()
    gc.disable()
    try:
        log = model.run()
        del model
        assert [p() is None for p in parts] == [True, True, True]
    finally:
        if collecting:
            gc.enable()
    assert len(log.calls) > 0


def test_same_seed_same_event_log(small_scenario):
    a, b = run_model(small_scenario, 11), run_model(small_scenario, 11)
    for name in ("calls", "grade_changes", "pending", "unit_shifts", "activities"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = run_model(small_scenario, 12)
    assert not a.calls["arrival"].equals(c.calls["arrival"])


def test_replications_differ_but_are_reproducible(small_scenario):
    r0, r1 = run_model(small_scenario, 5, replication=0), run_model(small_scenario, 5, replication=1)
    assert not r0.calls["arrival"].equals(r1.calls["arrival"])
    pd.testing.assert_frame_equal(r1.calls, run_model(small_scenario, 5, replication=1).calls)


def test_staffing_does_not_change_callers():
    """Common random numbers: same callers, same needs, whatever the staffing."""
    a = Model(small(), seed=4).callers
    b = Model(small(response={"shifts": {"day": {"units": 9}}}, policy={"kind": "risk_led"}), seed=4).callers
    for field in ("arrival", "true_risk", "assessed", "handling", "travel_blue", "on_scene", "patience"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def _downgrades(**changes) -> float:
    return sum(compute_kpis(run_model(small(**changes), seed))["resource_downgrades"] for seed in (1, 2, 3))


def test_more_units_no_more_resource_downgrades():
    few = _downgrades()
    many = _downgrades(response={"shifts": {"day": {"units": 12}, "night": {"units": 10}}})
    # ample units and no briefing gap at the (non-overlapping) shift changes
    ample = _downgrades(response={"shifts": {"day": {"units": 60}, "night": {"units": 60}}, "non_incident": {}})
    assert few > 0
    assert ample <= many <= few
    assert ample == 0


def test_risk_led_never_downgrades_for_resources():
    k = compute_kpis(run_model(small(policy={"kind": "risk_led"}), 1))
    assert k["resource_downgrades"] == 0
    assert k["neighbourhood_hours_lost"] > 0  # escalation borrowed officers instead


def test_resource_led_borrows_no_neighbourhood_officers():
    assert compute_kpis(run_model(small(), 1))["neighbourhood_hours_lost"] == 0


def test_zero_demand_nothing_happens():
    s = small(demand={"channels": {"999": {"calls_per_day": 0}, "101": {"calls_per_day": 0}}})
    log = run_model(s, 1)
    assert len(log.calls) == 0 and len(log.grade_changes) == 0 and len(log.pending) == 0
    assert set(log.activities["activity"]) <= {ACTIVITIES.index("non_incident")}
    k = compute_kpis(log)
    assert k["calls_offered"] == 0 and k["incidents"] == 0 and k["unit_utilisation"] == 0
    assert k["overtime_hours"] == 0


def test_ample_units_g1_response_is_travel_time():
    s = small(call_handling={"shifts": {"all": {"staff": 200}}},
              response={"shifts": {"day": {"units": 400}, "night": {"units": 400}}, "non_incident": {}},
              demand={"channels": {"999": {"graded_at": 0.25}}})
    model = Model(s, seed=9)
    log = model.run()
    c = log.calls
    g1 = c[(c["final_grade"] == 1) & c["first_on_scene"].notna()]
    assert len(g1) > 50
    travel = model.callers.travel_blue[g1["caller"].to_numpy()]
    np.testing.assert_array_equal(g1["first_on_scene"].to_numpy(), g1["graded"].to_numpy() + travel)
    assert (g1["first_dispatch"] == g1["graded"]).all()
    assert (g1["answered"] == g1["arrival"]).all()


def test_busy_unit_finishes_job_and_overtime_is_counted():
    fixed = lambda v: {"family": "fixed", "value": v}  # noqa: E731
    s = small(response={"shifts": {"day": {"units": 2}, "night": {"units": 2}}, "non_incident": {},
                        "on_scene": {g: fixed(90.0) for g in ("G1", "G2", "G3", "G4")}})
    log = run_model(s, 2)
    sh = log.unit_shifts
    over = sh[sh["end_actual"] > sh["end"]]
    assert len(over) > 0
    acts = log.activities
    for _, row in over.iterrows():
        mine = acts[acts["unit"] == row["unit"]]
        # the last thing it did ended exactly when it went off duty, and it started nothing new after its shift
        assert mine["end"].max() == pytest.approx(row["end_actual"])
        assert (mine.loc[mine["activity"] == ACTIVITIES.index("incident"), "start"] < row["end"]).all()
    k = compute_kpis(log)
    expected = (sh["end_actual"] - sh["end"]).clip(lower=0).fillna(0)
    expected = expected[(sh["end"] >= log.warmup) & (sh["end"] < log.horizon)].sum() / 60
    assert k["overtime_hours"] == pytest.approx(expected) and k["overtime_hours"] > 0


def _incident(i, grade, since):
    inc = Incident(i, i, grade, 1)
    inc.since = since
    return inc


def test_regraded_pending_incident_moves_in_the_order():
    pl = PendingList()
    a, b, c, d = _incident(0, 2, 1.0), _incident(1, 2, 2.0), _incident(2, 1, 3.0), _incident(3, 2, 0.5)
    for inc in (a, b, c, d):
        pl.push(inc)
    assert [i.id for i in pl.in_order()] == [2, 3, 0, 1]
    b.grade = 1          # upgraded: ahead of every G2, and of the G1 graded after it
    pl.push(b)
    assert [i.id for i in pl.in_order()] == [1, 2, 3, 0]
    d.grade = 3          # downgraded: behind every G2
    pl.push(d)
    assert [i.id for i in pl.in_order()] == [1, 2, 0, 3]
    assert len(pl) == 4 and pl.peek() is b
    pl.remove(b)
    assert pl.peek() is c and len(pl) == 3


def test_dispatcher_regrade_reorders_and_records():
    """Through the dispatcher: a regraded waiting incident moves and the change is logged.
    The model is built but not started, so no unit comes on duty and no caller arrives."""
    model = Model(small(policy={"kind": "none"}), seed=1)
    calls, d = model.rec.calls, model.dispatch
    for t, grade in ((1.0, 2), (2.0, 2), (3.0, 1)):
        model.env.run(until=t)
        c = calls.new_row()
        calls.caller[c], calls.units_needed[c], calls.true_risk[c] = 0, 1, grade
        d.route(c, grade)
    assert [i.id for i in d.pending.in_order()] == [2, 0, 1]
    d.regrade(d.active[1], 1, 0)   # graded at t=2, so ahead of the G1 graded at t=3
    assert [i.id for i in d.pending.in_order()] == [1, 2, 0]
    assert model.rec.grade_changes == [(1, 3.0, 2, 1, 0)]
    assert calls.final_grade[1] == 1


def test_999_answered_before_101():
    """Non-preemptive priority: no 101 call is answered while a 999 call is waiting."""
    s = small(call_handling={"shifts": {"all": {"staff": 1}}})
    c = run_model(s, 3).calls
    c999 = c[c["channel"] == 0]
    end_wait = c999["answered"].fillna(c999["abandoned"]).to_numpy()
    arr = c999["arrival"].to_numpy()
    for t in c.loc[(c["channel"] == 1) & c["answered"].notna(), "answered"]:
        assert not ((arr < t) & (end_wait > t)).any()


def test_diversion_retasks_units_to_unresourced_g1():
    log = run_model(small(), 5)
    c = log.calls
    assert c["diverted"].sum() > 0
    assert (c.loc[c["diverted"] > 0, "final_grade"] >= 2).all()


def test_appointments_respect_slots_and_lead_time():
    c = run_model(small(), 6).calls
    booked = c["appointment"].dropna()
    per_hour = (booked // 60).value_counts()
    assert per_hour.max() <= 2   # two slots an hour
    first = c["appointment"].notna() & (c["initial_grade"] == 3)
    assert (c.loc[first, "appointment"] >= c.loc[first, "graded"] + 60 - 1e-9).all()


def test_abandoned_callers_retry_some_on_999():
    c = run_model(small(call_handling={"shifts": {"all": {"staff": 1}}}), 8).calls
    retries = c[c["retry_of"] >= 0]
    assert len(retries) > 0
    orig_channel = c.loc[retries["retry_of"], "channel"].to_numpy()
    assert ((orig_channel == 1) & (retries["channel"].to_numpy() == 0)).any()


def test_resource_downgrades_only_when_no_unit_free():
    """The resource-led rule fires only when every unit is busy."""
    model = Model(small(), seed=10)
    seen = []
    original = model.dispatch.regrade

    def spy(inc, to, reason):
        seen.append(len(model.dispatch.free))
        original(inc, to, reason)

    model.dispatch.regrade = spy
    model.run()
    assert seen and max(seen) == 0


def test_call_columns_grow_and_keep_their_values():
    from sim.model.log import CallColumns

    cols = CallColumns(16)
    for i in range(100):
        c = cols.new_row()
        cols.arrival[c] = float(i)
        cols.units_sent[c] += 2
    frame = cols.frame()
    assert len(frame) == 100 and cols.capacity >= 100
    assert (frame["arrival"] == np.arange(100.0)).all() and (frame["units_sent"] == 2).all()
    assert (frame["retry_of"] == -1).all() and frame["answered"].isna().all()


def test_log_tables_flush_waiting_rows_every_few_thousand_calls_and_when_read():
    """A table's rows wait as tuples until flushed (every FLUSH_ROWS calls, or when read): every
    row is counted, read, framed and copied wherever it waits, and a row can be corrected in place."""
    import copy

    from sim.model.log import FLUSH_ROWS, CallColumns, Recorder

    rec = Recorder(CallColumns(FLUSH_ROWS + 10))
    acts = rec.activities
    assert rec.calls.tables and acts in rec.calls.tables and rec.pending in rec.calls.tables
    for i in range(FLUSH_ROWS):
        rec.calls.new_row()
        acts.append((i, 1, float(i), i + 0.5, -1))
    assert len(acts) == FLUSH_ROWS and len(acts._data["unit"]) == 0   # all waiting: no flush before the mark
    rec.calls.new_row()   # the mark: the waiting rows go into the columns
    assert len(acts._data["unit"]) == FLUSH_ROWS and not acts._rows
    acts.append((7, 2, 1.0, 2.0, 3))
    twin = copy.deepcopy(rec)
    twin.activities.append((8, 0, 5.0, 6.0, 4))
    assert len(acts) == FLUSH_ROWS + 1 and len(twin.activities) == FLUSH_ROWS + 2   # the copy appends to its own
    assert any(t is twin.activities for t in twin.calls.tables) and not any(t is acts for t in twin.calls.tables)
    acts.correct(FLUSH_ROWS, "end", 9.0)   # a waiting row corrected where it waits
    assert len(acts._rows) == 1 and acts._rows[0] == (7, 2, 1.0, 9.0, 3)
    acts.correct(3, "incident", 42)         # a row already in the columns
    frame = acts.frame()
    assert frame["incident"].iloc[3] == 42 and frame["incident"].iloc[2] == -1
    assert len(frame) == FLUSH_ROWS + 1 and frame["end"].iloc[-1] == 9.0 and frame["unit"].iloc[-1] == 7
    assert frame["activity"].dtype == np.int8 and (frame["start"].to_numpy()[:FLUSH_ROWS] == np.arange(FLUSH_ROWS)).all()
    assert twin.activities.frame()["unit"].iloc[-2:].tolist() == [7, 8]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(slots=st.lists(st.integers(0, 3), min_size=24, max_size=24).filter(lambda x: sum(x) > 0),
       gaps=st.lists(st.floats(0, 300), min_size=1, max_size=200), lead=st.floats(0, 10))
def test_appointment_book_matches_a_plain_search(slots, gaps, lead):
    """The book's shortcut past full hours gives the same slots as scanning every hour."""
    import math as _m

    from sim.model.appointments import AppointmentBook

    book = AppointmentBook(np.tile(slots, 7), lead)
    used, now = {}, 0.0
    for gap in gaps:
        now += gap
        hour = int(_m.ceil((now + lead * 60) / 60.0 - 1e-9))
        while used.get(hour, 0) >= slots[hour % 24]:
            hour += 1
        taken = used.get(hour, 0)
        used[hour] = taken + 1
        assert book.book(now) == hour * 60.0 + taken * 60.0 / slots[hour % 24]


def test_risk_led_reassessment_moves_grades_to_the_true_risk():
    s = small(policy={"kind": "risk_led", "risk_led": {"accuracy": 1.0}},
              thrive={"misgrading": {"G1": {"G1": 0.6, "G2": 0.4}, "G2": {"G1": 0.3, "G2": 0.4, "G3": 0.3}}})
    log = run_model(s, 3)
    g = log.grade_changes
    assert len(g) > 5
    true = log.calls.set_index("call_id").loc[g["incident"], "true_risk"].to_numpy()
    assert (g["to"].to_numpy() == true).all() and (g["reason"] == 1).all()
    k = compute_kpis(log)
    assert k["reassessment_downgrades"] + k["upgrades"] == len(g) and k["resource_downgrades"] == 0


def test_recheck_decisions_follow_the_incident_not_the_event_order():
    """A recheck's uniform is keyed by caller and attempt: the same in any scenario."""
    from sim.util.random import Streams

    a, b = Streams(5, 1), Streams(5, 1)
    b("policy.recheck").random(1000)            # other draws happened first in b
    assert a.uniform("policy.recheck", 42, 2) == b.uniform("policy.recheck", 42, 2)
    assert a.uniform("policy.recheck", 42, 2) != a.uniform("policy.recheck", 42, 3)


def test_nothing_to_judge_is_not_a_pass():
    s = small(demand={"channels": {"999": {"calls_per_day": 0}, "101": {"calls_per_day": 0}}})
    assert np.isnan(compute_kpis(run_model(s, 1))["meets_recommendation"])


def test_breaks_never_run_past_shift_end():
    log = run_model(small(), 4)
    sh = log.unit_shifts.set_index("unit")
    blocks = log.activities[log.activities["activity"] == ACTIVITIES.index("non_incident")]
    assert (blocks["end"].to_numpy() <= sh.loc[blocks["unit"], "end"].to_numpy() + 1e-9).all()


def _jobs_started(log):
    """Incident jobs of response units: unit, start, its shift's end, and the incident's initial grade."""
    acts = log.activities[log.activities["activity"] == ACTIVITIES.index("incident")]
    sh = log.unit_shifts.set_index("unit")
    grade = log.calls.set_index("call_id")["initial_grade"]
    return pd.DataFrame({"start": acts["start"].to_numpy(), "shift_end": sh.loc[acts["unit"], "end"].to_numpy(),
                         "pool": sh.loc[acts["unit"], "pool"].to_numpy(),
                         "grade": grade.loc[acts["incident"]].to_numpy()})


LIGHT = {"demand": {"channels": {"999": {"calls_per_day": 40}, "101": {"calls_per_day": 40}}}}


def deep_changes(changes, **response):
    import copy
    out = copy.deepcopy(changes)
    out["response"].update(response)
    return out


@pytest.mark.parametrize("protected", [["G2", "G3"], ["G3"]])
def test_end_of_shift_protection_keeps_late_units_for_g1(protected):
    """In its last hour a unit is given no job of a protected grade, but still G1s (and, when
    only G3 is protected, G2s). Policy none: no re-grading, so the initial grade is the grade
    the job was given at."""
    busy = {**LIGHT, "response": {"shifts": {"day": {"units": 3}, "night": {"units": 2}}, "end_of_shift_minutes": 60,
                                  "end_of_shift_grades": protected},
            "policy": {"kind": "none"}, "run": {"days": 6}}
    jobs = _jobs_started(run_model(small(**busy), 3))
    late = jobs[jobs["start"] > jobs["shift_end"] - 60 + 1e-9]
    assert not late["grade"].isin([int(g[1]) for g in protected]).any()
    assert (late["grade"] == 1).sum() > 0
    if protected == ["G3"]:
        assert (late["grade"] == 2).sum() > 0
    # without protection the same callers do get protected-grade jobs in units' last hour
    jobs0 = _jobs_started(run_model(small(**deep_changes(busy, end_of_shift_minutes=0)), 3))
    late0 = jobs0[jobs0["start"] > jobs0["shift_end"] - 60 + 1e-9]
    assert late0["grade"].isin([int(g[1]) for g in protected]).any()


def test_end_of_shift_protection_trades_overtime_for_waiting():
    """Same callers, same seeds: protecting the last 90 minutes cuts overtime, and G2s wait
    longer (fewer in target, more resource downgrades). Summed over three seeds."""
    base = {**LIGHT, "run": {"days": 6}, "response": {"shifts": {"day": {"units": 3}, "night": {"units": 2}}}}
    total = {0: np.zeros(3), 90: np.zeros(3)}
    for seed in (5, 6, 7):
        for minutes in total:
            k = compute_kpis(run_model(small(**deep_changes(base, end_of_shift_minutes=minutes)), seed))
            total[minutes] += [k["overtime_hours"], k["g2_in_target"], k["resource_downgrades"]]
    assert total[90][0] < total[0][0]
    assert total[90][1] < total[0][1]
    assert total[90][2] > total[0][2]


def test_policy_sees_only_units_a_job_could_be_given():
    """With protection on (and a G1 reserve), a resource-led downgrade of a G2 may happen while a
    unit near its shift end is free, but never while a unit that could take the G2 is free
    beyond the reserve. Fresh units are counted here from the units themselves."""
    s = small(response={"end_of_shift_minutes": 120, "reserve_for_g1": 1}, run={"days": 4})
    model = Model(s, seed=10)
    d = model.dispatch
    seen = []
    original = d.regrade

    def spy(inc, to, reason):
        now = model.env.now
        fresh = sum(1 for u in d.free.values() if u.end - now >= 120)
        seen.append((inc.grade, fresh, len(d.free)))
        original(inc, to, reason)

    d.regrade = spy
    model.run()
    g2 = [(fresh, free) for g, fresh, free in seen if g == 2]
    assert g2 and all(fresh <= 1 for fresh, _ in g2)   # at most the reserve
    assert any(free > fresh for fresh, free in g2)     # late units were free, and kept back


@pytest.mark.parametrize("policy", ["resource_led", "risk_led"])
def test_protected_jobs_get_fresh_units_and_g1s_get_late_ones_first(policy):
    """Every unit taken from the free units (or borrowed from neighbourhood) for a G2/G3 has at
    least an hour of its shift left; a G1 is given a late unit whenever one is free, so fresh
    units stay for the grades that need them."""
    s = small(response={"end_of_shift_minutes": 60}, policy={"kind": policy}, run={"days": 4})
    model = Model(s, seed=4)
    d = model.dispatch
    counts = {"protected": 0, "g1_late": 0, "g1_fresh": 0, "borrowed": 0}
    original = d._assign

    def spy(u, inc):
        if u.state == FREE and u.job is None:  # taken from the free units, not diverted en route
            now = model.env.now
            fresh = u.end - now >= 60
            left = d.neighbourhood if u.pool == NEIGHBOURHOOD else d.free
            if inc.grade in (2, 3):
                assert fresh
                counts["protected"] += 1
                counts["borrowed"] += u.pool == NEIGHBOURHOOD
            elif fresh:
                assert not any(v.end - now < 60 for v in left.values())
                counts["g1_fresh"] += 1
            else:
                counts["g1_late"] += 1
        original(u, inc)

    d._assign = spy
    model.run()
    assert counts["protected"] > 0 and counts["g1_late"] > 0 and counts["g1_fresh"] > 0
    if policy == "risk_led":
        assert counts["borrowed"] > 0


@pytest.mark.parametrize("setting, message", [
    ('response.end_of_shift_grades=["G2"]', 'expected ["G3"] or ["G2", "G3"]'),
    ("response.end_of_shift_grades=[]", "expected at least one value"),
    ("response.end_of_shift_minutes=720", "fewer minutes than the shortest response shift (720 min)"),
    ("response.end_of_shift_minutes=-5", "response.end_of_shift_minutes"),
])
def test_end_of_shift_settings_are_checked(setting, message):
    from sim.experiment.replications import with_overrides
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError) as err:
        with_overrides(small(), [setting])
    assert message in str(err.value) and setting.split("=")[0] in str(err.value)
