"""A simulated event log as a force would export it (``triage-sim export-extract``): a CAD extract
(incidents.csv), its grade log (grade_log.csv) and the MAP.toml that reads them (map.toml; and
map-net.toml, the same extract read in layout (b), opening and closing grades only), so the audit
can be tested where the answer is known: auditing the export gives the model's own counts
(expected.json: resource-led downgrades by hour of week, those attended more than 48 h after the
call), with or without injected defects.

Times are written to the millisecond, rounded down, and kept inside the simulated hour (a change
at 59.99999 minutes must not be read in the next hour), and an arrival on scene is moved by a
millisecond where rounding would move it across the 48-hour line: the export is exact for what the
audit is checked on.

Defects (each exactly as many as asked, or an error saying how many the run allows):
- ``missing_reasons``: resource-led downgrades written with no code and no text. Chosen among those
  the map's no-reason rule can decide from the export (no unit dispatched yet, no re-assessment
  logged before), so the rule recovers them and the audit says how many it decided.
- ``unknown_codes``: changes given a code the map does not list (their text stays, and its keywords
  decide the kind); counted and listed as unknown codes.
- ``out_of_order``: changes moved to the end of the log (each then earlier than a change above it).
- ``missing_ids``: incidents with grade changes left out of the extract (preferring ones with no
  resource-led downgrade, else one attended within 48 h, so the 48-hour count stays exact).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.audit_sim import event_folders, read_events, run_window
from sim.measures.assessment import downgraded_attended
from sim.measures.kpis import resource_downgrades
from sim.measures.profiles import hour_of_week_counts
from sim.model.log import REASONS
from sim.scenario import ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.scenario.writing import toml_text
from sim.util.cells import write_csv

CODES = {"resource": "RES", "reassessment": "RTH", "supervision": "SUP", "escalation": "ESC"}
TEXTS = {"resource": "No units available - grade lowered", "reassessment": "Re-THRIVE: caller rang back, new information",
         "supervision": "Supervisor review of the grading", "escalation": "Appointment escalated"}
UNKNOWN_CODE = "ZX9"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
H48_MS = 2 * 1440 * 60000


@dataclass(frozen=True)
class Defects:
    missing_reasons: int = 0
    unknown_codes: int = 0
    out_of_order: int = 0
    missing_ids: int = 0


def _ms(t: np.ndarray) -> np.ndarray:
    """Milliseconds from the start, rounded down (NaN stays: -1 marks it)."""
    t = np.asarray(t, float)
    return np.where(np.isnan(t), -1, np.floor(np.nan_to_num(t) * 60000.0)).astype(np.int64)


def _text(ms: np.ndarray, start: dt.date) -> np.ndarray:
    base = np.datetime64(start, "ms")
    s = np.datetime_as_string(base + ms.astype("timedelta64[ms]"), unit="ms")
    out = np.char.replace(s.astype(str), "T", " ")
    return np.where(ms < 0, "", out).astype(object)


def export(folder: Path, rep: int = 0, defects: Defects = Defects(), seed: int = 1):
    """(incidents, grade_log, map text, net map text, expected) for replication ``rep`` of ``folder``."""
    folder = Path(folder)
    warmup, horizon, start = run_window(folder)
    found = _by_number(folder, event_folders(folder))
    if rep not in found:
        raise ScenarioError("--rep", "", rep, f"expected a replication whose event log is in {folder}: "
                            f"{', '.join(map(str, sorted(found)))}")
    log = read_events(found[rep], warmup, horizon, start)
    rng = np.random.default_rng(seed)
    c = log.calls[log.calls["initial_grade"].to_numpy() >= 1]
    ids = c["call_id"].to_numpy(np.int64)
    arrival, on_scene = c["arrival"].to_numpy(float), c["first_on_scene"].to_numpy(float)
    a_ms, d_ms, s_ms, cl_ms = (_ms(arrival), _ms(c["first_dispatch"].to_numpy(float)), _ms(on_scene),
                               _ms(c["cleared"].to_numpy(float)))
    truth = (on_scene - arrival) > 2880.0
    seen = s_ms >= 0
    written = (s_ms - a_ms) > H48_MS
    s_ms = np.where(seen & truth & ~written, a_ms + H48_MS + 1, np.where(seen & ~truth & written, a_ms + H48_MS, s_ms))

    g = log.grade_changes.reset_index(drop=True)
    t = g["time"].to_numpy(float)
    hour = np.floor(t / 60.0).astype(np.int64)
    g_ms = np.clip(_ms(t), hour * 3600000, hour * 3600000 + 3599999)
    reason = np.array([REASONS[r] for r in g["reason"]], dtype=object)
    code = np.array([CODES[r] for r in reason], dtype=object)
    text = np.array([TEXTS[r] for r in reason], dtype=object)
    in_period = (t >= warmup) & (t < horizon)
    resource = np.zeros(len(g), bool)
    resource[resource_downgrades(log).index.to_numpy()] = True

    # incidents left out of the extract
    removed: set[int] = set()
    if defects.missing_ids:
        logged = pd.unique(g["incident"].to_numpy(np.int64))
        down_ids = set(g.loc[resource, "incident"].to_numpy(np.int64))
        wait = dict(zip(ids, on_scene - arrival))
        first = [i for i in logged if i not in down_ids]
        second = [i for i in logged if i in down_ids and wait.get(i, np.nan) <= 2880.0]
        pool = first if len(first) >= defects.missing_ids else first + second
        _enough(len(pool), defects.missing_ids, "--missing-ids", "incidents with grade changes")
        removed = set(int(x) for x in rng.choice(np.asarray(pool), defects.missing_ids, replace=False))
    # reasons left blank: only where the no-reason rule can tell (see the module's docstring)
    blank = np.zeros(len(g), bool)
    if defects.missing_reasons:
        disp = dict(zip(ids, d_ms))
        inc = g["incident"].to_numpy(np.int64)
        rth = {}
        for i in np.flatnonzero(reason == "reassessment"):
            rth[inc[i]] = min(rth.get(inc[i], np.iinfo(np.int64).max), g_ms[i])
        ok = [i for i in np.flatnonzero(resource & in_period) if inc[i] not in removed and inc[i] in disp
              and (disp[inc[i]] < 0 or disp[inc[i]] > g_ms[i]) and rth.get(inc[i], np.iinfo(np.int64).max) > g_ms[i]]
        _enough(len(ok), defects.missing_reasons, "--missing-reasons", "resource-led downgrades the no-reason rule can decide")
        blank[rng.choice(np.asarray(ok), defects.missing_reasons, replace=False)] = True
        code[blank], text[blank] = "", ""
    if defects.unknown_codes:
        ok = np.flatnonzero(~blank)
        _enough(ok.size, defects.unknown_codes, "--unknown-codes", "grade changes")
        code[rng.choice(ok, defects.unknown_codes, replace=False)] = UNKNOWN_CODE

    to_text = {i: str(i) for i in range(1, 5)}
    glog = pd.DataFrame({"incident_number": g["incident"].to_numpy(np.int64).astype(str), "changed_at": _text(g_ms, start),
                         "old_priority": [to_text[x] for x in g["from"]], "new_priority": [to_text[x] for x in g["to"]],
                         "reason_code": code, "narrative": text, "_ms": g_ms})
    glog = glog.sort_values("_ms", kind="stable").reset_index(drop=True)
    if defects.out_of_order:
        n = len(glog)
        last = glog["_ms"].iloc[-1] if n else 0
        ok = np.flatnonzero((np.arange(n) < n // 2) & (glog["_ms"].to_numpy() < last))
        _enough(ok.size, defects.out_of_order, "--out-of-order", "grade changes in the first half of the log")
        moved = np.sort(rng.choice(ok, defects.out_of_order, replace=False))
        order = np.concatenate([np.setdiff1d(np.arange(n), moved), moved])
        glog = glog.iloc[order].reset_index(drop=True)
    glog = glog.drop(columns="_ms")

    keep = ~np.isin(ids, list(removed))
    inc = pd.DataFrame({"incident_number": ids.astype(str), "created": _text(a_ms, start), "dispatched": _text(d_ms, start),
                        "on_scene": _text(s_ms, start), "cleared": _text(cl_ms, start),
                        "priority": [to_text[x] for x in c["final_grade"]],
                        "opening_priority": [to_text[x] for x in c["initial_grade"]],
                        "closing_priority": [to_text[x] for x in c["final_grade"]],
                        "category": c["category"].astype(str).to_numpy(object),
                        "units": c["units_sent"].to_numpy(np.int64)})[keep].reset_index(drop=True)
    d = resource_downgrades(log)
    attended = downgraded_attended(log)
    period = (dt.datetime.combine(start, dt.time()) + dt.timedelta(minutes=warmup),
              dt.datetime.combine(start, dt.time()) + dt.timedelta(minutes=horizon))
    expected = {
        "source": str(found[rep]), "replication": rep, "period_start": period[0].isoformat(sep=" "),
        "period_end": period[1].isoformat(sep=" "),
        "resource_downgrades": int(len(d)),
        "resource_downgrades_by_hour_of_week": hour_of_week_counts(d["time"].to_numpy(float), warmup, horizon)
        .astype(int).tolist(),
        "downgraded_attended_over_48h": int(attended["over_48h"]),
        "downgraded_attended_never": int(attended["never"]),
        "defects": {"missing_reasons": defects.missing_reasons, "unknown_codes": defects.unknown_codes,
                    "out_of_order": defects.out_of_order, "missing_ids": defects.missing_ids,
                    "ids_left_out": sorted(str(i) for i in removed)},
    }
    return inc, glog, map_text(period, net=False), map_text(period, net=True), expected


def _by_number(folder: Path, reps: list[Path]) -> dict[int, Path]:
    """Replication number -> its event folder (events/rep-NNNN, or the run folder for one replication:
    the plan's first replication)."""
    if reps == [folder]:
        try:
            first = int(json.loads((folder / "plan.json").read_text(encoding="utf-8")).get("first_rep", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            first = 0
        return {first: folder}
    return {int(p.name.removeprefix("rep-")): p for p in reps if p.name.removeprefix("rep-").isdigit()}


def _enough(have: int, want: int, option: str, what: str) -> None:
    if want > have:
        raise ScenarioError(option, "", want, f"this replication has only {have} {what} to draw from: expected at most "
                            f"{have} (a longer run has more)")


def map_text(period: tuple[dt.datetime, dt.datetime], net: bool) -> str:
    """The MAP.toml that reads the export: layout (a) with the grade log, or (b) ``net``."""
    data = {
        "name": "simulated-export-net" if net else "simulated-export",
        "description": "a simulated event log exported as a CAD extract" + (" (opening and closing grades only)" if net
                                                                            else " and its grade log"),
        "extract": {"time_format": TIME_FORMAT, "time_zone": "UTC", "missing": [""]},
        "columns": {"id": "incident_number", "created": "created", "dispatched": "dispatched", "on_scene": "on_scene",
                    "cleared": "cleared", "priority": "priority", "incident_type": "category", "units": "units",
                    "opening_grade": "opening_priority", "closing_grade": "closing_priority"},
        "priorities": {"grades": {"1": "G1", "2": "G2", "3": "G3", "4": "G4"}},
        "limits": {"max_dispatch_hours": 24.0 * 30, "max_on_scene_hours": 24.0 * 30},
    }
    if not net:
        data["grade_log"] = {"columns": {"id": "incident_number", "time": "changed_at", "from_grade": "old_priority",
                                         "to_grade": "new_priority", "reason": "reason_code", "text": "narrative"}}
    data["downgrades"] = {"resource": ["RES"], "reassessment": ["RTH"], "other": ["SUP", "ESC"],
                          "resource_keywords": ["no units"], "reassessment_keywords": ["new information"],
                          "other_keywords": ["supervisor", "escalated"], "no_reason": "unassigned",
                          "start": period[0], "end": period[1]}
    header = ("How to read a simulated event log exported by triage-sim export-extract (every field is explained\n"
              "in scenarios/fitted/audit-example/audit-example.map.toml). Times are the run's clock from its start date; the\n"
              "audit period is the run's measured window (warm-up excluded).")
    return toml_text(data, header=header)


def write_export(tmp: Path, parts) -> None:
    from sim.util.files import atomic_write

    inc, glog, text_a, text_b, expected = parts
    atomic_write(tmp / "incidents.csv", write_csv(inc))
    atomic_write(tmp / "grade_log.csv", write_csv(glog))
    atomic_write(tmp / "map.toml", text_a)
    atomic_write(tmp / "map-net.toml", text_b)
    atomic_write(tmp / "expected.json", json.dumps(expected, indent=1) + "\n")


__all__ = ["export", "Defects", "write_export", "map_text", "UNKNOWN_CODE"]
