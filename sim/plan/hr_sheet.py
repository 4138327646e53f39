"""The HR sheet of a team pattern: ``teams.csv`` (team, size, cycle, first day, shift types)
and a 5-week calendar of who is on which tour (``calendar.csv`` and ``calendar.png``).

Both are read from the pattern as the simulation reads it: the calendar is the scenario's own
shift instances (``sim.scenario.rota.shift_instances``) laid out by date and team, so it shows
exactly the unit shifts the model rosters, from the run's first day. An overlay team (a fixed
weekly tour, ``pattern.overlay``) is a row of both: its cycle is its week (Mon..Sun), the tour
code on its days is its own name.
"""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from sim.scenario import DAYS, REST, Scenario
from sim.scenario.rota import DAY, cycle_day, first_date_on, shift_instances

WEEKS = 5


def _clock(minute: float) -> str:
    m = int(round(minute)) % 1440
    return f"{m // 60:02d}:{m % 60:02d}"


def _tour(code: str, st) -> str:
    return f"{code} {_clock(st.start_minute)}-{_clock(st.start_minute + st.hours * 60)} ({st.hours:g} h)"


def teams_frame(s: Scenario) -> pd.DataFrame:
    """One row a team: its size, the cycle, the cycle day (1 = first) it is on at the run's first
    day, the first date on or after that it starts the cycle from day 1, the tours."""
    p = s.response.pattern
    tours = "; ".join(_tour(c, st) for c, st in p.shift_types.items() if c in p.cycle)
    hours = sum(p.shift_types[c].hours for c in p.cycle if c != REST) * 7.0 / p.days
    rows = []
    for name, team in p.teams.items():
        first = first_date_on(p, team, 0, s.run.start_date)
        rows.append({"team": name, "size": team.size, "cycle_days": p.days, "offset": team.offset,
                     "cycle_day_on_start": cycle_day(p, team, s.run.start_date) + 1,
                     "first_day": first.isoformat(), "first_weekday": DAYS[first.weekday()],
                     "cycle": " ".join(p.cycle), "shift_types": tours, "hours_per_week": round(hours, 2)})
    monday = s.run.start_date + dt.timedelta(days=-s.run.start_date.weekday() % 7)
    for name, ov in p.overlays.items():
        rows.append({"team": name, "size": ov.size, "cycle_days": 7, "offset": 0,
                     "cycle_day_on_start": s.run.start_date.weekday() + 1,
                     "first_day": monday.isoformat(), "first_weekday": DAYS[0],
                     "cycle": " ".join(name if d in ov.days else REST for d in DAYS),
                     "shift_types": _tour(name, ov), "hours_per_week": round(ov.hours * len(ov.days), 2)})
    return pd.DataFrame(rows)


def calendar_frame(s: Scenario, weeks: int = WEEKS) -> pd.DataFrame:
    """Dates x teams from the run's first day: the tour code each team works (``R``: rest),
    then the officers rostered on each tour that day. From the simulation's shift instances."""
    p = s.response.pattern
    days = 7 * weeks
    codes = {(int(i.start // DAY), i.team): i.name for i in shift_instances(s.response, days * DAY, s.run.start_date)
             if i.start >= 0}
    rows = []
    for d in range(days):
        date = s.run.start_date + dt.timedelta(days=d)
        row = {"date": date.isoformat(), "day": DAYS[date.weekday()]}
        for name in [*p.teams, *p.overlays]:
            row[name] = codes.get((d, name), REST)
        for code in p.shift_types:
            if code in p.cycle:
                row[f"on_{code}"] = sum(t.size for n, t in p.teams.items() if row[n] == code)
        for name, ov in p.overlays.items():
            row[f"on_{name}"] = ov.size if row[name] == name else 0
        rows.append(row)
    return pd.DataFrame(rows)


def calendar_png(s: Scenario, weeks: int = WEEKS) -> bytes:
    """The calendar as a figure: teams down, dates across, each tour its colour."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    p = s.response.pattern
    cal = calendar_frame(s, weeks)
    codes = [REST] + [c for c in p.shift_types if c in p.cycle] + list(p.overlays)
    sizes = {**{n: t.size for n, t in p.teams.items()}, **{n: ov.size for n, ov in p.overlays.items()}}
    grid = [[codes.index(cal[t].iloc[d]) for d in range(len(cal))] for t in sizes]
    colours = ["#f2f2f2", "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]
    fig, ax = plt.subplots(figsize=(min(3 + 0.28 * len(cal), 14), 1.2 + 0.32 * len(sizes)), dpi=100)
    ax.imshow(grid, aspect="auto", cmap=ListedColormap(colours[:len(codes)]), vmin=0, vmax=len(codes) - 1,
              interpolation="nearest")
    for ti in range(len(sizes)):
        for d in range(len(cal)):
            if grid[ti][d]:
                ax.text(d, ti, codes[grid[ti][d]], ha="center", va="center", fontsize=6, color="white")
    ax.set_yticks(range(len(sizes)), [f"{n} ({size})" for n, size in sizes.items()], fontsize=7)
    ax.set_xticks(range(0, len(cal), 7), [f"{cal['day'].iloc[d]} {cal['date'].iloc[d]}" for d in range(0, len(cal), 7)],
                  fontsize=7)
    legend = "; ".join(_tour(c, p.shift_types[c] if c in p.shift_types else p.overlays[c]) for c in codes[1:])
    ax.set_title(f"Who is on which tour, {weeks} weeks from {cal['date'].iloc[0]}: {legend}", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
