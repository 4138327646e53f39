"""The report drawn by a process started before the simulation, so that importing matplotlib,
pandas and pyarrow for the figures (about half a second) happens on the other core while the
replications run, not after them. A short default run is then under 3 s end to end.

``with ReportProcess() as rp: ...; rp.write(folder, formats, title)`` gives what
``sim.report.page.write_report`` gives, or raises what it raises. If the process cannot be used
(no fork, it died), the report is written here instead: the same files either way. The process
itself is a ``sim.util.executors.ForkedService``, like every process the project starts.
"""
from __future__ import annotations

from sim.util.executors import ForkedService


def _prepare() -> None:
    from sim.report import page  # noqa: F401 - the point: matplotlib, pandas, pyarrow loaded while the parent simulates
    import pypdf  # noqa: F401 - report.pdf joins its pages with it (~0.1 s to import)
    from sim.report.figures.drawing import warm_up

    warm_up()   # and their font and text caches filled, for the drawing processes forked from here


def _write(folder, formats, title):
    from sim.report.page import write_report

    return write_report(folder, formats, title)


class ReportProcess(ForkedService):
    def __init__(self, enabled: bool = True):
        super().__init__(_write, _prepare, enabled, name="triage-sim-report")

    def write(self, folder, formats=("png",), title=None):
        return self.call(folder, tuple(formats), title)
