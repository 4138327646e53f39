"""Back-test: replay the observed calls (a trace) through a scenario's response model and compare,
per grade and per the force's own priority code, call -> first dispatch and call -> first on scene.

The trace fixes arrivals, grades and the observed durations (handling, travel, on scene), so what
differs between observed and simulated is the response model itself: units, rota, dispatch rule.
Each replication re-draws only what the trace does not hold (and the rota's absences).
Compared: p50 and p90 (observed, with a distribution-free 95% interval from order statistics;
simulated, mean over replications with a Student-t 95% interval, and the 95% prediction interval
of one more replication, which the observed period, itself one realisation, should fall in), and
the KS distance between the
observed values and the simulated ones pooled over replications. The first
``comparison_warmup_hours`` of the trace are not compared: the model starts with every unit free.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.scenario import GRADES, Scenario, validate
from sim.scenario.trace import read_trace, trace_minutes, trace_order
from sim.util.executors import map_ordered
from sim.util.stats import prediction_half_width, t_half_width

MEASURES = {"dispatch": ("dispatch_min", "first_dispatch", "call -> first dispatch"),
            "scene": ("scene_min", "first_on_scene", "call -> first on scene")}


def replay_scenario(s: Scenario, trace_path: str) -> Scenario:
    """``s`` with its demand replaced by the trace and its run covering the trace (no warm-up:
    the back-test leaves out its own first hours instead)."""
    trace = read_trace(trace_path)
    first = trace.arrival.min().astype("datetime64[D]").astype(dt.date)
    last = trace.arrival.max()
    start = first - dt.timedelta(days=first.weekday())
    days = math.ceil(float((last - np.datetime64(start, "ms")) / np.timedelta64(1, "D"))) + 2
    data = s.to_dict()
    data["demand"]["trace"] = str(trace_path)
    data["run"].update(start_date=start, warmup_days=0.0, days=float(days))
    return validate(data, source=f"{s.meta.name} (replaying {trace_path})")


@dataclass
class Replay:
    """Observed and simulated times per trace row in the run (NaN: not observed / not reached)."""
    observed: dict          # measure -> array (rows in caller order)
    simulated: dict         # measure -> array (reps x rows)
    grade: np.ndarray       # grade names
    priority: np.ndarray
    compared: np.ndarray    # bool: after the comparison warm-up
    arrival: np.ndarray     # minutes from the run's start
    preemptions: np.ndarray | None = None   # per replication: units taken from other work for G1s


def _one(args):
    from sim.model.core import run_model

    s, seed, rep, n = args
    log = run_model(s, seed, rep)
    calls = log.calls
    first = calls[calls["retry_of"] < 0]
    out = {}
    for m, (_, col, _) in MEASURES.items():
        v = np.full(n, np.nan)
        k = first["caller"].to_numpy()
        v[k] = first[col].to_numpy() - first["arrival"].to_numpy()
        out[m] = v
    out["preemptions"] = len(log.preemptions)
    return out


def replay(s: Scenario, reps: int, seed: int, warmup_hours: float, jobs: int = 1) -> Replay:
    """Run ``reps`` replications of a trace scenario (``replay_scenario``); rows in caller order."""
    trace = read_trace(s.demand.trace)
    order = trace_order(s, trace)
    n = order.size
    tasks = [(s, seed, r, n) for r in range(reps)]
    results = map_ordered(_one, tasks, max(jobs, 1))
    t = trace_minutes(trace, s.run.start_date)[order]
    return Replay(
        observed={m: trace.cols[c][order] for m, (c, _, _) in MEASURES.items()},
        simulated={m: np.vstack([r[m] for r in results]) for m in MEASURES},
        grade=np.asarray(GRADES)[trace.grade[order] - 1], priority=trace.priority[order],
        compared=t >= t.min() + warmup_hours * 60.0, arrival=t,
        preemptions=np.asarray([r["preemptions"] for r in results]))


def _order_ci(x: np.ndarray, q: float) -> tuple[float, float]:
    """Distribution-free 95% interval for the q-quantile: order statistics by the binomial."""
    from scipy import stats

    n = x.size
    if n < 2:
        return math.nan, math.nan
    xs = np.sort(x)
    lo = int(stats.binom.ppf(0.025, n, q))
    hi = int(stats.binom.ppf(0.975, n, q))
    return float(xs[max(lo - 1, 0)]), float(xs[min(hi, n - 1)])


def _t_ci(v: np.ndarray) -> tuple[float, float, float, float, float]:
    """Mean over replications, its 95% confidence interval, and the 95% prediction interval for
    one more replication (the observed period is one realisation: it should lie inside that)."""
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (math.nan,) * 5
    m = float(v.mean())
    if v.size < 2:
        return m, math.nan, math.nan, math.nan, math.nan
    sd = float(v.std(ddof=1))
    h, p = t_half_width(sd, v.size), prediction_half_width(sd, v.size)
    return m, m - h, m + h, max(m - p, 0.0), m + p


def compare(rp: Replay) -> "object":
    """backtest.csv: one row per measure x group (each grade, each priority code, all)."""
    import pandas as pd
    from scipy import stats

    rows = []
    groups = [("all", "all", np.ones(rp.grade.size, bool))]
    groups += [("grade", g, rp.grade == g) for g in GRADES if (rp.grade == g).any()]
    groups += [("priority", p, rp.priority == p) for p in sorted(set(rp.priority), key=_code_key)]
    for m, (_, _, label) in MEASURES.items():
        for kind, name, mask in groups:
            sel = mask & rp.compared & ~np.isnan(rp.observed[m])
            obs = rp.observed[m][sel]
            sim = rp.simulated[m][:, sel]
            if obs.size == 0:
                continue
            row = {"measure": m, "what": label, "group": kind, "value": name, "n_observed": int(obs.size),
                   "reps": int(sim.shape[0]), "sim_not_reached": float(np.isnan(sim).mean())}
            for q, qn in ((0.5, "p50"), (0.9, "p90")):
                row[f"obs_{qn}"] = float(np.quantile(obs, q))
                row[f"obs_{qn}_lo"], row[f"obs_{qn}_hi"] = _order_ci(obs, q)
                per_rep = np.array([np.nanquantile(r, q) if np.isfinite(r).any() else np.nan for r in sim])
                (row[f"sim_{qn}"], row[f"sim_{qn}_lo"], row[f"sim_{qn}_hi"], row[f"sim_{qn}_pi_lo"],
                 row[f"sim_{qn}_pi_hi"]) = _t_ci(per_rep)
                row[f"ratio_{qn}"] = row[f"sim_{qn}"] / row[f"obs_{qn}"] if row[f"obs_{qn}"] > 0 else math.nan
                row[f"obs_{qn}_in_pi"] = bool(row[f"sim_{qn}_pi_lo"] <= row[f"obs_{qn}"] <= row[f"sim_{qn}_pi_hi"])
            pooled = sim[np.isfinite(sim)]
            row["ks_distance"] = float(stats.ks_2samp(obs, pooled).statistic) if pooled.size else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _code_key(p: str):
    return (0, float(p)) if p.replace(".", "", 1).isdigit() else (1, p)
