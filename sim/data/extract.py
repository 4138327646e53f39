"""Read a CAD extract through its map: every row kept, parsed, and given one reason if it is not
demand, so the data-quality report can account for every row read.

Times are parsed with the map's format and localised to its time zone: intervals are taken in
absolute time (a daylight-saving change does not make a 2-minute dispatch look like an hour or a
negative one); hour-of-week and the trace's arrival keep the local wall clock, which rotas follow.
In the hour repeated when clocks go back, a time is read as daylight time (the export cannot say).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.scenario import GRADES, ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.data.map import Map
from sim.data.reading import MALFORMED_FIELDS, MALFORMED_QUOTE, read_lines

UNKNOWN_CODE = "?"   # the priority of a malformed row: its fields cannot be read

# Reasons a row is not demand, in the order they are tested (the first that applies is counted)
OTHER_AGENCY = "other agency (map filter.agency)"
DUPLICATE = "duplicate (incident number seen on an earlier row)"
OFFICER = "officer-initiated (not demand for dispatch)"
EXCLUDED_PRIORITY = "priority code not demand (map priorities.exclude)"
MISSING_PRIORITY = "missing priority"
MISSING_SOURCE = "missing call source"
EXCLUDED_SOURCE = "call source excluded (map sources.exclude)"
OUTSIDE = "created outside the fit window (map filter.start/end)"
MISSING_TIME = "missing time (created or first dispatch)"
NEGATIVE = "negative interval (first dispatch before created)"
ABSURD = "absurd interval (created -> first dispatch beyond map limits)"
ROW_REASONS = (MALFORMED_FIELDS, MALFORMED_QUOTE, OTHER_AGENCY, DUPLICATE, OFFICER, EXCLUDED_PRIORITY, MISSING_PRIORITY, MISSING_SOURCE,
               EXCLUDED_SOURCE, OUTSIDE, MISSING_TIME, NEGATIVE, ABSURD)
USED = "used as demand"

# Reasons a demand row's duration is left out of one fit (the row still counts as an arrival)
MEASURES = ("handling", "travel", "on_scene")
M_MISSING, M_NEGATIVE, M_ABSURD, M_REOPENED, M_NO_COLUMN = (
    "time not recorded", "negative interval", "absurd interval (beyond map limits)", "reopened incident",
    "column not in the map")
M_MALFORMED = "malformed row"


@dataclass
class Records:
    """One entry per row read (``frame``), plus what the map made of the file."""
    frame: "object"          # pandas DataFrame, one row per row read
    path: Path
    map: Map
    rows_read: int

    @property
    def demand(self):
        return self.frame[self.frame["reason"] == USED]


def _fail(path, column: str, row: int | None, value, expected: str):
    where = column if row is None else f"{column} (row {row})"
    raise ScenarioError(path, where, value, expected)


def read_extract(path: str | Path, m: Map) -> Records:
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ScenarioError(path, "", _NO_VALUE, "extract not found" if not path.exists() else "expected a CSV file, not a folder")
    lines = read_lines(path, m.extract.delimiter)
    if not lines.header:
        raise ScenarioError(path, "", _NO_VALUE, "the extract is empty: expected a header row and at least one row")
    if not lines.rows:
        bad = sum(map(len, lines.malformed.values()))
        raise ScenarioError(path, "", _NO_VALUE, "the extract has a header but no rows" if not bad else
                            f"none of its {bad:,} rows has as many fields as the header ({len(lines.header)}): "
                            f"check the map's extract.delimiter ({m.extract.delimiter!r})")
    df = pd.DataFrame(lines.rows, columns=_unique(lines.header), dtype=object)
    cols = m.columns
    for field, name in cols.model_dump().items():
        if name is not None and name not in df.columns:
            hint = (difflib.get_close_matches(name, list(df.columns), n=1, cutoff=0.5)
                    or [c for c in df.columns if name.lower() in c.lower() or c.lower() in name.lower()][:1])
            raise ScenarioError(path, f"column {name!r}", _NO_VALUE,
                                f"not in the extract (map columns.{field})" + (f"; did you mean {hint[0]!r}?" if hint else ""))
    n = len(df)
    line = np.asarray(lines.line)   # the file's line number (header is line 1), as a spreadsheet shows it
    missing = set(m.extract.missing)

    def text(name):
        return df[name].str.strip()

    def times(field):
        name = getattr(cols, field)
        if name is None:
            return None, None
        raw = text(name)
        absent = raw.isin(missing).to_numpy()
        parsed = pd.to_datetime(raw.where(~absent), format=m.extract.time_format, errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy() & ~absent)
        if bad.size:
            _fail(path, name, int(line[bad[0]]), raw.iloc[bad[0]],
                  f"expected a time written as {m.extract.time_format!r} (map extract.time_format) or a missing "
                  f"marker {sorted(missing)}")
        local = parsed.to_numpy("datetime64[ms]")
        aware = parsed.dt.tz_localize(m.extract.time_zone, ambiguous=np.ones(n, bool), nonexistent="shift_forward")
        utc = aware.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ms]")
        minutes = np.where(absent, np.nan, utc.astype(np.int64) / 60000.0)
        return local, minutes

    reason = np.full(n, "", dtype=object)

    def mark(mask, why):
        mask = np.asarray(mask, bool) & (reason == "")
        reason[mask] = why

    if cols.agency is not None and m.filter.agency:
        mark(~text(cols.agency).isin(m.filter.agency).to_numpy(), OTHER_AGENCY)
    in_scope = reason == ""
    if cols.id is not None:
        ids = text(cols.id)
        mark(ids.duplicated().to_numpy() & ~ids.isin(missing).to_numpy(), DUPLICATE)
    else:
        mark(df.duplicated().to_numpy(), DUPLICATE)

    channel = np.full(n, "999", dtype=object)
    if cols.source is not None:
        src = text(cols.source)
        where = m.channel_of()
        kind = src.map(where)
        absent = src.isin(missing).to_numpy()
        unknown = np.flatnonzero(kind.isna().to_numpy() & ~absent & in_scope)
        if unknown.size:
            i = unknown[0]
            _fail(path, cols.source, int(line[i]), src.iloc[i],
                  f"unknown call source; the map's [sources] lists {sorted(where)} (add it to a channel, "
                  "officer_initiated or exclude)")
        kind = kind.fillna("").to_numpy(object)
        mark(kind == "officer", OFFICER)
        channel = np.where(np.isin(kind, ["999", "101"]), kind, "999")
    prio = text(cols.priority)
    prio_absent = prio.isin(missing).to_numpy()
    unknown = np.flatnonzero(~prio.isin(list(m.priorities.grades) + list(m.priorities.exclude)).to_numpy()
                             & ~prio_absent & in_scope)
    if unknown.size:
        i = unknown[0]
        _fail(path, cols.priority, int(line[i]), prio.iloc[i],
              f"unknown priority code; the map gives grades for {sorted(m.priorities.grades)} and excludes "
              f"{sorted(m.priorities.exclude)} (map [priorities])")
    mark(prio.isin(m.priorities.exclude).to_numpy(), EXCLUDED_PRIORITY)
    mark(prio_absent, MISSING_PRIORITY)
    if cols.source is not None:
        mark(absent, MISSING_SOURCE)
        mark(kind == "exclude", EXCLUDED_SOURCE)

    created_local, created = times("created")
    _, dispatched = times("dispatched")
    if m.filter.start or m.filter.end:
        lo = np.datetime64(m.filter.start or "1900-01-01", "ms")
        hi = np.datetime64(m.filter.end or "2999-01-01", "ms")
        known = ~np.isnat(created_local)
        outside = known & ((created_local < lo) | (created_local >= hi))
        mark(outside, OUTSIDE)
    dispatch = dispatched - created
    mark(np.isnan(dispatch), MISSING_TIME)
    mark(dispatch < 0, NEGATIVE)
    mark(dispatch > m.limits.max_dispatch_hours * 60, ABSURD)
    reason[reason == ""] = USED

    grade = prio.map(m.priorities.grades).fillna("").to_numpy(object)
    out = pd.DataFrame({"line": line, "priority": prio.to_numpy(object), "grade": grade, "channel": channel,
                        "created_local": created_local, "created": created, "dispatch": dispatch,
                        "reason": reason})
    # durations: each fit uses the rows where its two times are recorded and sensible
    queued = times("queued")[1]
    on_scene = times("on_scene")[1]
    cleared = times("cleared")[1]
    reopened = (text(cols.reopened).isin(m.reopened.values).to_numpy() if cols.reopened is not None
                else np.zeros(n, bool))
    specs = {
        "handling": (created, queued, m.limits.max_handling_hours, None),
        "travel": (dispatched, on_scene, m.limits.max_travel_hours, None),
        "on_scene": (on_scene, cleared, m.limits.max_on_scene_hours, reopened),
    }
    for name, (a, b, hours, reopen) in specs.items():
        if b is None:
            out[name] = np.nan
            out[f"{name}_reason"] = M_NO_COLUMN
            continue
        d = b - a
        why = np.full(n, "", dtype=object)
        for mask, text_ in ((np.isnan(d), M_MISSING), (d < 0, M_NEGATIVE), (d > hours * 60, M_ABSURD),
                            (reopen if reopen is not None else np.zeros(n, bool), M_REOPENED)):
            why[np.asarray(mask, bool) & (why == "")] = text_
        out[name] = np.where(why == "", d, np.nan)
        out[f"{name}_reason"] = why
    out["scene"] = np.where(out["travel_reason"] == "", on_scene - created if on_scene is not None else np.nan, np.nan)
    out["units"] = (pd.to_numeric(text(cols.units), errors="coerce").to_numpy(float) if cols.units else np.nan)
    out["incident_type"] = text(cols.incident_type).to_numpy(object) if cols.incident_type else ""
    # for the downgrade audit (sim.data.audit): the incident number and the raw times and grades
    out["incident_id"] = text(cols.id).to_numpy(object) if cols.id else ""
    out["dispatched_at"] = dispatched
    out["on_scene_at"] = on_scene if on_scene is not None else np.nan
    out["cleared_at"] = cleared if cleared is not None else np.nan
    for field in ("opening_grade", "closing_grade"):
        name = getattr(cols, field)
        out[field] = _grades(path, name, text(name), line, m, missing) if name else ""
    if lines.malformed:
        bad = pd.DataFrame([(ln, why) for why, nums in lines.malformed.items() for ln in nums], columns=["line", "reason"])
        bad["priority"], bad["grade"], bad["channel"], bad["incident_type"] = UNKNOWN_CODE, "", "", ""
        for name in MEASURES:
            bad[f"{name}_reason"] = M_MALFORMED
        out = pd.concat([out, bad], ignore_index=True).sort_values("line", kind="stable").reset_index(drop=True)
    if not (out["reason"] == USED).any():
        raise ScenarioError(path, "", _NO_VALUE,
                            "no row is demand after the map's filters (check filter.agency, filter.start/end, "
                            "[sources] and [priorities]); nothing to fit")
    return Records(out, path, m, len(out))


def _grades(path, name: str, codes, line, m: Map, missing: set):
    """A priority column beside ``columns.priority`` (opening or closing grade) as grades through
    [priorities]: '' where missing or excluded; an unknown code is refused like the priority's."""
    known = set(m.priorities.grades) | set(m.priorities.exclude)
    bad = np.flatnonzero(~codes.isin(known).to_numpy() & ~codes.isin(missing).to_numpy())
    if bad.size:
        i = bad[0]
        _fail(path, name, int(line[i]), codes.iloc[i], f"unknown priority code; the map gives grades for "
              f"{sorted(m.priorities.grades)} and excludes {sorted(m.priorities.exclude)} (map [priorities])")
    return codes.map(m.priorities.grades).fillna("").to_numpy(object)


def _unique(header: list[str]) -> list[str]:
    """Column names made unique as pandas makes them (a repeated name gets .1, .2...)."""
    seen: dict = {}
    out = []
    for name in header:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}.{k}")
    return out


__all__ = ["Records", "read_extract", "ROW_REASONS", "USED", "MEASURES", "GRADES"]
