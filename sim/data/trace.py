"""A trace from a CAD extract: the demand rows of an extract as the trace table a scenario can
replay (``[demand] trace``; the format is in ``sim.scenario.trace``)."""
from __future__ import annotations

import numpy as np


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
    })
    return out.sort_values("arrival", kind="stable").reset_index(drop=True)
