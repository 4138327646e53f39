"""A trace from a CAD extract: the demand rows of an extract as the trace table a scenario can
replay (``[demand] trace``; the format is in ``sim.scenario.trace``)."""
from __future__ import annotations

import numpy as np


def _ranks(m, priority: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """Each row's order within its grade: the map lists its codes most urgent first, so codes that
    share a grade (e.g. P3 and P4 both G3) keep the force's order on the replay's pending list."""
    order: dict[str, int] = {}
    seen: dict[str, int] = {}
    for code, g in m.priorities.grades.items():
        order[code] = seen.get(g, 0)
        seen[g] = order[code] + 1
    return np.asarray([order.get(p, 0) for p in priority], dtype=np.int64)


def records_trace(rec) -> "object":
    """The demand rows of an extract (``sim.data.extract.Records``) as a trace table."""
    import pandas as pd

    d = rec.demand
    arrival = pd.Series(d["created_local"].to_numpy("datetime64[ms]")).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    def col(name):
        return np.round(d[name].to_numpy(float), 4)
    out = pd.DataFrame({
        "arrival": arrival.to_numpy(), "grade": d["grade"].to_numpy(), "channel": d["channel"].to_numpy(),
        "priority": d["priority"].to_numpy(), "handling_min": col("handling"), "travel_min": col("travel"),
        "on_scene_min": col("on_scene"), "units": d["units"].to_numpy(float), "dispatch_min": col("dispatch"),
        "scene_min": col("scene"),
        "rank": _ranks(rec.map, d["priority"].to_numpy(str), d["grade"].to_numpy(str)),
    })
    return out.sort_values("arrival", kind="stable").reset_index(drop=True)
