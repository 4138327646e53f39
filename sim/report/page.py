"""The report: figures and a self-contained ``report.html`` for a results folder.

``write_report(folder)`` reads only the saved files of a ``run``, ``compare`` or ``sweep``
folder (plan.json, manifest.json, summary.csv, comparison.csv, profiles.parquet, the
resolved scenario.toml and the original scenario files under ``sources/``), so it works on
old runs and never re-runs anything. It writes ``figures/*.png`` and ``report.html``
(images embedded as data URIs, no external references: it opens offline and can be
e-mailed as one file). Output is deterministic: the same folder gives the same bytes.

Report sections: the verdict on HMIC's recommendation in one sentence with its evidence;
the headline KPIs with 95% confidence intervals; the figures, each with one sentence on
what to read from it (or a note when a figure is left out); the scenario's assumptions
and sources, read from the comments of the scenario files ([S] sourced, [D] derived,
[A] assumed); how to reproduce the run.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim import CITATION, __version__
from sim.experiment.replications import FEW_REPS, FolderError
from sim.report import figures as F
from sim.report import figures_assessment as FA
from sim.report.figures import ArmView, Fig, fmt_kpi, plural
from sim.experiment.folders import read_json, read_plan
from sim.report.labels import scenario_label

# ---------------------------------------------------------------------------- KPIs shown
# (kpi, name a reader uses, what it means)
HEADLINES = (
    ("resource_downgrades_per_week", "Resource-driven downgrades",
     "grades lowered because no officer was free, per simulated week (HMIC's concern)"),
    ("high_risk_resource_downgrades", "… of callers truly at high risk",
     "resource-driven downgrades of incidents whose true risk was G1 or G2, over the measured days"),
    ("g1_in_target", "G1 attended within standard",
     "initial G1 incidents with an officer on scene within 15 min (urban) / 20 min (rural) of the call"),
    ("g2_in_target", "G2 attended within standard", "initial G2 incidents attended within 60 min of the call"),
    ("g1_response_p90", "G1 call-to-scene, 90th percentile", "9 in 10 attended G1 incidents are reached within this"),
    ("g2_response_p90", "G2 call-to-scene, 90th percentile", "9 in 10 attended G2 incidents are reached within this"),
    ("pending_at_0700_mean", "G1/G2 waiting at 07:00",
     "unresourced G1/G2 incidents when the early shift starts, mean over days"),
    ("open_at_0700_mean", "Open work at 07:00",
     "unresourced G1/G2 plus G3 past their appointment or standard and not yet attended, mean over days"),
    ("max_pending", "Most G1/G2 waiting at once", "the longest the pending list of G1/G2 incidents grew"),
    ("appointment_lead_days_p50", "G3 appointment lead time", "median time from the call to the booked appointment"),
    ("unit_utilisation", "Unit utilisation", "share of on-duty response time spent on incidents"),
    ("overtime_hours", "Overtime", "unit hours worked past shift end to finish a job, over the measured days"),
    ("officer_hours_on_duty", "Response officer-hours on duty",
     "rostered officer-hours less abstraction (leave, sickness, training, court), over the measured days"),
    ("neighbourhood_hours_lost", "Neighbourhood hours borrowed",
     "neighbourhood officer hours taken for response, over the measured days"),
    ("sl_999_10s", "999 answered within 10 s", "short abandons excluded; national target 90%"),
    ("abandon_rate_101", "101 calls abandoned", "101 callers who hung up before an answer"),
    ("meets_recommendation", "Replications meeting HMIC's recommendation",
     "share of replications with downgrades within tolerance and G1, G2 aims reached"),
)
NAMES = {k: n for k, n, _ in HEADLINES}
NAMES["high_risk_resource_downgrades"] = "High-risk resource downgrades"
SWEEP_COLUMNS = ("resource_downgrades_per_week", "g1_in_target", "g2_in_target", "meets_recommendation",
                 "g1_response_p90", "pending_at_0700_mean", "unit_utilisation", "overtime_hours",
                 "neighbourhood_hours_lost")
FIGURE_NAMES = re.compile(r"^\d+[a-z]?-[a-z0-9-]+\.(png|svg|pdf)$")


# ---------------------------------------------------------------------------- reading a folder
@dataclass
class Folder:
    root: Path
    kind: str
    plan: dict
    manifest: dict
    arms: list[ArmView]
    comparison: pd.DataFrame | None = None
    keys: list[str] = field(default_factory=list)   # sweep: the varied keys
    damaged: list[str] = field(default_factory=list)   # files a complete folder has but that cannot be read

    def arm_dir(self, name: str) -> Path:
        return self.root / name if name else self.root


def _read_csv(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path) if path.exists() else None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None


def _kpis(summary: pd.DataFrame | None) -> dict[str, dict]:
    if summary is None or "kpi" not in summary:
        return {}
    out = {}
    for _, r in summary.iterrows():
        out[str(r["kpi"])] = {c: (r[c] if c == "unit" else float(r[c]) if pd.notna(r.get(c)) else math.nan)
                              for c in ("mean", "ci_low", "ci_high", "half_width", "reps", "unit") if c in r}
    return out


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def load_folder(folder: Path) -> Folder:
    """Read a results folder's saved files (never runs anything)."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a results folder")
    plan = read_plan(root) if (root / "plan.json").exists() else {}   # damaged or edited: a FolderError
    manifest = read_json(root / "manifest.json") if (root / "manifest.json").exists() else {}
    kind = plan.get("kind") or manifest.get("kind")
    specs = plan.get("arms")
    if not kind or specs is None:   # no plan.json: recognise the layout
        if (root / "a").is_dir() and (root / "b").is_dir():
            kind, specs = "compare", [{"name": "a", "label": "A"}, {"name": "b", "label": "B"}]
        elif (root / "p000").is_dir():
            kind = "sweep"
            specs = [{"name": p.name, "label": p.name, "values": {}} for p in sorted(root.glob("p[0-9][0-9][0-9]"))]
        elif (root / "summary.csv").exists() or (root / "profiles.parquet").exists():
            kind, specs = "run", [{"name": "", "label": root.name}]
        else:
            raise FileNotFoundError(f"{root}: no plan.json, summary.csv or profiles.parquet: not a results folder")
    arms, damaged = [], []
    complete = (root / "manifest.json").exists()
    for spec in specs:
        d = root / spec["name"] if spec["name"] else root
        prof = None
        if (d / "profiles.parquet").exists():
            try:
                prof = pd.read_parquet(d / "profiles.parquet")
            except Exception:  # noqa: BLE001 - a damaged file is named to the user, not a traceback
                damaged.append(f"{d / 'profiles.parquet'} cannot be read")
        elif complete:
            damaged.append(f"{d / 'profiles.parquet'} is missing")
        summary = d / "summary.csv"
        table = _read_csv(summary) if summary.exists() else None
        if summary.exists() and (table is None or "kpi" not in table
                                 or "meets_recommendation" not in set(table["kpi"].astype(str))):
            damaged.append(f"{summary} cannot be read or is cut short")
        elif complete and not summary.exists():
            damaged.append(f"{summary} is missing")
        scen = _toml(d / "scenario.toml")
        label = spec.get("label") or scen.get("meta", {}).get("name") or spec["name"]
        arms.append(ArmView(spec["name"], str(label), prof, _kpis(_read_csv(d / "summary.csv")), scen,
                            dict(spec.get("values") or {})))
    if kind == "sweep":   # a sweep point's label is its values; fall back on sweep.csv for missing summaries
        table = _read_csv(root / "sweep.csv")
        for a in arms:
            if not a.kpis and table is not None and "point" in table:
                a.kpis = _kpis(table[table["point"] == a.name])
    keys = list(arms[0].values) if kind == "sweep" and arms else []
    comparison = _read_csv(root / "comparison.csv") if kind == "compare" else None
    return Folder(root, kind, plan, manifest, arms, comparison, keys, damaged)


# ---------------------------------------------------------------------------- figures
def _forest_names() -> dict[str, str]:
    names = dict(NAMES)
    names.update({"resource_downgrades_per_week": "Downgrades per week", "g1_response_p90": "G1 response, p90",
                  "g2_response_p90": "G2 response, p90", "pending_at_0700_mean": "G1/G2 waiting at 07:00",
                  "appointment_lead_days_p50": "G3 appointment lead", "neighbourhood_hours_lost":
                  "Neighbourhood hours", "high_risk_resource_downgrades": "High-risk downgrades",
                  "max_pending": "Most G1/G2 waiting"})
    return names


def cheapest_point(f: Folder) -> int | None:
    """The sweep point meeting the recommendation in every replication with the smallest values
    of the varied keys (their sum when all are numbers; else the first in grid order)."""
    ok = [i for i, a in enumerate(f.arms) if a.kpi("meets_recommendation") >= 1 - 1e-9]
    if not ok:
        return None

    def cost(i):
        vals = list(f.arms[i].values.values())
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
        return (sum(vals) if numeric else 0, i)
    return min(ok, key=cost)


def build_figures(f: Folder, formats=("png",), title: str | None = None) -> list[Fig]:
    """Every figure of the folder, drawn (in parallel processes where cores allow)."""
    return F.draw_all(figure_jobs(f), formats, title, subtitle=figure_subtitle(f))


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
        return F._short(human_labels(f)[0], 84)
    if f.kind == "compare":
        la, lb = human_labels(f)[:2]
        return f"A: {F._short(la, 80)}\nB: {F._short(lb, 80)}"   # one line each: two on one line ran off the figure
    return ""


def figure_jobs(f: Folder) -> list[F.Job]:
    arms = f.arms
    if f.kind == "run":
        a = arms[0]
        return [
            F.Job(F.fig_demand_capacity, arms),
            F.Job(F.fig_downgrades, arms),
            F.Job(F.fig_response, [("by initial grade", a, "response_by_initial_grade", F.ARM_COLOURS[0], "-"),
                                      ("by true risk", a, "response_by_true_risk", F.ARM_COLOURS[1], "--")],
                     "3-response-standards", "Response against standards: by initial grade and by true risk",
                     "both"),
            F.Job(F.fig_pending, arms),
            F.Job(F.fig_utilisation, arms),
            F.Job(F.fig_call_handling, arms),
            F.Job(FA.fig_first_recommendation, arms),
        ]
    if f.kind == "compare":
        a, b = arms[0], arms[1]
        la, lb = (f"{ab}: {text}" for ab, text in zip("AB", human_labels(f)))
        named = [ArmView(x.name, lab, x.profiles, x.kpis, x.scenario, x.values) for x, lab in ((a, la), (b, lb))]
        return [
            F.Job(F.fig_demand_capacity, named),
            F.Job(F.fig_downgrades, named),
            F.Job(F.fig_response, [(la, a, "response_by_initial_grade", F.ARM_COLOURS[0], "-"),
                                      (lb, b, "response_by_initial_grade", F.ARM_COLOURS[1], "-")],
                     "3a-response-by-initial-grade", "Response against standards, by initial grade: A against B",
                     "initial"),
            F.Job(F.fig_response, [(la, a, "response_by_true_risk", F.ARM_COLOURS[0], "-"),
                                      (lb, b, "response_by_true_risk", F.ARM_COLOURS[1], "-")],
                     "3b-response-by-true-risk", "Response against standards, by true risk: A against B", "true"),
            F.Job(F.fig_pending, named),
            F.Job(F.fig_utilisation, named),
            F.Job(F.fig_call_handling, named),
            F.Job(F.fig_forest, f.comparison, la[3:], lb[3:], _forest_names(), own_heading=True),
            F.Job(FA.fig_first_recommendation, named),
        ]
    # sweep
    points = [ArmView(p.name, _point_label(p, f.keys), p.profiles, p.kpis, p.scenario, p.values) for p in arms]
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
        F.Job(F.fig_sweep_panels, points, f.keys, rec_panels, cheap, "1-sweep-recommendation",
                 f"HMIC's recommendation against {key_text}", cap_rec),
        F.Job(F.fig_sweep_panels, points, f.keys, keep, cheap, "2-sweep-kpis",
                 f"Other headline KPIs against {key_text}",
                 "Each panel is one KPI at each sweep point with its 95% CI band; a flat line means the varied "
                 "setting does not move that KPI."),
        F.Job(F.fig_sweep_downgrades, points),
        F.Job(F.fig_sweep_pending, points),
    ]
    if notes:
        figs[1].note = "; ".join(notes)
    return figs


def _point_label(p: ArmView, keys: list[str]) -> str:
    if not p.values:
        return p.label
    return ", ".join(f"{F.key_label(k)} = {_val(p.values[k])}" for k in keys if k in p.values)


def _val(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _sweep_caption(f: Folder, points: list[ArmView], cheap: int | None, rec: dict) -> str:
    if cheap is not None:
        return (f"Read where each KPI crosses its dashed threshold: {points[cheap].label} is the cheapest point "
                f"that meets HMIC's recommendation in every replication (green line).")
    best = max(range(len(points)), key=lambda i: (_nz(points[i].kpi("meets_recommendation")),
                                                  -_nz(points[i].kpi("resource_downgrades_per_week"), 1e9)))
    return (f"Read where each KPI crosses its dashed threshold: no point meets HMIC's recommendation in every "
            f"replication; the closest is {points[best].label}, with "
            f"{fmt_kpi('per week', points[best].kpi('resource_downgrades_per_week'))} downgrades per week against "
            f"a tolerance of {rec['tolerance']:g}.")


def _nz(v: float, default: float = -1.0) -> float:
    return default if v != v else v


# ---------------------------------------------------------------------------- verdict
def _ci(k: dict, unit: str) -> str:
    if not k or k.get("ci_low") != k.get("ci_low") or k.get("reps", 0) < 2:
        return "one replication, no CI" if k and k.get("reps", 0) == 1 else "no CI"
    lo, hi = _clip(unit, k["ci_low"], k["ci_high"])
    return f"95% CI {fmt_kpi(unit, lo)}{'–' if lo >= 0 else ' to '}{fmt_kpi(unit, hi)}"


def _clip(unit: str, lo: float, hi: float) -> tuple[float, float]:
    """An interval shown within the quantity's range, 0 up (a share: 0-100%): a t-interval over
    few replications can spill over (summary.csv keeps it clipped too, since version 0.2)."""
    if unit in ("share", "0/1"):
        return max(lo, 0.0), min(hi, 1.0)
    return max(lo, 0.0), hi


def few_reps_note(f: Folder) -> str:
    """A warning when the intervals rest on fewer than FEW_REPS replications."""
    n = max((a.reps for a in f.arms), default=0)
    if n >= FEW_REPS or n < 2:
        return ""
    return (f"<p class=\"note\">Only {n} replications: the 95% intervals are wide (Student t with {n - 1} degree"
            f"{'s' if n > 2 else ''} of freedom) and are kept within each quantity's range (no share above 100%, "
            f"no count below 0). Run {FEW_REPS} or more replications (--reps) before drawing conclusions.</p>")


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


def _replications(f: Folder) -> str:
    """'3 replications', or '2 of 3 replications (1 failed)' when some produced no results."""
    m = f.manifest
    asked = m.get("replications") or f.plan.get("reps")
    done = sorted({a.reps for a in f.arms if a.reps})
    if not isinstance(asked, int):
        return plural(done[-1], "replication") if done else "? replications"
    if not done or done == [asked]:
        return plural(asked, "replication")
    if len(done) == 1:
        failed = asked - done[0]
        return (f"{done[0]} of {plural(asked, 'replication')} ({failed} failed)" if failed > 0
                else plural(done[0], "replication"))
    return f"{'/'.join(map(str, done))} of {plural(asked, 'replication')} (some failed)"


def _days(f: Folder):
    a = f.arms[0] if f.arms else None
    return f.manifest.get("days") or (a.scenario.get("run", {}).get("days") if a else None)


def _run_shape(f: Folder) -> str:
    days = _days(f)
    return _replications(f) + (f" of {plural(days, 'day')}" if isinstance(days, (int, float)) else "")


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
            return cls, (f"With {_run_shape(f)}, HMIC's recommendation that response follow the initial assessment "
                         f"of risk, not officer availability, cannot be judged for {a.label} (policy {a.policy}) in "
                         f"this run: {NOTHING_TO_JUDGE}; {_evidence(a)}.")
        return cls, (f"With {_run_shape(f)}, {a.label} (policy {a.policy}) {_status(meets)} HMIC's recommendation "
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
        return cls, (f"With {_run_shape(f)} paired under common random numbers, A ({a.label}) {_status(ma)} "
                     f"HMIC's recommendation{_judged_note(a)} and B ({b.label}) {_status(mb)} it{_judged_note(b)}"
                     f"{why}{change}; the thresholds are "
                     f"{rec['tolerance']:g} downgrades a week and G1/G2 aims of {rec['g1_aim']:.0%}/{rec['g2_aim']:.0%}.")
    points = [ArmView(p.name, _point_label(p, f.keys), p.profiles, p.kpis, p.scenario, p.values) for p in f.arms]
    cheap = cheapest_point(f)
    vals = ", ".join(_val(p.values.get(f.keys[0])) for p in f.arms) if f.keys else ""
    what = (f"{f.keys[0]} over {vals}" if len(f.keys) == 1
            else f"{' and '.join(f.keys)} over {len(points)} points")
    if all(p.kpi("meets_recommendation") != p.kpi("meets_recommendation") for p in points):
        return "mixed", (f"Varying {what} ({_run_shape(f)} per point), HMIC's recommendation cannot be judged at "
                         f"any point: {NOTHING_TO_JUDGE}.")
    if cheap is not None:
        p = points[cheap]
        return "pass", (f"Varying {what} ({_run_shape(f)} per point), the cheapest point that meets HMIC's "
                        f"recommendation in every replication is {p.label}: {_evidence(p)}.")
    best = max(range(len(points)), key=lambda i: (_nz(points[i].kpi("meets_recommendation")),
                                                  -_nz(points[i].kpi("resource_downgrades_per_week"), 1e9)))
    p = points[best]
    return "fail", (f"Varying {what} ({_run_shape(f)} per point), no point meets HMIC's recommendation in every "
                    f"replication; the closest, {p.label}, has {_evidence(p)}.")


# ---------------------------------------------------------------------------- tables
def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _unit_text(k: str, unit: str, days) -> str:
    over = f"over {plural(days, 'day')}" if isinstance(days, (int, float)) else "over the run"
    return {"per week": "per week", "share": "%", "minutes": "minutes", "hours": f"hours {over}",
            "grade changes": f"incidents {over}", "incidents": "incidents", "days": "days",
            "0/1": "% of replications", "seconds": "seconds", "calls": f"calls {over}"}.get(unit, unit)


def _aim(k: str, a: ArmView) -> str:
    rec = a.recommendation()
    st = a.standards()
    return {"resource_downgrades_per_week": f"tolerance ≤ {rec['tolerance']:g}",
            "g1_in_target": f"aim ≥ {rec['g1_aim']:.0%}", "g2_in_target": f"aim ≥ {rec['g2_aim']:.0%}",
            "sl_999_10s": f"target ≥ {F.SL_999_TARGET:.0%}", "meets_recommendation": "aim 100%",
            "g1_response_p90": f"standard {min(st['g1'].values()):g} min (urban)" if st["g1"] else "",
            "g2_response_p90": f"standard {st['g2']:g} min"}.get(k, "")


def _na_text(k: str, d: dict | None) -> str:
    """Why a headline KPI has no value: not in the files, or nothing to measure in the window."""
    if not d:
        return "not produced by this run"
    if k == "meets_recommendation":
        return "cannot be judged: no G1 or G2 incident had a known outcome in the measured window"
    if k in ("g1_in_target", "g2_in_target", "g3_in_target", "g1_response_p90", "g2_response_p90"):
        return f"no value: no initial {k[:2].upper()} incident with a known outcome in the measured window"
    return "no value: nothing to measure in the measured window"


def _meaning(k: str, meaning: str, a: ArmView) -> str:
    """The 'what it means' text, with the scenario's own standards and who could be judged."""
    st = a.standards()
    if k == "g1_in_target" and st["g1"]:
        areas = " / ".join(f"{v:g} min ({area})" for area, v in sorted(st["g1"].items(), key=lambda x: x[1]))
        meaning = (f"initial G1 incidents with an officer on scene within {areas} of the call, each against its own "
                   "area's standard; incidents still waiting at the end count once their standard has passed")
    elif k == "g2_in_target":
        meaning = (f"initial G2 incidents attended within {st['g2']:g} min of the call; incidents still waiting at "
                   "the end count once their standard has passed")
    elif k == "meets_recommendation":
        d = a.kpis.get(k, {})
        n = d.get("reps", 0)
        if d and n == n and 0 < n < a.reps:
            meaning += (f" (of the {int(n)} of {plural(a.reps, 'replication')} that could be judged; the others had no "
                        "G1 or G2 incident with a known outcome)")
    return meaning


def kpi_table(f: Folder) -> str:
    days = _days(f)
    rows = []
    if f.kind == "run":
        a = f.arms[0]
        rows.append("<tr><th>KPI</th><th>mean</th><th>95% CI</th><th>unit</th><th>aim or standard</th>"
                    "<th>what it means</th></tr>")
        for k, name, meaning in HEADLINES:
            d = a.kpis.get(k)
            if not d or d.get("mean") != d.get("mean"):
                rows.append(f"<tr><td>{_e(name)}</td><td colspan=\"5\" class=\"na\">{_e(_na_text(k, d))}</td></tr>")
                continue
            unit = str(d.get("unit", ""))
            ci = (f"{fmt_kpi(unit, _clip(unit, d['ci_low'], d['ci_high'])[0])} – "
                  f"{fmt_kpi(unit, _clip(unit, d['ci_low'], d['ci_high'])[1])}"
                  if d.get("reps", 0) >= 2 and d.get("ci_low") == d.get("ci_low") else "n/a (1 replication)")
            rows.append(f"<tr><td>{_e(name)}</td><td class=\"num\">{_e(fmt_kpi(unit, d['mean']))}</td>"
                        f"<td class=\"num\">{_e(ci)}</td><td>{_e(_unit_text(k, unit, days))}</td>"
                        f"<td>{_e(_aim(k, a))}</td><td>{_e(_meaning(k, meaning, a))}</td></tr>")
    elif f.kind == "compare":
        a, b = f.arms[0], f.arms[1]
        t = f.comparison.set_index("kpi") if f.comparison is not None and not f.comparison.empty else pd.DataFrame()
        rows.append(f"<tr><th>KPI</th><th>A: {_e(a.label)}</th><th>B: {_e(b.label)}</th>"
                    "<th>B − A</th><th>paired 95% CI</th><th>unit</th><th>aim or standard</th><th>what it means</th></tr>")
        for k, name, meaning in HEADLINES:
            da, db = a.kpis.get(k), b.kpis.get(k)
            if not da or not db or k not in t.index:
                rows.append(f"<tr><td>{_e(name)}</td><td colspan=\"7\" class=\"na\">not produced by this run</td></tr>")
                continue
            unit = str(da.get("unit", ""))
            r = t.loc[k]
            pp = unit in ("share", "0/1")
            diff = (f"{r['diff'] * 100:+.1f} pts" if pp else fmt_kpi(unit, r["diff"], signed=True)) \
                if r["diff"] == r["diff"] else "n/a"
            ci = (f"{r['ci_low'] * 100:+.1f} to {r['ci_high'] * 100:+.1f} pts" if pp else
                  f"{fmt_kpi(unit, r['ci_low'], signed=True)} to {fmt_kpi(unit, r['ci_high'], signed=True)}") \
                if r["ci_low"] == r["ci_low"] else "n/a"
            rows.append(f"<tr><td>{_e(name)}</td><td class=\"num\">{_e(_with_hw(unit, da))}</td>"
                        f"<td class=\"num\">{_e(_with_hw(unit, db))}</td><td class=\"num\">{_e(diff)}</td>"
                        f"<td class=\"num\">{_e(ci)}</td><td>{_e(_unit_text(k, unit, days))}</td>"
                        f"<td>{_e(_aim(k, a))}</td><td>{_e(_meaning(k, meaning, a))}</td></tr>")
    else:
        cheap = cheapest_point(f)
        head = "".join(f"<th>{_e(F.key_label(k))}</th>" for k in f.keys)
        head += "".join(f"<th>{_e(NAMES.get(k, k))}<br><span class=\"unit\">{_e(_unit_text(k, _unit(f, k), days))}"
                        f"{(' · ' + _e(_aim(k, f.arms[0]))) if _aim(k, f.arms[0]) else ''}</span></th>"
                        for k in SWEEP_COLUMNS)
        rows.append(f"<tr>{head}</tr>")
        for i, p in enumerate(f.arms):
            cls = " class=\"cheapest\"" if i == cheap else ""
            cells = "".join(f"<td class=\"num\">{_e(_val(p.values.get(k, '')))}</td>" for k in f.keys)
            cells += "".join(f"<td class=\"num\">{_e(_with_hw(_unit(f, k), p.kpis.get(k)))}</td>" for k in SWEEP_COLUMNS)
            rows.append(f"<tr{cls}>{cells}</tr>")
    note = ("<p class=\"small\">Values are means over replications; "
            + ("the 95% CI is a Student t interval (a share's interval shown within 0–100%). " if f.kind == "run"
               else "± is the 95% CI half-width (Student t). ")
            + ("The highlighted row is the cheapest point meeting the recommendation in every replication. "
               if f.kind == "sweep" and cheapest_point(f) is not None else "")
            + ("B − A is paired: replication r of A and of B met the same callers (common random numbers). "
               if f.kind == "compare" else "") + "</p>")
    return "<table class=\"kpis\">\n" + "\n".join(rows) + "\n</table>\n" + note


def _unit(f: Folder, k: str) -> str:
    for a in f.arms:
        if k in a.kpis:
            return str(a.kpis[k].get("unit", ""))
    return ""


def _with_hw(unit: str, d: dict | None) -> str:
    if not d or d.get("mean") != d.get("mean"):
        return "n/a"
    hw = d.get("half_width", math.nan)
    if hw != hw or d.get("reps", 0) < 2:
        return fmt_kpi(unit, d["mean"])
    if unit in ("share", "0/1"):
        return f"{fmt_kpi(unit, d['mean'])} ± {hw * 100:.1f}"
    return f"{fmt_kpi(unit, d['mean'])} ± {fmt_kpi(unit, hw).replace(' min', '').replace(' h', '').replace(' days', '')}"


# ---------------------------------------------------------------------------- assumptions and sources
TAG = re.compile(r"\[([SDA])(?=[\]\s:;,])")
CLASSES = (("S", "Sourced [S]", "numbers taken from a named public source"),
           ("D", "Derived [D]", "numbers computed from sourced figures"),
           ("A", "Assumed [A]", "no public figure found: chosen to fit the sourced figures (test these first)"))


@dataclass
class Setting:
    path: str
    value: str
    comment: str
    kind: str                   # key | table
    file: str
    keys: list[str] = field(default_factory=list)

    @property
    def tags(self) -> set[str]:
        return set(TAG.findall(self.comment))

    @property
    def cls(self) -> str | None:
        t = self.tags
        return "A" if "A" in t else "D" if "D" in t else "S" if "S" in t else None


def _split_comment(line: str) -> tuple[str, str]:
    """TOML line -> (code, comment), ignoring # inside strings."""
    quote = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i], line[i + 1:].strip()
        i += 1
    return line, ""


def _depth(code: str) -> int:
    d, quote = 0, None
    for ch in code:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            d += 1
        elif ch in "]}":
            d -= 1
    return d


def _name(text: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in text.split("."))


def parse_settings(text: str, file: str) -> tuple[list[Setting], str | None]:
    """The settings of a commented scenario file, each with the comments that describe it.

    A comment block right above a key, or a trailing comment, belongs to that key; a block
    right above a table header or right after it (before any key) belongs to the table."""
    lines = text.splitlines()
    items: list[Setting] = []
    table, table_item = "", None
    block: list[str] = []
    after_header = False
    base = None
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if not s:
            if block and after_header and table_item is not None:
                table_item.comment = " ".join([table_item.comment, *block]).strip()
            block, after_header = [], False
            i += 1
            continue
        if s.startswith("#"):
            indent = len(lines[i]) - len(lines[i].lstrip())
            prev_code, prev_comment = _split_comment(lines[i - 1]) if i else ("", "")
            if (indent and not block and items and items[-1].kind == "key" and prev_comment
                    and prev_code.strip() and indent >= len(prev_code.rstrip())):
                # a comment line indented under the previous key's trailing comment continues it
                items[-1].comment = " ".join([items[-1].comment, s.lstrip("#").strip()]).strip()
            else:
                block.append(s.lstrip("#").strip())
            i += 1
            continue
        code, trailing = _split_comment(lines[i])
        code = code.strip()
        if code.startswith("["):
            table = _name(code.strip("[]").strip())
            table_item = Setting(table, "", " ".join([*block, trailing]).strip(), "table", file)
            items.append(table_item)
            block, after_header = [], True
            i += 1
            continue
        comments = [trailing] if trailing else []
        while _depth(code) > 0 and i + 1 < len(lines):
            i += 1
            more, c = _split_comment(lines[i])
            code += " " + more.strip()
            if c:
                comments.append(c)
        i += 1
        if "=" not in code:
            block, after_header = [], False
            continue
        key, value = code.split("=", 1)
        key = _name(key.strip())
        value = re.sub(r"\s+", " ", value.strip()).replace("[ ", "[").replace(", ]", "]")
        if key == "base" and not table:
            base = value.strip("\"'")
            block, after_header = [], False
            continue
        if after_header and block and table_item is not None:
            table_item.comment = " ".join([table_item.comment, *block]).strip()
            block = []
        items.append(Setting(f"{table}.{key}" if table else key, value, " ".join([*block, *comments]).strip(),
                             "key", file, [key]))
        block, after_header = [], False
    # a commented key followed by its silent siblings (misgrading.G1, .G2, ...) is one setting
    merged: list[Setting] = []
    for it in items:
        prev = merged[-1] if merged else None
        if (prev is not None and it.kind == "key" and prev.kind == "key" and not it.comment and prev.cls
                and "." in it.keys[0] and "." in prev.keys[0]
                and it.keys[0].rsplit(".", 1)[0] == prev.keys[0].rsplit(".", 1)[0]
                and it.path.rsplit(".", 1)[0] == prev.path.rsplit(".", 1)[0]):
            prev.keys.append(it.keys[0])
            prev.value += f"; {it.keys[0].rsplit('.', 1)[1]}: {it.value}"
            continue
        merged.append(it)
    for it in merged:
        if len(it.keys) > 1:
            head = it.path.rsplit(".", 1)[0]
            first = it.keys[0].rsplit(".", 1)[1]
            it.value = f"{first}: {it.value}"
            it.path = f"{head}.{{{', '.join(k.rsplit('.', 1)[1] for k in it.keys)}}}"
    # a table's value: its keys that carry no tag of their own
    for it in merged:
        if it.kind == "table":
            own = [k for k in merged if k.kind == "key" and k.path.rsplit(".", len(k.keys[0].split(".")))[0] == it.path
                   and not k.cls]
            it.value = "; ".join(f"{k.keys[0] if len(k.keys) == 1 else k.path.split('.')[-1]} = {k.value}"
                                 for k in own)
            if not it.value:
                inner = [k.path[len(it.path) + 1:] for k in merged if k.kind == "key" and k.path.startswith(it.path + ".")]
                it.value = f"({', '.join(inner)}: each listed with its own note)" if inner else ""
    return merged, base


def _flatten(d, prefix: str = "") -> dict:
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict) and v:
                out.update(_flatten(v, p))
            else:
                out[p] = v
    return out


def _norm(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return round(float(v), 9)
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _norm(x)) for k, x in v.items()))
    return str(v)


def _same(file_v, run_v) -> bool:
    a, b = _norm(file_v), _norm(run_v)
    if a == b:
        return True
    # a number in the file is expanded to one per day in the resolved scenario
    return isinstance(a, float) and isinstance(b, tuple) and len(b) == 7 and all(x == a for x in b)


def _merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and v and "family" not in v:
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _fmt_value(v) -> str:
    if isinstance(v, (list, tuple)) and len(v) == 7 and len({_norm(x) for x in v}) == 1 \
            and isinstance(v[0], (int, float)):
        return _fmt_value(v[0])   # one number per day, all equal: as it was written
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


@dataclass
class Sources:
    files: list[tuple[str, str, str | None]]        # (display name, text, base) unique by content
    arm_files: dict[str, list[str]]                  # arm -> display names, top first
    changed: dict[str, dict[str, list]]              # path -> {"file": value, arm label: [values]}


def read_sources(f: Folder) -> Sources:
    files: dict[str, tuple[str, str, str | None]] = {}
    arm_files: dict[str, list[str]] = {}
    changed: dict[str, dict] = {}
    for a in f.arms:
        d = f.arm_dir(a.name) / "sources"
        paths = sorted(d.glob("*.toml"), key=lambda p: (int(p.name.split("-", 1)[0]) if p.name.split("-", 1)[0].isdigit()
                                                         else 999, p.name)) if d.is_dir() else []
        names = []
        layered: dict = {}
        for p in reversed(paths):   # base first
            text = p.read_text(encoding="utf-8", errors="replace")
            h = hashlib.sha256(text.encode()).hexdigest()
            display = p.name.split("-", 1)[1] if p.name.split("-", 1)[0].isdigit() else p.name
            if h not in files:
                files[h] = (display, text, None)
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                data = {}
            data.pop("base", None)
            layered = _merge(layered, data)
            names.insert(0, files[h][0])
        arm_files[a.name] = names
        if not layered:
            continue
        written, run = _flatten(layered), _flatten(a.scenario)
        for path, v in written.items():
            if path.startswith("meta.") or path not in run or _same(v, run[path]):
                continue
            entry = changed.setdefault(path, {"file": v, "arms": []})
            entry["arms"].append((a, run[path]))
    return Sources(list(files.values()), arm_files, changed)


def assumptions_html(f: Folder) -> str:
    src = read_sources(f)
    out = []
    # the sources the scenario names
    meta_sources, descr = [], []
    for a in f.arms:
        m = a.scenario.get("meta", {})
        for s in m.get("sources", []) or []:
            if s not in meta_sources:
                meta_sources.append(s)
        line = f"{m.get('name', a.label)}: {m.get('description', '')}".strip(": ")
        if line and line not in descr:
            descr.append(line)
    for _, text, _ in src.files:   # the files as written are the authority on their sources
        try:
            m = tomllib.loads(text).get("meta", {})
        except tomllib.TOMLDecodeError:
            continue
        for s in m.get("sources", []) or []:
            if isinstance(s, str) and s not in meta_sources:
                meta_sources.append(s)
    if descr:
        out.append("<ul class=\"plain\">" + "".join(f"<li>{_e(x)}</li>" for x in descr[:3]) +
                   (f"<li>… and {len(descr) - 3} more</li>" if len(descr) > 3 else "") + "</ul>")
    if meta_sources:
        out.append("<h3>Sources named by the scenario</h3><ol>" + "".join(f"<li>{_e(s)}</li>" for s in meta_sources)
                   + "</ol>")
    if not src.files:
        out.append("<p class=\"note\">The original scenario files (with their [S]/[D]/[A] comments) were not saved "
                   "with this run (no <code>sources/</code> folder), so only the sources listed in the resolved "
                   "scenario's metadata can be shown.</p>")
        return "\n".join(out)
    chains = sorted({" → ".join(v) for v in src.arm_files.values() if v})
    out.append("<p>Scenario files as written (top file first, each over its base): "
               + "; ".join(f"<code>{_e(c)}</code>" for c in chains) + ". Each number in them is tagged "
               "<b>[S]</b> sourced, <b>[D]</b> derived from sourced figures or <b>[A]</b> assumed; a setting "
               "whose note mixes tags is listed under its weakest (an [S] shape with [A] values is assumed).</p>")
    settings: list[Setting] = []
    changes: list[tuple[str, list[Setting]]] = []
    for name, text, _ in src.files:
        items, base = parse_settings(text, name)
        if base:
            changes.append((name, [s for s in items if not s.path.startswith("meta") and s.kind == "key"]))
        settings.extend(s for s in items if s.cls and not s.path.startswith("meta"))
    changed_paths = set(src.changed) | (set(f.keys) if f.kind == "sweep" else set())
    if changes:
        for name, items in changes:
            if not items:
                continue
            out.append(f"<h3>What <code>{_e(name)}</code> changes from its base</h3><ul>")
            for s in items:
                out.append(f"<li><code>{_e(s.path)} = {_e(s.value)}</code>"
                           + (f" — {_e(s.comment)}" if s.comment else "") + "</li>")
            out.append("</ul>")
    if f.kind == "sweep" and f.keys:
        out.append("<h3>Varied by the sweep</h3><ul>")
        for k in f.keys:
            vals = []
            for a in f.arms:
                v = _val(a.values.get(k, ""))
                if v not in vals:
                    vals.append(v)
            out.append(f"<li><code>{_e(k)}</code>: {_e(', '.join(vals))}</li>")
        out.append("</ul>")
    changed = {p: e for p, e in src.changed.items() if not (f.kind == "sweep" and p in f.keys)}
    if changed:
        out.append("<h3>Changed for this run (not as the files say)</h3><ul>")
        for path, e in sorted(changed.items()):
            used = {}
            for arm, v in e["arms"]:
                used.setdefault(_fmt_value(v), []).append(arm)
            if f.kind == "sweep" and len(used) > 1:
                run_text = f"varied: {', '.join(used)}"
            elif f.kind == "compare":
                run_text = "; ".join(f"{'/'.join(x.name.upper() for x in arms)}: {v}" for v, arms in used.items())
            else:
                run_text = f"this run: {', '.join(used)}"
            out.append(f"<li><code>{_e(path)}</code>: {_e(_fmt_value(e['file']))} in the file; {_e(run_text)}</li>")
        out.append("</ul>")
    seen = set()
    for code, title, meaning in CLASSES:
        group = []
        for s in settings:
            key = (s.path, s.value, s.comment)
            if s.cls == code and key not in seen:
                seen.add(key)
                group.append(s)
        if not group:
            continue
        out.append(f"<h3>{_e(title)}: {_e(meaning)} ({len(group)})</h3><table class=\"settings\">"
                   "<tr><th>setting</th><th>as written</th><th>note in the scenario file</th></tr>")
        for s in group:
            flag = any(p == s.path or p.startswith(s.path + ".") for p in changed_paths)
            val = s.value if len(s.value) <= 160 else s.value[:157] + "…"
            out.append(f"<tr><td><code>{_e(s.path)}</code>" + (" <span class=\"flag\">changed for this run</span>"
                                                               if flag else "")
                       + f"</td><td><code>{_e(val)}</code></td><td>{_e(s.comment)}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


# ---------------------------------------------------------------------------- downgrade audit
AUDIT_SHOWN = 10


def audit_html(f: Folder) -> str:
    """The first resource-driven downgrades of each arm, and where the full list is."""
    if f.kind == "sweep":
        return ("<p>Each sweep point's folder (<code>p000/</code>, <code>p001/</code>…) has its "
                "<code>downgrades.csv</code>: one row per resource-driven downgrade.</p>")
    out = []
    for a in f.arms:
        path = f.arm_dir(a.name) / "downgrades.csv"
        rel = f"{a.name}/downgrades.csv" if a.name else "downgrades.csv"
        table = _read_csv(path)
        who = f"{_e(a.label)}: " if f.kind == "compare" else ""
        if table is None:
            out.append(f"<p>{who}no <code>{rel}</code> in this folder (made before the audit existed).</p>")
            continue
        n, reps = len(table), a.reps
        if n == 0:
            out.append(f"<p>{who}no resource-driven downgrade in {plural(reps, 'replication')}.</p>")
            continue
        shown = table.head(AUDIT_SHOWN)
        cols = [("replication", "rep"), ("date", "date"), ("time", "time"), ("category", "category"),
                ("true_risk", "true risk"), ("from_grade", "from"), ("to_grade", "to"),
                ("waited_unresourced_min", "waited (min)"), ("attended_after_min", "on scene after (min)"),
                ("initial_standard_met", "initial standard met")]
        head = "".join(f"<th>{_e(t)}</th>" for _, t in cols)
        body = "".join("<tr>" + "".join(f"<td>{_e(_cell(r.get(c)))}</td>" for c, _ in cols) + "</tr>"
                       for _, r in shown.iterrows())
        out.append(f"<p>{who}{plural(n, 'resource-driven downgrade')} in {plural(reps, 'replication')} (the "
                   f"<code>resource_downgrades</code> KPI, summed); the first {len(shown)} below, every one with "
                   f"its incident, channel, area, times and appointment in <code>{rel}</code> beside this report "
                   "(times in minutes from Monday 00:00 of week 1; 'on scene after' counts from the call).</p>"
                   f"<table class=\"audit\"><tr>{head}</tr>{body}</table>")
    return "\n".join(out)


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "never" if v is not None else ""
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"
    return str(v)


# ---------------------------------------------------------------------------- reproduce
def reproduce_html(f: Folder) -> str:
    m, plan = f.manifest, f.plan
    rows = [
        ("triage-sim version", m.get("version", plan.get("version", "?"))),
        ("kind", f.kind),
        ("seed", m.get("seed", plan.get("seed", "?"))),
        ("replications", f"{m.get('replications', plan.get('reps', '?'))} (first replication "
                         f"{m.get('first_replication', plan.get('first_rep', 0))})"),
        ("measured days", _val(m.get("days", "?"))),
        ("warm-up days (discarded)", _val(m.get("warmup_days", "?"))),
        ("stopped by", m.get("stopped_by") or "the number of replications asked for"),
        ("executor", f"{m.get('executor', '?')}, {m.get('workers', '?')} worker(s); results do not depend on it"),
        ("calls simulated", f"{m['calls_simulated']:,}" if isinstance(m.get("calls_simulated"), int) else "?"),
        ("wall time", f"{m['wall_time_s']:.1f} s" if isinstance(m.get("wall_time_s"), (int, float)) else "?"),
        ("Python", m.get("python", "?")),
        ("results created", m.get("created", "?")),
        ("cite as", CITATION if m.get("version", plan.get("version")) == __version__
         else f"triage-sim version {m.get('version', plan.get('version', '?'))} (see CITATION.cff)"),
    ]
    failed = m.get("failed_replications") or []
    if failed:
        rows.append(("failed replications", ", ".join(f"{x.get('arm') or 'run'} #{x.get('replication')}"
                                                      for x in failed)))
    cmd = m.get("command") or plan.get("command") or ""
    out = ["<table class=\"repro\">" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
           + "</table>"]
    if cmd:
        out.append(f"<p>The exact command:</p><pre>{_e(cmd)}</pre>")
    else:
        out.append("<p>No command was recorded (the experiment was run from Python); the resolved scenario "
                   "<code>scenario.toml</code> in each arm's folder, the seed and the replications above "
                   "reproduce it.</p>")
    out.append("<p>The same seed gives the same numbers, bit for bit, whichever executor ran them. Each arm's "
               "<code>scenario.toml</code> is the fully resolved scenario and runs as is. To draw these figures "
               f"and this report again from the saved files, without re-running anything:</p>"
               f"<pre>triage-sim report path/to/{_e(f.root.name)}</pre>")
    return "\n".join(out)


# ---------------------------------------------------------------------------- page
CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#1a1a1a;background:#fff;margin:0;line-height:1.45}
main{max-width:1240px;margin:0 auto;padding:1.2em 2em 3em}
h1{font-size:1.8em;margin:.2em 0}
h2{font-size:1.4em;border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
h3{font-size:1.12em;margin:1.3em 0 .4em}
.sub{color:#555;margin-top:0}
.verdict{font-size:1.22em;padding:.8em 1em;border-left:8px solid #888;background:#f4f4f4}
.verdict.fail{border-color:#b2182b;background:#fbeeee}
.verdict.pass{border-color:#1a9850;background:#eef8ee}
.verdict.mixed{border-color:#e69f00;background:#fdf6e6}
table{border-collapse:collapse;margin:.6em 0;font-size:.95em}
th,td{border:1px solid #d0d0d0;padding:.3em .55em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.na{color:#777;font-style:italic}
tr.cheapest td{background:#e3f4e3;font-weight:bold}
.unit{font-weight:normal;color:#555;font-size:.9em}
figure{margin:1.6em 0 2.2em}
figure img{max-width:100%;height:auto;border:1px solid #e3e3e3}
figcaption{font-size:1.05em;margin-top:.4em}
.note{color:#6b4e00;background:#fff8e1;border-left:4px solid #e6a800;padding:.4em .8em}
.small{font-size:.9em;color:#555}
.flag{font-size:.8em;color:#fff;background:#b2182b;padding:0 .35em;border-radius:3px}
code,pre{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:.92em}
pre{background:#f5f5f5;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap}
ul.plain{list-style:none;padding-left:0}
table.settings td:first-child{white-space:nowrap}
table.audit{font-size:.88em}
"""


def _figure_html(i: int, fig: Fig, data: bytes | None) -> str:
    number = fig.slug.split("-", 1)[0] if re.match(r"^\d+[a-z]?-", fig.slug) else str(i)
    head = f"<h3>Figure {_e(number)}. {_e(fig.title)}</h3>"
    if fig.png is None:
        return f"<div class=\"figure-missing\" id=\"fig-{_e(fig.slug)}\">{head}<p class=\"note\">{_e(fig.note)}</p></div>"
    b64 = base64.b64encode(data).decode("ascii")
    note = f"<p class=\"note\">{_e(fig.note)}</p>" if fig.note else ""
    return (f"<figure id=\"fig-{_e(fig.slug)}\">{head}<img src=\"data:image/png;base64,{b64}\" "
            f"alt=\"{_e(fig.title)}\"><figcaption>{_e(fig.caption)}</figcaption>{note}</figure>")


def _recommendation_lines(f: Folder) -> str:
    """Each of HMIC's two recommendations judged separately (sim.report.verdicts)."""
    from sim.report.verdicts import compare_lines, run_lines

    if f.kind == "compare" and f.comparison is not None and not f.comparison.empty:
        lines = compare_lines(f.comparison)
    elif f.kind == "run" and f.arms:
        lines = run_lines({k: f.arms[0].kpi(k) for k in f.arms[0].kpis})
    else:
        lines = []
    if not lines:
        return ""
    return ("<p class=\"small\">Each recommendation on its own:</p><ul>"
            + "".join(f"<li>{_e(x)}</li>" for x in lines) + "</ul>")


def render_html(f: Folder, figs: list[Fig]) -> str:
    cls, sentence = verdict(f)
    if f.kind == "run":
        title = f"{f.arms[0].label}: does the response follow risk or officer availability?"
        sub = f"Run of {f.arms[0].label} (policy {f.arms[0].policy})"
    elif f.kind == "compare":
        title = f"{f.arms[0].label} against {f.arms[1].label}"
        sub = f"Paired comparison: A = {f.arms[0].label}, B = {f.arms[1].label}"
    else:
        title = f"Sweep of {', '.join(f.keys)}" if f.keys else "Sweep"
        sub = f"Sweep: {len(f.arms)} points of {', '.join(f.keys)} on {f.arms[0].scenario.get('meta', {}).get('name', '')}"
    m = f.manifest
    sub += (f"; {_run_shape(f) if isinstance(_days(f), (int, float)) else _replications(f) + ' of ? days'} after "
            f"{plural(m.get('warmup_days', '?'), 'warm-up day')}; seed {m.get('seed', '?')}")
    parts = [
        "<!DOCTYPE html>",
        "<html lang=\"en\">",
        "<head>",
        "<meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>{_e('triage-sim report: ' + title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_e(title)}</h1>",
        f"<p class=\"sub\">{_e(sub)}</p>",
        "<section id=\"verdict\">",
        "<h2>Verdict on HMIC's recommendation</h2>",
        "<p class=\"small\">HMIC (2016): the response should be determined by the initial assessment of risk, "
        "not by the availability of response officers. Judged here as: resource-driven downgrades per week within "
        "the scenario's tolerance, and G1 and G2 incidents attended within the standard of their initial grade "
        "at the stated aims.</p>",
        f"<p class=\"verdict {cls}\">{_e(sentence)}</p>",
        _recommendation_lines(f),
        "</section>",
        "<section id=\"kpis\">",
        "<h2>Headline KPIs with 95% confidence intervals</h2>",
        few_reps_note(f),
        kpi_table(f),
        "</section>",
        "<section id=\"downgrades\">",
        "<h2>Downgrade audit</h2>",
        audit_html(f),
        "</section>",
        "<section id=\"figures\">",
        "<h2>Figures</h2>",
    ]
    for i, fig in enumerate(figs, 1):
        parts.append(_figure_html(i, fig, fig.png))
    parts += [
        "</section>",
        "<section id=\"assumptions\">",
        "<h2>Assumptions and sources</h2>",
        assumptions_html(f),
        "</section>",
        "<section id=\"reproduce\">",
        "<h2>How to reproduce</h2>",
        reproduce_html(f),
        "</section>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------------- writing
def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_report(folder: Path, formats=("png",), title: str | None = None) -> Path:
    """Draw the figures (``figures/*.<format>`` for each of ``formats``; the report embeds the
    PNGs) and write ``report.html`` for a saved results folder; returns its path."""
    f = load_folder(Path(folder))
    if f.damaged:   # a report drawn from it would replace good figures with gaps: leave them as they are
        raise FolderError(f"{f.root}: {'; '.join(f.damaged)}; the existing figures and report are left as "
                          "they are (rerun with --resume, or rerun the experiment)")
    figs = build_figures(f, formats, title)   # every figure drawn in memory before anything is written
    fig_dir = f.root / "figures"
    fig_dir.mkdir(exist_ok=True)
    written = set()
    for fig in figs:
        if fig.png is None:
            continue
        for fmt in formats:
            name = f"{fig.slug}.{fmt}"
            _atomic_write(fig_dir / name, fig.png if fmt == "png" else fig.other[fmt])
            written.add(name)
    for old in fig_dir.iterdir():   # a figure now left out (or a format not asked) must not linger
        if FIGURE_NAMES.match(old.name) and old.name not in written:
            old.unlink()
    out = f.root / "report.html"
    _atomic_write(out, render_html(f, figs).encode("utf-8"))
    return out


def main(argv: list[str] | None = None) -> int:   # python -m sim.report.html DIR (until the CLI has `report`)
    import sys

    args = sys.argv[1:] if argv is None else argv
    for d in args:
        print(write_report(Path(d)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
