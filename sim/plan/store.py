"""The plan folder as a store of finished steps, so an interrupted plan resumes where it stopped.

Every step of a plan is a pure function of its inputs: stage 1 of the scenario, each integer
program of its requirement and options, each simulation of its scenarios, seed and
replications. So each is stored under a hash of those inputs (``steps/<kind>-<hash>``) and
looked up before it is computed again. A simulation step is an ordinary run folder
(``sim.experiment.replications``): its finished replications are kept one by one, so a plan stopped in the
middle of a simulation loses at most the replications in flight, and a resumed plan takes the
same decisions and writes the same ``rota.toml``. Files are written atomically; a file that
cannot be read (the folder damaged from outside) is reported, never silently recomputed.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from sim import __version__
from sim.experiment.summary import ExperimentResult
from sim.util.errors import FolderError
from sim.experiment.task import Plan
from sim.experiment.replications import execute
from sim.scenario import Scenario
from sim.util.files import atomic_write


def digest(*parts) -> str:
    """A short stable hash of JSON-able inputs (dates and paths by their text)."""
    text = json.dumps([__version__, *parts], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class PlanStore:
    """``steps/`` of a plan folder: JSON answers and run folders, keyed by their inputs."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.steps = self.root / "steps"

    def damaged(self, path: Path, why: str) -> FolderError:
        return FolderError(f"{self.root}: damaged plan folder ({path.relative_to(self.root)}: {why}); "
                           "start a new plan with another --out")

    def get(self, kind: str, key: str) -> dict | None:
        path = self.steps / f"{kind}-{key}.json"
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.damaged(path, f"unreadable: {exc}") from None

    def put(self, kind: str, key: str, data: dict) -> None:
        self.steps.mkdir(parents=True, exist_ok=True)
        atomic_write(self.steps / f"{kind}-{key}.json", json.dumps(data, indent=1, default=str) + "\n")

    def experiment(self, kind: str, plan: Plan, scenarios: dict[str, Scenario], jobs: int | None,
                   dask: str | None = None) -> ExperimentResult:
        """Run (or finish, or read back) one simulation step in ``steps/<kind>-<hash>/``."""
        key = digest(kind, plan.kind, plan.seed, plan.first_rep, plan.reps,
                     {name: s.to_dict() for name, s in scenarios.items()})
        folder = self.steps / f"{kind}-{key}"
        started = (folder / "plan.json").exists()
        if folder.exists() and not started:      # stopped while the step's folder was being set up
            shutil.rmtree(folder)
        self.steps.mkdir(parents=True, exist_ok=True)
        if not started:
            return execute(plan, scenarios, out=folder, jobs=jobs, dask=dask)
        done = (folder / "manifest.json").exists()
        try:
            return execute(plan, scenarios, out=folder, jobs=1 if done else jobs, dask=None if done else dask,
                           resume=True)
        except FolderError as exc:
            if str(folder) in str(exc):   # a damaged file of this step, named by sim.experiment.folders
                raise self.damaged(folder, str(exc).replace(f"{folder}/", "")) from None
            raise
        except OSError:   # a full disk while finishing the step: the folder is not damaged, plan --resume finishes it
            raise
        except Exception as exc:  # noqa: BLE001 - a saved replication that cannot be read back
            raise self.damaged(folder, f"{type(exc).__name__}: {exc}") from None


def arrays_to_json(obj) -> dict:
    """A dataclass of numbers and numpy arrays as JSON (floats exactly, by their repr)."""
    import dataclasses

    import numpy as np
    out = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        out[f.name] = {"dtype": str(v.dtype), "shape": list(v.shape), "data": v.ravel().tolist()} \
            if isinstance(v, np.ndarray) else v
    return out


def arrays_from_json(cls, data: dict):
    import numpy as np
    return cls(**{k: np.array(v["data"], dtype=v["dtype"]).reshape(v["shape"]) if isinstance(v, dict) else v
                  for k, v in data.items()})
