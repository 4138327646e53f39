"""Memory handed back to the operating system between the phases of a replication.

What Python and numpy free goes back to the C allocator, and glibc's keeps most of it for later
(its heap shrinks only from the top). A force-year's run frees its model (~100 MB of callers,
timers and objects) before the KPIs are computed and the event log is written; without a trim,
each later phase adds its temporaries on top of what the run left, and the process peaks ~25 MB
higher (issue 27: a year with ``--events`` in at most 300 MB). ``malloc_trim`` returns every
whole free page (Dask documents the same call for its workers' unmanaged memory). Elsewhere than
glibc (macOS, musl) there is nothing to call and nothing is done.
"""
from __future__ import annotations

import functools

from sim.util.libc import libc_function


@functools.cache
def _malloc_trim():
    return libc_function("malloc_trim")


def give_back() -> None:
    """Return the allocator's free pages to the system (a few ms after a force-year's run)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
