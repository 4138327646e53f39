"""Trace demand: observed calls replayed instead of sampled arrivals (``[demand] trace = "file"``).

A trace is a CSV with one row per observed call:

| column | meaning |
|---|---|
| `arrival` | local date and time the call was created (`YYYY-MM-DD HH:MM[:SS[.fff]]`) |
| `grade` | G1..G4, the grade recorded (taken as the true risk too: an extract holds no other) |
| `channel` | optional, `999` or `101` (default `999`); the channel's handling, patience... apply |
| `priority` | optional, the force's own priority code (the back-test reports per code) |
| `handling_min` | optional: call created -> incident ready for dispatch, minutes |
| `travel_min` | optional: first dispatch -> first on scene, minutes |
| `on_scene_min` | optional: first on scene -> clear, minutes |
| `units` | optional: units sent |
| `dispatch_min`, `scene_min` | optional: observed call -> first dispatch / first on scene (the back-test's yardstick) |

Blank cells mean "not observed": that need is drawn from the scenario as usual, from the same
named streams, so the replay keeps common random numbers between scenarios. Rows outside the
run (before `run.start_date` 00:00, or after the horizon) are left out.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.scenario import CHANNELS, GRADES, ScenarioError, horizon_minutes
from sim.scenario.base import _NO_VALUE

OPTIONAL = ("handling_min", "travel_min", "on_scene_min", "units", "dispatch_min", "scene_min")


@dataclass(frozen=True)
class Trace:
    arrival: np.ndarray      # datetime64[ms], local
    grade: np.ndarray        # 1..4
    channel: np.ndarray      # 0 = 999, 1 = 101
    priority: np.ndarray     # str
    cols: dict               # OPTIONAL -> float arrays (NaN: not observed)

    def __len__(self) -> int:
        return int(self.arrival.size)


def read_trace(path: str | Path) -> Trace:
    """The trace at ``path`` (cached while the file is unchanged)."""
    st = os.stat(path)
    return _read(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _read(path: str, _mtime: int, _size: int) -> Trace:
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"expected a trace CSV ({type(exc).__name__})") from None
    for col in ("arrival", "grade"):
        if col not in df.columns:
            raise ScenarioError(path, col, _NO_VALUE, f"required column is missing; the trace has {list(df.columns)}")
    if df.empty:
        raise ScenarioError(path, "", _NO_VALUE, "expected at least one call in the trace")
    arrival = pd.to_datetime(df["arrival"].str.strip(), errors="coerce", format="ISO8601")
    bad = np.flatnonzero(arrival.isna().to_numpy())
    if bad.size:
        raise ScenarioError(path, f"arrival (row {bad[0] + 2})", df["arrival"].iloc[bad[0]],
                            "expected a local date and time YYYY-MM-DD HH:MM[:SS]")
    grade = df["grade"].str.strip().map({g: i + 1 for i, g in enumerate(GRADES)})
    bad = np.flatnonzero(grade.isna().to_numpy())
    if bad.size:
        raise ScenarioError(path, f"grade (row {bad[0] + 2})", df["grade"].iloc[bad[0]], f"expected one of {list(GRADES)}")
    if "channel" in df.columns:
        channel = df["channel"].str.strip().replace("", "999").map({c: i for i, c in enumerate(CHANNELS)})
        bad = np.flatnonzero(channel.isna().to_numpy())
        if bad.size:
            raise ScenarioError(path, f"channel (row {bad[0] + 2})", df["channel"].iloc[bad[0]],
                                f"expected one of {list(CHANNELS)} (or blank for 999)")
    else:
        channel = pd.Series(np.zeros(len(df), dtype=np.int8))
    cols = {}
    for col in OPTIONAL:
        if col not in df.columns:
            cols[col] = np.full(len(df), np.nan)
            continue
        values = pd.to_numeric(df[col].str.strip().replace("", "nan"), errors="coerce").to_numpy(float)
        bad = np.flatnonzero(np.isnan(values) & (df[col].str.strip() != "").to_numpy()
                             | (values < 0) | np.isinf(values) | ((col == "units") & (values > 100)))
        if bad.size:
            raise ScenarioError(path, f"{col} (row {bad[0] + 2})", df[col].iloc[bad[0]],
                                "expected a finite number >= 0 (or blank: not observed)"
                                + ("; at most 100 units" if col == "units" else ""))
        cols[col] = values
    priority = df["priority"].to_numpy(str) if "priority" in df.columns else df["grade"].to_numpy(str)
    return Trace(arrival.to_numpy("datetime64[ms]"), grade.to_numpy(np.int8), channel.to_numpy(np.int8),
                 priority, cols)


def trace_minutes(trace: Trace, start_date) -> np.ndarray:
    """Minutes from ``start_date`` 00:00 (local wall clock, as the run's clock is)."""
    t0 = np.datetime64(start_date, "ms")
    return (trace.arrival - t0).astype(np.int64) / 60000.0


def trace_order(s, trace: Trace) -> np.ndarray:
    """Trace rows in the run, in caller order (caller k is trace row ``order[k]``)."""
    t = trace_minutes(trace, s.run.start_date)
    inside = np.flatnonzero((t >= 0) & (t < horizon_minutes(s)))
    return inside[np.argsort(t[inside], kind="stable")]


def trace_callers(s, streams):
    """The run's callers from the trace: arrivals, grades and observed durations; every other
    need drawn as for sampled demand (``sim.model.demand._needs``)."""
    from sim.model.demand import Callers, _empty, _needs

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
        needs = _needs(s, name, code, ch, times[where], streams, grades=trace.grade[order[where]])
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
        for k, v in needs.items():
            if k not in out:
                out[k] = np.empty(order.size, dtype=v.dtype)
            out[k][where] = v
    return Callers(**out)


def records_trace(rec) -> "object":
    """The demand rows of an extract (``sim.data.extract.Records``) as a trace table."""
    import pandas as pd

    d = rec.demand
    arrival = pd.Series(d["created_local"].to_numpy("datetime64[ms]")).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    def col(name):
        return np.round(d[name].to_numpy(float), 4)
    out = pd.DataFrame({
        "arrival": arrival.to_numpy(), "grade": d["grade"].to_numpy(), "channel": d["channel"].to_numpy(),
        "priority": d["priority"].to_numpy(), "handling_min": col("handling"), "travel_min": col("travel"),
        "on_scene_min": col("on_scene"), "units": d["units"].to_numpy(float), "dispatch_min": col("dispatch"),
        "scene_min": col("scene"),
    })
    return out.sort_values("arrival", kind="stable").reset_index(drop=True)
