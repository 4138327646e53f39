"""A sweep's points as a reader meets them: each named by its values ("units on the late shift =
70"), the cheapest one meeting HMIC's recommendation in every replication, or else the closest.
The verdict, the KPI table and the figures all pick and name points the same way, here.
"""
from __future__ import annotations

from sim.report.figures.arms import ArmView
from sim.report.figures.sweep import key_label
from sim.report.folder import Folder


def cheapest_point(f: Folder) -> int | None:
    """The sweep point meeting the recommendation in every replication with the smallest values
    of the varied keys (their sum when all are numbers; else the first in grid order)."""
    ok = [i for i, a in enumerate(f.arms) if a.kpi("meets_recommendation") >= 1 - 1e-9]
    if not ok:
        return None

    def cost(i):
        vals = list(f.arms[i].values.values())
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
        return (sum(vals) if numeric else 0, i)
    return min(ok, key=cost)


def closest_point(points: list[ArmView]) -> int:
    """When no point meets the recommendation: the one meeting it in most replications, then
    with the fewest resource-driven downgrades a week."""
    return max(range(len(points)), key=lambda i: (_nz(points[i].kpi("meets_recommendation")),
                                                  -_nz(points[i].kpi("resource_downgrades_per_week"), 1e9)))


def labelled_points(f: Folder) -> list[ArmView]:
    """The sweep's arms, each labelled by its values."""
    return [ArmView(p.name, point_label(p, f.keys), p.profiles, p.kpis, p.scenario, p.values) for p in f.arms]


def point_label(p: ArmView, keys: list[str]) -> str:
    if not p.values:
        return p.label
    return ", ".join(f"{key_label(k)} = {value_text(p.values[k])}" for k in keys if k in p.values)


def value_text(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _nz(v: float, default: float = -1.0) -> float:
    return default if v != v else v
