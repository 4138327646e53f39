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

The observed period is one realisation, and its calls are not independent: the observed p50/p90
also get a weekly block-bootstrap band (``obs_p50_band_lo``..., ``sim.data.load``). ``by_load``
bins the same replayed calls by the load the force had when each came in (incidents open, from
the observed trace) and compares observed and simulated within each bin; ``sim.data.verdict``
holds the tolerances and the pass/fail.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.data.load import (BOOT_REPS, BOOT_SEED, QUANTILES, block_draws, bootstrap_band, load_bins,
                           open_incidents, week_blocks)
from sim.scenario import GRADES, Scenario, ScenarioError, validate
from sim.scenario.base import _NO_VALUE
from sim.scenario.trace import read_trace, trace_minutes, trace_order
from sim.util.executors import map_ordered
from sim.util.stats import prediction_half_width, t_half_width

MAX_TRACE_DAYS = 3660     # as run.days: ten years; a replay longer than that is a dating error

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
    if days > MAX_TRACE_DAYS:
        raise ScenarioError(trace_path, "arrival", f"{first} .. {str(last)[:10]}",
                            f"calls within {MAX_TRACE_DAYS:,} days of each other (this trace would be replayed over "
                            f"{days:,} days): a row dated far from the rest is usually a typo; cut the period with the "
                            "map's filter.start/end or --start/--end")
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
    load: np.ndarray | None = None   # observed incidents open at the call's arrival (sim.data.load)
    load_rule: str = ""              # how each incident's close was taken for the load
    preemptions: dict | None = None   # "G1"/"G2" -> per replication: units taken from other work for them
    rank: np.ndarray | None = None   # trace column rank (order within the grade), if the trace has it


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
    taker = log.preemptions["for_grade"].to_numpy()
    out["preemptions"] = {g: int((taker == i).sum()) for i, g in enumerate(GRADES[:2], start=1)}
    return out


def replay(s: Scenario, reps: int, seed: int, warmup_hours: float, jobs: int = 1, source=None) -> Replay:
    """Run ``reps`` replications of a trace scenario (``replay_scenario``); rows in caller order.
    ``source``: the file a refusal names (the extract the trace came from; default the trace)."""
    trace = read_trace(s.demand.trace)
    order = trace_order(s, trace)
    n = order.size
    every = trace_minutes(trace, s.run.start_date)
    t = every[order]
    c = trace.cols
    check_comparable(c["dispatch_min"][order], t, warmup_hours, source or s.demand.trace)
    tasks = [(s, seed, r, n) for r in range(reps)]
    results = map_ordered(_one, tasks, max(jobs, 1))
    load, rule = open_incidents(every, c["dispatch_min"], c["scene_min"], c["on_scene_min"])
    return Replay(
        observed={m: trace.cols[c][order] for m, (c, _, _) in MEASURES.items()},
        simulated={m: np.vstack([r[m] for r in results]) for m in MEASURES},
        grade=np.asarray(GRADES)[trace.grade[order] - 1], priority=trace.priority[order],
        compared=t >= t.min() + warmup_hours * 60.0, arrival=t, load=load[order], load_rule=rule,
        preemptions={g: np.asarray([r["preemptions"][g] for r in results]) for g in GRADES[:2]},
        rank=np.nan_to_num(c["rank"][order]).astype(int) if "rank" in c else None)


def check_comparable(dispatch: np.ndarray, t: np.ndarray, warmup_hours: float, path) -> None:
    """Refuse, before any replication runs, a replay with nothing to compare: the verdict is per
    police priority on call -> first dispatch, so at least one call after the first
    ``warmup_hours`` needs an observed dispatch time (``dispatch_min``). A one-row trace, a
    warm-up longer than the trace or a trace without dispatch times otherwise ran every
    replication and then failed on an empty table (KeyError)."""
    if t.size and (~np.isnan(dispatch) & (t >= t.min() + warmup_hours * 60.0)).any():
        return
    span = float(t.max() - t.min()) / 60.0 if t.size else 0.0
    timed = int((~np.isnan(dispatch)).sum())
    raise ScenarioError(path, "", _NO_VALUE,
                        f"nothing to compare: expected at least one call with an observed dispatch time (dispatch_min) "
                        f"after the first {warmup_hours:g} hours, which are not compared (--warmup-hours, or the map's "
                        f"fit.comparison_warmup_hours); the trace has {t.size:,} call(s) over {span:,.1f} hours, "
                        f"{timed:,} with a dispatch time")


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


def compare(rp: Replay, boot_reps: int = BOOT_REPS, boot_seed: int = BOOT_SEED) -> "object":
    """backtest.csv: one row per measure x group (each grade, each priority code, all); ``grades``
    names the grades a group's rows map to; ``obs_p50_band_lo``... the weekly block-bootstrap band
    of the observed quantile (``boot_reps`` resamples, ``boot_seed``)."""
    import pandas as pd
    from scipy import stats

    rows = []
    blocks = week_blocks(rp.arrival, rp.compared)
    draws = block_draws(int(blocks.max()) + 1 if (blocks >= 0).any() else 0, boot_reps, boot_seed)
    for m, (_, _, label) in MEASURES.items():
        for kind, name, mask in _groups(rp):
            sel = mask & rp.compared & ~np.isnan(rp.observed[m])
            obs = rp.observed[m][sel]
            sim = rp.simulated[m][:, sel]
            if obs.size == 0:
                continue
            row = {"measure": m, "what": label, "group": kind, "value": name, "n_observed": int(obs.size),
                   "reps": int(sim.shape[0]), "sim_not_reached": float(np.isnan(sim).mean()),
                   "grades": "+".join(sorted(set(rp.grade[sel])))}
            band = bootstrap_band(np.where(sel, rp.observed[m], np.nan), blocks, draws)
            for j, (q, qn) in enumerate(zip(QUANTILES, ("p50", "p90"))):
                row[f"obs_{qn}"] = float(np.quantile(obs, q))
                row[f"obs_{qn}_lo"], row[f"obs_{qn}_hi"] = _order_ci(obs, q)
                row[f"obs_{qn}_band_lo"], row[f"obs_{qn}_band_hi"] = (float(x) for x in band[j])
                per_rep = np.array([np.nanquantile(r, q) if np.isfinite(r).any() else np.nan for r in sim])
                (row[f"sim_{qn}"], row[f"sim_{qn}_lo"], row[f"sim_{qn}_hi"], row[f"sim_{qn}_pi_lo"],
                 row[f"sim_{qn}_pi_hi"]) = _t_ci(per_rep)
                row[f"ratio_{qn}"] = row[f"sim_{qn}"] / row[f"obs_{qn}"] if row[f"obs_{qn}"] > 0 else math.nan
                row[f"obs_{qn}_in_pi"] = bool(row[f"sim_{qn}_pi_lo"] <= row[f"obs_{qn}"] <= row[f"sim_{qn}_pi_hi"])
            pooled = sim[np.isfinite(sim)]
            row["ks_distance"] = float(stats.ks_2samp(obs, pooled).statistic) if pooled.size else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _groups(rp: Replay) -> list[tuple[str, str, np.ndarray]]:
    """(kind, name, mask): all calls, each grade present, each priority code."""
    groups = [("all", "all", np.ones(rp.grade.size, bool))]
    groups += [("grade", g, rp.grade == g) for g in GRADES if (rp.grade == g).any()]
    groups += [("priority", p, rp.priority == p) for p in sorted(set(rp.priority), key=_code_key)]
    return groups


def by_load(rp: Replay, measures=("dispatch",), k: int = 5, boot_reps: int = BOOT_REPS,
            boot_seed: int = BOOT_SEED) -> "object":
    """by_load.csv: per measure, per police priority and 'all', per load bin (``load_bins``:
    quintiles of the observed load over the compared calls, the same bins for every priority): n,
    observed p50/p90 with their weekly block-bootstrap band, simulated p50/p90 (mean over
    replications of each replication's quantile, with its 95% confidence interval) and simulated
    / observed. Observed and simulated come from the same replayed calls in each cell."""
    import pandas as pd

    if rp.load is None:
        raise ValueError("this replay has no load (Replay.load): make it with sim.data.backtest.replay")
    bins, labels, ranges = load_bins(rp.load, rp.compared, k)
    blocks = week_blocks(rp.arrival, rp.compared)
    draws = block_draws(int(blocks.max()) + 1 if (blocks >= 0).any() else 0, boot_reps, boot_seed)
    rows = []
    for m in measures:
        for kind, name, mask in _groups(rp):
            if kind == "grade":
                continue
            for i, (lab, (lo, hi)) in enumerate(zip(labels, ranges)):
                sel = mask & (bins == i) & ~np.isnan(rp.observed[m])
                obs = rp.observed[m][sel]
                sim = rp.simulated[m][:, sel]
                row = {"measure": m, "what": MEASURES[m][2], "priority": name,
                       "grades": "+".join(sorted(set(rp.grade[mask & rp.compared]))), "bin": i, "load_bin": lab,
                       "load_lo": lo, "load_hi": hi, "n": int(obs.size)}
                band = bootstrap_band(np.where(sel, rp.observed[m], np.nan), blocks, draws)
                for j, (q, qn) in enumerate(zip(QUANTILES, ("p50", "p90"))):
                    obs_q = float(np.quantile(obs, q)) if obs.size else math.nan
                    per_rep = np.array([np.nanquantile(r, q) if np.isfinite(r).any() else np.nan for r in sim])
                    sim_q, sim_lo, sim_hi, _, _ = _t_ci(per_rep)
                    row.update({f"obs_{qn}": obs_q, f"obs_{qn}_band_lo": float(band[j, 0]),
                                f"obs_{qn}_band_hi": float(band[j, 1]), f"sim_{qn}": sim_q, f"sim_{qn}_lo": sim_lo,
                                f"sim_{qn}_hi": sim_hi, f"ratio_{qn}": sim_q / obs_q if obs_q > 0 else math.nan})
                rows.append(row)
    return pd.DataFrame(rows)


def fitted_period(s: Scenario) -> tuple[dt.date, dt.date] | None:
    """The days a fitted scenario was fitted on (first, last inclusive), read from its description
    ('fitted from X (n=..., 2025-10-05..2025-12-27)', as ``triage-sim fit`` writes it); None if it
    does not say."""
    import re

    found = re.search(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", s.meta.description or "")
    if not found:
        return None
    try:
        return dt.date.fromisoformat(found.group(1)), dt.date.fromisoformat(found.group(2))
    except ValueError:
        return None


def period_summary(rp: Replay, start_date, window: tuple, fit: tuple | None, description: str = "") -> dict:
    """The period a back-test compared, for its manifest and report: the window of calls replayed
    (``window``: first day, day after the last, either None), the first compared and the last call,
    the period the scenario was fitted on (``fit``: first, last day, or None) and how they relate,
    with a sentence saying so."""
    t0 = np.datetime64(start_date, "m")
    cmp_ = rp.arrival[rp.compared]
    first = (t0 + np.timedelta64(int(cmp_.min()), "m")).astype("datetime64[D]").astype(dt.date) if cmp_.size else None
    last = (t0 + np.timedelta64(int(rp.arrival.max()), "m")).astype("datetime64[D]").astype(dt.date) if rp.arrival.size else None
    lo = window[0] or first
    hi = (window[1] - dt.timedelta(days=1)) if window[1] else last
    out = {"window_start": str(window[0]) if window[0] else None,
           "window_end_exclusive": str(window[1]) if window[1] else None,
           "first_compared_day": str(first), "last_day": str(last), "compared_calls": int(rp.compared.sum()),
           "scenario_description": description, "fit_period": None, "differs_from_fit": None,
           "days_in_fit_period": None}
    text = f"Period compared: calls from {first} to {last} ({out['compared_calls']:,} calls after the warm-up"
    text += f"; window {lo}..{hi})." if window[0] or window[1] else ")."
    if fit is None:
        text += (" The scenario does not say which period it was fitted on" +
                 (f" (its description: {description!r})." if description else "."))
        out["sentence"] = text
        return out
    f0, f1 = fit
    overlap = max(0, (min(hi, f1) - max(lo, f0)).days + 1) if lo and hi else None
    span = (hi - lo).days + 1 if lo and hi else None
    out.update(fit_period=f"{f0}..{f1}", differs_from_fit=bool((lo, hi) != (f0, f1)), days_in_fit_period=overlap)
    if (lo, hi) == (f0, f1):
        text += f" The scenario was fitted on the same period ({f0}..{f1}): an in-sample check."
    elif overlap == span:
        text += (f" It lies within the period the scenario was fitted on ({f0}..{f1}): in sample, not an "
                 "out-of-sample check.")
    elif overlap == 0:
        text += f" This differs from the period the scenario was fitted on ({f0}..{f1}): out of sample, no day shared."
    else:
        text += (f" This differs from the period the scenario was fitted on ({f0}..{f1}): {overlap} of its {span} days "
                 f"are in the fit's period (in sample), {span - overlap} out of sample.")
    out["sentence"] = text
    return out


def _code_key(p: str):
    return (0, float(p)) if p.replace(".", "", 1).isdigit() else (1, p)
