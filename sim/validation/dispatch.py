"""Kinds ``dispatch`` and ``little``: the pending list as a queue theory solves exactly.

Units as the servers of a non-preemptive priority M/M/c (grades G1..G3 the classes, on-scene
time the service, zero travel), and Little's law on the tandem of handlers and pending list
(Burke: M/M/c handlers that grade at the end of handling pass on a Poisson stream).
"""
from __future__ import annotations

from sim.util.lazy import LazyModule
from sim.model.log import ACTIVITIES
from sim.scenario import Scenario
from sim.validation.conditions import Need
from sim.validation.estimators import (Quantity, Window, answer_wait, col, dispatch_wait, drain_minutes,
                                       handler_queue_quantities, in_window, mean_of, measured_window, span)

theory = LazyModule("sim.theory.queueing")   # scipy is loaded when a case is checked, not by `triage-sim --help`


def _dispatch_setup(s: Scenario, need: Need):
    need.plain_response()
    need.poisson_to_dispatch()
    need.plain_pool(s.response, "response")
    c = need.constant_servers(s.response.shifts, "response.shifts")
    mu = 1.0 / need.on_scene_mean()
    lams = [need.grade_rate(g) for g in (1, 2, 3)]
    lam = sum(lams)
    need(lam > 0, "demand.channels", "no G1-G3 incidents", "incidents to dispatch")
    need(lam < c * mu, "response.shifts", f"rho = {lam / (c * mu):.4g}", "a stable queue (rho < 1)")
    return c, mu, lams, lam


def _unit_utilisation(w: Window, c: int):
    code = ACTIVITIES.index("incident")

    def est(log):
        a = log.activities
        a = a[a["activity"] == code]
        return span(a["start"].to_numpy(), a["end"].to_numpy(), w.a, w.b) / (c * w.length)
    return est


def _pending_length(w: Window, grade: int | None = None):
    def est(log):
        p = log.pending
        if grade is not None:
            p = p[p["grade"] == grade]
        return span(p["start"].to_numpy(), p["end"].to_numpy(), w.a, w.b) / w.length
    return est


def _grade_waits(w: Window, grade: int | None):
    def est(log):
        m = in_window(log, w.a, w.b, time="graded")
        g = col(log, "initial_grade")
        m &= (g >= 1) & (g <= 3) if grade is None else g == grade
        return dispatch_wait(log)[m]
    return est


def kind_dispatch(s: Scenario, need: Need):
    c, mu, lams, lam = _dispatch_setup(s, need)
    waits = theory.priority_mmc_mean_waits(c, lams, mu)
    w = measured_window(s, drain_minutes([x for x, l in zip(waits, lams) if l > 0], [c * mu - lam]))
    q = []
    for g, (lk, wk) in enumerate(zip(lams, waits), start=1):
        if lk > 0:
            ws = _grade_waits(w, g)
            q.append(Quantity(f"G{g} mean wait for a unit, min [Cobham]", wk, lambda log, ws=ws: mean_of(ws(log))))
    allw = _grade_waits(w, None)
    q.append(Quantity("P(wait for a unit > 0) [Erlang C]", theory.erlang_c_wait_probability(c, lam, mu),
                      lambda log: mean_of(allw(log) > 0)))
    q.append(Quantity("mean pending-list length (time average)",
                      sum(theory.littles_law_L(lk, wk) for lk, wk in zip(lams, waits)), _pending_length(w)))
    q.append(Quantity("unit utilisation", lam / (c * mu), _unit_utilisation(w, c)))
    return q, {"servers": c, "rho": lam / (c * mu), "lam_per_min": lam, "window": w,
               "grades": sum(1 for x in lams if x > 0)}


def kind_little(s: Scenario, need: Need):
    # the handler queue: M/M/c, one channel, no abandonment
    name = need.single_channel()
    ch = s.demand.channels.get(name)
    need.no_abandonment(name)
    lam_h = need.stationary_rate(name)
    mu_h = 1.0 / need.exp_mean(ch.handling, f"demand.channels.{name}.handling")
    c_h = need.handlers()
    need(lam_h < c_h * mu_h, "call_handling.shifts", f"rho = {lam_h / (c_h * mu_h):.4g}", "a stable handler queue")
    wq_h = theory.erlang_c_mean_wait(c_h, lam_h, mu_h)
    # the pending list: priority M/M/c fed by the handlers' output
    c, mu, lams, lam = _dispatch_setup(s, need)
    waits = theory.priority_mmc_mean_waits(c, lams, mu)
    wq_d = sum(lk * wk for lk, wk in zip(lams, waits)) / lam
    w = measured_window(s, drain_minutes([wq_h] + [x for x, l in zip(waits, lams) if l > 0], [c_h * mu_h - lam_h, c * mu - lam]))

    def handler_sum(log):
        m = in_window(log, w.a, w.b)
        return float(answer_wait(log)[m].sum()) / w.length

    _, _, handler_l = handler_queue_quantities(w)
    waits_all = _grade_waits(w, None)
    pend_l = _pending_length(w)
    L_h, L_d = theory.littles_law_L(lam_h, wq_h), theory.littles_law_L(lam, wq_d)
    q = [
        Quantity("handler queue: L, time average", L_h, handler_l),
        Quantity("handler queue: lambda x W, from each call's wait", L_h, handler_sum),
        Quantity("handler queue: L - lambda x W", 0.0, lambda log: handler_l(log) - handler_sum(log), scale=L_h),
        Quantity("pending list: L, time average of the pending log", L_d, pend_l),
        Quantity("pending list: lambda x W, from each incident's wait", L_d,
                 lambda log: float(waits_all(log).sum()) / w.length),
        Quantity("pending list: L - lambda x W", 0.0,
                 lambda log: pend_l(log) - float(waits_all(log).sum()) / w.length, scale=L_d),
    ]
    return q, {"servers": f"{c_h} handlers, {c} units", "rho": f"{lam_h / (c_h * mu_h):.3g} / {lam / (c * mu):.3g}",
               "lam_per_min": lam_h, "window": w}
