"""G3 appointments: a diary of slots per hour of the week.

Booking takes the first hour, at least ``min_lead_hours`` ahead, that still has a free
slot; within an hour, appointments are spread evenly over its slots. A G2 lowered to G3
lands here too, which is how "a slower response, in some cases many days later" arises.
"""
from __future__ import annotations

import math

import numpy as np


class AppointmentBook:
    def __init__(self, week_slots: np.ndarray, min_lead_hours: float):
        self.capacity = np.asarray(week_slots, dtype=np.int64)
        if self.capacity.sum() == 0:
            self.capacity = None  # no G3 can arise (checked when the scenario is loaded)
        self.lead = min_lead_hours * 60.0
        self.used: dict[int, int] = {}

    def book(self, now: float) -> float:
        """Reserve the first free slot at least the minimum lead time ahead; its start time."""
        if self.capacity is None:
            raise RuntimeError("a G3 appointment was needed but the scenario has no slots")
        hour = int(math.ceil((now + self.lead) / 60.0 - 1e-9))
        while True:
            cap = self.capacity[hour % 168]
            taken = self.used.get(hour, 0)
            if taken < cap:
                self.used[hour] = taken + 1
                return hour * 60.0 + taken * 60.0 / cap
            hour += 1
