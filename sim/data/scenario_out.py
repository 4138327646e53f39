"""Write a fitted scenario: a delta of ``--base`` holding only what the extract says (and what the
extract makes necessary), every value with a ``# [D: fitted from <file>, n=..., <dates>]`` comment.

The file is checked with the project's own scenario validation before it is put in place, so a
fitted scenario always loads (fitted values stay within the validation's limits: e.g. callers
who never abandon get a patience of 100,000 minutes, not infinity).
"""
from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

from sim.scenario import CHANNELS, GRADES, ScenarioError, load_written
from sim.scenario.writing import Document
from sim.data.fit import FitResult
from sim.util.files import atomic_path

NEVER_ABANDON = 100_000.0   # minutes: a patience nobody reaches (validation refuses infinity)


def fitted(v):
    """A fitted value as written: floats to 6 decimals (never infinite), numpy scalars as Python's."""
    if isinstance(v, bool) or isinstance(v, (int, str, dt.date)):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"not a finite number: {v}")
        return round(v, 6)
    if isinstance(v, (list, tuple)):
        return [fitted(x) for x in v]
    if isinstance(v, dict):
        return {k: fitted(x) for k, x in v.items()}
    if hasattr(v, "item"):
        return fitted(v.item())
    raise TypeError(type(v))


class _Doc(Document):
    """The fitted scenario's lines: every value rounded (``fitted``), an empty table as ``{  }``."""

    def __init__(self):
        super().__init__(gap="   ", empty_table="  ")

    def set(self, key: str, value, note: str | None = None):
        super().set(key, fitted(value), note)


def monday_on_or_after(day) -> dt.date:
    d = dt.date.fromisoformat(str(day)[:10])
    return d + dt.timedelta(days=(7 - d.weekday()) % 7)


def scenario_text(fit: FitResult, source: str, base: Path, out_dir: Path, name: str, areas: list[str],
                  units: dict | None = None, calibration_note: str = "", practice=None,
                  preemption: dict | None = None, rank_lead: tuple | None = None) -> str:
    """``practice``: the decision time and holds (``sim.data.practice``); ``preemption``: the
    calibrated shares, ``{"probability": (value, note), "probability_g2": (value, note)}`` (without
    it, the base's pre-emption setting stands); ``rank_lead``: the calibrated
    ``(response.rank_lead_minutes or None for strict, note)``."""
    D = lambda n=None: f"[D: fitted from {source}, {fit.tag(n)}]"  # noqa: E731
    doc = _Doc()
    doc.comment(f"Fitted by `triage-sim fit` from {source} ({fit.tag()}). A delta of its base: what is not")
    doc.comment("here is the base's (its rota, non-incident time, standards... and their tags).")
    doc.comment("The extract holds incidents, not calls: calls_per_day counts incidents created, callers never")
    doc.comment("abandon, every call becomes an incident of its recorded grade, G3 is dispatched (no appointments)")
    doc.comment("and nothing is downgraded (the extract records no grade change).")
    doc.set("base", os.path.relpath(base.resolve(), out_dir.resolve()))
    doc.table("meta")
    doc.set("name", name, "[D]")
    doc.set("description", f"fitted from {source} ({fit.tag()})", "[D]")
    doc.table("run")
    doc.set("start_date", monday_on_or_after(fit.start), "[D: the first Monday of the fit window]")
    doc.table("demand")
    months = [m for m, nd in sorted(fit.month_days.items()) if nd >= 7]
    doc.set("month", fit.month, f"{D()}; months with a week or more in the window: "
            f"{', '.join(dt.date(2000, m + 1, 1).strftime('%b') for m in months)}, others 1")
    doc.set("multiplier", 1.0, "[D]")
    for ch in CHANNELS:
        c = fit.channels.get(ch)
        doc.table(f'demand.channels."{ch}"')
        if c is None:
            doc.set("calls_per_day", 0.0, f"[D: no {ch} demand in {source}]")
            continue
        doc.set("calls_per_day", round(c["calls_per_day"], 3), D(c["n"]))
        smoothing = "/".join(f"{w:g}" for w in fit.smoothing)
        doc.comment(f"hour of week (Mon 00:00 first), mean 1: observed calls per hour smoothed with weights {smoothing} "
                    "on the circular week")
        doc.set("hour_of_week", [round(float(x), 4) for x in c["hour_of_week"]], D(c["n"]))
        doc.set("day_of_week", [1.0] * 7, "[D: in hour_of_week]")
        doc.set("adjust", [], "[D: in hour_of_week]")
        doc.set("risk", {"none": 0.0, **{g: c["risk"][g] for g in GRADES}},
                f"{D(c['n'])}: the mapped grades' shares (every row is an incident)")
        h = c["handling"]
        if h is not None:
            doc.set("handling", h.table, f"{D(h.n)}: created -> ready for dispatch; {h.family}, lognormal KS {h.ks:.3f}")
        doc.set("graded_at", 1.0, "[D: the incident is ready for dispatch when its handling ends (queue time)]")
        doc.set("patience", {"family": "fixed", "value": NEVER_ABANDON},
                "[D: the extract holds only calls that became incidents: nobody abandons]")
        doc.set("retry", {"probability": 0.0, "to_999": 0.0, "delay": {"family": "fixed", "value": 30.0}},
                "[D: nobody abandons, nobody calls back]")
    doc.table("thrive")
    doc.set("misgrading_enabled", False, "[D: the extract's grade is the only one known; taken as the true risk]")
    # the grade recorded is the extract's: nothing in the model may re-grade it (base's issue-15 mechanisms off)
    keep = "[D: the extract's grade is the one recorded: not re-graded"
    doc.table("assessment.workload")
    doc.set("rushed", {}, f"{keep} under pressure]")
    doc.table("assessment.vulnerability")
    doc.set("share", {}, f"{keep} for vulnerability]")
    doc.table("assessment.supervision")
    doc.set("share", 0.0, f"{keep} by a supervisor]")
    doc.table("response")
    for g, f in fit.on_scene.items():
        if f is not None:
            doc.set(f"on_scene.{g}", f.table, f"{D(f.n)}: first on scene -> clear; {f.family}, lognormal KS {f.ks:.3f}")
    for g in GRADES:
        if g in fit.units:
            doc.set(f"units_needed.{g}", fit.units[g], D())
    doc.set("arrest_probability", {g: 0.0 for g in GRADES},
            "[D: on-scene time runs to the incident's clear, so arrests and their paperwork are in it]")
    doc.set("admin", {"family": "fixed", "value": 0.0}, "[D: as arrests: in the on-scene time]")
    doc.set("blue_light_grades", ["G1"], "[D: travel fitted for G1 (blue light) and G2-G4 (normal) apart]")
    if practice is not None:
        _practice(doc, practice, D, preemption, rank_lead)
    if units:
        doc.comment(calibration_note or "units calibrated by triage-sim fit --calibrate-units")
        for shift, (n, note) in units.items():
            doc.set(f"shifts.{shift}.units", n, note)
    for area in areas if any(f is not None for f in fit.travel.values()) else []:   # an empty table would clear the base's
        doc.table(f"response.areas.{area}")
        for kind, f in fit.travel.items():
            if f is not None:
                doc.set(kind, f.table, f"{D(f.n)}: first dispatch -> first on scene, grades "
                        f"{'+'.join(fit.travel_grades[kind])}; {f.family}, lognormal KS {f.ks:.3f}")
    doc.table("appointments")
    doc.set("booking", False, "[D: the extract's lowest priorities are dispatched as they come, not booked]")
    doc.table("policy")
    doc.set("kind", "none", "[D: the extract records no downgrade]")
    return doc.text()


def _practice(doc: _Doc, practice, D, preemption, rank_lead=None) -> None:
    """The control room's dispatch practice (issue 23): decision time, holds, pre-emption."""
    quiet = "ready -> first dispatch of incidents ready while no other incident waited for dispatch"
    dec = practice.decision
    if dec is not None:
        for g in GRADES[:3]:
            doc.set(f"decision.{g}", dec.table, f"{D(dec.n)}: {quiet}, G1 codes (a G1 is never held: the "
                    "dispatcher's own time); the same for every grade [A: the extract cannot separate a lower "
                    "grade's decision from its hold]")
    for g, f in practice.grade_holds.items():
        doc.set(f"stacking.hold.{g}", f.table, f"{D(f.n)}: {quiet}, {g} codes, less the decision time "
                "(quantile by quantile); used by sampled demand")
    for code, f in practice.holds.items():
        doc.set(f"stacking.hold_by_priority.{code}", f.table, f"{D(f.n)}: as the grade's hold, priority {code} "
                "alone; used when the force's calls are replayed")
    doc.set("stacking.min_free", {}, "[D: not used: with nothing else waiting, P3/P4 still wait (a hold, not a "
            "rule about free units)]")
    if preemption is None:
        doc.comment("pre-emption of busy units for G1s: the base's (its share is estimated only with --calibrate-units)")
    else:
        doc.set("preemption.enabled", True, "[D: G1s reach a unit in minutes at every load]")
        for key, (value, note) in preemption.items():
            doc.set(f"preemption.{key}", value, note)
    if rank_lead is not None:
        value, note = rank_lead
        if value is None:
            doc.comment(f"rank_lead_minutes: not set, ranks strict {note}")
        else:
            doc.set("rank_lead_minutes", value, note)


def write_scenario(text: str, path: Path, roots=None) -> None:
    """Validate, then put in place atomically; a scenario that would not load is never written
    (``roots``: the folders given with --base-root, where its base may also come from)."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
            load_written(tmp, roots=roots)
    except ScenarioError as err:
        raise ScenarioError(path, err.path, err.value, f"the fitted scenario does not validate: {err.expected}") from None
