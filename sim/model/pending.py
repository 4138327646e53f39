"""The pending list: incidents waiting for a unit, most urgent first.

Ordered by current grade, then by the time the incident was graded. SimPy's
``PriorityResource`` fixes a request's priority when it is made, but a controller
re-grades waiting incidents, so the list is our own heap with lazy invalidation: a
re-graded incident is pushed again with its new grade and its old entry is skipped
when it reaches the top.
"""
from __future__ import annotations

import heapq


class Incident:
    """An incident that needs (or needed) response units; ``id`` is its call's row."""

    __slots__ = ("id", "caller", "grade", "since", "queued", "units", "needed", "unresourced_since",
                 "epoch", "cleared", "lead")

    def __init__(self, call_id: int, caller: int, grade: int, needed: int):
        self.id, self.caller, self.grade, self.needed = call_id, caller, grade, needed
        self.since = 0.0                 # when graded: its place within its grade
        self.queued = 0                  # heap sequence number of its live entry, 0 if not queued
        self.units: list = []            # units assigned (travelling or on scene)
        self.unresourced_since = None    # start of the current unresourced spell, if any
        self.epoch = 0                   # bumped when its grade changes: stale policy checks are ignored
        self.cleared = False
        self.lead = None                 # first unit on scene (takes any arrest to custody)


class PendingList:
    def __init__(self):
        self._heap: list = []
        self._seq = 0
        self.size = 0

    def push(self, inc: Incident) -> None:
        """Queue ``inc`` at its current grade (re-queue if it was already there)."""
        if inc.queued:
            self.size -= 1
        self._seq += 1
        inc.queued = self._seq
        heapq.heappush(self._heap, (inc.grade, inc.since, self._seq, inc))
        self.size += 1

    def remove(self, inc: Incident) -> None:
        if inc.queued:
            inc.queued = 0
            self.size -= 1

    def peek(self) -> Incident | None:
        heap = self._heap
        while heap and heap[0][2] != heap[0][3].queued:
            heapq.heappop(heap)
        return heap[0][3] if heap else None

    def __len__(self) -> int:
        return self.size

    def in_order(self) -> list[Incident]:
        """Queued incidents, most urgent first (for tests and inspection, not the hot path)."""
        live = [e for e in self._heap if e[2] == e[3].queued]
        return [e[3] for e in sorted(live, key=lambda e: e[:3])]
