"""The downgrade audit of a force's own records (``triage-sim audit``): which grade changes were
downgrades, of what kind (resource-led, re-assessment on new information, other), when, under what
load, and how long those callers waited, with every row and every defect of the log accounted for.

Two steps, so that observed and simulated records are measured by the same code:
``observed_records`` (an extract and its grade log) and ``sim.data.audit_sim`` (a simulated event
log) each give ``AuditData``: incidents, grade changes with their kind, and the audit period;
``measure`` turns one ``AuditData`` into the tables. Hour of week is
``sim.measures.profiles.hour_of_week``, the rule the simulated downgrade profile uses.

Layouts: (a) a grade log, every change with its time; (b) only opening and closing grade columns in
the extract: net downgrades per incident, with no time or reason (``MEASURABLE`` says what each
layout can measure); none: neither, and the audit says that nothing about downgrades can be
measured.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.data.extract import MISSING_PRIORITY, MISSING_TIME, NEGATIVE, ABSURD, USED, Records
from sim.data.grade_log import GradeLog, MONDAY, wall_minutes
from sim.data.map import Downgrades, Map
from sim.measures.profiles import HOURS_OF_WEEK, hour_exposure, hour_of_week, hour_of_week_counts

KINDS = ("resource", "reassessment", "other", "unclassified")
# extract rows the audit uses: every incident read, dispatched or not (a G4 is never dispatched);
# not malformed rows, other agencies, duplicates, officer-initiated work or codes that are not demand
AUDIT_ROWS = (USED, MISSING_TIME, NEGATIVE, ABSURD, MISSING_PRIORITY)
DAY = 1440.0
WEEK = 7 * DAY
LOAD_BINS = ((0, 0), (1, 2), (3, 5), (6, 10), (11, 20), (21, 10**9))
DECIDED = {"code": "reason code listed in the map", "keyword": "keyword in the free text",
           "rule": "no reason: the map's no_reason rule", "unknown code": "reason code not in the map, no keyword",
           "text without keywords": "free text only, no keyword of the map"}
MEASURABLE = {
    "a": [],
    "b": ["when each downgrade was made (hour of week, month): times are those of the call",
          "why (resource-led, re-assessment or other): the extract holds no reason",
          "the load at the time of the downgrade",
          "downgrades reversed before closure, and more than one downgrade of an incident (net change only)"],
    "none": ["any downgrade: the extract has neither a grade log (--log) nor opening and closing grade "
             "columns (map columns.opening_grade / closing_grade)"],
}


@dataclass
class AuditData:
    """Incidents (id, created, created_wall, dispatched, on_scene, category, opening, closing: grades
    1-4, 0 unknown; absolute minutes, wall-clock minutes from a Monday) and changes (id, wall, minute,
    from_grade, to_grade, kind, decided_by, reason, text, line), the period [lo, hi) in wall-clock
    minutes and its absolute start, and what was counted on the way."""
    incidents: pd.DataFrame
    changes: pd.DataFrame
    lo: float
    hi: float
    abs_lo: float
    layout: str
    quality: list = field(default_factory=list)       # (section, item, rows)
    unclassified: dict = field(default_factory=dict)  # value -> rows
    rule: str = ""

    @property
    def weeks(self) -> float:
        return (self.hi - self.lo) / WEEK


# ---------------------------------------------------------------------------- classification
def _keyword_kind(texts: np.ndarray, dg: Downgrades) -> np.ndarray:
    out = np.full(texts.size, "", dtype=object)
    low = np.char.lower(texts.astype(str))
    for kind, words in (("reassessment", dg.reassessment_keywords), ("resource", dg.resource_keywords),
                        ("other", dg.other_keywords)):
        for w in words:
            hit = (np.char.find(low, w.lower()) >= 0) & (out == "")
            out[hit] = kind
    return out


def classify(ch: pd.DataFrame, dg: Downgrades, dispatched: dict) -> pd.DataFrame:
    """Each change's kind and how it was decided: its code, else a keyword of its text, else (a
    downgrade with neither) the no-reason rule. ``dispatched``: incident id -> first dispatch
    (absolute minutes, NaN never); an id missing from it is not in the extract."""
    ch = ch.copy()
    code = ch["reason"].to_numpy(object)
    text = ch["text"].to_numpy(object)
    listed = {c: k for k in ("resource", "reassessment", "other") for c in getattr(dg, k)}
    kind = np.array([listed.get(c, "") for c in code], dtype=object)
    decided = np.where(kind != "", "code", "").astype(object)
    unknown = (code != "") & (kind == "")
    kw = _keyword_kind(text, dg)
    use_kw = (kind == "") & (kw != "")
    kind[use_kw], decided[use_kw] = kw[use_kw], "keyword"
    rest = kind == ""
    decided[rest & unknown] = "unknown code"
    decided[rest & ~unknown & (text != "")] = "text without keywords"
    kind[rest & (decided != "rule") & (decided != "")] = "unclassified"
    no_reason = rest & ~unknown & (text == "")
    down = ch["to_grade"].to_numpy() > ch["from_grade"].to_numpy()
    rule = no_reason & down
    decided[rule] = "rule"
    if dg.no_reason != "unassigned":
        kind[rule] = dg.no_reason
    else:
        ids = ch["id"].to_numpy(object)
        t = ch["minute"].to_numpy(float)
        reassessed = {}
        for i in np.flatnonzero(kind == "reassessment"):
            reassessed[ids[i]] = min(reassessed.get(ids[i], np.inf), t[i])
        for i in np.flatnonzero(rule):
            if ids[i] not in dispatched:
                kind[i] = "unclassified"
                decided[i] = "rule (incident not in the extract)"
                continue
            d = dispatched[ids[i]]
            unassigned = np.isnan(d) or d > t[i]
            kind[i] = "resource" if unassigned and reassessed.get(ids[i], np.inf) > t[i] else "other"
    ch["kind"], ch["decided_by"], ch["unknown_code"] = kind, decided, unknown
    return ch


def rule_text(dg: Downgrades) -> str:
    if dg.no_reason == "unassigned":
        return ("a downgrade with no reason code and no free text is resource-led when no unit had been dispatched "
                "to the incident by then (the extract's first dispatch is missing or later) and no re-assessment "
                "was logged for it at or before the change; otherwise other (map downgrades.no_reason = 'unassigned')")
    return f"a downgrade with no reason code and no free text is counted as {dg.no_reason} (map downgrades.no_reason)"


# ---------------------------------------------------------------------------- observed records
def _period(m: Map, walls: list[np.ndarray]) -> tuple[float, float]:
    dg = m.downgrades
    known = np.concatenate([w[~np.isnan(w)] for w in walls]) if walls else np.zeros(0)

    def wall(v):
        v = v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
        return float(wall_minutes(np.datetime64(v, "ms")))

    lo = wall(dg.start) if dg.start is not None else (np.floor(known.min() / DAY) * DAY if known.size else 0.0)
    hi = wall(dg.end) if dg.end is not None else (np.floor(known.max() / DAY) * DAY + DAY if known.size else DAY)
    return float(lo), float(hi)


def _abs_from_wall(wall: float, zone: str) -> float:
    """Absolute minutes (UTC) of a wall-clock time in ``zone`` (minutes from the Monday epoch)."""
    local = pd.Timestamp(MONDAY + np.timedelta64(int(round(wall * 60000)), "ms"))
    utc = local.tz_localize(zone, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC").tz_localize(None)
    return float((utc.to_datetime64().astype("datetime64[ms]").astype(np.int64)) / 60000.0)


def observed_records(rec: Records, log: GradeLog | None, m: Map) -> AuditData:
    f = rec.frame
    quality = [("extract", "rows read", rec.rows_read)]
    for why, n in f["reason"].value_counts().items():
        quality.append(("extract", f"{why}{'' if why in AUDIT_ROWS else ' (not audited)'}", int(n)))
    keep = f[f["reason"].isin(AUDIT_ROWS)]
    quality.append(("extract", "incidents audited", len(keep)))
    grade = keep["grade"].map(lambda g: int(g[1]) if isinstance(g, str) and g[:1] == "G" else 0).to_numpy()

    def grades(col):
        return keep[col].map(lambda g: int(g[1]) if isinstance(g, str) and g[:1] == "G" else 0).to_numpy()

    has_open = m.columns.opening_grade is not None
    opening = grades("opening_grade") if has_open else grade.copy()
    closing = grades("closing_grade") if m.columns.closing_grade is not None else grade.copy()
    ids = keep["incident_id"].astype(str).str.strip()
    no_id = ids.isin(set(m.extract.missing) | {""}).to_numpy()   # kept, under a name no log can give
    ids = np.where(no_id, "(no incident number, line " + keep["line"].astype(str) + ")", ids).astype(object)
    quality.append(("extract", "incidents audited without an incident number", int(no_id.sum())))
    inc = pd.DataFrame({"id": ids, "created": keep["created"].to_numpy(float),
                        "created_wall": wall_minutes(keep["created_local"].to_numpy()),
                        "dispatched": keep["dispatched_at"].to_numpy(float), "on_scene": keep["on_scene_at"].to_numpy(float),
                        "cleared": keep["cleared_at"].to_numpy(float),
                        "units": (keep["units"].to_numpy(float) if m.columns.units else np.ones(len(keep))),
                        "category": keep["incident_type"].astype(str).replace("", "(not recorded)").to_numpy(object),
                        "opening": opening, "closing": closing})
    dg = m.downgrades
    if log is None:
        layout = "b" if has_open else "none"
        lo, hi = _period(m, [inc["created_wall"].to_numpy()])
        ch = pd.DataFrame(columns=["id", "wall", "minute", "from_grade", "to_grade", "kind", "decided_by", "reason",
                                   "text", "line", "unknown_code"])
        data = AuditData(inc, ch, lo, hi, _abs_from_wall(lo, m.extract.time_zone), layout, quality)
        if layout == "b":
            made = _created_in_period(data)
            quality.append(("period", "incidents created in the audit period", len(made)))
            quality.append(("period", "of which with no opening or closing grade (not judged)",
                            int(((made["opening"] == 0) | (made["closing"] == 0)).sum())))
            quality.append(("period", "net downgrades (closing grade below opening)", len(net_downgrades(data))))
        return data
    if m.columns.id is None:
        from sim.scenario import ScenarioError
        raise ScenarioError(rec.path, "columns.id", None, "a grade log is joined to the extract by incident "
                            "number: give the extract's incident number column as columns.id")
    ch = log.frame.copy()
    quality.append(("grade log", "rows read", log.rows_read))
    for why, lines in log.dropped.items():
        quality.append(("grade log", f"dropped: {why}", len(lines)))
    quality.append(("grade log", "changes used", len(ch)))
    # defects of the log itself, over every usable row
    t = ch["minute"].to_numpy(float)
    running = np.maximum.accumulate(t) if t.size else t
    late = np.zeros(t.size, bool)
    late[1:] = t[1:] < running[:-1]
    quality.append(("defects", "changes logged out of order (earlier than a change logged above them)", int(late.sum())))
    ch = ch.sort_values(["id", "minute"], kind="stable").reset_index(drop=True)
    same = ch["id"].to_numpy(object)[1:] == ch["id"].to_numpy(object)[:-1]
    breaks = same & (ch["from_grade"].to_numpy()[1:] != ch["to_grade"].to_numpy()[:-1])
    quality.append(("defects", "changes whose grade before differs from the grade after the incident's previous change",
                    int(breaks.sum())))
    in_extract = set(inc["id"])
    not_audited = set(f.loc[~f["reason"].isin(AUDIT_ROWS), "incident_id"].astype(str)) - in_extract
    excluded = ch["id"].isin(not_audited).to_numpy()
    if excluded.any():
        quality.append(("grade log", "dropped: incident in the extract but not audited (map filters)", int(excluded.sum())))
        ch = ch[~excluded].reset_index(drop=True)
    absent = ~ch["id"].isin(in_extract).to_numpy()
    quality.append(("defects", "incidents in the grade log missing from the extract", int(ch.loc[absent, "id"].nunique())))
    quality.append(("defects", "changes of incidents missing from the extract", int(absent.sum())))
    quality.append(("defects", "changes with no reason (no code, no text)",
                    int(((ch["reason"] == "") & (ch["text"] == "")).sum())))
    dispatched = dict(zip(inc["id"], inc["dispatched"]))
    ch = classify(ch, dg, dispatched)
    quality.append(("defects", "changes with a reason code not in the map", int(ch["unknown_code"].sum())))
    if has_open:
        first = ch.drop_duplicates("id")
        opened = dict(zip(first["id"], first["from_grade"]))
        miss = inc["opening"].to_numpy() == 0
        inc.loc[miss, "opening"] = inc.loc[miss, "id"].map(opened).fillna(0).astype(int)
    else:
        first = ch.drop_duplicates("id")
        opened = inc["id"].map(dict(zip(first["id"], first["from_grade"])))
        inc["opening"] = np.where(opened.notna(), opened.fillna(0), inc["opening"]).astype(int)
    lo, hi = _period(m, [ch["wall"].to_numpy(float), inc["created_wall"].to_numpy()])
    data = AuditData(inc, ch, lo, hi, _abs_from_wall(lo, m.extract.time_zone), "a", quality, rule=rule_text(dg))
    _count_period(data)
    return data


def _count_period(data: AuditData) -> None:
    ch = data.changes
    w = ch["wall"].to_numpy(float)
    inside = (w >= data.lo) & (w < data.hi)
    q = data.quality
    q.append(("period", "changes before the audit period", int((w < data.lo).sum())))
    q.append(("period", "changes after the audit period", int((w >= data.hi).sum())))
    c = ch[inside]
    down = c["to_grade"] > c["from_grade"]
    q.append(("period", "downgrades in the period", int(down.sum())))
    q.append(("period", "upgrades in the period", int((c["to_grade"] < c["from_grade"]).sum())))
    q.append(("period", "changes to the same grade in the period", int((c["to_grade"] == c["from_grade"]).sum())))
    d = c[down]
    for kind in KINDS:
        q.append(("downgrades by kind", kind, int((d["kind"] == kind).sum())))
    opened = d["id"].map(dict(zip(data.incidents["id"], data.incidents["opening"])))
    opened = opened.where(opened.fillna(0) > 0, d["from_grade"]).astype(int)   # not in the extract: its log's grade
    res = opened[d["kind"] == "resource"]
    for g in (1, 2, 3):
        q.append(("resource-led downgrades by opening grade", f"G{g}", int((res == g).sum())))
    q.append(("resource-led downgrades by opening grade", "high risk (opened G1 or G2)", int((res <= 2).sum())))
    for how, n in d["decided_by"].value_counts().items():
        q.append(("downgrades decided by", how, int(n)))
    rule = d[d["decided_by"] == "rule"]
    for kind, n in rule["kind"].value_counts().items():
        q.append(("decided by the no-reason rule", kind, int(n)))
    un = d[d["kind"] == "unclassified"]
    values = np.where(un["reason"] != "", "code " + un["reason"].astype(str), "text " + un["text"].astype(str))
    values = np.where(un["decided_by"].str.startswith("rule"), "no reason, incident not in the extract", values)
    data.unclassified = pd.Series(values, dtype=object).value_counts().to_dict() if len(un) else {}
    unknown = c[c["unknown_code"].astype(bool)]
    for code, n in unknown["reason"].value_counts().items():
        q.append(("reason codes not in the map", str(code), int(n)))


# ---------------------------------------------------------------------------- measures
def downgrades_in_period(data: AuditData) -> pd.DataFrame:
    ch = data.changes
    w = ch["wall"].to_numpy(float)
    return ch[(w >= data.lo) & (w < data.hi) & (ch["to_grade"].to_numpy() > ch["from_grade"].to_numpy())]


def net_downgrades(data: AuditData) -> pd.DataFrame:
    """Layout (b): incidents created in the period whose closing grade is below the opening one."""
    inc = _created_in_period(data)
    known = (inc["opening"] > 0) & (inc["closing"] > 0)
    return inc[known & (inc["closing"] > inc["opening"])]


def _created_in_period(data: AuditData) -> pd.DataFrame:
    w = data.incidents["created_wall"].to_numpy(float)
    return data.incidents[(w >= data.lo) & (w < data.hi)]


def by_hour_of_week(data: AuditData) -> pd.DataFrame:
    exposure = hour_exposure(data.lo, data.hi)
    out = pd.DataFrame({"hour_of_week": np.arange(HOURS_OF_WEEK), "day": np.repeat(list(_DAYS), 24),
                        "hour": np.tile(np.arange(24), 7), "weeks_observed": np.round(exposure, 6)})
    if data.layout == "a":
        d = downgrades_in_period(data)
        for kind in KINDS:
            t = d.loc[d["kind"] == kind, "wall"].to_numpy(float)
            out[kind] = hour_of_week_counts(t, data.lo, data.hi).astype(np.int64)
        out["resource_per_week"] = np.divide(out["resource"], exposure, out=np.full(HOURS_OF_WEEK, np.nan),
                                             where=exposure > 0)
    elif data.layout == "b":
        t = net_downgrades(data)["created_wall"].to_numpy(float)
        out["net_downgrades_by_call_hour"] = hour_of_week_counts(t, data.lo, data.hi).astype(np.int64)
    return out


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def by_week(data: AuditData) -> pd.DataFrame:
    """Downgrades in each 7-day block from the start of the period (the last may be shorter)."""
    n = int(np.ceil((data.hi - data.lo) / WEEK - 1e-9))
    start = MONDAY + np.round(np.asarray(data.lo + np.arange(n) * WEEK) * 60000).astype("timedelta64[ms]")
    out = pd.DataFrame({"week": np.arange(1, n + 1), "starts": pd.to_datetime(start).strftime("%Y-%m-%d %H:%M"),
                        "days": np.round(np.minimum(WEEK, data.hi - data.lo - np.arange(n) * WEEK) / DAY, 4)})
    if data.layout == "a":
        d = downgrades_in_period(data)
        k = ((d["wall"].to_numpy(float) - data.lo) // WEEK).astype(int)
        for kind in KINDS:
            out[kind] = np.bincount(k[d["kind"].to_numpy() == kind], minlength=n)[:n]
    elif data.layout == "b":
        d = net_downgrades(data)
        k = ((d["created_wall"].to_numpy(float) - data.lo) // WEEK).astype(int)
        out["net_downgrades_by_call_week"] = np.bincount(k, minlength=n)[:n]
    return out


def _months(wall: np.ndarray) -> np.ndarray:
    when = MONDAY + np.round(np.asarray(wall, float) * 60000).astype("timedelta64[ms]")
    return when.astype("datetime64[M]").astype(np.int64) % 12 + 1


def by_month(data: AuditData) -> pd.DataFrame:
    """By month of the year: weeks of the period in it, downgrades, and resource-led a week."""
    edges = np.arange(np.floor(data.lo / DAY) * DAY, data.hi, DAY)
    day_len = np.minimum(edges + DAY, data.hi) - np.maximum(edges, data.lo)
    weeks = np.bincount(_months(edges), weights=day_len / WEEK, minlength=13)[1:]
    out = pd.DataFrame({"month": np.arange(1, 13), "weeks_observed": np.round(weeks, 6)})
    if data.layout == "a":
        d = downgrades_in_period(data)
        m = _months(d["wall"].to_numpy(float))
        for kind in KINDS:
            out[kind] = np.bincount(m[d["kind"].to_numpy() == kind], minlength=13)[1:]
        out["resource_per_week"] = np.divide(out["resource"], weeks, out=np.full(12, np.nan), where=weeks > 0)
    elif data.layout == "b":
        out["net_downgrades_by_call_month"] = np.bincount(_months(net_downgrades(data)["created_wall"]), minlength=13)[1:]
    return out[out["weeks_observed"] > 0].reset_index(drop=True)


def by_category(data: AuditData) -> pd.DataFrame:
    inc = _created_in_period(data)
    cats = inc["category"].value_counts()
    out = pd.DataFrame({"category": cats.index.astype(str), "incidents_created": cats.to_numpy()})
    if data.layout == "a":
        d = downgrades_in_period(data)
        cat = d["id"].map(dict(zip(data.incidents["id"], data.incidents["category"]))).fillna("(not in the extract)")
        for kind in KINDS:
            counts = cat[d["kind"] == kind].value_counts()
            out = out.merge(counts.rename(kind).rename_axis("category").reset_index(), on="category", how="outer")
        out[list(KINDS)] = out[list(KINDS)].fillna(0).astype(np.int64)
        out["incidents_created"] = out["incidents_created"].fillna(0).astype(np.int64)
        out["resource_per_week"] = out["resource"] / data.weeks
    elif data.layout == "b":
        counts = net_downgrades(data)["category"].value_counts()
        out["net_downgrades"] = out["category"].map(counts).fillna(0).astype(np.int64)
    return out.sort_values(["category"], kind="stable").reset_index(drop=True)


def waiting_intervals(data: AuditData) -> tuple[np.ndarray, np.ndarray]:
    """Intervals (absolute minutes) in which an incident graded G1 or G2 waited for its first unit:
    from its creation or the change that made it G1/G2, to its first dispatch, the change that took
    it below G2, or the end of the period."""
    inc = data.incidents
    start = pd.DataFrame({"id": inc["id"], "t": inc["created"], "grade": inc["opening"], "o": 0})
    ch = data.changes
    ch = ch[ch["id"].isin(set(inc["id"]))]
    rows = pd.concat([start, pd.DataFrame({"id": ch["id"], "t": ch["minute"], "grade": ch["to_grade"], "o": 1})],
                     ignore_index=True).sort_values(["id", "t", "o"], kind="stable")
    ids = rows["id"].to_numpy(object)
    t = rows["t"].to_numpy(float)
    end = np.full(t.size, np.inf)
    same = ids[1:] == ids[:-1]
    end[:-1][same] = t[1:][same]
    disp = rows["id"].map(dict(zip(inc["id"], inc["dispatched"]))).to_numpy(float)
    created = rows["id"].map(dict(zip(inc["id"], inc["created"]))).to_numpy(float)
    lo = np.maximum(t, created)
    hi = np.minimum(end, np.where(np.isnan(disp), np.inf, disp))
    hi = np.minimum(hi, data.abs_lo + (data.hi - data.lo))
    keep = rows["grade"].isin([1, 2]).to_numpy() & (hi > lo) & ~np.isnan(lo)
    ids, lo, hi = ids[keep], lo[keep], hi[keep]
    # one wait, not two, for an incident moved between G1 and G2 while waiting
    joined = np.zeros(lo.size, bool)
    joined[1:] = (ids[1:] == ids[:-1]) & (lo[1:] == hi[:-1])
    run = np.cumsum(~joined) - 1
    first = np.flatnonzero(~joined)
    last = np.append(first[1:] - 1, lo.size - 1) if first.size else first
    return lo[first], hi[last] if run.size else hi


def waiting_at(data: AuditData, times: np.ndarray, closed: bool = True) -> np.ndarray:
    """G1/G2 incidents waiting for a unit at each of ``times`` (absolute minutes). ``closed``: one
    whose wait ends exactly then still counts (the incident downgraded at that moment is one of
    them, as the simulator's pending count reads it); else intervals are half-open [from, to)."""
    lo, hi = waiting_intervals(data)
    times = np.asarray(times, float)
    return (np.searchsorted(np.sort(lo), times, side="right")
            - np.searchsorted(np.sort(hi), times, side="left" if closed else "right"))


def committed_at(data: AuditData, times: np.ndarray) -> np.ndarray:
    """Units committed to incidents at each of ``times``: from first dispatch to clear, each
    incident counting its units (the extract's units column, else one). NaN where the data has no
    clear time at all (then it cannot be measured)."""
    inc = data.incidents
    times = np.asarray(times, float)
    if "cleared" not in inc.columns or inc["cleared"].isna().all():
        return np.full(times.size, np.nan)
    ok = inc["dispatched"].notna() & inc["cleared"].notna() & (inc["cleared"] > inc["dispatched"])
    lo, hi = inc.loc[ok, "dispatched"].to_numpy(float), inc.loc[ok, "cleared"].to_numpy(float)
    w = inc.loc[ok, "units"].fillna(1.0).clip(lower=1.0).to_numpy(float) if "units" in inc.columns else np.ones(lo.size)
    order_lo, order_hi = np.argsort(lo), np.argsort(hi)
    cum_lo = np.concatenate([[0.0], np.cumsum(w[order_lo])])
    cum_hi = np.concatenate([[0.0], np.cumsum(w[order_hi])])
    started = cum_lo[np.searchsorted(lo[order_lo], times, side="right")]
    ended = cum_hi[np.searchsorted(hi[order_hi], times, side="right")]
    return started - ended


def by_load(data: AuditData) -> pd.DataFrame:
    """Resource-led downgrades by how many G1/G2 incidents were waiting for a unit at the time, with
    the hours the force spent at that load in the period, so downgrades an hour can be read."""
    labels = [f"{a}" if a == b else (f"{a}+" if b >= 10**9 else f"{a}-{b}") for a, b in LOAD_BINS]
    out = pd.DataFrame({"waiting_g1_g2": labels})
    if data.layout != "a":
        return out
    lo, hi = waiting_intervals(data)
    p0, p1 = data.abs_lo, data.abs_lo + (data.hi - data.lo)
    edges = np.unique(np.concatenate([[p0, p1], np.clip(lo, p0, p1), np.clip(hi, p0, p1)]))
    level = waiting_at(data, edges[:-1], closed=False)
    span = np.diff(edges)
    hours = np.array([span[(level >= a) & (level <= b)].sum() / 60.0 for a, b in LOAD_BINS])
    d = downgrades_in_period(data)
    at = waiting_at(data, d["minute"].to_numpy(float))
    known = d["id"].isin(set(data.incidents["id"])).to_numpy()
    out["hours_at_load"] = np.round(hours, 4)
    for kind in ("resource", "reassessment", "other"):
        sel = at[(d["kind"].to_numpy() == kind) & known]
        out[kind] = [int(((sel >= a) & (sel <= b)).sum()) for a, b in LOAD_BINS]
    out["resource_per_hour"] = np.divide(out["resource"], hours, out=np.full(len(hours), np.nan), where=hours > 0)
    return out


def attendance(data: AuditData) -> pd.DataFrame:
    """Call to first unit on scene for incidents downgraded (resource-led, in the period: whenever
    the call came) against those created in the period and not downgraded, by opening grade; the
    last row is every resource-downgraded incident (as the simulator's downgraded_attended KPIs)."""
    inc = data.incidents.set_index("id", drop=False)
    if data.layout == "a":
        d = downgrades_in_period(data)
        down_ids = pd.unique(d.loc[d["kind"] == "resource", "id"])
        label = "resource-led downgrade in the period"
    elif data.layout == "b":
        down_ids = net_downgrades(data)["id"].unique()
        label = "net downgrade (closing grade below opening)"
    else:
        down_ids = np.array([], dtype=object)
        label = "downgraded (not measurable)"
    down = set(down_ids)
    created = _created_in_period(data)
    rows = []
    for g in (1, 2, 3, 4):
        others = created[(created["opening"] == g) & ~created["id"].isin(down)]
        mine = inc.reindex([i for i in down_ids if i in inc.index])
        rows.append(_attended(f"G{g}", "not downgraded", others))
        if data.layout != "none":
            rows.append(_attended(f"G{g}", label, mine[mine["opening"] == g]))
    if data.layout != "none":
        mine = inc.reindex([i for i in down_ids if i in inc.index])
        rows.append(_attended("all", label, mine, unknown=len(down_ids) - len(mine)))
    return pd.DataFrame(rows)


def _attended(grade: str, group: str, inc: pd.DataFrame, unknown: int = 0) -> dict:
    wait = (inc["on_scene"] - inc["created"]).to_numpy(float)
    seen = ~np.isnan(wait)
    w = wait[seen]
    q = np.quantile(w, [0.5, 0.9]) if w.size else [np.nan, np.nan]
    n = len(inc)
    over, never = int((w > 2 * DAY).sum()), int((~seen).sum())
    return {"opening_grade": grade, "group": group, "incidents": n + unknown, "attended": int(seen.sum()),
            "p50_minutes": q[0], "p90_minutes": q[1], "within_24h": int((w <= DAY).sum()),
            "over_48h": over, "over_72h": int((w > 3 * DAY).sum()), "never": never, "not_in_extract": unknown,
            "share_over_48h": over / n if n else np.nan, "share_never": never / n if n else np.nan}


def downgrades_table(data: AuditData) -> pd.DataFrame:
    """downgrades_observed.csv: one row per downgrade in the period (layout a) or per net downgrade (b)."""
    inc = data.incidents.set_index("id", drop=False)
    if data.layout == "a":
        d = downgrades_in_period(data).copy()
        joined = inc.reindex(d["id"])
        when = MONDAY + np.round(d["wall"].to_numpy(float) * 60000).astype("timedelta64[ms]")
        out = pd.DataFrame({
            "incident": d["id"].to_numpy(object), "time": pd.to_datetime(when).strftime("%Y-%m-%d %H:%M:%S"),
            "hour_of_week": hour_of_week(d["wall"].to_numpy(float)),
            "from_grade": "G" + d["from_grade"].astype(str).to_numpy(object),
            "to_grade": "G" + d["to_grade"].astype(str).to_numpy(object), "kind": d["kind"].to_numpy(object),
            "decided_by": d["decided_by"].to_numpy(object), "reason_code": d["reason"].to_numpy(object),
            "reason_text": d["text"].to_numpy(object), "log_line": d["line"].to_numpy(),
            "in_extract": joined["id"].notna().to_numpy(),
            "category": joined["category"].fillna("").to_numpy(object),
            "opening_grade": ["G" + str(int(g)) if g == g and g > 0 else "" for g in joined["opening"].to_numpy(float)],
            "waited_before_min": np.round(d["minute"].to_numpy(float) - joined["created"].to_numpy(float), 3),
            "waiting_g1_g2_at_time": np.where(joined["id"].notna().to_numpy(), waiting_at(data, d["minute"].to_numpy(float)), -1),
            "units_committed_at_time": committed_at(data, d["minute"].to_numpy(float)),
            "attended_after_min": np.round(joined["on_scene"].to_numpy(float) - joined["created"].to_numpy(float), 3)})
        return out
    d = net_downgrades(data) if data.layout == "b" else data.incidents.iloc[:0]
    return pd.DataFrame({"incident": d["id"].to_numpy(object), "opening_grade": "G" + d["opening"].astype(str),
                         "closing_grade": "G" + d["closing"].astype(str), "category": d["category"].to_numpy(object),
                         "attended_after_min": np.round((d["on_scene"] - d["created"]).to_numpy(float), 3)})


def quality_frame(data: AuditData) -> pd.DataFrame:
    rows = list(data.quality) + [("unclassified values", v, int(n)) for v, n in data.unclassified.items()]
    return pd.DataFrame(rows, columns=["section", "item", "rows"])


def measure(data: AuditData) -> dict[str, pd.DataFrame]:
    """Every table of the audit (name -> frame), each a pure function of ``data``."""
    return {"by_hour_of_week": by_hour_of_week(data), "by_week": by_week(data), "by_month": by_month(data),
            "by_category": by_category(data), "by_load": by_load(data), "attendance": attendance(data)}


__all__ = ["AuditData", "observed_records", "measure", "classify", "downgrades_table", "quality_frame", "KINDS",
           "MEASURABLE", "DECIDED", "rule_text", "waiting_at"]
