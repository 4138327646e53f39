"""Response units and neighbourhood officers: what a unit is doing, and its state on a shift.

A unit's life on a shift: briefing and other non-incident blocks when due and free; otherwise it is
free, or on a job (travel -> on scene -> custody if it made the arrest -> admin), or off duty.
"""
from __future__ import annotations

from sim.model.log import POOLS

FREE, TRAVEL, SCENE, AFTER, BLOCK, OFF = range(6)
RESPONSE, NEIGHBOURHOOD = POOLS.index("response"), POOLS.index("neighbourhood")


class Unit:
    __slots__ = ("id", "pool", "shift", "team", "start", "end", "state", "job", "token", "job_start",
                 "off_due", "blocks_due", "borrowed_at", "arrive_at", "block_end", "block_row")

    def __init__(self, uid: int, pool: int, shift: int, team: int, start: float, end: float):
        self.id, self.pool, self.shift, self.team, self.start, self.end = uid, pool, shift, team, start, end
        self.state = FREE
        self.job = None         # the incident it is on (en route, on scene)
        self.token = 0          # bumped when the unit is re-tasked: its stale timers are ignored
        self.job_start = 0.0
        self.off_due = False    # shift over, leaves when its job ends
        self.blocks_due: list = []
        self.borrowed_at = 0.0
        self.arrive_at = 0.0    # en route: when it will be on scene
        self.block_end = 0.0    # on a break or other block: when it ends, and its activity row
        self.block_row = -1
