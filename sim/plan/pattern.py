"""The plan as a team pattern (``plan --pattern``), where one fits.

A team pattern gives every team the same cycle of shift codes; with T teams of m officers at
offsets 0, 7, 14, ... days of a T-week cycle, on any weekday the teams stand on the T cycle
days of that weekday's column, so the head-count of a shift on that weekday is m x the number
of cells of its code in the column (the 5-week VSA's construction). The plan's head-counts are
covered in whole teams (rounded up); the cells of each column are then ordered into a cycle
within the fatigue limits (11 h rest, at most 4 nights and 7 duties in a row) by a seeded
greedy search. It fits when some team size gives at most ``MAX_WEEKS`` teams, costs at most
``MAX_EXTRA`` more officer-hours than the plan, and can be ordered; otherwise the note says
which of these failed.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import numpy as np

from sim import __version__
from sim.scenario.rota import NIGHT_MINUTES, _night_minutes, fatigue_problem
from sim.scenario import DAYS, REST, Pattern, ScenarioError, load_scenario
from sim.scenario.writing import array_rows, number

MAX_WEEKS = 12          # teams (and weeks in the cycle): longer cycles are not a rota a force runs
MAX_EXTRA = 0.05        # rounding head-counts up to whole teams may add at most 5% officer-hours
BLOCK = 4               # days of one shift in a row before a rest day is preferred
ATTEMPTS = 400
CODES = [c for c in "ABCDEFGHIJKLMNOPQSTUVWXYZ"]   # R is the rest day


def team_pattern(result, scenario_path: Path, out: Path, roots=None) -> tuple[str | None, str]:
    """``(pattern.toml text, note)``, or ``(None, why none fits)``; ``roots``: folders the
    pattern's base chain (and trace) may also come from when it is loaded to be checked."""
    s = result.scenario
    template = result.proposed
    if len(template) > len(CODES):
        return None, f"no team pattern fits: the plan has {len(template)} shifts, more than {len(CODES)} codes"
    types = {CODES[i]: (v["start"], float(v["hours"])) for i, v in enumerate(template.values())}
    heads = np.array([[v["units"][d] if DAYS[d] in v["days"] else 0 for d in range(7)] for v in template.values()])
    hours = np.array([h for _, h in types.values()])
    plan_hours = float((heads.sum(axis=1) * hours).sum())
    contracted = s.response.contracted_hours_per_week
    tried = []
    for m in range(1, int(heads.max()) + 1):
        cells = -(-heads // m)                             # cells of each code in each weekday's column
        weeks = max(int(cells.sum(axis=0).max()), math.ceil((cells.sum(axis=1) * hours).sum() / contracted - 1e-9))
        extra = float(((cells * m - heads).sum(axis=1) * hours).sum())
        if weeks > MAX_WEEKS:
            continue
        tried.append((m, weeks, extra))
        if extra > MAX_EXTRA * plan_hours:
            continue
        cycle = _arrange(cells, weeks, types)
        if cycle is None:
            continue
        text = _text(result, scenario_path, out, types, cycle, m, weeks, extra, plan_hours)
        problem = _check(text, out, result, roots)
        if problem is None:
            return text, (f"team pattern (pattern.toml): {weeks} teams of {m}, a {7 * weeks}-day cycle, "
                          f"+{extra:,.0f} officer-hours a week over rota.toml ({extra / plan_hours:+.1%}) to cover "
                          "each shift in whole teams")
    if not tried:
        m = math.ceil(heads.sum(axis=0).max() / MAX_WEEKS)
        return None, (f"no team pattern fits: at most {MAX_WEEKS} teams would need teams of at least ~{m} officers, "
                      f"and the plan's shifts (as few as {int(heads[heads > 0].min())} a day) are not multiples of such "
                      "teams")
    m, weeks, extra = min(tried, key=lambda t: t[2])
    if extra > MAX_EXTRA * plan_hours:
        return None, (f"no team pattern fits: covering the plan's head-counts (which vary by shift and day) in whole "
                      f"teams, with at most {MAX_WEEKS} teams, costs at least {extra:,.0f} more officer-hours a week "
                      f"({extra / plan_hours:+.0%}, teams of {m}); more than the {MAX_EXTRA:.0%} allowed")
    return None, ("no team pattern fits: the shifts could not be ordered into a cycle within the fatigue limits "
                  "(11 h rest between tours, at most 4 nights and 7 duties in a row)")


def _is_night(start: str, hours: float) -> bool:
    h, mm = (int(x) for x in start.split(":"))
    return _night_minutes(h * 60.0 + mm, h * 60.0 + mm + hours * 60.0) >= NIGHT_MINUTES


def _arrange(cells: np.ndarray, weeks: int, types: dict) -> list[str] | None:
    """Order each weekday column's cells (codes and rests) into a cycle of ``weeks`` x 7 days
    that passes the fatigue limits; a greedy walk day by day, seeded tie-breaks, a few hundred
    tries (deterministic)."""
    codes = list(types)
    start = {c: int(types[c][0][:2]) * 60 + int(types[c][0][3:]) for c in codes}
    night = {c: _is_night(*types[c]) for c in codes}
    columns = [{c: int(cells[i, w]) for i, c in enumerate(codes)} for w in range(7)]
    for w in range(7):
        columns[w][REST] = weeks - sum(columns[w].values())
    for attempt in range(ATTEMPTS):
        rng = np.random.default_rng(attempt)
        left = [dict(col) for col in columns]
        cycle: list[str] = []
        run, nights, last_end, rests = 0, 0, -math.inf, 0
        total_rest = sum(col[REST] for col in columns)
        for day in range(7 * weeks):
            col = left[day % 7]
            prev = cycle[-1] if cycle else REST
            # rest days paced through the cycle, not left to its end: behind > 0 when fewer rests
            # have been taken than an even spread would have by now
            behind = total_rest * day / (7 * weeks) - rests
            options = []
            for c, n in col.items():
                if n <= 0:
                    continue
                if c == REST:
                    # a rest after a block of BLOCK duties, after 2 or more when rests run behind,
                    # a second rest day when still behind (rest days in pairs), or when far behind
                    rank = 0 if (run >= BLOCK or (run >= 2 and behind >= 1.5) or (run == 0 and behind >= 1)
                                 or behind >= 3) else (2 if behind > -1 else 3.5)
                else:
                    begin = day * 1440 + start[c]
                    if (begin - last_end) / 60.0 < 11.0 or run >= 7 or (night[c] and nights >= 4):
                        continue
                    rank = 1 if c == prev and run < BLOCK else (3 if prev != REST else 1)
                options.append((rank, rng.random(), c))
            if not options:
                break
            _, _, pick = min(options)
            col[pick] -= 1
            cycle.append(pick)
            if pick == REST:
                run, nights, rests = 0, 0, rests + 1
            else:
                run += 1
                nights = nights + 1 if night[pick] else 0
                last_end = day * 1440 + start[pick] + types[pick][1] * 60
        if len(cycle) == 7 * weeks and _fatigue_ok(cycle, types):
            return cycle
    return None


def _fatigue_ok(cycle: list[str], types: dict) -> bool:
    p = Pattern.model_validate({"anchor": dt.date(2016, 9, 5), "cycle": cycle,
                                "shift_types": {c: {"start": st, "hours": h} for c, (st, h) in types.items()},
                                "teams": {"T01": {"size": 1, "offset": 0}}})
    return fatigue_problem(p) is None


def _text(result, scenario_path: Path, out: Path, types: dict, cycle: list[str], m: int, weeks: int,
          extra: float, plan_hours: float) -> str:
    from sim.plan.folder import add_handlers, planned_document

    s = result.scenario
    anchor = s.run.start_date - dt.timedelta(days=s.run.start_date.weekday())
    doc = planned_document(result, [
        f"The planned response rota as a team pattern, by triage-sim plan {__version__}: {weeks} teams of {m} "
        f"officers, each working a {7 * weeks}-day cycle",
        "(one row a week, Mon..Sun); team k starts on week k. Each shift's head-count in rota.toml is covered "
        "in whole teams:",
        f"{plan_hours + extra:,.0f} officer-hours a week, +{extra:,.0f} over rota.toml. Fatigue limits checked.",
        f"Run it: triage-sim run {out / 'pattern.toml'} --reps 10"], f"{s.meta.name}-planned-pattern")
    doc.table("response.pattern")
    doc.set("anchor", anchor, "a Monday")
    doc.set("cycle", array_rows([cycle[7 * k:7 * k + 7] for k in range(weeks)], " " * len("cycle = [")))
    for c, (st, h) in types.items():
        doc.set(f"shift_types.{c}", {"start": st, "hours": number(h, "g")})
    for k in range(weeks):
        doc.set(f"teams.T{k + 1:02d}", {"size": m, "offset": 7 * k})
    add_handlers(doc, result)
    return doc.text()


def _check(text: str, out: Path, result, roots=None) -> str | None:
    """Load the pattern as a scenario (validation and fatigue checks) and confirm that it has at
    least the plan's officers on duty every quarter-hour of the average week."""
    from sim.scenario.rota import average_week
    from sim.plan.shifts import coverage_of

    tmp = out / f".pattern.toml.check-{os.getpid()}"
    try:
        tmp.write_text(text)
        s = load_scenario(tmp, roots=roots)
    except ScenarioError as exc:
        return str(exc)
    finally:
        tmp.unlink(missing_ok=True)
    quarters = average_week(s.response, s.run.start_date, 15.0).reshape(168, 4).min(axis=1)
    short = np.flatnonzero(quarters + 1e-9 < coverage_of(result.proposed))
    return None if short.size == 0 else f"fewer on duty than the plan at hour of week {int(short[0])}"
