"""Figures for the report, drawn from saved result files only (profiles.parquet, summary.csv,
comparison.csv, sweep.csv and the resolved scenario.toml), so an old results folder can be
drawn again without re-running anything.

Every figure function takes ``ArmView`` objects (one per scenario arm, built by
``sim.report.page``) and returns a ``Fig``: the PNG bytes and a one-sentence caption saying what
to read from it, or no PNG and a note saying why the figure was left out (a profile the run
did not produce, or one that is all zero, e.g. no downgrades under a risk-led policy).

Figures are sized and lettered to be read when projected: 11 x 5.5 in at 110 dpi, text of
11 pt or more, titles that name what is shown, axes with units, standards as dashed lines
with labels, confidence bands shaded. Drawing uses matplotlib's Agg renderer through
``matplotlib.figure.Figure`` (no pyplot state), and PNGs carry no timestamp or software
tag, so drawing the same folder twice gives identical bytes.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke

from sim.report.labels import key_phrase, unsigned_zero

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DPI = 110
WIDTH = 11.0
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.framealpha": 0.9,
    "figure.titlesize": 15,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
}
WEEK_PROFILES = {"incidents_to_attend", "units_on_duty", "units_available", "units_busy", "resource_downgrades",
                 "pending", "overtime_hours", "neighbourhood_hours", "vulnerable", "undergraded"}
ARM_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
STANDARD_COLOUR = "#B2182B"
OK_COLOUR = "#1A9850"
SHIFT_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")
# 999 answering: the national standard is 90% of 999 calls answered within 10 s
# (shared/reference/domain-figures.md [S]); the scenario file does not carry it.
SL_999_TARGET = 0.90

# which way is better, for colouring paired differences: -1 lower is better, +1 higher is better
BETTER = {
    "resource_downgrades_per_week": -1, "resource_downgrades": -1, "high_risk_resource_downgrades": -1,
    "g1_in_target": 1, "g2_in_target": 1, "g3_in_target": 1, "g1_response_p50": -1, "g1_response_p90": -1,
    "g2_response_p50": -1, "g2_response_p90": -1, "pending_at_0700_mean": -1, "max_pending": -1,
    "open_at_0700_mean": -1, "overtime_hours": -1, "neighbourhood_hours_lost": -1, "appointment_lead_days_p50": -1,
    "sl_999_10s": 1, "sl_101_180s": 1, "abandon_rate_101": -1, "abandon_rate_999": -1,
    "meets_recommendation": 1, "unit_utilisation": 0, "officer_hours_on_duty": 0, "officer_hours_rostered": 0,
}


# ---------------------------------------------------------------------------- data views
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

        from sim.scenario.schema import Pattern
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


@dataclass
class Fig:
    slug: str            # file name without .png
    title: str           # what the figure shows (the HTML heading)
    png: bytes | None    # None: left out (see note)
    caption: str = ""    # one sentence: what to read from it
    note: str = ""       # why it was left out, or what is missing from it
    other: dict = field(default_factory=dict)   # the same figure in other formats: {"svg": bytes, "pdf": bytes}


# ---------------------------------------------------------------------------- helpers
def _figure(height: float = 5.5, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


FORMATS = ("png", "svg", "pdf")
# how the figure being drawn is to be saved (set by draw(); one figure at a time per process)
_OUTPUT = {"formats": ("png",), "title": None, "subtitle": "", "other": {}}
# no timestamps or software tags: drawing the same folder twice gives the same bytes
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
             "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}


def _png(fig: Figure) -> bytes:
    """The figure as PNG (the report embeds it), and in any other asked format, kept for draw().
    A --title replaces the figure's own heading (a paper's figure carries the paper's words)."""
    if _OUTPUT["title"]:
        fig.suptitle(_OUTPUT["title"])
    elif _OUTPUT["subtitle"]:   # which scenario(s), in the words of their descriptions
        head = fig.get_suptitle()
        fig.suptitle(f"{head}\n{_OUTPUT['subtitle']}" if head else _OUTPUT["subtitle"])
    for fmt in _OUTPUT["formats"]:
        if fmt != "png":
            buf = io.BytesIO()
            kw = {"svg": {"metadata": _METADATA["svg"]}, "pdf": {"metadata": _METADATA["pdf"]}}[fmt]
            with matplotlib.rc_context({"svg.hashsalt": "triage-sim", "svg.fonttype": "none"}):
                fig.savefig(buf, format=fmt, dpi=DPI, **kw)
            _OUTPUT["other"][fmt] = buf.getvalue()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata=_METADATA["png"])
    return buf.getvalue()


class Job:
    """A figure to draw: ``render(fn, *args)``. Built first, drawn together by ``draw_all`` (in
    parallel processes); a ``note`` set on the job is the figure's note."""

    def __init__(self, fn, *args, own_heading: bool = False):
        # own_heading: the figure names the scenarios itself (no subtitle line added)
        self.fn, self.args, self.note, self.own_heading = fn, args, "", own_heading


def draw(job: Job, formats=("png",), title: str | None = None, subtitle: str = "") -> Fig:
    _OUTPUT.update(formats=tuple(formats), title=title, subtitle="" if job.own_heading else subtitle, other={})
    try:
        fig = render(job.fn, *job.args)
        fig.other = dict(_OUTPUT["other"]) if fig.png is not None else {}
    finally:
        _OUTPUT.update(formats=("png",), title=None, subtitle="", other={})
    if job.note:
        fig.note = job.note
    return fig


def warm_up() -> None:
    """Draw a small throw-away figure with the report's style (fonts, text, bands, an image, a
    legend, PNG output), so a process forked afterwards finds matplotlib's font and text caches
    filled (the first figure of a process otherwise costs ~0.1 s more)."""
    with matplotlib.rc_context(RC):
        fig = _figure(2.0, 3.0)
        ax = fig.add_subplot()
        x = np.arange(10.0)
        ax.plot(x, x, label="warm-up")
        ax.fill_between(x, x - 1, x + 1, alpha=0.2)
        ax.imshow(np.ones((2, 2)), extent=(0, 1, 0, 1))
        ax.set_title("warm-up", loc="left")
        ax.set_xlabel("x")
        ax.legend()
        fig.suptitle("warm-up 0123456789 %–−→·")
        _ = _png(fig)


_PENDING: list = []   # the jobs a forked drawing process reads (inherited, not pickled)


def _draw_pending(i: int) -> Fig:
    jobs, formats, title, subtitle = _PENDING
    return draw(jobs[i], formats, title, subtitle)


def draw_all(jobs: list[Job], formats=("png",), title: str | None = None, workers: int | None = None,
             subtitle: str = "") -> list[Fig]:
    """Draw every figure, in forked processes when there are cores to spare (a report's six
    figures take ~2.4 s one after another, a large part of a short run's wall time). Each figure
    is drawn by itself either way, so the bytes do not depend on the number of processes."""
    import multiprocessing as mp
    import os

    from sim.util.executors import _cores, _die_with_parent

    workers = min(workers or _cores(), len(jobs))
    if workers <= 1 or "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
        return [draw(j, formats, title, subtitle) for j in jobs]
    _PENDING[:] = [jobs, formats, title, subtitle]
    try:
        with mp.get_context("fork").Pool(workers, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            return pool.map(_draw_pending, range(len(jobs)), chunksize=1)
    finally:
        _PENDING.clear()


def render(fn, *args, **kw) -> Fig:
    """Call a figure function under the report's style (fonts, no timestamps). A profile with
    no values at all (e.g. every officer abstracted, nobody on duty) leaves the figure out with
    a note rather than stopping the report."""
    with matplotlib.rc_context(RC):
        try:
            return fn(*args, **kw)
        except ValueError as exc:
            if "All-NaN" not in str(exc):
                raise
            slug = kw.get("slug") or fn.__defaults__[-1] if fn.__defaults__ else fn.__name__
            return _missing(str(slug), fn.__name__.removeprefix("fig_").replace("_", " "),
                            "left out: the run has no values to draw here (e.g. no officer on duty in any hour)")


def _t(n: np.ndarray) -> np.ndarray:
    from scipy.special import stdtrit   # = scipy.stats.t.ppf, without importing scipy.stats

    n = np.asarray(n, float)
    out = np.full(n.shape, np.nan)
    ok = n >= 2
    out[ok] = stdtrit(n[ok] - 1, 0.975)
    return out


MIN_PERCENTILE_REPS = 5   # a 5th-95th percentile band from fewer replications would be their min and max


def mean_band(m: np.ndarray, upper: float = np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replications (rows) and its 95% t-interval per column (NaN band with one rep),
    kept inside the quantity's range [0, upper] (a share: upper = 1)."""
    import warnings

    m = np.asarray(m, float)
    n = np.sum(~np.isnan(m), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN columns (e.g. hours with no 999 call)
        mean = np.nanmean(m, axis=0) if m.shape[0] else np.full(m.shape[1], np.nan)
        sd = np.nanstd(m, axis=0, ddof=1) if m.shape[0] > 1 else np.full(m.shape[1], np.nan)
        hw = _t(n) * sd / np.sqrt(np.maximum(n, 1))
    return mean, np.maximum(mean - hw, 0.0), np.minimum(mean + hw, upper)


def _nanmean0(m: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(m, axis=0)


def _hhmm(h: float) -> str:
    minutes = int(round((h % 24) * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def how_label(h: float) -> str:
    """Hour of week -> 'Fri 21:00'."""
    h = float(h) % 168
    day, rest = divmod(h, 24)
    minutes = int(round(rest * 60))
    return f"{DAYS[int(day)]} {minutes // 60:02d}:{minutes % 60:02d}"


def week_axis(ax, label: bool = True, step: str = "hourly values") -> None:
    """x axis over a week: gridlines at midnight, day names at noon."""
    ax.set_xlim(0, 168)
    ax.set_xticks(np.arange(0, 169, 24))
    ax.set_xticklabels([])
    ax.set_xticks(np.arange(12, 168, 24), minor=True)
    ax.set_xticklabels(DAYS, minor=True)
    ax.tick_params(axis="x", which="minor", length=0, labelsize=12)
    ax.tick_params(axis="x", which="major", length=6)
    ax.grid(axis="x", which="major", color="0.75", lw=0.9)
    if label:
        ax.set_xlabel(f"day of the week (gridlines at midnight; {step})")


def _step(ax, x, y, **kw):
    """Hourly values as steps covering [x, x+1)."""
    x = np.asarray(x, float)
    width = np.diff(x).min() if x.size > 1 else 1.0
    return ax.step(np.append(x, x[-1] + width), np.append(y, y[-1]), where="post", **kw)


def _step_band(ax, x, lo, hi, **kw):
    x = np.asarray(x, float)
    if np.all(np.isnan(lo)):
        return
    width = np.diff(x).min() if x.size > 1 else 1.0
    ax.fill_between(np.append(x, x[-1] + width), np.append(lo, lo[-1]), np.append(hi, hi[-1]), step="post",
                    lw=0, **kw)


def _pct_axis(ax, top: float = 1.0) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, top)


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


def _quiet(fn, *args, **kw):
    import warnings

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kw)


def _missing(slug: str, title: str, note: str) -> Fig:
    return Fig(slug, title, None, note=note)


def _tag(arm: ArmView) -> str:
    """'A' for an arm labelled 'A: name', else a short label."""
    head = arm.label.split(":", 1)[0]
    return head if ":" in arm.label and len(head) <= 2 else _short(arm.label, 20)


def _short(label: str, n: int = 28) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


# ---------------------------------------------------------------------------- 1 demand vs capacity
SATURATED = 0.97   # busy / effective units above which no officer is, in practice, free


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where mask is true."""
    out, start = [], None
    for i, v in enumerate(list(mask) + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i))
            start = None
    return out


def fig_demand_capacity(arms: list[ArmView], slug: str = "1-demand-capacity") -> Fig:
    title = "Demand against capacity by hour of week"
    got = [(a, a.profile("incidents_to_attend"), a.profile("units_available"), a.profile("units_busy"),
            a.profile("units_on_duty")) for a in arms]
    got = [g for g in got if g[1] is not None and g[2] is not None]
    if not got:
        return _missing(slug, title, "left out: this run's profiles.parquet has no demand or units-available "
                                     "profile (incidents_to_attend, units_available)")
    compare = len(got) > 1
    free_panel = compare and all(g[3] is not None for g in got)
    fig = _figure(9.0 if free_panel else 7.2)
    axes = fig.subplots(3 if free_panel else 2, 1, sharex=True,
                        gridspec_kw={"height_ratios": [1, 1.4, 1.1] if free_panel else [1, 1.5]})
    top, bottom = axes[0], axes[1]
    for i, (arm, dem, av, busy, duty) in enumerate(got):
        colour = ARM_COLOURS[i] if compare else "0.15"
        mean, lo, hi = mean_band(dem[1])
        _step_band(top, dem[0], lo, hi, color=colour, alpha=0.2)
        _step(top, dem[0], mean, color=colour, lw=1.8 if i == 0 else 1.3, ls="-" if i == 0 else "--",
              label=_short(arm.label, 40) if compare else
              "incidents needing attendance (G1/G2 graded + G3 appointments due)")
    top.set_ylabel("incidents per hour")
    top.set_ylim(0, top.get_ylim()[1] * (1.3 if compare else 1.0))
    top.legend(loc="upper left", ncol=2 if compare else 1)
    top.set_title("Incidents needing an officer per hour: G1/G2 graded + G3 appointments due (mean per week)"
                  if compare else "Incidents needing an officer, per hour (mean per week)", loc="left")
    week_axis(top, label=False)

    for i, (arm, dem, av, busy, duty) in enumerate(got):
        colour = ARM_COLOURS[i]
        if duty is not None and not compare:
            _step(bottom, duty[0], mean_band(duty[1])[0], color="0.55", lw=1.2,
                  label="units on duty (rota, incl. overtime)")
        mean, lo, hi = mean_band(av[1])
        _step_band(bottom, av[0], lo, hi, color=colour, alpha=0.25)
        _step(bottom, av[0], mean, color=colour, lw=2.4 if i == 0 else 2.0,
              label=_short(arm.label, 40) if compare else
              "effective units (on duty, not in briefings, breaks, statements)")
        if busy is not None and not compare:
            bm = mean_band(busy[1])[0]
            x = np.append(busy[0], busy[0][-1] + 1)
            bottom.fill_between(x, 0, np.append(bm, bm[-1]), step="post", color="#E69F00", alpha=0.45, lw=0,
                                label="units busy on incidents (travel, scene, custody, admin)")
            tight = bm >= SATURATED * mean
            for k, (s0, s1) in enumerate(_runs(tight)):
                for ax_ in (top, bottom):
                    ax_.axvspan(busy[0][s0], busy[0][s1 - 1] + 1, color=STANDARD_COLOUR, alpha=0.10, lw=0,
                                label=(f"hours with no officer free (≥ {SATURATED:.0%} of effective units busy)"
                                       if k == 0 and ax_ is bottom else None))
    bottom.set_ylabel("response units")
    bottom.set_title("Effective response units: on duty and not in briefings, breaks or statements" if compare
                     else "Response units: effective capacity and units busy on incidents", loc="left")
    bottom.legend(loc="upper left", ncol=2 if compare else 1)
    bottom.set_ylim(0, bottom.get_ylim()[1] * (1.35 if not compare else 1.25))
    week_axis(bottom, label=not free_panel)
    if free_panel:
        ax = axes[2]
        for i, (arm, dem, av, busy, duty) in enumerate(got):
            free = av[1] - busy[1]
            mean, lo, hi = mean_band(free)
            _step(ax, av[0], mean, color=ARM_COLOURS[i], lw=2.6 if i == 0 else 1.8, label=_short(arm.label, 40),
                  zorder=3 if i == 0 else 2)
        ax.axhline(0, color=STANDARD_COLOUR, ls="--", lw=1.5, label="none free")
        ax.set_ylabel("units free")
        ax.set_title("Officers free for the next call: effective units minus units busy", loc="left")
        ax.legend(loc="upper left", ncol=3)
        ax.set_ylim(min(ax.get_ylim()[0], -2), ax.get_ylim()[1] * 1.25)
        week_axis(ax)
    fig.suptitle(f"{title} ({_reps_text([g[0] for g in got])})")

    arm, dem, av = got[0][0], got[0][1], got[0][2]
    d, a = mean_band(dem[1])[0], mean_band(av[1])[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a > 0, d / a, np.nan)
    if np.all(np.isnan(ratio)) or np.all(np.isnan(d)):
        caption = ("No effective unit was on duty in any hour with demand (or there was no demand), so "
                   "there is no hour to compare")
    else:
        hi_h, peak_d, peak_a = int(np.nanargmax(ratio)), int(np.nanargmax(d)), int(np.nanargmax(np.nan_to_num(a)))
        caption = (f"Read the panels together: demand peaks at {how_label(peak_d)} ({d[peak_d]:.0f} incidents an "
                   f"hour) with {a[peak_d]:.0f} effective units on duty, while {how_label(peak_a)} has "
                   f"{a[peak_a]:.0f} units for {d[peak_a]:.0f} incidents an hour; the most stretched hour is "
                   f"{how_label(hi_h)} ({d[hi_h]:.0f} incidents for {a[hi_h]:.0f} units)")
    if compare and not caption.startswith("No "):
        a2 = mean_band(got[1][2][1])[0]
        caption += (f"; {got[1][0].label} has {a2[peak_d] - a[peak_d]:+.0f} effective units at the demand peak")
    notes = [n for n in [_partial_week([g[0] for g in got])] + [g[0].rota_note() for g in got] if n]
    return Fig(slug, title, _png(fig), caption + ".", note="; ".join(dict.fromkeys(notes)))


# ---------------------------------------------------------------------------- 2 downgrade heatmap
_HEAT = matplotlib.colormaps["YlOrRd"].with_extremes(bad=(1.0, 1.0, 1.0, 0.0))   # masked cells: see-through


def _cell_grid(ax, rows: int, cols: int) -> None:
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="0.9", lw=0.6)
    ax.tick_params(which="minor", length=0)


def _downgrade_matrix(arm: ArmView) -> np.ndarray | None:
    p = arm.profile("resource_downgrades")
    if p is None or p[1].shape[1] != 168:
        return None
    return _nanmean0(p[1]).reshape(7, 24)


def _per_week(arm: ArmView, m: np.ndarray | None = None) -> float:
    """Resource-driven downgrades per week: the KPI from summary.csv (the same number as the KPI
    table); the profile's sum only for an old folder without it. The profile's sum equals the KPI
    for whole weeks only: with a part week each hour of the week is seen a different number of times."""
    k = arm.kpi("resource_downgrades_per_week")
    if k == k:
        return k
    return float(np.nansum(m)) if m is not None else math.nan


def _measured_days(arm: ArmView):
    d = arm.scenario.get("run", {}).get("days")
    return d if isinstance(d, (int, float)) else None


def _worst_window(per_hour: np.ndarray, width: int = 6) -> tuple[int, float]:
    """Start hour of the ``width``-hour window of the day (wrapping) holding most of the total."""
    per_hour = np.nan_to_num(per_hour)
    total = per_hour.sum()
    sums = [sum(per_hour[(s + k) % 24] for k in range(width)) for s in range(24)]
    s = int(np.argmax(sums))
    return s, (sums[s] / total if total > 0 else 0.0)


def fig_downgrades(arms: list[ArmView], slug: str = "2-downgrades-heatmap") -> Fig:
    title = "When downgrades happen: resource-driven downgrades by hour of day and day of week"
    mats = [(a, _downgrade_matrix(a)) for a in arms]
    mats = [(a, m) for a, m in mats if m is not None]
    if not mats:
        return _missing(slug, title, "left out: this run's profiles.parquet has no resource_downgrades profile")
    if all(np.nansum(m) == 0 for _, m in mats):
        policies = sorted({a.policy for a, _ in mats})
        return _missing(slug, title, f"no resource-driven downgrades happened (policy: {', '.join(policies)}), "
                                     "so there is nothing to map")
    n = len(mats)
    fig = _figure(5.6 if n == 1 else 4.4 * n)
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    vmax = max(np.nanmax(m) for _, m in mats)
    im = None
    for ax, (arm, m) in zip(axes, mats):
        if np.isnan(m).any():   # hours the run never reached: grey, not "no downgrades"
            ax.imshow(np.where(np.isnan(m), 1.0, np.nan), aspect="auto",
                      cmap=matplotlib.colors.ListedColormap(["0.85"]), interpolation="nearest")
        im = ax.imshow(np.ma.masked_invalid(np.where(m == 0, np.nan, m)), aspect="auto", cmap=_HEAT, vmin=0,
                       vmax=vmax, interpolation="nearest")
        _cell_grid(ax, 7, 24)
        for d in range(7):
            for h in range(24):
                v = m[d, h]
                if v == v and round(v, 1) >= 0.1:
                    ax.text(h, d, f"{v:.1f}", ha="center", va="center", fontsize=10.5,
                            color="white" if v > 0.6 * vmax else "black")
            ax.text(24.0, d, f"{np.nansum(m[d]):.1f}" if not np.isnan(m[d]).all() else "–", ha="left",
                    va="center", fontsize=11, clip_on=False)
        ax.text(24.0, -0.75, "day total", ha="left", va="bottom", fontsize=11, clip_on=False)
        ax.set_yticks(range(7), DAYS)
        ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
        ax.set_xlabel("hour of day (each column is one hour, 00 = 00:00–01:00)")
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        name = f"{arm.label}: " if n > 1 else ""
        ax.set_title(f"{name}{_per_week(arm, m):.1f} resource-driven downgrades per week (KPI)", loc="left")
    cb = fig.colorbar(im, ax=list(axes), shrink=0.9, pad=0.06)
    cb.set_label("downgrades per week (mean over replications)")
    reps = sorted({a.reps for a, _ in mats})
    fig.suptitle(f"When downgrades happen: per week in each hour (mean of {'/'.join(map(str, reps))} "
                 f"replication{'s' if reps != [1] else ''})")

    arm, m = mats[0]
    d, h = np.unravel_index(int(np.nanargmax(m)), m.shape)
    start, share = _worst_window(np.nansum(m, axis=0))
    caption = (f"The darker the cell, the more often a controller lowered a grade for want of a free officer; "
               f"{'in ' + arm.label + ' ' if n > 1 else ''}the worst hour is {DAYS[d]} {h:02d}:00–{(h + 1) % 24:02d}:00 "
               f"({m[d, h]:.1f} per week) and {share:.0%} of downgrades fall between {start:02d}:00 and "
               f"{(start + 6) % 24:02d}:00")
    if n > 1:
        caption += ("; resource-driven downgrades per week (KPI): "
                    + ", ".join(f"{a.label} {_per_week(a, mm):.1f}" for a, mm in mats))
    else:
        caption += f"; {_per_week(arm, m):.1f} per week in all, as in the KPI table"
    note = _partial_week([a for a, _ in mats])
    return Fig(slug, title, _png(fig), caption + ".", note=note.replace("left blank", "shown grey") if note else "")


# ---------------------------------------------------------------------------- 3 response ECDFs
GRADES = ("G1", "G2", "G3")
IN_TARGET = {"G1": "g1_in_target", "G2": "g2_in_target", "G3": "g3_in_target"}


def plural(n, word: str, many: str | None = None) -> str:
    """'1 replication', '3 replications', '14 days', '1 day' ('?' when unknown)."""
    try:
        x = float(n)
    except (TypeError, ValueError):
        return f"{n} {many or word + 's'}"
    text = f"{x:g}" if x != int(x) else f"{int(x)}"
    return f"{text} {word if x == 1 else (many or word + 's')}"


def share_with_ci(d: dict | None) -> str:
    """A share KPI from summary.csv as '75.5% (95% CI 73.6%–77.4%)', the CI clipped to 0-100%."""
    if not d or d.get("mean") is None or d.get("mean") != d.get("mean"):
        return "n/a"
    out = fmt_kpi("share", d["mean"])
    lo, hi, n = d.get("ci_low", math.nan), d.get("ci_high", math.nan), d.get("reps", 0)
    if n == n and n >= 2 and lo == lo and hi == hi:
        out += f" (95% CI {fmt_kpi('share', max(lo, 0.0))}–{fmt_kpi('share', min(hi, 1.0))})"
    elif n == 1:
        out += " (1 replication with a value, no CI)"
    return out


def _attended(arm: ArmView, profile: str, grade: str) -> np.ndarray | None:
    share_key = grade if profile == "response_by_initial_grade" else f"true {grade}"
    s = arm.profile("attended_share", share_key)
    return None if s is None else s[1][:, 0]


def _ecdf(arm: ArmView, profile: str, grade: str, grid: np.ndarray) -> np.ndarray | None:
    """Per replication: share of ALL incidents of the grade (attended or not) with an officer on
    scene within each grid time (minutes). The response profile covers attended incidents only,
    so each replication's curve is scaled by its share ever attended (``attended_share``):
    incidents never attended, or still waiting when the run ended, keep the curve below 100%."""
    p = arm.profile(profile, grade)
    share = _attended(arm, profile, grade)
    if p is None and share is None:
        return None
    pct = (p[0] if p is not None else PCT_GRID) / 100.0
    n = max(p[1].shape[0] if p is not None else 0, share.shape[0] if share is not None else 0)
    rows = []
    for r in range(n):
        q = p[1][r] if p is not None and r < p[1].shape[0] else np.full(pct.size, np.nan)
        s = share[r] if share is not None and r < share.shape[0] else math.nan
        if np.all(np.isnan(q)):
            if s == 0:   # incidents of this grade, none ever attended: a flat line at 0
                rows.append(np.zeros(grid.size))
            continue
        rows.append((1.0 if s != s else s) * np.interp(grid, q, pct, left=0.0, right=1.0))
    return np.array(rows) if rows else None


PCT_GRID = np.arange(101, dtype=float)


def _scaled(arm: ArmView, profile: str, grade: str) -> bool:
    return _attended(arm, profile, grade) is not None


def _standards_for(arm: ArmView, grade: str) -> list[tuple[float, str]]:
    """(minutes, label) of the grade's standards, strictest first; G1's are one per area."""
    st = arm.standards()
    if grade == "G1":
        return sorted((v, f"{v:g} min {k}") for k, v in st["g1"].items())
    if grade == "G2":
        return [(st["g2"], f"{st['g2']:g} min")]
    return [(st["g3"], f"{st['g3'] / 60:g} h")]


def _by(lab: str) -> str:
    """'15 min urban' -> 'by 15 min'."""
    return "by " + " ".join(lab.split()[:2])


def _reads(vals: list[float], stds: list[tuple[float, str]], short: bool = False) -> str:
    """'69% by 15 min, 85% by 20 min' ('69% by 15, 85% by 20 min' when short)."""
    items = [f"{v:.0%} {_by(lab)}" for v, (_, lab) in zip(vals, stds)]
    if short and len(items) > 1 and len({lab.split()[1] for _, lab in stds}) == 1:
        items = [x.rsplit(" ", 1)[0] for x in items[:-1]] + items[-1:]
    return ", ".join(items)


def _g1_areas(arm: ArmView) -> str:
    """'15 min urban, 20 min rural'."""
    return ", ".join(lab for _, lab in _standards_for(arm, "G1"))


def fig_response(series: list[tuple[str, ArmView, str, str, str]], slug: str, title: str, what: str) -> Fig:
    """ECDFs of call-to-scene time, one panel per grade, the standards as dashed lines.

    Under each panel, the headline share within standard for an initial-grade curve is the KPI
    from summary.csv (``g1_in_target`` ...: each incident against the standard of its initial
    grade, G1 against its own area's standard, incidents still waiting at the end left out until
    their standard has passed), labelled "in target (KPI)". The curves' heights at the dashed
    lines are a different reading (share of *all* incidents on scene by that time) and are
    labelled as such, in the panel's readout and in the caption.

    ``series``: (label, arm, profile name, colour, line style)."""
    grades = [g for g in GRADES if any(_ecdf(arm, prof, g, np.zeros(1)) is not None for _, arm, prof, _, _ in series)]
    if not grades:
        return _missing(slug, title, "left out: this run's profiles.parquet has no response-time profile "
                                     f"({', '.join(sorted({s[2] for s in series}))})")
    compare = what != "both"
    tags = [((label.split(":", 1)[0] if ":" in label and len(label.split(":", 1)[0]) <= 2 else _short(label, 20))
             if compare else ("initial" if prof == "response_by_initial_grade" else "true-risk"))
            for label, arm, prof, _, _ in series]
    has_kpi = [prof == "response_by_initial_grade" for _, _, prof, _, _ in series]
    lines_per_panel = (sum(2 for k in has_kpi if k) + (1 if any(has_kpi) and "G1" in grades else 0) + 1
                       + len(series) + (0 if any(has_kpi) else 1))
    text_h = 0.3 + 0.215 * lines_per_panel
    fig = _figure(5.2 + text_h)
    axes = fig.subplots(2, len(grades), squeeze=False, gridspec_kw={"height_ratios": [4.3, text_h]})
    readings: dict[tuple[str, int], list[float]] = {}
    for ax, tx, g in zip(axes[0], axes[1], grades):
        stds = _standards_for(series[0][1], g)
        hours = g == "G3"
        scale = 60.0 if hours else 1.0                      # G3 drawn in hours
        hi = max(s for s, _ in stds) * (1.5 if hours else 4.0 if g == "G2" else 3.0)
        grid = np.union1d(np.linspace(0.0, hi, 600), [s for s, _ in stds])
        for k, (std, lab) in enumerate(stds):
            ax.axvline(std / scale, color=STANDARD_COLOUR, ls="--", lw=1.8)
            left = k == 0 and len(stds) > 1
            num, area = lab.split()[:2], lab.split()[2:]
            text = (f"{area[0]} standard {' '.join(num)}" if area else f"{g} standard {' '.join(num)}")
            ax.text(std / scale + (-1 if left else 1) * hi / scale * 0.012, 0.04, text,
                    rotation=90, color=STANDARD_COLOUR, fontsize=11, ha="right" if left else "left", va="bottom")
        for j, (label, arm, prof, colour, ls) in enumerate(series):
            e = _ecdf(arm, prof, g, grid)
            if e is None:
                continue
            mean, blo, bhi = mean_band(e)
            if not np.all(np.isnan(blo)):
                ax.fill_between(grid / scale, blo, np.minimum(bhi, 1.0), color=colour, alpha=0.22, lw=0)
            ax.plot(grid / scale, mean, color=colour, ls=ls, lw=2.4, label=label)
            vals = []
            for std, _ in stds:
                y = float(np.interp(std, grid, mean))
                vals.append(y)
                ax.plot([std / scale], [y], "o", color=colour, ms=8, zorder=5, mec="white")
            readings[(g, j)] = vals
        ax.set_xlim(0, hi / scale)
        _pct_axis(ax, 1.03)
        ax.grid(True, color="0.88", lw=0.8)
        ax.set_title({"initial": f"initial grade {g}", "true": f"true risk {g}"}.get(what, f"{g} incidents"),
                     loc="left")
        ax.set_xlabel("hours from the call" if hours else "minutes from the call")
        if ax is axes[0][0]:
            ax.set_ylabel("all incidents: officer on scene (%)")

        # the readout under the panel: the KPI first, then what the dots read
        tx.set_axis_off()
        row = [0]

        def put(text, colour="0.25", size=10.5, bold=False):
            t = tx.annotate(text, xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, -row[0] * 15.5 - 2),
                            textcoords="offset points", ha="left", va="top", fontsize=size, color=colour,
                            fontweight="bold" if bold else "normal", annotation_clip=False)
            t.set_in_layout(False)
            row[0] += 1

        for j, (label, arm, prof, colour, ls) in enumerate(series):
            if not has_kpi[j]:
                continue
            d = arm.kpis.get(IN_TARGET[g])
            head = f"{tags[j] + ' ' if compare else ''}in target (KPI): "
            if not d:
                put(head + "not in summary.csv", colour, 11.5, True)
                put("", colour)
                continue
            full = share_with_ci(d)
            put(head + full.split(" (")[0], colour, 12, True)
            put(full.split(" (", 1)[1].rstrip(")") if " (" in full else
                f"no {g} incident with a known outcome", colour)
        if any(has_kpi) and g == "G1":
            put("KPI: each G1 vs its own area's standard", "0.3", 10)
        put(f"dots = share of all {'true ' if what == 'true' else ''}{g} on scene by then", "0.3", 10)
        for j, (label, arm, prof, colour, ls) in enumerate(series):
            if (g, j) in readings:
                who = f"{tags[j]} {g}" if not compare else f"{tags[j]}"
                put(f"{who}: " + _reads(readings[(g, j)], stds, short=True), colour, 10.5)
        if not any(has_kpi):
            put("no KPI is defined by true risk", "0.3", 10)
    handles, labels = axes[0][0].get_legend_handles_labels()
    labels = [_short(x, 90) for x in labels]
    side_by_side = sum(len(x) for x in labels) <= 90   # long scenario names: one per row, not off the edge
    fig.legend(handles, labels, loc="outside lower center", ncol=len(series) if side_by_side else 1,
               fontsize=12, frameon=False)
    fig.suptitle(f"{title.split(':')[0]} ({_reps_text([s[1] for s in series])})", fontsize=14)
    return Fig(slug, title, _png(fig), _response_caption(series, grades, readings, what, tags, has_kpi))


def _response_caption(series, grades, readings, what, tags, has_kpi) -> str:
    arm0 = series[0][1]
    compare = what != "both"
    out = []
    kpi_series = [j for j in range(len(series)) if has_kpi[j]]
    if kpi_series:
        parts = []
        for g in grades:
            vals = [f"{tags[j] + ' ' if compare else ''}{share_with_ci(series[j][1].kpis.get(IN_TARGET[g]))}"
                    for j in kpi_series]
            parts.append(f"{g} {' vs '.join(vals)}")
        out.append("In target (KPI, as in the KPI table): " + "; ".join(parts) + ". This is the share of incidents "
                   "with an officer on scene within the standard of their initial grade, each G1 judged against "
                   f"its own area's standard ({_g1_areas(arm0)}: the two dashed G1 lines), and incidents still "
                   "waiting when the run ended left out until their standard had passed")
    scaled = all(_scaled(arm, prof, g) for g in grades for _, arm, prof, _, _ in series
                 if arm.profile(prof, g) is not None)
    out.append("Each curve is the share of all incidents of the grade with an officer on scene by each time, "
               "scaled by the share ever attended so that incidents never attended (or still waiting at the end) "
               "keep it below 100%" if scaled else
               "Each curve covers attended incidents only (this folder has no attended_share profile to scale it "
               "by), so it reaches 100% even when some incidents were never attended")
    for kind in (True, False):
        reads = []
        for jj in range(len(series)):
            if has_kpi[jj] != kind:
                continue
            per = [f"{g} {_reads(readings[(g, jj)], _standards_for(arm0, g))}" for g in grades if (g, jj) in readings]
            if per:
                reads.append((f"{tags[jj]}: " if compare else "") + "; ".join(per))
        if not reads:
            continue
        who = "" if compare else (" of the initial-grade curve" if kind else " of the true-risk curve")
        meaning = ("the share of all incidents of that initial grade on scene by then, not the KPI" if kind else
                   "the share of all incidents whose true risk is that grade, whatever grade they were given "
                   "(G4 included, never attended), on scene by then; no KPI is defined by true risk")
        out.append(f"The dots{who} at the dashed lines read {meaning}: " + (" vs ".join(reads) if compare
                                                                              else reads[0]))
    if not kpi_series:
        out.append("The in-target KPI, by initial grade, is in the KPI table and Figure 3a")
    return ". ".join(out) + "."


# ---------------------------------------------------------------------------- 4 pending list
def _shift_strip(ax, shifts: list[dict]) -> None:
    for i, sh in enumerate(shifts):
        colour = SHIFT_COLOURS[i % len(SHIFT_COLOURS)]
        for d in sh["days"]:
            if sh["heads"][d] == 0:
                continue
            start = d * 24 + sh["start_h"]
            end = start + sh["hours"]
            for s, e in ((start, min(end, 168)), (0, end - 168) if end > 168 else (0, 0)):
                if e > s:
                    ax.broken_barh([(s, e - s)], (i - 0.38, 0.76), color=colour, alpha=0.85, lw=0)
    ax.set_yticks(range(len(shifts)),
                  [f"{sh['name']} {int(sh['start_h']):02d}:{int(round(sh['start_h'] % 1 * 60)):02d}"
                   f" ({sh['hours']:g} h)" for sh in shifts])
    ax.set_ylim(len(shifts) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    for s in ("left",):
        ax.spines[s].set_visible(False)


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


def fig_pending(arms: list[ArmView], slug: str = "4-pending-week") -> Fig:
    title = "The pending list over a typical week: unresourced G1/G2 incidents"
    got = _with_profile(arms, "pending")
    if not got:
        return _missing(slug, title, "left out: this run's profiles.parquet has no pending profile")
    shifts = _unique_shifts([a for a, _ in got])
    fig = _figure(6.6)
    if shifts:
        ax, strip = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4.2, 0.45 + 0.3 * len(shifts)]})
    else:
        ax, strip = fig.subplots(1, 1), None
    compare = len(got) > 1
    peak = None
    for i, (arm, (x, m)) in enumerate(got):
        colour = ARM_COLOURS[i]
        med = _quiet(np.nanmedian, m, axis=0)
        lo, hi = _quiet(np.nanpercentile, m, [5, 95], axis=0)
        if m.shape[0] >= MIN_PERCENTILE_REPS:
            ax.fill_between(x, lo, hi, color=colour, alpha=0.22, lw=0,
                            label=None if compare else "90% band (5th–95th percentile over replications)")
        ax.plot(x, med, color=colour, lw=2, label=f"{_short(arm.label, 36)}: median" if compare
                else f"median over {m.shape[0]} replications" if m.shape[0] > 1 else "one replication")
        if peak is None:
            peak = (arm, int(np.nanargmax(med)), float(np.nanmax(med)), x)
    for j, sh in enumerate(shifts):
        colour = SHIFT_COLOURS[j % len(SHIFT_COLOURS)]
        for d in sh["days"]:
            if sh["heads"][d]:
                ax.axvline(d * 24 + sh["start_h"], color=colour, lw=1.1, ls=":", alpha=0.9)
    ax.set_ylabel("incidents waiting for an officer")
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1] * 1.25, 1))
    if compare and got[0][1][1].shape[0] >= MIN_PERCENTILE_REPS:
        from matplotlib.patches import Patch

        handles, labels = ax.get_legend_handles_labels()
        handles.append(Patch(color="0.6", alpha=0.4, lw=0))
        labels.append("shaded: 90% band over replications")
        ax.legend(handles, labels, loc="upper left", ncol=3, fontsize=10.5)
    else:
        ax.legend(loc="upper left")
    ax.set_title("Unresourced G1/G2 incidents at each 15-minute slot (dotted lines: shift starts)", loc="left")
    week_axis(ax, label=strip is None, step="15-minute slots")
    if strip is not None:
        _shift_strip(strip, shifts)
        averaged = [a.rota_pattern("response").days for a, _ in got if "average week" in a.rota_note("response")]
        strip.set_title("Response shifts on duty" + (f" (the average week of a {averaged[0]}-day team pattern)"
                                                     if averaged else ""), loc="left", fontsize=12)
        week_axis(strip, step="15-minute slots")
    n = got[0][1][1].shape[0]
    fig.suptitle("The pending list over a typical week (" + (
        "median and 90% band over replications" if n >= MIN_PERCENTILE_REPS else
        f"median of {n} replications; a 90% band needs {MIN_PERCENTILE_REPS} or more" if n > 1 else
        "1 replication") + ")")

    arm, k, v, x = peak
    t = x[k]
    caption = f"The median pending list is longest at {how_label(t)} ({v:.0f} incidents waiting"
    if shifts:
        upcoming = sorted(((d * 24 + sh["start_h"] - t) % 168, sh["name"], d * 24 + sh["start_h"])
                          for sh in shifts for d in sh["days"] if sh["heads"][d])
        if upcoming:
            wait, name, at = upcoming[0] if upcoming[0][0] > 0 else (upcoming[1] if len(upcoming) > 1 else upcoming[0])
            caption += f", {wait:.1f} h before the {name} shift starts at {how_label(at)[4:]}"
    caption += ")"
    if compare:
        others = [f"{a.label} {float(np.nanmax(_quiet(np.nanmedian, p[1], axis=0))):.0f}" for a, p in got[1:]]
        caption += f"; peak median in {', '.join(others)} against {v:.0f} in {arm.label}"
    most = [(a, a.kpi("max_pending")) for a, _ in got]
    if all(v == v for _, v in most):
        caption += ("; the most waiting at any one moment (KPI table) is "
                    + (", ".join(f"{v:.1f} in {a.label}" for a, v in most) if compare else f"{most[0][1]:.1f}")
                    + ", higher because it takes the worst moment of each replication, not the median at a "
                      "15-minute snapshot")
    caption += "; a band that widens marks hours when the backlog differs a lot from week to week"
    notes = [n for n in [_partial_week([a for a, _ in got])] + [a.rota_note() for a, _ in got] if n]
    return Fig(slug, title, _png(fig), caption + ".", note="; ".join(dict.fromkeys(notes)))


# ---------------------------------------------------------------------------- 5 utilisation, overtime
def _hours_profiles(arms: list[ArmView], name: str) -> tuple[list, bool]:
    """The arms that have profile ``name`` (with it), and whether any of them has hours in it:
    a panel is drawn only for hours that were worked."""
    got = _with_profile(arms, name)
    return got, any(np.nansum(p[1]) > 0 for _, p in got)


def fig_utilisation(arms: list[ArmView], slug: str = "5-utilisation-overtime") -> Fig:
    title = "Unit utilisation, overtime and neighbourhood hours borrowed, by hour of week"
    panels, notes = [], []
    util = []
    for a in arms:
        busy, duty = a.profile("units_busy"), a.profile("units_on_duty")
        if busy is not None and duty is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                util.append((a, busy[0], np.where(duty[1] > 0, busy[1] / duty[1], np.nan)))
    if util:
        panels.append("util")
    else:
        notes.append("utilisation by hour is missing (no units_busy / units_on_duty profile)")
    over, has_over = _hours_profiles(arms, "overtime_hours")
    if has_over:
        panels.append("over")
    else:
        notes.append("no overtime was worked (no unit was kept past its shift end)" if over
                     else "overtime by hour is missing (no overtime_hours profile)")
    nb, has_nb = _hours_profiles(arms, "neighbourhood_hours")
    if has_nb:
        panels.append("nb")
    elif nb:
        policies = ", ".join(sorted({a.policy for a, _ in nb}))
        notes.append(f"no neighbourhood officers were borrowed under this policy ({policies}), so that panel is left out")
    else:
        notes.append("neighbourhood hours are missing (no neighbourhood_hours profile)")
    if not panels:
        return _missing(slug, title, "left out: " + "; ".join(notes))
    compare = len(arms) > 1
    fig = _figure(2.4 + 2.4 * len(panels) if len(panels) > 1 else 5.5)
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    caption = []
    for ax, panel in zip(axes, panels):
        if panel == "util":
            for i, (a, x, m) in enumerate(util):
                mean, lo, hi = mean_band(m, upper=1.0)
                c = ARM_COLOURS[i]
                _step_band(ax, x, lo, hi, color=c, alpha=0.25)
                _step(ax, x, mean, color=c, lw=2, label=(f"{_short(a.label)}" if compare else "busy on incidents / on duty"))
                k = a.kpi("unit_utilisation")
                if k == k:
                    ax.axhline(k, color=c, ls=":", lw=1.6, label=f"{_tag(a) + ' ' if compare else ''}average {k:.0%}")
                h = int(np.nanargmax(mean))
                caption.append(f"{'' if not compare else a.label + ': '}utilisation peaks at {mean[h]:.0%} "
                               f"on {how_label(h)}")
            _pct_axis(ax, 1.15)
            ax.set_ylabel("units busy (%)")
            ax.set_title("Utilisation: share of on-duty response units busy on incidents", loc="left")
            ax.legend(loc="upper left", ncol=2 if compare else 2)
        elif panel == "over":
            width = 1.5 / len(over)
            ends = {}
            for j, sh in enumerate(_unique_shifts([a for a, _ in over])):
                ends.setdefault((sh["start_h"] + sh["hours"]) % 24, (j, sh["name"]))
            for i, (a, (x, m)) in enumerate(over):
                mean = _nanmean0(m)
                pos = x + 0.5 + (i - (len(over) - 1) / 2) * width
                if compare:
                    ok = np.nan_to_num(mean) > 0
                    ax.bar(pos[ok], mean[ok], width=width, color=ARM_COLOURS[i], alpha=0.9, label=_short(a.label))
                else:
                    which = np.array([ends.get(h % 24, (-1, "other"))[0] for h in x])
                    for j, name in sorted(set(ends.values())) + [(-1, "other")]:
                        sel = (which == j) & (mean > 0)
                        if sel.any():
                            ax.bar(pos[sel], mean[sel], width=width,
                                   color=SHIFT_COLOURS[j % len(SHIFT_COLOURS)] if j >= 0 else "0.5",
                                   label=f"{name} shift (ends {_hhmm(next(k for k, v in ends.items() if v[0] == j))})"
                                   if j >= 0 else "other shifts (e.g. neighbourhood)")
                if not compare or i == 0:
                    by_shift: dict[str, float] = {}
                    for hh, v in zip(x, np.nan_to_num(mean)):
                        name = ends.get(hh % 24, (-1, "other"))[1]
                        by_shift[name] = by_shift.get(name, 0.0) + v
                    top_shift = max(by_shift, key=by_shift.get)
                    total, kpi, days = float(np.nansum(mean)), a.kpi("overtime_hours"), _measured_days(a)
                    if kpi == kpi and days and total > 0:
                        caption.append(f"most overtime ({by_shift[top_shift] / total:.0%} of the {kpi:,.0f} h over "
                                       f"the {plural(days, 'measured day')}{' in ' + a.label if compare else ''}, as "
                                       f"in the KPI table) is worked by the {top_shift} shift finishing its last jobs")
                    else:
                        caption.append(f"most overtime ({by_shift[top_shift]:.0f} of {total:.0f} h a week) "
                                       f"is worked by the {top_shift} shift finishing its last jobs")
            ax.set_ylabel("hours per week")
            ax.set_ylim(bottom=0)
            ax.set_title("Overtime: hours worked past shift end, by the hour the shift ended", loc="left")
            ax.legend(loc="upper left")
        else:
            for i, (a, (x, m)) in enumerate(nb):
                mean, lo, hi = mean_band(m)
                c = ARM_COLOURS[i]
                _step_band(ax, x, lo, hi, color=c, alpha=0.25)
                _step(ax, x, mean, color=c, lw=2, label=_short(a.label) if compare else "neighbourhood officers borrowed")
            ax.set_ylabel("officers borrowed")
            ax.set_ylim(bottom=0)
            ax.set_title("Neighbourhood officers borrowed for response (mean number at each hour)", loc="left")
            ax.legend(loc="upper left")
            a0, p0 = nb[0]
            kpi, days = a0.kpi("neighbourhood_hours_lost"), _measured_days(a0)
            if kpi == kpi and days:
                caption.append(f"{kpi:,.0f} neighbourhood officer-hours are borrowed over the "
                               f"{plural(days, 'measured day')}{' in ' + a0.label if compare else ''}")
            else:
                caption.append(f"{float(np.nansum(_nanmean0(p0[1]))):.0f} neighbourhood officer-hours a week are "
                               "borrowed")
        week_axis(ax, label=ax is axes[-1])
    fig.suptitle(f"{title.split(',')[0]} and overtime ({_reps_text(arms)})" if "nb" not in panels
                 else f"Utilisation, overtime and borrowed officers ({_reps_text(arms)})")
    text = "; ".join(caption)
    partial = _partial_week(arms)
    return Fig(slug, title, _png(fig), text[:1].upper() + text[1:] + ".",
               note="; ".join(notes + ([partial] if partial else [])))


# ---------------------------------------------------------------------------- 6 call handling
def fig_call_handling(arms: list[ArmView], slug: str = "6-call-handling") -> Fig:
    title = "Call handling by hour of day: 999 answered within 10 s and 101 abandonment"
    specs = [("sl_999_10s", "999 calls answered within 10 s", "answered within 10 s (%)"),
             ("abandon_rate_101", "101 calls abandoned before answer", "abandoned (%)")]
    have = [(s, [(a, a.profile(s[0])) for a in arms]) for s in specs]
    have = [(s, [(a, p) for a, p in lst if p is not None]) for s, lst in have]
    notes = [f"{s[1]} by hour is missing (no {s[0]} profile)" for s, lst in have if not lst]
    have = [(s, lst) for s, lst in have if lst]
    if not have:
        return _missing(slug, title, "left out: " + "; ".join(notes))
    # with common random numbers and the same handlers, arms often answer identically: draw once
    fig = _figure(5.6)
    axes = fig.subplots(1, len(have), squeeze=False)[0]
    handler = _unique_handler_starts(arms)
    caption = []
    for ax, ((name, heading, ylabel), lst) in zip(axes, have):
        first = _nanmean0(lst[0][1][1])
        draw = [lst[0]] + [(a, p) for a, p in lst[1:] if not np.allclose(_nanmean0(p[1]), first, equal_nan=True)]
        same = len(lst) > 1 and len(draw) == 1
        top = 0.0
        for i, (a, (x, m)) in enumerate(draw):
            mean, lo, hi = mean_band(m, upper=1.0)
            c = ARM_COLOURS[i]
            xs = x + 0.5
            if not np.all(np.isnan(lo)):
                ax.fill_between(xs, lo, hi, color=c, alpha=0.22, lw=0)
            label = ("all scenarios (identical call handling)" if same else
                     (_short(a.label) if len(lst) > 1 else "by hour of the call"))
            ax.plot(xs, mean, "o-", color=c, lw=2, ms=5, label=label)
            top = max(top, np.nanmax(hi if not np.all(np.isnan(hi)) else mean))
            if i == 0:
                if name == "sl_999_10s":
                    below = int(np.sum(mean < SL_999_TARGET))
                    h = int(np.nanargmin(mean))
                    caption.append(f"999 answering misses the 90%-in-10-s target in {below} of 24 hours, worst "
                                   f"{h:02d}:00–{(h + 1) % 24:02d}:00 ({mean[h]:.0%})")
                else:
                    h = int(np.nanargmax(mean))
                    caption.append(f"101 abandonment peaks at {mean[h]:.0%} for calls made "
                                   f"{h:02d}:00–{(h + 1) % 24:02d}:00")
        k = lst[0][0].kpi(name)
        if name == "sl_999_10s":
            ax.axhline(SL_999_TARGET, color=STANDARD_COLOUR, ls="--", lw=1.6, label="target: 90% within 10 s")
            _pct_axis(ax, 1.12)
        else:
            _pct_axis(ax, max(0.05, top * 1.35))
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=None))
        if k == k:
            ax.axhline(k, color="0.35", ls=":", lw=1.6, label=f"whole day: {k:.1%}")
        for start, names in handler:
            ax.axvline(start, color="0.55", lw=1.2, ls="-.")
        if handler:
            top_ax = ax.secondary_xaxis("top")
            top_ax.set_xticks([h for h, _ in handler], ["/".join(n) + " on" for _, n in handler], fontsize=11,
                              color="0.3")
            top_ax.tick_params(length=4, color="0.55")
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])
        ax.set_xlabel("hour of day the call arrived")
        ax.set_ylabel(ylabel)
        ax.set_title(heading, loc="left", pad=28 if handler else 6)
        ax.grid(True, color="0.9", lw=0.8)
        ax.legend(loc="lower left" if name == "sl_999_10s" else "upper left", fontsize=10.5)
    fig.suptitle(f"Call handling by hour of day ({_reps_text(arms)})")
    return Fig(slug, title, _png(fig), "; ".join(caption) + ".", note="; ".join(notes))


def _unique_handler_starts(arms: list[ArmView]) -> list[tuple[float, list[str]]]:
    starts: dict[float, list[str]] = {}
    for a in arms[:1]:
        for sh in a.shifts("call_handling"):
            if sh["hours"] >= 24:
                continue
            starts.setdefault(sh["start_h"], []).append(sh["name"])
    return sorted(starts.items())


# ---------------------------------------------------------------------------- 7 compare: forest plot
FOREST_KPIS = (
    "resource_downgrades_per_week", "high_risk_resource_downgrades", "g1_in_target", "g2_in_target",
    "g1_response_p90", "g2_response_p90", "pending_at_0700_mean", "open_at_0700_mean", "max_pending",
    "appointment_lead_days_p50", "unit_utilisation", "officer_hours_on_duty", "overtime_hours",
    "neighbourhood_hours_lost", "sl_999_10s", "abandon_rate_101",
)


def fmt_kpi(unit: str, v: float, signed: bool = False, digits: int | None = None) -> str:
    """A KPI value in its unit, as a reader would write it ('75.6%', '23.0 min', '1,526 h');
    one that rounds to zero is written without a sign."""
    if v is None or v != v:
        return "n/a"
    return unsigned_zero(_fmt_kpi(unit, v, signed, digits))


def _fmt_kpi(unit: str, v: float, signed: bool, digits: int | None) -> str:
    sign = "+" if signed and v > 0 else ""
    if unit == "share":
        return f"{sign}{v * 100:.{1 if digits is None else digits}f}%"
    if unit == "0/1":
        return f"{sign}{v * 100:.0f}%"
    if unit == "minutes":
        return f"{sign}{v:.1f} min"
    if unit == "seconds":
        return f"{sign}{v:.1f} s"
    if unit == "hours":
        return f"{sign}{v:,.0f} h"
    if unit == "days":
        return f"{sign}{v:.2f} days"
    if unit == "calls" or abs(v) >= 1000:
        return f"{sign}{v:,.0f}"
    return f"{sign}{v:.{1 if digits is None else digits}f}"


def fig_forest(comparison: pd.DataFrame, label_a: str, label_b: str, names: dict[str, str],
               slug: str = "7-paired-differences") -> Fig:
    """Forest plot of paired differences B - A. KPIs have different units, so each row is scaled
    to its own largest |value| (zero stays in the middle) and its numbers are written beside it."""
    from matplotlib.transforms import blended_transform_factory

    title = f"Paired differences B − A with 95% CIs (A = {label_a}, B = {label_b})"
    if comparison is None or comparison.empty:
        return _missing(slug, title, "left out: no comparison.csv in this folder")
    t = comparison.set_index("kpi")
    rows, identical, missing = [], [], []
    for k in FOREST_KPIS:
        if k not in t.index:
            missing.append(k)
            continue
        r = t.loc[k]
        if r["diff"] != r["diff"]:
            missing.append(k)
        elif r["diff"] == 0 and (r["half_width"] == 0 or r["half_width"] != r["half_width"]):
            identical.append(k)
        else:
            rows.append((k, r))
    if not rows:
        return _missing(slug, title, "left out: every headline KPI is identical in A and B")
    n = len(rows)
    row_h, head, foot = 0.62, 1.35, 0.75
    height = head + foot + row_h * n
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    x0, x1 = 0.40, 0.70
    ax = fig.add_axes((x0, foot / height, x1 - x0, row_h * n / height))
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(n - 0.5, -0.5)
    ax.axvline(0, color="0.2", lw=1.2)
    ax.set_yticks([])
    ax.set_xticks([-1, 0, 1], ["B lower", "0", "B higher"])
    for s_ in ("left", "right", "top"):
        ax.spines[s_].set_visible(False)
    tr = blended_transform_factory(fig.transFigure, ax.transData)
    better, worse = [], []
    for i, (k, r) in enumerate(rows):
        unit = str(r.get("unit", ""))
        pp = unit in ("share", "0/1")
        scale = 100.0 if pp else 1.0
        d, lo, hi = r["diff"] * scale, r["ci_low"] * scale, r["ci_high"] * scale
        has_ci = lo == lo and hi == hi
        span = max(abs(lo) if has_ci else 0.0, abs(hi) if has_ci else 0.0, abs(d), 1e-12)
        direction = BETTER.get(k, 0)
        colour = "0.45"
        if has_ci and direction and (lo > 0 or hi < 0):
            good = (d > 0) == (direction > 0)
            colour = OK_COLOUR if good else STANDARD_COLOUR
            (better if good else worse).append(names.get(k, k))
        if i % 2 == 0:
            ax.axhspan(i - 0.5, i + 0.5, color="0.96", zorder=0)
        if has_ci:
            ax.plot([lo / span, hi / span], [i, i], color=colour, lw=5, solid_capstyle="butt")
        ax.plot([d / span], [i], "D", color=colour, ms=10, mec="white")
        u = " pts" if pp else {"minutes": " min", "hours": " h", "days": " days", "per week": " /wk"}.get(unit, "")
        arrow = {1: "higher is better", -1: "lower is better", 0: ""}[direction]
        ax.text(x0 - 0.015, i - 0.13, names.get(k, k), transform=tr, ha="right", va="center", fontsize=12.5)
        ax.text(x0 - 0.015, i + 0.22, f"A {fmt_kpi(unit, r['mean_a'])} → B {fmt_kpi(unit, r['mean_b'])}"
                + (f" · {arrow}" if arrow else ""), transform=tr, ha="right", va="center", fontsize=11, color="0.35")
        digits = 1 if max(abs(lo) if has_ci else 0, abs(hi) if has_ci else 0, abs(d)) >= 1 else 2
        def num(v):
            return unsigned_zero(f"{v:+.{digits}f}")   # no "−0.0"
        ci = f"[{num(lo)}, {num(hi)}]" if has_ci else "(no CI)"
        ax.text(x1 + 0.015, i, f"{num(d)}{u}  {ci}".replace("-", "−"), transform=tr, ha="left", va="center", fontsize=12,
                color=colour if colour != "0.45" else "0.25", fontweight="bold" if colour != "0.45" else "normal")
    fig.text(0.5, 1 - 0.32 / height, "Paired differences B − A with 95% CIs", ha="center", va="center",
             fontsize=15, fontweight="bold")
    fig.text(0.5, 1 - 0.72 / height, f"A = {_short(label_a, 36)}, B = {_short(label_b, 36)}; green: B better, red: B worse, grey: no clear "
             "difference", ha="center", va="center", fontsize=11.5, color="0.25")
    fig.text(x1 + 0.015, 1 - (head - 0.1) / height, "B − A  [95% CI]", ha="left", va="bottom", fontsize=11.5,
             color="0.25")
    fig.text(0.5 * (x0 + x1), 0.12 / height, "each row scaled to its own largest value; numbers on the right",
             ha="center", va="bottom", fontsize=11, color="0.35")
    note = []
    if identical:
        note.append("identical in A and B (same callers, nothing changed them): " + ", ".join(names.get(k, k) for k in identical))
    if missing:
        note.append("not produced by this run: " + ", ".join(names.get(k, k) for k in missing))
    caption = ("A bar entirely one side of zero is a difference the paired replications support; "
               + (f"B is better on {', '.join(better)}" if better else "B is not clearly better on any headline KPI")
               + (f" and worse on {', '.join(worse)}" if worse else ""))
    return Fig(slug, title, _png(fig), caption + ".", note="; ".join(note))


# ---------------------------------------------------------------------------- sweep figures
def _sweep_x(points: list[ArmView], keys: list[str]) -> tuple[list, bool]:
    """x positions for the first varied key: numbers if every value is a number, else categories."""
    vals = [p.values.get(keys[0]) for p in points]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
    if numeric:
        return [float(v) for v in vals], True
    cats = []
    for v in vals:
        if str(v) not in cats:
            cats.append(str(v))
    return [float(cats.index(str(v))) for v in vals], False


def _groups(points: list[ArmView], keys: list[str]) -> list[tuple[str, list[int]]]:
    """Lines of a sweep plot: one per value of the other varied keys."""
    if len(keys) < 2:
        return [("", list(range(len(points))))]
    out: dict[str, list[int]] = {}
    for i, p in enumerate(points):
        label = ", ".join(f"{k.split('.')[-2] + '.' if k.count('.') else ''}{k.split('.')[-1]}={p.values.get(k)}"
                          for k in keys[1:])
        out.setdefault(label, []).append(i)
    return list(out.items())


def key_label(key: str) -> str:
    return key_phrase(key)


def _sweep_axes(ax, points, keys, xs, numeric, xlabel: bool = True):
    if xlabel:
        ax.set_xlabel(key_label(keys[0]), fontsize=12)
    if numeric:
        uniq = sorted(set(xs))
        if len(uniq) <= 12:
            ax.set_xticks(uniq, [f"{u:g}" for u in uniq])
    else:
        cats = []
        for p in points:
            v = str(p.values.get(keys[0]))
            if v not in cats:
                cats.append(v)
        ax.set_xticks(range(len(cats)), [_short(c, 14) for c in cats])
        ax.set_xlim(-0.5, len(cats) - 0.5)
    ax.grid(True, color="0.9", lw=0.8)


def fig_sweep_panels(points: list[ArmView], keys: list[str], panels: list[dict], cheapest: int | None,
                     slug: str, title: str, caption: str) -> Fig:
    """Each panel: one KPI (mean, 95% CI band) against the first varied key, thresholds drawn.

    panel: {kpi, title, unit, lines: [(y, label)], aim: 'max'|'min'|None}."""
    if not panels:
        return _missing(slug, title, "left out: none of these KPIs was produced by this sweep")
    xs, numeric = _sweep_x(points, keys)
    groups = _groups(points, keys)
    ncol = 2 if len(panels) <= 4 else 3
    nrow = math.ceil(len(panels) / ncol)
    fig = _figure(1.2 + 3.3 * nrow)
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax, panel in zip(axes, panels):
        k, unit = panel["kpi"], panel["unit"]
        scale = 100.0 if unit in ("share", "0/1") else 1.0
        for gi, (glabel, idx) in enumerate(groups):
            idx = sorted(idx, key=lambda i: xs[i])
            x = np.array([xs[i] for i in idx])
            mean = np.array([points[i].kpis.get(k, {}).get("mean", np.nan) for i in idx], float) * scale
            lo = np.array([points[i].kpis.get(k, {}).get("ci_low", np.nan) for i in idx], float) * scale
            hi = np.array([points[i].kpis.get(k, {}).get("ci_high", np.nan) for i in idx], float) * scale
            c = ARM_COLOURS[gi % len(ARM_COLOURS)]
            if numeric:
                if not np.all(np.isnan(lo)):
                    ax.fill_between(x, lo, hi, color=c, alpha=0.22, lw=0)
                ax.plot(x, mean, "o-", color=c, lw=2.2, ms=6, label=glabel or "mean, 95% CI shaded")
            else:   # categories: no line between them; the CI as error bars
                off = (gi - (len(groups) - 1) / 2) * 0.08
                err = None if np.all(np.isnan(lo)) else np.nan_to_num([mean - lo, hi - mean])
                ax.errorbar(x + off, mean, yerr=err, fmt="o", color=c, ms=8, capsize=6, lw=2,
                            label=glabel or "mean, 95% CI")
        for y, lab in panel.get("lines", []):
            ax.axhline(y * scale, color=STANDARD_COLOUR, ls="--", lw=1.6)
            ax.text(0.99, y * scale, lab, transform=ax.get_yaxis_transform(), ha="right", va="bottom",
                    color=STANDARD_COLOUR, fontsize=11)
        if cheapest is not None:
            ax.axvline(xs[cheapest], color=OK_COLOUR, ls="-", lw=2.5, alpha=0.6)
        if unit in ("share", "0/1"):
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(100, decimals=0))
            if k == "meets_recommendation" or not panel.get("lines"):
                ax.set_ylim(-4 if k == "meets_recommendation" else 0, 104)
            else:
                lo_y = min(ax.get_ylim()[0], min(y * 100 for y, _ in panel["lines"]))
                ax.set_ylim(max(0, lo_y - 5), 104)
        else:
            ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], max((y for y, _ in panel.get("lines", [])), default=0) * 1.15))
        ax.set_title(panel["title"], loc="left", fontsize=12.5)
        ax.set_ylabel(panel.get("ylabel", unit))
        last_row = list(axes).index(ax) + ncol >= len(panels)
        _sweep_axes(ax, points, keys, xs, numeric, xlabel=last_row)
        if len(groups) > 1 and ax is axes[0]:
            ax.legend(loc="best", fontsize=10)
    mark = (f"Green line: the cheapest point meeting HMIC's recommendation in every replication, {points[cheapest].label}"
            if cheapest is not None else "No point meets HMIC's recommendation in every replication")
    fig.suptitle(f"{title}\n{_reps_text(points).replace(' shaded', ' shaded' if numeric else ' as error bars')}; "
                 "dashed lines: thresholds and standards", fontsize=14)
    fig.supxlabel(mark, fontsize=12, color=OK_COLOUR if cheapest is not None else STANDARD_COLOUR)
    return Fig(slug, title, _png(fig), caption)


def fig_sweep_downgrades(points: list[ArmView], slug: str = "3-sweep-downgrades-by-hour") -> Fig:
    title = "When downgrades happen, at each point of the sweep: per week, by hour of day"
    rows = []
    for p in points:
        m = _downgrade_matrix(p)
        if m is not None:
            rows.append((p, np.nansum(m, axis=0)))
    if not rows:
        return _missing(slug, title, "left out: no resource_downgrades profile in this sweep")
    if all(r.sum() == 0 for _, r in rows):
        return _missing(slug, title, "no resource-driven downgrades happened at any point of the sweep")
    m = np.array([r for _, r in rows])
    fig = _figure(max(3.6, 1.9 + 0.48 * len(rows)))
    ax = fig.subplots()
    im = ax.imshow(np.ma.masked_equal(m, 0.0), aspect="auto", cmap=_HEAT, vmin=0, vmax=m.max(),
                   interpolation="nearest")
    _cell_grid(ax, m.shape[0], 24)
    big = len(rows) <= 16
    for i in range(m.shape[0]):
        for h in range(24):
            if big and round(m[i, h], 1) >= 0.1:
                ax.text(h, i, f"{m[i, h]:.1f}", ha="center", va="center", fontsize=10.5,
                        color="white" if m[i, h] > 0.6 * m.max() else "black")
        ax.text(24.0, i, f"{_per_week(rows[i][0], m[i]):.1f}", ha="left", va="center", fontsize=11, clip_on=False)
    ax.text(24.0, -0.7, "per week (KPI)", ha="left", va="bottom", fontsize=11, clip_on=False)
    ax.set_yticks(range(len(rows)), [_short(p.label.replace("response.", ""), 36) for p, _ in rows])
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
    ax.set_xlabel("hour of day (each column is one hour, 00 = 00:00–01:00)")
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    cb = fig.colorbar(im, ax=ax, pad=0.08)
    cb.set_label("downgrades per week")
    fig.suptitle("Resource-driven downgrades per week by hour of day, at each sweep point")
    worst = int(np.argmax([_per_week(p, r) for p, r in rows]))
    h = int(np.argmax(m[worst]))
    caption = (f"Each row is one sweep point: read down a column to see whether extra officers remove the "
               f"downgrades at that hour; at {rows[worst][0].label} the worst hour is {h:02d}:00 "
               f"({m[worst, h]:.1f} per week)")
    return Fig(slug, title, _png(fig), caption + ".")


def fig_sweep_pending(points: list[ArmView], slug: str = "4-sweep-pending") -> Fig:
    title = "The pending list over a typical week, at each point of the sweep"
    got = _with_profile(points, "pending")
    if not got:
        return _missing(slug, title, "left out: no pending profile in this sweep")
    if len(got) > 8:
        pick = sorted(set(np.linspace(0, len(got) - 1, 8).round().astype(int)))
        got = [got[i] for i in pick]
    fig = _figure(5.8)
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis"]
    for i, (p, (x, m)) in enumerate(got):
        med = _quiet(np.nanmedian, m, axis=0)
        ax.plot(x, med, color=cmap(i / max(len(got) - 1, 1) * 0.8), lw=2.0 if i == 0 else 1.8,
                label=f"{_short(p.label.replace('response.', ''), 34)} (peak {np.nanmax(med):.0f})")
    ax.set_ylabel("unresourced G1/G2 incidents")
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.3)
    ax.legend(loc="upper left", ncol=2, fontsize=11)
    week_axis(ax, step="15-minute slots")
    fig.suptitle("The pending list over a typical week at each sweep point (median over replications)")
    peaks = [float(np.nanmax(_quiet(np.nanmedian, pr[1], axis=0))) for _, pr in got]
    caption = (f"Each line is the median pending list at one sweep point: the peak falls from {peaks[0]:.0f} "
               f"to {peaks[-1]:.0f} incidents waiting between {got[0][0].label} and {got[-1][0].label}"
               if peaks[-1] < peaks[0] else
               f"Each line is the median pending list at one sweep point: peaks from {min(peaks):.0f} to "
               f"{max(peaks):.0f} incidents waiting")
    return Fig(slug, title, _png(fig), caption + ".")
