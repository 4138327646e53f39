"""Which figures a results folder gets and how each is labelled: ``figure_jobs`` lists the drawing
jobs for a run, a compare (A against B, each arm named by its scenario's description) or a sweep
(the KPI panels against the varied keys, a panel left out with a note when it would be empty);
``build_figures`` draws them (``sim.report.figures`` does the drawing).
"""
from __future__ import annotations

from sim.report.figures.arms import ArmView
from sim.report.figures.assessment import fig_first_recommendation
from sim.report.figures.breakdowns import fig_category, fig_month
from sim.report.figures.call_handling import fig_call_handling
from sim.report.figures.demand import fig_demand_capacity
from sim.report.figures.downgrades import fig_downgrades
from sim.report.figures.drawing import draw_all, draw_parts, Fig, Job
from sim.report.figures.forest import fig_forest
from sim.report.figures.pending import fig_pending
from sim.report.figures.response import fig_response
from sim.report.figures.style import _short, ARM_COLOURS
from sim.report.figures.sweep import fig_sweep_downgrades, fig_sweep_panels, fig_sweep_pending
from sim.report.figures.utilisation import fig_utilisation
from sim.report.folder import Folder
from sim.report.kpi_table import NAMES
from sim.report.labels import fmt_kpi, scenario_label
from sim.report.sweep_points import cheapest_point, closest_point, labelled_points


def _forest_names() -> dict[str, str]:
    names = dict(NAMES)
    names.update({"resource_downgrades_per_week": "Downgrades per week", "g1_response_p90": "G1 response, p90",
                  "g2_response_p90": "G2 response, p90", "pending_at_0700_mean": "G1/G2 waiting at 07:00",
                  "appointment_lead_days_p50": "G3 appointment lead", "neighbourhood_hours_lost":
                  "Neighbourhood hours", "high_risk_resource_downgrades": "High-risk downgrades",
                  "max_pending": "Most G1/G2 waiting"})
    return names


def build_figures(f: Folder, formats=("png",), title: str | None = None) -> list[Fig]:
    """Every figure of the folder, drawn (in parallel processes where cores allow)."""
    return draw_all(figure_jobs(f), formats, title, subtitle=figure_subtitle(f))


def build_parts(f: Folder, formats=("png",), title: str | None = None, page=None, side=None):
    """``build_figures``, with each figure's PDF page (``page(fig)``) and one more task (``side``)
    done by the same workers: (side's result, figures)."""
    return draw_parts(figure_jobs(f), formats, title, subtitle=figure_subtitle(f), page=page, side=side)


def human_labels(f: Folder) -> list[str]:
    """The arms as a reader knows them: each scenario's description (else its name); two arms
    described alike (one file and a --set change of it) keep their names, which say the change."""
    out = [scenario_label(a.scenario, a.label) for a in f.arms]
    if len(set(out)) < len(out):
        out = [a.label for a in f.arms]
    if f.kind == "compare" and len(out) == 2 and len(out[1]) > len(out[0]) and out[1].startswith(out[0]):
        out[1] = "A" + out[1][len(out[0]):]   # B is A changed: "A, with units on the late shift = 12"
    return out


def figure_subtitle(f: Folder) -> str:
    """The line under every figure's heading naming what was simulated (a sweep's points are
    named in its panels)."""
    if f.kind == "run":
        return _short(human_labels(f)[0], 84)
    if f.kind == "compare":
        la, lb = human_labels(f)[:2]
        return f"A: {_short(la, 80)}\nB: {_short(lb, 80)}"   # one line each: two on one line ran off the figure
    return ""


def figure_jobs(f: Folder) -> list[Job]:
    arms = f.arms
    if f.kind == "run":
        a = arms[0]
        return [
            Job(fig_demand_capacity, arms),
            Job(fig_downgrades, arms),
            Job(fig_response, [("by initial grade", a, "response_by_initial_grade", ARM_COLOURS[0], "-"),
                                      ("by true risk", a, "response_by_true_risk", ARM_COLOURS[1], "--")],
                     "3-response-standards", "Response against standards: by initial grade and by true risk",
                     "both"),
            Job(fig_pending, arms),
            Job(fig_utilisation, arms),
            Job(fig_call_handling, arms),
            Job(fig_first_recommendation, arms),
            Job(fig_category, arms),
            Job(fig_month, arms),
        ]
    if f.kind == "compare":
        a, b = arms[0], arms[1]
        la, lb = (f"{ab}: {text}" for ab, text in zip("AB", human_labels(f)))
        named = [ArmView(x.name, lab, x.profiles, x.kpis, x.scenario, x.values) for x, lab in ((a, la), (b, lb))]
        return [
            Job(fig_demand_capacity, named),
            Job(fig_downgrades, named),
            Job(fig_response, [(la, a, "response_by_initial_grade", ARM_COLOURS[0], "-"),
                                      (lb, b, "response_by_initial_grade", ARM_COLOURS[1], "-")],
                     "3a-response-by-initial-grade", "Response against standards, by initial grade: A against B",
                     "initial"),
            Job(fig_response, [(la, a, "response_by_true_risk", ARM_COLOURS[0], "-"),
                                      (lb, b, "response_by_true_risk", ARM_COLOURS[1], "-")],
                     "3b-response-by-true-risk", "Response against standards, by true risk: A against B", "true"),
            Job(fig_pending, named),
            Job(fig_utilisation, named),
            Job(fig_call_handling, named),
            Job(fig_forest, f.comparison, la[3:], lb[3:], _forest_names(), own_heading=True),
            Job(fig_first_recommendation, named),
            Job(fig_category, named),
            Job(fig_month, named),
        ]
    # sweep
    points = labelled_points(f)
    rec = arms[0].recommendation() if arms else {"tolerance": 0, "g1_aim": 0.9, "g2_aim": 0.9}
    std = arms[0].standards() if arms else {"g1": {"urban": 15}, "g2": 60}
    cheap = cheapest_point(f)
    rec_panels = [
        {"kpi": "resource_downgrades_per_week", "unit": "per week", "title": "Resource-driven downgrades",
         "ylabel": "downgrades per week", "lines": [(rec["tolerance"], f"tolerance {rec['tolerance']:g} per week")]},
        {"kpi": "g1_in_target", "unit": "share", "title": "G1 attended within standard",
         "ylabel": "G1 within standard", "lines": [(rec["g1_aim"], f"aim {rec['g1_aim']:.0%}")]},
        {"kpi": "g2_in_target", "unit": "share", "title": "G2 attended within standard",
         "ylabel": "G2 within standard", "lines": [(rec["g2_aim"], f"aim {rec['g2_aim']:.0%}")]},
        {"kpi": "meets_recommendation", "unit": "0/1", "title": "Replications meeting the recommendation",
         "ylabel": "replications meeting it", "lines": [(1.0, "all replications")]},
    ]
    g1_urban = min(std["g1"].values()) if std["g1"] else 15.0
    other = [
        {"kpi": "high_risk_resource_downgrades", "unit": "grade changes", "title": "High-risk resource downgrades",
         "ylabel": "over the measured days", "zero": "no high-risk incident was downgraded at any point"},
        {"kpi": "g1_response_p90", "unit": "minutes", "title": "G1 response, 90th percentile", "ylabel": "minutes",
         "lines": [(g1_urban, f"G1 standard {g1_urban:g} min (urban)")]},
        {"kpi": "g2_response_p90", "unit": "minutes", "title": "G2 response, 90th percentile", "ylabel": "minutes",
         "lines": [(std["g2"], f"G2 standard {std['g2']:g} min")]},
        {"kpi": "pending_at_0700_mean", "unit": "incidents", "title": "G1/G2 waiting at 07:00", "ylabel": "incidents",
         "zero": "no G1/G2 incident was waiting at 07:00 at any point"},
        {"kpi": "max_pending", "unit": "incidents", "title": "Most G1/G2 waiting at once", "ylabel": "incidents"},
        {"kpi": "unit_utilisation", "unit": "share", "title": "Unit utilisation", "ylabel": "on-duty time on incidents"},
        {"kpi": "overtime_hours", "unit": "hours", "title": "Overtime", "ylabel": "hours over the measured days"},
        {"kpi": "neighbourhood_hours_lost", "unit": "hours", "title": "Neighbourhood hours borrowed",
         "ylabel": "hours over the measured days",
         "zero": "no neighbourhood officers were borrowed at any point (the policy does not borrow)"},
    ]
    notes = []
    keep = []
    for p in other:
        vals = [pt.kpi(p["kpi"]) for pt in points]
        if all(v != v for v in vals):
            notes.append(f"{p['title']}: not produced by this sweep")
        elif all(v == 0 or v != v for v in vals) and "zero" in p:
            notes.append(p["zero"])
        else:
            keep.append(p)
    rec_panels = [p for p in rec_panels if any(pt.kpi(p["kpi"]) == pt.kpi(p["kpi"]) for pt in points)]
    cap_rec = _sweep_caption(f, points, cheap, rec)
    key_text = ", ".join(f.keys)
    figs = [
        Job(fig_sweep_panels, points, f.keys, rec_panels, cheap, "1-sweep-recommendation",
                 f"HMIC's recommendation against {key_text}", cap_rec),
        Job(fig_sweep_panels, points, f.keys, keep, cheap, "2-sweep-kpis",
                 f"Other headline KPIs against {key_text}",
                 "Each panel is one KPI at each sweep point with its 95% CI band; a flat line means the varied "
                 "setting does not move that KPI."),
        Job(fig_sweep_downgrades, points),
        Job(fig_sweep_pending, points),
    ]
    if notes:
        figs[1].note = "; ".join(notes)
    return figs


def _sweep_caption(f: Folder, points: list[ArmView], cheap: int | None, rec: dict) -> str:
    if cheap is not None:
        return (f"Read where each KPI crosses its dashed threshold: {points[cheap].label} is the cheapest point "
                f"that meets HMIC's recommendation in every replication (green line).")
    best = closest_point(points)
    return (f"Read where each KPI crosses its dashed threshold: no point meets HMIC's recommendation in every "
            f"replication; the closest is {points[best].label}, with "
            f"{fmt_kpi('per week', points[best].kpi('resource_downgrades_per_week'))} downgrades per week against "
            f"a tolerance of {rec['tolerance']:g}.")


