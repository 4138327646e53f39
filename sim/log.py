"""The event log: what happened, in columns, and nothing else.

The model writes into preallocated numpy columns (one row per call) and appends short
tuples for the rarer records (grade changes, pending intervals, unit shifts and
activities). ``EventLog`` is the frozen result: pandas frames that KPIs, reports and
Parquet files read. KPIs never see the model, only this log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

CHANNEL_NAMES = ("999", "101")
GRADE_NAMES = ("none", "G1", "G2", "G3", "G4")
OUTCOMES = ("abandoned", "no_incident", "resolved_without_deployment", "attended", "appointment_kept", "open")
ABANDONED, NO_INCIDENT, RESOLVED, ATTENDED, APPOINTMENT_KEPT, OPEN = range(6)
ACTIVITIES = ("incident", "custody", "admin", "non_incident", "borrowed")
POOLS = ("response", "neighbourhood")
REASONS = ("resource", "reassessment")

_FLOAT_COLS = ("arrival", "answered", "abandoned", "graded", "handled", "first_dispatch", "first_on_scene",
               "cleared", "appointment")
_INT_COLS = {"caller": np.int32, "channel": np.int8, "retry_of": np.int32, "true_risk": np.int8,
             "initial_grade": np.int8, "final_grade": np.int8, "category": np.int16, "area": np.int8,
             "units_needed": np.int8, "units_sent": np.int16, "diverted": np.int16, "outcome": np.int8}


class CallColumns:
    """Growable columns, one row per call (a call is also its incident, if it becomes one)."""

    def __init__(self, capacity: int):
        self.n = 0
        self.cols: dict[str, np.ndarray] = {}
        cap = max(int(capacity), 16)
        for c in _FLOAT_COLS:
            self.cols[c] = np.full(cap, np.nan)
        for c, t in _INT_COLS.items():
            self.cols[c] = np.full(cap, -1, dtype=t)
        self.cols["units_sent"][:] = 0
        self.cols["diverted"][:] = 0
        self.__dict__.update(self.cols)

    def new_row(self) -> int:
        if self.n == self.arrival.size:
            self._grow()
        self.n += 1
        return self.n - 1

    def _grow(self) -> None:
        for c, col in self.cols.items():
            fill = np.nan if col.dtype.kind == "f" else (0 if c in ("units_sent", "diverted") else -1)
            extra = np.full(col.size, fill, dtype=col.dtype)
            self.cols[c] = np.concatenate([col, extra])
        self.__dict__.update(self.cols)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame({c: col[: self.n] for c, col in self.cols.items()})
        df.insert(0, "call_id", np.arange(self.n, dtype=np.int32))
        return df


@dataclass
class Recorder:
    """Mutable log the model writes to during a run."""
    calls: CallColumns
    grade_changes: list = field(default_factory=list)   # (incident, time, from, to, reason)
    pending: list = field(default_factory=list)         # (incident, grade, start, end)
    unit_shifts: list = field(default_factory=list)     # (unit, pool, shift, start, end, end_actual)
    activities: list = field(default_factory=list)      # (unit, activity, start, end, incident)


@dataclass(frozen=True)
class EventLog:
    """A finished run: frames plus the few facts KPIs need to interpret them."""
    calls: pd.DataFrame
    grade_changes: pd.DataFrame
    pending: pd.DataFrame
    unit_shifts: pd.DataFrame
    activities: pd.DataFrame
    meta: dict

    @property
    def warmup(self) -> float:
        return float(self.meta["warmup_minutes"])

    @property
    def horizon(self) -> float:
        return float(self.meta["horizon_minutes"])

    def write_parquet(self, folder: Path, temp_suffix: str = "") -> list[Path]:
        """Write the two public event tables; returns the paths written."""
        calls = self.calls.copy()
        calls["channel"] = pd.Categorical.from_codes(calls["channel"], CHANNEL_NAMES)
        for c in ("true_risk", "initial_grade", "final_grade"):
            calls[c] = _grade_labels(calls[c])
        calls["outcome"] = pd.Categorical.from_codes(calls["outcome"], OUTCOMES)
        calls["area"] = _labels(calls["area"], self.meta["areas"])
        calls["category"] = _labels(calls["category"], self.meta["categories"])
        gc = self.grade_changes.copy()
        for c in ("from", "to"):
            gc[c] = _grade_labels(gc[c])
        gc["reason"] = pd.Categorical.from_codes(gc["reason"], REASONS)
        out = []
        for name, df in (("calls", calls), ("grade_changes", gc)):
            path = folder / f"{name}.parquet{temp_suffix}"
            df.to_parquet(path, index=False)
            out.append(path)
        return out


def _grade_labels(codes: pd.Series) -> pd.Categorical:
    c = codes.to_numpy().astype(np.int64)
    return pd.Categorical.from_codes(np.where(c < 0, -1, c), GRADE_NAMES)


def _labels(codes: pd.Series, names: list[str]) -> pd.Categorical:
    c = codes.to_numpy().astype(np.int64)
    return pd.Categorical.from_codes(np.where((c < 0) | (c >= len(names)), -1, c), list(names))


def finish(rec: Recorder, meta: dict) -> EventLog:
    gc = pd.DataFrame(rec.grade_changes, columns=["incident", "time", "from", "to", "reason"])
    pend = pd.DataFrame(rec.pending, columns=["incident", "grade", "start", "end"])
    shifts = pd.DataFrame(rec.unit_shifts, columns=["unit", "pool", "shift", "start", "end", "end_actual"])
    acts = pd.DataFrame(rec.activities, columns=["unit", "activity", "start", "end", "incident"])
    for df, ints in ((gc, ("incident", "from", "to", "reason")), (pend, ("incident", "grade")),
                     (shifts, ("unit", "pool")), (acts, ("unit", "activity", "incident"))):
        for c in ints:
            df[c] = df[c].astype(np.int32)
    return EventLog(rec.calls.frame(), gc, pend, shifts, acts, meta)
