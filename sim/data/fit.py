"""Fit a scenario's demand and response times from the demand rows of a CAD extract.

What is fitted, and how (each number goes into the scenario with a ``[D: fitted ...]`` comment):
- calls per day per channel: demand rows / days in the fit window;
- hour-of-week profile per channel: calls in each of the 168 hours of the week / times that hour
  occurs in the window, smoothed on the circular week with the map's kernel (default ¼, ½, ¼:
  each hour with its neighbours), then scaled to mean 1 (the model's convention);
- month multipliers: each calendar month's calls per day / the window's (months with at least
  7 days in the window; others 1);
- grade mix per channel: shares of the mapped grades (no misgrading: the extract holds one grade);
- call handling per channel (created -> ready for dispatch), travel per grade (first dispatch ->
  first on scene) and on-scene time per grade (first on scene -> clear): lognormal by maximum
  likelihood (log-mean and log-sd of the values), kept when its Kolmogorov-Smirnov distance to the
  data is at most the map's ``lognormal_max_ks``, else the empirical distribution (quantiles);
- units per incident per grade, when the map names a units column;
- the arrival assumption: per hour-of-week block, the conditional-uniform transform of Kim &
  Whitt (2014): given the count in each one-hour interval, a Poisson process with a constant rate
  in it places its arrivals independently and uniformly, so the arrivals' positions within their
  hour, pooled over the weeks, should be U(0, 1); a KS test per block says where that holds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.scenario import CHANNELS, GRADES, ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.data.extract import Records

Z90 = 1.2815515655446004
MIN_DEMAND_ROWS = 50   # a fit needs this many demand rows...
MIN_DAYS = 7           # ...over at least a week (the hour-of-week profile, the month multipliers)
MIN_FIT_ROWS = 10      # a duration fitted from fewer rows is not fitted: the base's is kept
MIN_FIT = 1.0 / 60.0   # a duration recorded as 0 (same second) is taken as one second for the log


@dataclass
class DurationFit:
    """One duration's fit: the table written into the scenario, and how well it fits."""
    what: str
    n: int
    family: str            # "lognormal" or "empirical"
    table: dict
    ks: float              # KS distance of the lognormal MLE to the data
    median: float
    p90: float
    values: np.ndarray = field(repr=False, default=None)


@dataclass
class FitResult:
    start: "np.datetime64"
    end: "np.datetime64"       # exclusive
    days: float
    n: int
    channels: dict             # name -> {n, calls_per_day, hour_of_week (168), observed (168), risk, handling}
    month: list[float]
    month_days: dict           # month index (0-11) -> days in the window
    grade_counts: dict         # channel -> grade -> n
    priority_counts: dict      # priority -> n
    priority_profiles: dict    # priority -> 168 observed rates per hour
    travel: dict               # "blue_light" / "normal" -> DurationFit
    travel_grades: dict        # "blue_light" / "normal" -> grades pooled
    on_scene: dict             # grade -> DurationFit
    units: dict                # grade -> {count: share}
    arrivals: "object"         # pandas DataFrame: per hour-of-week block, n, KS D and p-value
    arrival_pooled: dict       # KS over all blocks pooled, dispersion index
    smoothing: list[float]

    def tag(self, n: int | None = None) -> str:
        return f"n={self.n if n is None else n:,}, {_day(self.start)}..{_day(self.end - np.timedelta64(1, 'D'))}"


def _day(t) -> str:
    return str(np.datetime64(t, "D"))


def fit_records(rec: Records) -> FitResult:
    m = rec.map
    d = rec.demand
    local = d["created_local"].to_numpy("datetime64[ms]")
    start = np.datetime64(m.filter.start, "D") if m.filter.start else local.min().astype("datetime64[D]")
    end = (np.datetime64(m.filter.end, "D") if m.filter.end else local.max().astype("datetime64[D]") + 1)
    days = float((end - start) / np.timedelta64(1, "D"))
    span = float((local.max() - local.min()) / np.timedelta64(1, "D"))
    if len(d) < MIN_DEMAND_ROWS or span < MIN_DAYS - 1:
        raise ScenarioError(rec.path, "", _NO_VALUE, f"{len(d):,} demand rows over {span + 1:.0f} day(s): a fit needs at "
                            f"least {MIN_DEMAND_ROWS} demand rows spread over at least {MIN_DAYS} days (a week of "
                            "hours for the hour-of-week profile)")
    # exposure: how often each hour of the week occurs in the window
    hours = np.arange(start.astype("datetime64[h]"), end.astype("datetime64[h]"))
    how_all = _hour_of_week(hours)
    exposure = np.bincount(how_all, minlength=168).astype(float)
    how = _hour_of_week(local)
    kernel = np.asarray(m.fit.smoothing, float)
    kernel = kernel / kernel.sum()

    channels, grade_counts = {}, {}
    for name in CHANNELS:
        mask = (d["channel"] == name).to_numpy()
        n = int(mask.sum())
        if n == 0:
            continue
        observed = np.bincount(how[mask], minlength=168) / np.maximum(exposure, 1)   # calls per hour
        smooth = _circular_smooth(observed, kernel)
        shape = smooth / smooth.mean() if smooth.mean() > 0 else np.ones(168)
        grades = d.loc[mask, "grade"].value_counts()
        grade_counts[name] = {g: int(grades.get(g, 0)) for g in GRADES}
        risk = _shares({g: grades.get(g, 0) / n for g in GRADES})
        channels[name] = dict(n=n, calls_per_day=n / days, hour_of_week=shape, observed=observed * 24 / (n / days),
                              risk=risk, handling=fit_duration(d.loc[mask, "handling"].to_numpy(float),
                                                               f"handling {name}", m.fit))
    # months
    month_idx = (local.astype("datetime64[M]").astype(np.int64) % 12)
    day_months = (np.arange(start, end).astype("datetime64[M]").astype(np.int64) % 12)
    month_days = {int(k): int(v) for k, v in zip(*np.unique(day_months, return_counts=True))}
    overall = len(d) / days
    month = [1.0] * 12
    for k, nd in month_days.items():
        if nd >= 7:
            month[k] = round(float((month_idx == k).sum() / nd / overall), 4)
    prio = d["priority"].to_numpy(str)
    priority_counts = {p: int((prio == p).sum()) for p in sorted(set(prio), key=_code_key)}
    priority_profiles = {p: np.bincount(how[prio == p], minlength=168) / np.maximum(exposure, 1) * 24
                         for p in priority_counts}
    # travel: blue-light grades (G1) and the others, as the model's areas hold them
    travel, travel_grades = {}, {"blue_light": ["G1"], "normal": ["G2", "G3", "G4"]}
    for kind, grades in travel_grades.items():
        mask = d["grade"].isin(grades).to_numpy()
        if mask.any():
            travel[kind] = fit_duration(d.loc[mask, "travel"].to_numpy(float), f"travel {kind}", m.fit)
    on_scene = {}
    for g in GRADES:
        mask = (d["grade"] == g).to_numpy()
        if mask.any():
            on_scene[g] = fit_duration(d.loc[mask, "on_scene"].to_numpy(float), f"on scene {g}", m.fit)
    units = {}
    if m.columns.units is not None:
        for g in GRADES:
            u = d.loc[(d["grade"] == g).to_numpy(), "units"].to_numpy(float)
            u = np.clip(u[~np.isnan(u) & (u >= 1)], 1, 100).astype(int)
            if u.size:
                vals, counts = np.unique(u, return_counts=True)
                units[g] = _shares({str(v): c / u.size for v, c in zip(vals, counts)})
    arrivals, pooled = arrival_tests(local, start, end)
    return FitResult(start, end, days, len(d), channels, month, month_days, grade_counts, priority_counts,
                     priority_profiles, travel, travel_grades, on_scene, units, arrivals, pooled, list(m.fit.smoothing))


def _code_key(p: str):
    return (0, float(p)) if p.replace(".", "", 1).isdigit() else (1, p)


def _hour_of_week(t: np.ndarray) -> np.ndarray:
    """0 = Monday 00:00-01:00 (1970-01-05 was a Monday)."""
    h = t.astype("datetime64[h]").astype(np.int64)
    return ((h - 96) % 168).astype(np.int64)


def _circular_smooth(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    k = kernel.size // 2
    padded = np.concatenate([x[-k:], x, x[:k]]) if k else x
    return np.convolve(padded, kernel, mode="valid")


def _shares(mix: dict) -> dict:
    """Rounded to 6 places and summing to 1 exactly (the largest share takes the rounding)."""
    out = {k: round(float(v), 6) for k, v in mix.items()}
    big = max(out, key=out.get)
    out[big] = round(1.0 - sum(v for k, v in out.items() if k != big), 6)
    return out


def fit_duration(values: np.ndarray, what: str, opts, empirical: bool = False) -> DurationFit | None:
    """Lognormal by maximum likelihood, or empirical when the lognormal's KS distance is too large
    (or always, with ``empirical``: a duration with a spike at 0 and a long tail)."""
    from scipy import stats

    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    if x.size < MIN_FIT_ROWS:
        return None
    x = np.maximum(x, MIN_FIT)
    logs = np.log(x)
    mu, sigma = float(logs.mean()), float(logs.std(ddof=0))   # the MLE of a lognormal
    sigma = max(sigma, 1e-3)
    ks = float(stats.kstest(logs, "norm", args=(mu, sigma)).statistic)
    median, p90 = math.exp(mu), math.exp(mu + Z90 * sigma)
    if ks <= opts.lognormal_max_ks and not empirical:
        table = {"family": "lognormal", "median": round(median, 3), "p90": round(p90, 3)}
        family = "lognormal"
    else:
        k = opts.empirical_points
        q = np.quantile(x, (np.arange(k) + 0.5) / k)
        table = {"family": "empirical", "values": [round(float(v), 3) for v in q]}
        family = "empirical"
    return DurationFit(what, int(x.size), family, table, ks, float(np.median(x)), float(np.quantile(x, 0.9)), x)


def arrival_tests(local: np.ndarray, start, end):
    """Kim & Whitt (2014) conditional-uniform KS test per hour-of-week block."""
    import pandas as pd
    from scipy import stats

    t = local.astype("datetime64[ms]").astype(np.int64)
    hour = t // 3_600_000
    u = (t - hour * 3_600_000) / 3_600_000.0      # position within its hour, in [0, 1)
    how = _hour_of_week(local)
    rows = []
    for h in range(168):
        uh = u[how == h]
        if uh.size >= 3:
            r = stats.kstest(uh, "uniform")
            rows.append((h, uh.size, float(r.statistic), float(r.pvalue)))
        else:
            rows.append((h, uh.size, math.nan, math.nan))
    table = pd.DataFrame(rows, columns=["hour_of_week", "n", "ks_d", "p_value"])
    table["day"] = [("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[h // 24] for h in table["hour_of_week"]]
    table["hour"] = table["hour_of_week"] % 24
    pooled = stats.kstest(u, "uniform")
    # counts per (week, hour of week): index of dispersion (variance / mean) per block, Poisson = 1
    hours = np.arange(np.datetime64(start, "h"), np.datetime64(end, "h"))
    counts = pd.Series(0, index=hours.astype(np.int64))
    c = pd.Series(hour).value_counts()
    counts.loc[counts.index.intersection(c.index)] = c.loc[counts.index.intersection(c.index)]
    blocks = pd.DataFrame({"how": _hour_of_week(hours), "n": counts.to_numpy()})
    g = blocks.groupby("how")["n"]
    dispersion = (g.var(ddof=1) / g.mean().replace(0, np.nan)).reindex(range(168)).to_numpy()
    table["dispersion"] = dispersion
    tested = table["p_value"].notna()
    pooled_info = {
        "n": int(u.size), "ks_d": float(pooled.statistic), "p_value": float(pooled.pvalue),
        "blocks_tested": int(tested.sum()),
        "blocks_rejected_5pct": int((table.loc[tested, "p_value"] < 0.05).sum()),
        "dispersion_mean": float(np.nanmean(dispersion)) if np.isfinite(dispersion).any() else math.nan,
    }
    return table, pooled_info
