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


_M64 = (1 << 64) - 1
_TWO_M53 = 2.0 ** -53


def _mix(x: int) -> int:
    """SplitMix64's finaliser: a 64-bit integer to a well-mixed 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _mix_array(x: np.ndarray) -> np.ndarray:
    """``_mix`` over a uint64 array."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class Streams:
    """Hands out one independent ``numpy.random.Generator`` per stream name."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed, self.replication = int(seed), int(replication)
        self._cache: dict[str, np.random.Generator] = {}
        self._hash_base: dict[str, int] = {}

    def keyed(self, name: str, *ids: int) -> np.random.Generator:
        """A generator keyed by a stream name and integer ids >= 0 (e.g. caller and attempt, or
        shift and day): the same numbers whatever else happened in the run. For rare draws only
        (it builds a generator each time)."""
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, _name_key(name), *map(int, ids)))
        return np.random.Generator(np.random.PCG64(ss))

    def uniform(self, name: str, *ids: int) -> float:
        """One uniform from ``keyed(name, *ids)``."""
        return float(self.keyed(name, *ids).random())

    def hashed(self, name: str, *ids: int) -> float:
        """A uniform in [0, 1) keyed like ``uniform`` but ~20x cheaper: SplitMix64 over the seed,
        replication, stream name and ids (no generator is built). For draws that are frequent
        and keyed (e.g. an appointment's k-th cancellation), where ``uniform`` would show up in
        the run time; not for batches."""
        base = self._hash_base.get(name)
        if base is None:
            base = self._hash_base[name] = _mix(self.seed ^ _mix(self.replication ^ _mix(_name_key(name))))
        h = base
        for i in ids:
            h = _mix(h ^ int(i))
        return (h >> 11) * _TWO_M53

    def hashed_bits(self, name: str, ids: np.ndarray) -> np.ndarray:
        """``hashed(name, i)``'s 64-bit hash for every ``i`` of ``ids`` at once (numpy's uint64
        arithmetic wraps as SplitMix64 does), for a draw made per caller on the hot path:
        ``hashed(name, i) == (bits[i] >> 11) * 2**-53``."""
        if name not in self._hash_base:
            self.hashed(name)
        return _mix_array(np.uint64(self._hash_base[name]) ^ np.asarray(ids, dtype=np.uint64))

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, _name_key(name)))
            gen = self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return gen
