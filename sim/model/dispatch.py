"""Dispatch: response units on their rota, the pending list, travel, scene, custody, admin,
diversion to G1, and the downgrade policy's actions (including borrowing neighbourhood
officers).

A unit's life on a shift: briefing and other non-incident blocks when due and free;
otherwise it is free, or on a job (travel -> on scene -> custody if it made the arrest ->
admin). A unit still busy when its shift ends finishes the job first; the extra time is
recorded as overtime (``end_actual`` after ``end`` in the unit-shift log). With end-of-shift
protection (``response.end_of_shift_minutes``), a unit that close to its shift end is given
no new job of the protected grades; it stays free for G1s (and for G2s when only G3 is
protected), and G1s are given such late units first.

Issue 23's control-room practice, each off unless the scenario sets it: a dispatcher's decision
time and a stacking hold keep a ready incident on the pending list, held back, until its own
moment (``sim.model.holds``); ``stacking.min_free`` gives a G2/G3 a unit only while more
than that many are free; and a G1 (or, if the scenario says, a G2) that becomes ready with no unit
free may pre-empt a unit from lower-grade work or a break (``sim.model.preemption``), whose
incident goes back on the list with its remaining on-scene work.
"""
from __future__ import annotations

import math

import numpy as np

from sim.model.log import (ACTIVITIES, APPOINTMENT_KEPT, ATTENDED, BREAK, EN_ROUTE, ESCALATED, ESCALATION, NO_INCIDENT,
                           ON_SCENE, OPEN, POOLS, REBOOKED, REGRADED, RESOLVED)
from sim.scenario.rota import present, shift_instances, shift_names, team_names
from sim.scenario import GRADES
from sim.model.appointments import ESCALATE, KEEP, AppointmentBook, Rebooking
from sim.model.pending import Incident, PendingList
from sim.model.policies import Borrow, Divert, IncidentView, Recheck, Regrade, make_policy
from sim.model.holds import Holds
from sim.model.fork import copy_views
from sim.model.preemption import asked, choose
from sim.model.units import AFTER, BLOCK, FREE, NEIGHBOURHOOD, OFF, RESPONSE, SCENE, TRAVEL, Unit  # noqa: F401

A_INCIDENT, A_CUSTODY, A_ADMIN, A_NON_INCIDENT, A_BORROWED = (ACTIVITIES.index(a) for a in ACTIVITIES)


class Dispatcher:
    __deepcopy__ = copy_views   # its memoryviews made anew over the copy's arrays (sim.model.fork)

    def __init__(self, model):
        self.m = model
        # the clock and the scheduler, read on every event: cached, not self.m.env.now (a property)
        self._env, self._at = model.env, model.at
        s = model.s
        self.calls = model.rec.calls
        self.rec = model.rec
        c = model.callers
        self._travel_blue = memoryview(c.travel_blue)
        self._travel_normal = memoryview(c.travel_normal)
        self._on_scene = memoryview(c.on_scene)
        self._arrest = memoryview(c.arrest)
        self._custody = memoryview(c.custody)
        self._admin = memoryview(c.admin)
        self._units_needed = memoryview(c.units_needed)
        self._rank = memoryview(c.rank) if c.rank is not None else None
        # decision time + stacking hold per caller at each dispatched grade (None: dispatched when ready)
        self._holds = Holds(s.response, c, model.streams) if s.response.delays_dispatch else None
        self.pending = PendingList(s.response.rank_lead_minutes)
        self.free: dict[int, Unit] = {}            # response units free now
        self.neighbourhood: dict[int, Unit] = {}   # neighbourhood officers on duty, not borrowed
        self.travelling: dict[int, Unit] = {}      # response units en route (diversion candidates)
        self.on_duty: dict[int, Unit] = {}
        self.active: dict[int, Incident] = {}
        self.policy = make_policy(s.policy)
        self.book = AppointmentBook(s.appointments.week_slots(), s.appointments.min_lead_hours)
        self.dedicated_appointments = s.appointments.attended_by == "dedicated"
        self.booking = s.appointments.booking
        ap = s.appointments
        self.rebooking = Rebooking(ap.cancel_probability, ap.max_rebookings) if ap.cancel_probability > 0 else None
        self.escalate_to = GRADES.index(ap.escalate_to) + 1
        self.rebooked: dict[int, int] = {}         # incident -> times its appointment was re-booked
        self.blue = {GRADES.index(g) + 1 for g in s.response.blue_light_grades}
        self.reserve = s.response.reserve_for_g1
        # free units a job of each grade must leave: the G1 reserve, or stacking's min_free if higher
        min_free = s.response.stacking.min_free
        self.keep_free = [0, 0, *(max(self.reserve, min_free.get(g, 0)) for g in ("G2", "G3", "G4"))]
        pre = s.response.preemption
        self.preempt = pre if pre.enabled else None
        self.preempt_g2 = pre.enabled and pre.probability_g2 > 0
        self.preempt_grades = {GRADES.index(g) + 1 for g in pre.from_grades}
        self.divert_from = {GRADES.index(g) + 1 for g in s.response.divert_to_g1_from}
        # by grade: whether an incident finding no unit free can get one another way (diversion, pre-emption)
        self._help = [False, bool(self.divert_from) or self.preempt is not None, self.preempt_g2, False, False]
        self.late_minutes = s.response.end_of_shift_minutes
        self.late_grades = {GRADES.index(g) + 1 for g in s.response.end_of_shift_grades} if self.late_minutes else set()
        self.blocks = [(b.after_hours * 60.0, b.spread_hours * 60.0, b.minutes)
                       for b in s.response.non_incident.values()]
        self._next_unit = 0
        self.shift_names = list(dict.fromkeys([*shift_names(s.response), *shift_names(s.neighbourhood)]))
        self.team_names = list(dict.fromkeys([*team_names(s.response), *team_names(s.neighbourhood)]))

    # ------------------------------------------------------------------ rotas
    def start(self) -> None:
        s = self.m.s
        for pool, rota in ((RESPONSE, s.response), (NEIGHBOURHOOD, s.neighbourhood)):
            if not rota.has_rota:
                continue
            for inst in shift_instances(rota, self.m.horizon, s.run.start_date):
                staff = present(inst, rota.abstraction, self.m.streams, POOLS[pool])
                self.rec.rosters.append((pool, inst.start, inst.end, inst.staff, staff))
                if staff:
                    self._at(max(inst.start, 0.0), self._shift_start, pool, inst, staff)

    def _shift_start(self, pool: int, inst, staff: int) -> None:
        now = self._env._now
        units = []
        for i in range(staff):
            u = Unit(self._next_unit, pool, self.shift_names.index(inst.name),
                     self.team_names.index(inst.team) if inst.team else -1, inst.start, inst.end)
            self._next_unit += 1
            self.on_duty[u.id] = u
            units.append(u)
            if pool == NEIGHBOURHOOD:
                self.neighbourhood[u.id] = u
                continue
            for after, spread, minutes in self.blocks:
                due = inst.start + after + spread * i / staff
                if due >= inst.end or due < now:  # a shift already running at time 0 has had its earlier blocks
                    continue
                if due == now:
                    u.blocks_due.append(minutes)
                else:
                    self._at(due - now, self._block_due, u, minutes)
            self._released(u)
        if inst.end < self.m.horizon:
            self._at(inst.end - now, self._shift_end, units)

    def _shift_end(self, units: list[Unit]) -> None:
        for u in units:
            if u.state == FREE and (self.free.pop(u.id, None) or self.neighbourhood.pop(u.id, None)):
                self._go_off(u)
            elif u.state != OFF:
                u.off_due = True

    def _go_off(self, u: Unit) -> None:
        u.state = OFF
        del self.on_duty[u.id]
        self.rec.unit_shifts.append((u.id, u.pool, u.shift, u.team, u.start, u.end, self._env._now))

    def _block_due(self, u: Unit, minutes: float) -> None:
        if u.state == OFF or u.off_due or self._env._now + minutes > u.end:
            return  # too late in the shift: skipped rather than worked as overtime
        if u.state == FREE:
            del self.free[u.id]
            self._start_block(u, minutes)
        else:
            u.blocks_due.append(minutes)

    def _start_block(self, u: Unit, minutes: float) -> None:
        now = self._env._now
        u.state = BLOCK
        u.block_end, u.block_row = now + minutes, len(self.rec.activities)
        self.rec.activities.append((u.id, A_NON_INCIDENT, now, now + minutes, -1))
        self._at(minutes, self._block_over, u, u.token)

    def _block_over(self, u: Unit, token: int) -> None:
        if u.token == token:   # not called away by a G1 meanwhile
            self._released(u)

    def _released(self, u: Unit) -> None:
        """The unit has nothing to do: go off duty, take a due block, or become free."""
        u.job = None
        if u.pool == NEIGHBOURHOOD:
            self._return_borrowed(u)
            return
        while u.blocks_due and self._env._now + u.blocks_due[0] > u.end:
            u.blocks_due.pop(0)  # too late in the shift for a break or statements: skipped, not overtime
        if u.off_due:
            self._go_off(u)
        elif u.blocks_due:
            self._start_block(u, u.blocks_due.pop(0))
        else:
            u.state = FREE
            self.free[u.id] = u
            self.try_dispatch()

    # ------------------------------------------------------------------ routing after THRIVE
    def route(self, c: int, grade: int) -> None:
        """Send an assessed call where its grade says (called at the end of call handling)."""
        calls = self.calls
        if grade == 0:
            calls.outcome[c] = NO_INCIDENT
        elif grade == 4:
            calls.outcome[c] = RESOLVED
        else:
            caller = calls.caller[c]
            inc = Incident(c, caller, grade, self._units_needed[caller])
            self.active[c] = inc
            inc.since = inc.ready_at = self._env._now
            if self._rank is not None:
                inc.rank = self._rank[caller]
            if grade == 3 and self.booking:
                self._book(inc)
            else:
                self._enter_pending(inc)

    def _book(self, inc: Incident) -> None:
        now = self._env._now
        slot = self.book.book(now)
        self.calls.appointment[inc.id] = slot
        self._at(slot - now, self._appointment_due, inc, inc.epoch)

    def _appointment_due(self, inc: Incident, epoch: int) -> None:
        if inc.epoch != epoch:
            return
        now = self._env._now
        if self.dedicated_appointments:
            calls = self.calls
            calls.first_dispatch[inc.id] = calls.first_on_scene[inc.id] = now
            calls.cleared[inc.id] = now + self._on_scene[inc.caller]
            self.active.pop(inc.id, None)
        else:
            if self.rebooking is not None and self._available_for(3) - self.reserve <= 0 and self._cancelled(inc):
                return
            inc.since = now
            self._enter_pending(inc)

    def _cancelled(self, inc: Incident) -> bool:
        """No unit is free at the appointment time: cancel and re-book it, or escalate it, or
        keep it (it then waits in the pending list). True when it was cancelled."""
        k = self.rebooked.get(inc.id, 0)
        cancel = bool(self.m.callers.cancel_first[inc.caller]) if k == 0 else \
            self.m.streams.hashed("appointment.cancel", inc.caller, k) < self.rebooking.probability
        what = self.rebooking.decide(k, cancel)
        if what == KEEP:
            return False
        now = self._env._now
        old = self.calls.appointment[inc.id]
        if what == ESCALATE:
            self.rec.appointment_changes.append((inc.id, now, old, math.nan, ESCALATED))
            self.regrade(inc, self.escalate_to, ESCALATION)
        else:
            self.rebooked[inc.id] = k + 1
            self._book(inc)
            self.rec.appointment_changes.append((inc.id, now, old, self.calls.appointment[inc.id], REBOOKED))
        return True

    # ------------------------------------------------------------------ pending list
    def _enter_pending(self, inc: Incident) -> None:
        if self._holds is not None and not inc.units:   # still being decided, or stacked
            wait = inc.ready_at + self._holds.wait(inc.grade, inc.caller) - self._env._now
            if wait > 0:
                self._hold(inc, wait)
                return
        self.pending.push(inc)
        if not inc.units and inc.unresourced_since is None:
            inc.unresourced_since = self._env._now
        inc.epoch += 1
        self.try_dispatch()
        if inc.units:
            return  # resourced at once: the policy has nothing to look at
        if self._help[inc.grade]:
            self._no_unit_free(inc)
        for delay, check in self.policy.checks(inc.grade):
            self._at(delay, self._check, inc, inc.epoch, check, 0)

    def _hold(self, inc: Incident, wait: float) -> None:
        """On the pending list, held back for ``wait`` minutes (decision time, stacking hold); the
        policy's checks run from now, as for any incident waiting."""
        self.pending.hold(inc)
        if inc.unresourced_since is None:
            inc.unresourced_since = self._env._now
        inc.epoch += 1
        self._at(wait, self._release, inc, inc.epoch)
        for delay, check in self.policy.checks(inc.grade):
            self._at(delay, self._check, inc, inc.epoch, check, 0)

    def _release(self, inc: Incident, epoch: int) -> None:
        """The hold is over: the incident may be given a unit from now on."""
        if inc.epoch != epoch or not inc.held:
            return   # re-graded (held again at its new grade), resourced or closed meanwhile
        self.pending.release(inc)
        self.try_dispatch()
        if not inc.units and self._help[inc.grade]:
            self._no_unit_free(inc)

    def _no_unit_free(self, inc: Incident) -> None:
        """A G1 is ready and no unit is free: divert one en route to a lower grade (the scenario's
        diversion rule), else pre-empt one from lower-grade work or a break (issue 23); a G2 may
        pre-empt one from a G3 job or a break when the scenario says so."""
        if inc.grade == 1:
            if self.divert_from:
                self._divert_to(inc, self.divert_from)
            if self.preempt is not None and not inc.units:
                self._preempt(inc)
        elif self.preempt_g2:
            self._preempt(inc)

    def _close_unresourced(self, inc: Incident) -> None:
        if inc.unresourced_since is not None:
            self.rec.pending.append((inc.id, inc.grade, inc.unresourced_since, self._env._now))
            inc.unresourced_since = None

    def try_dispatch(self) -> None:
        """Give free units to the most urgent pending incidents (keeping any G1 reserve)."""
        free, pending = self.free, self.pending
        while free:
            inc = pending.peek()
            if inc is None or len(free) <= self.keep_free[inc.grade]:
                return
            if not self.late_grades:
                u = free.popitem()[1]
            else:
                u = self._take_for(inc.grade, free)
                if u is None:
                    return  # only units near their shift end are free: they wait for a G1
            self._assign(u, inc)

    def _take_for(self, grade: int, units: dict[int, Unit]) -> Unit | None:
        """With end-of-shift protection: a protected grade gets a unit with at least
        ``end_of_shift_minutes`` of its shift left (None if there is none); any other grade
        gets a late unit if there is one, so the fresh ones stay for the protected grades.
        Among equals, the most recently freed, as ``popitem`` would."""
        last = self._env._now + self.late_minutes
        fresh_wanted = grade in self.late_grades
        for uid in reversed(units):
            if (units[uid].end >= last) == fresh_wanted:
                return units.pop(uid)
        return None if fresh_wanted else units.popitem()[1]

    def _available_for(self, grade: int) -> int:
        """Free units a job of ``grade`` could be given now, before any G1 reserve."""
        if grade not in self.late_grades:
            return len(self.free)
        last = self._env._now + self.late_minutes
        return sum(1 for u in self.free.values() if u.end >= last)

    def _assign(self, u: Unit, inc: Incident) -> None:
        now = self._env._now
        calls = self.calls
        self._close_unresourced(inc)
        if calls.first_dispatch[inc.id] != calls.first_dispatch[inc.id]:
            calls.first_dispatch[inc.id] = now
        calls.units_sent[inc.id] += 1
        inc.units.append(u)
        if len(inc.units) >= inc.needed:
            self.pending.remove(inc)
        u.job, u.state, u.job_start = inc, TRAVEL, now
        u.token += 1
        if u.pool == RESPONSE:
            self.travelling[u.id] = u
        travel = self._travel_blue[inc.caller] if inc.grade in self.blue else self._travel_normal[inc.caller]
        u.arrive_at = now + travel
        self._at(travel, self._arrive, u, u.token)

    def _arrive(self, u: Unit, token: int) -> None:
        if u.token != token:
            return  # re-tasked while en route
        self.travelling.pop(u.id, None)
        inc = u.job  # not cleared: clearing turns back every unit still en route
        u.state = SCENE
        calls = self.calls
        if calls.first_on_scene[inc.id] != calls.first_on_scene[inc.id]:
            calls.first_on_scene[inc.id] = self._env._now
            inc.lead = u
            work = self._on_scene[inc.caller]
            inc.clear_at = self._env._now + work
            self._at(work, self._clear, inc, inc.clear_token)
        elif inc.remaining is not None:   # its last unit there was taken for a G1: the work resumes
            inc.lead = u
            inc.clear_at = self._env._now + inc.remaining
            self._at(inc.remaining, self._clear, inc, inc.clear_token)
            inc.remaining = None

    def _clear(self, inc: Incident, token: int = 0) -> None:
        """The scene is finished: units on scene move to custody/admin, units en route turn back."""
        if token != inc.clear_token:
            return   # the work was interrupted (a G1 took the last unit there): it ends later
        inc.cleared = True
        self.calls.cleared[inc.id] = self._env._now
        self.pending.remove(inc)
        self._close_unresourced(inc)
        for u in inc.units:
            if u.state == SCENE:
                self._end_job(u, inc, custody=(u is inc.lead and self._arrest[inc.caller]))
            else:  # turned back en route: no scene, no paperwork
                u.token += 1
                self.travelling.pop(u.id, None)
                self.rec.activities.append((u.id, A_INCIDENT, u.job_start, self._env._now, inc.id))
                self._released(u)
        inc.units = []
        self.active.pop(inc.id, None)

    def _end_job(self, u: Unit, inc: Incident, custody: bool) -> None:
        now = self._env._now
        acts = self.rec.activities
        acts.append((u.id, A_INCIDENT, u.job_start, now, inc.id))
        t = now
        if custody:
            d = self._custody[inc.caller]
            acts.append((u.id, A_CUSTODY, t, t + d, inc.id))
            t += d
        d = self._admin[inc.caller]
        if d > 0:
            acts.append((u.id, A_ADMIN, t, t + d, inc.id))
            t += d
        u.state = AFTER
        if t > now:
            self._at(t - now, self._released, u)
        else:
            self._released(u)

    # ------------------------------------------------------------------ policy actions
    def _check(self, inc: Incident, epoch: int, check, done: int) -> None:   # check: the policy's key (``checks``)
        if inc.epoch != epoch or inc.units or not inc.queued:
            return
        now = self._env._now
        free = self._available_for(inc.grade) - self.keep_free[inc.grade]
        callers = self.m.callers
        u = float(callers.u_policy[inc.caller]) if done == 0 else self.m.streams.uniform("policy.recheck", inc.caller, done)
        view = IncidentView(inc.grade, int(callers.true_risk[inc.caller]), now - inc.unresourced_since,
                            max(free, 0), done, u, float(callers.u_review[inc.caller]), inc.id)
        self.carry_out(inc, self.policy.on_wait(check, view), done)

    def carry_out(self, inc: Incident, actions: list, done: int) -> None:
        """Do what the policy decided at a check (an interactive session calls this too, when
        the controller has answered, at the same simulated moment)."""
        for action in actions:
            if isinstance(action, Regrade):
                self.regrade(inc, action.to, action.reason)
                return
            if isinstance(action, Borrow):
                self._borrow(inc)
            elif isinstance(action, Recheck):
                self._at(action.after, self._check, inc, inc.epoch, action.check, done + 1)
            elif isinstance(action, Divert):
                if not inc.units:
                    self._divert_to(inc, range(inc.grade + 1, 5))

    def regrade(self, inc: Incident, to: int, reason: int) -> None:
        """Change a waiting incident's grade, record why, and send it where the new grade says."""
        now = self._env._now
        calls = self.calls
        self.rec.grade_changes.append((inc.id, now, inc.grade, to, reason))
        calls.final_grade[inc.id] = to
        if inc.grade == 3 and calls.appointment[inc.id] > now:
            self._unbook(inc, now)   # re-graded before its appointment: the slot is not kept
        self.pending.remove(inc)
        self._close_unresourced(inc)
        inc.grade = to
        inc.epoch += 1
        if to == 4:
            calls.outcome[inc.id] = RESOLVED
            self.active.pop(inc.id, None)
        elif to == 3 and self.booking and math.isnan(calls.appointment[inc.id]):
            self._book(inc)
        else:
            self._enter_pending(inc)

    def _unbook(self, inc: Incident, now: float) -> None:
        """Give a booked G3's slot back to the diary and record it (only a supervisor's review
        re-grades an incident between booking and appointment): a later G3 grade books again."""
        old = self.calls.appointment[inc.id]
        self.book.release(old)
        self.calls.appointment[inc.id] = math.nan
        self.rec.appointment_changes.append((inc.id, now, old, math.nan, REGRADED))

    def _borrow(self, inc: Incident) -> None:
        if inc.units or not self.neighbourhood:
            return
        u = self._take_for(inc.grade, self.neighbourhood) if self.late_grades else self.neighbourhood.popitem()[1]
        if u is None:
            return
        u.borrowed_at = self._env._now
        self._assign(u, inc)

    def _return_borrowed(self, u: Unit) -> None:
        now = self._env._now
        if u.state != FREE:  # back from a borrowed job
            self.rec.activities.append((u.id, A_BORROWED, u.borrowed_at, now, -1))
        if u.off_due:
            self._go_off(u)
        else:
            u.state = FREE
            self.neighbourhood[u.id] = u

    def _divert_to(self, g1: Incident, grades) -> None:
        """Re-task the unit en route to the least urgent job of ``grades`` to this unresourced
        incident (a G1 under the scenario's diversion rule, or any grade a controller chose)."""
        best = None
        for u in self.travelling.values():
            if u.job.grade in grades and (best is None or u.job.grade > best.job.grade):
                best = u
        if best is None:
            return
        old = self._withdraw(best)
        self._assign(best, g1)
        self._requeue(old)

    def _withdraw(self, u: Unit) -> Incident:
        """Take ``u`` off its incident (en route or on scene), which it leaves for another; the
        incident is returned, to be put back on the list (``_requeue``) once ``u`` is re-tasked."""
        old = u.job
        self.travelling.pop(u.id, None)
        self.rec.activities.append((u.id, A_INCIDENT, u.job_start, self._env._now, old.id))
        old.units.remove(u)
        self.calls.diverted[old.id] += 1
        return old

    def _requeue(self, old: Incident) -> None:
        if old.units:
            self.pending.push(old)     # others still on it: only the unit taken away is needed again
        else:
            self._enter_pending(old)   # unresourced again: back in the list, policy checks and all

    def _preempt(self, taker: Incident) -> None:
        """Take a unit from lower-grade work or a break for ``taker`` (a G1, or a G2; no unit is
        free), if the controller does (``preemption.asked``) and a unit qualifies (``choose``)."""
        if asked(self.preempt, taker, self.m.streams):
            u = choose(self.on_duty.values(), taker.grade, self.preempt, self.preempt_grades)
            if u is not None:
                self._take_busy(u, taker)

    def _take_busy(self, u: Unit, taker: Incident) -> None:
        """Give ``u`` to ``taker`` (a G1, or a G2): its break's remainder is taken later; its incident
        loses it and goes back on the pending list, its on-scene work paused if no other unit is there."""
        now = self._env._now
        old = None
        if u.state == BLOCK:
            work = BREAK
            self.rec.activities.correct(u.block_row, "end", now)   # the break was cut short
            if u.block_end > now:
                u.blocks_due.insert(0, u.block_end - now)
        else:
            work = ON_SCENE if u.state == SCENE else EN_ROUTE
            old = self._withdraw(u)
            if work == ON_SCENE:
                still = [v for v in old.units if v.state == SCENE]
                if not still:   # nobody left on scene: the work stops, to resume when a unit arrives
                    old.remaining = max(old.clear_at - now, 0.0)
                    old.clear_token += 1
                if old.lead is u:
                    old.lead = still[0] if still else None
        self.rec.preemptions.append((u.id, now, old.id if old is not None else -1, taker.id, taker.grade, work))
        self._assign(u, taker)
        if old is not None:
            self._requeue(old)

    # ------------------------------------------------------------------ end of run
    def close(self, horizon: float) -> None:
        """Close what is still open at the horizon and give every call its outcome."""
        for inc in self.active.values():
            self._close_unresourced(inc)
        for u in list(self.on_duty.values()):
            if u.state in (TRAVEL, SCENE):  # a job still going on: its time so far counts
                self.rec.activities.append((u.id, A_INCIDENT, u.job_start, horizon, u.job.id))
            if u.pool == NEIGHBOURHOOD and u.state != FREE:
                self.rec.activities.append((u.id, A_BORROWED, u.borrowed_at, horizon, -1))
            ended = horizon if u.off_due else math.nan
            self.rec.unit_shifts.append((u.id, u.pool, u.shift, u.team, u.start, u.end, ended))
        cols, n = self.calls.cols, self.calls.n
        outcome = cols["outcome"][:n]
        todo = outcome < 0
        on_scene = ~np.isnan(cols["first_on_scene"][:n])
        booked = ~np.isnan(cols["appointment"][:n]) & (cols["final_grade"][:n] == 3)
        outcome[todo & on_scene] = ATTENDED
        outcome[todo & on_scene & booked] = APPOINTMENT_KEPT
        outcome[todo & ~on_scene] = OPEN
