"""Opening a file from outside within a bound on what it may expand to: a 4 MB ``.gz`` can hold
4 GB. The bytes given are counted after decompression, and going past the bound raises
``InputTooLarge`` (the caller words it for its own file kind).
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from pathlib import Path


class InputTooLarge(Exception):
    """More than ``limit`` bytes once decompressed."""

    def __init__(self, limit: int):
        super().__init__(f"larger than {limit:,} bytes once decompressed")
        self.limit = limit


class NotOneFile(Exception):
    """A zip that does not hold exactly one file."""


class _Bounded(io.RawIOBase):
    def __init__(self, raw, limit: int):
        self._raw, self._left, self._limit = raw, limit, limit

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._raw.read(min(len(b), self._left + 1))
        if len(data) > self._left:
            raise InputTooLarge(self._limit)
        self._left -= len(data)
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _decompressed(path: Path):
    """The file's bytes, decompressed by its suffix (.gz, .bz2, .xz, .zip with one member)."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix in (".xz", ".lzma"):
        return lzma.open(path, "rb")
    if suffix == ".zip":
        z = zipfile.ZipFile(path)
        names = [n for n in z.namelist() if not n.endswith("/")]
        if len(names) != 1:
            raise NotOneFile(f"expected a zip holding one file, it holds {len(names)}")
        return z.open(names[0])
    return open(path, "rb")


def open_bounded(path: str | Path, limit: int) -> io.BufferedReader:
    """A binary reader of ``path`` (decompressed) that raises ``InputTooLarge`` past ``limit`` bytes."""
    return io.BufferedReader(_Bounded(_decompressed(Path(path)), limit))


# what opening or reading a damaged compressed file raises, beside OSError
DAMAGED = (EOFError, lzma.LZMAError, zipfile.BadZipFile, NotOneFile)
