"""A rota as a planner reads it, in text: what ``triage-sim check`` prints for each pool.

Establishment (people needed to staff the rota), hours a week rostered and on duty after
abstraction, a pattern's cycle per team, and who is on duty by hour of the week (for a cycle
that is not a whole number of weeks, the average week over the days until cycle and week
realign, and said so).
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from sim.scenario.rota import (average_week, cycle_day, establishment, hours_per_week, mean_share_absent, period_days, weeks_alike)
from sim.scenario.base import DAYS


def rota_summary(label: str, pool, start_date: dt.date) -> list[str]:
    absent = mean_share_absent(pool.abstraction)
    hours = hours_per_week(pool)
    est = establishment(pool, pool.contracted_hours_per_week)
    out = []
    if pool.pattern is None:
        out.append(f"#   {label}: weekly template of {len(pool.shifts)} shift(s) ({', '.join(pool.shifts)})")
        out.append(f"#     establishment {est:,.1f} (rostered {hours:,.0f} hours a week / "
                   f"{pool.contracted_hours_per_week:g} contracted hours each)")
    else:
        p = pool.pattern
        sizes = [t.size for t in p.teams.values()]
        out.append(f"#   {label}: team pattern, {p.days}-day cycle anchored {p.anchor} ({DAYS[p.anchor.weekday()]}), "
                   f"{len(p.teams)} team(s), shift types "
                   + ", ".join(f"{c} {st.start} {st.hours:g} h" for c, st in p.shift_types.items()))
        each = hours / max(est, 1)
        gap = each - pool.contracted_hours_per_week
        versus = "" if abs(gap) < 0.05 else (f", {abs(gap):.1f} h {'more' if gap > 0 else 'fewer'} than the "
                                             f"{pool.contracted_hours_per_week:g} contracted")
        overlay = "".join(f" + overlay {n} {ov.size}" for n, ov in p.overlays.items())
        out.append(f"#     establishment {est:,.0f} (team sizes {'+'.join(map(str, sizes))}{overlay}); "
                   f"{each:.1f} hours a week per person on average over the cycle{versus}")
        for name, team in p.teams.items():
            first = cycle_day(p, team, start_date)
            codes = [p.cycle[(first + i) % p.days] for i in range(p.days)]
            out.append(f"#     team {name} ({team.size}), from {start_date}: {' '.join(codes)}")
        for name, ov in p.overlays.items():
            out.append(f"#     overlay team {name} ({ov.size}), every week: {' '.join(ov.days)} {ov.start} {ov.hours:g} h "
                       f"({len(ov.days) * ov.hours:g} h a week each)")
    out.append(f"#     {hours:,.0f} person-hours a week rostered; about {hours * (1 - absent):,.0f} on duty "
               f"after {absent:.0%} abstraction")
    out += _hour_table(pool, start_date)
    return out


def _hour_table(pool, start_date: dt.date) -> list[str]:
    week = average_week(pool, start_date, step=60.0).reshape(7, 24)
    days = period_days(pool)
    if weeks_alike(pool, start_date):
        head = "rostered on duty by hour of week" + ("" if days == 7 else " (the same every week)")
    else:
        head = (f"rostered on duty by hour of week: the average week of the {days} days "
                f"until the {pool.pattern.days}-day cycle and the week realign")
    lo = np.unravel_index(int(np.argmin(week)), week.shape)
    out = [f"#     {head}; fewest {week.min():.0f} ({DAYS[lo[0]]} {lo[1]:02d}:00), most {week.max():.0f}",
           "#           " + "".join(f"{h:>4d}" for h in range(24))]
    for d in range(7):
        out.append(f"#     {DAYS[d]}   " + "".join(f"{v:>4.0f}" for v in week[d]))
    return out
