"""The grade a call handler records at first contact, under pressure, for vulnerable callers.

HMIC (Nottinghamshire, 2016) found "inconsistencies in the way risk is assessed at the first
point of contact", "weaknesses in the processes for identifying vulnerable and repeat victims
at the first point of contact", and a poor initial response "largely because of the
inappropriate demands placed on the control room". Two mechanisms model that:

* **Workload**: the misgrading a handler makes moves from the scenario's normal matrix toward a
  ``rushed`` one as the pressure (calls waiting, or handler occupancy, when the call is
  answered) rises: linearly between ``start`` and ``full``, or in steps. The caller's own
  assessment uniform is read through the blended matrix, so the same caller is graded the
  same at the same pressure in every scenario (common random numbers), and exactly as the
  normal matrix grades them when nobody is waiting.
* **Vulnerability**: a vulnerable or repeat victim is identified with a probability (lower
  under pressure if ``identification_rushed`` is set). Identified, their grade is raised to
  at least ``raise_to`` and to their true risk (identifying them is recognising the risk);
  missed, they keep the grade the (possibly rushed) assessment gave.
"""
from __future__ import annotations

import numpy as np

from sim.scenario import GRADES
from sim.model.fork import copy_views


def _cdf_rows(matrix: np.ndarray) -> list[tuple[float, float, float]]:
    """The first three cumulative probabilities of each row, as the numpy draw computes them."""
    rows = []
    for row in matrix:
        cdf = np.cumsum(row)
        rows.append((float(cdf[0]), float(cdf[1]), float(cdf[2])))
    return rows


class Assessor:
    """Grades a call when it is answered; ``None`` in a scenario without these mechanisms (the
    control room then reads the grade drawn before the run, as it always did)."""
    __deepcopy__ = copy_views   # its memoryviews made anew over the copy's arrays (sim.model.fork)

    def __init__(self, model):
        a = model.s.assessment
        c = model.callers
        self.calls = model.rec.calls
        self._assessed = memoryview(c.assessed)
        self._true = memoryview(c.true_risk)
        self._u = memoryview(c.u_assess) if c.u_assess is not None else None   # only with a workload
        w = a.workload
        self.workload = w.enabled
        self.occupancy = w.measure == "occupancy"
        self.linear = w.blend == "linear"
        self.start, self.span = w.start, w.full - w.start
        self.steps = sorted((s.at, s.weight) for s in w.steps)
        self.first_step = self.steps[0][0] if self.steps else float("inf")
        normal = model.s.thrive.matrix()
        rushed = normal.copy()
        for g, row in w.rushed.items():
            i = GRADES.index(g)
            rushed[i] = 0.0
            for h, p in row.items():
                rushed[i, GRADES.index(h)] = p
        self._normal, self._rushed = _cdf_rows(normal), _cdf_rows(rushed)
        v = a.vulnerability
        self._vulnerable = memoryview(c.vulnerable) if c.vulnerable is not None else None
        self._u_identify = memoryview(c.u_identify) if c.u_identify is not None else None
        self.identify = v.identification
        self.identify_rushed = v.identification if v.identification_rushed is None else v.identification_rushed
        self.raise_to = GRADES.index(v.raise_to) + 1

    @staticmethod
    def for_model(model) -> "Assessor | None":
        a = model.s.assessment
        return Assessor(model) if (a.workload.enabled or a.vulnerability.enabled) else None

    def weight(self, pressure: float) -> float:
        """How far toward the rushed matrix grading is at this pressure (0..1)."""
        if self.linear:
            if pressure <= self.start:
                return 0.0
            x = (pressure - self.start) / self.span
            return x if x < 1.0 else 1.0
        if pressure < self.first_step:
            return 0.0
        out = 0.0
        for at, weight in self.steps:
            if pressure < at:
                break
            out = weight
        return out

    def grade(self, c: int, caller: int, waiting: int, busy: int, free: int) -> int:
        """The grade recorded for call ``c`` answered with ``waiting`` calls queued and ``busy``
        of ``busy + free`` handlers on a call (this one included)."""
        w = 0.0
        if self.workload:
            if self.occupancy:
                w = self.weight(busy / (busy + free))
            elif waiting:  # nobody waiting: the normal matrix, no blend to compute
                w = self.weight(waiting)
        if w == 0.0:
            g = self._assessed[caller]
        else:
            t = self._true[caller]
            if t == 0:
                return 0
            u = self._u[caller]
            n, r = self._normal[t - 1], self._rushed[t - 1]
            v = 1.0 - w
            if u < v * n[0] + w * r[0]:
                g = 1
            elif u < v * n[1] + w * r[1]:
                g = 2
            elif u < v * n[2] + w * r[2]:
                g = 3
            else:
                g = 4
        if self._vulnerable is not None and self._vulnerable[caller]:
            p = self.identify + (self.identify_rushed - self.identify) * w
            if self._u_identify[caller] < p:
                self.calls.identified[c] = 1
                g = min(g, self._true[caller], self.raise_to)
            else:
                self.calls.identified[c] = 0
        return g
