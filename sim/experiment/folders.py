"""Reading back what a results folder holds (plan.json, manifest.json, replication files) so
that a damaged or edited folder gives a one-line error naming the file, never a traceback or
a path outside the folder; and writing JSON that stays JSON (no NaN or Infinity, which
strict readers refuse: a missing value is null).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

from sim.util.bounds import MAX_FIRST_REP, MAX_REPS, MAX_SEED
from sim.util.errors import FolderError

PLAN_KINDS = ("run", "compare", "sweep")
# the arm folders an experiment writes: "" (a run), "a"/"b" (compare), "p000".. (sweep)
ARM_NAME = re.compile(r"^(|a|b|p\d{3,6})$")
PLAN_FIELDS = {"kind", "arms", "seed", "first_rep", "reps", "events", "precision", "precision_kpis", "max_reps",
               "command", "version"}


def finite(obj):
    """The object with every NaN or infinite float replaced by None (JSON null)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and not isinstance(obj, (str, bytes)):   # numpy scalars
        try:
            return finite(obj.item())
        except (TypeError, ValueError):
            return obj
    return obj


def json_text(obj, indent: int | None = 2) -> str:
    """Strict JSON: NaN and infinities written as null (``allow_nan=False`` guards the rest)."""
    return json.dumps(finite(obj), indent=indent, default=str, allow_nan=False)


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def read_json(path: Path, what: str = "") -> dict:
    """A JSON object from ``path``, or a FolderError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constants)
    except FileNotFoundError:
        raise FolderError(f"{path}: missing{' (' + what + ')' if what else ''}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FolderError(f"{path}: damaged ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                          f"{what or 'restore it or rerun the experiment'}") from None
    if not isinstance(data, dict):
        raise FolderError(f"{path}: damaged (expected a JSON object, found {type(data).__name__})")
    return data


def check_plan(data: dict, path: Path) -> dict:
    """plan.json as the experiment wrote it: the known keys with sane values, arm folders inside
    the results folder. Anything else is a damaged (or tampered) folder."""
    def bad(key, value, expected):
        raise FolderError(f"{path}: {key} = {str(value)[:80]!r}: expected {expected} (a damaged or edited "
                          "plan.json; rerun the experiment)")
    extra = sorted(set(data) - PLAN_FIELDS)
    if extra:
        bad("keys", ", ".join(extra), f"only {', '.join(sorted(PLAN_FIELDS))}")
    for key in ("kind", "arms", "seed"):
        if key not in data:
            bad(key, "(missing)", "a value")
    if data["kind"] not in PLAN_KINDS:
        bad("kind", data["kind"], " or ".join(PLAN_KINDS))
    arms = data["arms"]
    if not isinstance(arms, list) or not arms or len(arms) > 10_000 or \
            not all(isinstance(a, dict) and isinstance(a.get("name"), str) and ARM_NAME.match(a["name"]) for a in arms):
        bad("arms", arms, "a list of arms named '', 'a', 'b' or p000..")
    if len({a["name"] for a in arms}) != len(arms):
        bad("arms", [a["name"] for a in arms], "arms with different names")
    for key, lo, hi in (("seed", 0, MAX_SEED), ("first_rep", 0, MAX_FIRST_REP), ("reps", 1, MAX_REPS),
                         ("max_reps", 1, MAX_REPS)):
        v = data.get(key, lo)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            bad(key, v, f"a whole number from {lo:,} to {hi:,}")
    p = data.get("precision")
    if p is not None and not (isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p) and p > 0):
        bad("precision", p, "null or a finite number above 0")
    if data.get("events", False) not in (True, False, "parquet", "csv", "parquet,csv", "csv,parquet"):
        bad("events", data["events"], "true, false, 'parquet', 'csv' or 'parquet,csv'")
    if not isinstance(data.get("precision_kpis", []), list):
        bad("precision_kpis", data["precision_kpis"], "a list of KPI names")
    return data


def read_plan(root: Path) -> dict:
    path = Path(root) / "plan.json"
    if not path.exists():
        raise FolderError(f"{root}: not a resumable results folder (no plan.json)")
    return check_plan(read_json(path), path)
