"""The C library's functions the project calls through ``ctypes``: ``prctl`` (a child process
ends with its parent, ``sim.util.executors``) and ``malloc_trim`` (free pages handed back,
``sim.util.memory``). Linux with glibc has both; elsewhere each is ``None`` and its caller does
without."""
from __future__ import annotations

import ctypes


def libc_function(name: str):
    """glibc's function ``name`` (errno kept for ``ctypes.get_errno``), or None where there is none."""
    try:
        return getattr(ctypes.CDLL("libc.so.6", use_errno=True), name)
    except (OSError, AttributeError):   # not Linux, or not glibc
        return None
