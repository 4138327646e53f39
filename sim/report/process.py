"""The report drawn by a process started before the simulation, so that importing matplotlib,
pandas and pyarrow for the figures (about half a second) happens on the other core while the
replications run, not after them. A short default run is then under 3 s end to end.

``with ReportProcess() as rp: ...; rp.write(folder, formats, title)`` gives what
``sim.report.page.write_report`` gives, or raises what it raises. If the process cannot be used
(no fork, it died), the report is written here instead: the same files either way.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal


def _serve(conn, parent: int) -> None:
    from sim.util.executors import _die_with_parent

    _die_with_parent(parent)   # ignores Ctrl-C (the parent's to handle), ends with the parent
    from sim.report import page as report   # the point: matplotlib, pandas, pyarrow loaded while the parent simulates
    from sim.report.figures.drawing import warm_up

    warm_up()   # and their font and text caches filled, for the drawing processes forked from here

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        folder, formats, title = job
        try:
            conn.send(("ok", report.write_report(folder, formats, title)))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            try:
                conn.send(("error", exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


class ReportProcess:
    def __init__(self, enabled: bool = True):
        self.proc = self.conn = None
        self.used = False
        if enabled and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon:
            ctx = mp.get_context("fork")
            self.conn, child = ctx.Pipe()
            self.proc = ctx.Process(target=_serve, args=(child, os.getpid()), name="triage-sim-report")
            # the child is forked with the default SIGTERM action, not the CLI's handler: a
            # terminate() that lands before _serve has started (bad input found at once) then ends
            # it quietly instead of printing "Exception ignored in _after_fork" with a traceback
            old = signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                self.proc.start()
            finally:
                signal.signal(signal.SIGTERM, old)
            child.close()

    def __enter__(self) -> "ReportProcess":
        return self

    def write(self, folder, formats=("png",), title=None):
        if self.proc is not None and self.proc.is_alive():
            self.used = True
            try:
                self.conn.send((folder, tuple(formats), title))
                status, value = self.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                status = None   # it died: draw here
            if status == "ok":
                return value
            if status == "error":
                raise value
        from sim.report.page import write_report
        return write_report(folder, formats, title)

    def close(self) -> None:
        if self.proc is None:
            return
        if not self.used:   # nothing was drawn (bad input, an interruption): no need to wait for it
            self.proc.terminate()
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.conn.close()
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=2)
        self.proc = None

    def __exit__(self, *exc) -> None:
        self.close()
