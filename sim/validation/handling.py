"""Kinds ``mmc``, ``priority`` and ``erlang_a``: call handling as a queue theory solves exactly.

One channel as M/M/c (Erlang C), 999 before 101 as a two-class non-preemptive priority M/M/c
(Cobham), and callers with exponential patience as M/M/c+M (Erlang A): the quantities each is
compared on, with analytic values from the scenario's own parameters.
"""
from __future__ import annotations

import numpy as np

from sim.util.lazy import LazyModule
from sim.model.log import ABANDONED
from sim.scenario import Scenario
from sim.validation.conditions import Need
from sim.validation.estimators import (Quantity, answer_wait, col, drain_minutes, handler_queue_quantities,
                                       handler_utilisation, in_window, mean_of, measured_window)

theory = LazyModule("sim.theory.queueing")   # scipy is loaded when a case is checked, not by `triage-sim --help`


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def kind_mmc(s: Scenario, need: Need):
    names = need.active_channels()
    need(len(names) == 1, "demand.channels", names, "exactly one channel with calls (use kind 'priority' for two)")
    name = names[0]
    need.no_abandonment(name)
    ch = s.demand.channels.get(name)
    lam = need.stationary_rate(name)
    mu = 1.0 / need.exp_mean(ch.handling, f"demand.channels.{name}.handling")
    c = need.handlers()
    need(lam < c * mu, "call_handling.shifts", f"rho = {lam / (c * mu):.4g}", "a stable queue (rho < 1)")
    wq = theory.erlang_c_mean_wait(c, lam, mu)
    t = 1.0 / (c * mu - lam)
    w = measured_window(s, drain_minutes([wq], [c * mu - lam]))
    pwait, mean_wait, qlen = handler_queue_quantities(w)

    def sl(log):
        m = in_window(log, w.a, w.b)
        return mean_of(answer_wait(log)[m] <= t)

    q = [
        Quantity("P(wait > 0) [Erlang C]", theory.erlang_c_wait_probability(c, lam, mu), pwait),
        Quantity("mean wait to answer, min", wq, mean_wait),
        Quantity(f"P(wait <= {_fmt(t)} min)", theory.erlang_c_service_level(c, lam, mu, t), sl),
        Quantity("mean queue length (time average)", theory.littles_law_L(lam, wq), qlen),
        Quantity("handler utilisation", lam / (c * mu), handler_utilisation(w, c)),
    ]
    return q, {"servers": c, "rho": lam / (c * mu), "lam_per_min": lam, "window": w}


def kind_priority(s: Scenario, need: Need):
    names = need.active_channels()
    need(names == ["999", "101"], "demand.channels", names, "calls on both 999 and 101 (999 answered first)")
    lams, means = [], set()
    for name in names:
        need.no_abandonment(name)
        lams.append(need.stationary_rate(name))
        means.add(need.exp_mean(s.demand.channels.get(name).handling, f"demand.channels.{name}.handling"))
    need(len(means) == 1, "demand.channels.101.handling", sorted(means), "the same handling mean on 999 and 101")
    mu = 1.0 / means.pop()
    c = need.handlers()
    lam = sum(lams)
    need(lam < c * mu, "call_handling.shifts", f"rho = {lam / (c * mu):.4g}", "a stable queue (rho < 1)")
    waits = theory.priority_mmc_mean_waits(c, lams, mu)
    w = measured_window(s, drain_minutes(waits, [c * mu - lam]))
    q = []
    for code, (name, wk) in enumerate(zip(names, waits)):
        _, mean_wait, qlen = handler_queue_quantities(w, code)
        q.append(Quantity(f"{name} mean wait to answer, min [Cobham]", wk, mean_wait))
        q.append(Quantity(f"{name} mean queue length (time average)", theory.littles_law_L(lams[code], wk), qlen))
    pwait, mean_wait, _ = handler_queue_quantities(w)
    q.append(Quantity("all calls P(wait > 0) [Erlang C]", theory.erlang_c_wait_probability(c, lam, mu), pwait))
    q.append(Quantity("all calls mean wait, min [conservation]", theory.erlang_c_mean_wait(c, lam, mu), mean_wait))
    q.append(Quantity("handler utilisation", lam / (c * mu), handler_utilisation(w, c)))
    return q, {"servers": c, "rho": lam / (c * mu), "lam_per_min": lam, "window": w}


def kind_erlang_a(s: Scenario, need: Need):
    name = need.single_channel()
    ch = s.demand.channels.get(name)
    p = f"demand.channels.{name}"
    need(ch.patience is not None, f"{p}.patience", None, "exponential patience")
    theta = 1.0 / need.exp_mean(ch.patience, f"{p}.patience")
    need.no_retries(name)
    lam = need.stationary_rate(name)
    mu = 1.0 / need.exp_mean(ch.handling, f"{p}.handling")
    c = need.handlers()
    ea = theory.erlang_a(c, lam, mu, theta)
    w = measured_window(s, drain_minutes([ea.mean_wait], [theta]))
    pwait, mean_wait, qlen = handler_queue_quantities(w)

    def p_abandon(log):
        m = in_window(log, w.a, w.b)
        return mean_of(col(log, "outcome")[m] == ABANDONED)

    def wait_served(log):
        m = in_window(log, w.a, w.b) & ~np.isnan(col(log, "answered"))
        return mean_of((col(log, "answered") - col(log, "arrival"))[m])

    q = [
        Quantity("P(wait > 0)", ea.p_wait, pwait),
        Quantity("P(abandon)", ea.p_abandon, p_abandon),
        Quantity("mean wait, all callers, min", ea.mean_wait, mean_wait),
        Quantity("mean wait, callers answered, min", ea.mean_wait_served, wait_served),
        Quantity("mean queue length (time average)", ea.mean_queue_length, qlen),
        Quantity("handler utilisation", lam * (1 - ea.p_abandon) / (c * mu), handler_utilisation(w, c)),
    ]
    return q, {"servers": c, "rho": lam / (c * mu), "lam_per_min": lam, "window": w}
