"""Experiments: replications under common random numbers, confidence intervals, paired
comparisons and parameter sweeps, run serially, on a process pool or on Dask.

An experiment has one or more *arms* (a plain run: one arm; ``compare``: ``a`` and ``b``;
``sweep``: one per grid point), each a scenario run for the same replications. Replication
r of every arm uses seed ``seed`` and replication number r, so arms meet the same callers
(see ``sim.util.random``) and differences between arms are paired.

With an output folder, each finished replication is saved at once (``reps/rep-0007.json``
and its profiles), so an interrupted experiment keeps its work and ``resume`` finishes it,
giving the same final files as an uninterrupted run. Workers return KPIs and profiles only,
never an event log, so the parent's memory does not grow with the number of replications.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import platform
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.util.errors import FolderError  # noqa: F401 - re-exported (sim.experiment.replications.FolderError)
from sim.experiment.folders import json_text, read_json, read_plan
from sim.measures.audit import COLUMNS as AUDIT_COLUMNS, downgrade_audit
from sim.util.executors import SerialExecutor, make_executor
from sim.util.files import atomic_path, atomic_write
from sim.measures.kpis import KPIS, compute_kpis
from sim.model.core import run_model
from sim.measures.profiles import compute_profiles
from sim.scenario import Scenario, ScenarioError, apply_overrides, load_scenario, parse_override, validate
from sim.scenario.writing import toml_text, value_text
from sim.util.stats import clip_ci, mean_ci, relative_half_width, welch_half_width

KPI_NAMES = [k.name for k in KPIS]
FEW_REPS = 5   # below this many replications the printout and report warn that intervals are wide
_UNITS = {k.name: k.unit for k in KPIS}
_DESCRIPTIONS = {k.name: k.description for k in KPIS}


# ---------------------------------------------------------------------------- one replication
@dataclass(frozen=True)
class Task:
    arm: str
    scenario: Scenario
    seed: int
    replication: int
    events_dir: str | None = None
    events_formats: tuple = ("parquet",)


def run_task(task: Task) -> dict:
    """Run one replication (in whatever process the executor chose). Never raises: a failure
    comes back with its traceback, seed and replication so it can be rerun alone."""
    base = {"arm": task.arm, "replication": task.replication, "seed": task.seed,
            "scenario": task.scenario.meta.name}
    try:
        t0 = time.perf_counter()
        log = run_model(task.scenario, task.seed, task.replication)
        kpis = compute_kpis(log)
        profiles = compute_profiles(log)
        downgrades = downgrade_audit(log)
        if task.events_dir:
            _write_events(log, Path(task.events_dir), task.events_formats)
        return {**base, "ok": True, "kpis": kpis, "profiles": profiles, "downgrades": downgrades,
                "calls": int(len(log.calls)), "wall_s": time.perf_counter() - t0}
    except Exception:  # noqa: BLE001 - reported to the user with what is needed to rerun it
        return {**base, "ok": False, "error": traceback.format_exc()}


def event_formats(events) -> tuple[str, ...]:
    """Plan.events as formats: True (or "parquet") Parquet, "csv" CSV, "parquet,csv" both."""
    if not events:
        return ()
    return ("parquet",) if events is True else tuple(str(events).split(","))


def _write_events(log, folder: Path, formats=("parquet",)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    log.write_events(folder, formats)


# ---------------------------------------------------------------------------- storage
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
        atomic_write(self._rep_path(arm, rep, ".downgrades.csv"), result["downgrades"].to_csv(index=False))
        meta = {k: result[k] for k in ("arm", "replication", "seed", "scenario", "calls", "wall_s")}
        # the JSON is written last: its presence marks the replication as finished
        atomic_write(self._rep_path(arm, rep, ".json"), json_text({**meta, "kpis": result["kpis"]}, indent=1))

    def load(self, arm: str, rep: int) -> dict | None:
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
        parquet = self._rep_path(arm, rep, ".profiles.parquet")
        audit = self._rep_path(arm, rep, ".downgrades.csv")
        try:
            data["profiles"] = pd.read_parquet(parquet)
            data["downgrades"] = pd.read_csv(audit) if audit.exists() else pd.DataFrame(columns=AUDIT_COLUMNS)
        except Exception as exc:  # noqa: BLE001 - pyarrow and pandas raise many kinds for a damaged file
            raise FolderError(f"{parquet.parent}: rep-{rep:04d} damaged ({type(exc).__name__}); {hint}") from None
        data.setdefault("arm", arm)
        data.setdefault("calls", 0)
        data["ok"] = True
        return data


# ---------------------------------------------------------------------------- results
@dataclass
class ArmResult:
    """One scenario's replications: tidy frames for a notebook or for files."""
    name: str
    scenario: Scenario
    replications: pd.DataFrame
    summary: pd.DataFrame
    profiles: pd.DataFrame
    failures: list[dict] = field(default_factory=list)
    downgrades: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["replication", *AUDIT_COLUMNS]))
    wall_s: float = 0.0
    calls: int = 0

    def kpi(self, name: str) -> dict[str, float]:
        row = self.summary.set_index("kpi").loc[name]
        return {k: float(row[k]) for k in ("mean", "ci_low", "ci_high", "half_width", "reps")}


def summarise(results: list[dict], scenario: Scenario, name: str = "") -> ArmResult:
    ok = sorted((r for r in results if r["ok"]), key=lambda r: r["replication"])
    reps = pd.DataFrame([{"replication": r["replication"], "seed": r["seed"], **r["kpis"]} for r in ok],
                        columns=["replication", "seed", *KPI_NAMES])
    rows = []
    for k in KPI_NAMES:
        ci = clip_ci(mean_ci(reps[k].to_numpy(float)) if len(reps) else mean_ci([]), 0.0, upper_bound(k))
        rows.append({"kpi": k, "value": ci["mean"], "unit": _UNITS[k], "description": _DESCRIPTIONS[k], **ci})
    summary = pd.DataFrame(rows, columns=["kpi", "value", "unit", "description", "mean", "ci_low", "ci_high",
                                          "half_width", "reps", "clipped"])
    profiles = pd.concat([r["profiles"].assign(replication=r["replication"]) for r in ok], ignore_index=True) \
        if ok else pd.DataFrame(columns=["profile", "key", "x", "value", "replication"])
    failures = [{k: r[k] for k in ("arm", "replication", "seed", "scenario", "error")} for r in results if not r["ok"]]
    audits = [r["downgrades"].assign(replication=r["replication"]) for r in ok if len(r.get("downgrades", ()))]
    downgrades = pd.concat(audits, ignore_index=True)[["replication", *AUDIT_COLUMNS]] if audits else \
        pd.DataFrame(columns=["replication", *AUDIT_COLUMNS])
    return ArmResult(name, scenario, reps, summary, profiles, failures, downgrades,
                     wall_s=sum(r.get("wall_s", 0.0) for r in ok), calls=sum(r.get("calls", 0) for r in ok))


def paired_differences(a: ArmResult, b: ArmResult) -> pd.DataFrame:
    """Per KPI: mean of B - A over common replications, its paired CI and the unpaired half-width."""
    common = sorted(set(a.replications["replication"]) & set(b.replications["replication"]))
    ra = a.replications.set_index("replication").loc[common]
    rb = b.replications.set_index("replication").loc[common]
    rows = []
    for k in KPI_NAMES:
        top = upper_bound(k)   # a difference of shares lies in [-1, 1]
        diff = clip_ci(mean_ci((rb[k] - ra[k]).to_numpy(float)), -top, top)
        rows.append({"kpi": k, "unit": _UNITS[k], "mean_a": ra[k].mean(), "mean_b": rb[k].mean(),
                     "diff": diff["mean"], "ci_low": diff["ci_low"], "ci_high": diff["ci_high"],
                     "half_width": diff["half_width"], "reps": diff["reps"], "clipped": diff["clipped"],
                     "unpaired_half_width": welch_half_width(ra[k].to_numpy(float), rb[k].to_numpy(float)),
                     "description": _DESCRIPTIONS[k]})
    return pd.DataFrame(rows)


def upper_bound(kpi: str) -> float:
    """The largest value a KPI can take: 1 for shares, none for counts and times (all are >= 0)."""
    return 1.0 if _UNITS[kpi] in ("share", "0/1") else math.inf


# ---------------------------------------------------------------------------- running
@dataclass
class Plan:
    """What an experiment will run; saved as plan.json so it can be resumed."""
    kind: str                       # run | compare | sweep
    arms: list[dict]                # {"name": "", "label": ..., "values": {...}}
    seed: int
    first_rep: int = 0
    reps: int = 1
    events: bool | str = False      # True or "parquet", "csv", "parquet,csv": the event log's formats
    precision: float | None = None
    precision_kpis: list[str] = field(default_factory=list)
    max_reps: int = 100
    command: str = ""
    version: str = __version__

    def replications(self, n: int | None = None) -> list[int]:
        return list(range(self.first_rep, self.first_rep + (self.reps if n is None else n)))


class Runner:
    """Runs a plan's tasks on an executor, saving each finished replication if it has a store."""

    def __init__(self, plan: Plan, scenarios: dict[str, Scenario], executor=None, store: Store | None = None,
                 progress: bool = False):
        self.plan, self.scenarios, self.store = plan, scenarios, store
        self.executor = executor or SerialExecutor()
        self.progress = progress
        self.results: dict[tuple[str, int], dict] = {}
        self.wall_s = 0.0

    def _events_dir(self, arm: str, rep: int) -> str | None:
        if not self.plan.events or self.store is None:
            return None
        d = self.store.arm_dir(arm)
        return str(d if self.plan.reps == 1 and self.plan.precision is None else d / "events" / f"rep-{rep:04d}")

    def ensure(self, reps: list[int]) -> None:
        """Make sure every arm has these replications (loading finished ones from the store)."""
        todo = []
        for arm in self.scenarios:
            for rep in reps:
                if (arm, rep) in self.results and self.results[(arm, rep)]["ok"]:
                    continue
                saved = self.store.load(arm, rep) if self.store else None
                if saved is not None:
                    self.results[(arm, rep)] = saved
                else:
                    todo.append(Task(arm, self.scenarios[arm], self.plan.seed, rep, self._events_dir(arm, rep),
                                     event_formats(self.plan.events)))
        if not todo:
            return
        t0 = time.perf_counter()
        bar = _progress_bar(len(todo), self.progress)
        try:
            for result in self.executor.run(run_task, todo):
                if self.store:
                    self.store.save(result)
                self.results[(result["arm"], result["replication"])] = result
                bar.update(1)
        finally:
            bar.close()
            self.wall_s += time.perf_counter() - t0

    def arm(self, name: str, reps: list[int]) -> ArmResult:
        found = [self.results[(name, r)] for r in reps if (name, r) in self.results]
        return summarise(found, self.scenarios[name], name)

    def run(self) -> tuple[list[int], str | None]:
        """Run the plan; with a precision target, add replications until it is met.

        The stopping point is found by looking at replications in order, so it does not
        depend on how many ran at once: results are the same for any --jobs."""
        if self.plan.precision is None:
            reps = self.plan.replications()
            self.ensure(reps)
            return reps, None
        n = self.plan.reps
        batch = max(getattr(self.executor, "workers", 1), 1)
        while True:
            self.ensure(self.plan.replications(n))
            for m in range(max(self.plan.reps, 2), n + 1):
                if self._precise(self.plan.replications(m)):
                    return self.plan.replications(m), "precision"
            if n >= self.plan.max_reps:
                return self.plan.replications(n), "max_reps"
            n = min(n + batch, self.plan.max_reps)

    def _precise(self, reps: list[int]) -> bool:
        found = [self.results.get(("", r)) for r in reps]
        if any(f is None or not f["ok"] for f in found):
            return False
        return all(relative_half_width(mean_ci([f["kpis"][k] for f in found])) <= self.plan.precision
                   for k in self.plan.precision_kpis)


def _progress_bar(total: int, enabled: bool):
    """tqdm on stderr: only on a terminal and only for runs longer than ~2 s (CI logs stay clean)."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread (workers may be forked)
    return tqdm(total=total, unit="rep", desc="replications", file=sys.stderr, delay=2.0,
                disable=not (enabled and sys.stderr.isatty()), leave=False)


# ---------------------------------------------------------------------------- public API
def with_overrides(scenario: Scenario, overrides: list[str]) -> Scenario:
    """A copy of ``scenario`` with ``key=value`` overrides applied and validated again."""
    return validate(apply_overrides(scenario.to_dict(), overrides), source=f"{scenario.meta.name} (--set)")


def run_experiment(scenario: Scenario, reps: int = 1, *, seed: int | None = None, jobs: int | None = 1,
                   dask: str | None = None, out: Path | None = None, events: bool = False,
                   precision: float | None = None, kpis: tuple[str, ...] = (), max_reps: int = 100,
                   first_rep: int = 0, progress: bool = False, command: str = "",
                   sources: list[Path] | None = None) -> "ExperimentResult":
    """Replications of one scenario. Without ``out`` nothing is written to disk."""
    plan = Plan("run", [{"name": "", "label": scenario.meta.name, "values": {}}],
                scenario.run.seed if seed is None else int(seed), first_rep, reps, events, precision,
                list(kpis), max_reps, command)
    return execute(plan, {"": scenario}, out=out, jobs=jobs, dask=dask, progress=progress,
                   sources={"": sources or []})


def compare(a: Scenario, b: Scenario, reps: int = 10, **kw) -> "ExperimentResult":
    """Paired comparison: replication r of A and of B see the same callers."""
    seed = kw.pop("seed", None)
    plan = Plan("compare", [{"name": "a", "label": a.meta.name, "values": {}},
                            {"name": "b", "label": b.meta.name, "values": {}}],
                a.run.seed if seed is None else int(seed), kw.pop("first_rep", 0), reps, kw.pop("events", False),
                command=kw.pop("command", ""))
    srcs = kw.pop("sources", None) or {}
    return execute(plan, {"a": a, "b": b}, sources=srcs, **kw)


def sweep_points(vary: dict[str, list]) -> list[dict]:
    keys = list(vary)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(vary[k] for k in keys))]


def sweep(scenario: Scenario, vary: dict[str, list], reps: int = 5, **kw) -> "ExperimentResult":
    """Every point of the grid ``vary`` (dotted key -> values), each with the same replications."""
    seed = kw.pop("seed", None)
    arms, scenarios = [], {}
    for i, values in enumerate(sweep_points(vary)):
        name = f"p{i:03d}"
        overrides = [f"{k}={value_text(v)}" for k, v in values.items()]
        scenarios[name] = with_overrides(scenario, overrides)
        arms.append({"name": name, "label": ", ".join(f"{k}={v}" for k, v in values.items()), "values": values})
    plan = Plan("sweep", arms, scenario.run.seed if seed is None else int(seed), kw.pop("first_rep", 0), reps,
                kw.pop("events", False), command=kw.pop("command", ""))
    files = kw.pop("sources", None) or []
    return execute(plan, scenarios, sources={name: files for name in scenarios}, **kw)


@dataclass
class ExperimentResult:
    plan: Plan
    arms: dict[str, ArmResult]
    stopped_by: str | None
    wall_s: float
    executor: str
    workers: int
    folder: Path | None = None

    @property
    def result(self) -> ArmResult:
        """The single arm of a plain run."""
        return self.arms[""]

    @property
    def failures(self) -> list[dict]:
        return [f for arm in self.arms.values() for f in arm.failures]

    def comparison(self) -> pd.DataFrame:
        return paired_differences(self.arms["a"], self.arms["b"])

    def sweep_table(self) -> pd.DataFrame:
        rows = []
        for spec in self.plan.arms:
            arm = self.arms[spec["name"]]
            for _, r in arm.summary.iterrows():
                rows.append({"point": spec["name"], **spec["values"], "kpi": r["kpi"], "mean": r["mean"],
                             "ci_low": r["ci_low"], "ci_high": r["ci_high"], "half_width": r["half_width"],
                             "reps": r["reps"]})
        return pd.DataFrame(rows)


def execute(plan: Plan, scenarios: dict[str, Scenario], out: Path | None = None, jobs: int | None = 1,
            dask: str | None = None, progress: bool = False, resume: bool = False,
            sources: dict[str, list[Path]] | None = None) -> ExperimentResult:
    """Run (or finish) a plan; with ``out``, save as it goes and write the final files.
    ``sources``: per arm, the scenario files it came from (copied into the folder)."""
    n_tasks = len(scenarios) * plan.reps
    # the executor first: a scheduler that does not answer must not leave an empty folder behind
    executor = SerialExecutor() if (jobs == 1 and not dask) or (n_tasks == 1 and not dask and plan.precision is None) \
        else make_executor(jobs, dask)
    store = None
    try:
        if out is not None:
            store = Store(Path(out))
            if not resume:
                _start_folder(Path(out), plan, scenarios, sources)
    except BaseException:
        executor.close()
        raise
    try:
        runner = Runner(plan, scenarios, executor, store, progress)
        reps, stopped_by = runner.run()
    finally:
        executor.close()
    arms = {name: runner.arm(name, reps) for name in scenarios}
    result = ExperimentResult(plan, arms, stopped_by, runner.wall_s, executor.name, executor.workers,
                              Path(out) if out else None)
    if out is not None:
        _finish_folder(result, reps)
    return result


# ---------------------------------------------------------------------------- folders
def _start_folder(root: Path, plan: Plan, scenarios: dict[str, Scenario],
                  sources: dict[str, list[Path]] | None = None) -> None:
    if root.exists():
        raise FolderError(f"{root}: already exists; results are never overwritten (choose another --out, or --resume it)")
    try:
        root.mkdir(parents=True)
    except OSError as exc:
        raise FolderError(f"{root}: cannot create the results folder there ({exc.strerror or exc})") from None
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


def resume(root: Path, jobs: int | None = None, dask: str | None = None, progress: bool = False) -> ExperimentResult:
    """Finish an interrupted experiment: run only the replications it does not have yet
    (and any that failed). A complete folder is left exactly as it is."""
    manifest = Path(root) / "manifest.json"
    if manifest.exists() and not read_json(manifest).get("failed_replications"):
        raise FolderError(f"{root}: already complete, nothing to resume (its files are left as they are)")
    plan, scenarios = load_plan(root)
    return execute(plan, scenarios, out=Path(root), jobs=jobs, dask=dask, progress=progress, resume=True)


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
    atomic_write(folder / "replications.csv", arm.replications.to_csv(index=False))
    atomic_write(folder / "downgrades.csv", arm.downgrades.to_csv(index=False))
    atomic_write(folder / "summary.csv", arm.summary.to_csv(index=False))
    with atomic_path(folder / "profiles.parquet") as tmp:
        arm.profiles.to_parquet(tmp, index=False)


def _finish_folder(result: ExperimentResult, reps: list[int]) -> None:
    root = result.folder
    store = Store(root)
    for name, arm in result.arms.items():
        _write_arm(store.arm_dir(name), arm)
    if result.plan.kind == "compare":
        atomic_write(root / "comparison.csv", result.comparison().to_csv(index=False))
    if result.plan.kind == "sweep":
        atomic_write(root / "sweep.csv", result.sweep_table().to_csv(index=False))
    atomic_write(root / "manifest.json", json_text(_manifest(result, reps)) + "\n")


# ---------------------------------------------------------------------------- parsing --vary
def parse_vary(text: str) -> tuple[str, list]:
    """``KEY=V1,V2,...`` (each value read as TOML) or ``KEY=START:STOP:STEP`` (inclusive)."""
    if "=" not in text:
        raise ScenarioError("--vary", "", text, "expected KEY=V1,V2,... or KEY=START:STOP:STEP")
    key, raw = text.split("=", 1)
    raw = raw.strip()
    if raw.count(":") == 2 and "," not in raw:
        try:
            start, stop, step = (float(x) for x in raw.split(":"))
        except ValueError:
            raise ScenarioError("--vary", key, raw, "expected numbers START:STOP:STEP") from None
        if step <= 0 or stop < start:
            raise ScenarioError("--vary", key, raw, "expected STEP > 0 and STOP >= START")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        values = [round(start + i * step, 10) for i in range(n)]  # 0.1 + 0.2 labelled 0.3
        if all(float(v).is_integer() for v in (start, stop, step)):
            values = [int(round(v)) for v in values]
        return key.strip(), values
    values = [parse_override(f"x={v}")[1] for v in raw.split(",") if v.strip()]
    if not values:
        raise ScenarioError("--vary", key, raw, "expected at least one value")
    return key.strip(), values

