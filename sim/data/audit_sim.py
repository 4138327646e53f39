"""The simulated side of the downgrade audit: a results folder's event logs (``triage-sim run
--events``) as ``AuditData``, one per replication, measured by the same code as a force's records
(``sim.data.audit.measure``), and the observed tables with the simulated mean and 95% interval
across replications beside each compared column.

Which simulated changes are resource-led is the KPI's own rule (``sim.measures.kpis.
resource_downgrades``), so the audit's simulated counts are the KPIs' counts; the period is the
run's measured window (warm-up excluded). Simulated minutes count from the run's start date, a
Monday, so they are wall-clock minutes from a Monday once shifted by whole weeks.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.audit import AuditData
from sim.measures.kpis import resource_downgrades
from sim.model.log import GRADE_NAMES, REASONS, EventLog
from sim.scenario import ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.util.stats import clip_ci, mean_ci

MONDAY = dt.date(1970, 1, 5)
KIND_OF_REASON = {"resource": "resource", "reassessment": "reassessment", "supervision": "other", "escalation": "other"}
NEEDS_EVENTS = ("holds no event log: the compared run must be made with --events "
                "(e.g. triage-sim run SCENARIO --events --out DIR)")


def run_window(folder: Path) -> tuple[float, float, dt.date]:
    """(warm-up minutes, horizon minutes, start date) of a results folder's run (its scenario.toml)."""
    path = folder / "scenario.toml"
    try:
        run = tomllib.loads(path.read_text(encoding="utf-8")).get("run", {})
        warmup, days = float(run.get("warmup_days", 3)), float(run.get("days", 28))
        start = run.get("start_date", dt.date(2016, 9, 5))
        start = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
    except FileNotFoundError:
        raise ScenarioError(folder, "", _NO_VALUE, "not a results folder (no scenario.toml): expected the folder a "
                            "triage-sim run wrote") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"damaged ({type(exc).__name__}): expected the run's scenario") from None
    return warmup * 1440.0, (warmup + days) * 1440.0, start


def event_folders(folder: Path) -> list[Path]:
    """The folders holding a replication's event log: the run folder itself (one replication) or
    events/rep-NNNN/."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(folder, "", _NO_VALUE, "results folder not found" if not folder.exists()
                            else "expected a results folder, not a file")
    reps = sorted(p for p in (folder / "events").glob("rep-*") if (p / "calls.parquet").is_file())
    if not reps and (folder / "calls.parquet").is_file():
        reps = [folder]
    if not reps:
        raise ScenarioError(folder, "", _NO_VALUE, NEEDS_EVENTS)
    return reps


def read_events(rep: Path, warmup: float, horizon: float, start: dt.date) -> EventLog:
    """A replication's calls and grade changes as an ``EventLog`` with codes (what the KPIs read)."""
    try:
        calls = pd.read_parquet(rep / "calls.parquet")
        gc = pd.read_parquet(rep / "grade_changes.parquet")
    except Exception as exc:  # noqa: BLE001 - any damage is one line naming the file
        raise ScenarioError(rep, "", _NO_VALUE, f"damaged event log ({type(exc).__name__}): expected calls.parquet "
                            "and grade_changes.parquet as triage-sim run --events writes them") from None
    for c in ("true_risk", "initial_grade", "final_grade"):
        calls[c] = _codes(calls[c], GRADE_NAMES)
    changes = pd.DataFrame({"incident": gc["incident"].to_numpy(np.int64), "time": gc["time"].to_numpy(float),
                            "from": _codes(gc["from"], GRADE_NAMES), "to": _codes(gc["to"], GRADE_NAMES),
                            "reason": _codes(gc["reason"], REASONS)})
    empty = pd.DataFrame()
    meta = {"warmup_minutes": warmup, "horizon_minutes": horizon, "start_date": start.isoformat()}
    return EventLog(calls, changes, empty, empty, empty, meta)


def _codes(s: pd.Series, names) -> np.ndarray:
    values = s.astype(str).to_numpy(object)
    index = {n: i for i, n in enumerate(names)}
    return np.array([index.get(v, -1) for v in values], dtype=np.int64)


def simulated_data(log: EventLog, start: dt.date) -> AuditData:
    """One replication as the audit reads a force's records: incidents (calls graded G1-G4) and grade
    changes with their kind, in wall-clock minutes from a Monday."""
    shift = (start - MONDAY).days * 1440.0
    c = log.calls
    c = c[c["initial_grade"].to_numpy() >= 1]
    ids = c["call_id"].astype(str).to_numpy(object)
    category = c["category"].astype(str).to_numpy(object)
    inc = pd.DataFrame({"id": ids, "created": c["arrival"].to_numpy(float) + shift,
                        "created_wall": c["arrival"].to_numpy(float) + shift,
                        "dispatched": c["first_dispatch"].to_numpy(float) + shift,
                        "on_scene": c["first_on_scene"].to_numpy(float) + shift, "category": category,
                        "cleared": c["cleared"].to_numpy(float) + shift, "units": c["units_sent"].to_numpy(float),
                        "opening": c["initial_grade"].to_numpy(int), "closing": c["final_grade"].to_numpy(int)})
    g = log.grade_changes
    kind = np.array([KIND_OF_REASON[REASONS[r]] if 0 <= r < len(REASONS) else "other" for r in g["reason"]],
                    dtype=object)
    kind[kind == "resource"] = "other"                         # resource-led only by the KPI's rule:
    kind[resource_downgrades(log).index.to_numpy()] = "resource"
    down = g["to"].to_numpy() > g["from"].to_numpy()
    kind[~down] = ""
    t = g["time"].to_numpy(float) + shift
    ch = pd.DataFrame({"id": g["incident"].astype(str).to_numpy(object), "wall": t, "minute": t,
                       "from_grade": g["from"].to_numpy(int), "to_grade": g["to"].to_numpy(int), "kind": kind,
                       "decided_by": "simulated", "reason": "", "text": "", "line": 0, "unknown_code": False})
    lo, hi = log.warmup + shift, log.horizon + shift
    return AuditData(inc, ch, lo, hi, lo, "a")


def simulated_runs(folder: Path) -> list[AuditData]:
    warmup, horizon, start = run_window(Path(folder))
    return [simulated_data(read_events(rep, warmup, horizon, start), start) for rep in event_folders(folder)]


# (table, key columns, compared columns)
COMPARED = {"by_hour_of_week": (["hour_of_week"], ["resource", "resource_per_week"]),
            "by_month": (["month"], ["resource_per_week"]),
            "by_category": (["category"], ["resource_per_week"]),
            "by_load": (["waiting_g1_g2"], ["resource_per_hour"]),
            "attendance": (["opening_grade", "group"], ["p50_minutes", "p90_minutes", "share_over_48h", "share_never"])}


def with_simulated(name: str, observed: pd.DataFrame, sims: list[pd.DataFrame]) -> pd.DataFrame:
    """``observed`` with, for each compared column, the simulated mean and 95% t-interval across
    replications (``sim_<column>_mean``, ``_low``, ``_high``): keys missing on one side are kept."""
    if name not in COMPARED or not sims:
        return observed
    keys, cols = COMPARED[name]
    stacked = pd.concat([s[keys + [c for c in cols if c in s.columns]].assign(_rep=i) for i, s in enumerate(sims)],
                        ignore_index=True)
    rows = []
    n = len(sims)
    for key, part in stacked.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key))
        for c in cols:
            if c not in part.columns:
                continue
            values = part.set_index("_rep")[c].reindex(range(n))
            if name in ("by_category",):          # a category a replication did not see: none that week
                values = values.fillna(0.0)
            ci = clip_ci(mean_ci(values.to_numpy(float)), 0.0, 1.0 if c.startswith("share") else np.inf)
            row.update({f"sim_{c}_mean": ci["mean"], f"sim_{c}_low": ci["ci_low"], f"sim_{c}_high": ci["ci_high"]})
        rows.append(row)
    sim = pd.DataFrame(rows)
    if sim.empty:
        return observed
    for k in keys:
        sim[k] = sim[k].astype(observed[k].dtype) if k in observed.columns and observed[k].dtype != object else sim[k]
    # observed rows keep their order (load bins are ordered, not alphabetical: an outer merge would
    # sort "11-20" before "3-5"); keys only a replication saw follow
    merged = observed.merge(sim, on=keys, how="left")
    only_sim = sim.merge(observed[keys], on=keys, how="left", indicator=True)
    only_sim = only_sim[only_sim["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([merged, only_sim], ignore_index=True) if len(only_sim) else merged


__all__ = ["simulated_runs", "simulated_data", "with_simulated", "read_events", "event_folders", "run_window",
           "NEEDS_EVENTS", "COMPARED"]
