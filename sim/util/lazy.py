"""A module imported on first use, so `triage-sim --help` and `check` start without loading
pandas, pyarrow, scipy, matplotlib or dask (about two seconds of a short run's wall time).

The modules a replication goes through (``sim.measures``, ``sim.experiment``) take pandas this
way too: a run in this process then loads it only after its model has let its callers go
(``Model.finish``), which keeps a force-year under its memory target (issue 27)."""
from __future__ import annotations

import importlib


class LazyModule:
    """Stands in for ``import NAME`` at module level; the import happens at the first attribute
    read (``stats.t``), after which it is an ordinary module lookup."""

    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{' (loaded)' if self._module else ''}>"
