"""The plan folder: ``rota.toml`` (a runnable delta of the input scenario), ``requirement.csv``,
``iterations.csv``, ``comparison.csv`` and ``report.html``. Every file is written under a
temporary name and renamed (``atomic_write``); an existing folder is never overwritten."""
from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from sim import __version__
from sim.plan.floor import floor_of, floor_sentence
from sim.plan.establishment import at_work, hours_per_person, people_for, today_people
from sim.plan.requirement import practice_assumptions
from sim.util.errors import FolderError
from sim.scenario import DAYS
from sim.util.cells import write_csv
from sim.util.files import atomic_write
from sim.scenario.writing import Document, number
from sim.plan.refine import PlanResult, template_hours
from sim.plan.shifts import coverage_of
from sim.report.templating import render

KPI_ROWS = (("meets_recommendation", "{:.0%}"), ("resource_downgrades_per_week", "{:.2f}"),
            ("high_risk_resource_downgrades", "{:.1f}"), ("g1_in_target", "{:.1%}"), ("g2_in_target", "{:.1%}"),
            ("g1_response_p90", "{:.1f}"), ("g2_response_p90", "{:.1f}"), ("pending_at_0700_mean", "{:.2f}"),
            ("unit_utilisation", "{:.1%}"), ("officer_hours_rostered", "{:,.0f}"), ("overtime_hours", "{:,.0f}"),
            ("sl_999_10s", "{:.1%}"), ("sl_101_180s", "{:.1%}"))


# the input scenario, resolved (its base chain and --days applied), kept in the plan folder: the
# plan's rota.toml and pattern.toml are deltas of it, so the folder runs wherever it is moved and
# their ``base`` stays within the folder (a base outside a scenario's own folder is refused)
INPUT = "scenario.toml"


def start_folder(out: Path, saved: dict, s) -> None:
    """Make the plan folder with what ``--resume`` needs: ``planner.json`` (the scenario file,
    its --days, the options, the command) and the resolved scenario for the record."""
    from sim.scenario.writing import toml_text

    if out.exists():
        raise FolderError(f"{out}: already exists; plans are never overwritten (choose another --out, "
                          "or finish a stopped plan with --resume)")
    try:
        out.mkdir(parents=True)
    except OSError as exc:
        raise FolderError(f"{out}: cannot create the plan folder there ({exc.strerror or exc})") from None
    try:
        atomic_write(out / INPUT, toml_text(s.to_dict(), header=f"{saved['scenario']} as the planner read it "
                                            "(base chain and --days applied)"))
        atomic_write(out / "planner.json", json.dumps(saved, indent=2, default=str) + "\n")
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)   # no planner.json: nothing to resume, so no folder in the way
        raise


def read_saved(out: Path) -> dict:
    """``planner.json`` of a plan folder to resume; a complete, foreign or damaged folder is refused."""
    path = out / "planner.json"
    if not path.exists():
        raise FolderError(f"{out}: not a plan folder to resume (no planner.json)")
    if (out / "manifest.json").exists():
        raise FolderError(f"{out}: the plan is already complete, nothing to resume (its files are left as they are)")
    try:
        saved = json.loads(path.read_text())
        missing = {"scenario", "days", "options", "pattern", "command", "scenario_digest"} - set(saved)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FolderError(f"{out}: damaged plan folder (planner.json: {exc}); start a new plan with another --out") \
            from None
    return saved


def rota_toml(result: PlanResult, scenario_path: Path, out: Path) -> str:
    """``base`` = the input scenario (``INPUT``); ``[response.shifts]`` gives the proposed shifts and sets
    today's shifts that are not kept to zero units (tables merge key by key)."""
    s = result.scenario
    doc = planned_document(result, [
        f"Planned response rota for {s.meta.name}, by triage-sim plan {__version__}.",
        f"{template_hours(result.proposed):,.0f} officer-hours a week rostered "
        f"(today {template_hours(result.current):,.0f}); "
        f"{'meets' if result.meets else 'does NOT meet'} the recommendation in the final check.",
        f"Run it: triage-sim run {out / 'rota.toml'} --reps 10"], f"{s.meta.name}-planned")
    # a base with a weekly template: its shifts not kept are set to 0 units (tables merge);
    # a base with a team pattern needs nothing (giving shifts drops the pattern)
    shift_table(doc, "response.shifts", "units", result.proposed,
                result.current if s.response.pattern is None else ())
    add_handlers(doc, result)
    return doc.text()


def planned_document(result: PlanResult, header: list[str], name: str) -> Document:
    """A planned scenario's start: its header comments, ``base`` = the input scenario, its name."""
    doc = Document()
    for line in header:
        doc.comment(line)
    doc.set("base", INPUT)
    doc.table("meta")
    doc.set("name", name)
    return doc


def shift_table(doc: Document, table: str, staff: str, proposed: dict, current) -> None:
    """``[table]`` with the proposed shifts, and today's shifts in ``current`` not kept at 0 ``staff``."""
    doc.table(table)
    for name, v in proposed.items():
        heads = v["units"][0] if len(set(v["units"])) == 1 else list(v["units"])
        doc.set(name, {"start": v["start"], "hours": number(v["hours"], "g"), staff: heads, "days": list(v["days"])})
    for name in current:
        if name not in proposed:
            doc.set(name, {staff: 0}, "today's shift, not used by the plan")


def add_handlers(doc: Document, result: PlanResult) -> None:
    """The planned call handlers' shifts (none when today's are kept)."""
    if result.handlers_proposed is not None:
        shift_table(doc, "call_handling.shifts", "staff", result.handlers_proposed,
                    result.handlers_current if result.scenario.call_handling.pattern is None else ())


def requirement_frame(result: PlanResult) -> pd.DataFrame:
    r = result.requirement
    df = pd.DataFrame(r.as_rows())
    df["day"] = [DAYS[d] for d in df["day"]]
    df["units_current"] = coverage_of(result.current)
    df["units_proposed"] = coverage_of(result.proposed)
    df["handlers_current"] = coverage_of(result.handlers_current)
    # --units-only and --officers keep today's control room
    df["handlers_proposed"] = coverage_of(result.handlers_proposed if result.handlers_proposed is not None
                                          else result.handlers_current)
    # stage 1's lagged load against the simulation: units busy on incidents, by hour of week
    if result.final is not None:
        for arm, label in (("a", "current"), ("b", "proposed")):
            p = result.final.arms[arm].profiles
            busy = p[p["profile"] == "units_busy"].groupby("x")["value"].mean()
            df[f"units_busy_simulated_{label}"] = busy.reindex(range(168)).to_numpy()
    df["units_busy_analytic"] = df[["load_g1", "load_g2", "load_g3"]].sum(axis=1)
    floor = floor_of(result.scenario)
    if floor.any():
        df["units_floor"] = floor              # [plan] min_on_duty: a hard floor under the proposal
    return df


def write_plan(result: PlanResult, scenario_path: Path, out: Path, command: str, wall_s: float,
               pattern_text: str | None = None, pattern_note: str = "", pattern_info: dict | None = None,
               frontier: pd.DataFrame | None = None) -> None:
    """The plan's files; ``manifest.json`` last, so its presence means the plan is complete."""
    if pattern_text is not None:
        atomic_write(out / "pattern.toml", pattern_text)
    atomic_write(out / "rota.toml", rota_toml(result, scenario_path, out))
    atomic_write(out / "requirement.csv", write_csv(requirement_frame(result)))
    atomic_write(out / "iterations.csv", write_csv(result.iterations()))
    if result.final is not None:
        atomic_write(out / "comparison.csv", write_csv(result.final.comparison()))
    manifest = {"version": __version__, "scenario": str(scenario_path), "command": command,
                "meets": result.meets, "officer_hours_current": template_hours(result.current),
                "officer_hours_proposed": template_hours(result.proposed),
                "scale_up": None if result.scale_up is None else
                {k: result.scale_up.get(k) for k in ("factor", "officer_hours", "confirmed")},
                "handler_hours_current": template_hours(result.handlers_current),
                "handler_hours_proposed": None if result.handlers_proposed is None
                else template_hours(result.handlers_proposed),
                "pattern": pattern_note or None, **(pattern_info or {}), "solver": result.solver,
                "officers": result.officers, "hours_per_person": hours_per_person(result.scenario),
                "establishment_current": round(today_people(result.scenario), 1),
                "establishment_proposed": round(float(result.officers) if result.officers is not None
                                                else people_for(template_hours(result.proposed), result.scenario), 1),
                "simulations": result.simulations, "wall_time_s": round(wall_s, 1)}
    front = None
    if frontier is not None:
        from sim.plan.frontier_figure import figure_png, marginal_sentence, monotone
        png = figure_png(frontier)
        atomic_write(out / "frontier.csv", write_csv(frontier))
        atomic_write(out / "frontier.png", png)
        front = {"sentence": marginal_sentence(frontier), "figure": base64.b64encode(png).decode("ascii"),
                 "monotone": monotone(frontier)}
        manifest["frontier"] = {"sentence": front["sentence"], "monotone_template": front["monotone"],
                                "monotone_pattern": monotone(frontier, "pattern")}
    atomic_write(out / "report.html", report_html(result, command, wall_s, pattern_note, front))
    atomic_write(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")


# ---------------------------------------------------------------------------- report
def _figure(result: PlanResult) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = requirement_frame(result)
    fig, ax = plt.subplots(figsize=(11, 3.6), dpi=100)
    x = np.arange(168)
    ax.step(x, df["units_required"], where="post", color="black", lw=1.6, label="required (stage 1, rostered)")
    ax.step(x, df["units_current"], where="post", color="tab:red", lw=1.2, label="today's rota")
    ax.step(x, df["units_proposed"], where="post", color="tab:blue", lw=1.2, label="proposed rota")
    if "units_floor" in df:
        ax.step(x, df["units_floor"], where="post", color="grey", lw=1.2, ls="--", label="minimum on duty")
    ax.set_xticks(range(0, 169, 24), [*DAYS, ""])
    ax.set_xlim(0, 168)
    ax.set_ylabel("response officers rostered")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _load_numbers(result: PlanResult) -> dict | None:
    """Stage 1's lagged load against the units the simulation had busy under the proposal."""
    df = requirement_frame(result)
    if "units_busy_simulated_proposed" not in df:
        return None
    a, b = df["units_busy_analytic"].to_numpy(), df["units_busy_simulated_proposed"].to_numpy()
    peak_a, peak_b = int(np.argmax(a)), int(np.argmax(b))
    return {"mean_a": f"{a.mean():.1f}", "mean_b": f"{b.mean():.1f}", "mad": f"{np.abs(a - b).mean():.1f}",
            "peak_a": f"{a.max():.1f}", "when_a": f"{DAYS[peak_a // 24]} {peak_a % 24:02d}:00",
            "peak_b": f"{b.max():.1f}", "when_b": f"{DAYS[peak_b // 24]} {peak_b % 24:02d}:00"}


def _after_peak_numbers(result: PlanResult) -> dict | None:
    """Is stage 1 short after the peaks? In the four hours after each day's arrival peak,
    the simulated units busy against the lagged load and SIPP's unlagged one."""
    df = requirement_frame(result)
    if "units_busy_simulated_proposed" not in df:
        return None
    arrivals = result.requirement.arrivals.sum(axis=1)
    after = sorted({(d * 24 + int(np.argmax(arrivals[d * 24:(d + 1) * 24])) + k) % 168
                    for d in range(7) for k in range(1, 5)})
    sim_ = df["units_busy_simulated_proposed"].to_numpy()[after].mean()
    lag, sipp = df["units_busy_analytic"].to_numpy()[after].mean(), df["load_sipp"].to_numpy()[after].mean()
    r = result.requirement
    return {"sim": f"{sim_:.1f}", "lag": f"{lag:.1f}", "lag_diff": f"{lag - sim_:+.1f}", "sipp": f"{sipp:.1f}",
            "sipp_diff": f"{sipp - sim_:+.1f}", "lag_short": lag < sim_ - 0.5, "sipp_short": sipp < sim_ - 0.5,
            "sipp_hours": f"{r.rostered_sipp.sum():,}", "lag_hours": f"{r.rostered.sum():,}",
            "fewer": int((r.rostered_sipp < r.rostered).sum())}


def o_reps(result: PlanResult) -> int:
    return int(result.final.comparison()["reps"].iloc[0]) if result.final is not None else 0


def _units(v: dict | None) -> str:
    if v is None:
        return "—"
    u = v["units"]
    return str(u[0]) if len(set(u)) == 1 else " / ".join(map(str, u)) + " (Mon..Sun)"


def _shift_rows(current: dict, proposed: dict) -> list[list]:
    rows = []
    for name in list(current) + [n for n in proposed if n not in current]:
        c, p = current.get(name), proposed.get(name)
        v = p or c
        rows.append([name, v["start"], f"{v['hours']:g}", _units(c), _units(p),
                     f"{(template_hours({name: p}) if p else 0) - (template_hours({name: c}) if c else 0):+,.0f}"])
    return rows


def report_html(result: PlanResult, command: str, wall_s: float, pattern_note: str = "",
                front: dict | None = None) -> str:
    """The plan's report.html (``sim/report/templates/plan.line.html.j2``)."""
    s = result.scenario
    contracted = hours_per_person(s)
    cur_h, new_h = template_hours(result.current), template_hours(result.proposed)
    cur_est = today_people(s)
    new_est = float(result.officers) if result.officers is not None else people_for(new_h, s)
    scale_up = None
    if result.scale_up is not None:
        su = result.scale_up
        scale_up = {"with_handlers": result.handlers_proposed is not None, "confirmed": bool(su.get("confirmed")),
                    "days": f"{s.run.days:g}", "reps": o_reps(result), "factor": f"{su['factor']:g}",
                    "hours": f"{su['officer_hours']:,.0f}", "gap": f"{abs(su['officer_hours'] - new_h):,.0f}",
                    "cheaper": "fewer" if new_h < su["officer_hours"] else "more",
                    "change": f"{new_h / su['officer_hours'] - 1:+.1%}"}
    kpi_rows, reps, seed = None, 0, None
    if result.final is not None:
        cmp_ = result.final.comparison().set_index("kpi")
        reps, seed = int(cmp_["reps"].iloc[0]), result.final.plan.seed
        kpi_rows = []
        for k, fmt in KPI_ROWS:
            r = cmp_.loc[k]
            f = lambda x: "n/a" if x != x else fmt.format(x)  # noqa: E731
            kpi_rows.append([k, f(r["mean_a"]), f(r["mean_b"]), f(r["diff"]), f"[{f(r['ci_low'])}, {f(r['ci_high'])}]"])
    it = result.iterations()
    stage1, search_columns, search_rows = None, [], []
    if not it.empty:
        first = it.iloc[0]
        stage1 = {"hours": f"{first['officer_hours']:,.0f}", "downgrades": f"{first['resource_downgrades_per_week']:.2f}",
                  "g1": f"{first['g1_in_target']:.1%}", "g2": f"{first['g2_in_target']:.1%}",
                  "meets": "meets" if first["meets"] else "does not meet"}
        search_columns = ["stage", "officer_hours", "meets", "resource_downgrades_per_week", "g1_in_target",
                          "g2_in_target", "note"]
        search_rows = it[search_columns].round(4).values.tolist()
    return render(
        "plan.line.html.j2", name=s.meta.name, officers=result.officers,
        verdict="meets" if result.meets else "does NOT meet", g1_aim=f"{s.recommendation.g1_aim:.0%}",
        g2_aim=f"{s.recommendation.g2_aim:.0%}", new_h=f"{new_h:,.0f}", new_est=f"{new_est:,.0f}",
        contracted=f"{contracted:g}", cur_h=f"{cur_h:,.0f}", cur_est=f"{cur_est:,.0f}",
        officers_h=f"{(result.officers or 0) * contracted:,.0f}",
        at_work=f"{at_work(new_est, s):,.0f}", cur_at_work=f"{at_work(cur_est, s):,.0f}", scale_up=scale_up, figure=_figure(result),
        shift_rows=_shift_rows(result.current, result.proposed),
        handler_rows=None if result.handlers_proposed is None else
        _shift_rows(result.handlers_current, result.handlers_proposed),
        pattern_note=pattern_note, front=front,
        floor_note=floor_sentence(floor_of(s), result.requirement.rostered, coverage_of(result.proposed)),
        hours_rows=[["officer-hours a week", f"{cur_h:,.0f}", f"{new_h:,.0f}"],
                    [f"establishment (people at {contracted:g} h a week)", f"{cur_est:,.0f}", f"{new_est:,.0f}"],
                    ["at work after abstraction (people, on average)", f"{at_work(cur_est, s):,.0f}",
                     f"{at_work(new_est, s):,.0f}"]],
        kpi_rows=kpi_rows, days=f"{s.run.days:g}", warmup_days=f"{s.run.warmup_days:g}", reps=reps, seed=seed,
        stage1=stage1, practice=practice_assumptions(s), load=_load_numbers(result), after=_after_peak_numbers(result), search_columns=search_columns,
        search_rows=search_rows, solver_rows=[[r["pool"], r["stage"], f"{r['hours']:,.0f}", r["status"]]
                                              for r in result.solver or []],
        command=command, version=__version__, simulations=result.simulations, wall=f"{wall_s:.0f}")
