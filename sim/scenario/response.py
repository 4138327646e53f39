"""Response: the units attending incidents (their pool, areas and travel, time on scene, arrests
and custody, breaks, G1 reserve and end-of-shift protection), G3 appointments (the diary), and
the neighbourhood officers a risk-led policy may borrow.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from sim.scenario.base import GRADES, MAX_FACTOR, MAX_HEADS, Grade, _check_probabilities, _Strict
from sim.scenario.pools import UnitShift, _Pool
from sim.util.distributions import Distribution, Fixed

class Area(_Strict):
    share: float = Field(ge=0, le=1)
    blue_light: Distribution
    normal: Distribution


class NonIncidentBlock(_Strict):
    """Time a unit spends off incidents (briefing, refreshment break, statements), taken at the
    first free moment after it falls due. Due times are staggered evenly over
    ``spread_hours`` from ``after_hours`` into the shift, as supervisors stagger breaks."""
    after_hours: float = Field(ge=0)
    minutes: float = Field(gt=0)
    spread_hours: float = Field(default=0.0, ge=0)


DispatchGrade = Literal["G1", "G2", "G3"]
StackedGrade = Literal["G2", "G3"]


MAX_AREAS = 100          # a caller's area is kept in 8 bits
MAX_UNITS_NEEDED = 100   # units one incident may need: the model keeps each caller's need in 8 bits


class Stacking(_Strict):
    """Call stacking: the control room holding lower-grade incidents back before dispatch, a known
    practice (HMICFRS reports forces "stacking" calls at peaks; a US centre's data show it even when
    nothing else is waiting). Two rules, either or both:

    * ``hold``: a deliberate hold per incident, drawn from the grade's distribution when it becomes
      ready (``hold_by_priority``: for replayed calls, by the force's own priority code instead,
      e.g. two codes the map sends to one grade but the force defers differently);
    * ``min_free``: an incident of the grade is dispatched only while more than this many response
      units are free (the rest are kept for more urgent work).

    A held incident is on the pending list (counted, shown, escalated or downgraded like any other);
    it is not given a unit before its hold ends. A G1 is never stacked."""
    hold: dict[StackedGrade, Distribution] = {}
    hold_by_priority: dict[str, Distribution] = {}
    min_free: dict[StackedGrade, int] = {}

    @field_validator("min_free")
    @classmethod
    def _min_free(cls, v):
        for g, k in v.items():
            if not 0 <= k <= MAX_HEADS:
                raise ValueError(f"min_free.{g} = {k}: expected a whole number of units from 0 to {MAX_HEADS:,}")
        if v.get("G2", 0) > v.get("G3", 0):
            raise ValueError(f"min_free.G2 = {v['G2']} is more than min_free.G3 = {v.get('G3', 0)}: a G3 would be "
                             "dispatched when a G2 may not; expected G3's threshold at least G2's")
        return v


class Preemption(_Strict):
    """Emergency access to busy officers: a G1 that becomes ready with no unit free may take one from
    lower-grade work, with probability ``probability`` (the controller's share of such G1s; 1 =
    always). Candidates: response units en route to or on scene at a job of ``from_grades``
    (``from_scene`` false: en route only), and, with ``from_blocks``, units on a break or another
    non-incident block (custody and paperwork are never interrupted). ``rule`` picks among them:
    ``lowest_grade_first`` (a break counts as lower than any job; ties: nearest to finish) or
    ``nearest_to_finish`` (the unit whose current work would end first). The interrupted incident goes
    back on the pending list with its remaining on-scene work; a break's remainder is taken later.
    ``probability_g2``: the same for a G2 with no unit free, from a G3 job or a break only (a
    controller finding an officer for a priority call; 0 = never)."""
    enabled: bool = False
    probability: float = Field(default=1.0, ge=0, le=1)
    probability_g2: float = Field(default=0.0, ge=0, le=1)
    from_grades: list[StackedGrade] = Field(default=["G2", "G3"], min_length=1)
    from_scene: bool = True
    from_blocks: bool = True
    rule: Literal["lowest_grade_first", "nearest_to_finish"] = "lowest_grade_first"


class Response(_Pool):
    shifts: dict[str, UnitShift] = {}
    areas: dict[str, Area]
    units_needed: dict[Grade, dict[str, float]] = {}
    on_scene: dict[Grade, Distribution]
    arrest_probability: dict[Grade, float] = {}
    custody: Distribution = Fixed(family="fixed", value=180.0)
    admin: Distribution = Fixed(family="fixed", value=0.0)
    non_incident: dict[str, NonIncidentBlock] = {}
    blue_light_grades: list[Grade] = ["G1"]
    reserve_for_g1: int = Field(default=0, ge=0)
    divert_to_g1_from: list[Literal["G2", "G3"]] = []
    # end-of-shift protection: no new job of these grades for a unit (or a borrowed neighbourhood
    # officer) with less than this many minutes of its shift left; it is kept for G1s (and for
    # G2s when only G3 is protected). 0 = any job up to the last minute
    end_of_shift_minutes: float = Field(default=0.0, ge=0)
    end_of_shift_grades: list[Literal["G2", "G3"]] = Field(default=["G2", "G3"], min_length=1)
    # dispatcher decision time: from ready to dispatch when a unit is free, per grade (none: at once)
    decision: dict[DispatchGrade, Distribution] = {}
    stacking: Stacking = Stacking()
    preemption: Preemption = Preemption()
    # replayed calls whose force ranks two codes within one grade (trace column rank, e.g. P3 before
    # P4 in G3): none = strictly by rank; a number = each rank step is worth this many minutes of
    # waiting, so a P3 goes before the P4s that became ready less than that long before it, and after
    # older ones (controllers do not leave a P4 waiting for ever behind every new P3)
    rank_lead_minutes: float | None = Field(default=None, ge=0, le=100_000)

    @property
    def delays_dispatch(self) -> bool:
        """Whether a ready incident may wait for something other than a unit (decision time, a hold)."""
        return bool(self.decision or self.stacking.hold or self.stacking.hold_by_priority)

    @field_validator("areas")
    @classmethod
    def _shares(cls, v):
        if not v:
            raise ValueError("expected at least one area")
        if len(v) > MAX_AREAS:
            raise ValueError(f"{len(v):,} areas: expected at most {MAX_AREAS} (a caller's area is stored in 8 bits)")
        _check_probabilities({k: a.share for k, a in v.items()}, "area shares")
        return v

    @field_validator("end_of_shift_grades")
    @classmethod
    def _end_of_shift_grades(cls, v):
        if "G2" in v and "G3" not in v:
            raise ValueError('expected ["G3"] or ["G2", "G3"]: a unit kept back from G2s is kept back from '
                             "the less urgent G3s too (otherwise G3s would wait behind a G2 it may not take)")
        return v

    @field_validator("units_needed")
    @classmethod
    def _units_needed(cls, v):
        for g, row in v.items():
            for k in row:
                if not k.isdigit() or not 1 <= int(k) <= MAX_UNITS_NEEDED:
                    raise ValueError(f"units_needed.{g}: keys are unit counts 1, 2, 3... up to {MAX_UNITS_NEEDED} (as a "
                                     f"trace's units column; a caller's need is stored in one byte); got {k!r}")
            _check_probabilities(row, f"units_needed.{g}")
        return v

    @field_validator("arrest_probability")
    @classmethod
    def _arrest(cls, v):
        for g, p in v.items():
            if not 0 <= p <= 1:
                raise ValueError(f"arrest_probability.{g} must lie in [0, 1]")
        return v

    @field_validator("on_scene")
    @classmethod
    def _all_grades(cls, v):
        missing = [g for g in GRADES if g not in v]
        if missing:
            raise ValueError(f"expected an on-scene distribution for every grade; missing {missing}")
        return v


class Appointments(_Strict):
    """G3 scheduled response: capacity of appointment slots per hour (24 or 168 values)."""
    slots_per_hour: list[float] = [0.0] * 24
    min_lead_hours: float = Field(default=2.0, ge=0)
    attended_by: Literal["response", "dedicated"] = "response"
    # false: no diary; G3 incidents join the pending list at once, behind G1 and G2
    booking: bool = True
    # each day's slots (Mon..Sun) times this, rounded down: fewer or none at weekends
    day_of_week: list[float] = Field(default=[1.0] * 7, min_length=7, max_length=7)
    # at the appointment time with no unit free for it, the appointment is cancelled and re-booked
    # (the first free slot after the minimum lead) with this probability; after max_rebookings
    # re-bookings the next cancellation escalates it to escalate_to (the pending list, reason
    # "escalation") instead
    cancel_probability: float = Field(default=0.0, ge=0, le=1)
    max_rebookings: int = Field(default=3, ge=0, le=1000)
    escalate_to: Literal["G1", "G2"] = "G2"

    @field_validator("day_of_week")
    @classmethod
    def _days(cls, v):
        if min(v) < 0 or max(v) > MAX_FACTOR:
            raise ValueError(f"expected multipliers between 0 and {MAX_FACTOR:g}")
        return v

    @field_validator("slots_per_hour")
    @classmethod
    def _len(cls, v):
        if len(v) not in (24, 168):
            raise ValueError(f"expected 24 (hour of day) or 168 (hour of week) values, got {len(v)}")
        if min(v) < 0 or any(x != int(x) for x in v):
            raise ValueError("expected whole numbers of slots >= 0")
        if max(v) > MAX_HEADS:
            raise ValueError(f"expected at most {MAX_HEADS:,} slots an hour")
        return v

    def week_slots(self) -> np.ndarray:
        s = np.asarray(self.slots_per_hour, dtype=np.int64)
        s = np.tile(s, 7) if len(s) == 24 else s
        if any(f != 1.0 for f in self.day_of_week):
            s = np.floor(s * np.repeat(np.asarray(self.day_of_week, float), 24) + 1e-9).astype(np.int64)
        return s


class Neighbourhood(_Pool):
    shifts: dict[str, UnitShift] = {}


