"""A saved results folder as the report reads it: ``load_folder`` reads only the files a ``run``,
``compare`` or ``sweep`` wrote (plan.json, manifest.json, summary.csv, comparison.csv,
profiles.parquet, the resolved scenario.toml), so a report works on old runs and never re-runs
anything; a file a complete folder should have but that cannot be read is named in ``damaged``.
Also the run's shape in words (replications, days), which the title, the verdict and the KPI
table all say the same way.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.experiment.folders import read_json, read_plan
from sim.report.figures.arms import ArmView
from sim.report.labels import plural
from sim.util import cells


@dataclass
class Folder:
    root: Path
    kind: str
    plan: dict
    manifest: dict
    arms: list[ArmView]
    comparison: pd.DataFrame | None = None
    keys: list[str] = field(default_factory=list)   # sweep: the varied keys
    damaged: list[str] = field(default_factory=list)   # files a complete folder has but that cannot be read

    def arm_dir(self, name: str) -> Path:
        return self.root / name if name else self.root


def read_csv(path: Path) -> pd.DataFrame | None:
    """A table the run wrote (its text as it was, ``sim.util.cells``), or None when it is missing
    or cannot be read."""
    try:
        return cells.read_csv(path) if path.exists() else None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None


def _kpis(summary: pd.DataFrame | None) -> dict[str, dict]:
    if summary is None or "kpi" not in summary:
        return {}
    out = {}
    for _, r in summary.iterrows():
        out[str(r["kpi"])] = {c: (r[c] if c == "unit" else float(r[c]) if pd.notna(r.get(c)) else math.nan)
                              for c in ("mean", "ci_low", "ci_high", "half_width", "reps", "unit") if c in r}
    return out


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def load_folder(folder: Path) -> Folder:
    """Read a results folder's saved files (never runs anything)."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a results folder")
    plan = read_plan(root) if (root / "plan.json").exists() else {}   # damaged or edited: a FolderError
    manifest = read_json(root / "manifest.json") if (root / "manifest.json").exists() else {}
    kind = plan.get("kind") or manifest.get("kind")
    specs = plan.get("arms")
    if not kind or specs is None:   # no plan.json: recognise the layout
        if (root / "a").is_dir() and (root / "b").is_dir():
            kind, specs = "compare", [{"name": "a", "label": "A"}, {"name": "b", "label": "B"}]
        elif (root / "p000").is_dir():
            kind = "sweep"
            specs = [{"name": p.name, "label": p.name, "values": {}} for p in sorted(root.glob("p[0-9][0-9][0-9]"))]
        elif (root / "summary.csv").exists() or (root / "profiles.parquet").exists():
            kind, specs = "run", [{"name": "", "label": root.name}]
        else:
            raise FileNotFoundError(f"{root}: no plan.json, summary.csv or profiles.parquet: not a results folder")
    arms, damaged = [], []
    complete = (root / "manifest.json").exists()
    for spec in specs:
        d = root / spec["name"] if spec["name"] else root
        prof = None
        if (d / "profiles.parquet").exists():
            try:
                prof = pd.read_parquet(d / "profiles.parquet")
            except Exception:  # noqa: BLE001 - a damaged file is named to the user, not a traceback
                damaged.append(f"{d / 'profiles.parquet'} cannot be read")
        elif complete:
            damaged.append(f"{d / 'profiles.parquet'} is missing")
        summary = d / "summary.csv"
        table = read_csv(summary) if summary.exists() else None
        if summary.exists() and (table is None or "kpi" not in table
                                 or "meets_recommendation" not in set(table["kpi"].astype(str))):
            damaged.append(f"{summary} cannot be read or is cut short")
        elif complete and not summary.exists():
            damaged.append(f"{summary} is missing")
        scen = _toml(d / "scenario.toml")
        label = spec.get("label") or scen.get("meta", {}).get("name") or spec["name"]
        arms.append(ArmView(spec["name"], str(label), prof, _kpis(read_csv(d / "summary.csv")), scen,
                            dict(spec.get("values") or {})))
    if kind == "sweep":   # a sweep point's label is its values; fall back on sweep.csv for missing summaries
        table = read_csv(root / "sweep.csv")
        for a in arms:
            if not a.kpis and table is not None and "point" in table:
                a.kpis = _kpis(table[table["point"] == a.name])
    keys = list(arms[0].values) if kind == "sweep" and arms else []
    comparison = read_csv(root / "comparison.csv") if kind == "compare" else None
    return Folder(root, kind, plan, manifest, arms, comparison, keys, damaged)


# ---------------------------------------------------------------------------- the run's shape in words
def replications_text(f: Folder) -> str:
    """'3 replications', or '2 of 3 replications (1 failed)' when some produced no results."""
    m = f.manifest
    asked = m.get("replications") or f.plan.get("reps")
    done = sorted({a.reps for a in f.arms if a.reps})
    if not isinstance(asked, int):
        return plural(done[-1], "replication") if done else "? replications"
    if not done or done == [asked]:
        return plural(asked, "replication")
    if len(done) == 1:
        failed = asked - done[0]
        return (f"{done[0]} of {plural(asked, 'replication')} ({failed} failed)" if failed > 0
                else plural(done[0], "replication"))
    return f"{'/'.join(map(str, done))} of {plural(asked, 'replication')} (some failed)"


def run_days(f: Folder):
    a = f.arms[0] if f.arms else None
    return f.manifest.get("days") or (a.scenario.get("run", {}).get("days") if a else None)


def run_shape(f: Folder) -> str:
    days = run_days(f)
    return replications_text(f) + (f" of {plural(days, 'day')}" if isinstance(days, (int, float)) else "")

