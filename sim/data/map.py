"""MAP.toml: how to read one force's CAD extract (columns, timestamps, codes, what is demand).

Validated with pydantic; a map that cannot be used gives one line naming the map file, the
field and what was expected (``ScenarioError``, exit status 2), like a scenario file.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.scenario import CHANNELS, GRADES, ScenarioError, read_toml
from sim.scenario.base import _NO_VALUE


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Extract(_Strict):
    """The file itself: separator, how times are written, and which cells mean 'missing'."""
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    time_format: str = "%Y-%m-%d %H:%M:%S.%f"      # strptime codes, as the export writes times
    time_zone: str = "UTC"                          # IANA name: the clock the times are written in
    missing: list[str] = ["", "NULL"]               # cells meaning 'not recorded' (sentinels such as -9999)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v):
        return _zone_ok(v)

    @field_validator("time_format")
    @classmethod
    def _format(cls, v):
        return _format_ok(v)


def _zone_ok(v):
    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone name such as 'America/New_York' or 'Europe/London'") from None
    return v


def _format_ok(v):
    """Checked when the map is read, not when the first time is parsed (a traceback from
    pandas then): a sample time written with the codes must read back with them, which
    refuses an unknown directive (``%Q``), a stray ``%`` and codes that cannot work together."""
    if "%" not in v:
        raise ValueError("expected strptime codes such as '%Y-%m-%d %H:%M:%S'")
    sample = dt.datetime(2025, 1, 6, 10, 4, 5, 120000, tzinfo=dt.timezone.utc)
    try:
        dt.datetime.strptime(sample.strftime(v), v)
    except ValueError as exc:
        raise ValueError(f"expected strptime codes such as '%Y-%m-%d %H:%M:%S' ({exc})") from None
    return v


class Columns(_Strict):
    """Column names in the extract. Times: created (call created), queued (ready for dispatch),
    dispatched (first unit assigned), on_scene (first unit arrived), cleared (end of on-scene work)."""
    created: str
    dispatched: str
    priority: str
    source: str | None = None         # how the call came in (citizen-initiated or officer-initiated)
    queued: str | None = None
    on_scene: str | None = None
    cleared: str | None = None
    id: str | None = None             # incident number: repeated numbers are duplicates
    agency: str | None = None
    reopened: str | None = None
    incident_type: str | None = None
    units: str | None = None          # units assigned to the incident
    opening_grade: str | None = None  # the priority first given (audit, layout b: no grade log)
    closing_grade: str | None = None  # the priority at closure (audit, layout b)


class Priorities(_Strict):
    """The force's priority codes: each to a grade, or listed as not demand (e.g. admin codes)."""
    grades: dict[str, Literal["G1", "G2", "G3", "G4"]] = Field(min_length=1)
    exclude: list[str] = []

    @model_validator(mode="after")
    def _disjoint(self):
        both = sorted(set(self.grades) & set(self.exclude))
        if both:
            raise ValueError(f"codes {both} are both mapped to a grade and excluded")
        return self


class Sources(_Strict):
    """Call sources (the ``source`` column): which are demand, on which channel, and which are
    officer-initiated (not demand for dispatch: an officer on the spot created the incident)."""
    channels: dict[Literal["999", "101"], list[str]] = Field(min_length=1)
    officer_initiated: list[str] = []
    exclude: list[str] = []

    @model_validator(mode="after")
    def _disjoint(self):
        seen: dict[str, str] = {}
        for where, values in [*(("channels." + k, v) for k, v in self.channels.items()),
                              ("officer_initiated", self.officer_initiated), ("exclude", self.exclude)]:
            for value in values:
                if value in seen:
                    raise ValueError(f"source {value!r} is listed twice ({seen[value]} and {where})")
                seen[value] = where
        return self


class Filter(_Strict):
    """Rows kept: these agencies; calls created from ``start`` (inclusive) to ``end`` (exclusive)."""
    agency: list[str] = []
    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Limits(_Strict):
    """Intervals longer than these are absurd (a clock error or an incident left open)."""
    max_dispatch_hours: float = Field(default=24.0, gt=0)
    max_handling_hours: float = Field(default=6.0, gt=0)
    max_travel_hours: float = Field(default=6.0, gt=0)
    max_on_scene_hours: float = Field(default=24.0, gt=0)


class Reopened(_Strict):
    values: list[str] = ["1", "true", "True", "Y", "Yes"]   # cells of the reopened column meaning reopened


class Fit(_Strict):
    """Fitting choices: the hour-of-week smoothing kernel and the on-scene fit's tolerance."""
    smoothing: list[float] = Field(default=[0.25, 0.5, 0.25], min_length=1, max_length=25)
    lognormal_max_ks: float = Field(default=0.05, gt=0, le=1)   # above this KS distance: empirical
    empirical_points: int = Field(default=50, ge=5, le=1000)
    comparison_warmup_hours: float = Field(default=24.0, ge=0)  # back-test: first hours not compared

    @field_validator("smoothing")
    @classmethod
    def _kernel(cls, v):
        if len(v) % 2 == 0 or min(v) < 0 or sum(v) <= 0 or v != v[::-1]:
            raise ValueError("expected an odd-length symmetric list of weights >= 0, e.g. [0.25, 0.5, 0.25]")
        return v


class GradeLogColumns(_Strict):
    """Column names in the grade log: one row per grade change of an incident."""
    id: str                           # incident number, as in the extract's columns.id
    time: str                         # when the grade was changed
    from_grade: str                   # the priority before the change
    to_grade: str                     # the priority after it
    reason: str | None = None         # a reason code (classified by [downgrades])
    text: str | None = None           # free text (searched for [downgrades] keywords)


class GradeLog(_Strict):
    """The incident log's grade changes (``triage-sim audit --log``). Separator, time format and
    zone are the extract's unless given; grade codes are [priorities].grades unless ``grades``."""
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    time_format: str | None = None
    time_zone: str | None = None
    columns: GradeLogColumns
    grades: dict[str, Literal["G1", "G2", "G3", "G4"]] | None = Field(default=None, min_length=1)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v):
        return None if v is None else _zone_ok(v)

    @field_validator("time_format")
    @classmethod
    def _format(cls, v):
        return None if v is None else _format_ok(v)


NO_REASON_RULES = ("unassigned", "resource", "reassessment", "other")


class Downgrades(_Strict):
    """How a downgrade's reason is classified: its code (resource-led, re-assessment on new
    information, other), else keywords in its free text (case-insensitive; re-assessment words are
    tried first, then resource, then other), else, with no reason at all, the ``no_reason`` rule:
    'unassigned' = resource-led when no unit had been dispatched to the incident by then (the
    extract's columns.dispatched missing or later) and no re-assessment was logged for it at or
    before the change, otherwise other; or every such downgrade counted as one kind. A code the map
    does not list is counted and listed as unclassified (its text's keywords may still decide it).
    ``start``/``end``: the audit period (changes, or in layout b calls created, from start to end
    exclusive, local time); by default the days the data spans."""
    resource: list[str] = []
    reassessment: list[str] = []
    other: list[str] = []
    resource_keywords: list[str] = []
    reassessment_keywords: list[str] = []
    other_keywords: list[str] = []
    no_reason: Literal["unassigned", "resource", "reassessment", "other"] = "unassigned"
    start: dt.datetime | dt.date | None = None
    end: dt.datetime | dt.date | None = None

    @model_validator(mode="after")
    def _disjoint(self):
        seen: dict[str, str] = {}
        for where in ("resource", "reassessment", "other"):
            for value in getattr(self, where):
                if value in seen:
                    raise ValueError(f"reason code {value!r} is listed twice ({seen[value]} and {where})")
                seen[value] = where
        for where in ("resource_keywords", "reassessment_keywords", "other_keywords"):
            if any(not k.strip() for k in getattr(self, where)):
                raise ValueError(f"{where}: expected words, not an empty string (it would match every text)")
        if self.start is not None and self.end is not None and _as_datetime(self.end) <= _as_datetime(self.start):
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


def _as_datetime(v) -> dt.datetime:
    return v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())


class Map(_Strict):
    name: str = Field(default="extract", min_length=1, max_length=200)
    description: str = ""
    extract: Extract = Extract()
    columns: Columns
    priorities: Priorities
    sources: Sources | None = None
    filter: Filter = Filter()
    limits: Limits = Limits()
    reopened: Reopened = Reopened()
    fit: Fit = Fit()
    grade_log: GradeLog | None = None
    downgrades: Downgrades = Downgrades()

    @model_validator(mode="after")
    def _sources(self):
        if (self.sources is None) != (self.columns.source is None):
            raise ValueError("give both columns.source and a [sources] table, or neither (then every row is "
                             "999 demand)")
        return self

    def channel_of(self) -> dict[str, str]:
        """Source value -> channel name, or 'officer' / 'exclude'."""
        if self.sources is None:
            return {}
        out = {v: ch for ch, values in self.sources.channels.items() for v in values}
        out.update({v: "officer" for v in self.sources.officer_initiated})
        out.update({v: "exclude" for v in self.sources.exclude})
        return out


def load_map(path: str | Path) -> Map:
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(path, "", _NO_VALUE, "map file not found" if not path.exists() else "expected a map file, not a folder")
    data = read_toml(path, "map")
    try:
        return Map.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err.get("ctx", {}).get("error", err["msg"])).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            raise ScenarioError(path, where, _NO_VALUE, "required key is missing") from None
        raise ScenarioError(path, where, err.get("input"), msg) from None


__all__ = ["Map", "GradeLog", "Downgrades", "NO_REASON_RULES", "load_map", "CHANNELS", "GRADES"]
