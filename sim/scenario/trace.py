"""The trace file a scenario may name (``[demand] trace = "file"``): observed calls replayed instead of
sampled arrivals. Read here, in the scenario layer, because the file is an input the scenario names;
the model turns it into callers (``sim.model.demand.trace_callers``), and ``sim.data`` writes one from a
CAD extract (``sim.data.trace.records_trace``).

A trace is a CSV with one row per observed call:

| column | meaning |
|---|---|
| `arrival` | local date and time the call was created (`YYYY-MM-DD HH:MM[:SS[.fff]]`) |
| `grade` | G1..G4, the grade recorded (taken as the true risk too: an extract holds no other) |
| `channel` | optional, `999` or `101` (default `999`); the channel's handling, patience... apply |
| `priority` | optional, the force's own priority code (the back-test reports per code) |
| `rank` | optional, whole number >= 0: order within its grade on the pending list, 0 first (two of the force's codes one grade: the more urgent one 0) |
| `handling_min` | optional: call created -> incident ready for dispatch, minutes |
| `travel_min` | optional: first dispatch -> first on scene, minutes |
| `on_scene_min` | optional: first on scene -> clear, minutes |
| `units` | optional: units sent |
| `dispatch_min`, `scene_min` | optional: observed call -> first dispatch / first on scene (the back-test's yardstick) |

Blank cells mean "not observed": that need is drawn from the scenario as usual, from the same
named streams, so the replay keeps common random numbers between scenarios. Rows outside the
run (before `run.start_date` 00:00, or after the horizon) are left out. A text cell written with a
leading quote so that it does not open as a formula (`'=P1`, as the project writes every CSV:
``sim.util.cells``) is read as the value it stands for (`=P1`).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.scenario.base import _NO_VALUE, CHANNELS, GRADES, ScenarioError
from sim.scenario.document import horizon_minutes
from sim.util.bounded import DAMAGED, InputTooLarge, open_bounded
from sim.util.cells import read_csv

MAX_TRACE_BYTES = 1024 * 2**20   # decompressed; a force-year as a trace is ~60 MB
MAX_TRACE_ROWS = 3_000_000       # as a run's calls (sim.experiment.limits)
OPTIONAL = ("handling_min", "travel_min", "on_scene_min", "units", "dispatch_min", "scene_min", "rank")


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
        with open_bounded(path, MAX_TRACE_BYTES) as raw:
            df = read_csv(raw, dtype=str, keep_default_na=False, nrows=MAX_TRACE_ROWS + 1)
    except InputTooLarge as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"the trace is {exc}: expected at most a few force-years of calls") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError, OSError, *DAMAGED) as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"expected a trace CSV ({type(exc).__name__})") from None
    if len(df) > MAX_TRACE_ROWS:
        raise ScenarioError(path, "", _NO_VALUE, f"more than {MAX_TRACE_ROWS:,} calls: expected at most a few force-years "
                            "(a force-year is ~550,000)")
    for col in ("arrival", "grade"):
        if col not in df.columns:
            raise ScenarioError(path, col, _NO_VALUE, f"required column is missing (the first line has {len(df.columns)} "
                                f"field(s), none named {col!r}; expected a header naming arrival and grade)")
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
                             | (values < 0) | np.isinf(values) | ((col == "units") & (values > 100))
                             | ((col == "rank") & ((values > 100) | (values != np.floor(values)))))
        if bad.size:
            raise ScenarioError(path, f"{col} (row {bad[0] + 2})", df[col].iloc[bad[0]],
                                "expected a finite number >= 0 (or blank: not observed)"
                                + ("; at most 100 units" if col == "units" else "")
                                + ("; a whole number up to 100" if col == "rank" else ""))
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
