"""Issue 15: assessment under workload, vulnerable callers, supervision, the appointment book."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.model.core import run_model
from sim.scenario import load_scenario

from logdigest import CASES, HERE as TESTS, case_digests

FIXTURE = TESTS / "fixtures" / "pre-assessment-default.toml"
NEW_CALL_COLUMNS = ("vulnerable", "identified")


@pytest.mark.parametrize("name,file,overrides", CASES, ids=[c[0] for c in CASES])
def test_neutral_scenario_gives_the_same_event_log_bit_for_bit(name, file, overrides):
    """A scenario that does not use the new mechanisms: every column the log had before issue 15
    is unchanged (fingerprints made at ce30679), the new columns hold their neutral value and
    the new tables are empty."""
    expected = json.loads((TESTS / "fixtures" / "log_digests.json").read_text())[name]
    got = case_digests(name, file, overrides)
    for table, cols in expected.items():
        for col, digest in cols.items():
            assert got[table][col] == digest, f"{name}: {table}.{col} changed"
    s = load_scenario(TESTS / "fixtures" / file, overrides)
    log = run_model(s)
    for col in NEW_CALL_COLUMNS:
        assert (log.calls[col] == -1).all()
    assert log.reviews.empty and log.appointment_changes.empty


# ---------------------------------------------------------------------------- small scenarios
from conftest import small  # noqa: E402
from test_model import check_log_invariants  # noqa: E402

from sim.measures.kpis import compute_kpis  # noqa: E402
from sim.model.core import Model  # noqa: E402

RUSHED = {"G1": {"G1": 0.5, "G2": 0.5}, "G2": {"G2": 0.5, "G3": 0.5}, "G3": {"G3": 0.5, "G4": 0.5}}
# an overloaded control room (1 handler for 400 calls a day) so calls queue
BUSY = {"call_handling": {"shifts": {"all": {"start": "00:00", "hours": 24, "staff": 1}}},
        "run": {"days": 4}}


def _graded(log):
    c = log.calls
    return c[c["initial_grade"] >= 1]


def _undergraded_share(log):
    g = _graded(log)
    return float((g["initial_grade"] > g["true_risk"]).mean())


def _workload(**kw):
    return {"assessment": {"workload": {"rushed": RUSHED, **kw}}}


def test_more_pressure_more_undergrading():
    """The same callers graded under more pressure (a lower threshold) are under-graded more,
    and with the rushed matrix equal to the normal one nothing changes."""
    base = run_model(small(**BUSY))
    mild = run_model(small(**BUSY, **_workload(start=0, full=20)))
    hard = run_model(small(**BUSY, **_workload(start=0, full=2)))
    assert _undergraded_share(base) < _undergraded_share(mild) < _undergraded_share(hard)
    same = run_model(small(**BUSY, assessment={"workload": {"rushed": {
        "G1": {"G1": 0.9, "G2": 0.1}, "G2": {"G1": 0.1, "G2": 0.8, "G3": 0.1}}, "start": 0, "full": 1}}))
    pd_equal(base.calls, same.calls)


def pd_equal(a, b):
    import pandas as pd
    pd.testing.assert_frame_equal(a, b)


def test_undergrading_follows_the_queue():
    """Grading is rushed when calls wait: calls answered with a long queue are under-graded more
    often than calls answered with nobody waiting (step blend: half rushed with 1 waiting, fully from 2)."""
    s = small(**BUSY, **_workload(blend="step", steps=[{"at": 1, "weight": 0.5}, {"at": 2, "weight": 1.0}]))
    log = run_model(s)
    c = log.calls
    t = c["answered"].dropna().to_numpy()
    arr = np.sort(c["arrival"].to_numpy())
    left = np.sort(np.fmin(c["answered"].fillna(np.inf), c["abandoned"].fillna(np.inf)).to_numpy())
    waiting = np.searchsorted(arr, t, side="right") - np.searchsorted(left, t, side="right")
    g = c.loc[c["answered"].notna()].assign(waiting=waiting)
    g = g[g["initial_grade"] >= 1]
    under = g["initial_grade"] > g["true_risk"]
    assert (g["waiting"] >= 2).sum() > 30
    assert under[g["waiting"] >= 2].mean() > 2 * under[g["waiting"] == 0].mean()


def test_occupancy_measure_rushes_grading_when_handlers_are_busy():
    base = run_model(small(**BUSY))
    occ = run_model(small(**BUSY, **_workload(measure="occupancy", start=0.0, full=0.5)))
    assert _undergraded_share(occ) > _undergraded_share(base) + 0.1


VULN = {"share": {"unspecified": 0.5}, "raise_to": "G2"}


def test_identification_one_means_no_vulnerable_caller_undergraded():
    log = run_model(small(**BUSY, assessment={"workload": {"rushed": RUSHED, "start": 0, "full": 4},
                                               "vulnerability": {**VULN, "identification": 1.0}}))
    v = _graded(log)
    v = v[v["vulnerable"] == 1]
    assert len(v) > 100
    assert (v["identified"] == 1).all()
    assert (v["initial_grade"] <= v["true_risk"]).all() and (v["initial_grade"] <= 2).all()
    k = compute_kpis(log)
    assert k["vulnerable_undergraded"] == 0 and k["vulnerable_identified"] == 1.0


def test_missed_vulnerable_callers_keep_the_assessed_grade():
    """Identification 0: nobody identified, and the grades are those of the scenario without
    vulnerability (the flag alone changes nothing); about the share asked for is vulnerable."""
    plain = run_model(small(**BUSY))
    log = run_model(small(**BUSY, assessment={"vulnerability": {**VULN, "identification": 0.0}}))
    pd_equal(plain.calls["initial_grade"].to_frame(), log.calls["initial_grade"].to_frame())
    v = _graded(log)
    assert (v.loc[v["vulnerable"] == 1, "identified"] == 0).all()
    share = (v["vulnerable"] == 1).mean()
    assert 0.45 < share < 0.55
    half = run_model(small(**BUSY, assessment={"vulnerability": {**VULN, "identification": 0.5}}))
    h = _graded(half)
    h = h[h["vulnerable"] == 1]
    assert 0.4 < (h["identified"] == 1).mean() < 0.6
    assert (h["initial_grade"] > h["true_risk"]).sum() < (v.loc[v["vulnerable"] == 1, "initial_grade"]
                                                          > v.loc[v["vulnerable"] == 1, "true_risk"]).sum()


SUP = {"share": 1.0, "reviews": "all", "accuracy": 1.0, "within": 600.0,
       "delay": {"family": "fixed", "value": 5.0}, "review_minutes": {"family": "fixed", "value": 1.0},
       "supervisors": {"shifts": {"all": {"start": "00:00", "hours": 24, "staff": 20}}}}


def test_perfect_supervision_records_the_true_risk():
    log = run_model(small(**BUSY, assessment={"workload": {"rushed": RUSHED, "start": 0, "full": 4},
                                               "supervision": SUP}))
    r = log.reviews
    done = r[r["reviewed"].notna()]
    assert len(done) > 500 and r["reviewed"].isna().sum() == 0
    true = log.calls["true_risk"].to_numpy()[done["incident"].to_numpy()]
    assert (done["after"].to_numpy() == true).all()
    # corrections are re-gradings with the reason "supervision", to the true risk
    g = log.grade_changes[log.grade_changes["reason"] == 2]
    assert len(g) > 20 and (g["to"].to_numpy() == log.calls["true_risk"].to_numpy()[g["incident"].to_numpy()]).all()
    assert done["applied"].sum() == len(g)
    check_log_invariants(log, len(Model(small(**BUSY), seed=7).callers))


def test_supervisors_run_out_at_peaks():
    """One supervisor reviewing every grading for 10 minutes cannot keep up: many requests are
    never reviewed, fewer with more supervisors, none missed with plenty."""
    def missed(staff):
        sup = {**SUP, "within": 30.0, "review_minutes": {"family": "fixed", "value": 10.0},
               "supervisors": {"shifts": {"all": {"start": "00:00", "hours": 24, "staff": staff}}}}
        r = run_model(small(**BUSY, assessment={"supervision": sup})).reviews
        return r["reviewed"].isna().mean()
    one, three, many = missed(1), missed(3), missed(50)
    assert one > 0.15 and one > three and many == 0


def test_supervision_only_999_and_flagged():
    log = run_model(small(**BUSY, assessment={"supervision": {**SUP, "reviews": "999"}}))
    ch = log.calls["channel"].to_numpy()[log.reviews["incident"].to_numpy()]
    assert len(ch) and (ch == 0).all()


def test_callers_are_the_same_with_and_without_supervision():
    """Common random numbers: two scenarios differing only in supervision meet the same callers
    with the same needs (the draws for supervision come from streams of their own)."""
    import dataclasses
    a = Model(small(**BUSY), seed=3).callers
    b = Model(small(**BUSY, assessment={"supervision": SUP}), seed=3).callers
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=f.name)
    la = run_model(small(**BUSY), seed=3)
    lb = run_model(small(**BUSY, assessment={"supervision": SUP}), seed=3)
    first = lambda log: log.calls[log.calls["retry_of"] < 0].set_index("caller")  # noqa: E731
    fa, fb = first(la), first(lb)
    np.testing.assert_array_equal(fa["arrival"], fb["arrival"])
    np.testing.assert_array_equal(fa["true_risk"], fb["true_risk"])


@pytest.mark.parametrize("assessment", [
    {"workload": {"rushed": RUSHED, "start": 0, "full": 3}, "vulnerability": {**VULN, "identification": 0.5},
     "supervision": {**SUP, "supervisors": {"shifts": {"all": {"start": "08:00", "hours": 8, "staff": 1}}}}},
])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_conservation_with_every_mechanism(assessment, seed):
    s = small(**BUSY, assessment=assessment,
              appointments={"slots_per_hour": [1] * 24, "day_of_week": [1, 1, 1, 1, 1, 0, 0],
                            "cancel_probability": 0.7, "max_rebookings": 1})
    model = Model(s, seed=seed)
    log = model.run()
    check_log_invariants(log, len(model.callers))
    assert len(log.appointment_changes) and len(log.reviews)


# ---------------------------------------------------------------------------- appointments
def _appointments(cancel, days=(1, 1, 1, 1, 1, 1, 1), cap=3, seed=7):
    s = small(run={"days": 10}, appointments={"slots_per_hour": [2] * 24, "day_of_week": list(days),
                                              "cancel_probability": cancel, "max_rebookings": cap})
    return run_model(s, seed)


def test_more_cancellations_longer_appointment_leads():
    leads = []
    for p in (0.0, 0.5, 1.0):
        log = _appointments(p)
        c = log.calls
        leads.append(float(np.nanmean(c["appointment"] - c["arrival"])))
        if p == 0:
            assert log.appointment_changes.empty
    assert leads[0] < leads[1] < leads[2]


def test_rebooking_cap_then_escalation():
    log = _appointments(1.0, cap=2)
    a = log.appointment_changes
    per = a.groupby("incident")["kind"].agg(["size", "max", "last"])
    # never more than the cap of re-bookings, and an escalation is the last change
    assert (a[a["kind"] == 0].groupby("incident").size() <= 2).all()
    esc = a[a["kind"] == 1]
    assert len(esc) and (per.loc[esc["incident"], "last"] == 1).all()
    assert esc["new"].isna().all()
    g = log.grade_changes[log.grade_changes["reason"] == 3]
    assert sorted(g["incident"]) == sorted(esc["incident"]) and (g["to"] == 2).all()
    # a re-booked slot is at least the minimum lead after the cancellation
    re = a[a["kind"] == 0]
    assert (re["new"] >= re["time"] + 60 - 1e-9).all()


def test_no_slots_at_weekends():
    log = _appointments(0.0, days=(1, 1, 1, 1, 1, 0, 0))
    slot = log.calls["appointment"].dropna().to_numpy()
    day = (slot // 1440).astype(int) % 7
    assert len(slot) and not np.isin(day, [5, 6]).any()


def test_default_appointment_tail():
    """The default's diary at its autumn 2016 peak: a G3's appointment is usually within two days
    but the tail reaches further (weekends, re-bookings), and some downgraded incidents are
    attended more than two days after the call."""
    s = load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml", ["run.days=21", "run.seed=1"])
    log = run_model(s)
    c = log.calls[log.in_window]
    lead = ((c["appointment"] - c["arrival"]) / 1440).dropna()
    assert lead.median() < 2 and lead.quantile(0.99) > 2 and lead.max() > 3
    k = compute_kpis(log)
    assert k["downgraded_attended_over_48h"] > 0 and k["appointments_rebooked"] > 0
    total = sum(k[f"downgraded_attended_{b}"] for b in ("24h", "72h", "later", "never"))
    assert total == pytest.approx(len(np.unique(log.grade_changes.query("reason == 0 and to > `from` and time >= @log.warmup")["incident"])))


ROOT = TESTS.parent


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("override, words", [
    ("assessment.vulnerability.share.burglarys=0.5", "assessment.vulnerability.share = 'burglarys': expected an incident category"),
    ("assessment.workload.start=9", "assessment.workload.full = 5: expected full above start (9)"),
    ("assessment.workload.measure=occupancy", "expected a share of handlers <= 1"),
    ("assessment.workload.rushed.G2.G3=0.9", "rushed row G2: probabilities must sum to 1"),
    ("appointments.day_of_week=[1,1,1]", "appointments.day_of_week = [1, 1, 1]: expected a list of 7 values"),
    ("appointments.cancel_probability=1.5", "appointments.cancel_probability = 1.5: expected a number <= 1.0"),
    ("assessment.supervision.supervisors.shifts={}", "supervision.share > 0 needs supervisors"),
    ('assessment.supervision.flagged_categories=["nope"]', "flagged_categories = 'nope': expected an incident category"),
    ("appointments.day_of_week=[1,1,1,1,1,1,1e18]", "expected multipliers between 0 and 1000"),
])
def test_bad_assessment_settings_are_one_line_exit_2(override, words, triage):
    p = triage("check", "--set", override)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert words in p.stderr and p.stderr.strip().count("\n") == 0


def test_default_undergrading_rises_when_calls_queue():
    """The default's workload mechanism: the extra under-grading it causes falls in the hours
    when calls queue (late morning, evening), not in the small hours."""
    def by_hour(extra):
        s = load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml", ["run.days=7", "run.warmup_days=1", *extra])
        log = run_model(s)
        c = log.calls[log.in_window]
        c = c[c["initial_grade"] >= 1]
        under = (c["initial_grade"] > c["true_risk"]).to_numpy()
        return np.bincount(((c["arrival"] // 60) % 24).astype(int).to_numpy(), weights=under, minlength=24)
    extra = by_hour([]) - by_hour(["assessment.workload.rushed={}"])
    busy = extra[[10, 11, 12, 13, 17, 18, 19, 20]].sum()
    quiet = extra[[2, 3, 4, 5, 6, 7]].sum()
    assert busy > 10 and busy > 5 * max(quiet, 1)


@pytest.mark.slow
@pytest.mark.parametrize("reps", [1, 2])
def test_first_recommendation_figure_draws_error_bars_only_with_a_ci(tmp_path, monkeypatch, reps):
    """Figure 8's bars carry a 95% CI from two replications on; one replication has none to draw
    (zero-length bars with caps would read as a very precise estimate)."""
    import matplotlib.axes

    from sim.experiment.replications import run_experiment
    from sim.report.figures.assessment import fig_first_recommendation
    from sim.report.figures.drawing import render
    from sim.report.folder import load_folder

    s = load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml", ["run.days=2", "run.warmup_days=0"])
    folder = run_experiment(s, reps=reps, jobs=1, out=tmp_path / "run").folder
    arms = load_folder(folder).arms
    errs = []
    real_bar = matplotlib.axes.Axes.bar

    def bar(self, *args, **kwargs):
        errs.append(kwargs.get("yerr"))
        return real_bar(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "bar", bar)
    fig = render(fig_first_recommendation, arms)
    assert fig.png is not None and len(errs) == 2
    assert all((e is None) == (reps == 1) for e in errs)


@pytest.mark.parametrize("workload, words", [
    ({"start": 30}, "full = 20.0: expected full above start (30)"),          # full left at its default
    ({"measure": "occupancy", "start": 0.5}, "full = 20.0: expected a share of handlers <= 1"),
])
def test_workload_full_is_checked_at_its_default(workload, words):
    """A weight that could go negative (start above the default full) or that could never reach
    1 (occupancy with full left at 20 calls' worth) is refused, not run."""
    from sim.scenario import ScenarioError

    from conftest import small

    rushed = {"rushed": {"G2": {"G2": 0.5, "G3": 0.5}}}
    with pytest.raises(ScenarioError, match=words.replace("(", r"\(").replace(")", r"\)")):
        small(assessment={"workload": {**rushed, **workload}})


def test_a_review_that_raises_a_booked_g3_gives_its_slot_back():
    """A supervisor raising a G3 before its appointment: the slot goes back to the diary, the
    call keeps no stale appointment time, and the change is recorded as 'regraded'."""
    from sim.model.log import APPOINTMENT_CHANGES, REASONS

    s = small(**BUSY, assessment={"workload": {"rushed": RUSHED, "start": 0, "full": 1}, "supervision": SUP},
              appointments={"slots_per_hour": [2] * 24, "min_lead_hours": 2})
    log = run_model(s, seed=5)
    ch = log.appointment_changes
    regraded = ch[ch["kind"] == APPOINTMENT_CHANGES.index("regraded")]
    assert len(regraded) > 0 and regraded["new"].isna().all() and (regraded["old"] > regraded["time"]).all()
    gc = log.grade_changes.set_index(["incident", "time"])
    for inc, t in zip(regraded["incident"], regraded["time"]):
        row = gc.loc[(inc, t)]
        assert row["reason"] == REASONS.index("supervision") and row["from"] == 3 and row["to"] in (1, 2)
    calls = log.calls.set_index("call_id").loc[regraded["incident"]]
    assert calls.loc[calls["final_grade"] != 3, "appointment"].isna().all()
    check_log_invariants(log, len(Model(s, seed=5).callers))
    from sim.measures.kpis import compute_kpis
    k = compute_kpis(log)
    assert k["appointments_cancelled"] == k["appointments_rebooked"] + k["appointments_escalated"] == 0
