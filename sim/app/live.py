"""Live peak: one run of the default force stepped in accelerated time through a window
(default Friday 16:00 to Saturday 04:00, after the week's first days as warm-up), with what
a control-room wall would show: the pending list, units free / busy / on a break, and a
ticker of what happens. It is an ordinary run (``Session`` with the scenario's policy)
watched between steps; nothing in it is modelled twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from sim.experiment.replications import with_overrides
from sim.model.log import GRADE_NAMES
from sim.model.interactive import Session
from sim.scenario import DAYS, Scenario

WAIT_NOTE = {1: 10.0, 2: 30.0}   # a waiting G1 / G2 gets a ticker line once it has waited this long
CHART_HEIGHT = 150     # pixels a panel of the wall's chart takes on the page
SAMPLE_MINUTES = 2.0   # the wall's time series: one point every two simulated minutes
MONDAY = "2016-02-01"  # a Monday: simulated minutes drawn as clock times on the chart (no date shown)


def clock(minute: float) -> str:
    """'Fri 21:14' for a simulated minute from Monday 00:00 of week 1."""
    m = int(minute)
    return f"{DAYS[(m // 1440) % 7]} {(m % 1440) // 60:02d}:{m % 60:02d}"


def window_minutes(day: str, start_hour: int, hours: float) -> tuple[float, float]:
    """The first ``day`` after the first two days of the run (so there is a warm-up)."""
    if day not in DAYS:
        raise ValueError(f"day: {day!r}; expected one of {', '.join(DAYS)}")
    if not (0 <= start_hour <= 23) or not (1 <= hours <= 24):
        raise ValueError(f"window: start {start_hour!r}, hours {hours!r}; expected a start hour 0-23 and 1-24 hours")
    d = DAYS.index(day)
    d += 7 if d < 2 else 0
    start = d * 1440.0 + start_hour * 60.0
    return start, start + hours * 60.0


def windowed(base: Scenario, start: float, end: float, tail_hours: float = 0.0) -> Scenario:
    """The scenario run up to ``end`` (+ tail), measured from ``start``: warm-up = everything before."""
    return with_overrides(base, [f"run.warmup_days={start / 1440.0!r}",
                                 f"run.days={(end - start + tail_hours * 60.0) / 1440.0!r}"])


def describe(callers, caller: int, categories: list[str]) -> str:
    return categories[int(callers.category[caller])].replace("_", " ")


@dataclass
class Tick:
    time: float
    text: str
    kind: str   # "g1" | "wait" | "downgrade" | "reassess" | "upgrade"


class LivePeak:
    def __init__(self, base: Scenario, day: str = "Fri", start_hour: int = 16, hours: float = 12,
                 seed: int | None = None, replication: int = 0):
        self.start, self.end = window_minutes(day, start_hour, hours)
        self.scenario = windowed(base, self.start, self.end)
        self.session = Session(self.scenario, seed, replication)
        self.session.advance(self.start)          # the warm-up, at full speed
        self.categories = self.scenario.thrive.category_names()
        self.ticker: list[Tick] = []
        self._changes = len(self.session.grade_changes())
        self._seen_call = self.session.model.rec.calls.n
        self._noted: set[tuple[int, int]] = set()
        self.downgrades = 0
        self.seed = self.scenario.run.seed if seed is None else int(seed)
        self.replication = replication
        self.samples: list[tuple] = []   # (minute, pending, G1/G2 pending, units free, downgrades so far)
        self._sample()

    @property
    def now(self) -> float:
        return self.session.now

    @property
    def done(self) -> bool:
        return self.session.now >= self.end

    def step(self, minutes: float) -> list[Tick]:
        """Advance the clock by ``minutes`` (not past the window's end); the new ticker lines."""
        if minutes <= 0:
            raise ValueError(f"step: {minutes!r} minutes; expected a positive number")
        target, new = min(self.now + minutes, self.end), []
        while self.now < target:   # the series is sampled on a fixed grid, whatever the steps
            nxt = (self.now // SAMPLE_MINUTES + 1) * SAMPLE_MINUTES
            self.session.advance(min(nxt, target))
            new += self._new_ticks()
            if self.now == nxt or self.now >= self.end:
                self._sample()
        new.sort(key=lambda k: k.time)
        self.ticker.extend(new)
        return new

    def _sample(self) -> None:
        pend = self.session.pending()
        self.samples.append((self.now, len(pend), sum(p["grade"] <= 2 for p in pend), self.session.units()["free"],
                             self.downgrades))

    def series(self) -> "pd.DataFrame":
        """The wall's time series so far (one row per sample): what the chart draws."""
        import pandas as pd

        df = pd.DataFrame(self.samples, columns=["minute", "pending", "G1/G2 pending", "units free", "downgrades"])
        df["time"] = pd.Timestamp(MONDAY) + pd.to_timedelta(df["minute"], unit="min")
        return df

    def downgrade_marks(self) -> "pd.DataFrame":
        """Each resource-led downgrade in the window so far: when, and what (the chart's markers)."""
        import pandas as pd

        rows = [(t.time, t.text) for t in self.ticker if t.kind == "downgrade" and t.time >= self.start]
        df = pd.DataFrame(rows, columns=["minute", "what"])
        df["time"] = pd.Timestamp(MONDAY) + pd.to_timedelta(df["minute"], unit="min")
        return df

    def _new_ticks(self) -> list[Tick]:
        m, out = self.session.model, []
        calls, callers = m.rec.calls, m.callers
        for c in range(self._seen_call, calls.n):       # new G1 incidents
            if calls.initial_grade[c] == 1 and calls.graded[c] >= self.start:
                what = describe(callers, calls.caller[c], self.categories)
                sent = calls.first_dispatch[c] == calls.first_dispatch[c]
                out.append(Tick(calls.graded[c], f"G1 {what} — " + ("unit sent" if sent else "no unit free"), "g1"))
        self._seen_call = calls.n
        for p in self.session.pending():                  # G1/G2 waiting longer than a note's worth
            limit = WAIT_NOTE.get(p["grade"])
            key = (p["call"], p["grade"])
            if limit is not None and p["waited"] >= limit and key not in self._noted:
                self._noted.add(key)
                what = describe(callers, p["caller"], self.categories)
                out.append(Tick(self.now, f"{GRADE_NAMES[p['grade']]} {what} — no unit free — waiting "
                                          f"{p['waited']:.0f} min", "wait"))
        changes = self.session.grade_changes(self._changes)
        self._changes += len(changes)
        for call, t, old, new, reason in changes:
            what = describe(callers, calls.caller[call], self.categories)
            if new > old and reason == 0:
                self.downgrades += t >= self.start
                out.append(Tick(t, f"{GRADE_NAMES[old]} {what} downgraded to {GRADE_NAMES[new]} — no unit free",
                                "downgrade"))
            else:
                out.append(Tick(t, f"{GRADE_NAMES[old]} {what} re-assessed as {GRADE_NAMES[new]}",
                                "reassess" if new > old else "upgrade"))
        return sorted(out, key=lambda k: k.time)

    def charts(self) -> list:
        """The wall's charts (Altair, one per panel: each stretches to the page's width): the pending list, units free and downgrades so far against
        the clock, on an axis fixed to the whole window so the lines grow across it as the clock
        runs; each downgrade marked by a red rule where it happened. A pure function of the run
        so far: the same seed and steps give the same chart."""
        import altair as alt
        import pandas as pd

        data, marks = self.series(), self.downgrade_marks()
        x0 = pd.Timestamp(MONDAY) + pd.to_timedelta(self.start, unit="min")
        x1 = pd.Timestamp(MONDAY) + pd.to_timedelta(self.end, unit="min")
        x = alt.X("time:T", title=None, scale=alt.Scale(domain=[x0.isoformat(), x1.isoformat()]),
                  axis=alt.Axis(format="%a %H:%M", labelFontSize=13))
        panels = []
        for title, cols, colours in (("Pending (red: G1/G2)", ["pending", "G1/G2 pending"], ["#4c4c4c", "#b2182b"]),
                                     ("Units free", ["units free"], ["#0072B2"]),
                                     ("Downgrades", ["downgrades"], ["#b2182b"])):
            long = data.melt(id_vars=["time"], value_vars=cols, var_name="series", value_name="value")
            line = alt.Chart(long).mark_line(interpolate="step-after", strokeWidth=2.5).encode(
                x=x, y=alt.Y("value:Q", title=title, axis=alt.Axis(titleFontSize=13, labelFontSize=12,
                                                                   minExtent=34, tickMinStep=1, format="d")),
                color=alt.Color("series:N", scale=alt.Scale(domain=cols, range=colours),
                                legend=None))
            rules = alt.Chart(marks).mark_rule(color="#b2182b", strokeDash=[4, 3], opacity=0.7).encode(
                x="time:T", tooltip=["what:N"])
            layers = [rules, line]
            if cols == ["downgrades"]:
                layers.append(alt.Chart(marks.assign(n=range(1, len(marks) + 1))).mark_point(
                    color="#b2182b", filled=True, size=70).encode(x="time:T", y="n:Q", tooltip=["what:N"]))
            panels.append(alt.layer(*layers).properties(height=CHART_HEIGHT, width="container"))
        return panels

    def status(self) -> dict:
        """Counts for the wall: units, pending, true-G1/G2 callers waiting, downgrades so far."""
        pend = self.session.pending()
        return {**self.session.units(), "pending": len(pend),
                "pending_g1": sum(p["grade"] == 1 for p in pend), "pending_g2": sum(p["grade"] == 2 for p in pend),
                "true_high_waiting": sum(p["true_risk"] <= 2 and p["units"] == 0 for p in pend),
                "downgrades": self.downgrades}

    def pending_rows(self, limit: int = 15) -> list[dict]:
        callers = self.session.model.callers
        return [{"grade": GRADE_NAMES[p["grade"]], "what": describe(callers, p["caller"], self.categories),
                 "area": list(self.scenario.response.areas)[p["area"]],
                 "waiting (min)": round(p["waited"]),
                 "units": f"{p['units']}/{p['needed']}" + (" (held back)" if p["held"] else "")}
                for p in self.session.pending()[:limit]]
