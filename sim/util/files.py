"""Writing files so that a reader never sees half of one: each file is written under a temporary
name in the same folder and renamed into place (``os.replace`` is atomic on one file system), and
an output folder is built under a temporary name and renamed when complete.

The temporary names start with a dot and end with ``.tmp-<pid>``: hidden from listings, and two
processes writing the same file never share one. Nothing is fsynced (no writer here ever was):
the rename protects readers from a half-written file, not the data from a power cut.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path


def temp_path(path: Path) -> Path:
    """The temporary name ``path`` is written under before it is renamed into place."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextmanager
def atomic_paths(paths):
    """Temporary paths to write ``paths`` to (``with atomic_paths([a, b]) as (ta, tb): ...``): all
    are renamed into place when the block ends without an error; on an error none is, and the
    temporary files are removed."""
    finals = [Path(p) for p in paths]
    temps = [temp_path(p) for p in finals]
    try:
        yield temps
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in zip(temps, finals):
        os.replace(tmp, final)


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
