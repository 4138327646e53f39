"""Reading a force's log of grade changes (``triage-sim audit --log``): one row per change of an
incident's priority, with its time, the grades before and after, and usually a reason.

The file is read as the extract is (``sim.data.reading``: bounded, one record per line, a row whose
fields do not match the header counted as malformed, never merged). What the map cannot describe
is refused with one line (a column the map names that is not in the file, a time that is not in
the map's format, a grade code the map does not give): those mean the map is wrong for this file,
and counting them as dropped rows would hide it. What is merely missing (no time, no id, no
grade written in a cell) is counted as dropped, by reason, so the audit accounts for every row.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.data.map import Map
from sim.data.reading import read_lines
from sim.scenario import ScenarioError
from sim.scenario.base import _NO_VALUE

# Reasons a row of the grade log is not used, in the order they are tested
LOG_MISSING_ID = "missing incident number"
LOG_MISSING_TIME = "missing time"
LOG_MISSING_GRADE = "missing grade (before or after)"
LOG_EXCLUDED_GRADE = "grade code not demand (map priorities.exclude)"
LOG_REASONS = (LOG_MISSING_ID, LOG_MISSING_TIME, LOG_MISSING_GRADE, LOG_EXCLUDED_GRADE)
MONDAY = np.datetime64("1970-01-05T00:00", "ms")   # a Monday: wall-clock minutes are counted from it


@dataclass
class GradeLog:
    """The usable changes (``frame``: line, id, wall, minute, from_grade, to_grade, reason, text, in
    file order), and the rows left out by reason (malformed rows included) with their lines."""
    frame: "object"
    path: Path
    rows_read: int
    dropped: dict = field(default_factory=dict)   # reason -> list of line numbers


def wall_minutes(local) -> np.ndarray:
    """Minutes from a Monday 00:00 on the local wall clock (NaN where NaT): hour of week is read
    from these (``sim.measures.profiles.hour_of_week``), as simulated minutes from the run's Monday."""
    local = np.asarray(local, "datetime64[ms]")
    out = (local - MONDAY).astype(np.int64) / 60000.0
    return np.where(np.isnat(local), np.nan, out)


def parse_times(path, column: str, raw, line, fmt: str, zone: str, missing: set, what: str):
    """(local wall-clock datetime64[ms], absolute minutes since 1970 UTC, absent mask) of a column of
    text times; a time that is neither in ``fmt`` nor a missing marker is one line naming it."""
    import pandas as pd

    absent = raw.isin(missing).to_numpy()
    parsed = pd.to_datetime(raw.where(~absent), format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy() & ~absent)
    if bad.size:
        raise ScenarioError(path, f"{column} (row {int(line[bad[0]])})", raw.iloc[bad[0]],
                            f"expected a time written as {fmt!r} ({what}) or a missing marker {sorted(missing)}")
    local = parsed.to_numpy("datetime64[ms]")
    aware = parsed.dt.tz_localize(zone, ambiguous=np.ones(len(raw), bool), nonexistent="shift_forward")
    utc = aware.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ms]")
    minutes = np.where(absent, np.nan, utc.astype(np.int64) / 60000.0)
    return local, minutes, absent


def read_grade_log(path: str | Path, m: Map) -> GradeLog:
    import pandas as pd

    path = Path(path)
    g = m.grade_log
    if g is None:
        raise ScenarioError(path, "", _NO_VALUE, "the map has no [grade_log] section saying how to read a grade log "
                            "(columns id, time, from_grade, to_grade; see scenarios/fitted/audit-example/audit-example.map.toml)")
    if not path.is_file():
        raise ScenarioError(path, "", _NO_VALUE, "grade log not found" if not path.exists()
                            else "expected a CSV file, not a folder")
    delimiter = g.delimiter or m.extract.delimiter
    lines = read_lines(path, delimiter)
    if not lines.header:
        raise ScenarioError(path, "", _NO_VALUE, "the grade log is empty: expected a header row")
    header = lines.header
    for fld, name in g.columns.model_dump().items():
        if name is not None and name not in header:
            hint = difflib.get_close_matches(name, header, n=1, cutoff=0.5)
            raise ScenarioError(path, f"column {name!r}", _NO_VALUE,
                                f"not in the grade log (map grade_log.columns.{fld}); its columns are {header[:12]}"
                                + (f" and {len(header) - 12} more" if len(header) > 12 else "")
                                + (f"; did you mean {hint[0]!r}?" if hint else ""))
    df = pd.DataFrame(lines.rows, columns=header, dtype=object) if lines.rows else pd.DataFrame(columns=header)
    line = np.asarray(lines.line, dtype=np.int64)
    missing = set(m.extract.missing)
    cols = g.columns

    def text(name):
        return df[name].astype(str).str.strip() if name else pd.Series([""] * len(df), dtype=object)

    ids = text(cols.id)
    raw_time = text(cols.time)
    local, minutes, no_time = parse_times(path, cols.time, raw_time, line, g.time_format or m.extract.time_format,
                                          g.time_zone or m.extract.time_zone, missing,
                                          "map grade_log.time_format, else extract.time_format")
    grades = g.grades or m.priorities.grades
    excluded = set(m.priorities.exclude) if g.grades is None else set()
    codes = {}
    for fld in ("from_grade", "to_grade"):
        name = getattr(cols, fld)
        c = text(name)
        absent = c.isin(missing).to_numpy()
        bad = np.flatnonzero(~c.isin(list(grades) + list(excluded)).to_numpy() & ~absent)
        if bad.size:
            i = bad[0]
            raise ScenarioError(path, f"{name} (row {int(line[i])})", c.iloc[i],
                                f"unknown grade code; the map gives grades for {sorted(grades)} (map "
                                f"{'grade_log.grades' if g.grades else '[priorities] grades'})")
        codes[fld] = (c, absent)
    reason = np.full(len(df), "", dtype=object)

    def mark(mask, why):
        mask = np.asarray(mask, bool) & (reason == "")
        reason[mask] = why

    mark(ids.isin(missing).to_numpy(), LOG_MISSING_ID)
    mark(no_time, LOG_MISSING_TIME)
    mark(codes["from_grade"][1] | codes["to_grade"][1], LOG_MISSING_GRADE)
    mark(codes["from_grade"][0].isin(excluded).to_numpy() | codes["to_grade"][0].isin(excluded).to_numpy(),
         LOG_EXCLUDED_GRADE)
    dropped = {why: list(nums) for why, nums in lines.malformed.items()}
    for why in LOG_REASONS:
        sel = line[reason == why]
        if sel.size:
            dropped[why] = sel.tolist()
    keep = reason == ""

    def grade_number(c):
        return c.map(grades).fillna("G0").str[1].astype(int).to_numpy()

    missing_text = lambda s: s.where(~s.isin(missing), "")  # noqa: E731
    frame = pd.DataFrame({
        "line": line, "id": ids.to_numpy(object), "wall": wall_minutes(local), "minute": minutes,
        "from_grade": grade_number(codes["from_grade"][0]), "to_grade": grade_number(codes["to_grade"][0]),
        "reason": missing_text(text(cols.reason)).to_numpy(object),
        "text": missing_text(text(cols.text)).to_numpy(object)})[keep].reset_index(drop=True)
    rows = len(df) + sum(map(len, lines.malformed.values()))
    return GradeLog(frame, path, rows, dropped)


__all__ = ["GradeLog", "read_grade_log", "parse_times", "wall_minutes", "LOG_REASONS", "MONDAY"]
