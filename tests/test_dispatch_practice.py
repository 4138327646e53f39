"""Issue 23's control-room practice in the model: dispatcher decision time, call stacking (a hold,
or a free-units rule) and emergency pre-emption of busy officers. Each is checked on small
scenarios whose answer can be worked out by hand (a replayed trace fixes every time), and on
larger ones against what the rule implies for every incident."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model.core import Model, run_model
from sim.scenario import ScenarioError, validate
from test_data_fit import truth_scenario

T0 = pd.Timestamp("2025-03-03 00:00")


def _fixed(v):
    return {"family": "fixed", "value": float(v)}


def _scenario(units=1, days=1, hours=24, **response):
    """One shift from 00:00 of ``units`` units, no absences, no breaks."""
    data = truth_scenario(days=days, units=units).to_dict()
    data["response"]["shifts"] = {"all": {"start": "00:00", "hours": hours, "units": units}}
    if hours == 12:
        data["response"]["shifts"]["later"] = {"start": "12:00", "hours": 12, "units": units}
    data["response"]["abstraction"] = 0.0
    data["response"].update(response)
    return data


def _with_trace(data, tmp_path, rows):
    """``rows``: (minute, grade, travel, on_scene[, priority]); handling 0 (ready at once)."""
    df = pd.DataFrame([{"arrival": (T0 + pd.Timedelta(minutes=r[0])).strftime("%Y-%m-%d %H:%M:%S"), "grade": r[1],
                        "handling_min": 0.0, "travel_min": r[2], "on_scene_min": r[3],
                        "priority": r[4] if len(r) > 4 else r[1][1]} for r in rows])
    path = tmp_path / "trace.csv"
    df.to_csv(path, index=False)
    data["demand"]["trace"] = str(path)
    data["run"]["start_date"] = T0.date()
    return validate(data)


def _calls(log):
    c = log.calls[log.calls["retry_of"] < 0].sort_values("arrival").reset_index(drop=True)
    return c


# ---------------------------------------------------------------------------- pre-emption, by hand
def test_g1_takes_the_unit_on_scene_and_the_g3_resumes_its_remaining_work(tmp_path):
    """One unit. A G3 at 00:10 (travel 5, 60 min on scene); a G1 at 00:30. With pre-emption the G1
    takes the unit at 00:30 (on scene at 00:35, done at 00:55); the G3 goes back on the list with
    45 minutes of work left, gets the unit again at 00:55 (on scene 01:00) and is cleared at 01:45."""
    rows = [(10, "G3", 5, 60), (30, "G1", 5, 20)]
    on = _with_trace(_scenario(preemption={"enabled": True}), tmp_path, rows)
    c = _calls(run_model(on, 1))
    g3, g1 = c.iloc[0], c.iloc[1]
    assert g1["first_dispatch"] == pytest.approx(30)
    assert g1["cleared"] == pytest.approx(55)
    assert g3["first_on_scene"] == pytest.approx(15)
    assert g3["cleared"] == pytest.approx(105)
    assert g3["diverted"] == 1
    log = run_model(on, 1)
    pre = log.public_tables()["preemptions"]
    assert len(pre) == 1
    assert pre.iloc[0]["work"] == "on_scene"
    assert pre.iloc[0]["taken_from"] == g3["call_id"] and pre.iloc[0]["given_to"] == g1["call_id"]
    # the unit's incident time: G3 00:10-00:30, G1 00:30-00:55, G3 again 00:55-01:45
    act = log.activities[log.activities["activity"] == 0].sort_values("start")
    assert act[["start", "end"]].to_numpy().tolist() == [[10, 30], [30, 55], [55, 105]]

    off = _with_trace(_scenario(), tmp_path, rows)
    c = _calls(run_model(off, 1))
    assert c.iloc[1]["first_dispatch"] == pytest.approx(75)      # waits for the G3 to finish
    assert "preemptions" not in run_model(off, 1).public_tables()


def test_g1_takes_the_lowest_grade_first_and_leaves_other_units_on_scene(tmp_path):
    """Two units: one on a G2 (ends 01:40), one on a G3 (ends 02:10). A G1 takes the G3's unit
    under lowest_grade_first, the G2's (nearest to finish) under nearest_to_finish."""
    rows = [(0, "G2", 0, 100), (0, "G3", 0, 130), (20, "G1", 0, 10)]
    for rule, taken in (("lowest_grade_first", "G3"), ("nearest_to_finish", "G2")):
        s = _with_trace(_scenario(units=2, preemption={"enabled": True, "rule": rule}), tmp_path, rows)
        log = run_model(s, 1)
        pre = log.preemptions
        assert len(pre) == 1
        c = log.calls.set_index("call_id")
        assert c.loc[pre.iloc[0]["taken_from"], "final_grade"] == int(taken[1])


def test_g1_takes_a_unit_from_its_break_and_the_break_is_finished_later(tmp_path):
    """One unit on a 30-minute break from 00:00; a G1 at 00:10 takes it (10 minutes of break
    taken); the remaining 20 minutes are taken when the G1 is done."""
    data = _scenario(hours=12, preemption={"enabled": True},
                     non_incident={"refreshment": {"after_hours": 0, "minutes": 30}})
    s = _with_trace(data, tmp_path, [(10, "G1", 5, 20)])
    log = run_model(s, 1)
    c = _calls(log)
    assert c.iloc[0]["first_dispatch"] == pytest.approx(10)
    assert log.preemptions.iloc[0]["work"] == 2           # break
    breaks = log.activities[(log.activities["activity"] == 3) & (log.activities["unit"] == 0)].sort_values("start")
    assert breaks[["start", "end"]].to_numpy().tolist() == [[0, 10], [35, 55]]


def test_a_g2_may_take_a_unit_from_a_g3_but_never_from_a_g2(tmp_path):
    pre = {"enabled": True, "probability_g2": 1.0}
    s = _with_trace(_scenario(preemption=pre), tmp_path, [(0, "G3", 0, 100), (20, "G2", 0, 10)])
    log = run_model(s, 1)
    assert len(log.preemptions) == 1 and log.preemptions.iloc[0]["for_grade"] == 2
    assert _calls(log).iloc[1]["first_dispatch"] == pytest.approx(20)
    s = _with_trace(_scenario(preemption=pre), tmp_path, [(0, "G2", 0, 100), (20, "G2", 0, 10)])
    log = run_model(s, 1)
    assert len(log.preemptions) == 0 and _calls(log).iloc[1]["first_dispatch"] == pytest.approx(100)
    off = {"enabled": True}   # probability_g2 defaults to 0: only G1s pre-empt
    s = _with_trace(_scenario(preemption=off), tmp_path, [(0, "G3", 0, 100), (20, "G2", 0, 10)])
    assert len(run_model(s, 1).preemptions) == 0


def test_no_preemption_from_grades_not_listed_or_from_custody(tmp_path):
    rows = [(0, "G2", 0, 100), (20, "G1", 0, 10)]
    s = _with_trace(_scenario(preemption={"enabled": True, "from_grades": ["G3"]}), tmp_path, rows)
    log = run_model(s, 1)
    assert len(log.preemptions) == 0
    assert _calls(log).iloc[1]["first_dispatch"] == pytest.approx(100)


def test_a_replayed_forces_own_order_within_a_grade(tmp_path):
    """One unit busy until 01:40; a P4 (G3, rank 1) waits from 00:10, a P3 (G3, rank 0) from 00:20:
    the P3 is dispatched first. Without ranks, the order is by time."""
    data = _scenario()
    df = pd.DataFrame({"arrival": ["2025-03-03 00:00:00", "2025-03-03 00:10:00", "2025-03-03 00:20:00"],
                       "grade": ["G2", "G3", "G3"], "priority": ["2", "4", "3"], "rank": [0, 1, 0],
                       "handling_min": 0.0, "travel_min": 0.0, "on_scene_min": [100.0, 10.0, 10.0]})
    df.to_csv(tmp_path / "trace.csv", index=False)
    data["demand"]["trace"] = str(tmp_path / "trace.csv")
    data["run"]["start_date"] = T0.date()
    c = _calls(run_model(validate(data), 1))
    assert c["first_dispatch"].tolist() == pytest.approx([0, 110, 100])
    df.drop(columns="rank").to_csv(tmp_path / "trace.csv", index=False)
    c = _calls(run_model(validate(data), 1))
    assert c["first_dispatch"].tolist() == pytest.approx([0, 100, 110])


def test_a_bad_rank_is_named(tmp_path):
    data = _scenario()
    pd.DataFrame({"arrival": ["2025-03-03 00:00:00"], "grade": ["G3"], "rank": [1.5]}).to_csv(tmp_path / "t.csv", index=False)
    data["demand"]["trace"] = str(tmp_path / "t.csv")
    data["run"]["start_date"] = T0.date()
    with pytest.raises(ScenarioError, match="rank"):
        run_model(validate(data), 1)


# ---------------------------------------------------------------------------- decision time and holds
def test_decision_time_and_hold_by_hand(tmp_path):
    """Ample units: a G1 is dispatched its decision time after it is ready; a G3 its decision time
    plus its hold; a G3 whose priority code has its own hold gets that one."""
    data = _scenario(units=5, decision={"G1": _fixed(1.5), "G3": _fixed(2)},
                     stacking={"hold": {"G3": _fixed(30)}, "hold_by_priority": {"4": _fixed(50)}})
    s = _with_trace(data, tmp_path, [(0, "G1", 5, 20), (10, "G3", 5, 20, "3"), (20, "G3", 5, 20, "4"), (30, "G2", 5, 20)])
    c = _calls(run_model(s, 1))
    assert (c["first_dispatch"] - c["arrival"]).tolist() == pytest.approx([1.5, 32, 52, 0])


def test_held_incidents_are_on_the_pending_list_and_counted(tmp_path):
    data = _scenario(units=5, stacking={"hold": {"G3": _fixed(30)}})
    s = _with_trace(data, tmp_path, [(0, "G3", 5, 20)])
    m = Model(s, 1)
    m.start()
    m.env.run_calls(10.0)
    d = m.dispatch
    assert len(d.pending) == 1 and [i.held for i in d.pending.in_order()] == [True]
    assert d.pending.peek() is None                     # not offered to a unit while held
    assert len(d.free) == 5
    m.env.run_calls(31.0)
    assert len(d.pending) == 0 and len(d.free) == 4
    log = m.finish()
    assert log.pending[["start", "end"]].to_numpy().tolist() == [[0, 30]]   # held time is waiting time


def test_a_held_incident_can_be_downgraded_like_any_other(tmp_path):
    """Resource-led: a G2 unresourced 60 minutes while no unit is free is downgraded; a held G2
    with the only unit busy elsewhere is downgraded at 60 minutes though its hold runs to 90."""
    data = _scenario(units=1, stacking={"hold": {"G2": _fixed(90)}})
    data["policy"] = {"kind": "resource_led", "resource_led": {"rules": {"G2": {"after": 60, "to": "G3", "probability": 1.0}}}}
    s = _with_trace(data, tmp_path, [(0, "G3", 0, 200), (5, "G2", 0, 10)])
    log = run_model(s, 1)
    gc = log.grade_changes
    assert len(gc) == 1 and gc.iloc[0]["time"] == pytest.approx(65) and gc.iloc[0]["to"] == 3


def test_min_free_keeps_units_back_from_lower_grades():
    """min_free G3 = 2 with 3 units and only G3 demand: never more than one unit on G3s at once."""
    data = _scenario(units=3, days=3, stacking={"min_free": {"G3": 2}})
    for ch in data["demand"]["channels"].values():
        ch["risk"] = {"G3": 1.0}
    log = run_model(validate(data), 2)
    act = log.activities[log.activities["activity"] == 0]
    t = np.sort(np.concatenate([act["start"], act["end"]]))
    mid = (t[:-1] + t[1:]) / 2
    busy = ((act["start"].to_numpy()[:, None] <= mid) & (act["end"].to_numpy()[:, None] > mid)).sum(axis=0)
    assert busy.max() == 1 and len(act) > 50


def test_min_free_must_not_let_g3s_past_g2s():
    with pytest.raises(ScenarioError, match="min_free"):
        validate(_scenario(stacking={"min_free": {"G2": 3, "G3": 1}}))


def test_hold_by_priority_of_g1_calls_is_refused(tmp_path):
    data = _scenario(stacking={"hold_by_priority": {"1": _fixed(5)}})
    s = _with_trace(data, tmp_path, [(0, "G1", 5, 20, "1")])
    with pytest.raises(ScenarioError, match="never stacked"):
        run_model(s, 1)


# ---------------------------------------------------------------------------- at scale
@pytest.fixture(scope="module")
def busy():
    """A week with too few units: G1s often find none free."""
    data = truth_scenario(days=7, units=9).to_dict()
    data["response"]["abstraction"] = 0.0
    return data


def test_preemption_probability_is_the_share_of_g1s_without_a_free_unit(busy):
    """With probability p, the share of G1s that found no free unit and took a busy one is p
    (within a 99% binomial interval), and every call still ends with exactly one outcome."""
    p = 0.4
    data = {**busy, "response": {**busy["response"], "preemption": {"enabled": True, "probability": p,
                                                                      "from_blocks": False}}}
    s = validate(data)
    log = run_model(s, 5)
    off = run_model(validate(busy), 5)
    c = off.calls
    g1 = c[(c["initial_grade"] == 1)]
    # G1s that would wait without pre-emption (same callers; the first ones are unaffected)
    assert (g1["first_dispatch"] > g1["graded"]).sum() > 100
    pre = log.preemptions
    con = log.calls
    g1_on = con[con["initial_grade"] == 1]
    waited = (g1_on["first_dispatch"] > g1_on["graded"] + 1e-9).sum()
    asked = len(pre) + waited       # G1s with no unit free: took one, or waited (declined / none to take)
    share = len(pre) / asked
    half = 2.58 * np.sqrt(p * (1 - p) / asked)
    assert abs(share - p) < half + 0.05    # a few found no unit to take (all on G1s or in custody)
    assert (con["outcome"] >= 0).all()
    assert len(con) == len(c)                   # same callers, same calls


def test_interrupted_work_is_finished_in_full(busy):
    """An incident whose last unit on scene was taken still gets all its on-scene time: from first
    on scene to cleared is its need plus the time nobody was there."""
    data = {**busy, "response": {**busy["response"], "preemption": {"enabled": True}}}
    s = validate(data)
    m = Model(s, 3)
    need = m.callers.on_scene.copy()
    log = m.run()
    c = log.calls.set_index("call_id")
    act = log.activities[(log.activities["activity"] == 0)]
    hit = log.preemptions[log.preemptions["work"] == 1]["taken_from"].unique()
    assert len(hit) > 20
    done = c.loc[hit].dropna(subset=["cleared"])
    for call, row in done.iterrows():
        a = act[act["incident"] == call]
        # union of the units' time on it after first on scene = on-scene need (single-unit jobs)
        on = sum(max(0.0, e - max(st, row["first_on_scene"])) for st, e in zip(a["start"], a["end"]))
        travel_back = (a["start"].to_numpy() > row["first_on_scene"]).sum()   # later visits began with travel
        assert on >= need[int(row["caller"])] - 1e-6
        assert travel_back >= 1


def test_every_new_mechanism_off_is_todays_model(busy):
    """Empty decision/stacking tables and pre-emption disabled: the event log is the one without them."""
    a = run_model(validate(busy), 4)
    data = {**busy, "response": {**busy["response"], "decision": {}, "stacking": {"hold": {}, "min_free": {"G3": 0}},
                                 "preemption": {"enabled": False, "probability": 0.3}}}
    b = run_model(validate(data), 4)
    for t in ("calls", "grade_changes", "pending", "unit_shifts", "activities"):
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))


# ---------------------------------------------------------------------------- what the doors see
def test_kpi_and_audit_count_the_units_taken_for_g1s(busy):
    from sim.measures.audit import downgrade_audit
    from sim.measures.kpis import compute_kpis

    data = {**busy, "response": {**busy["response"], "preemption": {"enabled": True}},
            "policy": {"kind": "resource_led", "resource_led": {"rules": {"G2": {"after": 30, "to": "G3", "probability": 1.0}}}}}
    log = run_model(validate(data), 6)
    k = compute_kpis(log)
    assert k["units_taken_for_g1"] == len(log.preemptions) > 0
    assert k["units_taken_for_g1_per_week"] == pytest.approx(k["units_taken_for_g1"] / ((log.horizon - log.warmup) / 10080))
    audit = downgrade_audit(log)
    pre = log.preemptions
    for _, row in audit.iterrows():
        expected = ((pre["taken_from"] == row["incident"]) & (pre["time"] <= row["downgraded_at_min"])).sum()
        assert row["units_taken_away"] == expected
    assert (audit["units_taken_away"] > 0).any()          # a G2 left for an emergency, then downgraded
    assert compute_kpis(run_model(validate(busy), 6))["units_taken_for_g1"] == 0


def test_the_planner_states_what_stage_one_assumes_and_counts_decision_time():
    from sim.plan.requirement import job_kinds, practice_assumptions

    plain = validate(truth_scenario(days=7, units=9).to_dict())
    assert practice_assumptions(plain) == []
    data = truth_scenario(days=7, units=9).to_dict()
    data["response"]["decision"] = {"G2": _fixed(4)}
    data["response"]["stacking"] = {"hold": {"G2": _fixed(6)}, "min_free": {"G3": 2}}
    data["response"]["preemption"] = {"enabled": True, "probability": 0.5}
    practised = validate(data)
    said = " ".join(practice_assumptions(practised))
    assert "decision time" in said and "min_free" in said and "0.5" in said
    before = {k.grade: k.pre_dispatch.mean() for k in job_kinds(plain)}
    after = {k.grade: k.pre_dispatch.mean() for k in job_kinds(practised)}
    assert after[2] == pytest.approx(before[2] + 10, rel=0.02) and after[1] == pytest.approx(before[1], rel=0.02)
