"""A results folder: each finished replication saved at once (its JSON written last, so its
presence marks the replication finished), the arms' files and the manifest when the experiment
ends, and the plan and scenarios read back to resume it. A folder is never overwritten.
"""
from __future__ import annotations

import datetime as dt
import math
import platform
import shutil
from pathlib import Path

from sim import __version__
from sim.experiment.folders import json_text, read_json, read_plan
from sim.experiment.summary import ArmResult, ExperimentResult
from sim.experiment.task import Plan
from sim.measures.audit import COLUMNS as AUDIT_COLUMNS
from sim.scenario import Scenario, load_scenario
from sim.scenario.writing import toml_text
from sim.util.errors import FolderError
from sim.util.cells import read_csv, write_csv
from sim.util.files import atomic_path, atomic_write
from sim.util.lazy import LazyModule

pd = LazyModule("pandas")   # on a replication's path: see sim.util.lazy


class Store:
    """Finished replications on disk, one JSON (KPIs) and one Parquet (profiles) each."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def arm_dir(self, arm: str) -> Path:
        return self.root / arm if arm else self.root

    def _rep_path(self, arm: str, rep: int, suffix: str) -> Path:
        return self.arm_dir(arm) / "reps" / f"rep-{rep:04d}{suffix}"

    def save(self, result: dict) -> None:
        arm, rep = result["arm"], result["replication"]
        self._rep_path(arm, rep, "").parent.mkdir(parents=True, exist_ok=True)
        if not result["ok"]:
            atomic_write(self._rep_path(arm, rep, ".error.txt"), result["error"])
            return
        err = self._rep_path(arm, rep, ".error.txt")
        if err.exists():
            err.unlink()
        with atomic_path(self._rep_path(arm, rep, ".profiles.parquet")) as tmp:
            result["profiles"].to_parquet(tmp, index=False)
        atomic_write(self._rep_path(arm, rep, ".downgrades.csv"), write_csv(result["downgrades"]))
        meta = {k: result[k] for k in ("arm", "replication", "seed", "scenario", "calls", "wall_s")}
        # the JSON is written last: its presence marks the replication as finished
        atomic_write(self._rep_path(arm, rep, ".json"), json_text({**meta, "kpis": result["kpis"]}, indent=1))

    def load(self, arm: str, rep: int, seed: int | None = None) -> dict | None:
        """A finished replication read back, or None if it has not finished. With ``seed`` (the
        plan's), a file that claims another seed or arm is refused: it came from another
        experiment (copied in, or a folder edited), and mixing it in would change the numbers
        without a word."""
        path = self._rep_path(arm, rep, ".json")
        if not path.exists():
            return None
        hint = f"delete {path.parent / f'rep-{rep:04d}'}.* to run that replication again with --resume"
        data = read_json(path, hint)
        try:
            data["kpis"] = {str(k): (math.nan if v is None else float(v)) for k, v in dict(data["kpis"]).items()}
            data["replication"], data["seed"] = int(data["replication"]), int(data["seed"])
        except (KeyError, TypeError, ValueError):
            raise FolderError(f"{path}: damaged (not a replication's results); {hint}") from None
        if data["replication"] != rep:
            raise FolderError(f"{path}: damaged (it holds replication {data['replication']}); {hint}")
        if seed is not None and data["seed"] != seed:
            raise FolderError(f"{path}: seed = {data['seed']}: expected {seed}, the experiment's seed (plan.json): this "
                              f"replication is from another experiment; {hint}")
        if data.get("arm", arm) != arm:
            raise FolderError(f"{path}: arm = {data['arm']!r}: expected {arm!r}, the folder it is in: this replication "
                              f"is from another arm; {hint}")
        parquet = self._rep_path(arm, rep, ".profiles.parquet")
        audit = self._rep_path(arm, rep, ".downgrades.csv")
        try:
            data["profiles"] = pd.read_parquet(parquet)
            data["downgrades"] = read_csv(audit) if audit.exists() else pd.DataFrame(columns=AUDIT_COLUMNS)
        except Exception as exc:  # noqa: BLE001 - pyarrow and pandas raise many kinds for a damaged file
            raise FolderError(f"{parquet.parent}: rep-{rep:04d} damaged ({type(exc).__name__}); {hint}") from None
        data.setdefault("arm", arm)
        data.setdefault("calls", 0)
        data["ok"] = True
        return data


def start_folder(root: Path, plan: Plan, scenarios: dict[str, Scenario],
                  sources: dict[str, list[Path]] | None = None) -> None:
    if root.exists():
        raise FolderError(f"{root}: already exists; results are never overwritten (choose another --out, or --resume it)")
    try:
        root.mkdir(parents=True)
    except OSError as exc:
        raise FolderError(f"{root}: cannot create the results folder there ({exc.strerror or exc})") from None
    try:
        _write_start(root, plan, scenarios, sources)
    except BaseException:
        # a folder without its plan.json can be neither resumed nor reused (it exists): a write
        # that fails here (a full disk) or a stop leaves no folder, and the command is run again
        shutil.rmtree(root, ignore_errors=True)
        raise


def _write_start(root: Path, plan: Plan, scenarios: dict[str, Scenario], sources) -> None:
    """The scenarios (as run, and their files as written) and plan.json, last: its presence
    makes the folder resumable."""
    store = Store(root)
    for name, s in scenarios.items():
        store.arm_dir(name).mkdir(parents=True, exist_ok=True)
        atomic_write(store.arm_dir(name) / "scenario.toml", toml_text(s.to_dict()))
        # the scenario files as written, comments and all: they carry the sources and assumptions
        for i, src in enumerate((sources or {}).get(name, [])):
            (store.arm_dir(name) / "sources").mkdir(exist_ok=True)
            atomic_write(store.arm_dir(name) / "sources" / f"{i}-{Path(src).name}", Path(src).read_bytes())
    atomic_write(root / "plan.json", json_text(plan.__dict__))


def load_plan(root: Path) -> tuple[Plan, dict[str, Scenario]]:
    path = Path(root) / "plan.json"
    if not path.exists():
        raise FolderError(f"{root}: not a resumable results folder (no plan.json)")
    plan = Plan(**read_plan(root))
    store = Store(Path(root))
    scenarios = {a["name"]: load_scenario(store.arm_dir(a["name"]) / "scenario.toml") for a in plan.arms}
    return plan, scenarios


def _manifest(result: ExperimentResult, reps: list[int]) -> dict:
    plan = result.plan
    first = next(iter(result.arms.values())).scenario
    return {
        "version": __version__,
        "kind": plan.kind,
        "scenarios": {a["name"] or "run": a["label"] for a in plan.arms},
        "seed": plan.seed,
        "replications": len(reps),
        "first_replication": plan.first_rep,
        "days": first.run.days,
        "warmup_days": first.run.warmup_days,
        "command": plan.command,
        "stopped_by": result.stopped_by,
        "precision": plan.precision,
        "precision_kpis": plan.precision_kpis,
        "failed_replications": [{k: f[k] for k in ("arm", "replication", "seed", "scenario")} for f in result.failures],
        "wall_time_s": round(result.wall_s, 3),
        "executor": result.executor,
        "workers": result.workers,
        "calls_simulated": sum(a.calls for a in result.arms.values()),
        "python": platform.python_version(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _write_arm(folder: Path, arm: ArmResult) -> None:
    atomic_write(folder / "replications.csv", write_csv(arm.replications))
    atomic_write(folder / "downgrades.csv", write_csv(arm.downgrades))
    atomic_write(folder / "summary.csv", write_csv(arm.summary))
    with atomic_path(folder / "profiles.parquet") as tmp:
        arm.profiles.to_parquet(tmp, index=False)


def finish_folder(result: ExperimentResult, reps: list[int]) -> None:
    root = result.folder
    store = Store(root)
    for name, arm in result.arms.items():
        _write_arm(store.arm_dir(name), arm)
    if result.plan.kind == "compare":
        atomic_write(root / "comparison.csv", write_csv(result.comparison()))
    if result.plan.kind == "sweep":
        atomic_write(root / "sweep.csv", write_csv(result.sweep_table()))
    atomic_write(root / "manifest.json", json_text(_manifest(result, reps)) + "\n")
