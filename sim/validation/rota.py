"""Kind ``rota``: call handling as M(t)/M/c(t), handlers on a rota of back-to-back crews.

The mean wait of the calls arriving in each 2-hour block of the day, and in the first hour after
each hand-over, against the exact transient solution (``theory.rota_mean_waits``) with the
hand-over rule (incoming crew free at once, each off-going handler finishes their own call).
"""
from __future__ import annotations

import numpy as np

from sim.util.lazy import LazyModule
from sim.scenario import Scenario, horizon_minutes
from sim.validation.arrivals import expected_hourly
from sim.validation.conditions import Need
from sim.validation.estimators import Quantity, Window, answer_wait, col, drain_minutes, in_window, mean_of

theory = LazyModule("sim.theory.queueing")   # scipy is loaded when a case is checked, not by `triage-sim --help`


_ROTA_MEMO: dict = {}
ROTA_MIN_WAIT = 0.01  # minutes: blocks whose analytic mean wait is below this are not compared


def _rota_theory(rates, mu, changes, staff, atoms) -> theory.RotaWaits:
    """``theory.rota_mean_waits`` over the atoms, memoised (quantities() is built in every worker)."""
    key = (tuple(rates), mu, tuple(changes), tuple(staff), tuple(atoms))
    if key not in _ROTA_MEMO:
        _ROTA_MEMO[key] = theory.rota_mean_waits(rates, 60.0, mu, changes, staff, [[a] for a in atoms])
    return _ROTA_MEMO[key]


def kind_rota(s: Scenario, need: Need):
    name = need.single_channel()
    ch = s.demand.channels.get(name)
    need.no_abandonment(name)
    need.no_retries(name)
    mu = 1.0 / need.exp_mean(ch.handling, f"demand.channels.{name}.handling")
    horizon = horizon_minutes(s)
    a = s.run.warmup_days * 1440.0
    need(a % 60 == 0 and horizon % 60 == 0, "run", f"warm-up {a} min, horizon {horizon} min", "whole hours")
    n_hours = int(horizon // 60)
    rates = expected_hourly(s, name, n_hours) / 60.0  # calls per minute in each hour
    # crews beyond the horizon only matter to the theory's waits of calls still queued there
    changes, staff = need.rota_crews(horizon + 2 * 1440.0)
    on_duty = staff[np.searchsorted(changes, np.arange(n_hours) * 60.0, side="right")]
    load = rates / (on_duty * mu)
    # atoms: the pieces between hour boundaries, hand-overs and an hour after each, inside
    # [warm-up, horizon); every block below is a union of atoms
    cuts = set(np.arange(a, horizon + 1, 60.0).tolist())
    cuts |= {float(x) for t in changes for x in (t, t + 60.0) if a < x < horizon}
    cuts = sorted(cuts)
    atoms = list(zip(cuts[:-1], cuts[1:]))
    try:
        res = _rota_theory(rates, mu, changes, staff, atoms)
    except ValueError as e:
        need(False, "call_handling.shifts", f"peak load {load.max():.3g}", f"a queue the theory can solve ({e})")
    wait = np.array(res.mean_waits)
    calls = np.array(res.arrivals)
    drain = drain_minutes([float(np.nanmax(wait))], [])
    b = max(x for x in cuts if x <= horizon - min(drain, 0.25 * (horizon - a)))
    w = Window(a, b)
    starts = np.array([u for u, _ in atoms])
    keep = starts < w.b
    tod = starts % 1440.0
    blocks = [(f"{2 * i:02d}:00-{2 * i + 2:02d}:00", (tod >= 120 * i) & (tod < 120 * i + 120), 120.0 * i, 120.0)
              for i in range(12)]
    for t in sorted({float(t % 1440.0) for t in changes if w.a <= t < w.b}):
        label = f"{int(t // 60):02d}:{int(t % 60):02d}"
        blocks.append((f"first hour after the {label} hand-over", (tod - t) % 1440.0 < 60.0, t, 60.0))

    def estimator(lo, length):
        def est(log):
            m = in_window(log, w.a, w.b)
            return mean_of(answer_wait(log)[m & ((col(log, "arrival") - lo) % 1440.0 < length)])
        return est

    q, quiet = [], []
    for label, sel, lo, length in blocks:
        sel = sel & keep & (calls > 0)
        need(bool(sel.any()), "demand", label, "calls in every block of the day")
        analytic = float((wait[sel] * calls[sel]).sum() / calls[sel].sum())
        if analytic < ROTA_MIN_WAIT:
            quiet.append(label)  # almost no call waits: the interval would be degenerate
            continue
        q.append(Quantity(f"mean wait, calls arriving {label}, min", analytic, estimator(lo, length)))
    need(bool(q), "call_handling.shifts", "no block with waits", f"a mean wait of at least {ROTA_MIN_WAIT} min "
         "in some block of the day")
    info = {"servers": "/".join(str(int(c)) for c in dict.fromkeys(staff.tolist())),
            "rho": f"{load.min():.2f}-{load.max():.2f}", "lam_per_min": float(rates.mean()), "window": w,
            "levels": res.levels, "lost_mass": res.lost_mass, "not compared": quiet}
    return q, info
