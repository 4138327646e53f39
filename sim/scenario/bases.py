"""Where a scenario's ``base`` files (and its demand trace) may come from. A scenario file from
someone else must not make the tool read /etc/passwd or a home folder, so a base is confined to
the folder of the file given, the nearest enclosing ``scenarios`` folder, the shipped scenarios
and any folder the caller names (``--base-root DIR`` on the command line). The extra folders are
an argument, never process-wide state: one load trusting a folder does not make the next trust it.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sim.scenario.shipped import SHIPPED_SCENARIOS


def base_roots(top: Path, extra: Iterable[str | Path] | None = ()) -> list[Path]:
    """Where the ``base`` files of scenario file ``top`` may come from: its folder, the nearest
    enclosing folder called ``scenarios``, the shipped scenarios/, and the ``extra`` folders."""
    here = top.resolve().parent
    roots = [here]
    if (here / "manifest.json").is_file():   # a folder this tool wrote (a plan, a fit) refers to its input beside it
        roots.append(here.parent)
    roots += [p for p in here.parents if p.name == "scenarios"][:1]
    return roots + [SHIPPED_SCENARIOS] + [Path(r).resolve() for r in extra or ()]
