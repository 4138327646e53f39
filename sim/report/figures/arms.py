"""What the figures read: one ``ArmView`` per scenario arm of a results folder, built from
its saved files only (profiles.parquet, summary.csv, the resolved scenario.toml), so an old
folder can be drawn again without re-running anything; and the few questions every figure
asks of its arms (which have a profile, how many replications, whether a week is covered).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from sim.report.figures.style import DAYS, _short

if TYPE_CHECKING:
    import pandas as pd

WEEK_PROFILES = {"incidents_to_attend", "units_on_duty", "units_available", "units_busy", "resource_downgrades",
                 "pending", "overtime_hours", "neighbourhood_hours", "vulnerable", "undergraded"}


@dataclass
class ArmView:
    """One scenario arm of a results folder, as read back from its files."""
    name: str                       # "" (run), "a"/"b" (compare), "p000".. (sweep)
    label: str                      # what a reader calls it
    profiles: pd.DataFrame | None   # long format: profile, key, x, value, replication
    kpis: dict[str, dict]           # summary.csv: kpi -> {mean, ci_low, ci_high, half_width, reps, unit}
    scenario: dict                  # the resolved scenario.toml
    values: dict = field(default_factory=dict)   # sweep: the varied keys and their values here
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def reps(self) -> int:
        if self.profiles is not None and not self.profiles.empty:
            return int(self.profiles["replication"].nunique())
        r = next(iter(self.kpis.values()), {}).get("reps", 0)
        return int(r) if r == r else 0

    def kpi(self, name: str) -> float:
        v = self.kpis.get(name, {}).get("mean", math.nan)
        return float(v) if v is not None else math.nan

    def profile(self, name: str, key: str = "") -> tuple[np.ndarray, np.ndarray] | None:
        """(x, values[replication, x]) of one profile, or None when missing or all NaN."""
        if (name, key) in self._cache:
            return self._cache[(name, key)]
        out = None
        p = self.profiles
        if p is not None and not p.empty:
            sub = p[(p["profile"] == name) & (p["key"] == key)]
            if not sub.empty:
                wide = sub.pivot_table(index="replication", columns="x", values="value", aggfunc="mean",
                                       dropna=False).sort_index().sort_index(axis=1)
                m = wide.to_numpy(float, copy=True)
                if m.shape[1] in (168, 672) and name in WEEK_PROFILES:
                    m[:, ~self.covered(m.shape[1])] = np.nan   # parts of the week the run never saw
                if m.size and not np.all(np.isnan(m)):
                    out = (wide.columns.to_numpy(float), m)
        self._cache[(name, key)] = out
        return out

    def covered(self, n_slots: int = 168) -> np.ndarray:
        """Which slots of the week the measured window [warm-up, warm-up + days) covers at all:
        a run shorter than a week leaves some hours unseen (blank, not zero, in the figures)."""
        run = self.scenario.get("run", {})
        try:
            lo = float(run.get("warmup_days", 0)) * 1440.0
            hi = lo + float(run.get("days", 7)) * 1440.0
        except (TypeError, ValueError):
            return np.ones(n_slots, bool)
        week = 7 * 1440.0
        if hi - lo >= week:
            return np.ones(n_slots, bool)
        size = week / n_slots
        starts = np.arange(n_slots) * size
        out = np.zeros(n_slots, bool)
        for k in range(int(lo // week), int(hi // week) + 1):
            a = starts + k * week
            out |= (a < hi) & (a + size > lo)
        return out

    @property
    def policy(self) -> str:
        return str(self.scenario.get("policy", {}).get("kind", "?"))

    def rota_pattern(self, pool: str = "response"):
        """The pool's team pattern (validated), or None for a weekly template or a bad table."""
        table = self.scenario.get(pool, {}).get("pattern")
        if not table:
            return None
        from pydantic import ValidationError

        from sim.scenario import Pattern
        try:
            return Pattern.model_validate(table)
        except ValidationError:
            return None

    def start_date(self):
        import datetime as dt

        start = self.scenario.get("run", {}).get("start_date", dt.date(2016, 9, 5))
        return start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))

    def rota_note(self, pool: str = "response") -> str:
        """A sentence when the rota is a team pattern: what a week of it in a figure means."""
        p = self.rota_pattern(pool)
        if p is None:
            return ""
        from sim.scenario.rota import period_days, weeks_alike
        rota = SimpleNamespace(pattern=p, shifts={})
        if weeks_alike(rota, self.start_date()):
            return f"the {pool} rota is a {p.days}-day team pattern with the same shifts on duty every week"
        return (f"the {pool} rota is a {p.days}-day team pattern: its weeks differ, so the shifts drawn are its "
                f"average week (over the {period_days(rota)} days until the cycle and the week realign) and each "
                "hour of a profile is the mean over the run's weeks")

    def shifts(self, pool: str = "response") -> list[dict]:
        """Shifts as {name, start_h, hours, days (0..6), heads (7)} from the resolved scenario; a
        team pattern's shift types with their rostered staff averaged over its period."""
        table = (self.scenario.get(pool, {}) if pool != "call_handling" else self.scenario.get("call_handling", {}))
        pattern = self.rota_pattern(pool)
        if pattern is not None:
            from sim.scenario.rota import weekly_shifts
            return weekly_shifts(SimpleNamespace(pattern=pattern, shifts={}), self.start_date())
        out = []
        for name, sh in (table.get("shifts") or {}).items():
            try:
                hh, mm = str(sh.get("start", "00:00")).split(":")
                start = int(hh) + int(mm) / 60.0
            except ValueError:
                continue
            heads = sh.get("units", sh.get("staff", 1))
            heads = list(heads) if isinstance(heads, (list, tuple)) else [heads] * 7
            days = [DAYS.index(d) for d in sh.get("days", DAYS) if d in DAYS]
            out.append({"name": name, "start_h": start, "hours": float(sh.get("hours", 0)), "days": days,
                        "heads": heads})
        return out

    def standards(self) -> dict:
        st = self.scenario.get("standards", {})
        g1 = st.get("g1_minutes", {"urban": 15.0, "rural": 20.0})
        return {"g1": {k: float(v) for k, v in g1.items()}, "g2": float(st.get("g2_minutes", 60.0)),
                "g3": float(st.get("g3_hours", 48.0)) * 60.0}

    def recommendation(self) -> dict:
        r = self.scenario.get("recommendation", {})
        return {"tolerance": float(r.get("downgrades_per_week_tolerance", 0.0)),
                "g1_aim": float(r.get("g1_aim", 0.9)), "g2_aim": float(r.get("g2_aim", 0.9))}


def _reps_text(arms: list[ArmView]) -> str:
    n = sorted({a.reps for a in arms})
    if n == [1]:
        return "1 replication, no confidence band"
    return f"mean of {'/'.join(str(x) for x in n)} replications, 95% CI shaded"


def _partial_week(arms: list[ArmView]) -> str:
    """A note when the measured days do not cover a whole week."""
    if all(a.covered(168).all() for a in arms):
        return ""
    return "the measured days cover less than a week, so the hours the run never reached are left blank"


def _tag(arm: ArmView) -> str:
    """'A' for an arm labelled 'A: name', else a short label."""
    head = arm.label.split(":", 1)[0]
    return head if ":" in arm.label and len(head) <= 2 else _short(arm.label, 20)


def _unique_shifts(arms: list[ArmView]) -> list[dict]:
    seen, out = set(), []
    for a in arms:
        for sh in a.shifts("response"):
            key = (sh["name"], sh["start_h"], sh["hours"], tuple(sh["days"]), tuple(h > 0 for h in sh["heads"]))
            if key not in seen:
                seen.add(key)
                out.append(sh)
    return out


def _with_profile(arms: list[ArmView], name: str) -> list[tuple[ArmView, tuple]]:
    """(arm, its profile ``name``) for the arms whose files have that profile."""
    got = [(a, a.profile(name)) for a in arms]
    return [(a, p) for a, p in got if p is not None]


def _measured_days(arm: ArmView):
    d = arm.scenario.get("run", {}).get("days")
    return d if isinstance(d, (int, float)) else None
