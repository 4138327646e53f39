"""Writing files so that a reader never sees half of one: each file is written under a temporary
name in the same folder and renamed into place (``os.replace`` is atomic on one file system), and
an output folder is built under a temporary name and renamed when complete.

The temporary names start with a dot and end with ``.tmp-<pid>``: hidden from listings, and two
processes writing the same file never share one. Nothing is fsynced (no writer here ever was):
the rename protects readers from a half-written file, not the data from a power cut.

A write that fails (a full disk, a file-size limit) removes its temporary file and raises an
``OSError`` naming the file it was writing, which the command line reports in one line;
``unwritable`` says, before any work, why an output path could not be written at all.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

TEMP_NAME = re.compile(r"^\..+\.tmp-(\d+)$")   # what temp_path names: .<name>.tmp-<pid>
TEMP_ROOM = 16   # what a temporary name adds to a name: "." before, ".tmp-<pid>" (a pid of up to 7 digits) after
FILE_ROOM = 64   # what a command adds below its output folder (e.g. "/reps/rep-0001.profiles.parquet")


def temp_path(path: Path) -> Path:
    """The temporary name ``path`` is written under before it is renamed into place."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _named(exc: BaseException, path: Path, tmp: Path | None = None) -> None:
    """Put the final path on an OSError that does not name a file (a failed ``write`` does not,
    nor does pyarrow's), so the one-line message can say which file could not be written; a
    file named inside the temporary folder ``tmp`` (gone by then) is named where it was going."""
    if not isinstance(exc, OSError):
        return
    if not exc.filename:
        exc.filename = str(path)
    elif tmp is not None and Path(exc.filename).is_relative_to(tmp):
        exc.filename = str(path / Path(exc.filename).relative_to(tmp))


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
    except BaseException as exc:
        _remove(temps)
        _named(exc, finals[0] if len(finals) == 1 else finals[0].parent)
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
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _named(exc, final, tmp)
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


def _nearest_existing(path: Path) -> Path:
    """The deepest of ``path`` and its parents that exists (a name too long to look up counts
    as missing)."""
    for p in (path, *path.parents):
        try:
            if p.exists():
                return p
        except OSError:
            continue
    return Path(path.anchor or "/")


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError, AttributeError):   # pragma: no cover - not POSIX, or no such limit
        return default


def unwritable(path: Path) -> tuple[str, str] | None:
    """Why an output ``path`` (a folder or a file to create) could not be written (what the
    system would say, and the detail), or None; for
    asking before any work instead of failing after it (a run simulated, then nowhere to put it).
    Checked without creating anything that stays: each name to be made against the file
    system's longest (less room for the temporary name it is first written under), the whole
    path against the longest path (less room for the files a folder gets), the deepest existing
    folder being a folder, and a probe file created and removed in it. An existing ``path`` is
    the caller's to judge (a results folder is never overwritten; a report file may be)."""
    path = Path(os.path.abspath(path))
    size = len(os.fsencode(str(path)))
    longest = _limit(Path(path.anchor or "/"), "PC_PATH_MAX", 4096) - TEMP_ROOM - FILE_ROOM
    if size > longest:
        return (os.strerror(errno.ENAMETOOLONG), f"a path of {size:,} bytes: expected at most {longest:,} (the "
                "file system's limit, less room for the files in it)")
    base = _nearest_existing(path)
    if base == path:
        return None
    name_max = _limit(base, "PC_NAME_MAX", 255)
    for part in path.relative_to(base).parts:
        n = len(os.fsencode(part))
        if n > name_max - TEMP_ROOM:
            return (os.strerror(errno.ENAMETOOLONG), f"a name of {n:,} bytes ({part[:24]}...): expected at most "
                    f"{name_max - TEMP_ROOM} (the file system allows {name_max}, less room for a temporary name)")
    if not base.is_dir():
        return os.strerror(errno.ENOTDIR), f"{base} is a file, not a folder"
    probe = temp_path(base / ".triage-sim-probe")
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        return exc.strerror or str(exc), f"cannot write in {base}"
    probe.unlink(missing_ok=True)
    return None
