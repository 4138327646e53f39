"""Facilitator: the trainees' debriefs saved in a session folder (no accounts, no network),
read back side by side. A file that cannot be read is named, not fatal."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from sim.app.play import METRICS

ENV_FOLDER = "TRIAGE_SIM_SESSION_DIR"


def session_folder() -> Path:
    return Path(os.environ.get(ENV_FOLDER) or Path("results") / "workshop")


def load_debriefs(folder: Path) -> tuple[list[dict], list[str]]:
    """(debriefs, problems) from ``folder/*.json``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], []
    out, problems = [], []
    for path in sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name)):
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(d, dict) or "rows" not in d or "you" not in d["rows"]:
                raise ValueError("not a debrief")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: cannot be read ({exc.__class__.__name__}: {str(exc)[:80]})")
            continue
        d["file"] = path.name
        out.append(d)
    return out, problems


def side_by_side(debriefs: list[dict]) -> pd.DataFrame:
    """One column per trainee, then the resource-led and risk-led controllers of each distinct
    set of callers (seed, replication, shift) the trainees played."""
    cols: dict[str, dict] = {}
    refs: dict[tuple, dict] = {}
    for d in debriefs:
        stamp = d["file"].removesuffix(".json").split("-")
        at = next((x for x in reversed(stamp) if len(x) == 6 and x.isdigit()), "")
        label = base = f"{d.get('name', '?')}" + (f" · {at[:2]}:{at[2:4]}" if at else "")
        k = 1
        while label in cols:   # the same name twice in a minute: both shown
            k += 1
            label = f"{base} ({k})"
        you = d["rows"]["you"]
        cols[label] = {**{name: you.get(key) for key, name, _ in METRICS},
                       "Decisions": you.get("decisions"), "Decisions a true-risk view calls wrong": len(d.get("wrong", []))}
        key = (d.get("seed"), d.get("replication"), d.get("shift"))
        refs.setdefault(key, d)
    for (seed, rep, shift), d in refs.items():
        tag = f" · seed {seed}, rep {rep}" if len(refs) > 1 else ""
        for who in ("resource-led controller", "risk-led controller"):
            row = d["rows"].get(who, {})
            cols[f"{who}{tag}"] = {**{name: row.get(key) for key, name, _ in METRICS},
                                   "Decisions": None, "Decisions a true-risk view calls wrong": None}
    return pd.DataFrame(cols)


UNITS = {name: unit for _, name, unit in METRICS} | {"Decisions": "callers",
                                                     "Decisions a true-risk view calls wrong": "callers"}
