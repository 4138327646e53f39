"""The pending list: incidents waiting for a unit, most urgent first.

Ordered by current grade, then by its rank within the grade (0 unless a replayed force's own
priority codes say otherwise: two codes one grade, the more urgent first), then by the time the
incident was graded; with a rank lead (``response.rank_lead_minutes``) rank and time are one key
instead, each rank step counting as that many minutes later. An incident the control room
is holding back (call stacking, or the dispatcher still deciding) is on the list, counted and shown,
but not offered to units until it is released. SimPy's
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
                 "epoch", "cleared", "lead", "rank", "ready_at", "held", "clear_at", "clear_token", "remaining")

    def __init__(self, call_id: int, caller: int, grade: int, needed: int):
        self.id, self.caller, self.grade, self.needed = call_id, caller, grade, needed
        self.since = 0.0                 # when graded: its place within its grade
        self.queued = 0                  # heap sequence number of its live entry, 0 if not queued
        self.units: list = []            # units assigned (travelling or on scene)
        self.unresourced_since = None    # start of the current unresourced spell, if any
        self.epoch = 0                   # bumped when its grade changes: stale policy checks are ignored
        self.cleared = False
        self.lead = None                 # first unit on scene (takes any arrest to custody)
        self.rank = 0                    # order within its grade (a replayed force's finer priority)
        self.ready_at = 0.0              # when it first became ready for dispatch (end of call handling)
        self.held = False                # on the list but held back (stacked, or being decided)
        self.clear_at = 0.0              # when its on-scene work will end (while someone is on scene)
        self.clear_token = 0             # bumped when that work is interrupted: the stale clear is ignored
        self.remaining = None            # on-scene work left when its last unit there was taken away


class PendingList:
    def __init__(self, rank_lead: float | None = None):
        self._lead = rank_lead
        if rank_lead is not None:
            self.push = self._push_with_lead
        self._heap: list = []
        self._seq = 0
        self.size = 0
        self._held: dict[int, Incident] = {}   # held back, by incident id

    def push(self, inc: Incident) -> None:
        """Queue ``inc`` at its current grade (re-queue if it was already there)."""
        if inc.queued:
            self.size -= 1
            if inc.held:
                inc.held = False
                del self._held[inc.id]
        self._seq += 1
        inc.queued = self._seq
        heapq.heappush(self._heap, (inc.grade, inc.rank, inc.since, self._seq, inc))
        self.size += 1

    def _push_with_lead(self, inc: Incident) -> None:
        """``push`` with a rank lead: rank and time one key (set as ``push`` only when a lead is
        given, so the usual list runs the code it always ran)."""
        if inc.queued:
            self.size -= 1
            if inc.held:
                inc.held = False
                del self._held[inc.id]
        self._seq += 1
        inc.queued = self._seq
        heapq.heappush(self._heap, (*self._key(inc), self._seq, inc))
        self.size += 1

    def _key(self, inc: Incident) -> tuple:
        """The place within the grade: (rank, since), or with a rank lead (0, since + lead x rank)."""
        if self._lead is None or not inc.rank:
            return inc.grade, inc.rank if self._lead is None else 0, inc.since
        return inc.grade, 0, inc.since + self._lead * inc.rank

    def hold(self, inc: Incident) -> None:
        """Put ``inc`` on the list held back: counted and shown, not offered to units (``peek``)."""
        if inc.queued:
            self.remove(inc)
        self._seq += 1
        inc.queued = self._seq
        inc.held = True
        self._held[inc.id] = inc
        self.size += 1

    def release(self, inc: Incident) -> None:
        """End a hold: ``inc`` is offered to units from now on, in its place by grade and time."""
        if inc.held:
            inc.held = False
            del self._held[inc.id]
            inc.queued = 0
            self.size -= 1
            self.push(inc)

    def remove(self, inc: Incident) -> None:
        if inc.queued:
            inc.queued = 0
            self.size -= 1
            if inc.held:
                inc.held = False
                del self._held[inc.id]

    def peek(self) -> Incident | None:
        heap = self._heap
        while heap and heap[0][3] != heap[0][4].queued:
            heapq.heappop(heap)
        return heap[0][4] if heap else None

    def __len__(self) -> int:
        return self.size

    def in_order(self) -> list[Incident]:
        """Queued incidents, most urgent first (for tests and inspection, not the hot path)."""
        live = [e[4] for e in self._heap if e[3] == e[4].queued and not e[4].held]
        return sorted(live + list(self._held.values()), key=lambda i: (*self._key(i), i.queued))

    def held(self) -> list[Incident]:
        """Incidents held back now (for inspection and tests)."""
        return list(self._held.values())
