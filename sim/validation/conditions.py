"""What a scenario must reduce to for the theory of its kind to hold exactly.

Each check names the field that does not fit, as a ScenarioError, so a validation run on a file
that is not what its kind needs stops with one line (exit 2) rather than comparing the model with
a theory that does not apply.
"""
from __future__ import annotations

import math

import numpy as np

from sim.util.distributions import Exponential, Fixed
from sim.util.lazy import LazyModule
from sim.scenario import CHANNELS, DAYS, GRADES, Scenario, ScenarioError

theory = LazyModule("sim.theory.queueing")   # scipy is loaded when a case is checked, not by `triage-sim --help`


class Need:
    """Checks that a scenario reduces to the theory of its kind; a failure is a ScenarioError
    naming the field, so the command line prints one line (exit 2)."""

    def __init__(self, s: Scenario, source, kind: str):
        self.s, self.source, self.kind = s, source, kind

    def __call__(self, ok: bool, path: str, value, expected: str) -> None:
        if not ok:
            raise ScenarioError(self.source, path, value, f"validation kind '{self.kind}' needs {expected}")

    # ----------------------------------------------------------------- demand
    def active_channels(self) -> list[str]:
        return [n for n in CHANNELS if (ch := self.s.demand.channels.get(n)) is not None and ch.calls_per_day > 0]

    def single_channel(self) -> str:
        """The one channel with calls (a case modelled as a single queue needs exactly one)."""
        names = self.active_channels()
        self(len(names) == 1, "demand.channels", names, "exactly one channel with calls")
        return names[0]

    def stationary_rate(self, name: str) -> float:
        """Calls per minute of a channel with stationary Poisson demand."""
        s, ch = self.s, self.s.demand.channels.get(name)
        p = f"demand.channels.{name}"
        self(ch.hour_of_day is None, f"{p}.hour_of_day", ch.hour_of_day, "stationary demand (leave hour_of_day out)")
        self(ch.hour_of_week is None, f"{p}.hour_of_week", ch.hour_of_week, "stationary demand (leave hour_of_week out)")
        self(not ch.adjust, f"{p}.adjust", ch.adjust, "stationary demand (no adjust windows)")
        self(len(set(ch.day_of_week)) == 1, f"{p}.day_of_week", ch.day_of_week, "the same multiplier every day")
        self(len(set(s.demand.month)) == 1, "demand.month", s.demand.month, "the same multiplier every month")
        self(not s.demand.surges, "demand.surges", len(s.demand.surges), "no surges")
        return ch.calls_per_day * ch.day_of_week[0] * s.demand.month[0] * s.demand.multiplier / 1440.0

    def exp_mean(self, dist, path: str) -> float:
        self(isinstance(dist, Exponential), path, _dist_repr(dist), 'an exponential distribution { family = "exponential", mean = m }')
        return dist.mean

    def fixed_value(self, dist, path: str) -> float:
        self(isinstance(dist, Fixed), path, _dist_repr(dist), 'a fixed value { family = "fixed", value = v }')
        return dist.value

    def no_abandonment(self, name: str) -> None:
        ch = self.s.demand.channels.get(name)
        self(ch.patience is None, f"demand.channels.{name}.patience", _dist_repr(ch.patience),
             "callers who never abandon (leave patience out)")

    def no_retries(self, name: str) -> None:
        ch = self.s.demand.channels.get(name)
        self(ch.retry.probability == 0, f"demand.channels.{name}.retry.probability", ch.retry.probability,
             "no call-backs (retry.probability = 0)")

    # ----------------------------------------------------------------- servers
    def constant_servers(self, shifts: dict, path: str) -> int:
        """Servers on one continuous post: every shift 24 h long, every day, the same head-count."""
        self(bool(shifts), path, {}, "at least one 24-hour shift")
        total = 0
        for name, sh in shifts.items():
            p = f"{path}.{name}"
            self(sh.hours == 24, f"{p}.hours", sh.hours, "24-hour shifts every day (no handovers)")
            self(set(sh.days) == set(DAYS), f"{p}.days", sh.days, "the shift on every day")
            heads = sh.headcount()
            self(len(set(heads)) == 1 and heads[0] > 0, p, list(heads), "the same head-count (> 0) every day")
            total += heads[0]
        return total

    def plain_pool(self, pool, path: str) -> None:
        """Servers exactly as rostered by a weekly template: no team pattern, nobody abstracted."""
        self(getattr(pool, "pattern", None) is None, f"{path}.pattern", "a team pattern",
             f"a weekly template ({path}.shifts), not a team pattern")
        a = getattr(pool, "abstraction", 0.0)
        self(isinstance(a, float) and a == 0, f"{path}.abstraction", _dist_repr(a) if not isinstance(a, float) else a,
             "everyone rostered on duty (abstraction = 0)")

    def handlers(self) -> int:
        self.plain_pool(self.s.call_handling, "call_handling")
        return self.constant_servers(self.s.call_handling.shifts, "call_handling.shifts")

    def rota_crews(self, end: float) -> tuple[np.ndarray, np.ndarray]:
        """Call-handler crews on [0, end) from the shift table, written from its documented meaning
        (apart from ``sim.scenario.rota``): change times T_1 < T_2 < ... (minutes) and the head-counts
        c_0, c_1, ... of the crews on duty between them. Each shift starts at "HH:MM" on each
        of its ``days`` and lasts ``hours``; it belongs to the day it starts on (its head-count is
        that day's, staff being one number or seven, Mon..Sun), so a night shift runs into the
        next day and the Sunday night shift is on duty at time 0 (Monday 00:00). A shift that
        runs straight into its own next instance with the same head-count is one crew (the same
        people carry on: no hand-over). The shifts must be back to back: exactly one crew on duty
        at every moment of [0, end)."""
        self.plain_pool(self.s.call_handling, "call_handling")
        path = "call_handling.shifts"
        shifts = self.s.call_handling.shifts
        self(bool(shifts), path, {}, "at least one shift")
        days = int(math.ceil(end / 1440.0))
        inst = []  # (start, end, staff, name)
        for name, sh in shifts.items():
            hh, mm = sh.start.split(":")
            first = int(hh) * 60.0 + int(mm)
            heads = list(sh.headcount())
            for day in range(-1, days):
                dow = day % 7
                if DAYS[dow] in sh.days and heads[dow] > 0:
                    t0 = day * 1440.0 + first
                    inst.append((t0, t0 + sh.hours * 60.0, int(heads[dow]), name))
        inst = [x for x in sorted(inst) if x[1] > 0 and x[0] < end]
        self(bool(inst) and inst[0][0] <= 0, path, "nobody on duty at time 0",
             "back-to-back shifts: exactly one crew on duty at every moment (a shift on duty at Monday 00:00)")
        crews = [list(inst[0])]
        for t0, t1, c, name in inst[1:]:
            prev = crews[-1]
            self(t0 == prev[1], path, f"{prev[3]} until minute {prev[1]:g}, {name} from minute {t0:g}",
                 "back-to-back shifts: exactly one crew on duty at every moment (no gap, no overlap)")
            if name == prev[3] and c == prev[2]:
                prev[1] = t1
            else:
                crews.append([t0, t1, c, name])
        self(crews[-1][1] >= end, path, f"nobody on duty from minute {crews[-1][1]:g}",
             "back-to-back shifts: exactly one crew on duty at every moment")
        return np.array([x[0] for x in crews[1:]], float), np.array([x[2] for x in crews], np.int64)

    # ----------------------------------------------------------------- response
    def plain_response(self) -> None:
        """Units as plain servers: one unit per incident, no travel, no custody/admin/breaks, no
        policy, G3 queued (not booked), no reserve or diversion."""
        s, r = self.s, self.s.response
        self(s.policy.kind == "none", "policy.kind", s.policy.kind, 'policy.kind = "none" (grades never change)')
        self(not s.thrive.misgrading_enabled or _is_identity(s.thrive.matrix()), "thrive.misgrading_enabled",
             s.thrive.misgrading_enabled, "no misgrading")
        self(not s.appointments.booking or self.grade_rate(3) == 0, "appointments.booking", True,
             "appointments.booking = false (G3 queued behind G1/G2)")
        self(all(set(m) <= {"1"} for m in r.units_needed.values()), "response.units_needed",
             r.units_needed, "one unit per incident")
        self(all(p == 0 for p in r.arrest_probability.values()), "response.arrest_probability",
             r.arrest_probability, "no arrests (no custody time)")
        self(self.fixed_value(r.admin, "response.admin") == 0, "response.admin", _dist_repr(r.admin), "admin time 0")
        self(not r.non_incident, "response.non_incident", list(r.non_incident), "no briefings or breaks (non_incident = {})")
        self(r.reserve_for_g1 == 0, "response.reserve_for_g1", r.reserve_for_g1, "no G1 reserve")
        self(not r.divert_to_g1_from, "response.divert_to_g1_from", r.divert_to_g1_from, "no diversion")
        self(r.end_of_shift_minutes == 0, "response.end_of_shift_minutes", r.end_of_shift_minutes,
             "no end-of-shift protection")
        for a, area in r.areas.items():
            for kind in ("blue_light", "normal"):
                p = f"response.areas.{a}.{kind}"
                self(self.fixed_value(getattr(area, kind), p) == 0, p, _dist_repr(getattr(area, kind)), "zero travel")

    def grade_rate(self, grade: int) -> float:
        """Incidents per minute first graded ``grade`` (1..4), over all channels."""
        m = self.s.thrive.matrix()
        total = 0.0
        for name in self.active_channels():
            ch = self.s.demand.channels.get(name)
            lam = self.stationary_rate(name)
            total += lam * sum(ch.risk.get(g, 0.0) * m[i, grade - 1] for i, g in enumerate(GRADES))
        return total

    def on_scene_mean(self) -> float:
        """The common exponential on-scene mean of every grade that can reach a unit."""
        means = set()
        for name in self.active_channels():
            ch = self.s.demand.channels.get(name)
            for g in GRADES[:3]:
                if ch.risk.get(g, 0) > 0:
                    means.add(self.exp_mean(self.s.response.on_scene[g], f"response.on_scene.{g}"))
        self(len(means) == 1, "response.on_scene", sorted(means), "the same on-scene mean for every grade dispatched")
        return means.pop()

    def poisson_to_dispatch(self) -> None:
        """Incidents must reach the pending list as a Poisson stream: either handlers are ample
        (an arrival waits with probability < 1e-6, so graded times are arrivals shifted by iid
        amounts), or one channel of M/M/c handlers grades at the end of handling (Burke)."""
        names = self.active_channels()
        lam = sum(self.stationary_rate(n) for n in names)
        hmean = max((self.s.demand.channels.get(n).handling.mean for n in names), default=0.0)
        if hmean == 0 or lam == 0:
            return  # handling takes no time: incidents are graded the moment calls arrive
        c = self.handlers()
        a = lam * hmean
        p_wait = theory.erlang_c_wait_probability(c, lam, 1.0 / hmean) if a < c else 1.0
        if p_wait < 1e-6:
            return
        ch = self.s.demand.channels.get(names[0])
        burke = (len(names) == 1 and isinstance(ch.handling, Exponential) and ch.patience is None
                 and ch.graded_at == 1.0 and a < c)
        self(burke, "call_handling.shifts", f"{c} handlers, P(wait) = {p_wait:.3g}",
             "ample handlers (P(wait) < 1e-6), or one channel of stable M/M/c handlers without abandonment "
             "grading at the end of handling (graded_at = 1)")


def _is_identity(m) -> bool:
    return bool(np.allclose(m, np.eye(4)))


def _dist_repr(d):
    if d is None:
        return None
    return {k: v for k, v in d.model_dump(by_alias=True).items() if v is not None}
