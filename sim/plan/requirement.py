"""Stage 1: how many response units and call handlers each hour of the week needs, from the
scenario alone (no simulation).

Response work is a time-varying queue whose congestion lags its arrivals: a G1 with an arrest
at 21:00 still holds an officer in custody at 01:00. So the offered load is computed by the
infinite-server method (Jennings, Mandelbaum, Massey & Whitt 1996; Green & Kolesar's lagged
approximations): m(t) = sum over job kinds of the integral of lambda(s) P(S > t - s) ds over
the (periodic) week, in unit-busy Erlangs. Each hour is then staffed as a stationary
non-preemptive priority M/M/c (G1 before G2 before G3; Cobham 1954) with that lagged load;
the criterion is ``response_criterion`` below. Effective units become rostered ones through
the share of a shift spent off incidents (the scenario's non-incident blocks) and abstraction.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.rota import mean_share_absent
from sim.scenario import CHANNELS, GRADES, Scenario
from sim.theory.queueing import erlang_c_wait_probability, priority_mmc_mean_waits

HOURS = 168
STEP = 5.0                       # minutes per bin of the load computation
BINS_PER_HOUR = int(60 / STEP)
WEEK_BINS = HOURS * BINS_PER_HOUR
SAMPLES = 20_000                 # Monte Carlo draws of each job kind's duration (fixed seed)
MAX_UNITS = 2_000
DOWNGRADE_BUDGET_PER_WEEK = 0.1  # expected resource downgrades a week allowed when the tolerance is 0
# answering standards for call handlers (KPI -> seconds, share): 999 within 10 s for 90% (the BT
# emergency-call standard) and 101 within 180 s for 90% (the force's aim, domain-figures.md [S])
HANDLER_TARGETS = {"sl_999_10s": (10.0, 0.9), "sl_101_180s": (180.0, 0.9)}


@dataclass(frozen=True)
class JobKind:
    """Arrivals of one kind of response job: rate per hour of week and its unit durations."""
    grade: int                   # priority class: the grade recorded at first contact (1..3)
    rate: np.ndarray             # jobs per minute, per 5-minute bin of the week (WEEK_BINS)
    durations: np.ndarray        # SAMPLES x max units: each unit's busy minutes (0 = not sent)
    pre_dispatch: np.ndarray     # SAMPLES: call arrival to incident created (answer ~0 + grading)
    travel: np.ndarray           # SAMPLES: travel minutes of the first unit
    standard: np.ndarray         # SAMPLES: minutes allowed from call to scene (by area)

    @property
    def unit_minutes(self) -> float:
        return float(self.durations.sum(axis=1).mean())


@dataclass(frozen=True)
class Requirement:
    """Hour of week -> loads and the fewest units / handlers meeting the standards."""
    load: np.ndarray             # 168 x 3: lagged unit-busy load (Erlangs) of G1, G2, G3 work
    arrivals: np.ndarray         # 168 x 3: jobs per hour arriving, by priority class
    effective: np.ndarray        # 168: effective units needed (on incidents or free)
    rostered: np.ndarray         # 168: rostered units needed (effective / available share)
    available_share: float       # share of a rostered unit that is on duty and not in non-incident time
    handler_load: np.ndarray     # 168: Erlangs of call handling
    handlers: np.ndarray         # 168: handlers on duty needed
    handlers_rostered: np.ndarray  # 168: rostered handlers (abstraction)
    mean_service: float          # minutes a unit is busy per unit-job, the M/M/c service mean
    rostered_sipp: np.ndarray    # 168: the same without the lag (SIPP: each hour's arrivals x mean work)
    load_sipp: np.ndarray        # 168: SIPP's load (Erlangs, all classes)

    def as_rows(self) -> list[dict]:
        return [{"hour_of_week": h, "day": h // 24, "hour": h % 24,
                 "load_g1": self.load[h, 0], "load_g2": self.load[h, 1], "load_g3": self.load[h, 2],
                 "units_effective": int(self.effective[h]), "units_required": int(self.rostered[h]),
                 "load_sipp": self.load_sipp[h], "units_required_sipp": int(self.rostered_sipp[h]),
                 "handlers_required": int(self.handlers_rostered[h])} for h in range(HOURS)]


# ---------------------------------------------------------------------------- arrivals
def hourly_calls(s: Scenario, channel: str) -> np.ndarray:
    """Calls per hour for each hour of the week (the month of the start date applied)."""
    ch = s.demand.channels.get(channel)
    if ch is None or ch.calls_per_day == 0:
        return np.zeros(HOURS)
    month = s.demand.month[(s.run.start_date + dt.timedelta(days=s.run.warmup_days)).month - 1]
    return ch.week_shape() * ch.calls_per_day / 24.0 * s.demand.multiplier * month


def _by_bin(per_hour: np.ndarray) -> np.ndarray:
    """Per-hour counts -> rate per minute in each 5-minute bin."""
    return np.repeat(per_hour / 60.0, BINS_PER_HOUR)


def _area_draws(s: Scenario, rng, n: int):
    areas = list(s.response.areas.items())
    shares = np.array([a.share for _, a in areas])
    idx = rng.choice(len(areas), size=n, p=shares / shares.sum())
    blue, normal, std = np.zeros(n), np.zeros(n), np.zeros(n)
    for i, (name, a) in enumerate(areas):
        m = idx == i
        blue[m] = a.blue_light.sample(rng, int(m.sum()))
        normal[m] = a.normal.sample(rng, int(m.sum()))
        std[m] = s.standards.g1_minutes.get(name, math.inf)
    return blue, normal, std


def _units(s: Scenario, true_risk: str, rng, n: int) -> np.ndarray:
    mix = s.response.units_needed.get(true_risk)
    if not mix:
        return np.ones(n, dtype=int)
    counts = np.array([int(k) for k in mix])
    p = np.array(list(mix.values()))
    return rng.choice(counts, size=n, p=p / p.sum())


def job_kinds(s: Scenario, seed: int = 0) -> list[JobKind]:
    """G1/G2 incidents (recorded grade) and G3 response work, each with its true-risk mix."""
    rng = np.random.default_rng(seed)
    m = s.thrive.matrix()
    slots = s.appointments.week_slots().astype(float)
    g3_booked = s.appointments.booking and s.appointments.attended_by == "response"
    g3_queued = not s.appointments.booking
    kinds = []
    for g in (1, 2, 3):
        # rate of jobs recorded at grade g, split by true risk r
        by_risk = {}
        pre = []
        for name in CHANNELS:
            ch = s.demand.channels.get(name)
            if ch is None or ch.calls_per_day == 0:
                continue
            calls = hourly_calls(s, name)
            for r, grade_r in enumerate(GRADES):
                share = ch.risk.get(grade_r, 0.0) * m[r, g - 1]
                if share > 0:
                    by_risk[grade_r] = by_risk.get(grade_r, 0.0) + calls * share
                    pre.append((float((calls * share).sum()), ch))
        if not by_risk:
            continue
        total = sum(by_risk.values())
        if g == 3:
            if g3_booked and slots.sum() > 0:
                # booked into the diary: done at the slots, in proportion to their capacity per day
                per_day = total.reshape(7, 24).sum(axis=1).mean()
                day_slots = slots.reshape(7, 24)
                shape = day_slots / np.where(day_slots.sum(axis=1, keepdims=True) > 0,
                                             day_slots.sum(axis=1, keepdims=True), 1.0)
                total = (shape * per_day).ravel()
            elif not g3_queued:
                continue
        # sample durations: pick the true risk of each sampled job in proportion to its volume
        risks = list(by_risk)
        weights = np.array([by_risk[r].sum() for r in risks])
        which = rng.choice(len(risks), size=SAMPLES, p=weights / weights.sum())
        blue, normal, std = _area_draws(s, rng, SAMPLES)
        travel = blue if GRADES[g - 1] in s.response.blue_light_grades else normal
        units = np.ones(SAMPLES, dtype=int)
        scene = np.zeros(SAMPLES)
        arrest = np.zeros(SAMPLES, dtype=bool)
        for i, r in enumerate(risks):
            sel = which == i
            k = int(sel.sum())
            units[sel] = _units(s, r, rng, k)
            scene[sel] = s.response.on_scene[r].sample(rng, k)
            arrest[sel] = rng.random(k) < s.response.arrest_probability.get(r, 0.0)
        admin = s.response.admin.sample(rng, SAMPLES)
        custody = s.response.custody.sample(rng, SAMPLES)
        width = int(units.max())
        durations = np.where(np.arange(width)[None, :] < units[:, None], (travel + scene + admin)[:, None], 0.0)
        durations[:, 0] += np.where(arrest, custody, 0.0)   # the lead unit makes the arrest
        # call arrival -> incident created: graded a share of the way through handling
        chs = [c for _, c in pre]
        wts = np.array([w for w, _ in pre])
        pick = rng.choice(len(chs), size=SAMPLES, p=wts / wts.sum())
        pre_dispatch = np.zeros(SAMPLES)
        for i, ch in enumerate(chs):
            sel = pick == i
            pre_dispatch[sel] = ch.graded_at * ch.handling.sample(rng, int(sel.sum()))
        pre_dispatch += _held_before_dispatch(s, GRADES[g - 1], rng)
        standard = std if g == 1 else np.full(SAMPLES, s.standards.g2_minutes if g == 2 else s.standards.g3_hours * 60)
        kinds.append(JobKind(g, _by_bin(total), durations, pre_dispatch, travel, standard))
    return kinds


def _held_before_dispatch(s: Scenario, grade: str, rng) -> np.ndarray | float:
    """The dispatcher's decision time and any stacking hold of ``grade`` (issue 23): time from
    ready to dispatch even with a unit free, so it is taken from the standard like grading time."""
    r = s.response
    out = 0.0
    if grade in r.decision:
        out = out + r.decision[grade].sample(rng, SAMPLES)
    if grade in r.stacking.hold:
        out = out + r.stacking.hold[grade].sample(rng, SAMPLES)
    return out


def practice_assumptions(s: Scenario) -> list[str]:
    """What stage 1 assumes about the scenario's dispatch practice (issue 23), in words for the
    plan's report; empty when the scenario uses none of it. Stage 3 simulates all of it."""
    r = s.response
    out = []
    if r.decision or r.stacking.hold:
        held = sorted(set(r.decision) | set(r.stacking.hold))
        out.append(f"the dispatcher's decision time and any stacking hold ({', '.join(held)}) are counted as time "
                   "before dispatch, taken from the attendance standard like the grading time")
    if r.stacking.hold_by_priority:
        out.append("holds by priority code apply to replayed calls only and are not in stage 1")
    if any(r.stacking.min_free.values()):
        out.append("the free-units stacking rule (min_free) is not in stage 1's queue, which gives a G2/G3 the "
                   "first free unit: stage 1 is optimistic for those grades")
    if r.preemption.enabled:
        out.append(f"emergency access to busy officers (a share of {r.preemption.probability:g}) is not in stage 1's "
                   "queue: a G1 waits there for a free unit (pessimistic for G1s, optimistic for the jobs it would "
                   "interrupt)")
    return out


def lagged_load(kind: JobKind) -> np.ndarray:
    """m(t) per 5-minute bin over the periodic week: circular convolution of the arrival rate
    with the survival function of the unit-busy time (summed over the units a job takes)."""
    edges = np.arange(WEEK_BINS + 1) * STEP
    # expected units still busy at lag t per job: sum over units of P(S_u > t), at bin midpoints
    busy = np.zeros(WEEK_BINS)
    for u in range(kind.durations.shape[1]):
        d = kind.durations[:, u]
        d = d[d > 0]
        if d.size == 0:
            continue
        # mean over the bin [k, k+1) of P(S > t): (1/STEP) * E[clip(S - kSTEP, 0, STEP)]
        sd = np.sort(d)
        k = edges[:-1]
        # E[min(max(S - k, 0), STEP)] = integral_k^{k+STEP} P(S > t) dt
        cum = np.concatenate(([0.0], np.cumsum(sd)))

        def e_excess(x):  # E[max(S - x, 0)]
            i = np.searchsorted(sd, x, side="right")
            return (cum[-1] - cum[i] - (sd.size - i) * x) / sd.size

        busy += (e_excess(k) - e_excess(k + STEP)) * (d.size / kind.durations.shape[0]) / STEP
    # lags beyond a week fold back onto the week (periodic); E[S] over a week is negligible anyway
    rate = kind.rate * STEP   # jobs per bin
    return np.real(np.fft.ifft(np.fft.fft(rate) * np.fft.fft(busy)))


# ---------------------------------------------------------------------------- staffing per hour
def wait_tail(c: int, lams: list[float], mu: float, k: int, t: np.ndarray) -> np.ndarray:
    """P(W_k > t) for class k (0 = highest) of non-preemptive priority M/M/c.

    Class 0 is exact: all servers busy with probability C (Erlang C on the total load), then
    the wait is Exp(c mu - lam_0). Lower classes: P(W > 0) = C and an exponential tail with
    Cobham's exact mean W_k (an approximation of the shape only)."""
    lam = sum(lams)
    if lam <= 0:
        return np.where(t < 0, 1.0, 0.0)
    if lam >= c * mu:
        return np.ones_like(t, dtype=float)
    pw = erlang_c_wait_probability(c, lam, mu)
    if k == 0:
        rate = c * mu - lams[0]
    else:
        w = priority_mmc_mean_waits(c, lams, mu)[k]
        rate = pw / w if w > 0 else math.inf
    return np.where(t < 0, 1.0, pw * np.exp(-rate * np.maximum(t, 0.0)))


def response_criterion(s: Scenario, c: int, lams: list[float], mu: float, kinds: list[JobKind]) -> bool:
    """The hour is staffed when, as a stationary priority M/M/c with c effective units:

    * G1 and G2 in target reach the scenario's aims: E over call-to-dispatch time X and travel T
      of P(W <= standard - X - T), i.e. travel and grading time are taken from the standard;
    * expected resource downgrades an hour, sum of rate x probability x P(W > after) over the
      policy's rules, stay within ``max(tolerance, DOWNGRADE_BUDGET_PER_WEEK)`` / 168.
    """
    aims = {1: s.recommendation.g1_aim, 2: s.recommendation.g2_aim}
    classes = [k.grade for k in kinds]
    for kind in kinds:
        if kind.grade not in aims or lams[classes.index(kind.grade)] <= 0:
            continue
        budget = kind.standard - kind.pre_dispatch - kind.travel
        p_late = wait_tail(c, lams, mu, classes.index(kind.grade), budget).mean()
        if 1.0 - p_late < aims[kind.grade]:
            return False
    if s.policy.kind == "resource_led":
        allowed = max(s.recommendation.downgrades_per_week_tolerance, DOWNGRADE_BUDGET_PER_WEEK) / HOURS
        expected = 0.0
        for g, rule in s.policy.resource_led.rules.items():
            i = GRADES.index(g) + 1
            if i in classes:
                k = classes.index(i)
                jobs_per_hour = lams[k] * 60.0 / _units_per_job(kinds[k])
                expected += jobs_per_hour * rule.probability * float(wait_tail(c, lams, mu, k, np.array([rule.after]))[0])
        if expected > allowed:
            return False
    return True


def _units_per_job(kind: JobKind) -> float:
    return float((kind.durations > 0).sum(axis=1).mean())


def fewest_units(s: Scenario, loads: list[float], mu: float, kinds: list[JobKind]) -> int:
    """Smallest c meeting ``response_criterion`` with class loads ``loads`` (Erlangs)."""
    lams = [a * mu for a in loads]
    c = max(1, math.floor(sum(loads)) + 1)
    while c < MAX_UNITS:
        if response_criterion(s, c, lams, mu, kinds):
            return c
        c += 1
    return MAX_UNITS


def handler_criterion(c: int, lam999: float, lam101: float, mu: float) -> bool:
    """999 answered within 10 s and 101 within 180 s, each for 90% of calls, 999 first
    (non-preemptive priority M/M/c with a common handling rate: exact for 999, Cobham's mean
    with an exponential tail for 101), and the queue stable."""
    lams = [lam999, lam101]
    if lam999 + lam101 <= 0:
        return True
    if lam999 + lam101 >= c * mu:
        return False
    for k, (seconds, aim) in enumerate(HANDLER_TARGETS.values()):
        if lams[k] > 0 and 1.0 - float(wait_tail(c, lams, mu, k, np.array([seconds / 60.0]))[0]) < aim:
            return False
    return True


def non_incident_share(s: Scenario, hours: float | None = None) -> float:
    """Share of a shift in briefings, breaks and statements (``hours``: the shift length;
    default: the scenario's mean rostered shift)."""
    if hours is None:
        pool = s.response
        shifts = [*pool.pattern.shift_types.values(), *pool.pattern.overlays.values()] if pool.pattern is not None \
            else list(pool.shifts.values())
        hours = float(np.mean([sh.hours for sh in shifts])) if shifts else 10.0
    blocks = sum(b.minutes for b in s.response.non_incident.values())
    return min(blocks / (hours * 60.0), 0.95)


def available_share(s: Scenario, hours: float | None = None) -> float:
    """Of one rostered unit, the share on duty (abstraction) and not in non-incident time."""
    return (1.0 - mean_share_absent(s.response.abstraction)) * (1.0 - non_incident_share(s, hours))


def requirement(s: Scenario, shift_hours: float | None = None) -> Requirement:
    """Stage 1 for the scenario: lagged loads and the units / handlers each hour needs."""
    kinds = job_kinds(s)
    load = np.zeros((HOURS, 3))
    arrivals = np.zeros((HOURS, 3))
    for kind in kinds:
        m = lagged_load(kind).reshape(HOURS, BINS_PER_HOUR).mean(axis=1)
        load[:, kind.grade - 1] = np.maximum(m, 0.0)
        arrivals[:, kind.grade - 1] = kind.rate.reshape(HOURS, BINS_PER_HOUR).sum(axis=1) * STEP
    unit_minutes = sum(k.unit_minutes * k.rate.sum() for k in kinds)
    unit_jobs = sum(_units_per_job(k) * k.rate.sum() for k in kinds)
    mean_service = unit_minutes / unit_jobs if unit_jobs > 0 else 60.0
    mu = 1.0 / mean_service
    present = [k.grade - 1 for k in kinds]
    effective = np.array([fewest_units(s, [load[h, g] for g in present], mu, kinds) if load[h].sum() > 0 else 0
                          for h in range(HOURS)])
    # SIPP (stationary independent period by period): the hour's own arrivals x their mean
    # unit-minutes, no lag; shown against the lagged answer, since SIPP under-staffs after peaks
    sipp = np.zeros((HOURS, 3))
    for kind in kinds:
        sipp[:, kind.grade - 1] = arrivals[:, kind.grade - 1] * kind.unit_minutes / 60.0
    effective_sipp = np.array([fewest_units(s, [sipp[h, g] for g in present], mu, kinds) if sipp[h].sum() > 0 else 0
                               for h in range(HOURS)])
    share = available_share(s, shift_hours)
    rostered = np.ceil(effective / share - 1e-9).astype(int)
    handler_load, handlers = handler_requirement(s)
    absent = mean_share_absent(s.call_handling.abstraction)
    handlers_rostered = np.ceil(handlers / (1.0 - absent) - 1e-9).astype(int)
    return Requirement(load, arrivals, effective, rostered, share, handler_load, handlers, handlers_rostered,
                       mean_service, np.ceil(effective_sipp / share - 1e-9).astype(int), sipp.sum(axis=1))


def handler_requirement(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Erlangs of handling and handlers needed per hour (``handler_criterion``)."""
    c999, c101 = s.demand.channels.get("999"), s.demand.channels.get("101")
    l999, l101 = hourly_calls(s, "999") / 60.0, hourly_calls(s, "101") / 60.0   # per minute
    h999 = c999.handling.mean if c999 is not None else 0.0
    h101 = c101.handling.mean if c101 is not None else 0.0
    load = l999 * h999 + l101 * h101
    out = np.zeros(HOURS, dtype=int)
    for h in range(HOURS):
        lam = l999[h] + l101[h]
        if lam <= 0:
            continue
        mu = lam / load[h]
        c = max(1, math.floor(load[h]) + 1)
        while not handler_criterion(c, l999[h], l101[h], mu):
            c += 1
        out[h] = c
    return load, out
