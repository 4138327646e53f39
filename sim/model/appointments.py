"""G3 appointments: a diary of slots per hour of the week.

Booking takes the first hour, at least ``min_lead_hours`` ahead, that still has a free
slot; within an hour, appointments are spread evenly over its slots. A G2 lowered to G3
lands here too, which is how "a slower response, in some cases many days later" arises:
the diary has fewer slots at weekends (``day_of_week``), and an appointment whose time comes
when no unit is free is cancelled and re-booked with a probability (the attending officers
were pulled to G1/G2 work), each time into the first free slot after the minimum lead, until
a cap on re-bookings escalates it (``Rebooking``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class AppointmentBook:
    def __init__(self, week_slots: np.ndarray, min_lead_hours: float):
        # Python ints, not numpy's: a slot computed from a numpy integer would be a numpy float,
        # and every timer scheduled from an appointment would then carry numpy's slow arithmetic
        self.capacity = np.asarray(week_slots, dtype=np.int64).tolist()
        if sum(self.capacity) == 0:
            self.capacity = None  # no G3 can arise (checked when the scenario is loaded)
        self.lead = min_lead_hours * 60.0
        self.used: dict[int, int] = {}
        # every hour from the earliest possible booking up to here is full: searches start here,
        # so a backlog of days does not make each booking scan it again
        self._full_until = 0

    def book(self, now: float) -> float:
        """Reserve the first free slot at least the minimum lead time ahead; its start time."""
        if self.capacity is None:
            raise RuntimeError("a G3 appointment was needed but the scenario has no slots")
        first = int(math.ceil((now + self.lead) / 60.0 - 1e-9))
        hour = max(first, self._full_until)
        while True:
            cap = self.capacity[hour % 168]
            taken = self.used.get(hour, 0)
            if taken < cap:
                break
            hour += 1
        self.used[hour] = taken + 1
        # hours [first, hour) are full, and so is this one if it just filled up; bookings only
        # ever start later (the clock moves forward), so nothing before them matters
        self._full_until = hour + 1 if taken + 1 >= cap else hour
        return hour * 60.0 + taken * 60.0 / cap


    def release(self, slot: float) -> None:
        """Give back a booked slot (its appointment was cancelled before its time); later
        bookings may take it if it is still far enough ahead."""
        hour = int(slot // 60.0)
        self.used[hour] -= 1
        self._full_until = min(self._full_until, hour)


KEEP, REBOOK, ESCALATE = range(3)


@dataclass(frozen=True)
class Rebooking:
    """What happens to an appointment whose time has come while no unit is free for it."""
    probability: float   # cancelled (and re-booked) with this probability
    cap: int             # re-bookings allowed; the next cancellation escalates instead

    def decide(self, rebooked: int, cancelled: bool) -> int:
        """KEEP (it waits in the pending list), REBOOK or ESCALATE, for an appointment already
        re-booked ``rebooked`` times and ``cancelled`` this time (its draw fell below
        ``probability``)."""
        if not cancelled:
            return KEEP
        return REBOOK if rebooked < self.cap else ESCALATE
