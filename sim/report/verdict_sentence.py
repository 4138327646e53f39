"""The report's opening sentence: whether the run, each arm of a compare, or the cheapest sweep
point meets HMIC's recommendation that response follow the initial assessment of risk, not officer
availability, with its evidence (downgrades a week against the tolerance, G1 and G2 within
standard against their aims, each with its 95% CI). ``sim.report.verdicts`` judges the two
recommendations one by one from KPIs alone (light: the CLI prints it); this reads a whole folder.
"""
from __future__ import annotations

import math

from sim.report.figures.arms import ArmView
from sim.report.labels import fmt_kpi, plural
from sim.report.folder import Folder, run_shape
from sim.report.kpi_table import clip
from sim.report.sweep_points import cheapest_point, closest_point, labelled_points, value_text


def _ci(k: dict, unit: str) -> str:
    if not k or k.get("ci_low") != k.get("ci_low") or k.get("reps", 0) < 2:
        return "one replication, no CI" if k and k.get("reps", 0) == 1 else "no CI"
    lo, hi = clip(unit, k["ci_low"], k["ci_high"])
    return f"95% CI {fmt_kpi(unit, lo)}{'–' if lo >= 0 else ' to '}{fmt_kpi(unit, hi)}"


NOTHING_TO_JUDGE = "no G1 or G2 incident had a known outcome in the measured window, so there is nothing to judge"


def _status(meets: float) -> str:
    if meets != meets:
        return "cannot be judged against"
    if meets >= 1 - 1e-9:
        return "MEETS"
    if meets <= 1e-9:
        return "does NOT meet"
    return f"meets in only {meets:.0%} of replications, so does not reliably meet,"


def _evidence(a: ArmView) -> str:
    rec = a.recommendation()
    dg, g1, g2 = (a.kpis.get(k, {}) for k in ("resource_downgrades_per_week", "g1_in_target", "g2_in_target"))
    parts = []
    if dg:
        parts.append(f"resource-driven downgrades {fmt_kpi('per week', dg.get('mean'))} per week "
                     f"({_ci(dg, 'per week')}) against a tolerance of {rec['tolerance']:g}")
    def judged(v, ok) -> str:
        return "" if v != v else (" (met)" if ok(v) else " (missed)")

    if dg:
        parts[-1] += judged(dg.get("mean", math.nan), lambda v: v <= rec["tolerance"] + 1e-12)
    if g1 and g1.get("mean", math.nan) != g1.get("mean", math.nan):
        parts.append("no initial G1 incident with a known outcome to judge")
    elif g1:
        parts.append(f"{fmt_kpi('share', g1.get('mean'))} of G1 incidents attended within standard "
                     f"({_ci(g1, 'share')}) against an aim of {rec['g1_aim']:.0%}"
                     + judged(g1.get("mean", math.nan), lambda v: v >= rec["g1_aim"]))
    if g2 and g2.get("mean", math.nan) != g2.get("mean", math.nan):
        parts.append("no initial G2 incident with a known outcome to judge")
    elif g2:
        parts.append(f"{fmt_kpi('share', g2.get('mean'))} of G2 ({_ci(g2, 'share')}) against {rec['g2_aim']:.0%}"
                     + judged(g2.get("mean", math.nan), lambda v: v >= rec["g2_aim"]))
    if not parts:
        return "the run produced none of the KPIs the recommendation is judged on"
    return ", ".join(parts[:-1]) + (", and " if len(parts) > 1 else "") + parts[-1]


def _judged_note(a: ArmView) -> str:
    """' (judged in 2 of 3 replications: ...)' when some replications had nothing to judge."""
    d = a.kpis.get("meets_recommendation", {})
    n, total = d.get("reps", 0), a.reps
    if d and n == n and 0 < n < total:
        return (f" (judged in {int(n)} of {plural(total, 'replication')}; in the others no G1 or G2 incident had a "
                "known outcome)")
    return ""


def verdict(f: Folder) -> tuple[str, str]:
    """(css class, one sentence) on HMIC's recommendation with its evidence."""
    if not f.arms:
        return "mixed", "No scenario arms were found in this folder."
    if f.kind == "run":
        a = f.arms[0]
        meets = a.kpi("meets_recommendation")
        cls = "pass" if meets >= 1 - 1e-9 else ("fail" if meets == meets else "mixed")
        if meets != meets:
            return cls, (f"With {run_shape(f)}, HMIC's recommendation that response follow the initial assessment "
                         f"of risk, not officer availability, cannot be judged for {a.label} (policy {a.policy}) in "
                         f"this run: {NOTHING_TO_JUDGE}; {_evidence(a)}.")
        return cls, (f"With {run_shape(f)}, {a.label} (policy {a.policy}) {_status(meets)} HMIC's recommendation "
                     f"that response follow the initial assessment of risk, not officer availability"
                     f"{_judged_note(a)}: {_evidence(a)}.")
    if f.kind == "compare":
        a, b = f.arms[0], f.arms[1]
        ma, mb = a.kpi("meets_recommendation"), b.kpi("meets_recommendation")
        t = f.comparison.set_index("kpi") if f.comparison is not None and not f.comparison.empty else None
        change = ""
        if t is not None and "resource_downgrades_per_week" in t.index:
            r = t.loc["resource_downgrades_per_week"]
            g = t.loc["g1_in_target"] if "g1_in_target" in t.index else None
            change = (f"; B changes resource-driven downgrades from {fmt_kpi('per week', r['mean_a'])} to "
                      f"{fmt_kpi('per week', r['mean_b'])} per week (B − A {r['diff']:+.1f}"
                      + (f", paired 95% CI {r['ci_low']:+.1f} to {r['ci_high']:+.1f})" if r["ci_low"] == r["ci_low"]
                         else ", no CI)"))
            if g is not None and g["diff"] == g["diff"] and g["ci_low"] == g["ci_low"]:
                change += (f" and G1 within standard from {fmt_kpi('share', g['mean_a'])} to "
                           f"{fmt_kpi('share', g['mean_b'])} ({g['diff'] * 100:+.1f} points, CI "
                           f"{g['ci_low'] * 100:+.1f} to {g['ci_high'] * 100:+.1f})")
        rec = b.recommendation()
        cls = "pass" if mb >= 1 - 1e-9 else ("fail" if mb == mb and mb <= 1e-9 else "mixed")
        unjudged = [x for x, v in (("A", ma), ("B", mb)) if v != v]
        why = (f" ({' and '.join(unjudged)}: {NOTHING_TO_JUDGE})" if unjudged else "")
        return cls, (f"With {run_shape(f)} paired under common random numbers, A ({a.label}) {_status(ma)} "
                     f"HMIC's recommendation{_judged_note(a)} and B ({b.label}) {_status(mb)} it{_judged_note(b)}"
                     f"{why}{change}; the thresholds are "
                     f"{rec['tolerance']:g} downgrades a week and G1/G2 aims of {rec['g1_aim']:.0%}/{rec['g2_aim']:.0%}.")
    points = labelled_points(f)
    cheap = cheapest_point(f)
    vals = ", ".join(value_text(p.values.get(f.keys[0])) for p in f.arms) if f.keys else ""
    what = (f"{f.keys[0]} over {vals}" if len(f.keys) == 1
            else f"{' and '.join(f.keys)} over {len(points)} points")
    if all(p.kpi("meets_recommendation") != p.kpi("meets_recommendation") for p in points):
        return "mixed", (f"Varying {what} ({run_shape(f)} per point), HMIC's recommendation cannot be judged at "
                         f"any point: {NOTHING_TO_JUDGE}.")
    if cheap is not None:
        p = points[cheap]
        return "pass", (f"Varying {what} ({run_shape(f)} per point), the cheapest point that meets HMIC's "
                        f"recommendation in every replication is {p.label}: {_evidence(p)}.")
    best = closest_point(points)
    p = points[best]
    return "fail", (f"Varying {what} ({run_shape(f)} per point), no point meets HMIC's recommendation in every "
                    f"replication; the closest, {p.label}, has {_evidence(p)}.")
