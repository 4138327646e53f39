"""Writing files so that a reader never sees half of one: each file is written under a temporary
name in the same folder and renamed into place (``os.replace`` is atomic on one file system), and
an output folder is built under a temporary name and renamed when complete.

The temporary names start with a dot and end with ``.tmp-<pid>``: hidden from listings, and two
processes writing the same file never share one. Nothing is fsynced (no writer here ever was):
the rename protects readers from a half-written file, not the data from a power cut.
"""
from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

TEMP_NAME = re.compile(r"^\..+\.tmp-(\d+)$")   # what temp_path names: .<name>.tmp-<pid>


def temp_path(path: Path) -> Path:
    """The temporary name ``path`` is written under before it is renamed into place."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextmanager
def atomic_paths(paths):
    """Temporary paths to write ``paths`` to (``with atomic_paths([a, b]) as (ta, tb): ...``): all
    are renamed into place when the block ends without an error; on an error (in the block or a
    rename) the temporary files not renamed yet are removed."""
    finals = [Path(p) for p in paths]
    temps = [temp_path(p) for p in finals]
    try:
        yield temps
        for tmp, final in zip(temps, finals):
            os.replace(tmp, final)
    except BaseException:
        _remove(temps)
        raise


def _remove(temps) -> None:
    """Remove the temporary files of a write that failed (a full disk, an interruption), those
    not renamed yet included; a file that cannot be removed must not hide the first error."""
    for tmp in temps:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


@contextmanager
def atomic_path(path: Path):
    """A temporary path for a writer that needs a path: ``with atomic_path(final) as tmp:
    df.to_parquet(tmp)``; renamed to ``path`` when the block ends without an error."""
    with atomic_paths([path]) as (tmp,):
        yield tmp


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` under a temporary name, then rename it."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


@contextmanager
def atomic_folder(final: Path):
    """A temporary sibling folder (``.<name>.tmp``, emptied if a stopped run left one) to write
    an output folder into; renamed to ``final`` when the block ends without an error, removed
    with what it holds on an error. The caller checks that ``final`` does not exist yet."""
    final = Path(final)
    tmp = final.with_name(f".{final.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (this one does; one we may not signal exists too)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):   # no such process (a pid past any possible one)
        return False
    except PermissionError:   # another user's
        return True
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove, anywhere under ``folder``, the temporary files (``.<name>.tmp-<pid>``) of writers
    that are no longer running; returns what was removed. Why: a write that fails removes its
    own, but a process killed mid-write (SIGKILL, a worker ended with its parent, the report
    process stopped while drawing) cannot, and ``--resume`` of that folder then completed with
    the stray file still in it. Files of a process still running are left alone: it may be
    about to rename them. Symbolic links are not followed."""
    removed = []
    for parent, dirs, files in os.walk(folder, followlinks=False):
        for name in files:
            m = TEMP_NAME.match(name)
            if m and not _running(int(m.group(1))):
                path = Path(parent) / name
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                removed.append(path)
    return removed
