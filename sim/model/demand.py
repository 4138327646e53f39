"""Demand: who calls, when, and what each caller needs, drawn before the run starts.

Arrivals are a non-homogeneous Poisson process per channel with a rate that is constant
within each hour, so the exact generator is: a Poisson count per hour, arrivals placed
uniformly within it. Everything a caller needs (risk, handling time, patience, travel,
on-scene time...) is drawn here, once, in numpy batches, from streams named after the
channel and the need. Scenarios that differ only in staffing or policy thus meet exactly
the same callers (common random numbers).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np

from sim.util.random import Streams
from sim.scenario import CHANNELS, GRADES, Scenario, ScenarioError, horizon_minutes
from sim.scenario.trace import read_trace, trace_minutes, trace_order


def hourly_rates(s: Scenario, channel: str, n_hours: int) -> np.ndarray:
    """Expected calls in each hour of the run (hour 0 starts Monday 00:00 of week 1)."""
    ch = s.demand.channels.get(channel)
    if ch is None or ch.calls_per_day == 0:
        return np.zeros(n_hours)
    hours = np.arange(n_hours)
    rates = ch.calls_per_day / 24.0 * ch.week_shape()[hours % 168]
    start = np.datetime64(s.run.start_date, "D")
    months = (start + hours // 24).astype("datetime64[M]").astype(np.int64) % 12
    rates = rates * np.asarray(s.demand.month, float)[months] * s.demand.multiplier
    t0 = dt.datetime.combine(s.run.start_date, dt.time())
    for surge in s.demand.surges:
        if channel not in surge.channels:
            continue
        a = int((surge.start - t0).total_seconds() // 3600)
        b = int((surge.end - t0).total_seconds() // 3600)
        rates[max(a, 0) : max(min(b, n_hours), 0)] *= surge.factor
    return rates


def arrival_times(rates: np.ndarray, horizon: float, rng: np.random.Generator) -> np.ndarray:
    """Exact NHPP arrivals for rates piecewise constant per hour, sorted, within [0, horizon)."""
    counts = rng.poisson(rates)
    starts = np.repeat(np.arange(rates.size) * 60.0, counts)
    times = np.sort(starts + rng.random(starts.size) * 60.0)
    return times[times < horizon]


@dataclass
class Callers:
    """One entry per caller, in arrival order; codes are small integers (see module docs)."""
    arrival: np.ndarray
    channel: np.ndarray       # 0 = 999, 1 = 101
    true_risk: np.ndarray     # 0 none, 1..4 = G1..G4
    assessed: np.ndarray      # grade recorded by the call handler (0 = no incident)
    category: np.ndarray
    handling: np.ndarray
    patience: np.ndarray      # inf: never abandons
    area: np.ndarray
    units_needed: np.ndarray
    travel_blue: np.ndarray
    travel_normal: np.ndarray
    on_scene: np.ndarray
    arrest: np.ndarray
    custody: np.ndarray
    admin: np.ndarray
    u_policy: np.ndarray      # uniforms for policy decisions about this incident
    u_review: np.ndarray
    retries: np.ndarray       # calls back if abandoned
    retry_to_999: np.ndarray
    retry_delay: np.ndarray
    retry_patience: np.ndarray
    # issue 15, kept only when the scenario uses them (None otherwise). A year is ~550k callers,
    # so a decision whose threshold the scenario fixes is kept as a bool (1 byte, not an 8-byte
    # uniform), and supervision's durations as float32: the run's peak memory is these arrays.
    u_assess: np.ndarray | None = None        # the uniform the grade was drawn with (re-read when grading is rushed)
    cancel_first: np.ndarray | None = None    # the appointment is cancelled the first time no unit is free for it
    vulnerable: np.ndarray | None = None      # vulnerable or repeat victim (incidents only)
    u_identify: np.ndarray | None = None      # identified at first contact when below the probability
    supervise: np.ndarray | None = None       # the grading is sent for review (before any flagged-category rule)
    sup_accurate: np.ndarray | None = None    # a review of it finds the true risk
    sup_delay: np.ndarray | None = None       # grading to review request, minutes (float32)
    sup_minutes: np.ndarray | None = None     # the review's length, minutes (float32)
    # issue 23: a replayed call's hold class, when a priority code has its own hold (see _dispatch_needs)
    hold_class: np.ndarray | None = None
    rank: np.ndarray | None = None            # a replayed call's order within its grade (trace column rank)

    def __len__(self) -> int:
        return int(self.arrival.size)


def _choice(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    """Categorical draws by inverse CDF on one uniform each (stable under CRN)."""
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right")


def draw_callers(s: Scenario, streams: Streams) -> Callers:
    """All callers of the run in arrival order. Each channel's needs are drawn in one batch
    and scattered into place, so only one channel's temporaries exist at a time."""
    if s.demand.trace is not None:
        return trace_callers(s, streams)   # observed arrivals replayed (the back-test's demand)
    horizon = horizon_minutes(s)
    n_hours = int(np.ceil(horizon / 60.0))
    times = {}
    for code, name in enumerate(CHANNELS):
        if s.demand.channels.get(name) is not None:
            times[code] = arrival_times(hourly_rates(s, name, n_hours), horizon, streams(f"{name}.arrivals"))
    if not times:
        return _empty()
    all_times = np.concatenate(list(times.values()))
    codes = np.concatenate([np.full(t.size, code, dtype=np.int8) for code, t in times.items()])
    order = np.argsort(all_times, kind="stable")
    channel = codes[order]
    out: dict[str, np.ndarray] = {}
    for code, t in times.items():
        name = CHANNELS[code]
        needs = _needs(s, name, code, s.demand.channels.get(name), t, streams)
        where = np.flatnonzero(channel == code)  # this channel's calls, in arrival order
        for k, v in needs.items():
            if k not in out:
                out[k] = np.empty(order.size, dtype=v.dtype)
            out[k][where] = v
        del needs
    return Callers(**out)


def _needs(s: Scenario, name: str, code: int, ch, times: np.ndarray, streams: Streams,
           grades: np.ndarray | None = None, priorities: np.ndarray | None = None) -> dict:
    """One channel's callers' needs; ``grades`` (codes 1..4) are observed grades of a trace,
    taken as both the true risk and the grade recorded (an extract holds no other), and
    ``priorities`` its force's own priority codes (a stacking hold may be set per code)."""
    n = times.size
    rs = lambda need: streams(f"{name}.{need}")  # noqa: E731 - one stream per channel and need
    risk_probs = np.array([ch.risk.get(r, 0.0) for r in ("none",) + GRADES])
    true_risk = _choice(rs("risk"), risk_probs, n).astype(np.int8)

    matrix = s.thrive.matrix()
    u_assess = u = rs("assessment").random(n)
    if grades is not None:
        true_risk = np.asarray(grades, dtype=np.int8)
    assessed = true_risk.copy()
    for g in range(1, 5):
        if grades is not None:
            break
        m = true_risk == g
        cdf = np.cumsum(matrix[g - 1])
        cdf[-1] = 1.0
        assessed[m] = 1 + np.searchsorted(cdf, u[m], side="right")

    cats = s.thrive.category_names()
    category = np.zeros(n, dtype=np.int16)
    u = rs("category").random(n)
    for g, mix in s.thrive.categories.items():
        m = true_risk == GRADES.index(g) + 1
        names = list(mix)
        cdf = np.cumsum([mix[c] for c in names])
        cdf[-1] = 1.0
        category[m] = np.asarray([cats.index(c) for c in names])[np.searchsorted(cdf, u[m], side="right")]

    areas = list(s.response.areas.values())
    area = _choice(rs("area"), np.array([a.share for a in areas]), n).astype(np.int8)
    travel_blue, travel_normal = np.zeros(n), np.zeros(n)
    for i, a in enumerate(areas):
        m = area == i
        travel_blue[m] = a.blue_light.sample(rs(f"travel.blue.{i}"), int(m.sum()))
        travel_normal[m] = a.normal.sample(rs(f"travel.normal.{i}"), int(m.sum()))

    units_needed = np.ones(n, dtype=np.int8)
    on_scene = np.zeros(n)
    arrest = np.zeros(n, dtype=bool)
    u_units, u_arrest = rs("units").random(n), rs("arrest").random(n)
    for code_g, g in enumerate(GRADES, start=1):
        m = true_risk == code_g
        k = int(m.sum())
        on_scene[m] = s.response.on_scene[g].sample(rs(f"on_scene.{g}"), k)
        mix = s.response.units_needed.get(g)
        if mix:
            counts = np.array([int(c) for c in mix])
            cdf = np.cumsum(list(mix.values()))
            cdf[-1] = 1.0
            units_needed[m] = counts[np.searchsorted(cdf, u_units[m], side="right")]
        arrest[m] = u_arrest[m] < s.response.arrest_probability.get(g, 0.0)

    patience = np.full(n, np.inf) if ch.patience is None else ch.patience.sample(rs("patience"), n)
    retry_patience = np.full(n, np.inf) if ch.patience is None else ch.patience.sample(rs("retry.patience"), n)
    ur = rs("retry").random((2, n))
    return dict(
        arrival=times,
        channel=np.full(n, code, dtype=np.int8),
        true_risk=true_risk,
        assessed=assessed.astype(np.int8),
        category=category,
        handling=ch.handling.sample(rs("handling"), n),
        patience=patience,
        area=area,
        units_needed=units_needed,
        travel_blue=travel_blue,
        travel_normal=travel_normal,
        on_scene=on_scene,
        arrest=arrest,
        custody=s.response.custody.sample(rs("custody"), n),
        admin=s.response.admin.sample(rs("admin"), n),
        u_policy=rs("policy").random(n),
        u_review=rs("review").random(n),
        retries=ur[0] < ch.retry.probability,
        retry_to_999=ur[1] < ch.retry.to_999,
        retry_delay=ch.retry.delay.sample(rs("retry.delay"), n),
        retry_patience=retry_patience,
        **_assessment_needs(s, rs, true_risk, category, n, u_assess),
        **_dispatch_needs(s, rs, n, grades, priorities),
    )


def _dispatch_needs(s: Scenario, rs, n: int, grades: np.ndarray | None, priorities: np.ndarray | None) -> dict:
    """Issue 23: a replayed call whose priority code has its own stacking hold gets that code's
    table (``sim.model.holds``): ``hold_class`` is 1 + the code's place in
    ``stacking.hold_by_priority`` (0: its grade's table). Nothing is kept per caller otherwise (the
    wait's uniform is hashed from the caller when needed)."""
    st = s.response.stacking
    out = {}
    if priorities is not None and grades is not None and st.hold_by_priority:
        cls = np.zeros(n, dtype=np.int8)
        for k, code in enumerate(st.hold_by_priority, start=1):
            rows = priorities == code
            if (rows & (np.asarray(grades) == 1)).any():
                raise ScenarioError(s.demand.trace, "priority", code,
                                    f"response.stacking.hold_by_priority.{code}: this code's calls include G1s, and a "
                                    "G1 is never stacked (hold G2/G3 codes only)")
            cls[rows] = k
        out["hold_class"] = cls
    return out


def _assessment_needs(s: Scenario, rs, true_risk: np.ndarray, category: np.ndarray, n: int,
                      u_assess: np.ndarray) -> dict:
    """Per-caller draws of issue 15's mechanisms, each from its own stream (so callers are the
    same whichever mechanisms a scenario turns on), only for the mechanisms in use."""
    a = s.assessment
    out: dict[str, np.ndarray] = {}
    if a.workload.enabled:
        out["u_assess"] = u_assess
    if s.appointments.cancel_probability > 0:
        out["cancel_first"] = rs("appointment.cancel").random(n) < s.appointments.cancel_probability
    if a.vulnerability.enabled:
        cats = s.thrive.category_names()
        share = np.array([a.vulnerability.share.get(c, 0.0) for c in cats])
        out["vulnerable"] = (rs("vulnerable").random(n) < share[category]) & (true_risk > 0)
        out["u_identify"] = rs("identify").random(n)
    if a.supervision.enabled:
        sup = a.supervision
        out["supervise"] = rs("supervise").random(n) < sup.share
        out["sup_accurate"] = rs("supervise.accuracy").random(n) < sup.accuracy
        out["sup_delay"] = sup.delay.sample(rs("supervise.delay"), n).astype(np.float32)
        out["sup_minutes"] = sup.review_minutes.sample(rs("supervise.minutes"), n).astype(np.float32)
    return out


def _empty() -> Callers:
    kinds = {"channel": np.int8, "true_risk": np.int8, "assessed": np.int8, "category": np.int16,
             "area": np.int8, "units_needed": np.int8, "arrest": bool, "retries": bool, "retry_to_999": bool}
    return Callers(**{f.name: np.zeros(0, dtype=kinds.get(f.name, float)) for f in fields(Callers) if f.default is not None})


def trace_callers(s, streams):
    """The run's callers from the trace: arrivals, grades and observed durations; every other
    need drawn as for sampled demand (``_needs``), from the same named streams."""
    trace = read_trace(s.demand.trace)
    order = trace_order(s, trace)
    if order.size == 0:
        return _empty()
    times = trace_minutes(trace, s.run.start_date)[order]
    channel = trace.channel[order]
    out: dict[str, np.ndarray] = {}
    for code, name in enumerate(CHANNELS):
        where = np.flatnonzero(channel == code)
        if where.size == 0:
            continue
        ch = s.demand.channels.get(name)
        if ch is None:
            raise ScenarioError(s.demand.trace, "channel", name,
                                f"the trace has {name} calls but the scenario has no demand.channels.{name} table "
                                "(its handling, patience and graded_at apply to them)")
        needs = _needs(s, name, code, ch, times[where], streams, grades=trace.grade[order[where]],
                       priorities=trace.priority[order[where]])
        rows = order[where]
        for col, need in (("handling_min", ("handling",)), ("travel_min", ("travel_blue", "travel_normal")),
                          ("on_scene_min", ("on_scene",))):
            seen = trace.cols[col][rows]
            m = ~np.isnan(seen)
            for k in need:
                needs[k][m] = seen[m]
        units = trace.cols["units"][rows]
        m = ~np.isnan(units)
        needs["units_needed"][m] = np.clip(units[m], 1, 100).astype(np.int8)
        rank = trace.cols["rank"][rows]
        if np.nan_to_num(trace.cols["rank"]).any():
            needs["rank"] = np.nan_to_num(rank).astype(np.int8)
        for k, v in needs.items():
            if k not in out:
                out[k] = np.empty(order.size, dtype=v.dtype)
            out[k][where] = v
    return Callers(**out)
