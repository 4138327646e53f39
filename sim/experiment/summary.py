"""Replications summed up: each arm's KPIs with 95% t-intervals (clipped to the values a KPI can
take), the paired differences of a comparison (B - A over common replications, which met the same
callers), and a sweep's table. Pure: frames in, frames out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from sim.experiment.task import Plan
from sim.measures.audit import COLUMNS as AUDIT_COLUMNS
from sim.measures.kpis import KPIS, description
from sim.scenario import Scenario
from sim.util.lazy import LazyModule
from sim.util.stats import clip_ci, mean_ci, welch_half_width

pd = LazyModule("pandas")   # on a replication's path: see sim.util.lazy

KPI_NAMES = [k.name for k in KPIS]
FEW_REPS = 5   # below this many replications the printout and report warn that intervals are wide
_UNITS = {k.name: k.unit for k in KPIS}


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
        rows.append({"kpi": k, "value": ci["mean"], "unit": _UNITS[k], "description": description(k, scenario), **ci})
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
                     "description": description(k, a.scenario)})
    return pd.DataFrame(rows)


def upper_bound(kpi: str) -> float:
    """The largest value a KPI can take: 1 for shares, none for counts and times (all are >= 0)."""
    return 1.0 if _UNITS[kpi] in ("share", "0/1") else math.inf


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
