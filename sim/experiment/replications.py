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

Here: running a plan's tasks (``Runner``, ``execute``) and the public API (``run_experiment``,
``compare``, ``sweep``, ``resume``, ``with_overrides``, ``parse_vary``). Beside it: what runs
(``task``), the summaries and paired differences (``summary``), the results folder (``store``).
"""
from __future__ import annotations

import itertools
import math
import sys
import time
from pathlib import Path

from sim.experiment.folders import read_json
from sim.experiment.store import Store, finish_folder, load_plan, start_folder
from sim.experiment.summary import ArmResult, ExperimentResult, summarise
from sim.experiment.task import Plan, Task, event_formats, run_task
from sim.scenario import Scenario, ScenarioError, apply_overrides, parse_override, validate
from sim.scenario.writing import value_text
from sim.util.errors import FolderError
from sim.util.executors import SerialExecutor, make_executor
from sim.util.files import remove_stale_temps
from sim.util.stats import mean_ci, relative_half_width


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
                saved = self.store.load(arm, rep, self.plan.seed) if self.store else None
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
                if result.get("os_error") is not None:   # e.g. a full disk under the event log
                    raise result["os_error"]
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
    """A copy of ``scenario`` with ``key=value`` overrides applied and validated again. The trace
    file is not among what may change here: a file path from an option must go through the
    scenario loader's confinement (``load_scenario``), which knows the folders the file may come from."""
    for text in overrides:
        keys, value = parse_override(text)
        if keys[:2] == ["demand", "trace"] or keys == ["demand"]:
            raise ScenarioError(f"{scenario.meta.name} (--set)", "demand.trace", value,
                                "a trace is named in the scenario file or by run/check --set (confined to the "
                                "scenario's folders); it cannot be varied or swept")
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
    """Paired comparison: replication r of A and of B see the same callers, over the same period:
    arms of different lengths, warm-ups or start dates are refused (their differences in counts
    would be the period's, not the change's: calls offered -34,228 with a tight interval)."""
    for key in ("days", "warmup_days", "start_date"):
        va, vb = getattr(a.run, key), getattr(b.run, key)
        if va != vb:
            raise ScenarioError(f"{b.meta.name} (arm B)", f"run.{key}", vb,
                                f"the same as arm A's ({va}): a paired comparison needs both arms over the same period "
                                f"(give --days/--warmup-days to both, or --set-b run.{key}={va})")
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
                start_folder(Path(out), plan, scenarios, sources)
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
        finish_folder(result, reps)
    return result


def resume(root: Path, jobs: int | None = None, dask: str | None = None, progress: bool = False) -> ExperimentResult:
    """Finish an interrupted experiment: run only the replications it does not have yet
    (and any that failed). A complete folder is left exactly as it is."""
    manifest = Path(root) / "manifest.json"
    if manifest.exists() and not read_json(manifest).get("failed_replications"):
        raise FolderError(f"{root}: already complete, nothing to resume (its files are left as they are)")
    plan, scenarios = load_plan(root)
    remove_stale_temps(root)   # what a run killed mid-write left
    return execute(plan, scenarios, out=Path(root), jobs=jobs, dask=dask, progress=progress, resume=True)


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
