"""The event log: what happened, in columns, and nothing else.

The model writes into preallocated numpy columns (one row per call) and appends short
tuples for the rarer records (grade changes, pending intervals, unit shifts and
activities). ``EventLog`` is the frozen result: pandas frames that KPIs, reports and
Parquet files read. KPIs never see the model, only this log.
"""
from __future__ import annotations

import copy
from array import array
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from sim.util.cells import write_csv
from sim.util.files import atomic_paths
from sim.util.lazy import LazyModule

pd = LazyModule("pandas")   # loaded when a log is framed, not when the CLI imports the model

CHANNEL_NAMES = ("999", "101")
GRADE_NAMES = ("none", "G1", "G2", "G3", "G4")
OUTCOMES = ("abandoned", "no_incident", "resolved_without_deployment", "attended", "appointment_kept", "open")
ABANDONED, NO_INCIDENT, RESOLVED, ATTENDED, APPOINTMENT_KEPT, OPEN = range(6)
ACTIVITIES = ("incident", "custody", "admin", "non_incident", "borrowed")
POOLS = ("response", "neighbourhood", "call_handling")
# grade_changes.reason, the one spelling of each: resource-driven (no officer free), a re-assessment
# of the caller, a supervisor's review, an appointment escalated
REASONS = ("resource", "reassessment", "supervision", "escalation")
RESOURCE, REASSESSMENT, SUPERVISION, ESCALATION = range(len(REASONS))
# appointment_changes.kind: re-booked after a cancellation, or escalated (re-booking cap reached)
APPOINTMENT_CHANGES = ("rebooked", "escalated", "regraded")
REBOOKED, ESCALATED, REGRADED = range(len(APPOINTMENT_CHANGES))
# preemptions.work: what a unit taken for a G1 was doing (issue 23, emergency access to busy officers)
PREEMPTED_WORK = ("en_route", "on_scene", "break")
EN_ROUTE, ON_SCENE, BREAK = range(len(PREEMPTED_WORK))

_FLOAT_COLS = ("arrival", "answered", "abandoned", "graded", "handled", "first_dispatch", "first_on_scene",
               "cleared", "appointment")
_INT_COLS = {"caller": np.int32, "channel": np.int8, "retry_of": np.int32, "true_risk": np.int8,
             "initial_grade": np.int8, "final_grade": np.int8, "category": np.int16, "area": np.int8,
             "units_needed": np.int8, "units_sent": np.int16, "diverted": np.int16, "outcome": np.int8,
             # issue 15: -1 where not modelled; vulnerable is a fact of the caller, identified of the
             # grading (1 identified at first contact, 0 missed)
             "vulnerable": np.int8, "identified": np.int8}


FLUSH_ROWS = 4096   # calls between two flushes of the other tables' waiting rows (~3 days of the default)


class CallColumns:
    """Columns with one row per call (a call is also its incident, if it becomes one).

    Storage is numpy (compact, vectorised at the end); the model reads and writes through
    ``memoryview`` attributes of the same memory, which is twice as fast per item as
    indexing numpy from Python and needs no copy. Start with room for every caller plus a
    few retries; grow by a quarter when full (the model always goes through these
    attributes, so it sees the new columns).

    The calls are also the recorder's clock for its other tables: every ``FLUSH_ROWS`` calls,
    the rows those have waiting go into their columns (``Columns.flush``; ``tables``, set by the
    ``Recorder``), so that none holds more than a few days of rows as tuples.
    """

    def __init__(self, capacity: int):
        self.n = 0
        self.capacity = max(int(capacity), 16)
        self.tables: tuple = ()   # the recorder's other tables (``Columns``), flushed as the calls go by
        self._mark = min(self.capacity, FLUSH_ROWS)   # the next row at which to flush or grow
        self.cols: dict[str, np.ndarray] = {}
        for c in _FLOAT_COLS:
            self.cols[c] = np.full(self.capacity, np.nan)
        for c, t in _INT_COLS.items():
            self.cols[c] = np.full(self.capacity, _fill(c), dtype=t)
        self._views()

    def _views(self) -> None:
        for c, col in self.cols.items():
            setattr(self, c, memoryview(col))

    def __deepcopy__(self, memo: dict) -> "CallColumns":
        """A copy of the columns, its views over the copy (``sim.model.fork``)."""
        new = CallColumns.__new__(CallColumns)
        memo[id(self)] = new
        new.n, new.capacity, new._mark = self.n, self.capacity, self._mark
        new.tables = copy.deepcopy(self.tables, memo)   # the copy's recorder's own (the same memo)
        new.cols = {c: col.copy() for c, col in self.cols.items()}
        new._views()
        for c in self.cols:
            memo[id(getattr(self, c))] = getattr(new, c)
        return new

    def new_row(self) -> int:
        n = self.n
        if n == self._mark:
            self._at_mark()
        self.n = n + 1
        return n

    def _at_mark(self) -> None:
        """Flush the other tables every ``FLUSH_ROWS`` calls; grow when full."""
        n = self.n
        if n % FLUSH_ROWS == 0:
            for table in self.tables:
                table.flush()
        if n == self.capacity:
            self._grow()
        self._mark = min(self.capacity, (n // FLUSH_ROWS + 1) * FLUSH_ROWS)

    def _grow(self) -> None:
        extra = max(self.capacity // 4, 16)
        for c, col in self.cols.items():
            fill = np.nan if col.dtype.kind == "f" else _fill(c)
            self.cols[c] = np.concatenate([col, np.full(extra, fill, col.dtype)])
        self.capacity += extra
        self._views()

    def frame(self) -> pd.DataFrame:
        cols = {"call_id": np.arange(self.n, dtype=np.int32)}
        cols.update({c: col[: self.n] for c, col in self.cols.items()})
        return pd.DataFrame(cols, copy=False)


def _fill(column: str) -> int:
    return 0 if column in ("units_sent", "diverted") else -1


_DTYPES = {"d": np.float64, "i": np.int32, "b": np.int8}   # a ``Columns`` typecode's numpy dtype


class Columns:
    """Append-only typed columns (``array.array``): ~25 bytes a row instead of a tuple's ~100.

    ``append(row)`` is a list's own ``append``: the row's tuple waits in a short list, and ``flush``
    moves the waiting rows into the columns together (the recorder does it every ``FLUSH_ROWS``
    calls, ``CallColumns.new_row``; anything that reads the columns does it first). Appending a
    row is on the hot path (an officer's job writes one to three), and a Python function putting
    each value in its column cost ~7% of a run; a year's rows kept as tuples would cost ~100 MB.
    """

    def __init__(self, spec: dict[str, str]):
        self.spec = spec
        self._hold({name: array(code) for name, code in spec.items()}, [])

    def _hold(self, data: dict[str, array], rows: list[tuple]) -> None:
        """Take ``data`` as the columns and ``rows`` as the waiting rows (``append`` is theirs)."""
        self._data, self._rows = data, rows
        self._typed = [(code, data[name]) for name, code in self.spec.items()]
        self._position = {name: k for k, name in enumerate(self.spec)}   # a column's place in a row
        self.append = rows.append

    def flush(self) -> None:
        """Move the rows appended since the last flush into the columns."""
        rows = self._rows
        if rows:   # numpy converts a column's values ~3x faster than ``array.extend`` (which parses each int)
            for (code, col), values in zip(self._typed, zip(*rows)):
                col.frombytes(np.fromiter(values, _DTYPES[code], len(values)).tobytes())
            rows.clear()

    def correct(self, row: int, name: str, value) -> None:
        """Set column ``name`` of row ``row`` (a break cut short gets its true end), where the row
        is: in the columns, or still waiting (not flushed for it: that would flush a few rows at a
        time in a run that cuts many breaks short)."""
        done = len(self._typed[0][1])
        if row < done:
            self._data[name][row] = value
        else:
            k = self._position[name]
            old = self._rows[row - done]
            self._rows[row - done] = (*old[:k], value, *old[k + 1:])

    @property
    def data(self) -> dict[str, array]:
        """The columns by name, every row appended so far in them, to read (a row is corrected with
        ``correct``, which needs no flush)."""
        self.flush()
        return self._data

    def __deepcopy__(self, memo: dict) -> "Columns":
        """A copy of the arrays and the waiting rows, with its own ``append`` (the waiting list's:
        the original's, wherever the copy meets it, becomes the copy's: ``sim.model.fork``)."""
        new = Columns.__new__(Columns)
        memo[id(self)] = new
        new.spec = self.spec
        # the waiting rows are tuples of numbers: shared as they are
        new._hold({name: array(col.typecode, col) for name, col in self._data.items()}, list(self._rows))
        memo[id(self.append)] = new.append
        return new

    def __len__(self) -> int:
        return len(self._typed[0][1]) + len(self._rows)   # rows in the columns, and waiting

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: np.frombuffer(v, dtype=_DTYPES[self.spec[k]]) if len(v) else
                             np.zeros(0, _DTYPES[self.spec[k]]) for k, v in self.data.items()}, copy=False)


def _reviews() -> Columns:
    """Supervisor reviews (issue 15): asked for at ``requested``; ``reviewed`` NaN when no
    supervisor took it in time; the grade held before and the grade the supervisor recorded;
    ``applied`` 1 when the response changed (an incident not yet attended was re-graded)."""
    return Columns({"incident": "i", "requested": "d", "reviewed": "d", "before": "b", "after": "b", "applied": "b"})


def _appointment_changes() -> Columns:
    """Appointments cancelled: at their time because no unit was free (``new`` is the re-booked
    slot, NaN when escalated instead), or before it because the incident was re-graded away from
    G3 (a supervisor's review; ``new`` NaN, the slot given back). ``kind`` indexes
    APPOINTMENT_CHANGES."""
    return Columns({"incident": "i", "time": "d", "old": "d", "new": "d", "kind": "b"})


def _preemptions() -> Columns:
    """Units taken from other work for a G1 (or a G2) with no unit free: the unit, when, the incident
    it was taken from (-1 for a break), the incident it was given to and that one's grade, and what
    the unit was doing (PREEMPTED_WORK)."""
    return Columns({"unit": "i", "time": "d", "taken_from": "i", "given_to": "i", "for_grade": "b", "work": "b"})


@dataclass
class Recorder:
    """Mutable log the model writes to during a run."""
    calls: CallColumns
    grade_changes: list = field(default_factory=list)   # (incident, time, from, to, reason): rare
    pending: Columns = field(default_factory=lambda: Columns(
        {"incident": "i", "grade": "b", "start": "d", "end": "d"}))
    unit_shifts: Columns = field(default_factory=lambda: Columns(
        {"unit": "i", "pool": "b", "shift": "i", "team": "i", "start": "d", "end": "d", "end_actual": "d"}))
    activities: Columns = field(default_factory=lambda: Columns(
        {"unit": "i", "activity": "b", "start": "d", "end": "d", "incident": "i"}))
    # one row per rostered shift instance: how many were rostered and how many were on duty
    rosters: Columns = field(default_factory=lambda: Columns(
        {"pool": "b", "start": "d", "end": "d", "rostered": "i", "on_duty": "i"}))
    reviews: Columns = field(default_factory=_reviews)
    appointment_changes: Columns = field(default_factory=_appointment_changes)
    preemptions: Columns = field(default_factory=_preemptions)

    def __post_init__(self) -> None:
        self.calls.tables = tuple(t for t in vars(self).values() if isinstance(t, Columns))


@dataclass(frozen=True)
class EventLog:
    """A finished run: frames plus the few facts KPIs need to interpret them."""
    calls: pd.DataFrame
    grade_changes: pd.DataFrame
    pending: pd.DataFrame
    unit_shifts: pd.DataFrame
    activities: pd.DataFrame
    meta: dict
    rosters: pd.DataFrame = field(default_factory=lambda: Columns(
        {"pool": "b", "start": "d", "end": "d", "rostered": "i", "on_duty": "i"}).frame())
    reviews: pd.DataFrame = field(default_factory=lambda: _reviews().frame())
    appointment_changes: pd.DataFrame = field(default_factory=lambda: _appointment_changes().frame())
    preemptions: pd.DataFrame = field(default_factory=lambda: _preemptions().frame())

    @cached_property
    def in_window(self) -> np.ndarray:
        """Calls arriving in the measured window [warm-up, horizon): every KPI starts from this."""
        arrival = self.calls["arrival"].to_numpy()
        return (arrival >= self.warmup) & (arrival < self.horizon)

    @cached_property
    def window(self) -> pd.DataFrame:
        """The calls arriving in the measured window (``in_window``), every column. A call's row is
        made when it rings, so the rows are in arrival order and the window is a run of rows: a
        slice, which copies nothing (a boolean selection copied a year's calls for every KPI)."""
        arrival = self.calls["arrival"].to_numpy()
        if len(arrival) and not (np.diff(arrival) >= 0).all():   # not in arrival order: select by mask
            return self.calls.loc[self.in_window]
        lo, hi = np.searchsorted(arrival, [self.warmup, self.horizon], side="left")
        return self.calls.iloc[lo:hi]

    @property
    def warmup(self) -> float:
        return float(self.meta["warmup_minutes"])

    @property
    def horizon(self) -> float:
        return float(self.meta["horizon_minutes"])

    def public_tables(self) -> dict[str, pd.DataFrame]:
        """The event tables a user reads (calls, grade changes, unit shifts, rosters, supervisor
        reviews, appointment changes, and pre-emptions where the scenario allows them), with codes as labels and an ``in_warmup`` column (True: the
        row is in the discarded warm-up: a call that arrived, a change that happened, a shift that
        started before it ended). Key: a call's ``call_id`` is its incident number (``incident``
        in grade_changes). Shallow copies: the label columns replace columns in the copy (pandas
        copies on write), so the log is untouched and a year's calls are not held twice while the
        event log is written."""
        calls = self.calls.copy(deep=False)
        calls["channel"] = pd.Categorical.from_codes(calls["channel"], CHANNEL_NAMES)
        for c in ("true_risk", "initial_grade", "final_grade"):
            calls[c] = _grade_labels(calls[c])
        calls["outcome"] = pd.Categorical.from_codes(calls["outcome"], OUTCOMES)
        calls["area"] = _labels(calls["area"], self.meta["areas"])
        calls["category"] = _labels(calls["category"], self.meta["categories"])
        calls["in_warmup"] = calls["arrival"].to_numpy() < self.warmup
        gc = self.grade_changes.copy(deep=False)
        for c in ("from", "to"):
            gc[c] = _grade_labels(gc[c])
        gc["reason"] = pd.Categorical.from_codes(gc["reason"], REASONS)
        gc["in_warmup"] = gc["time"].to_numpy() < self.warmup
        shifts = self.unit_shifts.copy(deep=False)
        shifts["pool"] = pd.Categorical.from_codes(shifts["pool"], POOLS)
        shifts["in_warmup"] = shifts["start"].to_numpy() < self.warmup
        rosters = self.rosters.copy(deep=False)
        rosters["pool"] = pd.Categorical.from_codes(rosters["pool"], POOLS)
        rosters["in_warmup"] = rosters["start"].to_numpy() < self.warmup
        changes = self.appointment_changes.copy(deep=False)
        changes["kind"] = pd.Categorical.from_codes(changes["kind"], APPOINTMENT_CHANGES)
        changes["in_warmup"] = changes["time"].to_numpy() < self.warmup
        reviews = self.reviews.copy(deep=False)
        for c in ("before", "after"):
            reviews[c] = _grade_labels(reviews[c])
        reviews["in_warmup"] = reviews["requested"].to_numpy() < self.warmup
        tables = {"calls": calls, "grade_changes": gc, "unit_shifts": shifts, "rosters": rosters,
                  "reviews": reviews, "appointment_changes": changes}
        if self.meta.get("preemption"):   # a table only where the scenario lets G1s take busy units
            pre = self.preemptions.copy(deep=False)
            pre["work"] = pd.Categorical.from_codes(pre["work"], PREEMPTED_WORK)
            pre["for_grade"] = _grade_labels(pre["for_grade"])
            pre["in_warmup"] = pre["time"].to_numpy() < self.warmup
            tables["preemptions"] = pre
        return tables

    def write_events(self, folder: Path, formats=("parquet",)) -> list[Path]:
        """Write the public event tables as Parquet and/or CSV (``formats``); returns the paths
        written (``write_tables``)."""
        return write_tables(self.public_tables(), folder, formats)

    def write_parquet(self, folder: Path) -> list[Path]:
        return self.write_events(folder, ("parquet",))


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, formats=("parquet",)) -> list[Path]:
    """Write ``public_tables`` as Parquet and/or CSV (``formats``); returns the paths written.
    All are written under temporary names and renamed together at the end. A function rather
    than a method, so that a replication can drop the rest of its log before writing (``run_task``)."""
    named = [(name, df, fmt) for name, df in tables.items() for fmt in formats]
    out = [folder / f"{name}.{fmt}" for name, _, fmt in named]
    with atomic_paths(out) as temps:
        for (_, df, fmt), path in zip(named, temps):
            if fmt == "csv":
                write_csv(df, path, float_format="%.10g")   # minutes to ~1e-4 over a year
            else:
                df.to_parquet(path, index=False)
    return out


def _grade_labels(codes: pd.Series) -> pd.Categorical:
    c = codes.to_numpy().astype(np.int64)
    return pd.Categorical.from_codes(np.where(c < 0, -1, c), GRADE_NAMES)


def _labels(codes: pd.Series, names: list[str]) -> pd.Categorical:
    c = codes.to_numpy().astype(np.int64)
    return pd.Categorical.from_codes(np.where((c < 0) | (c >= len(names)), -1, c), list(names))


def finish(rec: Recorder, meta: dict) -> EventLog:
    gc = pd.DataFrame(rec.grade_changes, columns=["incident", "time", "from", "to", "reason"])
    for c in ("incident", "from", "to", "reason"):
        gc[c] = gc[c].astype(np.int32)
    gc["time"] = gc["time"].astype(np.float64)
    shifts = rec.unit_shifts.frame()
    shifts["shift"] = pd.Categorical.from_codes(shifts["shift"].to_numpy(), meta["shift_names"])
    shifts["team"] = pd.Categorical.from_codes(shifts["team"].to_numpy(), meta["team_names"])  # -1: a weekly template
    return EventLog(rec.calls.frame(), gc, rec.pending.frame(), shifts, rec.activities.frame(), meta,
                    rec.rosters.frame(), rec.reviews.frame(), rec.appointment_changes.frame(), rec.preemptions.frame())
