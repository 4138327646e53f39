"""KPIs: pure functions of the event log (no SimPy, no scenario object, no I/O).

Only what happens inside the measurement window [warm-up, horizon) counts: calls that
arrive in it, grade changes made in it, unit time spent in it. "In target" is measured
against the standard of the **initial** grade, from call arrival to the first unit on
scene: the grade the caller's risk was first assessed at is the promise made to them.
An incident still unattended at the horizon counts as a miss once its standard has
passed and is left out (censored) before that.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.measures.assessment import ASSESSMENT_KPIS
from sim.measures.shared import forget, once
from sim.model.log import ABANDONED, ACTIVITIES, POOLS, REASSESSMENT, RESOURCE, EventLog
from sim.util.lazy import LazyModule

pd = LazyModule("pandas")   # on a replication's path: see sim.util.lazy


@dataclass(frozen=True)
class KPI:
    name: str
    unit: str
    description: str
    fn: Callable[[EventLog], float]


def _window_calls(log: EventLog, *columns: str) -> pd.DataFrame:
    """Calls arriving in the measured window; only the named columns (a year's log is large)."""
    return log.window[list(columns) or ["arrival"]]


def _service_level(log: EventLog, channel: int, seconds: float) -> float:
    """Answered within T / (offered - abandoned within T), calls still waiting past T count as misses."""
    c = _channel_calls(log, channel)
    t = seconds / 60.0
    wait = c["answered"] - c["arrival"]
    answered_in_t = (wait <= t).sum()
    short_abandon = ((c["abandoned"] - c["arrival"]) <= t).sum()
    open_short = (c["answered"].isna() & c["abandoned"].isna() & (log.horizon - c["arrival"] <= t)).sum()
    denom = len(c) - short_abandon - open_short
    return float(answered_in_t / denom) if denom > 0 else float("nan")


def _abandon_rate(log: EventLog, channel: int) -> float:
    c = _channel_calls(log, channel)
    return float((c["outcome"] == ABANDONED).mean()) if len(c) else float("nan")


def _channel_calls(log: EventLog, channel: int) -> pd.DataFrame:
    """The window's calls on one channel (999: 0, 101: 1), as the control room's KPIs read them (shared)."""
    def select() -> pd.DataFrame:
        c = _window_calls(log, "channel", "arrival", "answered", "abandoned", "outcome")
        return c[c["channel"] == channel]
    return once(log, ("channel", channel), select)


def _incidents(log: EventLog, grade: int | None = None) -> pd.DataFrame:
    """The window's incidents (G1-G4 at first), or those of one initial grade (shared by the KPIs)."""
    return once(log, ("incidents", grade), lambda: _select_incidents(log, grade))


def _select_incidents(log: EventLog, grade: int | None) -> pd.DataFrame:
    if grade is not None:
        c = _incidents(log)
        return c[c["initial_grade"] == grade]
    c = _window_calls(log, "initial_grade", "arrival", "first_on_scene", "area")
    return c[c["initial_grade"] >= 1]


def _standard_minutes(log: EventLog, inc: pd.DataFrame, grade: int) -> np.ndarray:
    if grade == 1:
        return np.asarray(log.meta["g1_minutes_by_area"], float)[inc["area"].to_numpy()]
    if grade == 2:
        return np.full(len(inc), float(log.meta["g2_minutes"]))
    return np.full(len(inc), float(log.meta["g3_hours"]) * 60.0)


def in_target(log: EventLog, grade: int) -> float:
    inc = _incidents(log, grade)
    std = _standard_minutes(log, inc, grade)
    response = (inc["first_on_scene"] - inc["arrival"]).to_numpy()
    met = response <= std
    known = ~np.isnan(response) | (log.horizon - inc["arrival"].to_numpy() > std)
    return float(met[known].mean()) if known.any() else float("nan")


def _response_quantile(log: EventLog, grade: int, q: float) -> float:
    inc = _incidents(log, grade)
    r = (inc["first_on_scene"] - inc["arrival"]).dropna()
    return float(r.quantile(q)) if len(r) else float("nan")


def _changes(log: EventLog) -> pd.DataFrame:
    g = log.grade_changes
    return g[(g["time"] >= log.warmup) & (g["time"] < log.horizon)]


def resource_downgrades(log: EventLog) -> pd.DataFrame:
    g = _changes(log)
    return g[(g["reason"] == RESOURCE) & (g["to"] > g["from"])]


def _high_risk_downgrades(log: EventLog) -> float:
    d = resource_downgrades(log)
    true_risk = log.calls["true_risk"].to_numpy()[d["incident"].to_numpy()]
    return float(((true_risk == 1) | (true_risk == 2)).sum())


def _per_week(log: EventLog) -> float:
    weeks = _weeks(log)
    return float(len(resource_downgrades(log)) / weeks) if weeks > 0 else float("nan")


def pending_counts(log: EventLog, times: np.ndarray) -> np.ndarray:
    """Unresourced G1/G2 incidents at each of ``times`` (from the pending intervals)."""
    p = log.pending[log.pending["grade"] <= 2]
    starts = np.sort(p["start"].to_numpy())
    ends = np.sort(p["end"].to_numpy())
    # counted when start <= t <= end: an incident resourced exactly at t was still waiting at t
    return np.searchsorted(starts, times, side="right") - np.searchsorted(ends, times, side="left")


def _max_pending(log: EventLog) -> float:
    p = log.pending[log.pending["grade"] <= 2]
    if p.empty:
        return 0.0
    times = np.concatenate([[log.warmup], p["start"].to_numpy()])
    times = times[(times >= log.warmup) & (times < log.horizon)]
    return float(pending_counts(log, times).max()) if times.size else 0.0


def _pending_at_0700(log: EventLog) -> float:
    times = _days_at_0700(log)
    return float(pending_counts(log, times).mean()) if times.size else float("nan")


def _intervals_covering(lo: np.ndarray, hi: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many intervals [lo, hi) contain each of ``times``. An empty interval (hi <= lo: a G3
    resourced before it fell due) contains nothing; left in, it counted -1 at every time between
    its ends, and a fitted scenario's open work at 07:00 came out negative."""
    keep = hi > lo
    lo, hi = lo[keep], hi[keep]
    return np.searchsorted(np.sort(lo), times, side="right") - np.searchsorted(np.sort(hi), times, side="right")


def open_counts(log: EventLog, times: np.ndarray) -> np.ndarray:
    """Open work at each of ``times``: unresourced G1/G2 incidents, plus G3 incidents past
    their appointment or their standard (arrival + G3 standard) and not yet attended: those
    waiting unresourced in the pending list, and those whose appointment lies further away
    than the standard."""
    high = pending_counts(log, times)
    g3_std = float(log.meta["g3_hours"]) * 60.0
    calls = log.calls
    p = log.pending[log.pending["grade"] == 3]
    inc = p["incident"].to_numpy()
    arrival, appointment = calls["arrival"].to_numpy(), calls["appointment"].to_numpy()
    due = np.fmin(appointment[inc], arrival[inc] + g3_std)
    waiting = _intervals_covering(np.maximum(p["start"].to_numpy(), due), np.nextafter(p["end"].to_numpy(), np.inf),
                                  times)
    booked = (~np.isnan(appointment)) & (calls["final_grade"].to_numpy() != 4)
    lo = arrival[booked] + g3_std
    hi = np.fmin(appointment[booked], np.nan_to_num(calls["first_on_scene"].to_numpy()[booked], nan=np.inf))
    keep = hi > lo
    return high + waiting + _intervals_covering(lo[keep], hi[keep], times)


def _days_at_0700(log: EventLog) -> np.ndarray:
    first_day = int(np.ceil((log.warmup - 420.0) / 1440.0))
    times = np.arange(first_day, int(log.horizon // 1440) + 1) * 1440.0 + 420.0
    return times[(times >= log.warmup) & (times < log.horizon)]


def _open_at_0700(log: EventLog) -> float:
    times = _days_at_0700(log)
    return float(open_counts(log, times).mean()) if times.size else float("nan")


def _officer_hours(log: EventLog, column: str) -> float:
    """Response officer-hours rostered (or on duty) in the measured window."""
    r = log.rosters[log.rosters["pool"] == POOLS.index("response")]
    return _clipped_minutes(r["start"], r["end"], log.warmup, log.horizon, r[column]) / 60.0


def _clipped_minutes(start, end, lo: float, hi: float, weights=None) -> float:
    """Minutes of the spells [start, end) inside [lo, hi], each times its weight if given (series
    or arrays; a year's activities are ~600k rows, so the differences are taken in place)."""
    s = np.clip(np.asarray(start, dtype=np.float64), lo, hi)
    e = np.clip(np.asarray(end, dtype=np.float64), lo, hi)   # a new array: the log's own is never written
    e -= s
    np.maximum(e, 0.0, out=e)
    if weights is not None:
        e = e * np.asarray(weights)
    return float(e.sum())


def _unit_utilisation(log: EventLog) -> float:
    """Share of response officers' on-duty time spent on incidents (travel, scene, custody, admin)."""
    sh = log.unit_shifts[log.unit_shifts["pool"] == POOLS.index("response")]
    end = sh["end_actual"].fillna(log.horizon)
    duty = _clipped_minutes(sh["start"], end, log.warmup, log.horizon)
    a = log.activities
    busy_codes = [ACTIVITIES.index(x) for x in ("incident", "custody", "admin")]
    # only the two columns read, as arrays: a year's ~600k activity rows selected as a frame (every
    # column, then clipped copies of two) held ~30 MB of temporaries
    on = np.isin(a["activity"].to_numpy(), busy_codes) & np.isin(a["unit"].to_numpy(), sh["unit"].to_numpy())
    busy = _clipped_minutes(a["start"].to_numpy()[on], a["end"].to_numpy()[on], log.warmup, log.horizon)
    return busy / duty if duty > 0 else float("nan")


def _overtime_hours(log: EventLog) -> float:
    """Response officers only: borrowed neighbourhood officers' time is neighbourhood_hours_lost."""
    sh = log.unit_shifts
    sh = sh[(sh["pool"] == POOLS.index("response")) & (sh["end"] >= log.warmup) & (sh["end"] < log.horizon)]
    extra = (sh["end_actual"] - sh["end"]).clip(lower=0).fillna(0.0)
    return float(extra.sum() / 60.0)


def _neighbourhood_hours(log: EventLog) -> float:
    a = log.activities[log.activities["activity"] == ACTIVITIES.index("borrowed")]
    return _clipped_minutes(a["start"], a["end"], log.warmup, log.horizon) / 60.0


def _appointment_lead_days(log: EventLog) -> float:
    c = _window_calls(log, "arrival", "appointment")
    lead = (c["appointment"] - c["arrival"]).dropna() / 1440.0
    return float(lead.median()) if len(lead) else float("nan")


def _mean_answer_seconds(log: EventLog, channel: int) -> float:
    c = _channel_calls(log, channel)
    w = (c["answered"] - c["arrival"]).dropna()
    return float(w.mean() * 60.0) if len(w) else float("nan")


def meets_recommendation(log: EventLog) -> float:
    """1 when resource-driven downgrades per week are within tolerance and G1/G2 aims are met;
    NaN when there is nothing to judge (no G1 or G2 incident with a known outcome)."""
    shares = [(in_target(log, g), aim) for g, aim in ((1, log.meta["g1_aim"]), (2, log.meta["g2_aim"]))]
    judged = [(share, aim) for share, aim in shares if not np.isnan(share)]
    if not judged:
        return float("nan")
    ok = _per_week(log) <= log.meta["tolerance_per_week"] and all(share >= aim for share, aim in judged)
    return float(ok)


def _units_taken_for(log: EventLog, grade: int) -> float:
    """Units taken from other work (a lower-grade job or a break) for an incident of ``grade`` with
    none free (issue 23's emergency access to busy officers), in the measured window; 0 where the
    scenario does not allow it."""
    p = log.preemptions
    t = p["time"].to_numpy()
    return float(((t >= log.warmup) & (t < log.horizon) & (p["for_grade"].to_numpy() == grade)).sum())


def _reassessment_downgrades(log: EventLog) -> float:
    g = _changes(log)
    return float(((g["reason"] == REASSESSMENT) & (g["to"] > g["from"])).sum())


KPIS: tuple[KPI, ...] = (
    KPI("calls_offered", "calls", "calls reaching the control room (retries included)", lambda l: float(len(_window_calls(l)))),
    KPI("calls_abandoned", "calls", "calls abandoned before answer", lambda l: float((_window_calls(l, "outcome")["outcome"] == ABANDONED).sum())),
    KPI("sl_999_10s", "share", "999 calls answered within 10 s (short abandons excluded)", lambda l: _service_level(l, 0, 10)),
    KPI("sl_101_180s", "share", "101 calls answered within 180 s (short abandons excluded)", lambda l: _service_level(l, 1, 180)),
    KPI("abandon_rate_101", "share", "101 calls abandoned / offered", lambda l: _abandon_rate(l, 1)),
    KPI("abandon_rate_999", "share", "999 calls abandoned / offered", lambda l: _abandon_rate(l, 0)),
    KPI("mean_answer_999_s", "seconds", "mean time to answer, answered 999 calls", lambda l: _mean_answer_seconds(l, 0)),
    KPI("mean_answer_101_s", "seconds", "mean time to answer, answered 101 calls", lambda l: _mean_answer_seconds(l, 1)),
    KPI("incidents", "incidents", "calls assessed as an incident (G1-G4)", lambda l: float(len(_incidents(l)))),
    KPI("incidents_g1", "incidents", "incidents initially graded G1 (emergency)", lambda l: float(len(_incidents(l, 1)))),
    KPI("incidents_g2", "incidents", "incidents initially graded G2 (priority)", lambda l: float(len(_incidents(l, 2)))),
    KPI("incidents_g3", "incidents", "incidents initially graded G3 (scheduled)", lambda l: float(len(_incidents(l, 3)))),
    KPI("incidents_g4", "incidents", "incidents initially graded G4 (resolved without deployment)", lambda l: float(len(_incidents(l, 4)))),
    KPI("resource_downgrades", "grade changes", "grades lowered because no unit was free", lambda l: float(len(resource_downgrades(l)))),
    KPI("high_risk_resource_downgrades", "grade changes", "resource-driven downgrades of incidents whose true risk is G1 or G2", _high_risk_downgrades),
    KPI("reassessment_downgrades", "grade changes", "grades lowered at re-assessment (re-THRIVE)", _reassessment_downgrades),
    KPI("upgrades", "grade changes", "grades raised (any reason)", lambda l: float((_changes(l)["to"] < _changes(l)["from"]).sum())),
    KPI("g1_in_target", "share", "initial G1 attended within 15 min urban / 20 min rural of the call", lambda l: in_target(l, 1)),
    KPI("g2_in_target", "share", "initial G2 attended within 60 min of the call", lambda l: in_target(l, 2)),
    KPI("g3_in_target", "share", "initial G3 attended within the appointment window (48 h) of the call", lambda l: in_target(l, 3)),
    KPI("g1_response_p50", "minutes", "median call-to-scene time, initial G1 attended", lambda l: _response_quantile(l, 1, 0.5)),
    KPI("g1_response_p90", "minutes", "90th percentile call-to-scene time, initial G1 attended", lambda l: _response_quantile(l, 1, 0.9)),
    KPI("g2_response_p50", "minutes", "median call-to-scene time, initial G2 attended", lambda l: _response_quantile(l, 2, 0.5)),
    KPI("g2_response_p90", "minutes", "90th percentile call-to-scene time, initial G2 attended", lambda l: _response_quantile(l, 2, 0.9)),
    KPI("appointment_lead_days_p50", "days", "median time from call to booked appointment", _appointment_lead_days),
    KPI("max_pending", "incidents", "most unresourced G1/G2 incidents waiting at once", _max_pending),
    KPI("pending_at_0700_mean", "incidents", "unresourced G1/G2 incidents at 07:00 (start of the early shift), mean over days", _pending_at_0700),
    KPI("open_at_0700_mean", "incidents", "open work at 07:00: unresourced G1/G2 plus G3 past their appointment or "
        "standard and not yet attended, mean over days", _open_at_0700),
    KPI("officer_hours_rostered", "hours", "response officer-hours rostered (before abstraction)",
        lambda l: _officer_hours(l, "rostered")),
    KPI("officer_hours_on_duty", "hours", "response officer-hours on duty (rostered less leave, sickness, "
        "training, court)", lambda l: _officer_hours(l, "on_duty")),
    KPI("unit_utilisation", "share", "response officers' on-duty time spent on incidents (travel, scene, custody, admin)", _unit_utilisation),
    KPI("overtime_hours", "hours", "response officers' time worked past shift end to finish a job", _overtime_hours),
    KPI("neighbourhood_hours_lost", "hours", "neighbourhood officer hours borrowed for response", _neighbourhood_hours),
    KPI("units_taken_for_g1", "units", "response units taken from a lower-grade job or a break for a G1 with none free",
        lambda l: _units_taken_for(l, 1)),
    KPI("units_taken_for_g2", "units", "response units taken from a G3 job or a break for a G2 with none free",
        lambda l: _units_taken_for(l, 2)),
    KPI("meets_recommendation", "0/1", "1 if resource downgrades/week within tolerance and G1, G2 in-target rates reach the aims (blank: nothing to judge)", meets_recommendation),
)

def description(name: str, s=None) -> str:
    """A KPI's one-line description; with scenario ``s``, in its own attendance standards (a
    scenario that sets G1 to 10 minutes must not be described as 'within 15 min')."""
    kpi = next(k for k in KPIS if k.name == name)
    if s is None:
        return kpi.description
    st = s.standards
    if name == "g1_in_target":
        areas = " / ".join(f"{m:g} min {area}" for area, m in st.g1_minutes.items() if area in s.response.areas)
        return f"initial G1 attended within {areas} of the call"
    if name == "g2_in_target":
        return f"initial G2 attended within {st.g2_minutes:g} min of the call"
    if name == "g3_in_target":
        return f"initial G3 attended within the appointment window ({st.g3_hours:g} h) of the call"
    return kpi.description


# HMIC's first recommendation (issue 15): the initial assessment, vulnerable callers, supervision
# and the appointment diary; listed in sim/measures/assessment.py
KPIS += tuple(KPI(name, unit, desc, fn) for name, unit, desc, fn, _ in ASSESSMENT_KPIS)

# Counts over the measured window: each has a per-week twin (``<name>_per_week``), so runs of
# different lengths can be read side by side.
COUNTS = ("calls_offered", "calls_abandoned", "incidents", "incidents_g1", "incidents_g2", "incidents_g3",
          "incidents_g4", "resource_downgrades", "high_risk_resource_downgrades", "reassessment_downgrades", "upgrades",
          "officer_hours_rostered", "officer_hours_on_duty", "overtime_hours", "neighbourhood_hours_lost", "units_taken_for_g1",
          "units_taken_for_g2",
          *(name for name, *_, count in ASSESSMENT_KPIS if count))


def _weeks(log: EventLog) -> float:
    return (log.horizon - log.warmup) / (7 * 1440.0)


def _per_week_twin(k: KPI) -> KPI:
    def fn(log: EventLog, total=k.fn) -> float:
        weeks = _weeks(log)
        return total(log) / weeks if weeks > 0 else float("nan")
    return KPI(f"{k.name}_per_week", f"{k.unit} per week", f"{k.description}, per simulated week", fn)


KPIS = tuple(t for k in KPIS for t in ((k, _per_week_twin(k)) if k.name in COUNTS else (k,)))


# The shared tables of one kind, let go after the last KPI that reads them (a year's per-channel
# calls are ~18 MB, its incidents by grade ~17 MB: held to the end, they made the KPIs the peak of
# a year's replication).
_LAST_READER = {"mean_answer_101_s": "channel", "meets_recommendation": "incidents"}


def compute_kpis(log: EventLog) -> dict[str, float]:
    """Every KPI of the run. The tables they share (``sim.measures.shared``) are let go as the
    KPIs move past them, and all at the end: a year's would otherwise stay with the log while its
    event tables are written."""
    out: dict[str, float] = {}
    weeks = _weeks(log)
    try:
        for k in KPIS:
            total = k.name.removesuffix("_per_week")
            if total != k.name and total in COUNTS:   # a twin: from its total, not computed again
                out[k.name] = out[total] / weeks if weeks > 0 else float("nan")
            else:
                out[k.name] = k.fn(log)
            if k.name in _LAST_READER:
                forget(log, _LAST_READER[k.name])
    finally:
        forget(log)
    return out
