"""Kind ``deterministic``: ample handlers and units, fixed times, every call checked exactly.

With nobody ever waiting, each call-to-scene time is answer (0) + handling up to grading +
dispatch (0) + travel: the model's bookkeeping checked call by call, not on average.
"""
from __future__ import annotations

import numpy as np

from sim.scenario import CHANNELS, GRADES, Scenario
from sim.validation.conditions import Need
from sim.validation.estimators import Quantity, answer_wait, col, dispatch_wait, in_window, measured_window


def kind_deterministic(s: Scenario, need: Need):
    names = need.active_channels()
    need(bool(names), "demand.channels", names, "at least one channel with calls")
    r = s.response
    need(s.policy.kind == "none", "policy.kind", s.policy.kind, 'policy.kind = "none"')
    need(not s.appointments.booking or need.grade_rate(3) == 0, "appointments.booking", True, "appointments.booking = false")
    blue = {GRADES.index(g) + 1 for g in r.blue_light_grades}
    areas = list(r.areas)
    extra = 0.0
    graded = {}
    for name in names:
        ch = s.demand.channels.get(name)
        p = f"demand.channels.{name}"
        need.no_abandonment(name)
        graded[name] = ch.graded_at * need.fixed_value(ch.handling, f"{p}.handling")
        extra = max(extra, graded[name])
    travel = {}
    for i, (a, area) in enumerate(r.areas.items()):
        for g in (1, 2, 3):
            kind = "blue_light" if g in blue else "normal"
            travel[(i, g)] = need.fixed_value(getattr(area, kind), f"response.areas.{a}.{kind}")
            extra = max(extra, travel[(i, g)])
    w = measured_window(s, 120.0 + extra)
    m = s.thrive.matrix()
    q = []

    def worst(values: np.ndarray, target: float) -> float:
        if values.size == 0:
            return target
        return float(values[np.argmax(np.abs(values - target))])

    def answer_delay(log):
        return worst(answer_wait(log)[in_window(log, w.a, w.b)], 0.0)

    def dispatch_delay(log):
        g = col(log, "initial_grade")
        sel = in_window(log, w.a, w.b) & (g >= 1) & (g <= 3)
        return worst(dispatch_wait(log)[sel], 0.0)

    def unattended(log):
        g = col(log, "initial_grade")
        sel = in_window(log, w.a, w.b) & (g >= 1) & (g <= 3)
        return float(np.isnan(col(log, "first_on_scene")[sel]).sum())

    q.append(Quantity("max wait to answer, min", 0.0, answer_delay, exact=True, scale=1.0))
    q.append(Quantity("max wait for a unit, min", 0.0, dispatch_delay, exact=True, scale=1.0))
    q.append(Quantity("incidents with no unit on scene", 0.0, unattended, exact=True, scale=1.0))
    for name in names:
        code = CHANNELS.index(name)
        ch = s.demand.channels.get(name)
        for g in (1, 2, 3):
            if sum(ch.risk.get(t, 0.0) * m[i, g - 1] for i, t in enumerate(GRADES)) == 0:
                continue
            for i, a in enumerate(areas):
                if r.areas[a].share == 0:
                    continue
                target = graded[name] + travel[(i, g)]

                def est(log, code=code, g=g, i=i, target=target):
                    sel = (in_window(log, w.a, w.b, code) & (col(log, "initial_grade") == g)
                           & (col(log, "area") == i))
                    return worst((col(log, "first_on_scene") - col(log, "arrival"))[sel], target)

                q.append(Quantity(f"{name} G{g} {a}: call-to-scene = answer + handling + dispatch + travel, min",
                                  target, est, exact=True))
    return q, {"servers": "ample", "rho": "-", "lam_per_min": sum(need.stationary_rate(n) for n in names), "window": w}
