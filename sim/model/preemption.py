"""Emergency access to busy officers (issue 23): whether the controller takes a busy unit for an
incident that finds none free, and which one. The dispatcher carries it out (``_take_busy``)."""
from __future__ import annotations

from sim.model.units import BLOCK, RESPONSE, SCENE, TRAVEL

BREAK_RANK = 5   # a break, a briefing or statements: lower than any job


def asked(config, taker, streams) -> bool:
    """Whether the controller takes a busy unit for ``taker``: the scenario's share for its grade,
    drawn with this incident's own uniform (common random numbers across scenarios)."""
    if taker.grade == 1:
        return config.probability >= 1.0 or streams.hashed("preemption", taker.caller, taker.id) < config.probability
    return streams.hashed("preemption.g2", taker.caller, taker.id) < config.probability_g2


def choose(units, taker_grade: int, config, grades: set[int]):
    """The unit to take for an incident of ``taker_grade``, or None: a response unit still in its
    shift, en route to or (``from_scene``) on scene at a job of ``grades`` less urgent than the
    taker's, or (``from_blocks``) on a break or other block. ``lowest_grade_first``: the least
    urgent work (a break lowest), then the nearest to finish; ``nearest_to_finish``: the other
    way round. Finish: arrival for a unit en route, the scene's end, the block's end."""
    lowest_first = config.rule == "lowest_grade_first"
    best, best_key = None, None
    for u in units:
        if u.pool != RESPONSE or u.off_due:
            continue
        state = u.state
        if state == TRAVEL or (state == SCENE and config.from_scene):
            job = u.job
            if job.grade not in grades or job.grade <= taker_grade:
                continue
            rank, finish = job.grade, (u.arrive_at if state == TRAVEL else job.clear_at)
        elif state == BLOCK and config.from_blocks:
            rank, finish = BREAK_RANK, u.block_end
        else:
            continue
        key = (-rank, finish) if lowest_first else (finish, -rank)
        if best is None or key < best_key:
            best, best_key = u, key
    return best
