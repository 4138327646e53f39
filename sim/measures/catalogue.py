"""The KPI catalogue: the words a reader meets for each KPI and which way is better, in one place.

A KPI's name, unit and one-line description are defined with its function (``kpis.KPIS``); its
period follows from its name (a count over the measured days has a ``_per_week`` twin). What a
report, a figure and the workshop app *call* it, what it means in a sentence, and whether more of
it is better are here, so the KPI table, the forest plot's colours, the sweep and the app's big
numbers cannot drift apart. Adding a KPI: its function in ``kpis.py`` (or a topic module beside it),
its words here. No heavy imports: the app and the report read this before anything is drawn.
"""
from __future__ import annotations

from dataclasses import dataclass

HIGHER, LOWER, NEITHER = 1, -1, 0


@dataclass(frozen=True)
class Words:
    better: int = NEITHER   # HIGHER or LOWER is better; NEITHER for a cost or a level (hours on duty, utilisation)
    label: str = ""         # the report's name for it (KPI table, forest plot, sweep)
    meaning: str = ""       # what it counts, in one line under the label
    row: str = ""           # the KPI table's row when it reads as part of the row above ("… of callers ...")
    app: str = ""           # the workshop app's table
    short: str = ""         # a big number's caption: a quarter of a projector's width
    phrase: str = ""        # inside a sentence: "<phrase> 12.0 → 3.1"
    printed: str = ""       # the command line's summary: a format for the value ("{:.1%}", "{:.1f} min")
    per: str = ""           # its unit and period for a table ("% of initial G1 incidents, over the measured days")


CATALOGUE: dict[str, Words] = {
    "resource_downgrades_per_week": Words(
        LOWER, "Resource-driven downgrades",
        "grades lowered because no officer was free, per simulated week (HMIC's concern)",
        app="Downgrades for lack of officers, per week", short="Downgrades / week",
        phrase="downgrades for lack of officers a week", printed="{:.1f}"),
    "resource_downgrades": Words(LOWER),
    "high_risk_resource_downgrades": Words(
        LOWER, "High-risk resource downgrades",
        "resource-driven downgrades of incidents whose true risk was G1 or G2, over the measured days",
        row="… of callers truly at high risk"),
    "high_risk_resource_downgrades_per_week": Words(
        LOWER, "High-risk resource downgrades",
        "resource-driven downgrades of incidents whose true risk was G1 or G2",
        row="… of callers truly at high risk", app="… of true G1/G2 callers, per week", short="Of true G1/G2 / week",
        phrase="downgrades of true G1/G2 callers a week", printed="{:.1f}"),
    "g1_in_target": Words(
        HIGHER, "G1 attended within standard",
        "initial G1 incidents with an officer on scene within 15 min (urban) / 20 min (rural) of the call",
        app="G1 attended within standard", short="G1 within standard", phrase="G1 within standard", printed="{:.1%}", per="% of initial G1 incidents, over the measured days"),
    "g2_in_target": Words(
        HIGHER, "G2 attended within standard", "initial G2 incidents attended within 60 min of the call",
        app="G2 attended within 60 min", short="G2 within 60 min", phrase="G2 within 60 min", printed="{:.1%}", per="% of initial G2 incidents, over the measured days"),
    "g3_in_target": Words(HIGHER),
    "g1_response_p50": Words(LOWER),
    "g1_response_p90": Words(
        LOWER, "G1 call-to-scene, 90th percentile", "9 in 10 attended G1 incidents are reached within this",
        app="G1 call to scene, 90th percentile", phrase="G1 90th percentile call to scene", printed="{:.1f} min", per="minutes from the call, over the measured days"),
    "g2_response_p50": Words(LOWER),
    "g2_response_p90": Words(
        LOWER, "G2 call-to-scene, 90th percentile", "9 in 10 attended G2 incidents are reached within this", printed="{:.1f} min", per="minutes from the call, over the measured days"),
    "pending_at_0700_mean": Words(
        LOWER, "G1/G2 waiting at 07:00", "unresourced G1/G2 incidents when the early shift starts, mean over days", printed="{:.1f}", per="incidents at 07:00, mean over the measured days"),
    "open_at_0700_mean": Words(
        LOWER, "Open work at 07:00",
        "unresourced G1/G2 plus G3 past their appointment or standard and not yet attended, mean over days", printed="{:.1f}", per="incidents at 07:00, mean over the measured days"),
    "max_pending": Words(
        LOWER, "Most G1/G2 waiting at once", "the longest the pending list of G1/G2 incidents grew",
        app="Most G1/G2 waiting at once", phrase="most G1/G2 waiting at once", per="incidents at once, the most over the measured days"),
    "appointment_lead_days_p50": Words(
        LOWER, "G3 appointment lead time", "median time from the call to the booked appointment", per="days (median), over the measured days"),
    "unit_utilisation": Words(
        NEITHER, "Unit utilisation", "share of on-duty response time spent on incidents",
        app="Response officers' time on incidents", printed="{:.1%}", per="% of on-duty time, over the measured days"),
    "overtime_hours": Words(
        LOWER, "Overtime", "unit hours worked past shift end to finish a job, over the measured days"),
    "overtime_hours_per_week": Words(LOWER, "Overtime", "unit hours worked past shift end to finish a job", app="Overtime hours, per week", phrase="overtime hours a week"),
    "officer_hours_on_duty": Words(
        NEITHER, "Response officer-hours on duty",
        "rostered officer-hours less abstraction (leave, sickness, training, court), over the measured days"),
    "officer_hours_on_duty_per_week": Words(
        NEITHER, "Response officer-hours on duty",
        "rostered officer-hours less abstraction (leave, sickness, training, court)"),
    "officer_hours_rostered": Words(NEITHER),
    "neighbourhood_hours_lost": Words(
        LOWER, "Neighbourhood hours borrowed", "neighbourhood officer hours taken for response, over the measured days"),
    "neighbourhood_hours_lost_per_week": Words(
        LOWER, "Neighbourhood hours borrowed", "neighbourhood officer hours taken for response", app="Neighbourhood hours borrowed, per week", phrase="neighbourhood hours borrowed a week", printed="{:.0f} h"),
    "units_taken_for_g1": Words(
        NEITHER, "Units taken for G1s",
        "response units taken from a lower-grade job or a break for a G1 with none free, over the measured days"),
    "units_taken_for_g1_per_week": Words(
        NEITHER, app="Units taken from other work for G1s, per week", phrase="units taken from other work for G1s a week"),
    "units_taken_for_g2": Words(
        NEITHER, "Units taken for G2s",
        "response units taken from a G3 job or a break for a G2 with none free, over the measured days"),
    "units_taken_for_g2_per_week": Words(
        NEITHER, app="Units taken from other work for G2s, per week", phrase="units taken from other work for G2s a week"),
    "sl_999_10s": Words(HIGHER, "999 answered within 10 s", "short abandons excluded; national target 90%", printed="{:.1%}", per="% of 999 calls, over the measured days"),
    "sl_101_180s": Words(HIGHER),
    "abandon_rate_101": Words(LOWER, "101 calls abandoned", "101 callers who hung up before an answer", printed="{:.1%}", per="% of 101 calls, over the measured days"),
    "abandon_rate_999": Words(LOWER),
    "meets_recommendation": Words(
        HIGHER, "Replications meeting HMIC's recommendation",
        "share of replications with downgrades within tolerance and G1, G2 aims reached", per="% of replications (each over the measured days)"),
}


def words(kpi: str) -> Words:
    """The catalogue's words for ``kpi`` (empty words, neither direction, for one it does not name)."""
    return CATALOGUE.get(kpi, Words())


def better(kpi: str) -> int:
    """HIGHER (+1) if more is better, LOWER (-1) if less is, NEITHER (0) otherwise."""
    return words(kpi).better


# One period rule for every table: counts and hours per week (the measured days / 7), shares,
# percentiles and levels over all the measured days. ``unit_period`` says it for a KPI.
PERIOD_RULE = ("counts and hours are per week (over the measured days, divided by 7); shares, percentiles "
               "and levels are over all the measured days")


def unit_period(kpi: str, unit: str = "") -> str:
    """The KPI's unit and period in words, for a table's unit column: the catalogue's own words,
    else from its unit ('grade changes per week', 'hours per week'), else the unit 'over the
    measured days' (a KPI's total over the whole run)."""
    w = words(kpi)
    if w.per:
        return w.per
    unit = unit or ""
    if unit.endswith("per week") or kpi.endswith("_per_week"):
        return unit if unit.endswith("per week") else f"{unit} per week".strip()
    shown = {"share": "%", "0/1": "% of replications"}.get(unit, unit)
    return f"{shown}, over the measured days" if shown else "over the measured days"


@dataclass(frozen=True)
class Standard:
    """What a recommendation is judged against: a KPI, its aim and which side of it passes."""
    kpi: str
    aim: float
    better: int
    text: str      # the standard in words, as the report states it
    source: str    # where the number comes from ([S] sourced, [A] assumed)

    def passes(self, value: float) -> bool | None:
        if value != value:
            return None
        return value >= self.aim if self.better == HIGHER else value <= self.aim


# HMIC's recommendation 1 (assess vulnerable callers to an appropriate standard) names no number;
# the model judges it against the share of vulnerable callers recognised as vulnerable at first
# contact, at the same 90% aim the scenarios use for G1/G2 attendance.
RECOMMENDATION_1 = Standard(
    "vulnerable_identified", 0.90, HIGHER,
    "at least 90% of vulnerable callers identified as vulnerable at first contact",
    "[A] HMIC gives no number; the 90% aim the scenarios use for G1/G2 attendance")


def label(kpi: str) -> str:
    """The report's name for ``kpi`` (the KPI's own name where the catalogue gives none)."""
    return words(kpi).label or kpi


def row_label(kpi: str) -> str:
    """The KPI table's row: its own wording where it continues the row above, else the label."""
    w = words(kpi)
    return w.row or w.label or kpi

