"""Play the controller: the trainee decides, at each unresourced G1/G2 past its review time
while no unit is free, whether to keep waiting, downgrade, call back and re-assess, borrow
a neighbourhood officer or divert a unit. The debrief compares the trainee's shift with a
resource-led and a risk-led controller on the same callers (common random numbers): the
same scenario, seed and replication, the force's usual policy before the shift, only the
controller in the window different. Those two are ordinary runs (``run_model`` with a
``Windowed`` policy); the trainee's is a ``Session`` of the same model.

The played scenario has no automatic emergency access to busy officers (issue 23's
``response.preemption``): the trainee is the controller, and taking an officer from other work for
a G1 is theirs to choose ("divert"), not the model's. Left on, it answers most G1 questions before
the trainee sees them (a Friday evening gave 3 questions instead of 8).
"""
from __future__ import annotations

import copy as _copy
import datetime as dt
import json
import math
import re
import threading
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path

import numpy as np

from sim import __version__
from sim.model.log import GRADE_NAMES, REASONS, REASSESSMENT, RESOURCE
from sim.model.core import run_model
from sim.model.interactive import Session
from sim.model.policies import CHOICE_TEXT, CHOICES, Deferred, Replay, Windowed, make_policy
from sim.scenario import Scenario
from sim.util.files import atomic_write
from sim.experiment.replications import with_overrides
from sim.app.live import clock, describe, window_minutes, windowed

TAIL_HOURS = 2.0   # the run goes on after the shift so its callers' outcomes are known
# what the caller says, by true risk: the grade on the screen is the call handler's, the words are the caller's
SAYS = {
    1: {"domestic_abuse": "\"He's outside, he's kicking the door in, the kids are here\"",
        "violence": "\"There's a fight, someone's on the floor, there's a knife\"",
        "concern_for_welfare": "\"My dad's not answering, he said he'd end it tonight\"",
        "road_traffic": "\"Car's on its roof, the driver isn't moving\"",
        "other": "\"Someone's trying to get into my house right now\""},
    2: {"domestic_abuse": "\"My ex keeps turning up, he's been drinking, I'm scared\"",
        "violence": "\"Group of lads kicking off outside the pub, getting worse\"",
        "concern_for_welfare": "\"Elderly neighbour's been on the floor, she says she's fine\"",
        "burglary": "\"Just got home, back door's smashed, they might still be around\"",
        "asb": "\"Kids throwing stones at cars, one hit my window\"",
        "other": "\"Man acting strange outside the school, been there an hour\""},
    3: {"domestic_abuse": "\"Had a row with my partner last week, want to talk to someone\"",
        "theft": "\"My bike was nicked from the station this morning\"",
        "asb": "\"The noise from next door has been going on for weeks\"",
        "other": "\"I want to report something that happened yesterday\""},
    4: {"theft": "\"My wallet went missing, I need a crime number for the insurance\"",
        "asb": "\"Youths hanging around the shops again\"",
        "other": "\"I'd like some advice about a neighbour dispute\""},
}
METRICS = (
    ("high_risk_downgraded", "True G1/G2 callers downgraded for lack of officers", "callers"),
    ("g1_in_target", "G1 attended within standard", "share"),
    ("g2_in_target", "G2 attended within 60 min", "share"),
    ("longest_true_g1_wait", "Longest wait of a true G1 caller graded G1/G2 (call to a unit on scene)", "minutes"),
    ("neighbourhood_hours", "Neighbourhood officer-hours borrowed", "hours"),
    ("downgrades", "Downgrades for lack of officers (all)", "incidents"),
)


def caller_line(true_risk: int, category: str) -> str:
    lines = SAYS.get(true_risk) or SAYS[4]
    return lines.get(category, lines.get("other", next(iter(lines.values()))))


@dataclass
class Decision:
    time: float
    call: int
    grade: int
    true_risk: int
    category: str
    waited: float
    choice: str
    neighbourhood_free: int
    divertible: int
    caller: int = -1   # the caller (stable across runs on the same callers; the call row is not)


@dataclass
class Shift:
    """Where the trainee's shift sits: the first ``day`` after two days' warm-up."""
    day: str = "Fri"
    start_hour: int = 18
    hours: float = 4.0
    seed: int | None = None
    replication: int = 0


def _policies(s: Scenario, start: float, end: float):
    before = make_policy(s.policy)
    rl = s.model_copy(update={"policy": s.policy.model_copy(update={"kind": "resource_led"})})
    rk = s.model_copy(update={"policy": s.policy.model_copy(update={"kind": "risk_led"})})
    return {"resource-led controller": Windowed(before, make_policy(rl.policy), start, end),
            "risk-led controller": Windowed(before, make_policy(rk.policy), start, end)}


class Game:
    """One trainee's shift: questions, decisions, and the debrief."""

    def __init__(self, base: Scenario, shift: Shift = Shift(), name: str = "trainee"):
        self.shift, self.name = shift, name
        self.start, self.end = window_minutes(shift.day, shift.start_hour, shift.hours)
        self.scenario = windowed(with_overrides(base, ["response.preemption.enabled=false"]), self.start, self.end,
                                 TAIL_HOURS)
        self.seed = self.scenario.run.seed if shift.seed is None else int(shift.seed)
        self.categories = self.scenario.thrive.category_names()
        self.session = Session(self.scenario, self.seed, shift.replication, policy=self._policy)
        self.decisions: list[Decision] = []
        self.question = self.session.advance()
        self._debrief: dict | None = None

    def _policy(self, ask):
        return Windowed(make_policy(self.scenario.policy), Deferred.from_scenario(ask, self.scenario),
                        self.start, self.end)

    @property
    def over(self) -> bool:
        return self.question is None

    def copy(self, name: str | None = None) -> "Game":
        """An independent copy of the game as it stands (its session forked: ``Session.fork``),
        under ``name`` if given: it goes on exactly as this one would."""
        if self.session.finished:
            raise RuntimeError("the shift is finished: nothing to copy")
        from sim.model.fork import shared

        new = _copy.deepcopy(self, shared(self.session.model))
        if name is not None:
            new.name = name
        return new

    def desk(self) -> dict:
        """What the controller sees for the open question."""
        q = self.question
        if q is None:
            return {}
        callers = self.session.model.callers
        cat = self.categories[int(callers.category[q.caller])]
        areas = list(self.scenario.response.areas)
        units = self.session.units()
        pend = [{"grade": GRADE_NAMES[p["grade"]], "what": describe(callers, p["caller"], self.categories),
                 "area": areas[p["area"]], "waiting (min)": round(p["waited"]),
                 "": "◀ this one" if p["call"] == q.call else "held back (stacked)" if p["held"] else ""}
                for p in self.session.pending()[:10]]
        return {"clock": clock(q.time), "grade": GRADE_NAMES[q.grade], "category": cat.replace("_", " "),
                "area": areas[int(callers.area[q.caller])], "says": caller_line(q.true_risk, cat),
                "waited": q.waited, "units": units, "divertible": self.session.divertible(q.grade),
                "pending": pend, "number": len(self.decisions) + 1, "left": self.end - q.time}

    def decide(self, choice: str) -> None:
        if choice not in CHOICES:
            raise ValueError(f"choice: {choice!r}; expected one of {', '.join(CHOICES)}")
        q = self.question
        if q is None:
            raise RuntimeError("the shift is over: no decision is open")
        callers = self.session.model.callers
        self.decisions.append(Decision(q.time, q.call, q.grade, q.true_risk,
                                       self.categories[int(callers.category[q.caller])], q.waited, choice,
                                       self.session.units()["neighbourhood_free"], self.session.divertible(q.grade),
                                       int(q.caller)))
        self.session.decide(choice)
        self.question = self.session.advance()

    # ------------------------------------------------------------------ debrief
    def debrief(self, references=None) -> dict:
        """The debrief. ``references(game)``, if given, returns the two controllers' logs (a
        cache shared by trainees who play the same callers: they are the same runs); by default
        they are run here (``reference_logs``)."""
        if self._debrief is not None:
            return self._debrief
        if not self.over:
            raise RuntimeError("the shift is not over yet")
        logs = {"you": self.session.finish()}
        logs.update((references or reference_logs)(self))
        same = all(_same_callers(logs["you"], log) for log in logs.values())
        self._debrief = {
            "name": self.name, "version": __version__, "seed": self.seed, "replication": self.shift.replication,
            "shift": f"{clock(self.start)} to {clock(self.end)}", "window": [self.start, self.end],
            "scenario": self.scenario.meta.name, "same_callers": bool(same),
            "rows": {label: outcomes(log, self.start, self.end) for label, log in logs.items()},
            "decisions": [asdict(d) for d in self.decisions],
            "wrong": wrong_calls(self.decisions),
            "every_decision": every_decision(self.decisions, logs, self.start),
        }
        self._debrief["rows"]["you"]["decisions"] = len(self.decisions)
        return self._debrief

    def replay_log(self):
        """A direct library run of the trainee's decisions (what the debrief's 'you' row must equal)."""
        record = {(d.call, d.time): d.choice for d in self.decisions}
        pol = Windowed(make_policy(self.scenario.policy), Deferred.from_scenario(Replay(record), self.scenario),
                       self.start, self.end)
        return run_model(self.scenario, self.seed, self.shift.replication, policy=pol)


def reference_logs(game: Game) -> dict:
    """The resource-led and the risk-led controllers' runs on the trainee's callers."""
    return {label: run_model(game.scenario, game.seed, game.shift.replication, policy=pol)
            for label, pol in _policies(game.scenario, game.start, game.end).items()}


class ReferenceCache:
    """The two controllers' runs shared by every trainee who plays the same callers (same seed,
    replication and shift, on one base scenario: one cache per base): a room of 20 trainees on
    the same callers runs them once. Thread-safe (Streamlit serves each browser in a thread);
    the most recent ``size`` sets are kept."""

    def __init__(self, size: int = 8):
        import threading

        self.size, self._logs, self._lock = size, {}, threading.Lock()

    def __call__(self, game: Game) -> dict:
        key = (game.seed, game.shift.replication, game.start, game.end)
        with self._lock:
            if key not in self._logs:
                self._logs[key] = reference_logs(game)
                while len(self._logs) > self.size:
                    self._logs.pop(next(iter(self._logs)))
            return self._logs[key]


class StartCache:
    """Shifts started once for every trainee who starts the same one: every trainee with the same
    base scenario, day, hours, seed and replication starts from the same simulated state (the
    force run as usual up to the shift's start, ~0.1 s of CPU), so the game at its first question
    is made once and each trainee is given a copy of it (``Game.copy``, ~0.01 s), which plays on
    exactly as a game made from scratch (tests/test_app_model.py). A reload rebuilds the game the
    same way, then replays the trainee's decisions. Thread-safe (Streamlit serves each browser in
    a thread); the most recent ``size`` shifts are kept."""

    def __init__(self, size: int = 4):
        self.size, self._games, self._lock = size, {}, threading.Lock()

    def __call__(self, base: Scenario, shift: Shift = Shift(), name: str = "trainee") -> Game:
        key = (id(base), astuple(shift))
        with self._lock:
            kept = self._games.get(key)
            if kept is None or kept[0] is not base:   # (the id of a scenario gone may be another's)
                kept = self._games[key] = (base, Game(base, shift, ""))
                while len(self._games) > self.size:
                    self._games.pop(next(iter(self._games)))
            else:   # most recent last
                self._games[key] = self._games.pop(key)
        return kept[1].copy(name)   # outside the lock: the kept game is only read


def _same_callers(a, b) -> bool:
    """The callers of a run are drawn before it starts: same arrivals for every caller who called."""
    ka, kb = a.calls["caller"].to_numpy(), b.calls["caller"].to_numpy()
    first_a = a.calls.drop_duplicates("caller").set_index("caller")["arrival"]
    first_b = b.calls.drop_duplicates("caller").set_index("caller")["arrival"]
    common = np.intersect1d(ka, kb)
    return bool(len(common)) and bool((first_a.loc[common] == first_b.loc[common]).all())


def outcomes(log, start: float, end: float) -> dict:
    """The debrief's numbers for callers who rang in [start, end), outcomes as at the run's end."""
    c = log.calls
    arr = c["arrival"].to_numpy()
    win = (arr >= start) & (arr < end)
    out = {}
    g = log.grade_changes
    res = g[(g["reason"] == 0) & (g["to"] > g["from"]) & (g["time"] >= start) & (g["time"] < end)]
    tr = c["true_risk"].to_numpy()
    out["downgrades"] = int(len(res))
    out["high_risk_downgraded"] = int(np.isin(tr[res["incident"].to_numpy()], (1, 2)).sum())
    scene = c["first_on_scene"].to_numpy()
    ig = c["initial_grade"].to_numpy()
    horizon = float(log.meta["horizon_minutes"])
    for grade, key in ((1, "g1_in_target"), (2, "g2_in_target")):
        m = win & (ig == grade)
        if grade == 1:
            std = np.asarray(log.meta["g1_minutes_by_area"], float)[c["area"].to_numpy()[m]]
        else:
            std = np.full(m.sum(), float(log.meta["g2_minutes"]))
        resp = scene[m] - arr[m]
        known = ~np.isnan(resp) | (horizon - arr[m] > std)
        out[key] = float((resp <= std)[known].mean()) if known.any() else math.nan
        out[key.replace("in_target", "incidents")] = int(m.sum())
    # true G1 callers the controller had on the list (graded G1/G2): a true G1 misgraded as G3 is
    # booked, not the controller's decision, and would show the same wait under every controller
    m = win & (tr == 1) & ((ig == 1) | (ig == 2))
    waits = np.where(np.isnan(scene[m]), horizon, scene[m]) - arr[m]
    out["longest_true_g1_wait"] = float(waits.max()) if waits.size else math.nan
    a = log.activities
    b = a[a["activity"] == 4]   # borrowed
    s, e = np.clip(b["start"].to_numpy(), start, horizon), np.clip(b["end"].to_numpy(), start, horizon)
    out["neighbourhood_hours"] = float(np.maximum(e - s, 0).sum() / 60.0)
    return out


def _why_wrong(d: Decision) -> str | None:
    """Why a true-risk view calls the decision wrong, or None."""
    true = GRADE_NAMES[d.true_risk]
    if d.choice == "downgrade" and d.true_risk <= d.grade:
        return f"downgraded a caller whose true risk is {true} for lack of a unit"
    if d.choice == "keep" and d.true_risk == 1 and (d.neighbourhood_free or d.divertible):
        spare = ("a neighbourhood officer was free" if d.neighbourhood_free
                 else "a unit was on its way to a lower-grade job")
        return f"left a true G1 waiting while {spare}"
    if d.choice in ("borrow", "divert") and d.true_risk >= 3:
        return f"took an officer for a caller whose true risk is only {true}"
    return None


def wrong_calls(decisions: list[Decision]) -> list[dict]:
    """Decisions a true-risk view calls wrong, each with why."""
    out = []
    for d in decisions:
        why = _why_wrong(d)
        if why:
            out.append({"time": clock(d.time), "grade": GRADE_NAMES[d.grade], "true_risk": GRADE_NAMES[d.true_risk],
                        "category": d.category.replace("_", " "), "choice": CHOICE_TEXT[d.choice], "why": why})
    return out


CONTROLLERS = ("resource-led controller", "risk-led controller")


class _Outcomes:
    """The columns of a run's log that ``what_happened`` reads, as arrays taken once: a debrief
    asks them for every decision in each of three runs (pandas filters on the whole log each
    time were most of the debrief's time)."""

    def __init__(self, log):
        c, g, a, shifts = log.calls, log.grade_changes, log.activities, log.unit_shifts
        self.caller, self.initial = c["caller"].to_numpy(), c["initial_grade"].to_numpy()
        self.arrival, self.scene = c["arrival"].to_numpy(float), c["first_on_scene"].to_numpy(float)
        self.appointment, self.final = c["appointment"].to_numpy(float), c["final_grade"].to_numpy()
        self.g_incident, self.g_time = g["incident"].to_numpy(), g["time"].to_numpy(float)
        self.g_from, self.g_to, self.g_reason = g["from"].to_numpy(), g["to"].to_numpy(), g["reason"].to_numpy()
        attended = a["activity"].to_numpy() == 0
        self.a_incident, self.a_unit = a["incident"].to_numpy()[attended], a["unit"].to_numpy()[attended]
        self.a_start = a["start"].to_numpy(float)[attended]
        self.neighbourhood = np.unique(shifts.loc[shifts["pool"] == 1, "unit"].to_numpy())


def what_happened(log, caller: int, start: float) -> str:
    """What a run did with ``caller``'s incident from ``start`` on, in a line: each grade change
    (and why), a neighbourhood officer borrowed for it, and when the first unit reached it (or
    that none did by the run's end, or that it was booked as an appointment). ``log`` is a run's
    log, or its ``_Outcomes`` (taken once for many callers)."""
    o = log if isinstance(log, _Outcomes) else _Outcomes(log)
    rows = np.flatnonzero((o.caller == caller) & (o.initial > 0))
    if not rows.size:
        return "no incident for this caller in this run"
    i = int(rows[0])
    parts = []
    for k in np.flatnonzero((o.g_incident == i) & (o.g_time >= start)):
        t, old, new, reason = float(o.g_time[k]), GRADE_NAMES[int(o.g_from[k])], GRADE_NAMES[int(o.g_to[k])], int(o.g_reason[k])
        if reason == RESOURCE:
            parts.append(f"{clock(t)[4:]} downgraded {old}→{new} (no unit free)")
        elif reason == REASSESSMENT:
            parts.append(f"{clock(t)[4:]} called back, re-assessed {old}→{new}")
        else:
            parts.append(f"{clock(t)[4:]} regraded {old}→{new} ({REASONS[reason]})")
    mine = o.a_incident == i
    if mine.any():
        borrowed = mine & np.isin(o.a_unit, o.neighbourhood)
        if borrowed.any():
            parts.append(f"{clock(o.a_start[borrowed].min())[4:]} neighbourhood officer borrowed")
    arrival, scene, appointment = float(o.arrival[i]), float(o.scene[i]), float(o.appointment[i])
    if scene == scene:
        parts.append(f"unit on scene {clock(scene)[4:]} ({scene - arrival:.0f} min after the call)")
    elif appointment == appointment:
        parts.append(f"booked an appointment ({clock(appointment)})")
    elif int(o.final[i]) == 4:
        parts.append("resolved without a unit (G4)")
    else:
        parts.append("no unit by the end of the run")
    return "; ".join(parts)


def every_decision(decisions: list[Decision], logs: dict, start: float) -> list[dict]:
    """Every decision the trainee made, each with what happened to that caller in the trainee's
    shift and what the resource-led and risk-led controllers did with the same caller (the same
    callers in every run: the caller number is the same, the call row may not be)."""
    out = []
    views = {who: _Outcomes(logs[who]) for who in ("you", *CONTROLLERS)} if decisions else {}
    for d in decisions:
        why = _why_wrong(d)
        row = {"time": clock(d.time), "grade": GRADE_NAMES[d.grade], "true_risk": GRADE_NAMES[d.true_risk],
               "category": d.category.replace("_", " "), "waited": round(float(d.waited)),
               "choice": CHOICE_TEXT[d.choice], "verdict": why or "fits the caller's true risk", "wrong": why is not None}
        known = d.caller >= 0
        row["you"] = what_happened(views["you"], d.caller, start) if known else "–"
        for who in CONTROLLERS:
            row[who] = what_happened(views[who], d.caller, start) if known else "–"
        out.append(row)
    return out


def decision_rows(d: dict) -> list[dict]:
    """The debrief's list of every decision, as the page and the trainee's export show it."""
    return [{"time": r["time"][4:], "incident": f"{r['grade']} {r['category']} (true {r['true_risk']})",
             "you chose": r["choice"], "then (your shift)": r["you"],
             "resource-led controller": r["resource-led controller"], "risk-led controller": r["risk-led controller"],
             "true-risk view": r["verdict"]} for r in d.get("every_decision", [])]


def session_export(d: dict) -> str:
    """The trainee's own session as a short JSON file to keep: who, which callers (seed,
    replication, shift: enough to replay the same callers), the scores beside both controllers',
    and every decision with what each controller did with that caller."""
    keep = {k: d.get(k) for k in ("name", "scenario", "seed", "replication", "shift", "version")}
    keep["scores"] = {label: {who: d["rows"][who].get(key) for who in ("you", *CONTROLLERS)}
                      for key, label, _ in METRICS}
    keep["decisions"] = decision_rows(d)
    return json.dumps(keep, indent=1, ensure_ascii=False, default=_plain)


def session_csv(d: dict) -> str:
    """Every decision of the trainee's session as CSV (a row per decision)."""
    import pandas as pd

    from sim.util.cells import write_csv

    return write_csv(pd.DataFrame(decision_rows(d), columns=["time", "incident", "you chose", "then (your shift)",
                                                             "resource-led controller", "risk-led controller",
                                                             "true-risk view"]))


# ---------------------------------------------------------------------------- session folder
# One writer at a time in the session folder. Streamlit serves every browser from threads of one
# process, and a file is written under a temporary name that is the same for every thread of a
# process (``sim.util.files``): two trainees of the same name finishing in the same second (two
# blank names are both "trainee") chose the same free name and wrote the same temporary file, so
# one debrief was lost or the other's saved in its place; the same trainee's link open in two tabs
# wrote the same progress file. The writes are a few hundred bytes to a few kB: a lock costs nothing.
FOLDER_LOCK = threading.RLock()


def safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip())[:40].strip("-")
    return cleaned or "trainee"


def save_debrief(folder: Path, debrief: dict) -> Path:
    """Write ``<name>-<time>.json`` atomically into the session folder; never overwrites."""
    folder = Path(folder)
    text = json.dumps(debrief, indent=1, default=_plain)
    with FOLDER_LOCK:   # choosing a free name and taking it are one step (see FOLDER_LOCK)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = f"{safe_name(debrief.get('name', ''))}-{stamp}"
        path, k = folder / f"{base}.json", 1
        while path.exists():
            k += 1
            path = folder / f"{base}-{k}.json"
        atomic_write(path, text)
    return path


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    raise TypeError(type(v))


def debrief_table(d: dict) -> list[dict]:
    """The debrief's rows as shown (formatted as the page shows them)."""
    from sim.app.text import fmt

    order = ["you", "resource-led controller", "risk-led controller"]
    out = []
    for key, label, unit in METRICS:
        out.append({"": label, **{("You" if w == "you" else w.capitalize()): fmt(unit, d["rows"][w].get(key))
                                  for w in order}})
    return out


# ---------------------------------------------------------------------------- a reload resumes
# A trainee's shift is a pure function of the scenario, the shift (seed, replication, window) and
# the decisions made so far: that is all a reload needs. It is kept, per trainee id (the page's
# ``?trainee=`` in the address), as a small file in the session folder's ``in-progress/``, and
# the game is rebuilt by replaying the decisions (a fraction of a second).
PROGRESS = "in-progress"
_ID = re.compile(r"[a-z0-9]{6,32}")


def trainee_id(given: str | None = None) -> str:
    """``given`` if it is a trainee id (6-32 lower-case letters and digits), else a new one."""
    import secrets

    return given if isinstance(given, str) and _ID.fullmatch(given) else secrets.token_hex(5)


def progress_path(folder: Path, tid: str) -> Path:
    if not _ID.fullmatch(tid or ""):
        raise ValueError(f"trainee id: {tid!r}; expected 6-32 lower-case letters and digits")
    return Path(folder) / PROGRESS / f"{tid}.json"


def save_progress(folder: Path, tid: str, game: Game, saved: str | None = None) -> Path:
    """Write what a reload needs to rebuild ``game`` (atomically; a few hundred bytes)."""
    path = progress_path(folder, tid)
    state = {"id": tid, "name": game.name, "shift": asdict(game.shift), "seed": game.seed,
             "decisions": [[d.call, d.time, d.choice] for d in game.decisions], "saved": saved}
    with FOLDER_LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(state, default=_plain))
    return path


def load_progress(folder: Path, tid: str) -> dict | None:
    try:
        state = json.loads(progress_path(folder, tid).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return state if isinstance(state, dict) and state.get("id") == tid else None


def resume(folder: Path, tid: str, base: Scenario, starts=Game) -> tuple[Game, str | None] | None:
    """The trainee's game rebuilt from their saved progress (their decisions replayed on the same
    callers), and the debrief file already saved for it, if any; None if there is nothing to
    resume or the record does not fit this scenario (then the trainee starts afresh).
    ``starts(base, shift, name)`` makes the game at its start (``Game``, or a ``StartCache``)."""
    state = load_progress(folder, tid)
    if state is None:
        return None
    try:
        shift = Shift(**state["shift"])
        game = starts(base, shift, str(state["name"]))
        for call, time, choice in state["decisions"]:
            q = game.question
            if q is None or q.call != int(call) or q.time != float(time):
                return None
            game.decide(str(choice))
    except (KeyError, TypeError, ValueError, RuntimeError):
        return None
    return game, state.get("saved")


def forget_progress(folder: Path, tid: str) -> None:
    try:
        with FOLDER_LOCK:
            progress_path(folder, tid).unlink()
    except (OSError, ValueError):
        pass


def playing(folder: Path) -> int:
    """Trainees with a shift under way (progress kept, no debrief saved yet): for the facilitator."""
    n = 0
    for path in (Path(folder) / PROGRESS).glob("*.json"):
        try:
            n += json.loads(path.read_text(encoding="utf-8")).get("saved") is None
        except (OSError, ValueError, UnicodeDecodeError, AttributeError):
            continue
    return n
