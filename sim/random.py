"""Named random streams for common random numbers (CRN).

Each replication has its own ``SeedSequence`` (spawn key ``(replication,)``); inside it a
stream is derived from its *name*, never from creation order. Two scenarios run with the
same seed and replication therefore see the same callers with the same needs, even when
one of them draws more numbers in some other stream. No global random state is used.
"""
from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    """A stable 32-bit integer for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


class Streams:
    """Hands out one independent ``numpy.random.Generator`` per stream name."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed, self.replication = int(seed), int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def keyed(self, name: str, *ids: int) -> np.random.Generator:
        """A generator keyed by a stream name and integer ids >= 0 (e.g. caller and attempt, or
        shift and day): the same numbers whatever else happened in the run. For rare draws only
        (it builds a generator each time)."""
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, _name_key(name), *map(int, ids)))
        return np.random.Generator(np.random.PCG64(ss))

    def uniform(self, name: str, *ids: int) -> float:
        """One uniform from ``keyed(name, *ids)``."""
        return float(self.keyed(name, *ids).random())

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, _name_key(name)))
            gen = self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return gen
